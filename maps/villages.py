"""The village layers: the overview coloured by failed standards, one layer per standard with
the villages that fail it, and a bureau's view coloured by its own verdict. Check the table,
then build the GeoJSON, then the layers. Tooltips and popups are bound by the page's script
(maps/app.py), which inserts every text with textContent: the properties stay plain text."""

from __future__ import annotations

from collections.abc import Mapping

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.errors import DataError
from gis.geometry import usable
from maps.geojson import DECIMALS, feature_collection, require_columns, require_crs, to_lonlat
from maps.popup import evidence
from maps.simplify import simplify_coverage
from maps.tiles import ShapeStore, TiledLayer, store_json, style_classes
from maps.styles import (FAILS_STYLE, STANDARDS, VERDICT_STYLES, VERDICTS, VILLAGE_STYLES, gap_classes,
                         worst_verdict)

VERDICT_COLUMNS = tuple(f"{key}_verdict" for key in STANDARDS)
REASON_COLUMNS = tuple(f"{key}_reason" for key in STANDARDS)
TEXT_COLUMNS = ("village_code", "village_name", "township_code", "township_name", "seat_source")
SHOWN_COLUMNS = ("village_code", "village_name", "township_name")  # what the page reads
REQUIRED = TEXT_COLUMNS + ("population", "poor_population", "gap_count") + VERDICT_COLUMNS + REASON_COLUMNS
_SHOWN = 5  # village codes named in one problem sentence


def check_villages(villages: gpd.GeoDataFrame, gcj02: bool = False) -> gpd.GeoDataFrame:
    """The villages simplified in metres, in EPSG:4326 (GCJ-02 if asked), or one DataError
    listing every problem found."""
    require_crs(villages, "villages")
    problems = require_columns(villages, REQUIRED, "villages")
    if problems:
        raise DataError("; ".join(problems) + "; map the table the gap rules produce")
    codes = villages["village_code"].astype(str)
    duplicated = codes[codes.duplicated()].unique()
    if len(duplicated):
        problems.append(f"village_code repeats for {', '.join(duplicated[:_SHOWN])}")
    for column in VERDICT_COLUMNS:
        bad = ~villages[column].isin(VERDICTS)
        if bad.any():
            problems.append(f"{column} is not one of {', '.join(VERDICTS)} for village(s) "
                            f"{', '.join(codes[bad].iloc[:_SHOWN])}")
    # every standard of the table counts, the optional ones too (layers/standards: their own
    # maps are still to come; their gaps are counted in each village's colour meanwhile)
    fails = (villages[[c for c in villages.columns if c.endswith("_verdict")]] == "fails").sum(axis=1)
    wrong = villages["gap_count"].ne(fails)
    if wrong.any():
        problems.append(f"gap_count differs from the number of 'fails' verdicts for village(s) "
                        f"{', '.join(codes[wrong].iloc[:_SHOWN])}")
    drawn = usable(villages.geometry.values)
    if not drawn.any():
        problems.append("no village has a geometry, so there is nothing to draw")
    kinds = shapely.get_type_id(villages.geometry.values)
    other = drawn & ~np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    if other.any():
        problems.append(f"village boundaries must be polygons; village(s) {', '.join(codes[other].iloc[:_SHOWN])} "
                        f"are {', '.join(sorted(villages.geometry[other].geom_type.unique()))}; "
                        "map polygons, or leave the geometry empty for a village without a boundary")
    if problems:
        raise DataError("villages table cannot be mapped: " + "; ".join(problems))
    return to_lonlat(simplify_coverage(villages), "villages", gcj02)


def village_classes(villages: pd.DataFrame) -> pd.Series:
    """The colour class of every village (with or without geometry), aligned to ``villages``."""
    all_no_data = (villages[list(VERDICT_COLUMNS)] == "no_data").all(axis=1).to_numpy()
    return pd.Series(gap_classes(villages["gap_count"].to_numpy(), all_no_data),
                     index=villages.index, name="gap_class")


def _plain(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), None).map(lambda value: value if value is None else str(value))


