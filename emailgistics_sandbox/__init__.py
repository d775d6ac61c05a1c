"""A local, faithful Emailgistics Reporting API for development, tests and demos.

It does not import the tap: it is an independent oracle of the API contract.
"""

from emailgistics_sandbox.client import SandboxControl
from emailgistics_sandbox.config import (
    EXPIRED_KEY,
    FULL_KEY,
    LIMITED_KEY,
    NO_REPORTING_KEY,
    SandboxSettings,
)
from emailgistics_sandbox.faults import FaultRule
from emailgistics_sandbox.server import Sandbox

__all__ = [
    "EXPIRED_KEY",
    "FULL_KEY",
    "LIMITED_KEY",
    "NO_REPORTING_KEY",
    "FaultRule",
    "Sandbox",
    "SandboxControl",
    "SandboxSettings",
]
