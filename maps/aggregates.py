"""Aggregates for the overview and the bureau maps of a run over several counties: one polygon
per township (or per county, when there are more than AGGREGATE_TOWNSHIPS_MAX townships)
coloured by the share of its villages with a gap, or failing a bureau's standard(s), in
place of every village. A province's 30,000 villages as paths or tiles make a page of 60 MB
and more; its 1,400 townships make a few. Each county's own map (counties/) still draws
its villages.

Counts come from the village table, so they are the villages' own verdicts, drawn or not;
shapes come from the township shapes (layers.pipeline's ``Result.townships``: the union of
each township's villages) or, without them, from the villages dissolved here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.geometry import usable
from maps.geojson import feature_collection, to_lonlat
from maps.simplify import simplify_coverage
from maps.styles import SHARE_CLASSES, STANDARDS, share_classes

AGGREGATE_TOWNSHIPS_MAX = 5000  # townships; above it (the whole country: ~40,000) the unit is the county
TOWNSHIP_TOLERANCE_M = 100.0  # under a pixel up to zoom 10 (a prefecture in view); detail is in the county maps
COUNTY_TOLERANCE_M = 300.0  # under a pixel up to zoom 8 (a province in view)


@dataclass(frozen=True)
class Areas:
    """The aggregate units of one run, counted and shaped once for all its maps."""

    unit: str  # "township" or "county"
    table: pd.DataFrame  # index: area code; name, county, href, villages, gaps, fails_<key>, bureau_<bureau>
    shapes: dict  # FeatureCollection (EPSG:4326, simplified) of the areas with a shape, id = area code
    standards: Mapping[str, str] = field(default_factory=lambda: STANDARDS)   # key -> bureau: the ones counted

    def keys_of(self, bureau: str) -> tuple[str, ...]:
        return tuple(key for key, owner in self.standards.items() if owner == bureau)

    @property
    def undrawn(self) -> int:
        return len(self.table) - len(self.shapes["features"])


def _text_codes(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str)


def area_unit(villages: pd.DataFrame, townships_max: int = AGGREGATE_TOWNSHIPS_MAX) -> str:
    """"township" when the villages lie in at most ``townships_max`` townships, else "county"."""
    return "township" if _text_codes(villages["township_code"]).nunique() <= townships_max else "county"


def area_counts(villages: pd.DataFrame, unit: str, words: Mapping[str, str],
                href: Callable[[str], str], standards: Mapping[str, str] = STANDARDS) -> pd.DataFrame:
    """Per area (index: township code, or the first six digits of the village codes), in code
    order: ``name``, ``county`` (six digits), ``href`` (its county map), ``villages``, ``gaps``
    (villages failing at least one standard), ``fails_<key>`` per standard of ``standards``
    (key -> bureau: the five, and the optional ones the run checked) and ``bureau_<bureau>``
    (villages failing at least one of the bureau's standards)."""
    county = villages["village_code"].astype(str).str[:6]
    frame = pd.DataFrame({"area": _text_codes(villages["township_code"]) if unit == "township" else county,
                          "county": county, "name": villages["township_name"].astype(object),
                          "gaps": (villages["gap_count"] > 0).to_numpy()}, index=villages.index)
    fails = {key: (villages[f"{key}_verdict"] == "fails").to_numpy() for key in standards}
    for key, failing in fails.items():
        frame[f"fails_{key}"] = failing
    bureaus = dict.fromkeys(standards.values())
    for bureau in bureaus:
        frame[f"bureau_{bureau}"] = np.logical_or.reduce([fails[key] for key, owner in standards.items()
                                                          if owner == bureau])
    counted = ["gaps"] + [f"fails_{key}" for key in standards] + [f"bureau_{bureau}" for bureau in bureaus]
    grouped = frame.groupby("area", sort=True)
    table = grouped[counted].sum().astype(np.int64)
    table.insert(0, "villages", grouped.size().astype(np.int64))
    firsts = grouped[["county", "name"]].first()  # first non-missing name
    if unit == "township":
        names = firsts["name"].where(firsts["name"].notna(), None)
        names = pd.Series([str(name) if name is not None else (code or words["unknown"])
                           for code, name in zip(firsts.index, names)], index=firsts.index, dtype=object)
    else:
        names = pd.Series([words["area.county"].format(code=code) for code in firsts.index], index=firsts.index,
                          dtype=object)
    table.insert(0, "href", [href(code) for code in firsts["county"]])
    table.insert(0, "county", firsts["county"])
    table.insert(0, "name", names)
    table.index.name = "code"
    return table


def township_shapes(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The villages' union per township (column ``township_code``), as layers.pipeline makes
    Result.townships: for maps made without that table."""
    drawn = villages[usable(villages.geometry.values)]
    frame = gpd.GeoDataFrame({"township_code": _text_codes(drawn["township_code"]).to_numpy()},
                             geometry=drawn.geometry.values, crs=villages.crs)
    return _dissolve(frame, "township_code")


def _dissolve(frame: gpd.GeoDataFrame, by: str) -> gpd.GeoDataFrame:
    """By GEOS' coverage union when the shapes form a clean coverage (far faster), else the general union."""
    clean = bool(shapely.coverage_is_valid(frame.geometry.values))
    return frame.dissolve(by, method="coverage" if clean else "unary").reset_index()


def area_shapes(townships: gpd.GeoDataFrame, villages: pd.DataFrame, unit: str, gcj02: bool = False) -> dict:
    """The areas' shapes from the township shapes (``township_code`` and a geometry, any CRS):
    dissolved into counties for the county unit (each township in the county of its first
    village), simplified as one coverage, in EPSG:4326 (GCJ-02 if asked); a FeatureCollection
    with the area code as id and no properties."""
    drawn = townships[usable(townships.geometry.values)]
    codes = _text_codes(drawn["township_code"])
    if unit == "county":
        county_of = pd.Series(villages["village_code"].astype(str).str[:6].to_numpy(),
                              index=_text_codes(villages["township_code"]).to_numpy())
        county_of = county_of[~county_of.index.duplicated()]
        codes = codes.map(county_of)
    frame = gpd.GeoDataFrame({"code": codes.to_numpy()}, geometry=drawn.geometry.values, crs=townships.crs)
    frame = frame[frame["code"].notna()]
    if frame.empty:
        return {"type": "FeatureCollection", "features": []}
    if frame["code"].duplicated().any():
        frame = _dissolve(frame, "code")
    frame = simplify_coverage(frame.reset_index(drop=True),
                              TOWNSHIP_TOLERANCE_M if unit == "township" else COUNTY_TOLERANCE_M)
    frame = to_lonlat(frame, "townships", gcj02).sort_values("code", kind="stable")
    return feature_collection(frame, pd.DataFrame(index=frame["code"].to_numpy()))


def make_areas(villages: pd.DataFrame, townships: gpd.GeoDataFrame, words: Mapping[str, str],
               href: Callable[[str], str], gcj02: bool = False,
               townships_max: int = AGGREGATE_TOWNSHIPS_MAX, standards: Mapping[str, str] = STANDARDS) -> Areas:
    """The areas of ``villages`` (the checked village table), shaped from ``townships``, counting
    ``standards`` (key -> bureau)."""
    unit = area_unit(villages, townships_max)
    table = area_counts(villages, unit, words, href, standards)
    shapes = area_shapes(townships, villages, unit, gcj02)
    shapes["features"] = [feature for feature in shapes["features"] if feature["id"] in table.index]
    return Areas(unit, table, shapes, standards)


def area_geojson(areas: Areas, keys: tuple[str, ...], counted: str) -> dict:
    """The areas' features with the properties a map shows: ``code``, ``name``, ``county``,
    ``href``, ``villages``, ``counted`` (the villages the colour counts: column ``counted``),
    ``share_class`` and ``fails`` ({standard: villages failing it} for ``keys``)."""
    table = areas.table
    classes = dict(zip(table.index, share_classes(table[counted].to_numpy(), table["villages"].to_numpy())))
    props = {code: {"code": code, "name": name, "county": county, "href": href, "villages": int(total),
                    "counted": int(count), "share_class": classes[code],
                    "fails": {key: int(table.at[code, f"fails_{key}"]) for key in keys}}
             for code, name, county, href, total, count in zip(
                 table.index, table["name"], table["county"], table["href"], table["villages"], table[counted])}
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "id": f["id"], "properties": props[f["id"]], "geometry": f["geometry"]}
                         for f in areas.shapes["features"]]}


