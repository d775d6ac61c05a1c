"""A local, faithful Emailgistics Reporting API for development, tests and demos.

It serves the aggregate reports (mailboxPerformance, mailboxUserPerformance,
mailboxDomainPerformance) and Received Message Detail (receivedMessageDetail), all built
from the same message events. It does not import the tap: it is an independent oracle
of the API contract.
"""

from emailgistics_sandbox.control.client import SandboxControl
from emailgistics_sandbox.settings.config import (
    EXPIRED_KEY,
    FULL_KEY,
    LIMITED_KEY,
    NO_REPORTING_KEY,
    REPORTING_ONLY_KEY,
    SandboxSettings,
)
from emailgistics_sandbox.settings.faults import FaultRule
from emailgistics_sandbox.transport.server import Sandbox

__all__ = [
    "EXPIRED_KEY",
    "FULL_KEY",
    "LIMITED_KEY",
    "NO_REPORTING_KEY",
    "REPORTING_ONLY_KEY",
    "FaultRule",
    "Sandbox",
    "SandboxControl",
    "SandboxSettings",
]
