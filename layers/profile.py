"""The standards profile: one TOML file read with tomllib into the frozen dataclasses of
``layers.settings``.

Unknown keys are errors; units are in key names; paths are resolved relative to the
profile file, never the working directory. Defaults follow ../shared/STANDARDS.md
(national profile); a provincial profile overrides them.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import math
import reprlib
import tomllib
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from pyproj import CRS

from gis.crs import check_metric, parse_crs
from gis.errors import ConfigError
from gis.files import read_bounded
from layers.settings import (MAP_BASEMAPS, MAP_LANGUAGES, TECHNOLOGY_DEFAULT, Checks, LayerTable, LedgerSettings,
                             MapSettings, Network, Profile, Scope, Source, Towns, Villages)
from layers import plugins
from layers.standards import DECLARED, RULES, VILLAGE_FLAGS, Standards
from layers.verdicts import STANDARDS

# the yes/no columns of the villages a standard can be applied to ([apply.<standard>] applies_to)
APPLIES_TO = ("poor_village",)

# Canonical column names each source understands, by its kind (a layer's: its key): (required, optional).
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "villages": (("code", "name", "township_code", "township_name"),
                 ("population", "poor_population", "seat_x", "seat_y", *VILLAGE_FLAGS, *APPLIES_TO)),
    "seats": (("code",), ()),
    **{layer.key: (layer.required, layer.optional) for layer in DECLARED},
    "towns": (("township_code",), ("name",)),
}

# the tables that hold layers' tables ([network]: [network.coverage], [network.fibre]) -> their own keys
GROUPS = {layer.section.split(".")[0]: frozenset() for layer in DECLARED if "." in layer.section} | {
    "network": frozenset({"technologies"})}

# A profile is a few kilobytes; a path at anything much larger is the wrong file (or one
# that never ends, such as /dev/zero), refused before it is read whole.
PROFILE_MAX_BYTES = 1 << 20


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile; ConfigError names the file and key at fault."""
    path = Path(path)
    try:
        text = read_bounded(path, PROFILE_MAX_BYTES, "profile", ConfigError).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: profile not found; create one with 'covermap init {path}'") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the profile ({exc}); save it as UTF-8 text") from None
    try:
        data = tomllib.loads(text)
        return parse_profile(data, path)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:   # tables or arrays nested thousands deep
        raise ConfigError(f"{path}: tables or arrays are nested too deeply to read; a profile needs at most "
                          "three levels (e.g. [standards.roads] or [network.coverage.columns])") from None


