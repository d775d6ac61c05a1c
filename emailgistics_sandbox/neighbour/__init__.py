"""The simulated other client of the account, taking run slots and requests like any client."""
