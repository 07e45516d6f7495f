"""The layers of ARCHITECTURE.md name every module, and every package says what it owns.

`lint-imports` (run by .ci/run) checks the imports against the layers in pyproject.toml;
a module that is in no layer would escape it, so a new module must find its place here.
"""

from __future__ import annotations

import ast
import pkgutil
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("monitor", "sources", "storage", "notifiers", "dashboard")
# The package of the core and its `python -m monitor` entry point: no code of their own.
OUTSIDE_LAYERS = {"monitor", "monitor.__main__"}


def layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["type"] == "layers"]
    return [
        name.strip() for layer in contract["layers"] for name in layer.replace(":", "|").split("|")
    ]


def modules() -> list[tuple[str, bool]]:
    """Every module of the packages, and whether it is a package."""
    found = [(name, True) for name in PACKAGES]
    for package in PACKAGES:
        found += [
            (info.name, info.ispkg)
            for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}.")
        ]
    return found


def test_every_module_is_in_a_layer():
    named = layers()
    orphans = [
        name
        for name, _ in modules()
        if name not in OUTSIDE_LAYERS
        and not any(name == layer or name.startswith(f"{layer}.") for layer in named)
    ]
    assert not orphans, f"put these in a layer of [tool.importlinter] in pyproject.toml: {orphans}"


def test_every_package_has_a_docstring_saying_what_it_owns():
    missing = []
    for name, is_package in modules():
        if not is_package:
            continue
        path = ROOT / name.replace(".", "/") / "__init__.py"
        docstring = ast.get_docstring(ast.parse(path.read_text()))
        if not docstring or len(docstring.split()) < 8:
            missing.append(name)
    assert not missing, missing
