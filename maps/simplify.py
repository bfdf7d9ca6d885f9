"""Village outlines simplified in metres before export, as one coverage: shared edges are
simplified once, so neighbours still touch and no gap or overlap appears between them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gis.crs import reproject
from gis.geometry import usable

TOLERANCE_M = 15.0  # under 2 pixels at zoom 14 (a township in view); a county view (zoom 10-11) needs far less


def metric_crs(frame: gpd.GeoDataFrame):
    """The frame's own CRS when it is projected in metres, else the UTM zone of its centre."""
    crs = frame.crs
    if crs.is_projected and crs.axis_info and crs.axis_info[0].unit_name in ("metre", "meter"):
        return crs
    return frame.estimate_utm_crs()


def simplify_coverage(frame: gpd.GeoDataFrame, tolerance_m: float = TOLERANCE_M) -> gpd.GeoDataFrame:
    """``frame`` (in its own CRS) with its polygons simplified together by ``tolerance_m`` metres.

    Rows without a usable geometry keep theirs (None or empty); no row is dropped.
    """
    geoms = np.asarray(frame.geometry.values, dtype=object)
    keep = usable(frame.geometry.values)
    if not keep.any():
        return frame
    metric = metric_crs(frame)
    projected = reproject(gpd.GeoSeries(geoms[keep], crs=frame.crs), metric)
    simplified = shapely.coverage_simplify(np.asarray(projected.values, dtype=object), tolerance_m)
    back = reproject(gpd.GeoSeries(simplified, crs=metric), frame.crs)
    out = geoms.copy()
    out[keep] = np.asarray(back.values, dtype=object)
    frame = frame.copy()
    frame[frame.geometry.name] = gpd.GeoSeries(out, index=frame.index, crs=frame.crs)
    return frame
