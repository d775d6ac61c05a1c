"""Where requests may go: the configured scheme and host only, and never http off loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import requests

from tap_emailgistics.errors import ApiUnreachableError, ForeignLinkError


def is_loopback(host: str) -> bool:
    """True for this machine's own names and addresses (where the sandbox runs)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def base_url_problem(base_url: str) -> str | None:
    """Why ``base_url`` may not carry the key, or None when it may."""
    parts = urlsplit(base_url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        return (
            f"Setting base_url ({base_url}) uses http on a host that is not this machine, "
            "so the API key would travel in clear text: use https (http is allowed only "
            "for localhost, for the sandbox)."
        )
    return None


class ApiHost:
    """The one host the key is sent to, and whether it has answered yet in this run."""

    def __init__(self, base_url: str) -> None:
        """Remember the scheme and host of ``base_url``."""
        parts = urlsplit(base_url)
        self.scheme, self.netloc = parts.scheme, parts.netloc.lower()
        #: Set once any HTTP answer arrived: a connection failure before that is a
        #: configuration problem (wrong host, sandbox not started), not an outage.
        self.answered = False
        #: A request's tries ran out and nothing has succeeded since: if the next one's
        #: run out too, the trouble is the API's, not one partition's.
        self.failing = False

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the configured API."""
        return f"{self.scheme}://{self.netloc}"

    def check(self, href: str) -> str:
        """Return ``href`` if it is on the configured host, else fail without sending."""
        parts = urlsplit(href)
        if (parts.scheme, parts.netloc.lower()) != (self.scheme, self.netloc):
            msg = (
                f"The API sent a link to another host ({parts.scheme}://{parts.netloc}"
                f"{parts.path}); the tap only follows links on {self.origin}. Check "
                "base_url: it must be the host the API answers on."
            )
            raise ForeignLinkError(msg)
        return href

    def unreachable(self, error: requests.exceptions.RequestException) -> ApiUnreachableError:
        """The one line for a first request that never reached the host."""
        text = str(error)
        if isinstance(error, requests.exceptions.ConnectTimeout):
            reason = "no answer to the connection attempt"
        elif "NameResolutionError" in text or "resolve" in text or "known" in text:
            reason = "the host name does not resolve"
        elif "refused" in text.lower():
            reason = "connection refused"
        else:
            reason = type(error).__name__
        return ApiUnreachableError(
            f"Cannot reach the API at {self.origin} ({reason}): check base_url, that the "
            "API (or the sandbox) is running, and that this machine can reach it "
            "(proxy, firewall, DNS). Nothing was extracted; the bookmark did not move."
        )
