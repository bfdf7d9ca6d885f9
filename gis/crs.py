"""Coordinate reference systems: parsing profile values, resolving a file's CRS,
choosing a metric working CRS. A CRS problem is always an error, never a warning."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from pyproj import CRS
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from pyproj.exceptions import CRSError as ProjCRSError

from gis.errors import ConfigError, CRSError

WGS84 = CRS.from_epsg(4326)


def parse_crs(value: str | int, key: str) -> CRS:
    """A CRS from a profile value such as ``"EPSG:4490"``; ConfigError naming ``key``."""
    try:
        return CRS.from_user_input(value)
    except ProjCRSError as exc:
        raise ConfigError(f"profile key {key} = {value!r} is not a CRS PROJ knows; "
                          "use an EPSG code such as \"EPSG:4490\" (CGCS2000)") from exc


def resolve_crs(frame: gpd.GeoDataFrame, assume_crs: CRS | None, where: str, key: str) -> gpd.GeoDataFrame:
    """Give ``frame`` a CRS: the file's own, else ``assume_crs``; never a guess."""
    if frame.crs is None:
        if assume_crs is None:
            raise CRSError(f"{where}: has no CRS (no .prj or CRS in the file); set {key} in the profile, "
                           "for example assume_crs = \"EPSG:4490\"")
        return frame.set_crs(assume_crs)
    if assume_crs is not None and not CRS(frame.crs).equals(assume_crs, ignore_axis_order=True):
        raise CRSError(f"{where}: declares {CRS(frame.crs).to_string()} but {key} says {assume_crs.to_string()}; "
                       f"remove {key} or correct the file's CRS")
    return frame


def working_crs(frames: list[gpd.GeoDataFrame]) -> CRS:
    """A UTM zone in metres centred on the data's area (WGS84 bounds of all frames)."""
    bounds = []
    for frame in frames:
        geoms = frame.geometry[~(frame.geometry.isna() | frame.geometry.is_empty)]
        if len(geoms):
            bounds.append(geoms.to_crs(WGS84).total_bounds)
    if not bounds:
        raise CRSError("no input has any geometry, so no working CRS can be chosen; "
                       "set working_crs in the profile's [project] table")
    stacked = np.vstack(bounds)
    west, south = stacked[:, 0].min(), stacked[:, 1].min()
    east, north = stacked[:, 2].max(), stacked[:, 3].max()
    lon, lat = (west + east) / 2, (south + north) / 2
    infos = query_utm_crs_info(datum_name="WGS 84",
                               area_of_interest=AreaOfInterest(lon, lat, lon, lat))
    if not infos:
        raise CRSError(f"no UTM zone covers longitude {lon:.3f}, latitude {lat:.3f}; "
                       "set working_crs in the profile's [project] table")
    return CRS.from_epsg(int(infos[0].code))


def check_metric(crs: CRS, key: str) -> CRS:
    """Refuse a working CRS whose unit is not the metre."""
    if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        raise ConfigError(f"profile key {key} = {crs.to_string()} is not in metres; "
                          "use a projected CRS such as a UTM or Gauss-Kruger zone, or \"auto\"")
    return crs
