"""Folium only: takes the result table, gives HTML. Reprojects to EPSG:4326 here and
nowhere else. Imports ``gis`` and nothing of ``layers`` or ``cli``.

The names below are imported when first used, so that a run without maps (``--no-maps``)
never loads folium (about a second of a small run)."""

from importlib import import_module

_WHERE = {"atlas_writers": "maps.atlas", "write_atlas": "maps.atlas", "build_map": "maps.coverage_map",
          "write_map": "maps.coverage_map", "BASEMAPS": "maps.options", "LIMIT_KEYS": "maps.options",
          "MapOptions": "maps.options", "make_options": "maps.options"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'maps' has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
