"""Every column a report stream can carry: its JSON Schema type and description.

The one source for the report schemas: ``schema_files`` assembles each stream's
schema from these and the registry, and ``schemas/*.json`` is its output.
"""

from __future__ import annotations

from typing import Any

#: Columns every report row has, before the dimension (added or read by the tap).
LEADING: dict[str, dict[str, Any]] = {
    "id": {
        "type": ["string", "null"],
        "description": "Page cursor of the API (a numeric-looking string). Not stable across "
        "runs; never part of a key.",
    },
    "mailboxId": {
        "type": ["string"],
        "description": "Mailbox the row belongs to (added by the tap).",
    },
    "period": {
        "type": ["string"],
        "enum": ["hour", "day", "week", "month"],
        "description": "Period of the row: hour, day, week or month (added by the tap).",
    },
    "startDateTime": {
        "type": ["string"],
        "description": "Start of the period, mailbox-local wall-clock time as the "
        "API sends it (YYYY-MM-DDTHH:MM:SS, no offset).",
    },
    "startDateTimeUtc": {
        "type": ["string"],
        "format": "date-time",
        "description": "Start of the period in UTC, computed from startDateTime "
        "and timeZone (a repeated DST hour maps to its first, "
        "then its second occurrence).",
    },
}

#: The dimension of a report's rows (``ReportDefinition.dimension``).
DIMENSIONS: dict[str, dict[str, Any]] = {
    "userId": {
        "type": ["string"],
        "description": "User id, or 'unknown' for activity with no identifiable user.",
    },
    "domain": {"type": ["string"], "description": "Sender domain (lower case)."},
}

#: Added to user rows with ``include_details`` (``ReportDefinition.supports_details``).
DETAILS: dict[str, dict[str, Any]] = {
    "userName": {"type": ["string", "null"], "description": "User display name (include_details)."},
    "userEmail": {"type": ["string", "null"], "description": "User email (include_details)."},
    "userActive": {
        "type": ["boolean", "null"],
        "description": "Whether the user is active (include_details).",
    },
}

#: Metric columns, as the field groups of the registry name them.
METRICS: dict[str, dict[str, Any]] = {
    "received": {
        "type": ["integer", "null"],
        "description": "Incoming messages received in the period.",
    },
    "closedArchived": {"type": ["integer", "null"], "description": "Messages closed by archiving."},
    "closedDeleted": {"type": ["integer", "null"], "description": "Messages closed by deletion."},
    "closedJunk": {
        "type": ["integer", "null"],
        "description": "Messages closed by being marked Junk.",
    },
    "closedSentItems": {
        "type": ["integer", "null"],
        "description": "Messages closed by being moved to Sent Items.",
    },
    "averageMailboxCloseTime": {
        "type": ["number", "null"],
        "description": "Average mailbox close time, minutes in business hours.",
    },
    "averageElapsedCloseTime": {
        "type": ["number", "null"],
        "description": "Average elapsed (wall clock) close time, minutes.",
    },
    "insideClosedSla": {
        "type": ["integer", "null"],
        "description": "Closed messages that met their SLA.",
    },
    "initiated": {
        "type": ["integer", "null"],
        "description": "Outgoing messages started (not replies).",
    },
    "initialReplies": {"type": ["integer", "null"], "description": "Initial replies sent."},
    "additionalReplies": {
        "type": ["integer", "null"],
        "description": "Subsequent replies on the same conversation.",
    },
    "averageMailboxInitialReplyTime": {
        "type": ["number", "null"],
        "description": "Average mailbox reply time, minutes in the mailbox's business hours.",
    },
    "averageElapsedInitialReplyTime": {
        "type": ["number", "null"],
        "description": "Average elapsed (wall clock) reply time, minutes.",
    },
    "insideReplySla": {
        "type": ["integer", "null"],
        "description": "Initial replies that met their SLA.",
    },
    "replyConversations": {
        "type": ["integer", "null"],
        "description": "Distinct conversations involved in the replies.",
    },
    "newConversations": {
        "type": ["integer", "null"],
        "description": "Conversations started in this period.",
    },
    "existingConversations": {
        "type": ["integer", "null"],
        "description": "Conversations from earlier periods with activity in this one.",
    },
    "averageUserCloseTime": {
        "type": ["number", "null"],
        "description": "Average user close time, minutes.",
    },
    "assigned": {
        "type": ["integer", "null"],
        "description": "Messages assigned to the user in the period.",
    },
    "reassigned": {
        "type": ["integer", "null"],
        "description": "Messages reassigned in the period.",
    },
    "averageUserInitialReplyTime": {
        "type": ["number", "null"],
        "description": "Average user reply time, minutes (from assignment).",
    },
}

