"""Folium only: takes the result table, gives HTML. Reprojects to EPSG:4326 here and
nowhere else. Imports ``gis`` and nothing of ``layers`` or ``cli``."""

from maps.atlas import atlas_writers, write_atlas
from maps.coverage_map import build_map, write_map
from maps.options import BASEMAPS, LIMIT_KEYS, MapOptions, make_options

__all__ = ["BASEMAPS", "LIMIT_KEYS", "MapOptions", "atlas_writers", "build_map", "make_options", "write_atlas",
           "write_map"]
