"""Stable message ids and snoozes, decided apart from the data set's generator.

They are derived from the mailbox and the message, never drawn from the generator's
stream: a draw there would shift every later draw and so change every report of a seed.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

SNOOZE_PROBABILITY = 0.15
_SNOOZE_MINUTES_AFTER_RECEIPT = (10, 240)
_SNOOZE_HOURS = (1, 4, 24, 72)


def stable_message_id(mailbox_id: str, number: int) -> str:
    """The id of the mailbox's ``number``-th generated message (a UUID)."""
    return str(uuid.uuid5(uuid.UUID(mailbox_id), f"message:{number}"))


def snooze(
    message_id: str, received: datetime, closed: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """When the message is snoozed and until when (UTC); ``(None, None)`` if never.

    A close ends a snooze, so a snooze that would begin at or after the close never
    happens.
    """
    dice = random.Random(message_id)  # noqa: S311 - synthetic data, not security
    if dice.random() >= SNOOZE_PROBABILITY:
        return None, None
    start = received + timedelta(minutes=dice.randrange(*_SNOOZE_MINUTES_AFTER_RECEIPT))
    if closed is not None and start >= closed:
        return None, None
    return start, start + timedelta(hours=dice.choice(_SNOOZE_HOURS))