def parse_profile(data: Mapping[str, Any], path: Path) -> Profile:
    base = path.resolve().parent
    reader = _Reader(path, base)
    top = reader.table(data, "", TABLE_KEYS[""])
    project = reader.table(top.get("project", {}), "project", TABLE_KEYS["project"])
    crs_text = reader.value(project, "project", "working_crs", str, "auto")
    working = None if crs_text == "auto" else reader.crs(crs_text, "project.working_crs", metric=True)
    if "villages" not in top:
        raise ConfigError(f"{path}: no [villages] table; every profile needs the village boundaries")
    vtable = reader.table(top["villages"], "villages", TABLE_KEYS["villages"])
    code_list = reader.value(vtable, "villages", "code_list", str, None)
    seat_crs_text = reader.value(vtable, "villages", "seat_crs", str, None)
    villages_source = reader.source(vtable, "villages")
    if ("seat_x" in villages_source.columns) != ("seat_y" in villages_source.columns):
        raise ConfigError(f"{path}: villages.columns needs both seat_x and seat_y, or neither")
    if "seat_x" in villages_source.columns and seat_crs_text is None:
        raise ConfigError(f"{path}: villages.columns maps seat_x/seat_y but villages.seat_crs is not set; "
                          "add seat_crs = \"EPSG:4490\" (or the CRS of those coordinates)")
    villages = Villages(
        source=villages_source,
        seat_crs=reader.crs(seat_crs_text, "villages.seat_crs") if seat_crs_text else None,
        seats=reader.source(reader.table(top["seats"], "seats", TABLE_KEYS["seats"]), "seats") if "seats" in top else None,
        code_list=reader.resolve(code_list) if code_list else None,
    )
    layers = _layers(reader, top)
    network = None
    if "network" in top:
        network = Network(technologies=reader.strings(top["network"], "network", "technologies", TECHNOLOGY_DEFAULT))
    for group in GROUPS:
        inside = [layer for layer in DECLARED if layer.section.startswith(f"{group}.")]
        if group in top and not any(layer.key in layers for layer in inside):
            names = " nor ".join(layer.section.split(".", 1)[1] for layer in inside)
            tables = " and/or ".join(f"[{layer.section}]" for layer in inside)
            raise ConfigError(f"{path}: [{group}] names neither {names}; add {tables}, or remove [{group}]")
    towns = None
    if "towns" in top:
        towns = Towns(reader.source(reader.table(top["towns"], "towns", TABLE_KEYS["towns"]), "towns"))
    standards = reader.standards(top.get("standards", {}))
    if standards.roads.connected_to == "towns" and towns is None:
        raise reader.fail("standards.roads.connected_to = \"towns\" needs the township seats: add a [towns] table "
                          "(path, [towns.columns] township_code), or use connected_to = \"main\"")
    checks = reader.checks(top.get("checks", {}))
    lang = _language(reader, project, top.get("map", {}))
    ledger = None
    if "ledger" in top:
        table = reader.table(top["ledger"], "ledger", TABLE_KEYS["ledger"])
        days = reader.number(table, "ledger", "max_days_without_measure", 30, minimum=0)
        if days != int(days):
            raise reader.fail(f"ledger.max_days_without_measure = {days:g} is not a whole number of days; give e.g. 30")
        ledger_path = reader.value(table, "ledger", "path", str, None)
        codes = reader.value(table, "ledger", "codes", str, None)
        ledger = LedgerSettings(path=reader.resolve(ledger_path) if ledger_path else None,
                                max_days_without_measure=int(days), codes=reader.resolve(codes) if codes else None)
    scopes = _scopes(reader, top.get("apply", {}), villages_source)
    return Profile(path=path, name=reader.value(project, "project", "name", str, path.stem),
                   working_crs=working, villages=villages, layers=layers, network=network, towns=towns,
                   standards=standards, checks=checks,
                   map=dataclasses.replace(_map_settings(reader, top.get("map", {})), lang=lang), lang=lang,
                   as_of=_as_of(reader, project), ledger=ledger, scopes=scopes, raw=MappingProxyType(dict(data)),
                   plugins=plugins.settings(reader, top, TABLE_KEYS))


# the values a text setting of the standards takes
CHOICES = {"connected_to": ("main", "health_centres", "towns")}

def _layers(reader: "_Reader", top: dict) -> Mapping[str, LayerTable]:
    """The tables of the input layers the five first standards declare (layers/standards:
    ``Layer``) that the profile names, by key, in the registry's order; a group table
    ([network]) checked as a table where its first layer's is read."""
    found = {}
    for layer in DECLARED:
        group, _, name = layer.section.rpartition(".")
        within = top
        if group:
            if group not in top:
                continue
            within = reader.table(top[group], group, TABLE_KEYS[group])
        if name not in within:
            continue
        table = reader.table(within[name], layer.section, TABLE_KEYS[layer.section])
        source = reader.source(table, layer.section, layer.key)
        found[layer.key] = layer.settings(reader, table, source) if layer.settings else LayerTable(source)
    return MappingProxyType(found)


def _scopes(reader: "_Reader", value: Any, villages: Source) -> Mapping[str, Scope]:
    """[apply.<standard>]: enabled (default true) and applies_to (a yes/no villages column)."""
    table = reader.table(value, "apply", TABLE_KEYS["apply"])
    scopes = {}
    for key, entry in table.items():
        entry = reader.table(entry, f"apply.{key}", TABLE_KEYS[f"apply.{key}"])
        enabled = reader.value(entry, f"apply.{key}", "enabled", bool, True)
        applies_to = reader.value(entry, f"apply.{key}", "applies_to", str, None)
        if applies_to is not None:
            if applies_to not in APPLIES_TO:
                raise reader.fail(f"apply.{key}.applies_to = {applies_to!r} is not a yes/no column covermap knows; "
                                  f"use one of {', '.join(APPLIES_TO)} (mapped in [villages.columns])")
            if applies_to not in villages.columns:
                raise reader.fail(f"apply.{key}.applies_to = {applies_to!r} needs [villages.columns] {applies_to} "
                                  f"mapped to the villages' yes/no column (e.g. {applies_to} = \"贫困村\")")
        scopes[key] = Scope(enabled=enabled, applies_to=applies_to)
    return MappingProxyType(scopes)


