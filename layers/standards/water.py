"""饮水安全 (water): served by a water-supply project that meets the four indicators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gis import geometry, shares, values
from gis.crs import local_scale
from gis.errors import DataError
from layers.canonical import _flags, _numbers, _with_defaults
from layers.checks import EXAMPLES, Findings, counted, examples, row_examples, where
from layers.grades import (BASIC, FAILS, MEETS, NO_DATA, NO_ORIGIN, RANK, Grades, joined, number_text, numbers_text,
                           percent_text, text_column)
from layers.settings import LayerTable, Profile, Source
from layers.sources import POINTS, POLYGONS, code_digits_lost
from layers.standards import (AT_LEAST_PCT, SHARE, Bureau, Drawing, Drawn, Layer, Mark, Standard, number,
                              polygon_or_seat)
from layers.text import DEFAULT_LANG, T

if TYPE_CHECKING:
    from layers.inputs import Inputs

BUREAU = Bureau("water", T(zh="水利局", en="Water resources bureau"), T(zh="水利局", en="Water"),
                colour="#009e73")


# The largest service radius of a point water project (m): a village water-supply
# project serves a few kilometres; a radius above this is a wrong unit or a typo.
MAX_SERVICE_RADIUS_M = 100_000.0


@dataclass(frozen=True)
class Water(LayerTable):
    """[water]: the water projects, and how point projects and served lists are read."""

    default_radius_m: float | None = None
    served_codes_separator: str = ";"


def read_table(reader, table: dict, source: Source) -> Water:
    """[water]'s own keys (``reader``: layers.profile's, its errors naming the key)."""
    return Water(source, reader.number(table, "water", "default_radius_m", None, minimum=0.0,
                                       maximum=MAX_SERVICE_RADIUS_M),
                 reader.value(table, "water", "served_codes_separator", str, ";"))


@dataclass(frozen=True)
class WaterRules:
    """[standards.water]: the share of the village served, and the four indicators' tiers."""

    min_share: float = 0.5
    meets_min_lpcd: float = 35.0
    basic_min_lpcd: float = 20.0
    meets_min_reliability_pct: float = 95.0
    basic_min_reliability_pct: float = 90.0
    meets_max_access_min: float = 10.0
    basic_max_access_min: float = 20.0


def check_rules(rules: WaterRules) -> str | None:
    """Each indicator's basic tier must be the lower one."""
    if rules.basic_min_lpcd > rules.meets_min_lpcd:
        return "standards.water.basic_min_lpcd is above meets_min_lpcd; the basic tier must be the lower one"
    if rules.basic_min_reliability_pct > rules.meets_min_reliability_pct:
        return "standards.water.basic_min_reliability_pct is above meets_min_reliability_pct"
    if rules.basic_max_access_min < rules.meets_max_access_min:
        return "standards.water.basic_max_access_min is below meets_max_access_min"
    return None


def requirement(rules, lang: str) -> str:
    return AT_LEAST_PCT.format(lang, value=number(rules.water.min_share * 100))


STATUS_COLUMNS = ("lpcd", "reliability_pct", "quality_ok", "access_min")


def service_share(inputs: Inputs) -> pd.Series:
    """``water_share``: share of each village's area inside the union of service areas."""
    share = shares.covered_share(inputs.villages.geometry.to_numpy(), inputs.layer("water").geometry.to_numpy())
    return pd.Series(share, index=inputs.villages.index, name="water_share")


