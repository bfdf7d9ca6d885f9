"""OpenStreetMap extracts (.osm.pbf, .osm) read through GDAL's OSM driver, streamed.

GDAL turns nodes, ways and relations into its layers ``points``, ``lines`` and
``multipolygons``; a tag becomes a column only when its OSM configuration names it, every
other tag goes into ``other_tags``, one text in PostgreSQL's hstore form
(``"key"=>"value","k2"=>"v2"``, ``"`` and ``\\`` escaped by a backslash). ``stream`` names
the tags it needs in a configuration of its own, so that GDAL splits them into columns in C
(measured on 104 MB: the lines pass 2.8 s, against 3.4 s building other_tags and parsing
it; docs/performance.md); ``tag_values`` parses other_tags where a file only has that.

Each layer is read as a stream of Arrow batches: memory holds one batch at a time, not the
file. GDAL reads the whole file for each layer it is asked for (nodes for points, nodes and
ways for lines, all three for multipolygons).
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
from pyogrio.raw import open_arrow, write_arrow

from gis.errors import DataError
from gis.files import ordinary

OSM_SUFFIXES = (".pbf", ".osm")
BATCH_ROWS = 65_536
# Tags GDAL's own configuration drops (editor and import bookkeeping): kept out here too
_IGNORED = "created_by,converted_by,source,time,ele,note,todo,openGeoDB:,fixme,FIXME"
_UNSIGNIFICANT = "created_by,converted_by,source,time,ele,attribution"
# Closed ways that are areas (GDAL's default rule): the rest are lines
_AREAS = ("aeroway,amenity,boundary,building,craft,geological,historic,healthcare,landuse,leisure,military,natural,"
          "office,place,shop,sport,tourism,highway=platform,public_transport=platform")


def check_extract(path: str | os.PathLike) -> Path:
    """``path`` when it is an OpenStreetMap extract GDAL can open, else a DataError that
    names it and says what to give instead."""
    path = ordinary(path, "OpenStreetMap", folders=False)
    if not path.exists():
        raise DataError(f"{path}: file not found; give the path of an OpenStreetMap extract (.osm.pbf), "
                        "e.g. a province downloaded from download.geofabrik.de")
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise DataError(f"{path}: is not an OpenStreetMap extract (its name does not end in .osm.pbf or .osm); "
                        "give an .osm.pbf file, e.g. a province from download.geofabrik.de")
    try:
        driver = pyogrio.read_info(path, layer="points")["driver"]
    except Exception:   # GDAL's errors vary: not recognised, truncated, not a PBF at all
        driver = None
    if driver != "OSM":
        raise DataError(f"{path}: GDAL cannot read it as OpenStreetMap data (damaged, cut short, or another "
                        "format renamed); download the extract again")
    return path


def osm_config(tags: Mapping[str, Iterable[str]]) -> str:
    """GDAL OSM configuration text whose layers (``points``, ``lines``, ``multipolygons``)
    carry ``osm_id`` and exactly these tags as columns, without other_tags."""
    lines = ["[general]", f"closed_ways_are_polygons={_AREAS}"]
    for layer in ("points", "lines", "multipolygons", "multilinestrings", "other_relations"):
        lines += [f"[{layer}]", "osm_id=yes", f"attributes={','.join(tags.get(layer, ['name']))}",
                  "other_tags=no", f"ignore={_IGNORED}"]
        if layer == "points":
            lines.append(f"unsignificant={_UNSIGNIFICANT}")
    return "\n".join(lines) + "\n"


@contextmanager
def _config_file(text: str) -> Iterator[str]:
    handle, name = tempfile.mkstemp(prefix="covermap-osmconf-", suffix=".ini")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(text)
        yield name
    finally:
        os.unlink(name)


def stream(path: Path, layer: str, tags: Iterable[str], batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The features of one layer of an extract as Arrow batches: ``osm_id`` (and, in
    multipolygons, ``osm_way_id`` for areas that are closed ways), one text column per tag
    (null where the feature lacks it) and ``wkb_geometry`` (WKB, EPSG:4326)."""
    with _config_file(osm_config({layer: list(tags)})) as config, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            with open_arrow(path, layer=layer, use_pyarrow=True, batch_size=batch_rows,
                            CONFIG_FILE=config) as (_, reader):
                yield from reader
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise DataError(f"{path}: cannot be read as OpenStreetMap data ({str(exc).splitlines()[0]}); "
                            "download the extract again") from exc


# --- other_tags, as GDAL writes it ---------------------------------------------------------

_QUOTED = r'"((?:[^"\\]|\\.)*)"'