def _as_of(reader: "_Reader", project: dict) -> dt.date | None:
    """project.as_of: the date the data describe, as a TOML date (2026-11-30) or text."""
    if "as_of" not in project:
        return None
    value = project["as_of"]
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise reader.fail(f"project.as_of = {_shown(value)} is not a date; write it as 2026-11-30 "
                      "(the day the data describe)")


def _language(reader: "_Reader", project: dict, map_table: Any) -> str:
    """project.lang, the language of everything covermap writes; map.lang, its older
    spelling (maps only, before reasons had a language), is read as the same setting."""
    lang = reader.value(project, "project", "lang", str, None)
    if lang is not None and lang not in MAP_LANGUAGES:
        raise reader.fail(f"project.lang = {lang!r} is not known; use one of {', '.join(MAP_LANGUAGES)}")
    old = map_table.get("lang") if isinstance(map_table, dict) else None
    if lang is not None and old is not None and old != lang:
        raise reader.fail(f"project.lang = {lang!r} and map.lang = {old!r} disagree; map.lang is the older name "
                          "of project.lang: keep project.lang and remove map.lang")
    return lang or old or "zh"


def _map_settings(reader: "_Reader", value: Any) -> MapSettings:
    table = reader.table(value, "map", {f.name for f in dataclasses.fields(MapSettings)})
    basemap = reader.value(table, "map", "basemap", str, None)
    if basemap is not None and basemap not in MAP_BASEMAPS:
        raise reader.fail(f"map.basemap = {basemap!r} is not known; use one of {', '.join(MAP_BASEMAPS)}")
    lang = reader.value(table, "map", "lang", str, "zh")
    if lang not in MAP_LANGUAGES:
        raise reader.fail(f"map.lang = {lang!r} is not known; use one of {', '.join(MAP_LANGUAGES)} "
                          "(project.lang is the newer name of this setting)")
    above = reader.number(table, "map", "township_maps_above_villages", 100, minimum=0)
    return MapSettings(basemap=basemap, lang=lang,
                       tianditu_key=reader.value(table, "map", "tianditu_key", str, None) or None,
                       tianditu_key_env=reader.value(table, "map", "tianditu_key_env", str, "TIANDITU_KEY"),
                       township_maps_above_villages=int(above))


# Chinese web-map coordinates that assume_crs accepts besides real CRSs.
DATUM_SHIFTS = {"GCJ-02": "GCJ-02", "GCJ02": "GCJ-02", "BD-09": "BD-09", "BD09": "BD-09"}

_SOURCE_KEYS = {"path", "layer", "encoding", "assume_crs", "x", "y", "columns"}

# The keys each table of a profile takes ("" the top level): what the parser accepts, and
# where an unknown key's error says a known key belongs.
TABLE_KEYS: dict[str, frozenset[str]] = {name: frozenset(keys) for name, keys in {
    "": {"project", "villages", "seats", *(layer.section.split(".")[0] for layer in DECLARED), "standards", "checks",
         "map", "ledger", "apply", "towns"},
    "apply": {standard.key for standard in STANDARDS},
    **{f"apply.{standard.key}": {"enabled", "applies_to"} for standard in STANDARDS},
    "project": {"name", "working_crs", "lang", "as_of"},
    "ledger": {"path", "max_days_without_measure", "codes"},
    "villages": _SOURCE_KEYS | {"seat_crs", "code_list"},
    "seats": _SOURCE_KEYS,
    **{layer.section: _SOURCE_KEYS | layer.keys for layer in DECLARED},
    **{group: own | {layer.section.split(".", 1)[1] for layer in DECLARED if layer.section.startswith(f"{group}.")}
       for group, own in GROUPS.items()},
    "towns": _SOURCE_KEYS,
    **{f"{table}.columns": {*COLUMNS[kind][0], *COLUMNS[kind][1]} for table, kind in (
        ("villages", "villages"), ("seats", "seats"), *((layer.section, layer.key) for layer in DECLARED),
        ("towns", "towns"))},
    "standards": set(RULES),
    **{f"standards.{name}": {f.name for f in dataclasses.fields(rules)} for name, rules in RULES.items()},
    "checks": {f.name for f in dataclasses.fields(Checks)},
    "map": {f.name for f in dataclasses.fields(MapSettings)},
}.items()}


