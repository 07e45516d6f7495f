"""The SSRF guard: which addresses are refused, and that no request reaches them.

Only loopback addresses are ever connected to here: a refused private, link-local or
metadata address is tested on the guard itself (it refuses before any socket exists), and
the end-to-end tests use 127.0.0.1, 127.0.0.2, ::1 and names that resolve to them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from monitor.app import App, fetch_policy
from monitor.config import HttpSettings, Settings, load_settings
from monitor.errors import BlockedAddressError, ConfigError, FetchError
from monitor.types import CheckOutcome
from sources.fetch.fetcher import Fetcher, FetchPolicy, make_client
from sources.fetch.ssrf import AddressGuard, GuardedResolver, address_problem
from storage.queries import ChangeFilter
from tests.checking import check
from tests.servers.hostile import HostileServer, running


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with running() as started:
        yield started


UA = "lexwatch-test/1.0 (+mailto:tests@example.org)"


@pytest.fixture(autouse=True)
def guard_as_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo conftest's test-suite-wide allowance: these tests need the default."""
    monkeypatch.delenv("LEXWATCH_HTTP__ALLOW_PRIVATE_ADDRESSES", raising=False)


REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "172.31.255.254": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",
    "169.254.0.1": "link-local",
    "100.64.0.1": "CGNAT",
    "100.127.255.254": "CGNAT",
    "224.0.0.251": "multicast",
    "239.255.255.250": "multicast",
    "0.0.0.0": "unspecified",
    "0.1.2.3": "private",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "192.0.2.10": "private",
    "198.18.0.1": "private",
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "ff02::1": "multicast",
    "::ffff:127.0.0.1": "an IPv6 address embedding 127.0.0.1, which is loopback",
    "::ffff:169.254.169.254": "embedding 169.254.169.254, which is link-local",
    "::ffff:10.0.0.1": "embedding 10.0.0.1, which is private",
    "64:ff9b::a9fe:a9fe": "embedding 169.254.169.254",
    "2002:7f00:1::": "embedding 127.0.0.1",
    "::7f00:1": "IPv4-compatible",
    "2001:db8::1": "private",
}
PUBLIC = [
    "147.67.210.45",
    "8.8.8.8",
    "100.63.255.255",
    "100.128.0.0",
    "172.32.0.1",
    "2a01:7e0:0:424::249",
    "::ffff:147.67.210.45",
    "64:ff9b::808:808",
    "2002:808:808::",
]


@pytest.mark.parametrize("address", list(REFUSED))
def test_non_public_address_is_refused(address: str) -> None:
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None and REFUSED[address] in problem


@pytest.mark.parametrize("address", PUBLIC)
def test_public_address_passes(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


GUARD = AddressGuard.build(allow_private=False, allowed_hosts=[])


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST.",
        "api.localhost",
        "metadata.google.internal",
        "metadata",
        "metadata.goog",
        "instance-data",
        "db.internal",
        "printer.local",
        "169.254.169.254",
        "[fd00::1]",
        "[fe80::1%eth0]",
        "10.0.0.1",
    ],
)
def test_internal_name_or_literal_is_refused_before_resolving(host: str) -> None:
    with pytest.raises(BlockedAddressError, match="http.allowed_hosts") as info:
        GUARD.check_url(f"http://{host}/latest/meta-data/", host)
    assert info.value.url == f"http://{host}/latest/meta-data/"


def test_public_name_passes_the_url_check() -> None:
    GUARD.check_url("https://eur-lex.europa.eu/", "eur-lex.europa.eu")  # resolved later


