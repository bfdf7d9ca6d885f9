"""OpenStreetMap as a source: an extract turned into the layers a profile reads.

``convert`` reads an .osm.pbf in four streamed passes (GDAL's lines, points,
multipolygons and multilinestrings) and writes one GeoPackage:

- ``roads``: every highway line with highway, surface, width (m), lanes, oneway, bridge,
  tunnel, layer, name, ref and ``hardened`` (是, 否, or empty for unknown) with
  ``hardened_by`` (``surface``: its surface tag decided; ``highway``: its class did);
- ``clinics``: amenity=clinic/doctors/hospital and healthcare=* (areas as a point inside),
  ``type`` in the words of covermap's clinic standard (村卫生室, 乡镇卫生院, 其他);
- ``bus_stops`` (highway=bus_stop, public_transport=platform), ``post``
  (amenity=post_office): points, areas as a point inside;
- ``bus_routes``: the route relations of buses (route=bus, trolleybus, coach, minibus) as
  lines, from a fourth pass (GDAL's multilinestrings);
- ``boundaries``: administrative areas with admin_level; with ``villages_level``, also
  ``villages``: the areas of that level standing in for villages.

Why the rules are what they are: docs/osm.md.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from gis import io, osm
from gis.errors import DataError

log = logging.getLogger(__name__)

ATTRIBUTION = "(c) OpenStreetMap contributors, ODbL 1.0"
YES, NO = "是", "否"
GPKG_NAME, PROFILE_NAME = "osm.gpkg", "profile.toml"

# Surfaces that are a hardened road surface (硬化路面: asphalt, cement concrete, stone
# blocks and setts, bricks), ``concrete:*`` and ``paving_stones:*`` included
HARD_SURFACES = frozenset({"asphalt", "concrete", "paved", "paving_stones", "sett", "cobblestone",
                           "unhewn_cobblestone", "cobblestone:flattened", "bricks", "brick", "cement", "chipseal",
                           "沥青", "水泥", "混凝土", "硬化", "柏油"})
HARD_PREFIXES = ("concrete:", "paving_stones:")
SOFT_SURFACES = frozenset({"unpaved", "gravel", "fine_gravel", "pebblestone", "dirt", "earth", "ground", "mud",
                           "sand", "grass", "compacted", "woodchips", "rock", "clay", "salt", "snow", "ice",
                           "土", "土路", "泥", "砂石", "碎石", "泥结碎石"})
# Classes whose roads count as hardened when untagged: in China's OSM convention
# (trunk..tertiary = national, provincial, county and township roads) these were hardened
# before the village-road campaign; see docs/osm.md. Their ``_link`` roads follow them.
UNTAGGED_HARDENED_DEFAULT = ("motorway", "trunk", "primary", "secondary", "tertiary")
# Highways that are no road for a motor vehicle: 否 whatever their surface (a paved
# footway does not connect a village by road)
NOT_FOR_VEHICLES = frozenset({"footway", "cycleway", "steps", "bridleway", "pedestrian", "corridor", "platform",
                              "elevator", "via_ferrata", "proposed", "construction", "abandoned", "disused",
                              "raceway", "escape", "emergency_bay"})

LINE_TAGS = ("name", "ref", "highway", "surface", "width", "lanes", "oneway", "bridge", "tunnel", "layer", "junction")
POINT_TAGS = ("name", "highway", "amenity", "healthcare", "public_transport")
AREA_TAGS = ("name", "amenity", "healthcare", "highway", "public_transport", "boundary", "admin_level")
ROUTE_TAGS = ("name", "ref", "route")
# The route relations whose vehicles are the buses of 通客车 (a coach line is a 客运班线 too)
BUS_ROUTES = ("bus", "trolleybus", "coach", "minibus")

HEALTH_CENTRE_TYPE, VILLAGE_CLINIC_TYPE, OTHER_TYPE = "乡镇卫生院", "村卫生室", "其他"
_CLINIC_TYPES = {"hospital": HEALTH_CENTRE_TYPE, "clinic": VILLAGE_CLINIC_TYPE, "doctors": VILLAGE_CLINIC_TYPE,
                 "doctor": VILLAGE_CLINIC_TYPE}
CLINIC_AMENITIES = ("clinic", "doctors", "hospital")


@dataclass
class Conversion:
    """What ``convert`` wrote: the GeoPackage, its layers' feature counts and notes."""

    gpkg: Path
    counts: dict[str, int] = field(default_factory=dict)
    surfaces: dict[str, int] = field(default_factory=dict)    # hardened 是/否/unknown, as decided
    villages_level: int | None = None
    untagged_hardened: tuple[str, ...] = UNTAGGED_HARDENED_DEFAULT


