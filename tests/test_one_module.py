"""One standard, one module (issue 21): where each standard's key is still named outside its
own module (layers/standards/<key>.py) and the registry (layers/standards/__init__.py).

A mention is the key as a name or string in code: ``road``, ``"road"``, ``road_verdict``,
``f"{...}road_reason"``; prose in docstrings ("the hardened road") is not one. ``REMAINING``
is the work left: a module may leave it (then take it off the list here), none may join it.
When a standard's list is empty, adding a standard touches only its own module: the optional
standards (school, housing, power: whole plug-ins) were added so and are on no list."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from layers.standards import ALL, OPTIONAL

ROOT = Path(__file__).resolve().parent.parent

# module -> the standards it still names: none now; a module may not join it
REMAINING: dict[str, set[str]] = {}


# OpenStreetMap's own words (highway=bus_stop, amenity=post_office) and the layers `covermap
# osm` writes (bus_stops, bus_routes, post), which the bus and post plug-ins' input tables read: names of
# data, not of the standards, in the modules that convert an extract and report it (only there);
# the extract's reader also reads amenity=clinic and route=bus
OSM_WORDS = frozenset({"bus_stop", "bus_stops", "bus_routes", "post", "post_office"})
# time to care's own columns, which bear the clinic standard's key: users read them, so they keep
# their names, named in care.py alone (layers/clinics.py takes the names it writes as arguments)
CARE_COLUMNS = frozenset({"clinic_network_m", "clinic_travel_min"})
DATA_NAMES: dict[str, frozenset[str]] = {"layers/osm.py": OSM_WORDS | {"clinic", "bus"}, "layers/osmprofile.py": OSM_WORDS,
                                         "cli.py": OSM_WORDS, "layers/standards/care.py": CARE_COLUMNS}


def _body(token: str) -> str:
    found = re.match(r"(?s)^[rbfuRBFU]*('''|\"\"\"|'|\")(.*)\1$", token)
    return found.group(2) if found else token


def mentions(path: Path, key: str, data_names: frozenset[str] = frozenset()) -> list[int]:
    """The lines of ``path`` that name ``key`` in code (a string that is one of ``data_names``
    is not a mention)."""
    whole = re.compile(rf"^{key}(_\w*)?$")
    inside = re.compile(rf"(?<![A-Za-z0-9_]){key}_\w+")
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if token.type == tokenize.NAME and (token.string == key or token.string.startswith(f"{key}_")):
            lines.add(token.start[0])
        elif token.type == tokenize.STRING:
            body = _body(token.string)
            named = whole.match(body.strip()) and body.strip() not in data_names
            if named or ("{" in body and any(m.group(0) not in data_names for m in inside.finditer(body))):
                lines.add(token.start[0])
    return sorted(lines)


def modules() -> list[Path]:
    found = [path for base in ("gis", "layers", "maps") for path in sorted((ROOT / base).rglob("*.py"))
             if "sample" not in path.relative_to(ROOT).parts]
    return [*found, ROOT / "cli.py"]


def naming(key: str) -> set[str]:
    own = {ROOT / "layers" / "standards" / f"{key}.py", ROOT / "layers" / "standards" / "__init__.py"}
    return {path.relative_to(ROOT).as_posix() for path in modules()
            if path not in own and mentions(path, key, DATA_NAMES.get(path.relative_to(ROOT).as_posix(), frozenset()))}


@pytest.mark.parametrize("key", [standard.key for standard in ALL])
def test_no_module_joins_the_list(key):
    expected = {module for module, keys in REMAINING.items() if key in keys}
    found = naming(key)
    assert not found - expected, f"{sorted(found - expected)} now name the {key!r} standard: declare it in " \
                                 f"layers/standards/{key}.py and iterate over the registry instead"
    assert not expected - found, f"{sorted(expected - found)} no longer name {key!r}: take them off REMAINING"


def test_the_plug_ins_are_named_nowhere_else():
    assert OPTIONAL and not {key for keys in REMAINING.values() for key in keys} & {s.key for s in OPTIONAL}


def test_every_standard_has_its_module():
    for standard in ALL:
        module = ROOT / "layers" / "standards" / f"{standard.key}.py"
        assert module.is_file() and mentions(module, standard.key)


def test_the_mention_finder_finds_what_it_should(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text('"""The hardened road standard."""\nx = "road"\ny = row["road_verdict"]\n'
                      'z = f"{p}road_reason"\nroads = 1\nroad_rules = 2\n# road\nw = "the road"\n', encoding="utf-8")
    assert mentions(sample, "road") == [2, 3, 4, 6]
    layers = tmp_path / "osm.py"
    layers.write_text('a = "bus_stops"\nb = f"{n[\'bus_stops\']}"\nc = "bus"\nd = f"{k}bus_verdict"\n'
                      'def bus_stop_kinds(): pass\n', encoding="utf-8")
    assert mentions(layers, "bus", OSM_WORDS) == [3, 4, 5] and mentions(layers, "bus") == [1, 2, 3, 4, 5]
