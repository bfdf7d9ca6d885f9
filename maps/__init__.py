"""Folium only: takes the result table, gives HTML. Reprojects to EPSG:4326 here and
nowhere else. Imports ``gis`` and nothing of ``layers`` or ``cli``."""

from maps.coverage_map import build_map, write_map

__all__ = ["build_map", "write_map"]
