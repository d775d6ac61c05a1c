"""A whole sync: what its streams share, and what a person reads of it.

The shared services (``services``), what became of each partition (``ledger``), the
heartbeat and summaries (``progress``), and the mailboxes the state knows that the
sync will not extract (``absent_mailboxes``).
"""
