"""Report runs: their lifecycle and store, their result pages, the account's request limit."""
