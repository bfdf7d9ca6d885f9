"""The registry of standards: one module each, declaring in one place its key, bureau,
names, the measured value it shows in the gap lists and its unit, the profile settings
that decide it, and its requirement as people read it.

``STANDARDS`` are the five every run checks (road.py, water.py, clinic.py, net4g.py,
fibre.py), each module with its rules (``decide``) and how a run spreads them over zones
and processes, its ledger-against-map checks, how the maps draw it (``Drawing``: its input
layers, their symbols and styles, its limit and popup; layers/mapdata.py gives it to maps/
as plain data, kept in maps/standards.json), its input layers' profile tables (``Layer``)
and its part of ``[standards.<section>]`` (``Standards``, ``RULES``), which the profile and
the inputs read from here. ``OPTIONAL`` are whole plug-ins (school.py, housing.py,
electricity.py, care.py, bus.py, post.py): the module also declares its profile tables,
input layers, rules and map symbols (``Plugin``), and a run checks it when the profile
names one of its tables. No other module names a standard's key
(tests/test_one_module.py checks it). ``present`` gives the
standards a table holds, which is what the gap lists, the workbook and the comparison of
runs iterate over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, make_dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from gis import geometry
from gis.crs import true_distances
from layers.grades import Texts
from layers.text import T

if TYPE_CHECKING:
    from layers.settings import Profile

METRES, SHARE, HOUSEHOLDS = "m", "share", "households"   # the units of a standard's measured value
# how the workbook shows a value of each unit besides metres and shares (an Excel number format)
MINUTES = "minutes"
UNIT_FORMATS = {HOUSEHOLDS: T(zh='#,##0" 户"', en='#,##0" households"'), MINUTES: T(zh='#,##0" 分钟"', en='#,##0" min"')}


@dataclass(frozen=True)
class Bureau:
    """A bureau that answers for standards: its key (the ``bureau`` column), its name, the
    name of its sheet in the workbooks (Excel allows 31 characters), and the colour of its
    line on the trend page ("": the next of maps/trend.py's spare colours)."""

    key: str
    name: T
    sheet: T
    colour: str = ""


# a bureau that answers for several standards is declared here, once
HEALTH = Bureau("health", T(zh="卫生健康局", en="Health commission"), T(zh="卫生健康局", en="Health"), colour="#d55e00")
TELECOM = Bureau("telecom", T(zh="通信管理", en="Communications administration"), T(zh="通信管理", en="Telecom"),
                 colour="#cc79a7")
TRANSPORT = Bureau("transport", T(zh="交通运输局", en="Transport bureau"), T(zh="交通运输局", en="Transport"),
                   colour="#0072b2")


POINTS, LINES, TABLE = "points", "lines", "table"   # what an input layer of a plug-in holds


@dataclass(frozen=True)
class Layer:
    """An input layer of the five first standards, declared by the module of the first that
    reads it (roads by road.py, also read by time to care and bus): its key (``Inputs.layer``,
    ``Profile.layer``, the words ``layer.<key>``), its profile table ``[<section>]`` (path,
    layer, x/y, assume_crs, encoding and ``[<section>.columns]``, as every layer; a dotted
    section lies inside a group table such as ``[network]``), the geometries it takes
    (layers.sources' kinds), covermap's names of its columns, the table's own keys and
    ``settings(reader, table, source)`` reading them (None: the source alone,
    ``settings.LayerTable``), ``assemble(frame, profile, findings, source)`` making its
    canonical frame, ``check(inputs, profile, findings)``, what is checked of it once every
    layer is assembled, and ``check_settings(profile, findings)``, before any is read."""

    key: str
    section: str
    kinds: frozenset[str]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    assemble: Callable[[Any, Any, Any, Any], Any] | None = None
    keys: frozenset[str] = frozenset()
    settings: Callable[[Any, dict, Any], Any] | None = None
    check: Callable[[Any, Any, Any], None] | None = None
    # (profile, findings): a setting that would silently do nothing for want of a column
    check_settings: Callable[[Any, Any], None] | None = None


@dataclass(frozen=True)
class Input:
    """An input layer a plug-in reads, from its own profile table ``[<section>]`` (path,
    layer, x/y, assume_crs, encoding and ``[<section>.columns]``, as every layer): the
    geometries it takes and covermap's names of its columns. ``TABLE``: rows that name their
    village by code (``code`` mapped), or points each counted for the village it lies in
    (their geometry then let go). ``drawn = False``: its rows never reach a map (household
    rows: only counts per village)."""

    section: str
    geometry: str                         # POINTS, LINES or TABLE
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    # (frame with covermap's names, its Source, Findings) -> the frame with parsed columns
    prepare: Callable[[Any, Any, Any], Any] | None = None
    drawn: bool = True


NAME = ("name", T(zh="名称", en="Name"))   # the tooltip row most symbols show


@dataclass(frozen=True)
class Symbol:
    """What a plug-in draws on the maps: the features of one input layer (``where``:
    the rows of one kind, by a boolean column), a Leaflet path style, the legend's words
    and shape ("point" or "line"), the columns its tooltip shows with their words."""

    key: str
    section: str
    style: Mapping[str, Any]
    legend: T
    shape: str = "point"
    where: str | None = None              # a boolean column: only its True rows
    tooltip: tuple[tuple[str, T], ...] = (NAME,)


@dataclass(frozen=True)
class Plugin:
    """The parts of a plug-in standard besides its names: the settings table
    ``[standards.<section>]`` (a frozen dataclass whose fields are the keys, with the
    national defaults; ``check`` returns what is wrong with a combination of them, or
    None), its input layers, ``assess(inputs, rules, lang)`` (a table aligned to the
    villages: the value columns, ``<key>_verdict`` and ``<key>_reason``), the symbols it
    draws, and the value columns a village's popup shows (column -> words);
    ``check_inputs(inputs, profile, rules, findings)`` warns of what the layers as read
    leave it unable to measure (``check`` and ``run`` both show it)."""

    section: str
    rules: type
    inputs: tuple[Input, ...]
    assess: Callable[[Any, Any, str], Any]
    check: Callable[[Any], str | None] | None = None
    symbols: tuple[Symbol, ...] = ()
    popup: Mapping[str, T] = field(default_factory=lambda: MappingProxyType({}))
    check_inputs: Callable[[Any, Any, Any, Any], None] | None = None

    def tables(self) -> tuple[str, ...]:
        """The profile tables that switch it on: its inputs' and its settings'."""
        return (*(source.section for source in self.inputs), f"standards.{self.section}")


@dataclass(frozen=True)
class Mark:
    """A symbol the maps draw for one of the five first standards: its key, a Leaflet path
    style, the legend's shape ("line", "area" or "point") and words, the rows it draws
    (those whose ``Drawn.by`` column is ``when``; None: not recorded) and, when it is a
    layer of its own (``Drawn.apart``), the layer's name."""

    key: str
    style: Mapping[str, Any]
    shape: str
    legend: T
    when: bool | None = True
    layer: T | None = None


@dataclass(frozen=True)
class Drawn:
    """An input layer the maps draw for one of the five first standards: the key of its frame
    (``Inputs.infrastructure()``; the words ``layer.<key>``), the columns it must hold, those
    its tooltip shows (all when None) and its marks. With one mark every row is drawn so;
    with several, ``by`` (a yes/no column) picks each row's: one layer per mark when
    ``apart``, else one layer whose rows take the first mark where ``by`` is yes and the
    second elsewhere. ``flags``: yes/no columns the tooltip shows as words."""

    key: str
    columns: tuple[str, ...]
    marks: tuple[Mark, ...]
    name: T | None = None                 # the layer's name (each mark's when ``apart``)
    tooltip: tuple[str, ...] | None = None
    by: str | None = None
    apart: bool = False
    flags: tuple[str, ...] = ()

    def __post_init__(self):
        shapes = {mark.shape for mark in self.marks} - {"line", "area", "point"}
        picked = len(self.marks) == 1 or (self.by is not None and (self.apart or (
            len(self.marks) == 2 and self.by in self.flags)))
        named = all(m.layer is not None for m in self.marks) if self.apart else self.name is not None
        if not self.marks or shapes or not picked or not named:
            raise ValueError(f"drawn input {self.key!r}: give marks of shape line, area or point; several need "
                             "`by`, two drawn as one layer need `by` among `flags`; name the layer, or each "
                             "mark's when apart")


@dataclass(frozen=True)
class Drawing:
    """How the maps show one of the five first standards, besides its key, names and bureau:
    its input layers; its limit, as the key of the map options' ``limits`` and the value the
    profile gives it (``limit_of``), with its template (maps/i18n.py's words by their key, or
    its own; its own fixed text when ``limit`` is ""); the measured value its popup shows
    when not ``value_column`` in its unit (column, scale, its words); and the nearest
    facility the popup names (a name column, and a distance column in metres)."""

    layers: tuple[Drawn, ...]
    limit_words: str | T
    limit: str = ""
    limit_of: Callable[[Any], float] | None = None
    shown: tuple[str, float, T] | None = None
    facility: tuple[str, ...] = ()


@dataclass(frozen=True)
class Standard:
    key: str           # column prefix: road_verdict, road_reason, ...
    bureau: str        # responsible bureau (key)
    label: str         # English name (kept for callers that read it; ``name`` has both)
    value_column: str  # the measured value shown in the gap list
    name: T            # what people read, in every language
    unit: str = METRES                 # of value_column: METRES, SHARE (0..1) or one of UNIT_FORMATS
    settings: tuple[str, ...] = ()     # the profile keys (prefixes) whose values decide its verdicts
    requirement: Callable[[Any, str], str] | None = None   # "≤ 500 米": as the profile sets it
    plugin: Plugin | None = None       # an OPTIONAL standard's profile tables, inputs, rules, symbols
    # the checks of the ledger against the map it has (layers/consistency.py's ``check``), as
    # the workbook's 账实不符 sheet names them
    checks: Mapping[str, T] = field(default_factory=lambda: MappingProxyType({}))
    # those checks: (inputs, profile) -> rows (row, bureau, check, ledger, map, source); and the
    # villages' column they read, if any (its layers are then kept until they have run)
    ledger: Callable[[Any, Any], Any] | None = None
    ledger_column: str | None = None
    # How a run decides one of the five (a plug-in: ``Plugin.assess``): (inputs, the profile's
    # [standards] rules, lang) -> its table, a row a village. ``zoned``: what is measured in
    # each village's zone where a run spans several (layers.zones); the whole table, or with
    # ``settle`` a part, which settle(inputs, rules, lang, part) completes on the whole.
    decide: Callable[[Any, Any, str], Any] | None = None
    zoned: Callable[[Any, Any, str], Any] | None = None
    settle: Callable[[Any, Any, str, Any], Any] | None = None
    on_whole: Callable[[Any, Any, Any], None] | None = None   # (inputs, rules, road graph): marks made first
    apart: bool = False          # in a mid-sized run, decided in a forked child beside the others
    layers: tuple[str, ...] = ()  # the input layers (``Inputs`` attributes) it reads
    # (inputs, rules) -> {layer: (its limit, each village's distance to its nearest feature
    # that can count)}: how far a county's part must carry that layer (layers.partition)
    reach: Callable[[Any, Any], dict[str, tuple[float, Any]]] | None = None
    yes_no: tuple[str, ...] = ()  # its boolean columns, written as yes/no (NA: empty) in every table
    drawing: Drawing | None = None     # how the maps show one of the five first standards
    # one of the five first: the input layers it declares (``Layer``; a layer several read is
    # declared by the first), and its part of the profile's rules: the table
    # ``[standards.<section>]`` (net4g and fibre share [standards.network]), a frozen dataclass
    # of its keys with the national defaults, and ``check_rules`` (what is wrong with a
    # combination of them, or None)
    inputs: tuple[Layer, ...] = ()
    section: str = ""
    rules: type | None = None
    check_rules: Callable[[Any], str | None] | None = None

    def required(self, profile: "Profile", lang: str) -> str:
        """The requirement as ``profile`` sets it, in ``lang`` (the workbook's 标准要求)."""
        if self.requirement is None:
            return ""
        return self.requirement(profile.plugins[self.key].rules if self.plugin else profile.standards, lang)


def number(value: float) -> str:
    """A limit as people write it: 1000 -> 1,000; 4.5 -> 4.5; 90.0 -> 90."""
    return format(round(float(value), 6), ",g") if abs(value) < 1e6 else format(value, ",.0f")


AT_MOST_M = T(zh="≤ {value} 米", en="≤ {value} m")
AT_LEAST_PCT = T(zh="≥ {value}%", en="≥ {value}%")


def nearest_on_ground(origins, targets, crs) -> tuple[Any, Any]:
    """For each origin (a seat or polygon in the projected ``crs``), the index of the nearest
    of ``targets`` (-1 where there is none) and the ground (geodesic) distance to it in
    metres (NaN where there is none): the nearest found in ``crs``, the distance measured
    on the ellipsoid between the nearest points, so it is true wherever the county lies."""
    rows, _ = geometry.nearest(origins, targets)
    metres = np.full(len(rows), np.nan)
    found = rows >= 0
    if found.any():
        metres[found] = true_distances(np.asarray(origins, dtype=object)[found], np.asarray(targets)[rows[found]], crs)
    return rows, metres


def nearest_among(origins, targets, mask, crs) -> tuple[Any, Any]:
    """``nearest_on_ground`` among the ``targets`` of ``mask``: each origin's nearest as its
    row in ``targets`` (-1 where there is none) and its ground distance."""
    rows, metres = nearest_on_ground(origins, np.asarray(targets)[mask], crs)
    return np.append(np.flatnonzero(mask), -1)[rows], metres


def polygon_or_seat(inputs) -> np.ndarray:
    """Each village's polygon, or its seat where it has no polygon (None: neither)."""
    polygons = inputs.villages.geometry.to_numpy()
    return np.where(geometry.usable(polygons), polygons, inputs.seats.to_numpy())


FROM_SEAT, FROM_BOUNDARY = T(zh="村委会", en="the village seat"), T(zh="村界", en="the village boundary")


def measured_from(seats, lang: str) -> np.ndarray:
    """What each village's distance is measured from, in ``lang``: its seat, else its boundary
    (as ``origins`` are). The ``{origin}`` of a reason such as "… 距{origin} {d} 米", so that
    one sentence serves villages with a seat and without."""
    has_seat = geometry.usable(np.asarray(seats, dtype=object))
    return np.where(has_seat, FROM_SEAT(lang), FROM_BOUNDARY(lang)).astype(np.dtypes.StringDType())


# How a plug-in measures to its targets ([standards.<section>] measure): on the ground, or
# along every road of the run's one shared graph (layers.roadnet.every_road)
STRAIGHT, NETWORK = "straight", "network"
ALONG = T(zh="沿道路", en=" by road")                               # the {how} of a reason
ALONG_REQUIRED = T(zh="（沿道路）", en=" (by road)")                 # after a requirement
FROM_INSIDE = T(zh="村域内一点", en="a point inside the village")   # by road, without a seat


def nearest_measured(inputs, targets, mask, measure: str) -> tuple[Any, Any] | None:
    """``nearest_among`` (``STRAIGHT``), or along every road from each seat (a point inside
    the village without one; ``NETWORK``), the straight legs to and from the roads included:
    each village's nearest target of ``mask`` (its row, -1 none) and the metres to it; None
    by road when there are no roads."""
    if measure == STRAIGHT:
        return nearest_among(inputs.origins, targets, mask, inputs.crs)
    from layers import roadnet   # it reads the inputs, whose module reads this registry

    if inputs.roads is None or not len(inputs.roads):
        return None
    net = roadnet.every_road(inputs)
    rows, metres = net.nearest_along(net.all_roads, np.asarray(targets)[mask])
    return np.append(np.flatnonzero(mask), -1)[rows], metres


def origin_words(seats, measure: str, lang: str) -> np.ndarray:
    """The ``{origin}`` of a reason as ``measure`` measures: ``measured_from``, or by road
    the seat, else a point inside the village."""
    if measure == STRAIGHT:
        return measured_from(seats, lang)
    return np.where(geometry.usable(np.asarray(seats, dtype=object)), FROM_SEAT(lang), FROM_INSIDE(lang))


def target_names(layer) -> np.ndarray:
    """An input layer's ``name`` column as objects, "" where it has none."""
    return layer["name"].astype(object).where(layer["name"].notna(), "").to_numpy(dtype=object)


def names_at(names: np.ndarray, rows: np.ndarray) -> Texts:
    """The ``{name}`` of a reason: the names (``target_names``) of the targets at ``rows``
    (as ``nearest_among`` gives them), "—" where there is none (-1) or it has no name."""
    return Texts(lambda row: names[row] if row >= 0 and names[row] else "—", rows)



from layers.standards import clinic, fibre, net4g, road, water  # noqa: E402  (they use the above)
from layers.standards import bus, care, electricity, housing, post, school  # noqa: E402
from layers.standards.road import TOWNSHIP_KM, TOWNSHIP_WALK  # noqa: E402,F401  (the road network's columns)

_MODULES = (road, water, clinic, net4g, fibre)
_OPTIONAL = (school, housing, electricity, care, bus, post)
STANDARDS = tuple(module.STANDARD for module in _MODULES)   # checked by every run
LAYERS = tuple(name for s in STANDARDS for name in s.layers)   # their input layers (``Inputs.layer``)
DECLARED = tuple(layer for s in STANDARDS for layer in s.inputs)   # those layers' declarations, in reading order
# the villages' yes/no columns the standards' ledger checks read (has_clinic …), by name
VILLAGE_FLAGS = tuple(sorted(s.ledger_column for s in STANDARDS if s.ledger_column))
OPTIONAL = tuple(module.STANDARD for module in _OPTIONAL)   # checked when the profile names them
ALL = STANDARDS + OPTIONAL
BY_KEY = {standard.key: standard for standard in ALL}
# the bureaus, in the order of their first standard (a bureau's sheets come in this order);
# BUREAUS those of the five every run checks, ALL_BUREAUS with the plug-ins'
BUREAUS = tuple({module.BUREAU.key: module.BUREAU for module in _MODULES}.values())
ALL_BUREAUS = tuple({module.BUREAU.key: module.BUREAU for module in (*_MODULES, *_OPTIONAL)}.values())
if any(s.bureau != m.BUREAU.key for s, m in zip(ALL, (*_MODULES, *_OPTIONAL))) or \
        len({b.key for b in ALL_BUREAUS}) != len({m.BUREAU for m in (*_MODULES, *_OPTIONAL)}) or \
        any((s.plugin is None) != (s in STANDARDS) for s in ALL) or \
        any((s.drawing is None) != (s in OPTIONAL) for s in ALL):
    raise RuntimeError("layers/standards: each module's BUREAU must be its standard's, the same wherever shared; "
                       "an optional standard declares its Plugin, one of the five first its Drawing")


def _rules_class(name: str, parts: list[type]) -> type:
    """One ``[standards.<section>]`` table's settings: the dataclass of its one standard, or
    one made of the fields of the several that share it (in registry order)."""
    if len(parts) == 1:
        return parts[0]
    made = make_dataclass(name, [(f.name, f.type, field(default=f.default)) for part in parts
                                 for f in fields(part)], frozen=True)
    made.__module__ = __name__   # found here by name (pickled to dask's workers)
    return made


def _standards_class() -> type:
    sections: dict[str, list[type]] = {}
    for standard in STANDARDS:
        sections.setdefault(standard.section, []).append(standard.rules)
    classes = {section: _rules_class(f"{section.capitalize()}Rules", parts) for section, parts in sections.items()}
    made = make_dataclass("Standards", [(section, cls, field(default_factory=cls)) for section, cls in classes.items()],
                          frozen=True)
    made.__module__ = __name__
    made.__doc__ = "The profile's [standards.<section>] tables: the rules of the five first standards, by section."
    return made


# the rules of the five first standards (``Profile.standards``): [standards.roads] … by section
Standards = _standards_class()
RULES = {f.name: f.type for f in fields(Standards)}   # section -> its dataclass
NetworkRules = RULES["network"]   # net4g's and fibre's, one table
if any(not s.section or s.rules is None for s in STANDARDS) or len({s.section for s in STANDARDS}) != len(RULES):
    raise RuntimeError("layers/standards: each of the five first standards names its [standards.<section>] and rules")


def present(columns: Iterable[str]) -> tuple[Standard, ...]:
    """The standards a table holds (its ``<key>_verdict`` columns), in registry order."""
    names = set(columns)
    return tuple(s for s in ALL if f"{s.key}_verdict" in names)


def bureaus_of(standards: Iterable[Standard]) -> tuple[Bureau, ...]:
    """The bureaus answering for ``standards``, in registry order."""
    keys = {s.bureau for s in standards}
    return tuple(b for b in ALL_BUREAUS if b.key in keys)


def affected(key: str) -> tuple[str, ...]:
    """The standards a profile key decides: those naming a prefix of it, else (a key of a
    table several standards share, such as standards.network.technologies) every standard
    whose settings lie in that table."""
    direct = tuple(s.key for s in ALL if any(key.startswith(prefix) for prefix in s.settings))
    if direct:
        return direct
    table = key.rsplit(".", 1)[0] + "."
    return tuple(s.key for s in ALL if any(prefix.startswith(table) for prefix in s.settings))

