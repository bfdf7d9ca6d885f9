"""Township outlines: the villages (already simplified as one coverage) dissolved by
township_code, with a label point for the name. Drawn on the maps and in the mini-map."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.coverage import coverage_invalid
from gis.geometry import usable
from maps.geojson import feature_collection
from maps.simplify import simplify_coverage

OUTLINE_TOLERANCE_M = 30.0  # township lines are drawn thick and seen at county scale


def township_outlines(villages: gpd.GeoDataFrame) -> dict:
    """A FeatureCollection (EPSG:4326, like ``villages``) with one feature per township that has
    a drawable village: properties ``code``, ``name`` and ``label`` ([lon, lat] inside it)."""
    drawn = villages[usable(villages.geometry.values)]
    if drawn.empty:
        return {"type": "FeatureCollection", "features": []}
    codes = drawn["township_code"].astype(object).where(drawn["township_code"].notna(), "")
    frame = gpd.GeoDataFrame({"code": codes.astype(str), "name": drawn["township_name"].astype(object)},
                             geometry=drawn.geometry.values, crs=villages.crs)
    # The villages were simplified together (simplify_coverage), so they normally still form
    # a clean coverage, which GEOS unions far faster (30,000 villages: 8.7 s -> under 1 s);
    # anything else by the general union. Checked in strips on threads (gis.geometry), the
    # answer of shapely.coverage_is_valid (100,000 villages: 6.3 s on one core).
    clean = not coverage_invalid(np.asarray(frame.geometry.values, dtype=object)).any()
    dissolved = frame.dissolve("code", aggfunc="first", method="coverage" if clean else "unary").reset_index()
    dissolved = simplify_coverage(dissolved, OUTLINE_TOLERANCE_M)
    points = shapely.get_coordinates(dissolved.geometry.representative_point().values)
    names = dissolved["name"].where(dissolved["name"].notna(), dissolved["code"]).astype(str)
    props = pd.DataFrame({"code": dissolved["code"].to_numpy(), "name": names.to_numpy(),
                          "label": np.round(points, 5).tolist()}, index=dissolved.index)
    return feature_collection(dissolved, props)
