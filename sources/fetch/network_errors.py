"""Network errors in words: what really failed, whichever library layer reports it.

httpx-aiohttp reports every aiohttp connection error as ``httpx.ConnectTimeout`` (a host that
does not resolve, a refused connection), so the message names the aiohttp error underneath;
and a name that does not resolve is said as such, once, since retrying it at once or blaming
robots.txt for it only hides the cause (offline, a typo in a URL, a DNS outage).
"""

from __future__ import annotations

import aiohttp


def cause(exc: BaseException) -> BaseException:
    """The aiohttp error behind an httpx one, else ``exc`` itself."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, aiohttp.ClientError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return exc


def dns_failure(exc: BaseException) -> str | None:
    """ "could not resolve host 'x' (DNS: reason)" when ``exc`` is a failed name lookup."""
    found = cause(exc)
    if not isinstance(found, aiohttp.ClientConnectorDNSError):
        return None
    reason = found.strerror or str(found.os_error)
    return f"could not resolve host {found.host!r} (DNS: {reason})"


def describe(exc: BaseException) -> str:
    """One line naming the error that really happened."""
    found = cause(exc)
    dns = dns_failure(found)
    if dns is not None:
        return dns
    return f"{type(found).__name__}: {found}" if str(found) else type(found).__name__