def test_allowed_hosts_by_name_wildcard_and_network() -> None:
    guard = AddressGuard.build(
        allow_private=False,
        allowed_hosts=[
            "intranet.example.org",
            "*.corp.example",
            "10.20.0.0/16",
            "fd00::/8",
            "127.0.0.1",
        ],
    )
    guard.check_url("http://intranet.example.org/", "intranet.example.org")
    guard.check_resolved("intranet.example.org", ["192.168.7.7"])  # the name is trusted
    guard.check_resolved("wiki.corp.example", ["10.9.9.9"])
    guard.check_resolved("portal.example.eu", ["10.20.3.4", "fd00::5"])
    guard.check_url("http://127.0.0.1:8080/", "127.0.0.1")
    with pytest.raises(BlockedAddressError, match="10.21.0.1"):
        guard.check_resolved("portal.example.eu", ["10.20.3.4", "10.21.0.1"])  # every address
    with pytest.raises(BlockedAddressError):
        guard.check_resolved("corp.example", ["10.9.9.9"])  # "*." means subdomains only
    with pytest.raises(BlockedAddressError):
        guard.check_url("http://169.254.169.254/", "169.254.169.254")


@pytest.mark.parametrize("entry", ["http://intranet/", "10.0.0.0/33", "a b", "*.*.example", ""])
def test_bad_allowed_hosts_entry_is_a_config_error(entry: str) -> None:
    with pytest.raises(ConfigError, match="http.allowed_hosts"):
        FetchPolicy(user_agent=UA, allowed_hosts=(entry,))


def test_settings_refuse_private_addresses_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    policy = fetch_policy(Settings())
    assert (policy.allow_private_addresses, policy.allowed_hosts) == (False, ())
    monkeypatch.setenv("LEXWATCH_HTTP__ALLOWED_HOSTS", '["10.0.0.0/8", "wiki.corp"]')
    assert fetch_policy(load_settings()).allowed_hosts == ("10.0.0.0/8", "wiki.corp")


def default_policy() -> FetchPolicy:
    settings = Settings(http=HttpSettings(retries=0, per_host_spacing=0))
    return fetch_policy(settings)


def fetch(url: str, policy: FetchPolicy) -> None:
    async def run() -> None:
        async with make_client(policy) as client:
            await Fetcher(client, policy).fetch(url)

    asyncio.run(run())


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]"])
def test_loopback_fetch_is_refused_before_any_request(host: str, server: HostileServer) -> None:
    server.good("/doc", "<p>secret admin page</p>")
    with pytest.raises(BlockedAddressError, match="refused to fetch"):
        fetch(server.url("/doc", host=host), default_policy())
    assert server.hits("/doc") == server.hits("/robots.txt") == 0


def test_allowed_host_is_fetched_but_its_redirect_to_localhost_is_not(
    server: HostileServer,
) -> None:
    policy = fetch_policy(Settings(http=HttpSettings(allowed_hosts=["127.0.0.1"], retries=0)))
    server.misbehave("/doc", "redirect", location=server.url("/admin", host="localhost"))
    server.good("/admin", "<p>admin</p>")
    with pytest.raises(BlockedAddressError, match="'localhost' is an internal host name"):
        fetch(server.url("/doc"), policy)
    assert (server.hits("/doc"), server.hits("/admin")) == (1, 0)


def test_refused_source_is_a_failed_check_without_alert(
    tmp_path: Path, server: HostileServer
) -> None:
    """Through the pipeline: recorded as a failed check with the reason, nothing else."""
    server.good("/doc", "<main><h1>Internal</h1><p>Do not leak.</p></main>")
    config = tmp_path / "lexwatch.toml"
    config.write_text(f"""
database_url = "sqlite:///{tmp_path / "lexwatch.db"}"
builtin_catalog = false
[http]
contact = "mailto:tests@example.org"
retries = 0
[sources.intranet]
url = "{server.url("/doc")}"
parser = "html"
""")
    app = App.start(load_settings(config))
    try:
        result = check(app, "intranet")
        assert result.outcome is CheckOutcome.FAILED
        [row] = app.store.checks("intranet")
        assert row.outcome == "failed" and row.error and "127.0.0.1 is loopback" in row.error
        assert app.store.changes(ChangeFilter()) == [] and app.store.counts()["snapshots"] == 0
        assert server.hits("/doc") == 0
    finally:
        app.close()


