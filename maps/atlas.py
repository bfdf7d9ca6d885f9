"""The folder of maps a run publishes: map.html (overview), map_<bureau>.html, one map per
township in townships/ when the county is large enough, and index.html linking them. A run
over several counties (a prefecture, a province) gets one map per county in counties/
instead: a province has over a thousand townships, and their maps would take longer to
write than the whole assessment. Its overview and bureau maps then draw aggregates, one
polygon per township (per county above maps.aggregates.AGGREGATE_TOWNSHIPS_MAX townships)
linking to its county's map, not every village.

``atlas_writers`` gives one writer per output name, for layers.pipeline.publish's ``extras``
(which writes them in a staging folder, then moves them into place); the four bureau maps
have one writer, under the first one's name, that writes them side by side and lists them
in its ``outputs``. ``write_atlas`` writes them straight into a folder.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gis.child import share_out
from gis.errors import OutputError
from maps.aggregates import AGGREGATE_TOWNSHIPS_MAX, Areas, make_areas, township_shapes
from maps.coverage_map import (Prepared, area_bureau_map, area_overview_map, bureau_map, overview_map, prepare,
                               save)
from maps.extra import bureaus_of
from maps.index import index_html
from maps.options import MapOptions
from maps.villages import fails_counts

TOWNSHIP_MAPS_ABOVE = 100  # villages; a smaller county's overview is readable on its own
TOWNSHIP_FOLDER = "townships"
COUNTY_FOLDER = "counties"


def bureau_file(bureau: str) -> str:
    return f"map_{bureau}.html"


# A code that is its own file name: digits, lower-case letters, - and _ (upper case would
# meet lower case on a file system that ignores case), not a name Windows reserves.
_PLAIN_CODE = re.compile(r"[0-9a-z_-]{1,64}")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def township_file(code: str) -> str:
    """A file name for a township (or county) code, safe on every file system and unique
    for every code: the code itself when it is plain (520101001.html), else its plain
    letters and digits, a dot and 12 hex digits of the code's SHA-1 (乡镇 names as codes:
    乐元镇 -> code.fdd9f0747047.html). A plain name has no dot, so the two kinds never meet."""
    code = "" if code is None else str(code)
    if _PLAIN_CODE.fullmatch(code) and code not in _RESERVED:
        return code + ".html"
    plain = re.sub(r"[^0-9a-z_-]+", "_", code.lower()).strip("_")[:40] or "code"
    return f"{plain}.{hashlib.sha1(code.encode('utf-8')).hexdigest()[:12]}.html"


def _county_codes(villages: pd.DataFrame) -> pd.Series:
    """The county of each village: the first six digits of a 12-digit division code, else None."""
    codes = villages["village_code"].astype(str)
    return codes.str[:6].where(codes.str.fullmatch(r"\d{12}"), None)


def _counties(villages: pd.DataFrame) -> list[tuple[str, int, int, int]]:
    """(code, villages, villages with gaps, townships) of every county, in code order, when the
    villages span more than one county and every code is a division code; else none."""
    counties = _county_codes(villages)
    if counties.isna().any() or counties.nunique() < 2:
        return []
    table = pd.DataFrame({"county": counties, "gaps": villages["gap_count"] > 0,
                          "township": villages["township_code"].astype(str)})
    grouped = table.groupby("county", sort=True).agg(villages=("gaps", "size"), gaps=("gaps", "sum"),
                                                     townships=("township", "nunique"))
    return [(code, int(count), int(gaps), int(towns))
            for code, count, gaps, towns in zip(grouped.index, grouped["villages"], grouped["gaps"],
                                                grouped["townships"])]


def _townships(villages: pd.DataFrame) -> list[tuple[str, str, int, int]]:
    """(code, name, villages, villages with gaps) of every township, in code order."""
    codes = villages["township_code"].astype(object).where(villages["township_code"].notna(), "").astype(str)
    table = pd.DataFrame({"code": codes, "name": villages["township_name"].astype(object),
                          "gaps": villages["gap_count"] > 0})
    grouped = table.groupby("code", sort=True).agg(name=("name", "first"), villages=("gaps", "size"),
                                                  gaps=("gaps", "sum"))
    return [(code, str(name) if pd.notna(name) else code, int(count), int(gaps))
            for code, name, count, gaps in zip(grouped.index, grouped["name"], grouped["villages"], grouped["gaps"])]


def atlas_writers(villages: gpd.GeoDataFrame, infrastructure: Mapping[str, gpd.GeoDataFrame] | None,
                  options: MapOptions, *, title: str = "", gaps: pd.DataFrame | None = None,
                  township_maps_above: int = TOWNSHIP_MAPS_ABOVE, township_frame: gpd.GeoDataFrame | None = None,
                  aggregate_townships_max: int = AGGREGATE_TOWNSHIPS_MAX) -> dict[str, Callable[[Path], None]]:
    """Output name -> writer(path). The inputs are checked and converted once, on first use.

    ``township_frame`` (``township_code`` and the union of its villages, as
    layers.pipeline's Result.townships) shapes the aggregates of a run over several counties;
    without it they are dissolved from the villages. The aggregate unit is the township up
    to ``aggregate_townships_max`` townships, else the county."""
    counties = _counties(villages)
    prepared: Callable[[], Prepared] = cache(lambda: prepare(villages, infrastructure, options, whole=not counties))
    townships = _townships(villages) if not counties and len(villages) > township_maps_above else []

    def county_href(code: str) -> str:
        return f"{COUNTY_FOLDER}/{township_file(code)}"

    @cache
    def areas() -> Areas:
        prep = prepared()  # checks the villages first
        shapes = township_frame if township_frame is not None else township_shapes(villages)
        return make_areas(prep.villages, shapes, prep.words, county_href, options.gcj02, aggregate_townships_max,
                          prep.standards)

    writers: dict[str, Callable[[Path], None]] = {}
    if counties:
        writers["map.html"] = lambda path: save(area_overview_map(prepared(), areas(), title, "index.html"), path)
        bureau_maps = {bureau_file(b): (lambda b: lambda path: save(
            area_bureau_map(prepared(), areas(), b, title, "index.html"), path))(b) for b in bureaus_of(options.extra)}
    else:
        writers["map.html"] = lambda path: save(overview_map(prepared(), title, "index.html"), path)
        bureau_maps = {bureau_file(b): (lambda b: lambda path: save(
            bureau_map(prepared(), b, title, gaps, "index.html"), path))(b) for b in bureaus_of(options.extra)}
    writers[next(iter(bureau_maps))] = _side_by_side(bureau_maps, "bureau maps")
    if townships:
        writers[TOWNSHIP_FOLDER] = lambda path: _write_townships(prepared(), townships, title, Path(path))
    if counties:
        writers[COUNTY_FOLDER] = lambda path: _write_counties(prepared(), counties, title, Path(path))
    writers["index.html"] = lambda path: _write_index(prepared(), townships, title, Path(path), counties)
    return writers


def _side_by_side(writers: dict[str, Callable[[Path], None]], what: str) -> Callable[[Path], None]:
    """One writer for several outputs, shared out between processes (gis.child.share_out):
    given the path of the first, it writes each into the same folder. Its ``outputs`` name
    them all. What they share (the prepared villages, the areas) is made before, by map.html."""
    names = list(writers)

    def write(path: Path) -> None:
        folder = Path(path).parent
        share_out(lambda k: writers[names[k]](folder / names[k]), len(names), what)

    write.outputs = tuple(names)
    return write


def _folder(folder: Path, what: str) -> None:
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the {what} map folder ({exc.strerror})") from exc


def _write_townships(prep: Prepared, townships, title: str, folder: Path) -> None:
    _folder(folder, "township")
    prep.index("township")

    def write(k: int) -> None:
        code, name, _, _ = townships[k]
        heading = f"{title} · {name}" if title else name
        save(overview_map(prep, heading, "../index.html", township=code), folder / township_file(code))

    share_out(write, len(townships), "township maps")


def _write_counties(prep: Prepared, counties, title: str, folder: Path) -> None:
    """One map per county, shared out between processes (gis.child.share_out): the maps
    are rendered by Python holding its lock, so threads would not run two at once."""
    _folder(folder, "county")
    prep.index("county")

    def write(k: int) -> None:
        code, _, _, towns = counties[k]
        name = prep.words["index.county"].format(code=code, townships=towns)
        heading = f"{title} · {name}" if title else name
        save(overview_map(prep, heading, "../index.html", county=code), folder / township_file(code))

    share_out(write, len(counties), "county maps")


def _write_index(prep: Prepared, townships, title: str, path: Path, counties=()) -> None:
    words, villages = prep.words, prep.villages
    fails = fails_counts(villages, tuple(prep.standards))
    overview = ("map.html", words["index.overview"],
                words["index.villages"].format(n=len(villages), gaps=int((villages["gap_count"] > 0).sum())))
    bureaus = [(bureau_file(bureau), words[f"bureau.{bureau}"] + " · " + words["list.sep"].join(
                    words[f"standard.{key}"] for key in keys),
                words["index.failing"].format(n=sum(fails[key] for key in keys)))
               for bureau, keys in prep.bureaus.items()]
    links = [(f"{TOWNSHIP_FOLDER}/{township_file(code)}", name,
              words["index.villages"].format(n=count, gaps=gap_villages))
             for code, name, count, gap_villages in townships]
    parts = [(f"{COUNTY_FOLDER}/{township_file(code)}", words["index.county"].format(code=code, townships=towns),
              words["index.villages"].format(n=count, gaps=gap_villages))
             for code, count, gap_villages, towns in counties]
    try:
        path.write_text(index_html(title, words, overview, bureaus, links, parts), encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the map index ({exc.strerror or exc})") from exc


def write_atlas(villages: gpd.GeoDataFrame, infrastructure: Mapping[str, gpd.GeoDataFrame] | None,
                folder: str | os.PathLike, options: MapOptions, **kwargs) -> list[Path]:
    """Every map and index.html written into ``folder`` (which must exist); the paths written."""
    folder = Path(folder)
    written = []
    for name, writer in atlas_writers(villages, infrastructure, options, **kwargs).items():
        writer(folder / name)
        written += [folder / output for output in getattr(writer, "outputs", (name,))]
    return written