def village_properties(villages: gpd.GeoDataFrame, words: Mapping[str, str], extra: tuple = ()) -> pd.DataFrame:
    """What the page knows of each village, indexed by village code: ``village_code``, name,
    township, population, verdicts, ``gap_class`` and ``evidence`` (the popup rows,
    maps/popup.py). Text is plain, never HTML."""
    props = pd.DataFrame({column: _plain(villages[column]) for column in SHOWN_COLUMNS})
    for column in ("population", "poor_population"):
        props[column] = villages[column].astype(object).where(villages[column].notna(), None)
    for column in VERDICT_COLUMNS + tuple(f"{s.key}_verdict" for s in extra if f"{s.key}_verdict" in villages):
        props[column] = villages[column]
    props["gap_class"] = village_classes(villages)
    props["evidence"] = evidence(villages, words, extra)
    props.index = villages["village_code"].astype(str).to_numpy()
    return props


def village_geojson(villages: gpd.GeoDataFrame, words: Mapping[str, str], extra: tuple = ()) -> dict:
    """Features of the villages with a geometry; id and ``village_code`` are the village code;
    properties as ``village_properties``."""
    return feature_collection(villages, village_properties(villages, words, extra))


def village_store(villages: gpd.GeoDataFrame, words: Mapping[str, str],
                  extra: tuple = ()) -> tuple[str, pd.DataFrame]:
    """For a tiled map: the shape store's JSON of the villages with a geometry (properties as
    ``village_properties``, a label point inside each) and those villages' properties, in store order."""
    keep = usable(villages.geometry.values)
    drawn = villages[keep]
    props = village_properties(drawn, words, extra)
    labels = np.round(shapely.get_coordinates(drawn.geometry.representative_point().values), DECIMALS).tolist()
    records = [dict(zip(props.columns, row)) for row in props.itertuples(index=False, name=None)]
    return store_json(drawn.geometry.values, records, labels), props


def village_labels(villages: gpd.GeoDataFrame) -> list[list]:
    """Where a township map writes each drawn, named village's name: ``[code, name, lon, lat,
    west, east, south, north]``, the label point inside the village (its representative point)
    and the ends of the village's horizontal and vertical chords through it, so the page shows
    the name only where it fits inside the village (maps/assets/covermap/covermap.js)."""
    named = villages[usable(villages.geometry.values) & villages["village_name"].notna().to_numpy()]
    if named.empty:
        return []
    shapes = named.geometry.values
    points = shapely.get_coordinates(shapely.point_on_surface(shapes))
    west, south, east, north = shapely.bounds(shapes).T
    across = _chords(shapes, shapely.linestrings(np.stack([np.stack([west, points[:, 1]], 1),
                                                          np.stack([east, points[:, 1]], 1)], 1)), points)
    down = _chords(shapes, shapely.linestrings(np.stack([np.stack([points[:, 0], south], 1),
                                                        np.stack([points[:, 0], north], 1)], 1)), points)
    table = np.round(np.column_stack([points, across[:, [0, 2]], down[:, [1, 3]]]), DECIMALS)
    return [[code, str(name), *row] for code, name, row in
            zip(named["village_code"].astype(str), named["village_name"], table.tolist())]


