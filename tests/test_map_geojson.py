"""The geometry the maps draw: GeoJSON (maps.geojson.feature_collection) that is what
geopandas writes and ``json.loads`` reads back, made without that round trip (the same
features, ids, properties, rounded coordinates, down to the JSON text folium writes);
township outlines that cover what their villages cover; village outlines simplified
together so that neighbours still share their edges."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.geometry

from maps.geojson import DECIMALS, dumps, feature_collection, script_json, template_safe_dumps


def _round_trip(frame: gpd.GeoDataFrame, properties: pd.DataFrame) -> dict:
    """What feature_collection made before: geopandas' JSON, read back."""
    keep = ~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()
    geoms = shapely.transform(np.asarray(frame.geometry.values[keep], dtype=object),
                              lambda coords: np.round(coords, DECIMALS))
    table = gpd.GeoDataFrame(properties.loc[keep], geometry=geoms, crs=frame.crs)
    return json.loads(table.to_json(na="null", drop_id=False))


def _frame(seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(100, 110, 12), rng.uniform(20, 30, 12)   # 11 rows
    square = lambda cx, cy, r: shapely.box(cx - r, cy - r, cx + r, cy + r)  # noqa: E731
    geoms = [
        shapely.Polygon(square(x[0], y[0], 0.1).exterior, [square(x[0], y[0], 0.01).exterior.coords[::-1]]),
        shapely.MultiPolygon([square(x[1], y[1], 0.05), square(x[1] + 1, y[1], 0.05)]),
        shapely.Point(x[2], y[2]),
        shapely.LineString([(x[3], y[3]), (x[3] + 0.123456789, y[3] - 0.987654321), (x[4], y[4])]),
        None,
        shapely.Polygon(),
        shapely.MultiLineString([[(x[5], y[5]), (x[6], y[6])], [(x[7], y[7]), (x[8], y[8])]]),
        shapely.Point(x[9], y[9], 12.5),
        shapely.MultiPoint([(x[10], y[10]), (x[11], y[11])]),
        shapely.Point(-0.0, 0.0),
        shapely.GeometryCollection([shapely.Point(x[0], y[1]), square(x[2], y[3], 0.2)]),
    ]
    return gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4326")


def _properties(index) -> pd.DataFrame:
    n = len(index)
    return pd.DataFrame({
        "text": pd.array(['村"甲"\\', None, "</script>", "路{{ 1 }}", "", "x", "é", "\u2028", "a", "b", "c"][:n],
                         dtype="string"),
        "obj": pd.Series(["a", None, 3, "b", None, "c", 1.5, "d", "e", "f", "g"][:n], dtype=object).to_numpy(),
        "share": [0.5, np.nan, 1 / 3, np.inf, -0.0, 1e-300, 2.0, np.nan, 0.1 + 0.2, 7.0, -1.0][:n],
        "count": np.arange(n, dtype=np.int64) * 10**12,
        "flag": [True, False] * (n // 2) + [True] * (n % 2),
        "maybe": pd.array([True, None, False, True, None, False, True, None, False, True, None][:n],
                          dtype="boolean"),
    }, index=index)


@pytest.mark.parametrize("index", [range(11), [f"5201{k:02d}" for k in range(11)], [10 * k for k in range(11)]])
def test_feature_collection_is_geopandas_json_read_back(index):
    frame = _frame(3)
    frame.index = list(index)
    properties = _properties(frame.index)
    got, want = feature_collection(frame, properties), _round_trip(frame, properties)
    assert len(got["features"]) == 9                       # the missing and the empty geometry left out
    # the geometries are kept as GEOS's text, their type readable (folium reads it)
    assert [f["geometry"]["type"] for f in got["features"]] == [f["geometry"]["type"] for f in want["features"]]
    # written as the maps write it (folium's tojson with our policy, script blocks), it is
    # geopandas' JSON read back
    policy = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}
    for text in (dumps(got, **policy), dumps(got), template_safe_dumps(got, **policy), script_json(got)):
        assert json.loads(text) == want
    no_columns = pd.DataFrame(index=frame.index)
    assert json.loads(dumps(feature_collection(frame, no_columns))) == _round_trip(frame, no_columns)


def test_feature_collection_of_nothing_drawable():
    frame = gpd.GeoDataFrame(geometry=[None, shapely.Polygon()], crs="EPSG:4326")
    assert feature_collection(frame, pd.DataFrame({"a": [1, 2]})) == {"type": "FeatureCollection", "features": []}


@pytest.mark.parametrize("overlap", [False, True])
def test_township_outlines_are_the_union_of_their_villages(overlap):
    """Villages that share their edges are dissolved by GEOS' coverage union, others (here
    one village reaching 300 m into its neighbour) by the general union: either way each
    outline covers what its villages cover."""
    from maps.townships import township_outlines

    cells = [shapely.box(500_000 + 1000 * i, 2_900_000 + 1000 * j, 501_000 + 1000 * i, 2_901_000 + 1000 * j)
             for j in range(2) for i in range(4)]
    if overlap:
        cells[1] = shapely.box(500_700, 2_900_000, 502_000, 2_901_000)
    villages = gpd.GeoDataFrame({"township_code": ["1"] * 4 + ["2"] * 4, "township_name": ["甲"] * 4 + ["乙"] * 4},
                                geometry=cells, crs="EPSG:32648").to_crs("EPSG:4326")
    outlines = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"])
                for f in json.loads(dumps(township_outlines(villages)))["features"]}
    assert set(outlines) == {"1", "2"}
    for code in outlines:
        union = shapely.union_all(villages.geometry[villages["township_code"] == code].to_numpy())
        assert outlines[code].is_valid and shapely.get_type_id(outlines[code]) == 3
        assert outlines[code].area == pytest.approx(union.area, rel=2e-3)   # simplified by 30 m, to 1e-5 degrees


def test_simplified_villages_still_share_their_edges():
    """Two villages whose shared edge wiggles every 5 m (amplitude 3 m, under the tolerance):
    simplified together, the edge loses its vertices but stays one edge of both."""
    from maps.simplify import TOLERANCE_M, simplify_coverage

    xs = np.arange(0, 1001, 5.0)
    edge = [(500_000 + 1000, 2_900_000 + x) for x in xs]
    edge = [(x + (3.0 if i % 2 else -3.0), y) for i, (x, y) in enumerate(edge)]
    left = shapely.Polygon([(500_000, 2_900_000), *edge, (500_000, 2_901_000)])
    right = shapely.Polygon([*edge, (502_000, 2_901_000), (502_000, 2_900_000)])
    frame = gpd.GeoDataFrame({"id": [1, 2, 3]}, geometry=[left, right, None], crs="EPSG:32648")
    out = simplify_coverage(frame)
    assert TOLERANCE_M > 3.0 and out.geometry.iloc[2] is None and len(out) == 3
    a, b = out.geometry.iloc[0], out.geometry.iloc[1]
    assert len(a.exterior.coords) < 10 < len(left.exterior.coords)
    assert a.intersection(b).area == pytest.approx(0.0, abs=1e-6)  # no overlap
    assert a.intersection(b).length == pytest.approx(1000.0, rel=1e-2)  # still one shared edge
    assert a.union(b).area == pytest.approx(left.union(right).area, rel=1e-3)  # no gap opened
