"""Server-side request forgery guard: lexwatch only talks to public internet addresses.

A source URL comes from a config file or the dashboard, and a server can redirect anywhere,
so every request lexwatch sends (each redirect hop and robots.txt included) is checked twice:

* before it is sent (``AddressGuard.check_url``): a host written as an IP address must be a
  public address, and a host name must not be a well-known internal one
  (``localhost``, ``metadata.google.internal``, ``*.internal`` ...);
* when it connects (``GuardedResolver``, the aiohttp connector's resolver): every address
  the name resolves to must be public. aiohttp connects only to the addresses the resolver
  returns, so the addresses checked are the addresses used; a DNS answer that changes
  between a check and the connection (DNS rebinding) cannot slip past.

Refused: loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud
metadata address 169.254.169.254, fe80::/10), shared CGNAT space (100.64/10), multicast,
unspecified, reserved and documentation ranges, and IPv6 forms that embed any of those
(IPv4-mapped, IPv4-compatible, 6to4, NAT64). ``http.allow_private_addresses`` turns the
check off; ``http.allowed_hosts`` lets named hosts or networks through while it is on.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from monitor.errors import BlockedAddressError, ConfigError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Names that point inside the machine or the cloud account whatever DNS says about them.
_INTERNAL_NAMES = frozenset(
    {
        "localhost",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
_INTERNAL_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_HOW_TO_ALLOW = (
    "set http.allowed_hosts (or http.allow_private_addresses = true)"
    " if this host is meant to be watched"
)


def address_problem(address: IPAddress) -> str | None:
    """Why ``address`` is not a public internet address, or None when it is one."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner = address_problem(embedded)
        return f"an IPv6 address embedding {embedded}, which is {inner}" if inner else None
    compatible = isinstance(address, ipaddress.IPv6Address) and address in _IPV4_COMPATIBLE
    for problem, matches in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("an IPv4-compatible IPv6 address", compatible),
        ("link-local (cloud metadata lives here)", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared address space (CGNAT)", address in _CGNAT),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    ):
        if matches:
            return problem
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


# Hosts that C's inet_aton (and so curl, browsers, some resolvers) reads as an IPv4 address:
# one to four parts, each decimal, octal (leading 0) or hexadecimal (0x).
_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]*|\d+)(?:\.(?:0x[0-9a-f]*|\d+)){0,3}\.?$", re.IGNORECASE)


def odd_ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address ``host`` stands for when it is written in another form than four
    decimal numbers (2130706433, 0177.0.0.1, 0x7f.1, 127.1), else None.

    Such hosts mean different addresses to different tools, the trick SSRF payloads use to
    slip past filters: lexwatch refuses them whatever address they stand for.
    """
    name = host.strip("[]")
    if literal_address(name) is not None or not _NUMERIC_HOST.match(name):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(name.rstrip(".")))
    except OSError:
        return None


def odd_host_reason(host: str) -> str | None:
    """Why ``host`` is refused as an odd IPv4 form (see ``odd_ipv4_host``), or None."""
    address = odd_ipv4_host(host)
    if address is None:
        return None
    return (
        f"its host {host!r} is the IPv4 address {address} written in another form"
        " (decimal, octal, hexadecimal or shortened); lexwatch only accepts addresses"
        f" written as four decimal numbers: use {address}"
    )


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is written as one (brackets and zone dropped)."""
    bare = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        return None


@dataclass(frozen=True, kw_only=True)
class AddressGuard:
    """Which hosts lexwatch may connect to; build it with ``AddressGuard.build``."""

    allow_private: bool
    names: frozenset[str] = frozenset()  # exact host names, or "*.example.org"
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(cls, *, allow_private: bool, allowed_hosts: Iterable[str]) -> AddressGuard:
        """ConfigError for an ``allowed_hosts`` entry that is neither a host name nor a CIDR."""
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in allowed_hosts:
            value = entry.strip().lower().strip("[]")
            try:
                networks.append(ipaddress.ip_network(value, strict=False))
                continue
            except ValueError:
                pass
            if not value or any(c in value for c in "/:@ ") or value.count("*") > 1:
                raise ConfigError(
                    f"http.allowed_hosts: {entry!r} is neither a host name"
                    " (example.org, *.example.org) nor an address or CIDR"
                    " (10.0.0.5, 10.0.0.0/8, fd00::/8)"
                )
            names.add(value.rstrip("."))
        return cls(allow_private=allow_private, names=frozenset(names), networks=tuple(networks))

    def host_allowed(self, host: str) -> bool:
        """True when ``host`` is listed in ``http.allowed_hosts`` by name."""
        name = host.lower().rstrip(".")
        if name in self.names:
            return True
        return any(
            pattern.startswith("*.") and name.endswith(pattern[1:]) for pattern in self.names
        )

    def address_allowed(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self.networks)

    def check_url(self, url: str, host: str) -> None:
        """BlockedAddressError if ``host`` (of ``url``) is an internal name or address."""
        if self.allow_private or self.host_allowed(host):
            return
        address = literal_address(host)
        if address is not None:
            problem = self._problem(address)
            if problem:
                raise BlockedAddressError(
                    f"refused to fetch {url}: {address} is {problem}", url=url
                )
            return
        name = host.lower().rstrip(".")
        if name in _INTERNAL_NAMES or name.endswith(_INTERNAL_SUFFIXES):
            raise BlockedAddressError(
                f"refused to fetch {url}: {host!r} is an internal host name; {_HOW_TO_ALLOW}",
                url=url,
            )

    def check_resolved(self, host: str, addresses: Iterable[str]) -> None:
        """BlockedAddressError unless every address ``host`` resolved to is allowed."""
        if self.allow_private or self.host_allowed(host):
            return
        for text in addresses:
            address = literal_address(text)
            if address is None:
                raise BlockedAddressError(
                    f"{host!r} resolves to {text!r}, not an address", url=host
                )
            problem = self._problem(address)
            if problem:
                raise BlockedAddressError(
                    f"{host!r} resolves to {address}, which is {problem}", url=host
                )

    def _problem(self, address: IPAddress) -> str | None:
        problem = address_problem(address)
        if problem is None or self.address_allowed(address):
            return None
        return f"{problem}, not a public internet address; {_HOW_TO_ALLOW}"


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that returns a host's addresses only when the guard allows them all."""

    def __init__(self, guard: AddressGuard, inner: AbstractResolver | None = None) -> None:
        self._guard = guard
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._inner is None:  # created lazily: ThreadedResolver wants a running loop
            self._inner = aiohttp.ThreadedResolver(asyncio.get_running_loop())
        results = await self._inner.resolve(host, port, family)
        self._guard.check_resolved(host, [result["host"] for result in results])
        return results

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()
