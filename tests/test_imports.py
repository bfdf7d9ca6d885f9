"""Imports run one way: gis <- layers <- maps <- cli, only cli imports click, and maps/ imports
only gis, itself, the mapping libraries and the standard library."""

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


# what maps/ may import beyond the standard library
MAPS_ALLOWED = {"folium", "branca", "geopandas", "shapely", "pyproj", "numpy", "pandas", "gis", "maps"}
_STDLIB = {"__future__", "base64", "collections", "contextlib", "dataclasses", "functools", "hashlib", "html",
           "importlib", "json", "os", "pathlib", "re", "types", "typing", "urllib"}


def test_maps_imports_only_gis_and_libraries():
    for source in sorted((ROOT / "maps").glob("*.py")):
        for name in imported(source):
            assert name in MAPS_ALLOWED or name in _STDLIB, f"{source.name} imports {name}"
