"""Describing a data file as ``covermap run`` would read it (GDAL through pyogrio):
its layers, geometry type, CRS, feature count, fields and a few example rows.

Every format ``run`` reads: GeoPackage, Shapefile, GeoJSON, FlatGeobuf, FileGDB (a
folder), CSV (and .tsv/.txt, with its text encoding detected as for ``run``), XLSX (one
layer per sheet) and OpenStreetMap extracts (.osm.pbf, .osm: GDAL's OSM driver gives the
layers points, lines, multilinestrings, multipolygons and other_relations).
"""

from __future__ import annotations

import codecs
import os
import tempfile
import warnings
from contextlib import ExitStack
from pathlib import Path

import pyogrio
from pyproj import CRS

from gis import encoding
from gis.errors import CovermapError, DataError
from gis.files import ordinary
from gis.io import TABLE_CONFIG, TEXT_TABLE_SUFFIXES, _gdal_config

EXAMPLE_ROWS = 3


def describe(path: str | os.PathLike, examples: int = EXAMPLE_ROWS) -> list[dict]:
    """One dict per layer: layer, driver, geometry (None for a table), features, crs
    (text, or None), fields (name -> type), examples (``examples`` rows as dicts of
    values) and encoding (how the text is read: detected, .cpg...; None where GDAL knows).
    A DataError naming the file when it cannot be opened."""
    path = ordinary(path)
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path")
    try:
        with ExitStack() as stack:
            source, text = _source(path, stack)
            with _gdal_config(TABLE_CONFIG), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                layers = [str(name) for name in pyogrio.list_layers(source)[:, 0]]
                return [_layer(source, layer, text, examples) for layer in layers]
    except CovermapError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: its text is not {exc.encoding} ({exc.reason}); is it a data file?") from exc
    except Exception as exc:   # GDAL's own errors vary by driver
        first = (str(exc).strip() or type(exc).__name__).splitlines()[0].split("; It might help")[0]
        first = first.replace(f"'{path}'", "it").replace(str(path), "it").rstrip(".")
        raise DataError(f"{path}: cannot be opened ({first}); is it a "
                        "GeoPackage, Shapefile, GeoJSON, FlatGeobuf, FileGDB, CSV, XLSX or OpenStreetMap file?") from exc


def _source(path: Path, stack: ExitStack) -> tuple[str | Path, encoding.Encoding | None]:
    """What GDAL opens (a text table in UTF-16 recoded into a temporary UTF-8 copy, as
    ``gis.io.read_table`` does), and the text encoding found as ``run`` finds it."""
    suffix = path.suffix.lower()
    if suffix in TEXT_TABLE_SUFFIXES:
        text = encoding.table_encoding(path, None)
        if text is not None and codecs.lookup(text.name).name.startswith(("utf-16", "utf-32")):
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="covermap-")))
            copy = folder / "table.csv"
            copy.write_text(path.read_bytes().decode(text.name), encoding="utf-8")
            return copy, text
        return (path if suffix == ".csv" else f"CSV:{path}"), text
    if suffix in (".shp", ".dbf", ".shx") and path.with_suffix(".shp").exists():
        return path, encoding.shapefile_encoding(path.with_suffix(".shp"), None)
    return path, None


def _layer(source, layer: str, text: encoding.Encoding | None, examples: int) -> dict:
    kwargs = {"layer": layer}
    if text is not None and text.name and not codecs.lookup(text.name).name.startswith(("utf-16", "utf-32")):
        kwargs["encoding"] = text.name
    info = pyogrio.read_info(source, force_feature_count=True, **kwargs)
    geometry = info["geometry_type"]
    rows = pyogrio.read_dataframe(source, read_geometry=geometry is not None, max_features=max(examples, 1),
                                  **kwargs)
    if geometry == "Unknown" and "geometry" in rows:   # a layer of several types: those of its first rows
        found = sorted({kind for kind in rows.geometry.geom_type.dropna()})
        geometry = f"Unknown ({', '.join(found)} in the first rows)" if found else geometry
    rows = rows.drop(columns="geometry", errors="ignore").head(examples)
    return {
        "layer": layer,
        "driver": info.get("driver"),
        "geometry": geometry,
        "features": int(info["features"]),
        "crs": _crs_text(info["crs"]),
        "fields": {str(name): _KINDS.get(str(kind), str(kind)) for name, kind in zip(info["fields"], info["dtypes"])},
        "examples": [{str(name): _value(value) for name, value in row.items()} for row in rows.to_dict("records")],
        "encoding": text.describe() if text is not None and text.how != "not a shapefile" else None,
    }


# pandas' types as people read them
_KINDS = {"object": "text", "int64": "whole number", "int32": "whole number", "int16": "whole number",
          "int8": "whole number", "uint8": "whole number", "float64": "number", "float32": "number",
          "bool": "true/false", "datetime64[ms]": "date and time", "datetime64[ns]": "date and time"}


def _value(value):
    """An example cell: None for an empty one (GDAL's None, pandas' NaN)."""
    try:
        return None if value is None or value != value else value   # NaN is not equal to itself
    except (TypeError, ValueError):   # an array-like cell
        return value


def _crs_text(crs: str | None) -> str | None:
    """``EPSG:4490 (China Geodetic Coordinate System 2000)``, or the CRS's name where it
    has no authority code."""
    if not crs:
        return None
    try:
        parsed = CRS.from_user_input(crs)
    except Exception:   # pyproj cannot read it: shown as the file gives it
        return crs.splitlines()[0][:120]
    code = parsed.to_authority(min_confidence=90)
    return f"{':'.join(code)} ({parsed.name})" if code else parsed.name