# --- the rules --------------------------------------------------------------------------------

def surface_class(surface: str | None) -> str | None:
    """是 for a hardened surface, 否 for a loose one, None for none or one not known. A
    list (``asphalt;gravel``) is hardened only when every part is."""
    if surface is None or not surface.strip():
        return None
    parts = [part.strip().lower() for part in surface.split(";") if part.strip()]
    hard = [part in HARD_SURFACES or part.startswith(HARD_PREFIXES) for part in parts]
    if all(hard):
        return YES
    if any(part in SOFT_SURFACES for part in parts):
        return NO
    return None


def hardened(highway: np.ndarray, surface: np.ndarray,
             untagged_hardened: Iterable[str] = UNTAGGED_HARDENED_DEFAULT) -> tuple[np.ndarray, np.ndarray]:
    """``hardened`` (是, 否, None for unknown) and ``hardened_by`` (``surface``,
    ``highway``, None) of each road: a vehicle road's surface tag decides when it names a
    known surface; an untagged one of a class in ``untagged_hardened`` (or its _link) is
    是; a highway for no vehicle is 否; anything else is unknown."""
    highway = np.asarray(highway, dtype=object)
    surface = pd.Series(np.asarray(surface, dtype=object))
    codes, uniques = pd.factorize(surface, use_na_sentinel=True)
    by_surface = np.array([surface_class(value) for value in uniques] + [None], dtype=object)[codes]
    known = pd.notna(by_surface)
    classes = pd.Series(highway).str.removesuffix("_link")
    untagged = surface.isna().to_numpy() & classes.isin(set(untagged_hardened)).to_numpy()
    no_vehicles = classes.isin(NOT_FOR_VEHICLES).to_numpy()
    value = np.where(no_vehicles, NO, np.where(known, by_surface, np.where(untagged, YES, None)))
    by = np.where(no_vehicles | untagged & ~known, "highway", np.where(known, "surface", None))
    return value.astype(object), by.astype(object)


def health_types(amenity: np.ndarray, healthcare: np.ndarray) -> np.ndarray:
    """The clinic ``type`` of each feature in the words of covermap's clinic standard:
    乡镇卫生院 (hospital), 村卫生室 (clinic, doctors), 其他 (another healthcare=*, such as a
    pharmacy or dentist); None for a feature that is no health facility."""
    amenity = pd.Series(np.asarray(amenity, dtype=object))
    healthcare = pd.Series(np.asarray(healthcare, dtype=object))
    by_amenity = amenity.where(amenity.isin(CLINIC_AMENITIES)).map(_CLINIC_TYPES)
    mapped = healthcare.map(_CLINIC_TYPES)
    by_healthcare = mapped.where(mapped.notna() | healthcare.isna(), OTHER_TYPE)
    return by_amenity.fillna(by_healthcare).to_numpy(dtype=object, na_value=None)


def stop_kinds(highway: np.ndarray, public_transport: np.ndarray) -> np.ndarray:
    """``bus_stop`` (highway=bus_stop), ``platform`` (public_transport=platform or
    highway=platform), None for neither."""
    highway = np.asarray(highway, dtype=object)
    platform = (np.asarray(public_transport, dtype=object) == "platform") | (highway == "platform")
    return np.where(highway == "bus_stop", "bus_stop", np.where(platform, "platform", None)).astype(object)


# --- the passes -----------------------------------------------------------------------------

def _column(batch: pa.RecordBatch, name: str) -> np.ndarray:
    return batch.column(name).to_numpy(zero_copy_only=False)


