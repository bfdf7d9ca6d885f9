"""电网 (power: 供电公司): a distribution transformer or a 10 kV line within reach of the seat.

A village meets when a distribution transformer (配电台区: ``[transformers]`` points, with
their capacity in kVA and phases) lies within ``transformer_max_distance_m`` of its seat (of
its boundary where it has no seat), or a line of at least ``line_min_kv`` (10 kV: ``[power_lines]``)
passes within ``line_max_distance_m``. With ``three_phase = true`` (动力电, the default) a
village whose transformers within reach are all single-phase, and no line, is ``basic``;
one whose nearby transformers' phases are unrecorded is ``no_data``; one served by a
transformer whose supply reliability (供电可靠率, where mapped) is below
``min_reliability_pct`` is ``basic``, as is one whose serving transformer has less capacity
per household (户均配变容量: its kVA over the households it serves, 台区户数, where mapped)
than ``min_kva_per_household`` (2 kVA, the 2016-2020 rural grid upgrade's). ``no_data`` too
without a seat or boundary or without either layer. Otherwise ``fails``. Ground distances.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from gis import geometry, values
from layers.canonical import _numbers, _report_cells
from layers.grades import (BASIC, FAILS, MEETS, NO_DATA, NO_ORIGIN, Grades, Texts, number_text, numbers_text,
                           text_column)
from layers.standards import (AT_MOST_M, LINES, NAME, POINTS, Bureau, Input, Plugin, Standard, Symbol, measured_from,
                              names_at, nearest_among, nearest_on_ground, number, target_names)
from layers.text import T

BUREAU = Bureau("power", T(zh="供电公司", en="Power supply company"), T(zh="供电公司", en="Power"))

THREE = ("3", "三相", "三相四线", "three", "three-phase", "3p", "动力电")
SINGLE = ("1", "单相", "single", "single-phase", "1p")


@dataclass(frozen=True)
class PowerRules:
    """[standards.power]; rural low-voltage supply radius 500 m, a 10 kV line within 1 km
    (a transformer can be added on it)."""

    transformer_max_distance_m: float = 500.0
    line_max_distance_m: float = 1000.0
    line_min_kv: float = 10.0
    three_phase: bool = True
    min_reliability_pct: float = 99.8   # 供电可靠率 of the serving transformer, where [transformers.columns] maps it
    min_kva_per_household: float = 2.0  # 户均配变容量 of the serving transformer, where households are mapped


def prepare_transformers(frame: pd.DataFrame, source, findings, rules: PowerRules) -> pd.DataFrame:
    """``capacity_kva`` (NaN unrecorded), ``kva_per_household`` (its capacity over the
    ``households`` it serves; NaN where either is unrecorded or there are none) and
    ``phases`` (3, 1; NaN unrecorded: every transformer three-phase when the column is not
    mapped)."""
    frame["capacity_kva"] = _numbers(frame, "capacity_kva", source, findings) if "capacity_kva" in frame else np.nan
    households = _numbers(frame, "households", source, findings) if "households" in frame else np.nan
    frame["households"] = households
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["kva_per_household"] = np.where(frame["households"] > 0, frame["capacity_kva"] / frame["households"],
                                              np.nan)
    frame["reliability_pct"] = (_numbers(frame, "reliability_pct", source, findings) if "reliability_pct" in frame
                                else np.nan)
    if "phases" in frame:
        word = values.words(frame["phases"]).str.strip().str.lower()
        phases = np.where(word.isin(THREE).fillna(False), 3.0, np.where(word.isin(SINGLE).fillna(False), 1.0, np.nan))
        bad = np.isnan(phases) & word.notna().to_numpy()
        if bad.any():
            _report_cells(frame["phases"], bad, "phases", source, findings, None, "not 三相/单相 (3/1)")
        frame["phases"] = phases
    else:
        frame["phases"] = 3.0
    if "name" not in frame:
        frame["name"] = pd.NA
    frame["three_phase"] = frame["phases"] == 3.0
    return frame


def prepare_lines(frame: pd.DataFrame, source, findings, rules: PowerRules) -> pd.DataFrame:
    """``voltage_kv`` (NaN unrecorded) and ``counts``: a line of at least ``line_min_kv``
    (every line when the voltage is not mapped)."""
    if "voltage_kv" in frame:
        frame["voltage_kv"] = _numbers(frame, "voltage_kv", source, findings)
        frame["counts"] = (frame["voltage_kv"] >= rules.line_min_kv).to_numpy()
    else:
        frame["voltage_kv"], frame["counts"] = np.nan, True
    if "name" not in frame:
        frame["name"] = pd.NA
    return frame


NO_LAYER = T(zh="配置中没有配电台区或10千伏线路图层", en="no transformer or power-line layer in the profile")
# {origin}: the village seat, else its boundary (measured_from)
NEAR = T(zh="配电台区（{name}，{kva} kVA）距{origin} {d:,.0f} 米（限值 {m} 米）",
         en="distribution transformer ({name}, {kva} kVA) {d:,.0f} m from {origin} (limit {m} m)")
LINE = T(zh="{kv}千伏线路相距 {d:,.0f} 米（限值 {m} 米），可就近接入",
         en="{kv} kV line {d:,.0f} m away (limit {m} m): a transformer can be added on it")
SINGLE_ONLY = T(zh="限值内只有单相配电台区（{name}，{d:,.0f} 米），没有三相动力电",
                en="only single-phase transformers within the limit ({name}, {d:,.0f} m); no three-phase supply")
UNRELIABLE = T(zh="配电台区（{name}）相距 {d:,.0f} 米，但供电可靠率 {r}%，低于 {m}%",
               en="transformer ({name}) {d:,.0f} m away, but its supply reliability {r}% is below {m}%")
LOW_CAPACITY = T(zh="配电台区（{name}）户均容量 {c} kVA（{kva} kVA，{h} 户），低于 {m} kVA",
                 en="transformer ({name}) has {c} kVA a household ({kva} kVA for {h} households), below {m} kVA")
UNKNOWN = T(zh="限值内的配电台区（{name}）未填相数；请在台区图层中补录",
            en="the transformer within the limit ({name}) has no phases recorded; record them")
FAR = T(zh="最近的配电台区距{origin} {d:,.0f} 米，超过限值 {m} 米{line}",
        en="nearest distribution transformer {d:,.0f} m from {origin}; limit {m} m{line}")
NONE = T(zh="没有配电台区数据{line}", en="no distribution transformer recorded{line}")
FAR_LINE = T(zh="；最近的{kv}千伏线路 {d:,.0f} 米（限值 {m} 米）", en="; nearest {kv} kV line {d:,.0f} m (limit {m} m)")


def assess(inputs, rules: PowerRules, lang: str) -> pd.DataFrame:
    """electricity_transformer_m, electricity_transformer_kva, electricity_transformer_name,
    electricity_line_m, electricity_reliability_pct, electricity_kva_per_household, electricity_verdict,
    electricity_reason (in
    ``lang``) for every village."""
    index = inputs.villages.index
    n = len(index)
    grades = Grades(n, lang, NO_LAYER)
    transformers, lines = inputs.extra.get("transformers"), inputs.extra.get("power_lines")
    if transformers is None and lines is None:
        empty = np.full(n, np.nan)
        return grades.frame("electricity", index, electricity_transformer_m=empty,
                            electricity_transformer_kva=empty.copy(),
                            electricity_transformer_name=np.full(n, None, dtype=object),
                            electricity_line_m=empty.copy(), electricity_reliability_pct=empty.copy(),
                            electricity_kva_per_household=empty.copy())
    origins = inputs.origins
    empty_points = pd.DataFrame({"phases": [], "capacity_kva": [], "reliability_pct": [], "name": [],
                                 "households": [], "kva_per_household": []})
    points = transformers if transformers is not None else empty_points
    geoms = transformers.geometry.to_numpy() if transformers is not None else np.empty(0, dtype=object)
    phases = points["phases"].to_numpy(dtype=float)
    names = target_names(points)
    name = partial(names_at, names)   # the {name} of the transformers at given rows
    kva = points["capacity_kva"].to_numpy(dtype=float)
    reliability = points["reliability_pct"].to_numpy(dtype=float)
    households, per_household = (points[c].to_numpy(dtype=float) for c in ("households", "kva_per_household"))

    def nearest(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return nearest_among(origins, geoms, mask, inputs.crs)

    any_row, any_m = nearest(np.ones(len(points), dtype=bool))
    three_row, three_m = nearest(phases == 3.0) if rules.three_phase else (any_row, any_m)
    single_row, single_m = nearest(phases == 1.0)
    unknown_row, unknown_m = nearest(np.isnan(phases))
    line_m = np.full(n, np.nan)
    if lines is not None:
        line_m = nearest_on_ground(origins, lines.geometry.to_numpy()[lines["counts"].to_numpy(dtype=bool)],
                                   inputs.crs)[1]

    def capacity(rows: np.ndarray) -> Texts:
        return Texts(lambda row: number_text(kva[row]) if row >= 0 and not np.isnan(kva[row]) else "—", rows)

    origin = measured_from(inputs.seats.to_numpy(), lang)
    limit, line_limit, kv = (number_text(rules.transformer_max_distance_m), number_text(rules.line_max_distance_m),
                             number_text(rules.line_min_kv))
    near = three_m <= rules.transformer_max_distance_m
    served = np.append(reliability, np.nan)[three_row]   # the serving transformer's reliability (-1: none)
    grades.rule(~geometry.usable(origins), NO_DATA, NO_ORIGIN)
    grades.rule(near & (served < rules.min_reliability_pct), BASIC, UNRELIABLE, name=name(three_row), d=three_m,
                r=numbers_text(served), m=number_text(rules.min_reliability_pct))
    serving = np.append(per_household, np.nan)[three_row]
    grades.rule(near & (serving < rules.min_kva_per_household), BASIC, LOW_CAPACITY, name=name(three_row),
                c=Texts(lambda value: f"{value:.2f}", serving), kva=capacity(three_row),
                h=numbers_text(np.append(households, np.nan)[three_row]), m=number_text(rules.min_kva_per_household))
    grades.rule(near, MEETS, NEAR, origin=origin, name=name(three_row), kva=capacity(three_row), d=three_m, m=limit)
    grades.rule(line_m <= rules.line_max_distance_m, MEETS, LINE, kv=kv, d=line_m, m=line_limit)
    grades.rule(unknown_m <= rules.transformer_max_distance_m, NO_DATA, UNKNOWN, name=name(unknown_row))
    grades.rule(single_m <= rules.transformer_max_distance_m, BASIC, SINGLE_ONLY, name=name(single_row), d=single_m)
    far_line = text_column(FAR_LINE, lang, ~np.isnan(line_m), kv=kv, d=line_m, m=line_limit)
    grades.rule(np.isnan(any_m), FAILS, NONE, line=far_line)
    grades.rule(np.ones(n, dtype=bool), FAILS, FAR, origin=origin, d=any_m, m=limit, line=far_line)
    picked = np.where(near, three_row, any_row)   # the transformer that meets, else the nearest
    kva_of, name_of = np.append(kva, np.nan), np.append(names, None)   # -1: none
    return grades.frame("electricity", index, electricity_transformer_m=any_m, electricity_transformer_kva=kva_of[picked],
                        electricity_transformer_name=name_of[picked], electricity_line_m=line_m,
                        electricity_reliability_pct=np.append(reliability, np.nan)[picked],
                        electricity_kva_per_household=np.append(per_household, np.nan)[picked])


THREE_REQUIRED = T(zh="，三相", en=", three-phase")
LINE_REQUIRED = T(zh="；或{kv}千伏线路 ≤ {value} 米", en="; or a {kv} kV line ≤ {value} m")


def requirement(rules: PowerRules, lang: str) -> str:
    text = AT_MOST_M.format(lang, value=number(rules.transformer_max_distance_m))
    text += THREE_REQUIRED(lang) if rules.three_phase else ""
    return text + LINE_REQUIRED.format(lang, kv=number(rules.line_min_kv), value=number(rules.line_max_distance_m))


PLUGIN = Plugin(
    section="power", rules=PowerRules, assess=assess,
    inputs=(Input("transformers", POINTS, optional=("name", "capacity_kva", "phases", "reliability_pct",
                                                  "households"),
                  prepare=prepare_transformers),
            Input("power_lines", LINES, optional=("name", "voltage_kv"), prepare=prepare_lines)),
    symbols=(Symbol("transformers", "transformers", {"color": "#7f3b08", "weight": 1, "fill": True,
                                                     "fillColor": "#fdb863", "fillOpacity": 0.9, "radius": 5},
                    T(zh="配电台区", en="distribution transformers"),
                    tooltip=(NAME, ("capacity_kva", T(zh="容量（kVA）", en="Capacity (kVA)")))),
             Symbol("power_lines", "power_lines", {"color": "#b35806", "weight": 2, "opacity": 0.9, "dashArray": "4 2"},
                    T(zh="10千伏线路", en="10 kV lines"), shape="line", where="counts",
                    tooltip=(NAME, ("voltage_kv", T(zh="电压（千伏）", en="Voltage (kV)"))))),
    popup={"electricity_transformer_name": T(zh="最近的配电台区", en="nearest transformer")},
)

STANDARD = Standard("electricity", BUREAU.key, "Power supply", "electricity_transformer_m",
                    T(zh="电网", en="Power supply"), settings=("standards.power.",), requirement=requirement, plugin=PLUGIN)
