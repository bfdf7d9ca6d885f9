"""Coordinate reference systems: parsing profile values, resolving a file's CRS,
choosing a metric working CRS. A CRS problem is always an error, never a warning."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Geod, Proj, Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from gis import geometry
from gis.errors import ConfigError, CRSError

WGS84 = CRS.from_epsg(4326)


# coordinates below which one thread reprojects (starting transformers costs milliseconds)
_THREADED_FROM = 200_000


def reproject(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs, *, consume: bool = False
              ) -> gpd.GeoDataFrame | gpd.GeoSeries:
    """``frame.to_crs(crs)``, the coordinates read, transformed and written back in slices
    of rows on threads, one transformer each: GEOS and PROJ leave Python's lock free
    meanwhile, so every core works (10 million points: 1.8 -> 0.9 s on two), and only one
    slice's coordinates are held at a time. ``consume``: each slice of ``frame``'s own
    geometries is let go once moved (the caller's frame is left without geometries), so
    a large layer is never held twice. The same coordinates as ``to_crs``; frames with 3D
    geometries, or small ones, are left to ``to_crs``."""
    if frame.crs is None or geometry.THREADS == 1:
        return frame.to_crs(crs)
    target = CRS.from_user_input(crs)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    counts = np.cumsum(shapely.get_num_coordinates(geoms))
    if (frame.crs.is_exact_same(target) or (counts[-1] if len(counts) else 0) < _THREADED_FROM
            or shapely.has_z(geoms).any()):
        return frame.to_crs(target)
    source, local = frame.crs, threading.local()
    moved = np.empty(len(geoms), dtype=object)
    # slices of about _SLICE coordinates each (a slice of large polygons has few rows)
    bounds = np.unique(np.searchsorted(counts, np.arange(_SLICE, counts[-1], _SLICE), side="right"))
    slices = list(zip([0, *bounds], [*bounds, len(geoms)]))

    def one(rows: tuple[int, int]) -> None:
        if not hasattr(local, "transformer"):
            local.transformer = Transformer.from_crs(source, target, always_xy=True)
        part = geoms[rows[0]:rows[1]]
        coords = shapely.get_coordinates(part)   # in GEOS, without Python's lock too
        moved[rows[0]:rows[1]] = shapely.set_coordinates(
            part.copy(), np.column_stack(local.transformer.transform(coords[:, 0], coords[:, 1])))
        if consume:
            geoms[rows[0]:rows[1]] = None

    with ThreadPoolExecutor(geometry.THREADS) as pool:
        list(pool.map(one, slices))
    series = gpd.GeoSeries(moved, index=frame.index, crs=target)
    if isinstance(frame, gpd.GeoSeries):
        return series.rename(frame.name)
    out = frame.drop(columns=frame.geometry.name)
    out[frame.geometry.name] = series
    return out.set_geometry(frame.geometry.name)[list(frame.columns)]


# coordinates a thread reprojects at a time: they are copied out and back
_SLICE = 1_000_000


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
    """The CGCS2000 3-degree Gauss-Krüger zone (``zone_crs``) of the data's median
    longitude: the median, not the middle of the extent, so that a few stray features
    (a typo 60 degrees away) do not move it."""
    lons = []
    for frame in frames:
        geoms = frame.geometry.to_numpy()
        geoms = geoms[geometry.usable(geoms)]
        if len(geoms):
            lons.append(geographic_centres(geoms, CRS(frame.crs))[0])
    lons = np.concatenate(lons) if lons else np.zeros(0)
    lons = lons[np.isfinite(lons)]
    if not len(lons):
        raise CRSError("no input has any geometry, so no working CRS can be chosen; "
                       "set working_crs in the profile's [project] table")
    return zone_crs(zone_meridian(float(np.median(lons))))


# Gauss-Krüger 3-degree zones: central meridians at multiples of 3 degrees (75E..135E in
# China). Within 1.5 degrees of it a distance is stretched by at most 0.03 % (at 18N).
ZONE_WIDTH_DEG = 3.0


def zone_meridian(lon):
    """The central meridian of the 3-degree zone holding each longitude."""
    return ((np.round(np.asarray(lon, dtype=float) / ZONE_WIDTH_DEG) * ZONE_WIDTH_DEG + 180) % 360) - 180


def zone_crs(meridian: float) -> CRS:
    """The CGCS2000 3-degree Gauss-Krüger zone without zone number (EPSG:4534-4554) on
    ``meridian``; outside China the same transverse Mercator on the GRS80 ellipsoid."""
    code = gk_code("CGCS2000", 3, False, float(meridian))
    if code is not None:
        return CRS.from_epsg(code)
    return CRS.from_proj4(f"+proj=tmerc +lat_0=0 +lon_0={float(meridian):g} +k=1 +x_0=500000 +y_0=0 "
                          "+ellps=GRS80 +units=m +no_defs +type=crs")


def geographic_centres(geoms: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude (of ``crs``'s datum) of each geometry's box centre; NaN
    where there is none."""
    bounds = shapely.bounds(geoms)
    x, y = (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
    return (x, y) if crs.is_geographic else _lonlat(crs, x, y)


def scale_factors(crs: CRS, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The point scale factor of the projected ``crs`` at each longitude/latitude (of
    its datum): projected length / true length for short distances there."""
    found = Proj(crs).get_factors(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), errcheck=False)
    return np.asarray(found.meridional_scale, dtype=float)


def true_areas(areas: np.ndarray, geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """Areas (m²) measured in the projected ``crs`` as they are on the ground: divided by
    the square of the scale factor at a point of each geometry (exact for a conformal
    projection such as a transverse Mercator, at the size of a village)."""
    areas = np.asarray(areas, dtype=float)
    return areas / local_scale(crs, shapely.point_on_surface(geoms)) ** 2 if len(areas) else areas


def true_distances(a: np.ndarray, b: np.ndarray, crs: CRS) -> np.ndarray:
    """Ground (geodesic) distances in metres between the nearest points of each pair of
    geometries of the projected ``crs``; NaN where either is missing or empty."""
    lines = shapely.shortest_line(a, b)
    first, last = shapely.get_point(lines, 0), shapely.get_point(lines, -1)
    lon0, lat0 = _to_geographic(crs, first)
    lon1, lat1 = _to_geographic(crs, last)
    geod = crs.get_geod() or Geod(ellps="GRS80")
    known = np.isfinite(lon0) & np.isfinite(lat0) & np.isfinite(lon1) & np.isfinite(lat1)
    distance = np.full(len(known), np.nan)
    if known.any():
        distance[known] = geod.inv(lon0[known], lat0[known], lon1[known], lat1[known])[2]
    return distance


def _to_geographic(crs: CRS, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _lonlat(crs, shapely.get_x(points), shapely.get_y(points))   # NaN for a missing point


def _lonlat(crs: CRS, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projected ``crs`` coordinates as longitude and latitude of its datum."""
    lon, lat = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True).transform(x, y, errcheck=False)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def local_scale(crs: CRS, points: np.ndarray) -> np.ndarray:
    """The scale factor of the projected ``crs`` at each point (given in ``crs``)."""
    lon, lat = _to_geographic(crs, points)
    return scale_factors(crs, lon, lat)


def largest_scale_error(crs: CRS, lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float]:
    """(error, lon, lat): the largest |scale factor - 1| of ``crs`` over the points, and
    where; (0, nan, nan) for none."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return 0.0, np.nan, np.nan
    error = np.abs(scale_factors(crs, lon[ok], lat[ok]) - 1)
    worst = int(np.nanargmax(error)) if np.isfinite(error).any() else 0
    return float(np.nan_to_num(error[worst], nan=np.inf)), float(lon[ok][worst]), float(lat[ok][worst])


def check_metric(crs: CRS, key: str) -> CRS:
    """Refuse a working CRS whose unit is not the metre."""
    if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        raise ConfigError(f"profile key {key} = {crs.to_string()} is not in metres; "
                          "use a projected CRS such as a UTM or Gauss-Kruger zone, or \"auto\"")
    return crs


# Gauss-Krüger families: (datum, zone width, zone number in false easting) -> first EPSG
# code, numbered by zone (with the number) or by central meridian 75E..135E (without).
GK_FAMILIES = {
    ("CGCS2000", 6, True): 4491, ("CGCS2000", 6, False): 4502,
    ("CGCS2000", 3, True): 4513, ("CGCS2000", 3, False): 4534,
    ("Xian 1980", 6, True): 2327, ("Xian 1980", 6, False): 2338,
    ("Xian 1980", 3, True): 2349, ("Xian 1980", 3, False): 2370,
    ("Beijing 1954", 6, True): 21413, ("Beijing 1954", 6, False): 21453,
    ("Beijing 1954", 3, True): 2401, ("Beijing 1954", 3, False): 2422,
}
# How far from its central meridian a county can lie in a zone, with room to spare (m).
_HALF_ZONE_M = 400_000


def gk_code(datum: str, width: int, prefixed: bool, cm: float) -> int | None:
    """The EPSG code of a Gauss-Krüger zone given by its central meridian (None: none)."""
    first = GK_FAMILIES.get((datum, width, prefixed))
    step = (cm - 75) / width
    if first is None or step != int(step) or not 0 <= step <= (60 // width):
        return None
    return first + int(step)


def gk_zone(crs: CRS) -> tuple[str, int, bool, float] | None:
    """(datum, width, prefixed, central meridian) of a Chinese Gauss-Krüger CRS."""
    code = crs.to_epsg()
    if code is None:
        return None
    for (datum, width, prefixed), first in GK_FAMILIES.items():
        count = 60 // width + 1
        if first <= code < first + count:
            return datum, width, prefixed, 75.0 + (code - first) * width
    return None


def fitting_crs(crs: CRS, bounds: np.ndarray) -> str | None:
    """When the coordinates (``bounds``: minx, miny, maxx, maxy) cannot lie in ``crs``,
    a sentence saying so and naming an EPSG code they fit; None when they fit."""
    minx, miny, maxx, maxy = bounds
    if crs.is_geographic:
        if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
            return None
        datum = _datum(crs) or "CGCS2000"
        hint = _suggest(datum, (minx + maxx) / 2, None)
        return (f"coordinates ({minx:.0f}..{maxx:.0f}, {miny:.0f}..{maxy:.0f}) are not longitude/latitude "
                f"although the CRS is {crs.name}; they look projected (metres){hint}")
    zone = gk_zone(crs)
    if zone is None:
        return None
    datum, width, prefixed, cm = zone
    false_easting = (cm / width if width == 3 else (cm + 3) / 6) * 1e6 + 500_000 if prefixed else 500_000
    if false_easting - _HALF_ZONE_M <= minx and maxx <= false_easting + _HALF_ZONE_M:
        return None
    hint = _suggest(datum, (minx + maxx) / 2, cm)
    return (f"eastings {minx:,.0f}..{maxx:,.0f} do not fit {crs.name} (EPSG:{crs.to_epsg()}, false easting "
            f"{false_easting:,.0f}){hint}")


def _suggest(datum: str, easting: float, cm: float | None) -> str:
    number = int(easting // 1_000_000)
    if 13 <= number <= 23:
        code = gk_code(datum, 6, True, number * 6 - 3)
    elif 25 <= number <= 45:
        code = gk_code(datum, 3, True, number * 3)
    elif 0 < easting < 1_000_000 and cm is None:
        first, last = gk_code(datum, 3, False, 75), gk_code(datum, 3, False, 135)
        return (f"; set assume_crs to the county's Gauss-Kruger zone without zone number (EPSG:{first}.."
                f"{last} for {datum} 3-degree zones)") if first else ""
    elif 0 < easting < 1_000_000:
        code = gk_code(datum, 3, False, cm) or gk_code(datum, 6, False, cm)
        if code is None:
            return ""
        return (f"; the eastings carry no zone number: EPSG:{code} ({CRS.from_epsg(code).name}) has the same "
                "central meridian without it")
    else:
        return ""
    if code is None:
        return ""
    return f"; the zone number {number} in the eastings fits EPSG:{code} ({CRS.from_epsg(code).name})"


def _datum(crs: CRS) -> str | None:
    name = (crs.geodetic_crs or crs).name
    for datum in ("CGCS2000", "Xian 1980", "Beijing 1954"):
        if name.startswith(datum):
            return datum
    return None


# Mainland China, with margin: a point table whose "longitudes" fall in the latitude
# range and "latitudes" in the longitude range has its columns swapped.
CHINA_LON = (72.0, 136.0)
CHINA_LAT = (3.0, 54.0)


def swapped_lonlat(x: np.ndarray, y: np.ndarray) -> bool:
    """Do x look like latitudes and y like longitudes (China)?"""
    x, y = x[np.isfinite(x) & np.isfinite(y)], y[np.isfinite(x) & np.isfinite(y)]
    if len(x) == 0:
        return False
    x_lat = ((x >= CHINA_LAT[0]) & (x <= CHINA_LAT[1])).mean() > 0.9
    y_lon = ((y >= CHINA_LON[0]) & (y <= CHINA_LON[1])).mean() > 0.9
    x_lon = ((x >= CHINA_LON[0]) & (x <= CHINA_LON[1])).mean() > 0.9
    return bool(x_lat and y_lon and not x_lon)


def zone_alternatives(crs: CRS) -> list[CRS]:
    """The other Gauss-Krüger zones of the same datum and width (without zone number
    first, nearest central meridian first); empty when ``crs`` is not such a zone."""
    zone = gk_zone(crs)
    if zone is None:
        return []
    datum, width, _, cm = zone
    meridians = sorted((75 + k * width for k in range(60 // width + 1)), key=lambda m: abs(m - cm))
    codes = [gk_code(datum, width, prefixed, m) for prefixed in (False, True) for m in meridians]
    return [CRS.from_epsg(code) for code in codes if code is not None and code != crs.to_epsg()]