def _osm_ids(batch: pa.RecordBatch, kind: str) -> np.ndarray:
    """``way/123`` and the like: the object's page is https://www.openstreetmap.org/way/123."""
    if kind == "area":   # a relation's id, or a closed way's in osm_way_id
        relation = pc.is_valid(batch.column("osm_id"))
        ids = pc.if_else(relation, batch.column("osm_id"), batch.column("osm_way_id"))
        prefix = pc.if_else(relation, "relation/", "way/")
        return pc.binary_join_element_wise(prefix, ids, "").to_numpy(zero_copy_only=False)
    return pc.binary_join_element_wise(kind + "/", batch.column("osm_id"), "").to_numpy(zero_copy_only=False)


ROAD_SCHEMA = pa.schema([("osm_id", pa.string()), ("name", pa.string()), ("ref", pa.string()),
                         ("highway", pa.string()), ("surface", pa.string()), ("hardened", pa.string()),
                         ("hardened_by", pa.string()), ("width", pa.float64()), ("lanes", pa.float64()),
                         ("oneway", pa.string()), ("bridge", pa.string()), ("tunnel", pa.string()),
                         ("layer", pa.float64()), ("geometry", pa.binary())])


def highway_batches(path: Path, untagged_hardened: Iterable[str], tally: dict[str, int]) -> Iterator[pa.RecordBatch]:
    """The ``roads`` layer batch by batch, from GDAL's lines; ``tally`` counts the roads
    per hardened value as they pass."""
    untagged_hardened = tuple(untagged_hardened)
    for batch in osm.stream(path, "lines", LINE_TAGS):
        batch = batch.filter(pc.is_valid(batch.column("highway")))
        if not batch.num_rows:
            continue
        highway, surface = _column(batch, "highway"), _column(batch, "surface")
        value, by = hardened(highway, surface, untagged_hardened)
        oneway = osm.oneway(batch.column("oneway"))
        # implied one way: a motorway or a roundabout, unless tagged otherwise
        implied = (pd.Series(highway).isin(["motorway", "motorway_link"]).to_numpy()
                   | (_column(batch, "junction") == "roundabout"))
        oneway = np.where(pd.isna(oneway) & implied, "yes", oneway)
        for key, count in pd.Series(value).fillna("").value_counts().items():
            tally[key] = tally.get(key, 0) + int(count)
        yield pa.record_batch([_osm_ids(batch, "way"), batch.column("name"), batch.column("ref"), highway, surface,
                               value, by, osm.metres(batch.column("width")), osm.integers(batch.column("lanes")),
                               oneway, osm.flag(batch.column("bridge")), osm.flag(batch.column("tunnel")),
                               osm.integers(batch.column("layer")), batch.column("wkb_geometry").cast(pa.binary())],
                              schema=ROAD_SCHEMA)


def _points(batch: pa.RecordBatch, rows: np.ndarray, kind: str) -> pd.DataFrame:
    """The features ``rows`` of a batch as points (an area's representative point)."""
    geoms = shapely.from_wkb(batch.column("wkb_geometry").take(pa.array(rows)).to_numpy(zero_copy_only=False))
    if kind == "area":
        geoms = shapely.point_on_surface(geoms)
    return pd.DataFrame({"osm_id": _osm_ids(batch, kind)[rows], "name": _column(batch, "name")[rows],
                         "geometry": geoms})


def point_features(path: Path) -> dict[str, list[pd.DataFrame]]:
    """clinics, bus stops and post offices among the nodes and the areas, and the
    administrative boundaries, each as a list of parts (one per batch)."""
    found: dict[str, list[pd.DataFrame]] = {"clinics": [], "bus_stops": [], "post": [], "boundaries": []}
    for layer, tags, kind in (("points", POINT_TAGS, "node"), ("multipolygons", AREA_TAGS, "area")):
        for batch in osm.stream(path, layer, tags):
            amenity = _column(batch, "amenity")
            types = health_types(amenity, _column(batch, "healthcare"))
            rows = np.flatnonzero(pd.notna(types))
            found["clinics"].append(_points(batch, rows, kind).assign(
                type=types[rows], amenity=amenity[rows], healthcare=_column(batch, "healthcare")[rows]))
            stops = stop_kinds(_column(batch, "highway"), _column(batch, "public_transport"))
            rows = np.flatnonzero(pd.notna(stops))
            found["bus_stops"].append(_points(batch, rows, kind).assign(kind=stops[rows]))
            found["post"].append(_points(batch, np.flatnonzero(amenity == "post_office"), kind))
            if kind == "area":
                found["boundaries"].append(_boundaries(batch))
    return found