def _chords(shapes: np.ndarray, lines: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The bounds (west, south, east, north) of the piece of each line inside its shape that
    holds its point: the room a label at the point has along the line."""
    pieces, owner = shapely.get_parts(shapely.intersection(lines, shapes), return_index=True)
    holds = shapely.dwithin(pieces, shapely.points(points[owner]), 1e-9)
    found = np.tile(points, 2)  # a point with no piece: no room (never, for a point on the surface)
    found[owner[holds]] = shapely.bounds(pieces[holds])
    return found


def overview_layer(data: dict, words: Mapping[str, str]) -> folium.GeoJson:
    """All drawable villages, coloured by ``gap_class``."""
    return folium.GeoJson(data, name=words["layer.overview"],
                          style_function=lambda feature: dict(VILLAGE_STYLES[feature["properties"]["gap_class"]]),
                          highlight_function=lambda feature: {"weight": 3})


def bureau_layer(data: dict, keys: tuple[str, ...], words: Mapping[str, str]) -> folium.GeoJson:
    """All drawable villages coloured by their worst verdict among ``keys`` (a bureau's standards)."""
    name = words["layer.bureau"].format(standard=words["list.sep"].join(words[f"standard.{key}"] for key in keys))
    return folium.GeoJson(data, name=name, highlight_function=lambda feature: {"weight": 3},
                          style_function=lambda feature: dict(VERDICT_STYLES[worst_verdict(
                              [feature["properties"][f"{key}_verdict"] for key in keys])]))


def fails_layer(data: dict, key: str, words: Mapping[str, str], show: bool = False) -> folium.GeoJson:
    """The drawable villages whose verdict for standard ``key`` is "fails"; hidden unless ``show``.

    Its features carry the id alone, no geometry: the page script fills the layer with the
    overview's own features (maps/app.py), so the page does not hold every outline twice.
    """
    failing = {"type": "FeatureCollection",
               "features": [{"type": "Feature", "id": f["id"], "properties": {"village_code": f["id"]},
                             "geometry": None}
                            for f in data["features"] if f["properties"][f"{key}_verdict"] == "fails"]}
    return folium.GeoJson(failing, name=words["layer.fails"].format(standard=words[f"standard.{key}"]), show=show,
                          style_function=lambda feature: dict(FAILS_STYLE))


def tiled_overview_layer(store: ShapeStore, props: pd.DataFrame, words: Mapping[str, str]) -> TiledLayer:
    """``overview_layer`` drawn on canvas tiles from ``store`` (the villages of ``props``, in order)."""
    styles, classes = style_classes(props["gap_class"], VILLAGE_STYLES)
    return TiledLayer(store, words["layer.overview"], styles, classes)


def tiled_bureau_layer(store: ShapeStore, props: pd.DataFrame, keys: tuple[str, ...],
                       words: Mapping[str, str]) -> TiledLayer:
    """``bureau_layer`` drawn on canvas tiles from ``store``."""
    name = words["layer.bureau"].format(standard=words["list.sep"].join(words[f"standard.{key}"] for key in keys))
    worst = [worst_verdict(list(verdicts)) for verdicts in
             props[[f"{key}_verdict" for key in keys]].itertuples(index=False, name=None)]
    styles, classes = style_classes(pd.Series(worst, dtype=object), VERDICT_STYLES)
    return TiledLayer(store, name, styles, classes)


def tiled_fails_layer(store: ShapeStore, props: pd.DataFrame, key: str, words: Mapping[str, str],
                      show: bool = False) -> TiledLayer:
    """``fails_layer`` drawn on canvas tiles from ``store``: the codes it draws, no shapes of its own."""
    codes = props.index[props[f"{key}_verdict"].to_numpy() == "fails"]
    return TiledLayer(store, words["layer.fails"].format(standard=words[f"standard.{key}"]), [FAILS_STYLE],
                      codes=list(codes), show=show)


def fails_counts(villages: pd.DataFrame, keys=STANDARDS) -> dict[str, int]:
    """Villages failing each standard (of ``keys``: the five, unless told), drawn or not."""
    return {key: int((villages[f"{key}_verdict"] == "fails").sum()) for key in keys}


def class_counts(villages: pd.DataFrame) -> dict[str, int]:
    """Villages in each colour class, drawn or not."""
    counts = village_classes(villages).value_counts()
    return {key: int(counts.get(key, 0)) for key in VILLAGE_STYLES}


def verdict_counts(villages: pd.DataFrame, keys: tuple[str, ...]) -> dict[str, int]:
    """Villages per worst verdict among ``keys``, drawn or not."""
    verdicts = villages[[f"{key}_verdict" for key in keys]]
    order = list(VERDICT_STYLES)  # worst first
    found = [(verdicts == verdict).any(axis=1).to_numpy() for verdict in order[:-1]]
    worst = np.select(found, order[:-1], order[-1])
    return {verdict: int((worst == verdict).sum()) for verdict in order}


def drawn_bounds(villages: gpd.GeoDataFrame) -> list[list[float]]:
    """[[south, west], [north, east]] of the villages in EPSG:4326, for ``fit_bounds``."""
    west, south, east, north = villages.geometry.total_bounds  # missing geometries are skipped
    return [[float(south), float(west)], [float(north), float(east)]]