def project_grades(water: pd.DataFrame, rules: WaterRules) -> np.ndarray:
    """Each project's grade: the worst of its recorded indicators; no_data when none is
    recorded, ``meets`` when the profile maps no status column at all."""
    mapped = [name for name in STATUS_COLUMNS if name in water]
    if not mapped:
        return np.full(len(water), MEETS, dtype=object)
    ranks = []
    for name in mapped:
        column = water[name]
        if name == "quality_ok":
            rank = np.where(column.fillna(False).to_numpy(dtype=bool), RANK[MEETS], RANK[FAILS]).astype(float)
        elif name == "access_min":
            rank = _tiers(-column.to_numpy(dtype=float), -rules.meets_max_access_min, -rules.basic_max_access_min)
        else:
            meets, basic = ((rules.meets_min_lpcd, rules.basic_min_lpcd) if name == "lpcd"
                            else (rules.meets_min_reliability_pct, rules.basic_min_reliability_pct))
            rank = _tiers(column.to_numpy(dtype=float), meets, basic)
        rank[column.isna().to_numpy()] = np.nan
        ranks.append(rank)
    stacked = np.vstack(ranks)
    recorded = ~np.isnan(stacked).all(axis=0)
    worst = np.nanmin(np.where(np.isnan(stacked), np.inf, stacked), axis=0)
    names = {value: key for key, value in RANK.items()}
    return np.array([names[int(w)] if ok else NO_DATA for w, ok in zip(worst, recorded)], dtype=object)


def _tiers(value: np.ndarray, meets: float, basic: float) -> np.ndarray:
    return np.where(value >= meets, RANK[MEETS], np.where(value >= basic, RANK[BASIC], RANK[FAILS])).astype(float)


def serving_pairs(inputs: Inputs, share: np.ndarray, rules: WaterRules) -> tuple[np.ndarray, np.ndarray]:
    """(village, project) pairs: the project lists the village's code, or its service area
    covers the seat, or it overlaps a village whose covered share reaches ``min_share``."""
    villages, water = inputs.villages, inputs.layer("water")
    areas = water.geometry.to_numpy()
    listed = water["served_codes"].explode().dropna()
    at = values.positions(villages["code"], listed.to_numpy())
    lv, lp = at[at >= 0], listed.index.to_numpy()[at >= 0]
    seats = inputs.seats.to_numpy()
    sv, sp = geometry.pairs_intersecting(seats, areas)
    shared = np.where(share >= rules.min_share, villages.geometry.to_numpy(), None)
    # a pair the listing or the seat already serves needs no overlay test (a third of them)
    av, ap = geometry.pairs_overlapping(shared, areas, known=(np.r_[lv, sv], np.r_[lp, sp]))
    return geometry.distinct_pairs(np.r_[lv, sv, av], np.r_[lp, sp, ap])