def share_counts(areas: Areas, counted: str) -> dict[str, int]:
    """Areas in each SHARE_CLASSES class, drawn or not."""
    found = pd.Series(share_classes(areas.table[counted].to_numpy(), areas.table["villages"].to_numpy()))
    counts = found.value_counts()
    return {share.key: int(counts.get(share.key, 0)) for share in SHARE_CLASSES}


def area_panel(areas: Areas, bureau: str, words: Mapping[str, str]) -> dict:
    """A bureau map's side panel over areas: per standard of the bureau, the areas with failing
    villages, most first (then by code); each item zooms to its area."""
    table, drawn = areas.table, {feature["id"] for feature in areas.shapes["features"]}
    unit = words["area.townships" if areas.unit == "township" else "area.counties"]
    items = []
    for key in areas.keys_of(bureau):
        failing = table[table[f"fails_{key}"] > 0]
        order = failing.assign(_code=failing.index).sort_values([f"fails_{key}", "_code"], ascending=[False, True])
        items += [{"code": code, "name": name,
                   "township": words["area.county"].format(code=county) if areas.unit == "township" else "",
                   "standard": key, "reason": words["index.failing"].format(n=int(n)), "drawn": code in drawn}
                  for code, name, county, n in zip(order.index, order["name"], order["county"], order[f"fails_{key}"])]
    return {"title": words["panel.areas"].format(bureau=words[f"bureau.{bureau}"], unit=unit.lower()), "items": items}
