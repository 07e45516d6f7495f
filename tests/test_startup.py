"""What a `lexwatch` command loads, and what it says, before it does its work.

Every cron run and every `--help` pays for the modules a command imports: these tests run
real processes and list the packages each one loaded (how many CPU seconds that costs is
measured by bench/startup.py, never asserted here). And the `http.contact` warning is said
by the commands that fetch, once, not by every command.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from storage.revision import is_current
from tests.processes import LOOPBACK, clean_env
from tests.servers.replay import ReplayServer

ROOT = Path(__file__).resolve().parents[1]
# Runs the command in-process, then prints the top-level packages it loaded (and rich.progress).
LOADED = """
import sys
from monitor.cli import main
try:
    main(sys.argv[1:], prog_name="lexwatch")
except SystemExit as stop:
    code = stop.code
# (A None entry is a module kept from loading: monitor/__init__.py keeps httpx's CLI out.)
modules = {name for name, module in sys.modules.items() if module is not None}
names = {name.split(".")[0] for name in modules} | modules & {"rich.progress"}
print("LOADED", " ".join(sorted(names)), file=sys.stderr)
sys.exit(code)
"""
# Packages for the dashboard, the scale-out queue, alert channels, calendars, migrations and
# the network: none of the commands below uses them.
SERVICE_ONLY = {
    "fastapi",
    "starlette",
    "uvicorn",
    "procrastinate",
    "apprise",
    "slack_sdk",
    "icalendar",
    "jinja2",
    "alembic",
    "mako",
    "httpx",
    "aiohttp",
    "rich.progress",
}


def loaded(cwd: Path, *args: str, env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, *args],
        cwd=cwd,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("LOADED ")]
    return set(line.split()[1:])


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "lexwatch.toml").write_text("builtin_catalog = false\n")
    return tmp_path


@pytest.fixture(scope="module")
def current_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose database `lexwatch db upgrade` made current, once for the module."""
    folder = tmp_path_factory.mktemp("current")
    (folder / "lexwatch.toml").write_text("builtin_catalog = false\n")
    loaded(folder, "db", "upgrade")
    return folder


@pytest.fixture
def current_workdir(workdir: Path, current_database: Path) -> Path:
    """``workdir`` whose database exists and is current: a copy of that one's files."""
    for made in current_database.glob("lexwatch.db*"):
        shutil.copyfile(made, workdir / made.name)
    return workdir


def test_help_loads_click_and_nothing_heavy(workdir: Path):
    found = loaded(workdir, "--help")
    assert "click" in found
    assert not found & (SERVICE_ONLY | {"sqlalchemy", "sqlmodel", "pydantic", "rich", "lxml"})


@pytest.mark.parametrize("command", [["status"], ["changes"], ["sources"], ["deadlines"]])
def test_commands_load_only_what_they_use(current_workdir: Path, command: list[str]):
    found = loaded(current_workdir, *command)  # the database exists and is current
    assert "sqlalchemy" in found  # they did open the database
    assert not found & SERVICE_ONLY, sorted(found & SERVICE_ONLY)


NOTHING_TO_CHECK = "nothing to check: no source is enabled (see `lexwatch sources`)\n"
DATABASE = {"sqlalchemy", "sqlmodel", "alembic", "rich"}


def test_nothing_to_check_is_one_line_without_the_database_layer(current_workdir: Path):
    found = loaded(current_workdir, "check", "--all")  # the database exists and is current
    assert not found & (SERVICE_ONLY | DATABASE), sorted(found & (SERVICE_ONLY | DATABASE))
    result = lexwatch(current_workdir, "check", "--all")
    assert result.returncode == 0, result.stderr
    assert result.stdout == NOTHING_TO_CHECK
    json_result = lexwatch(current_workdir, "check", "--all", "--json")
    assert json_result.returncode == 0, json_result.stderr
    assert json_result.stdout == "[]\n"


def test_nothing_to_check_still_creates_the_database_first(workdir: Path):
    assert "sqlalchemy" in loaded(workdir, "check", "--all")  # a new database: the full way
    assert is_current(f"sqlite:///{workdir / 'lexwatch.db'}")
    assert "sqlalchemy" not in loaded(workdir, "check", "--all")


def test_nothing_to_check_with_a_subscription_still_sends_what_is_due(current_workdir: Path):
    # Alerts waiting in the outbox are sent by `check`: the database must be opened.
    (current_workdir / "lexwatch.toml").write_text("""
builtin_catalog = false
[[subscriptions]]
name = "team"
channel = "webhook"
target = "http://127.0.0.1:9/hook"
""")
    assert "sqlalchemy" in loaded(current_workdir, "check", "--all")


def test_nothing_to_check_refuses_what_a_start_refuses(current_workdir: Path):
    # A role for a user that does not exist: a start refuses it, and so does this shortcut.
    (current_workdir / "lexwatch.toml").write_text(
        'builtin_catalog = false\n[dashboard.roles]\nmallory = "admin"\n'
    )
    result = lexwatch(current_workdir, "check", "--all")
    assert result.returncode == 2, result.stdout
    assert "dashboard.roles names user(s) 'mallory'" in result.stderr


def test_a_new_database_is_built_on_first_use_without_alembic(workdir: Path):
    # Built from the models (tests/test_schema.py): Alembic loads only for a migration.
    assert "alembic" not in loaded(workdir, "status")
    assert is_current(f"sqlite:///{workdir / 'lexwatch.db'}")


def one_source(folder: Path, server: ReplayServer) -> None:
    (folder / "lexwatch.toml").write_text(f"""
builtin_catalog = false
[sources.guidance]
url = "{server.add("/guidance", "<main><h1>Guidance</h1><p>Text.</p></main>")}"
parser = "html"
""")


def test_a_check_printing_json_loads_no_console_library(
    tmp_path: Path, replay_server: ReplayServer
):
    # httpx would load rich and pygments for its own command-line tool (monitor/__init__.py).
    one_source(tmp_path, replay_server)
    loaded(tmp_path, "check", "--all", "--json", env=LOOPBACK)  # the first: a new database
    found = loaded(tmp_path, "check", "--all", "--json", env=LOOPBACK)
    assert "httpx" in found  # it did fetch
    assert not found & {"rich", "pygments"}, sorted(found & {"rich", "pygments"})


CONTACT = "http.contact is not set"


def lexwatch(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=clean_env(LOOPBACK),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_contact_warning_is_said_once_by_what_fetches(
    tmp_path: Path, replay_server: ReplayServer
):
    one_source(tmp_path, replay_server)
    for quiet in (
        ["--help"],
        ["status"],
        ["changes"],
        ["sources"],
        ["config", "check"],
        ["check", "--all", "--help"],
    ):
        result = lexwatch(tmp_path, *quiet)
        assert result.returncode == 0, result.stderr
        assert CONTACT not in result.stderr, quiet
    checked = lexwatch(tmp_path, "check", "--all")
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.count(CONTACT) == 1