def route_lines(path: Path) -> pd.DataFrame:
    """The buses' route relations (``BUS_ROUTES``) as lines: osm_id, name (its ref where it
    has no name), ref, route; a relation whose ways the extract cuts off entirely is left out."""
    parts = []
    for batch in osm.stream(path, "multilinestrings", ROUTE_TAGS):
        rows = np.flatnonzero(pd.Series(_column(batch, "route")).isin(BUS_ROUTES).to_numpy())
        geoms = shapely.from_wkb(batch.column("wkb_geometry").take(pa.array(rows)).to_numpy(zero_copy_only=False))
        name, ref = _column(batch, "name")[rows], _column(batch, "ref")[rows]
        parts.append(pd.DataFrame({"osm_id": _osm_ids(batch, "relation")[rows], "name": np.where(pd.isna(name), ref, name),
                                   "ref": ref, "route": _column(batch, "route")[rows], "geometry": geoms}))
    found = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["osm_id", "name", "ref", "route", "geometry"])
    drawn = ~shapely.is_empty(found["geometry"].to_numpy()) & pd.notna(found["geometry"]).to_numpy()
    return found[drawn].reset_index(drop=True)


def _boundaries(batch: pa.RecordBatch) -> pd.DataFrame:
    level = osm.integers(batch.column("admin_level"))
    rows = np.flatnonzero((_column(batch, "boundary") == "administrative") & ~np.isnan(level))
    geoms = shapely.from_wkb(batch.column("wkb_geometry").take(pa.array(rows)).to_numpy(zero_copy_only=False))
    return pd.DataFrame({"osm_id": _osm_ids(batch, "area")[rows], "name": _column(batch, "name")[rows],
                         "admin_level": level[rows], "geometry": geoms})


def stand_in_villages(boundaries: pd.DataFrame, level: int) -> pd.DataFrame:
    """The boundaries of ``level`` as villages: ``code`` from the OSM id (``r37`` for
    relation 37, ``w5`` for a closed way), ``township_code``/``township_name`` from the
    smallest boundary of a higher level (a lower admin_level) holding it, else itself."""
    villages = boundaries[boundaries["admin_level"] == level].reset_index(drop=True)
    codes = villages["osm_id"].str.replace("relation/", "r").str.replace("way/", "w").to_numpy(dtype=object)
    higher = boundaries[boundaries["admin_level"] < level].reset_index(drop=True)
    inside = shapely.point_on_surface(villages["geometry"].to_numpy())
    where, parent = shapely.STRtree(higher["geometry"].to_numpy()).query(inside, predicate="within")
    township = np.full(len(villages), -1)
    if len(where):
        area = shapely.area(higher["geometry"].to_numpy())[parent]   # degrees: only compared with each other
        order = np.lexsort((area, where))
        first = np.r_[True, where[order][1:] != where[order][:-1]]
        township[where[order][first]] = parent[order][first]
    higher_codes = higher["osm_id"].str.replace("relation/", "r").str.replace("way/", "w").to_numpy(dtype=object)
    has = township >= 0
    return pd.DataFrame({
        "code": codes, "name": villages["name"].to_numpy(dtype=object),
        "township_code": np.where(has, higher_codes[township], codes),
        "township_name": np.where(has, higher["name"].to_numpy(dtype=object)[township], villages["name"]),
        "osm_id": villages["osm_id"].to_numpy(dtype=object), "geometry": villages["geometry"].to_numpy()})


# --- the command's work -----------------------------------------------------------------------

def _table(frame: pd.DataFrame) -> pa.Table:
    table = pa.table({name: pa.array(frame[name].to_numpy(dtype=float, na_value=np.nan), from_pandas=True)
                      if pd.api.types.is_numeric_dtype(frame[name]) else
                      pa.array(frame[name].to_numpy(dtype=object, na_value=None), pa.string())
                      for name in frame.columns if name != "geometry"})
    return table.append_column("geometry", pa.array(shapely.to_wkb(frame["geometry"].to_numpy()), pa.binary()))