def assess(inputs: Inputs, rules: WaterRules, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """water_share, water_project, water_verdict, water_reason (in ``lang``) for every village."""
    index = inputs.villages.index
    n = len(index)
    grades = Grades(n, lang, T(zh="配置中没有供水工程图层", en="no water layer in the profile"))
    water = inputs.layer("water")
    if water is None:
        return grades.frame("water", index, water_share=np.full(n, np.nan), water_project=np.full(n, None))
    share = service_share(inputs).to_numpy()
    village, project = serving_pairs(inputs, share, rules)
    grade = project_grades(water, rules)[project]
    order = np.lexsort((project, -np.array([RANK.get(g, -1) for g in grade]), village))
    village, project, grade = village[order], project[order], grade[order]
    first = np.r_[True, village[1:] != village[:-1]] if len(village) else np.zeros(0, dtype=bool)
    best = np.full(n, None, dtype=object)
    best[village[first]] = grade[first]
    unnamed = T(zh="未命名供水工程", en="unnamed project")(lang)
    names = water["name"].astype("string").fillna(unnamed).to_numpy(dtype=object)
    chosen = np.full(n, None, dtype=object)
    chosen[village[first]] = names[project[first]]
    label = np.where(chosen == None, "", chosen)  # noqa: E711 (element-wise)
    notes = np.zeros(n, dtype=numbers_text(np.zeros(0)).dtype)
    notes[village[first]] = project_notes(water, rules, lang)[project[first]]
    mapped = any(name in water for name in STATUS_COLUMNS)

    grades.rule(~geometry.usable(inputs.origins) & (best == None), NO_DATA, NO_ORIGIN)  # noqa: E711
    grades.rule((best == MEETS) & ~mapped, MEETS,
                T(zh="由{p}供水（配置未映射水量、水质、取水时间和供水保证率，有工程供水即算达标）",
                  en="served by {p} (the profile maps none of quantity, quality, access and reliability, "
                     "so serving is enough)"), p=label)
    grades.rule((best == MEETS) & (notes == ""), MEETS,
                T(zh="由{p}供水，水量、水质、取水时间和供水保证率均达标",
                  en="served by {p}, which meets all four indicators"), p=label)
    grades.rule(best == MEETS, MEETS, T(zh="由{p}供水，已记录的指标均达标；{notes}",
                                        en="served by {p}, whose recorded indicators meet the standard; {notes}"),
                p=label, notes=notes)
    grades.rule(best == BASIC, BASIC, T(zh="由{p}供水，基本达标：{notes}", en="served by {p}, which basically "
                                        "meets the standard: {notes}"), p=label, notes=notes)
    grades.rule(best == FAILS, FAILS, T(zh="由{p}供水，不达标：{notes}", en="served by {p}, which fails: {notes}"),
                p=label, notes=notes)
    grades.rule(best == NO_DATA, NO_DATA, T(zh="由{p}供水，但其水量、水质、取水时间和供水保证率均未记录；请在供水工程图层中补录",
                                            en="served by {p}, but its quantity, quality, access and reliability "
                                               "are not recorded; record them in the water layer"), p=label)
    grades.rule(np.isnan(share), FAILS,
                T(zh="没有供水工程服务本村：村委会不在任何供水范围内，也没有工程把本村列为受益村",
                  en="no water-supply project serves the village: its seat is in no service area and no project "
                     "lists it"))
    grades.rule(np.ones(n, dtype=bool), FAILS,
                T(zh="没有供水工程服务本村：村域只有 {s:.1%} 在供水范围内，低于 {m}，也没有工程把本村列为受益村",
                  en="no water-supply project serves the village; {s:.1%} of its area in service areas, limit {m}, "
                     "and no project lists it"), s=share, m=percent_text(rules.min_share))
    return grades.frame("water", index, water_share=share, water_project=chosen)


def project_notes(water: pd.DataFrame, rules: WaterRules, lang: str = DEFAULT_LANG) -> np.ndarray:
    """Per project, what to fix: each indicator below its ``meets`` tier and by how much,
    then the indicators not recorded (numpy strings; "" for a project that meets all four)."""
    m = len(water)

    def column(name: str) -> np.ndarray:
        return water[name].to_numpy(dtype=float) if name in water else np.full(m, np.nan)

    lpcd, reliability, access = column("lpcd"), column("reliability_pct"), column("access_min")
    quality = water["quality_ok"].astype("boolean") if "quality_ok" in water else pd.Series(pd.NA, index=water.index,
                                                                                            dtype="boolean")
    shown = {"lpcd": numbers_text(lpcd), "reliability": numbers_text(reliability), "access": numbers_text(access)}
    w = rules
    pieces = [
        text_column(T(zh="水量 {v} 升/人·天，低于 {m}（基本达标线 {b}）",
                      en="quantity {v} L per person per day, below {m} (basic tier {b})"), lang,
                    (lpcd < w.meets_min_lpcd) & (lpcd >= w.basic_min_lpcd), v=shown["lpcd"],
                    m=number_text(w.meets_min_lpcd), b=number_text(w.basic_min_lpcd)),
        text_column(T(zh="水量 {v} 升/人·天，低于基本达标线 {b}", en="quantity {v} L per person per day, below the "
                      "basic tier {b}"), lang, lpcd < w.basic_min_lpcd, v=shown["lpcd"],
                    b=number_text(w.basic_min_lpcd)),
        text_column(T(zh="水质不合格", en="water quality fails"), lang, (quality == False).to_numpy(  # noqa: E712
            dtype=bool, na_value=False)),
        text_column(T(zh="取水往返 {v} 分钟，超过 {m} 分钟（基本达标线 {b} 分钟）",
                      en="round trip to fetch water {v} min, over {m} min (basic tier {b} min)"), lang,
                    (access > w.meets_max_access_min) & (access <= w.basic_max_access_min), v=shown["access"],
                    m=number_text(w.meets_max_access_min), b=number_text(w.basic_max_access_min)),
        text_column(T(zh="取水往返 {v} 分钟，超过基本达标线 {b} 分钟",
                      en="round trip to fetch water {v} min, over the basic tier {b} min"), lang,
                    access > w.basic_max_access_min, v=shown["access"], b=number_text(w.basic_max_access_min)),
        text_column(T(zh="供水保证率 {v}%，低于 {m}%（基本达标线 {b}%）",
                      en="supply reliability {v}%, below {m}% (basic tier {b}%)"), lang,
                    (reliability < w.meets_min_reliability_pct) & (reliability >= w.basic_min_reliability_pct),
                    v=shown["reliability"], m=number_text(w.meets_min_reliability_pct),
                    b=number_text(w.basic_min_reliability_pct)),
        text_column(T(zh="供水保证率 {v}%，低于基本达标线 {b}%", en="supply reliability {v}%, below the basic tier {b}%"),
                    lang, reliability < w.basic_min_reliability_pct, v=shown["reliability"],
                    b=number_text(w.basic_min_reliability_pct)),
    ]
    missing = [text_column(word, lang, absent) for word, absent in (
        (T(zh="水量", en="quantity"), np.isnan(lpcd)), (T(zh="水质", en="quality"), quality.isna().to_numpy()),
        (T(zh="取水时间", en="access"), np.isnan(access)), (T(zh="供水保证率", en="reliability"), np.isnan(reliability)))]
    unrecorded = joined(missing, T(zh="、", en=", ")(lang))
    pieces.append(text_column(T(zh="未记录{names}", en="not recorded: {names}"), lang, unrecorded != "",
                              names=unrecorded))
    return joined(pieces, T(zh="；", en="; ")(lang))


# A point project's circle is a polygon of 4 x this many sides: its edges pass within
# 1 - cos(pi / 128) = 0.03 % of the radius (GEOS's default, 8, leaves 0.5 %).
CIRCLE_QUAD_SEGS = 32


def canonical(frame: gpd.GeoDataFrame, profile: Profile, findings: Findings,
              source: Source | None = None) -> gpd.GeoDataFrame:
    """The water layer as read (in the working CRS) in covermap's columns: point projects
    drawn as circles of their service radius, ``served_codes`` as sets of codes, the
    indicators parsed (cells that do not parse reported, and not recorded)."""
    spec = profile.layer("water")
    source = spec.source
    where_ = source.where
    radius = (_numbers(frame, "radius", source, findings) if "radius" in frame
              else pd.Series(np.nan, index=frame.index))
    if spec.default_radius_m is not None:
        radius = radius.fillna(spec.default_radius_m)
    points = frame.geom_type.isin(list(POINTS)).to_numpy()
    absurd = _absurd_radii(frame, radius, points, source, findings)
    radius = radius.mask(absurd)
    lacking = points & radius.isna().to_numpy() & ~absurd
    if lacking.any():
        raise DataError(f"{where_}: {int(lacking.sum())} point projects have no service radius (first: row "
                        f"{int(np.flatnonzero(lacking)[0]) + 1}); map water.columns.radius or set "
                        "water.default_radius_m")
    geoms = frame.geometry.to_numpy().copy()
    radius_m = radius.to_numpy(dtype=float)[points]
    if profile.working_crs is None and points.any():
        # "auto": the working CRS may be far from a project's zone; a circle of the true
        # radius is drawn with the CRS's scale there (layers.zones decides water in it)
        radius_m = radius_m * local_scale(CRS(frame.crs), geoms[points])
    geoms[points] = shapely.buffer(geoms[points], radius_m, quad_segs=CIRCLE_QUAD_SEGS)
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    if "served_codes" in frame:
        parts = frame["served_codes"].astype("string").str.split(spec.served_codes_separator, regex=False)
        parts = values.codes(_served_cells(parts.explode().astype("string"), source, findings)).dropna()
        listed: dict = {}
        for row, code in zip(parts.index.tolist(), parts.tolist()):
            listed.setdefault(row, []).append(code)
        nothing = frozenset()
        frame["served_codes"] = [frozenset(listed[i]) if i in listed else nothing for i in frame.index]
    for name in ("lpcd", "reliability_pct", "access_min"):
        if name in frame:
            frame[name] = _numbers(frame, name, source, findings)
    if "quality_ok" in frame:
        frame["quality_ok"] = _flags(frame, "quality_ok", source, findings)
    return _with_defaults(frame, {"name": pd.NA, "served_codes": frozenset()})


def _absurd_radii(frame: gpd.GeoDataFrame, radius: pd.Series, points: np.ndarray, source: Source,
                  findings: Findings) -> np.ndarray:
    """Mask of point projects whose service radius is above MAX_SERVICE_RADIUS_M (a radius
    in the wrong unit, a typo): an error naming the rows and column."""
    absurd = points & (radius.to_numpy(dtype=float) > MAX_SERVICE_RADIUS_M)
    if absurd.any():
        rows = np.flatnonzero(absurd) + 1
        column = source.columns.get("radius", "radius")
        findings.error(f"column {column!r}: {counted(len(rows), 'service radius is', 'service radii are')} above "
                       f"{MAX_SERVICE_RADIUS_M:,.0f} m ({row_examples(rows)}; first {radius.iloc[rows[0] - 1]:g} m)",
                       fix="give each project's radius in metres (a water-supply project serves a few kilometres "
                           "at most) or draw its service area as a polygon",
                       row=int(rows[0]), column=column, check="radius_out_of_range", **where(source))
    return absurd


def _served_cells(cells: pd.Series, source: Source, findings: Findings) -> pd.Series:
    """The codes listed in ``served_codes`` (one cell per code, labelled by project row),
    with Excel's numbers read as codes as the villages' are (layers.sources)."""
    text, lost, number = values.code_cells(cells)
    column = source.columns["served_codes"]
    if lost.any():
        rows = np.unique(cells.index.to_numpy()[lost]) + 1
        raise DataError(code_digits_lost(source, column, rows, cells[lost].iloc[0]))
    if number.any():
        rows = np.unique(cells.index.to_numpy()[number]) + 1
        findings.warn(f"column {column!r}: {counted(int(number.sum()), 'code is', 'codes are')} written as numbers "
                      f"({row_examples(rows)}; first {cells[number].iloc[0]!r}, read as {text[number].iloc[0]})",
                      fix="format the column as text in Excel (设置单元格格式 → 文本) so that no code is rounded",
                      row=int(rows[0]), column=column, check="code_as_number", **where(source))
    return text


def unknown_served(water: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, spec: Water, findings: Findings) -> None:
    """Codes listed in ``served_codes`` that are no village: a warning naming each
    project's row and its unknown codes (the listing serves no village by them)."""
    if "served_codes" not in spec.source.columns:
        return
    source = spec.source
    listed = water["served_codes"].explode().dropna()
    if listed.empty:
        return
    known = set(villages["code"].dropna().tolist())   # codes may repeat here (an error of their own)
    unknown = listed[[code not in known for code in listed.tolist()]]
    if unknown.empty:
        return
    by_row = unknown.groupby(level=0, sort=True).agg(lambda codes: sorted(codes))
    names = water["name"].astype("string")
    shown = [f"row {row + 1}" + (f" {names.iloc[row]}" if pd.notna(names.iloc[row]) else "")
             + f": {examples(codes)}" for row, codes in by_row.head(EXAMPLES).items()]
    more = f"; ... ({len(by_row)} projects in all)" if len(by_row) > EXAMPLES else ""
    column = source.columns["served_codes"]
    findings.warn(f"column {column!r}: {counted(len(by_row), 'project lists', 'projects list')} "
                  f"{counted(len(unknown), 'code that is not a village', 'codes that are not villages')} "
                  f"({'; '.join(shown)}{more})",
                  fix="correct the codes (12-digit village codes, separated by "
                      f"{spec.served_codes_separator!r}), or set water.served_codes_separator to the separator used",
                  row=int(by_row.index[0]) + 1, code=str(by_row.iloc[0][0]), column=column,
                  check="unknown_served_code", **where(source))


def _decide(inputs: Inputs, rules, lang: str) -> pd.DataFrame:
    return assess(inputs, rules.water, lang)


def _check_served(inputs: Inputs, profile: Profile, findings: Findings) -> None:
    if inputs.layer("water") is not None:
        unknown_served(inputs.layer("water"), inputs.villages, profile.layer("water"), findings)


def _check_settings(profile: Profile, findings: Findings) -> None:
    """No status column mapped: serving a village alone counts as meets (warned)."""
    if not any(name in profile.layer("water").source.columns for name in STATUS_COLUMNS):
        findings.warn(f"[water.columns] maps none of {', '.join(STATUS_COLUMNS)}: serving a village alone counts "
                      "as meets, whatever the quantity, quality, access or reliability of its water",
                      fix="map the water projects' status columns", check="setting_unused", file=str(profile.path))


def recorded(inputs: Inputs, profile) -> pd.DataFrame:
    """The ledger against the map (layers.consistency): a project's served-village list names
    a village its service area does not reach (neither the polygon nor, without one, the seat)."""
    water = inputs.layer("water")
    if water is None or "served_codes" not in profile.layer("water").source.columns:
        return pd.DataFrame()
    listed = water["served_codes"].map(sorted).explode().dropna()
    at = values.positions(inputs.villages["code"], listed.to_numpy())
    project, village = listed.index.to_numpy()[at >= 0], at[at >= 0]
    targets = polygon_or_seat(inputs)[village]
    areas = water.geometry.to_numpy()[project]
    known = geometry.usable(targets) & geometry.usable(areas)
    missed = known & ~shapely.intersects(np.where(known, areas, None), np.where(known, targets, None))
    names = water["name"].astype(object).where(water["name"].notna(), None).to_numpy()[project[missed]]
    lang = profile.lang
    named = T(zh="供水工程{name}把本村列为受益村", en="project {name} lists the village as served")
    unnamed = T(zh="第 {row} 行的供水工程把本村列为受益村", en="project on row {row} lists the village as served")
    return pd.DataFrame({
        "row": village[missed], "bureau": "water", "check": "water_served_list",
        "ledger": [named.format(lang, name=name) if name else unnamed.format(lang, row=p + 1)
                   for name, p in zip(names, project[missed])],
        "map": T(zh="其供水范围没有到达本村", en="its service area does not reach the village")(lang),
        "source": str(profile.layer("water").source.path)})


# the ledger's record against the map (layers/consistency.py)
RECORDED = T(zh="供水工程服务名单与服务范围不符", en="Water project's served list vs. its area")


# service areas as outlines, so the villages under them keep their colours and stay clickable
AREAS = Drawn("water", ("name",), name=T(zh="供水工程服务范围", en="Water service areas"), marks=(
    Mark("water", {"color": "#0570b0", "weight": 2, "opacity": 0.9, "fill": False, "dashArray": "8 3"}, "area",
         T(zh="供水工程服务范围（边界）", en="Water service area (outline)")),))
DRAWING = Drawing((AREAS,), "limit.at_least_pct", "water_min_share", lambda rules: rules.water.min_share,
                  facility=("water_project",))

STANDARD = Standard("water", "water", "Drinking water", "water_share", T(zh="饮水安全", en="Drinking water"),
                    unit=SHARE, settings=("standards.water.",), requirement=requirement,
                    checks={"water_served_list": RECORDED},
                    decide=_decide, apart=True, layers=("water",), ledger=recorded,
                    drawing=DRAWING, section="water", rules=WaterRules, check_rules=check_rules,
                    inputs=(Layer("water", "water", frozenset(POLYGONS | POINTS),
                                  optional=("name", "served_codes", "radius", "lpcd", "reliability_pct", "quality_ok",
                                            "access_min"),
                                  assemble=canonical, keys=frozenset({"default_radius_m", "served_codes_separator"}),
                                  settings=read_table, check=_check_served, check_settings=_check_settings),))
