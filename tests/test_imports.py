"""Imports run one way: gis <- layers <- maps <- cli, and only cli imports click."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = {"gis": 0, "layers": 1, "maps": 2, "cli": 3}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules():
    for package in ("gis", "layers", "maps"):
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path
    yield "cli", ROOT / "cli.py"


@pytest.mark.parametrize("package, path", list(modules()), ids=lambda v: str(v).replace(str(ROOT) + "/", ""))
def test_imports_run_one_way(package, path):
    names = imported(path)
    upward = {name for name in names if name in ORDER and ORDER[name] > ORDER[package]}
    assert not upward, f"{path.relative_to(ROOT)} imports {sorted(upward)}"
    if package != "cli":
        assert "click" not in names, f"{path.relative_to(ROOT)} imports click"


def test_the_walk_sees_every_package():
    seen = {package for package, _ in modules()}
    assert seen == set(ORDER)
    assert sum(1 for _ in modules()) > 15
