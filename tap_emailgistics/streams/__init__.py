"""Stream classes: the mailbox directory streams and the report streams."""