#: Columns every report row has, after the metrics (added by the tap).
TRAILING: dict[str, dict[str, Any]] = {
    "timeZone": {
        "type": ["string", "null"],
        "description": "IANA time zone of the mailbox; startDateTime and "
        "dataCutoffTimestamp are wall-clock times in it.",
    },
    "isFinal": {
        "type": ["boolean"],
        "description": "True when the period ended at or before the result's "
        "dataCutoffTimestamp (or the result had none): its values never "
        "change.",
    },
    "dataCutoffTimestamp": {
        "type": ["string", "null"],
        "description": "Mailbox-local time up to which activity is counted, "
        "for provisional rows; null when the row is final.",
    },
    "extraFields": {
        "type": ["object", "null"],
        "additionalProperties": True,
        "description": "Columns the API sent that this schema does not declare, kept "
        "rather than dropped.",
    },
}

#: Received Message Detail (an activity report): the tap's columns before the API's.
MESSAGE_LEADING: dict[str, dict[str, Any]] = {
    "id": LEADING["id"],
    "mailboxId": {
        "type": ["string"],
        "description": "Mailbox the message was received in (added by the tap).",
    },
    "activityType": {
        "type": ["string"],
        "description": "The activity (received, replied, closed) whose window last sent "
        "the row (added by the tap; not part of the key).",
    },
}

_UTC = "UTC instant (YYYY-MM-DDTHH:MM:SSZ)"
#: The message columns the field groups name (``basic``: the sandbox's stance, docs/sandbox.md).
MESSAGES: dict[str, dict[str, Any]] = {
    "messageId": {
        "type": ["string"],
        "description": "Stable id of the message (with mailboxId, the row's key).",
    },
    "conversationId": {
        "type": ["string", "null"],
        "description": "Conversation the message belongs to.",
    },
    "receivedDateTime": {
        "type": ["string", "null"],
        "format": "date-time",
        "description": f"When the message was received: {_UTC}.",
    },
    "status": {
        "type": ["string", "null"],
        "description": "open, snoozed or closed, as of the result the row came from.",
    },
    "ownerUserId": {
        "type": ["string", "null"],
        "description": "Owner after the latest assignment (null: no owner).",
    },
    "senderDomain": {"type": ["string", "null"], "description": "Sender's domain."},
    "firstRepliedDateTime": {
        "type": ["string", "null"],
        "format": "date-time",
        "description": f"The initial reply, {_UTC}; null before any.",
    },
    "lastRepliedDateTime": {
        "type": ["string", "null"],
        "format": "date-time",
        "description": f"The latest reply, {_UTC}; null before any.",
    },
    "closedDateTime": {
        "type": ["string", "null"],
        "format": "date-time",
        "description": f"The latest close, {_UTC}; null while open.",
    },
}

#: Added to message rows with ``include_details``.
MESSAGE_DETAILS: dict[str, dict[str, Any]] = {
    "ownerUserName": {"type": ["string", "null"], "description": "Owner display name."},
    "ownerUserEmail": {"type": ["string", "null"], "description": "Owner email."},
    "ownerUserActive": {
        "type": ["boolean", "null"],
        "description": "Whether the owner is active.",
    },
}

#: The tap's columns after the API's, on message rows.
MESSAGE_TRAILING: dict[str, dict[str, Any]] = {
    "timeZone": TRAILING["timeZone"],
    "asOfUtc": {
        "type": ["string"],
        "format": "date-time",
        "description": "The instant the row shows the message as of: the end of the window "
        "it came from, or the result's dataCutoffTimestamp when that came first.",
    },
    "isFinal": {
        "type": ["boolean"],
        "description": "True when the result the row came from had no dataCutoffTimestamp: "
        "the message as of then never changes (a later reply or close upserts the row).",
    },
    "dataCutoffTimestamp": {
        "type": ["string", "null"],
        "description": "Mailbox-local time up to which the result counted activity, when "
        "it reached into the present; null when final.",
    },
    "extraFields": TRAILING["extraFields"],
}
