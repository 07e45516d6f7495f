"""Who a client is, as the login throttle counts it: the address it connects from, unless it
connects through a proxy listed in dashboard.trusted_proxies. Served by uvicorn exactly as
`lexwatch run` and `lexwatch serve` serve the dashboard (dashboard.app.serve), on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from monitor.app import App
from monitor.config import DashboardSettings, load_settings
from monitor.errors import ConfigError
from tests.dashboard_pages_seed import PASSWORD, database_path, start
from tests.servers.dashboard import served


def log_in(base_url: str, password: str, forwarded_for: str | None = None) -> int:
    """One login attempt from a fresh browser; the status the form answers with."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as browser:
        form = browser.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        return browser.post(
            "/login", data={"username": "alice", "password": password, "csrf_token": token.group(1)}
        ).status_code


@pytest.fixture
def dashboard(tmp_path, request: pytest.FixtureRequest) -> Iterator[str]:
    app: App = start(database_path(tmp_path), **getattr(request, "param", {}))
    with served(app) as base_url:
        yield base_url
    app.close()


def test_a_local_client_cannot_pick_its_address_by_default(dashboard: str):
    """uvicorn alone believes X-Forwarded-For from 127.0.0.1: each guess would count for a
    different, invented client and the throttle would never block."""
    for n in range(5):
        assert log_in(dashboard, "guess", forwarded_for=f"203.0.113.{n}") == 401
    assert log_in(dashboard, PASSWORD, forwarded_for="203.0.113.99") == 429


@pytest.mark.parametrize("dashboard", [{"trusted_proxies": ["127.0.0.1"]}], indirect=True)
def test_behind_a_trusted_proxy_each_forwarded_client_counts_alone(dashboard: str):
    for _ in range(5):
        assert log_in(dashboard, "guess", forwarded_for="198.51.100.7") == 401
    assert log_in(dashboard, PASSWORD, forwarded_for="198.51.100.7") == 429  # that client waits
    assert log_in(dashboard, PASSWORD, forwarded_for="198.51.100.8") == 303  # others do not


@pytest.mark.parametrize("dashboard", [{"trusted_proxies": ["10.0.0.0/8"]}], indirect=True)
def test_a_proxy_not_listed_is_not_believed(dashboard: str):
    for n in range(5):
        assert log_in(dashboard, "guess", forwarded_for=f"203.0.113.{n}") == 401
    assert log_in(dashboard, PASSWORD, forwarded_for="203.0.113.99") == 429


def test_trusted_proxies_are_addresses_or_networks(tmp_path, monkeypatch):
    assert DashboardSettings(trusted_proxies=[" 10.1.2.3/8", "::1"]).trusted_proxies == [
        "10.0.0.0/8",
        "::1",
    ]
    config = tmp_path / "lexwatch.toml"
    config.write_text('[dashboard]\ntrusted_proxies = ["proxy.local"]\n')
    with pytest.raises(ConfigError, match=r"'proxy.local' is not an IP address or network"):
        load_settings(config)
    config.write_text("")
    monkeypatch.setenv("LEXWATCH_DASHBOARD__TRUSTED_PROXIES", '["127.0.0.1"]')
    assert load_settings(config).dashboard.trusted_proxies == ["127.0.0.1"]
    assert DashboardSettings().trusted_proxies == []  # none by default
