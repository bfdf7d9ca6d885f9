"""China's obfuscated web-map coordinates: WGS84 <-> GCJ-02 (Gaode, Tencent, Tianditu does
not use it) and GCJ-02 <-> BD-09 (Baidu).

The formulas are the widely published ones (as in the wandergis/coordtransform project);
every function takes and returns numpy arrays (or scalars) of longitude and latitude in
degrees, element-wise, with no Python loop. Outside China's bounding box
(``out_of_china``) GCJ-02 is WGS84, so the transform is the identity there.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0                      # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323        # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 30


def out_of_china(lon, lat) -> np.ndarray:
    """True where the point lies outside the box in which GCJ-02 is applied."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return ~((lon > 73.66) & (lon < 135.05) & (lat > 3.86) & (lat < 53.55))


def _delta_lat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS84 at a WGS84 point, in degrees (zero outside China)."""
    dlat = _delta_lat(lon - 105.0, lat - 35.0)
    dlon = _delta_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon, lat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 (GPS, EPSG:4326; CGCS2000 within centimetres) to GCJ-02 (Gaode/AMap)."""
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to WGS84 by fixed-point iteration until the forward transform of the answer
    lands within 1e-9 degrees of the input (a few iterations; the one-step inverse
    that many libraries publish is off by up to a few 1e-6 degrees)."""
    lon, lat = _arrays(lon, lat)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(_MAX_ITERATIONS):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = glon - lon, glat - lat
        wlon, wlat = wlon - elon, wlat - elat
        if max(np.max(np.abs(elon), initial=0.0), np.max(np.abs(elat), initial=0.0)) < _TOLERANCE_DEG:
            break
    return wlon, wlat


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to BD-09 (Baidu)."""
    lon, lat = _arrays(lon, lat)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 (Baidu) to GCJ-02."""
    lon, lat = _arrays(lon, lat)
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)