def tag_values(other_tags: pa.Array | pa.ChunkedArray | Iterable[str | None],
               keys: Iterable[str]) -> dict[str, pa.Array]:
    """The value of each of ``keys`` in every cell of an other_tags column (null where the
    cell lacks the key), unescaped. One RE2 pass over the whole column per key (pyarrow):
    90,000 cells x 10 keys in 0.11 s.

    A key is found only where it starts a pair: after the start or a comma that follows a
    closing quote, since inside a quoted key or value every quote is escaped."""
    column = (other_tags if isinstance(other_tags, (pa.Array, pa.ChunkedArray))
              else pa.array(list(other_tags), pa.string()))
    found = {}
    for key in keys:
        pattern = r'(?:^|",)"' + re.escape(_escape(key)) + r'"=>"(?P<value>(?:[^"\\]|\\.)*)"'
        value = pc.struct_field(pc.extract_regex(column, pattern), [0])
        found[key] = pc.if_else(pc.match_substring(value, "\\"), pc.replace_substring_regex(value, r"\\(.)", r"\1"),
                                value)
    return found


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def parse_other_tags(cell: str | None) -> dict[str, str]:
    """One other_tags cell as a dict (for reading a few cells; ``tag_values`` for columns)."""
    pairs = re.findall(_QUOTED + "=>" + _QUOTED, cell or "")
    return {_unescape(key): _unescape(value) for key, value in pairs}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


# --- tag values as numbers and flags -------------------------------------------------------

_METRES = re.compile(r"(\d+(?:[.,]\d+)?|[.,]\d+)\s*(m|meters?|metres?|米)?")
_FEET = re.compile(r"(\d+(?:\.\d+)?)\s*(?:ft|feet|')(?:\s*(\d+(?:\.\d+)?)\s*(?:in|\"))?")
FOOT_M = 0.3048


def _per_distinct(values: pa.Array | pa.ChunkedArray | pd.Series, parse, dtype) -> np.ndarray:
    """``parse`` applied to each distinct text once (an extract repeats a few dozen values)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values.to_pandas() if hasattr(values, "to_pandas")
                                                                    else values)
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    parsed = np.array([parse(str(text).strip()) for text in uniques] + [None], dtype=object)
    return pd.array(parsed[codes], dtype=dtype).to_numpy(dtype=object if dtype == object else float,
                                                          na_value=None if dtype == object else np.nan)


def metres(values) -> np.ndarray:
    """A width tag in metres: ``5``, ``5.5``, ``5,5``, ``5 m``, ``5米``; feet as ``12 ft`` or
    ``12'6"``. NaN where the text is none of these (``5-6``, ``narrow``)."""
    def parse(text):
        if (hit := _METRES.fullmatch(text)) is not None:
            return float(hit.group(1).replace(",", "."))
        if (hit := _FEET.fullmatch(text)) is not None:
            return (float(hit.group(1)) + float(hit.group(2) or 0) / 12) * FOOT_M
        return None
    return _per_distinct(values, parse, "Float64")


def integers(values) -> np.ndarray:
    """An integer tag (``lanes``, ``layer``): ``2``, ``-1``, ``+1``; NaN where it is not one."""
    def parse(text):
        return float(text) if re.fullmatch(r"[+-]?\d+", text) else None
    return _per_distinct(values, parse, "Float64")


_ONEWAY = {"yes": "yes", "true": "yes", "1": "yes", "no": "no", "false": "no", "0": "no", "-1": "-1",
           "reverse": "-1"}


def oneway(values) -> np.ndarray:
    """``oneway`` as ``yes``, ``no`` or ``-1`` (one way against the drawing direction);
    None where it is absent or another value (``reversible``, ``alternating``)."""
    return _per_distinct(values, lambda text: _ONEWAY.get(text.lower()), object)


def flag(values) -> np.ndarray:
    """A structure tag (``bridge``, ``tunnel``) as ``yes``/``no``: any value but ``no`` (for
    example ``viaduct``, ``culvert``) is ``yes``; absent is ``no``."""
    parsed = _per_distinct(values, lambda text: "no" if text.lower() in ("no", "false", "0") else "yes", object)
    parsed[pd.isna(parsed)] = "no"
    return parsed


# --- writing ----------------------------------------------------------------------------------

# While the GeoPackage is written: no fsync (it is written under a temporary name and moved
# into place when whole)
_GPKG_CONFIG = {"OGR_SQLITE_SYNCHRONOUS": "OFF"}


def write_layer(path: Path, layer: str, batches: Iterable[pa.RecordBatch] | pa.Table, schema: pa.Schema | None,
                geometry_type: str, description: str, append: bool = True) -> None:
    """Write a layer of a GeoPackage from Arrow batches (a ``geometry`` column of WKB in
    EPSG:4326 and text or number columns) as they come: only one batch is held at a
    time. The layer is created even when there are no batches."""
    data = batches if isinstance(batches, pa.Table) else pa.RecordBatchReader.from_batches(schema, batches)
    before = {key: pyogrio.get_gdal_config_option(key) for key in _GPKG_CONFIG}
    pyogrio.set_gdal_config_options(_GPKG_CONFIG)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            write_arrow(data, path, layer=layer, driver="GPKG", geometry_name="geometry",
                        geometry_type=geometry_type, crs="EPSG:4326", append=append and path.exists(),
                        layer_options={"DESCRIPTION": description})
    finally:
        pyogrio.set_gdal_config_options(before)
