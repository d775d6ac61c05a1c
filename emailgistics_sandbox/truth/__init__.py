"""The account as it is: generated data, periods, the directory, and what each report shows."""
