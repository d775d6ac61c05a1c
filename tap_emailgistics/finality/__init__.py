"""Finality: which periods can never change, and the bookmarks built on that.

Periods and windows in a mailbox's zone (``periods``), the API's clock
(``api_clock``), which periods are final and each row's UTC key (``rules``), the
bookmark in state and the SDK hooks it needs (``bookmarks``), who waited longest
(``priority``), the watermark rows (``watermarks``) and bounded STATE output
(``state_output``).
"""
