"""Describing a data file through fiona: layers, CRS, feature count, fields."""

from __future__ import annotations

import os
from pathlib import Path

import fiona

from gis.errors import DataError
from gis.files import ordinary


def describe(path: str | os.PathLike) -> list[dict]:
    """One dict per layer: layer, geometry, features, crs (text or None), fields."""
    path = ordinary(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    try:
        layers = fiona.listlayers(path)
        described = []
        for layer in layers:
            with fiona.open(path, layer=layer) as collection:
                crs = collection.crs
                described.append({
                    "layer": layer,
                    "geometry": collection.schema.get("geometry") or "none",
                    "features": len(collection),
                    "crs": crs.to_string() if crs else None,
                    "fields": dict(collection.schema["properties"]),
                })
        return described
    except fiona.errors.FionaError as exc:
        raise DataError(f"{path}: cannot be opened ({str(exc).splitlines()[0]}); is it a vector data file?") from exc
