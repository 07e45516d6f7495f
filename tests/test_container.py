"""The image and compose file keep their promises (no Docker engine needed to check them).

There is no Docker engine on the CI machine, so the Dockerfile is never built here; these
tests read it and compose.yaml and check what a deployment relies on, and that the image
installs with the same constraints file as CI, so CI's run proves the image's versions.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from monitor.cli import main

ROOT = Path(__file__).resolve().parents[1]


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """[(INSTRUCTION, arguments)] per stage, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), " ".join(args.split())))
    return stages


def instructions(stage: list[tuple[str, str]], name: str) -> list[str]:
    return [args for instruction, args in stage if instruction == name]


def test_the_image_is_multi_stage_and_the_final_stage_has_no_build_tools():
    builder, final = dockerfile_stages()
    assert instructions(builder, "FROM") == ["python:3.11-slim AS builder"]
    assert instructions(final, "FROM") == ["python:3.11-slim"]
    assert any("build-essential" in run for run in instructions(builder, "RUN"))
    for run in instructions(final, "RUN"):
        assert not re.search(r"build-essential|gcc|\bmake\b", run), run
        # The one package the final stage installs: Chromium, for render = true.
        for packages in re.findall(r"apt-get install((?: -\S+)*) ([^&]+)", run):
            assert packages[1].split() == ["chromium"], run
    assert instructions(final, "COPY")[0] == "--from=builder /wheels /wheels"


def test_the_image_runs_lexwatch_run_as_a_non_root_user_with_a_data_volume():
    final = dockerfile_stages()[-1]
    [user] = instructions(final, "USER")
    assert user not in ("root", "0")
    assert any("useradd" in run and user in run for run in instructions(final, "RUN"))
    assert instructions(final, "WORKDIR")[-1] == "/data"
    assert instructions(final, "VOLUME") == ['["/data"]']
    assert instructions(final, "EXPOSE") == ["8787"]
    assert json.loads(instructions(final, "ENTRYPOINT")[0]) == ["lexwatch"]
    assert json.loads(instructions(final, "CMD")[0]) == ["run"]
    assert "run" in main.commands
    # The dashboard must listen beyond the container's own loopback for the port mapping.
    assert "LEXWATCH_DASHBOARD__HOST=0.0.0.0" in " ".join(instructions(final, "ENV"))


def test_the_health_check_probes_healthz_with_the_standard_library():
    [check] = instructions(dockerfile_stages()[-1], "HEALTHCHECK")
    command = json.loads(check[check.index("CMD ") + 4 :])
    assert command[:2] == ["python", "-c"]
    compile(command[2], "healthcheck", "exec")  # valid Python
    assert "http://127.0.0.1:8787/healthz" in command[2] and "urllib" in command[2]


def pip_installs(text: str) -> list[list[str]]:
    """Every `pip install|wheel ...` command in a shell text, as argument lists."""
    commands = []
    for match in re.finditer(r"pip (install|wheel) ([^&;\n]*)", text.replace("\\\n", " ")):
        commands.append([match.group(1), *shlex.split(match.group(2))])
    return commands


def constraints_file(args: list[str]) -> str | None:
    for flag in ("-c", "--constraint"):
        if flag in args:
            return Path(args[args.index(flag) + 1]).name
    return None


def test_the_image_and_ci_install_with_the_same_constraints_file():
    image = [c for c in pip_installs((ROOT / "Dockerfile").read_text())]
    assert image and all(constraints_file(c) == "constraints.txt" for c in image), image
    ci = [c for c in pip_installs((ROOT / ".ci" / "run").read_text()) if "-e" in c]
    assert ci, ".ci/run does not install the project"
    assert all(constraints_file(c) == "constraints.txt" for c in ci), (
        f".ci/run must install with `-c constraints.txt` like the Dockerfile: {ci}"
    )


def test_the_image_copies_every_package_of_the_distribution():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in include}
    builder = dockerfile_stages()[0]
    copied = {args.split()[0] for args in instructions(builder, "COPY")}
    assert packages <= copied, f"the Dockerfile does not copy {packages - copied}"
    assert {"pyproject.toml", "constraints.txt"} <= set(
        " ".join(instructions(builder, "COPY")).split()
    )