TABLE_KEYS = plugins.profile_tables(TABLE_KEYS, _SOURCE_KEYS)   # the optional standards' tables
COLUMNS.update(plugins.columns())


def belongs(name: str, table: str) -> str | None:
    """Where a key that is unknown in ``table`` belongs, as ``[roads]``, when it is a known
    key of some other table: those of the same section first (roads.columns.hardened_values
    belongs in [roads]), then the settings of the same name (roads.max_distance_m belongs in
    [standards.roads]); a key that many tables take (name, path) only within the section."""
    homes = [home for home, keys in TABLE_KEYS.items() if name in keys and home and home != table]
    section = table.split(".")[0]
    near = [home for home in homes if home.split(".")[0] == section] or \
        [home for home in homes if home == f"standards.{section}"]
    homes = near or (homes if len(homes) <= 2 else [])
    return " or ".join(f"[{home}]" for home in homes) or None


class _Reader:
    """Typed look-ups in the parsed TOML with errors that name the profile key."""

    def __init__(self, path: Path, base: Path):
        self.path = path
        self.base = base

    def fail(self, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {message}")

    def crs(self, value: str, key: str, metric: bool = False) -> CRS:
        try:
            crs = parse_crs(value, key)
            return check_metric(crs, key) if metric else crs
        except ConfigError as exc:
            raise self.fail(str(exc)) from None

    def table(self, value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{key or 'the top level'} must be a table, not {type(value).__name__}")
        unknown = sorted(set(value) - allowed)
        if unknown:
            prefix = f"{key}." if key else ""
            home = belongs(unknown[0], key)
            if home:
                raise self.fail(f"unknown key {prefix}{unknown[0]}: {unknown[0]} belongs in {home}, not in "
                                f"{f'[{key}]' if key else 'the top level'}; move it there")
            raise self.fail(f"unknown key {prefix}{unknown[0]}; allowed here: {', '.join(sorted(allowed))}")
        return value

    def value(self, table: dict, key: str, name: str, kind: type, default: Any) -> Any:
        if name not in table:
            return default
        value = table[name]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.fail(f"{key}.{name} must be {_KIND_WORDS[kind]}, not {_shown(value)}")
        return value

    def number(self, table: dict, key: str, name: str, default: float | None,
               minimum: float | None = None, maximum: float | None = None) -> float | None:
        if name not in table:
            return default
        value = table[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{key}.{name} must be a number, not {_shown(value)}")
        if not math.isfinite(value):   # TOML has nan and inf
            raise self.fail(f"{key}.{name} = {value} is not a finite number; give a number such as "
                            f"{'0' if minimum is None else f'{minimum:g}'} or more"
                            + (f" and at most {maximum:g}" if maximum is not None else ""))
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            raise self.fail(f"{key}.{name} = {value} is out of range; it must be {bounds}")
        return float(value)

    def strings(self, table: dict, key: str, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = table.get(name, list(default))
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(f"{key}.{name} must be a list of strings, not {_shown(value)}")
        return tuple(value)

    def source(self, table: dict, key: str, kind: str | None = None) -> Source:
        kind = kind or key
        if "path" not in table:
            raise self.fail(f"{key}.path is missing; give the file's path relative to the profile")
        path = self.resolve(self.value(table, key, "path", str, None))
        columns = self.table(table.get("columns", {}), f"{key}.columns", set(_all_columns(kind)))
        for name, column in columns.items():
            if not isinstance(column, str) or not column:
                raise self.fail(f"{key}.columns.{name} must be a column name (text), not {_shown(column)}")
            if column.strip().lower() == "geometry":
                raise self.fail(f"{key}.columns.{name} = {column!r} names the geometry, not a column of "
                                f"{path.name}; map it to a column of its attribute table, or leave it out")
        required, _ = COLUMNS[kind]
        missing = [name for name in required if name not in columns]
        if missing:
            raise self.fail(f"{key}.columns.{missing[0]} is missing; map it to the column of {path.name} "
                            f"that holds the {missing[0].replace('_', ' ')}")
        x, y = self.value(table, key, "x", str, None), self.value(table, key, "y", str, None)
        if (x is None) != (y is None):
            raise self.fail(f"{key} needs both x and y (longitude and latitude columns), or neither")
        if x is not None and x == y:
            raise self.fail(f"{key}.x and {key}.y are both {x!r}; set x to the longitude (or easting) column "
                            "and y to the latitude (or northing) column")
        assume = self.value(table, key, "assume_crs", str, None)
        shift = DATUM_SHIFTS.get(assume.strip().upper().replace("_", "-")) if assume else None
        if shift:
            assume = "EPSG:4326"
        encoding = self.value(table, key, "encoding", str, None)
        if encoding:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise self.fail(f"{key}.encoding = {encoding!r} is not a text encoding Python knows; "
                                "use e.g. \"GBK\", \"GB18030\" or \"UTF-8\"") from None
        return Source(key=key, path=path, layer=self.value(table, key, "layer", str, None),
                      encoding=encoding,
                      assume_crs=self.crs(assume, f"{key}.assume_crs") if assume else None,
                      x=x, y=y, columns=MappingProxyType(dict(columns)), datum_shift=shift)

    def resolve(self, text: str) -> Path:
        path = Path(text)
        return path if path.is_absolute() else self.base / path

    def checks(self, value: Any) -> Checks:
        fields = {f.name: f for f in dataclasses.fields(Checks)}
        table = self.table(value, "checks", set(fields))
        return Checks(**{key: self.number(table, "checks", key, spec.default, 0.0)
                         for key, spec in fields.items()})

    def standards(self, value: Any) -> Standards:
        table = self.table(value, "standards", TABLE_KEYS["standards"])
        rules = Standards(**{name: self.rules(table.get(name, {}), name, cls) for name, cls in RULES.items()})
        for standard in STANDARDS:
            problem = standard.check_rules(getattr(rules, standard.section)) if standard.check_rules else None
            if problem:
                raise self.fail(problem)
        return rules

    def rules(self, value: Any, name: str, cls: type) -> Any:
        """[standards.<name>] as ``cls``: each key read by its field's type, a text one among
        its choices (``CHOICES``, or the field's ``choices`` metadata), a list of words as a tuple."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        sub = self.table(value, f"standards.{name}", set(fields))
        kwargs = {}
        for key, spec in fields.items():
            if key not in sub:
                continue
            if spec.type == "bool":
                kwargs[key] = self.value(sub, f"standards.{name}", key, bool, spec.default)
            elif spec.type == "str":
                choices = spec.metadata.get("choices") or CHOICES[key]
                choice = self.value(sub, f"standards.{name}", key, str, spec.default)
                if choice not in choices:
                    raise self.fail(f"standards.{name}.{key} = {choice!r} is not known; use one of "
                                    f"{', '.join(choices)}")
                kwargs[key] = choice
            elif spec.type.startswith("tuple"):
                kwargs[key] = self.strings(sub, f"standards.{name}", key, spec.default)
            else:
                limit = 1.0 if key.endswith("share") else (100.0 if key.endswith("_pct") else None)
                number = self.number(sub, f"standards.{name}", key, spec.default, 0.0, limit)
                kwargs[key] = int(number) if spec.type == "int" else number
        return cls(**kwargs)


def _all_columns(kind: str) -> tuple[str, ...]:
    required, optional = COLUMNS[kind]
    return required + optional


def _shown(value: Any) -> str:
    """A profile value as a message shows it: short, and never deeper than a few levels."""
    return _REPR.repr(value)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60

_KIND_WORDS = {str: "text", bool: "true or false", int: "a whole number", float: "a number"}