class StubResolver(AbstractResolver):
    """Answers from a list, one answer per lookup: a DNS server that changes its mind."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.lookups = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        address = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


def test_every_connection_checks_the_address_it_connects_to(server: HostileServer) -> None:
    """DNS rebinding: the name first resolves to an allowed address, then to a refused one.

    The connector connects only to what the guarded resolver returned, so the second answer
    is refused at connect time and no request reaches it.
    """
    server.good("/doc", "<p>ok</p>")
    guard = AddressGuard.build(allow_private=False, allowed_hosts=["127.0.0.1/32"])
    stub = StubResolver(["127.0.0.1", "127.0.0.2"])
    url = f"http://rebind.example:{server.port}/doc"

    async def get() -> int:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(guard, stub), use_dns_cache=False, force_close=True
        )
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get(url) as response:
                return response.status

    assert asyncio.run(get()) == 200
    refused = r"'rebind.example' resolves to 127\.0\.0\.2, which is loopback"
    with pytest.raises(BlockedAddressError, match=refused):
        asyncio.run(get())
    assert (stub.lookups, server.hits("/doc")) == (2, 1)


def test_an_embedded_address_is_named_in_a_sentence() -> None:
    with pytest.raises(BlockedAddressError) as info:
        GUARD.check_url("http://[::ffff:127.0.0.1]/", "[::ffff:127.0.0.1]")
    assert "::ffff:7f00:1 is an IPv6 address embedding 127.0.0.1, which is loopback" in str(
        info.value
    )
    assert " is embeds " not in str(info.value)


@pytest.mark.parametrize(
    "host, form",
    [
        ("2130706433", "decimal"),
        ("0177.0.0.1", "octal"),
        ("0x7f.0.0.1", "hexadecimal"),
        ("0x7f000001", "hexadecimal"),
        ("127.1", "shortened"),
        ("017700000001", "octal"),
    ],
)
def test_an_ip_address_written_in_another_form_is_refused_with_the_reason(
    host: str, form: str, server: HostileServer
) -> None:
    """Even where private addresses are allowed: such hosts mean different addresses to
    different tools. The message says what the host stands for and how to write it."""
    server.good("/doc", "<p>admin</p>")
    policy = fetch_policy(Settings(http=HttpSettings(allow_private_addresses=True, retries=0)))
    with pytest.raises(BlockedAddressError) as info:
        fetch(f"http://{host}:{server.port}/doc", policy)
    said = str(info.value)
    assert f"its host {host!r} is the IPv4 address 127.0.0.1 written in another form" in said
    assert "use 127.0.0.1" in said and "robots.txt" not in said
    assert server.hits("/doc") == server.hits("/robots.txt") == 0


def test_a_redirect_to_an_ip_address_written_in_another_form_is_refused(
    server: HostileServer,
) -> None:
    policy = fetch_policy(Settings(http=HttpSettings(allowed_hosts=["127.0.0.1"], retries=0)))
    server.misbehave("/doc", "redirect", location=f"http://2130706433:{server.port}/admin")
    with pytest.raises(BlockedAddressError, match="its host '2130706433' is the IPv4 address"):
        fetch(server.url("/doc"), policy)
    assert server.hits("/admin") == 0


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "gopher://127.0.0.1:70/_x", "ftp://example.org/x"]
)
def test_a_redirect_to_another_scheme_is_refused_with_the_reason(
    location: str, server: HostileServer
) -> None:
    policy = fetch_policy(Settings(http=HttpSettings(allowed_hosts=["127.0.0.1"], retries=0)))
    server.misbehave("/doc", "redirect", location=location)
    with pytest.raises(BlockedAddressError) as info:
        fetch(server.url("/doc"), policy)
    scheme = location.split(":")[0]
    assert f"to {location!r}: lexwatch follows redirects only to http(s) URLs, not {scheme}:" in (
        str(info.value)
    )


def test_blocked_address_is_a_fetch_error_subclass() -> None:
    assert issubclass(BlockedAddressError, FetchError)