def _dev_closure() -> dict[str, str]:
    """Every distribution `pip install -e '.[dev]'` pulls in, with its installed version."""
    found: dict[str, str] = {}
    todo = [("lexwatch", frozenset({"dev"}))]
    while todo:
        name, extras = todo.pop()
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue  # a marker excluded it on this platform
        key = canonicalize_name(dist.metadata["Name"])
        if key in found and not extras:
            continue
        found[key] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            envs = [{"extra": extra} for extra in extras or {""}]
            if req.marker is None or any(req.marker.evaluate(env) for env in envs):
                todo.append((req.name, frozenset(req.extras)))
    found.pop("lexwatch")
    return found


def test_constraints_pin_every_installed_dependency_at_its_installed_version():
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    installed = _dev_closure()
    missing = sorted(set(installed) - set(pins))
    assert not missing, f"constraints.txt does not pin {missing}; see its header to regenerate"
    differ = {n: (pins[n], v) for n, v in installed.items() if pins[n] != v}
    assert not differ, f"installed versions differ from constraints.txt (pin, installed): {differ}"


def readme_commands(heading: str) -> str:
    """The shell block that follows ``heading`` in the README's quick start."""
    text = (ROOT / "README.md").read_text()
    block = re.search(rf"{re.escape(heading)}\s*```sh\n(.+?)\n```", text, re.S)
    assert block, f"the README has no command block after {heading!r}"
    return block.group(1)


def test_the_readme_test_command_installs_as_ci_does():
    """A fresh machine that runs the README's command gets the versions CI tested, so the
    constraints test above passes there too."""
    [readme] = pip_installs(readme_commands("Run the whole test suite:"))
    [ci] = [c for c in pip_installs((ROOT / ".ci" / "run").read_text()) if "-e" in c]
    assert [a for a in readme if a != "--quiet"] == [a for a in ci if a != "--quiet"]
    [quick] = pip_installs(readme_commands("on http://127.0.0.1:8787):"))
    assert constraints_file(quick) == "constraints.txt", quick


def test_every_pinned_dependency_runs_on_the_oldest_python_the_project_accepts():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    oldest = re.fullmatch(r">=\s*([\d.]+)", requires)
    assert oldest, f"requires-python {requires!r} has no lower bound"
    too_new = {}
    for name in _dev_closure():
        needs = distribution(name).metadata.get("Requires-Python")
        if needs and not SpecifierSet(needs).contains(oldest.group(1)):
            too_new[name] = needs
    assert not too_new, f"pyproject.toml says {requires!r}, but pinned packages need {too_new}"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_compose_runs_lexwatch_with_postgres_and_publishes_the_dashboard_locally(compose):
    services = compose["services"]
    lexwatch, postgres = services["lexwatch"], services["postgres"]
    assert lexwatch["command"] == ["${LEXWATCH_COMMAND:-run}"]
    assert lexwatch["ports"] == ["127.0.0.1:8787:8787"]
    assert lexwatch["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert lexwatch["environment"]["LEXWATCH_DATABASE_URL"].startswith("postgresql://")
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    assert {"lexwatch-data", "postgres-data"} <= set(compose["volumes"])


def test_compose_scale_out_profile_runs_the_scheduler_and_workers(compose):
    services = compose["services"]
    for name in ("scheduler", "worker"):
        assert services[name]["profiles"] == ["scaleout"]
        assert services[name]["command"] == [name]
        assert name in main.commands, f"`lexwatch {name}` does not exist"


def test_compose_keeps_secrets_in_the_env_file(compose):
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|TOKEN|SECRET|USERS", key):
                assert str(value).startswith("${"), f"{name}.{key} is written in compose.yaml"
        if name != "postgres":
            assert service["env_file"] == [{"path": ".env", "required": False}]
    assert "${POSTGRES_PASSWORD" in services_text(compose)


def services_text(compose: dict[str, Any]) -> str:
    return json.dumps(compose["services"])