_POINT_COLUMNS = {"clinics": ["osm_id", "name", "type", "amenity", "healthcare"],
                  "bus_stops": ["osm_id", "name", "kind"], "post": ["osm_id", "name"]}
_DESCRIPTIONS = {"roads": "OpenStreetMap highways", "clinics": "OpenStreetMap health facilities",
                 "bus_stops": "OpenStreetMap bus stops and platforms", "post": "OpenStreetMap post offices",
                 "boundaries": "OpenStreetMap administrative boundaries",
                 "bus_routes": "OpenStreetMap bus routes (route relations of " + ", ".join(BUS_ROUTES) + ")",
                 "villages": "OpenStreetMap administrative areas standing in for villages"}


def convert(path: str | os.PathLike, folder: str | os.PathLike, *, villages_level: int | None = None,
            untagged_hardened: Iterable[str] = UNTAGGED_HARDENED_DEFAULT, overwrite: bool = False) -> Conversion:
    """Write FOLDER/osm.gpkg from the extract at ``path`` (see the module's docstring);
    a DataError when it is no extract or holds no highway, an OutputError when the
    GeoPackage exists and ``overwrite`` is off. Written under a temporary name and moved
    into place whole."""
    path = osm.check_extract(path)
    folder = Path(folder)
    target = folder / GPKG_NAME
    io.prepare_output_dir(folder, [GPKG_NAME, PROFILE_NAME], overwrite)
    partial = folder / f".osm.{os.getpid()}.partial.gpkg"
    try:
        result = _write(path, partial, villages_level, untagged_hardened)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    result.gpkg = target
    return result


def _write(path: Path, gpkg: Path, villages_level: int | None, untagged_hardened: Iterable[str]) -> Conversion:
    result = Conversion(gpkg, villages_level=villages_level, untagged_hardened=tuple(untagged_hardened))
    description = "{what} from {name}; " + ATTRIBUTION
    osm.write_layer(gpkg, "roads", highway_batches(path, untagged_hardened, result.surfaces), ROAD_SCHEMA,
                    "LineString", description.format(what=_DESCRIPTIONS["roads"], name=path.name), append=False)
    result.counts["roads"] = sum(result.surfaces.values())
    if not result.counts["roads"]:
        raise DataError(f"{path}: holds no highway (no way tagged highway=*); covermap osm needs the roads of "
                        "the area: use an extract that covers it (e.g. a province from download.geofabrik.de)")
    found = point_features(path)
    for name, columns in _POINT_COLUMNS.items():
        frame = pd.concat(found[name], ignore_index=True)[columns + ["geometry"]]
        result.counts[name] = len(frame)
        osm.write_layer(gpkg, name, _table(frame), None, "Point",
                        description.format(what=_DESCRIPTIONS[name], name=path.name))
    routes = route_lines(path)
    result.counts["bus_routes"] = len(routes)
    osm.write_layer(gpkg, "bus_routes", _table(routes), None, "MultiLineString",
                    description.format(what=_DESCRIPTIONS["bus_routes"], name=path.name))
    boundaries = pd.concat(found["boundaries"], ignore_index=True)
    result.counts["boundaries"] = len(boundaries)
    osm.write_layer(gpkg, "boundaries", _table(boundaries), None, "MultiPolygon",
                    description.format(what=_DESCRIPTIONS["boundaries"], name=path.name))
    if villages_level is not None:
        villages = stand_in_villages(boundaries, villages_level)
        if villages.empty:
            levels = ", ".join(str(int(level)) for level in sorted(boundaries["admin_level"].unique())) or "none"
            raise DataError(f"{path}: has no administrative boundary of admin_level {villages_level} "
                            f"(its levels: {levels}); give --villages-from-boundaries one of them")
        result.counts["villages"] = len(villages)
        osm.write_layer(gpkg, "villages", _table(villages), None, "MultiPolygon",
                        description.format(what=_DESCRIPTIONS["villages"], name=path.name))
    return result
