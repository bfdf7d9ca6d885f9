"""Random mixes of broken geometries in every layer, written to real files (GeoPackage,
GeoJSON, CSV) and run through the real command line: never a traceback; exit 0, or 1 with
a one- or two-line message naming a file (or profile key); on 0 every input village once
in villages.csv."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import wkt

sys.path.insert(0, str(Path(__file__).parent / "bad_inputs"))

import build_geometry as bg  # noqa: E402
from build import edit  # noqa: E402
from county_files import write_county  # noqa: E402

from cli import main  # noqa: E402

CODES = ["522326100201", "522326100202", "522326100203", "522326100204", "522326100205"]
KINDS = ["keep", "keep", "none", "empty", "empty_collection", "collection", "zm", "bow_tie", "nan", "broken"]


def _zm(geom) -> bytes:
    text = re.sub(r" 1\.5([,)])", r" 1.5 2.5\1", wkt.dumps(shapely.force_3d(geom, 1.5), trim=True))
    return shapely.to_wkb(wkt.loads(text.replace(" Z ", " ZM ", 1)), flavor="iso", output_dimension=4)


def _mangled(geom, kind: str):
    """WKB of ``geom`` broken in the way named."""
    if geom is None or kind == "none":
        return None
    if kind == "empty":
        return shapely.to_wkb(shapely.from_wkt(f"{geom.geom_type.upper()} EMPTY"))
    if kind == "empty_collection":
        return shapely.to_wkb(shapely.from_wkt("GEOMETRYCOLLECTION EMPTY"))
    if kind == "collection":
        return shapely.to_wkb(shapely.GeometryCollection([geom, shapely.centroid(geom)]))
    if kind == "zm":
        return _zm(geom)
    if kind == "nan":
        return shapely.to_wkb(bg.with_nan(geom) if shapely.get_num_coordinates(geom) > 1
                              else shapely.Point(np.nan, 1.0))
    dimension = shapely.get_dimensions(geom)
    if kind == "bow_tie" and dimension == 2:
        x0, y0, x1, y1 = shapely.bounds(geom)
        return shapely.to_wkb(shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)]))
    if kind == "broken" and dimension == 2:
        return bg.two_point_ring(geom)
    if kind == "broken" and dimension == 1:
        return bg.line_wkb(tuple(shapely.get_coordinates(geom)[0]))
    return shapely.to_wkb(geom)


def _layer(path: Path, kinds: list[str], out: Path, driver: str, layer: str | None = None) -> None:
    frame = gpd.read_file(path, **({"layer": layer} if layer else {}), **(
        {"encoding": "GBK"} if path.suffix == ".shp" else {}))
    wkb = [_mangled(g, kinds[i % len(kinds)]) for i, g in enumerate(frame.geometry)]
    bg.write_wkb(out, frame, wkb, layer=layer, driver=driver)


def _county(folder: Path, mix: dict[str, list[str]], cells: list[str]) -> Path:
    p = write_county(folder)
    _layer(folder / "villages.gpkg", mix["villages"], folder / "villages.gpkg", "GPKG", "villages")
    _layer(folder / "roads.shp", mix["roads"], folder / "roads.geojson", "GeoJSON")
    edit(p, 'path = "roads.shp"\nencoding = "GBK"\n', 'path = "roads.geojson"\n')
    _layer(folder / "water.geojson", mix["water"], folder / "water.gpkg", "GPKG")
    edit(p, 'path = "water.geojson"', 'path = "water.gpkg"')
    _layer(folder / "coverage.fgb", mix["coverage"], folder / "coverage.gpkg", "GPKG")
    edit(p, 'path = "coverage.fgb"', 'path = "coverage.gpkg"')
    clinics = pd.read_csv(folder / "clinics.csv", dtype=str)
    clinics["lon"] = [lon if cell == "keep" else cell for cell, lon in zip(cells, clinics["lon"])]
    clinics.to_csv(folder / "clinics.csv", index=False)
    return p


kinds = st.lists(st.sampled_from(KINDS), min_size=1, max_size=5)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mix=st.fixed_dictionaries({"villages": kinds, "roads": kinds, "water": kinds, "coverage": kinds}),
       cells=st.lists(st.sampled_from(["keep", "", "inf", "-inf", "nan"]), min_size=2, max_size=2))
def test_broken_geometries_never_crash_and_keep_every_village(mix, cells):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        p = _county(folder, mix, cells)
        for args in (["check", str(p)], ["run", str(p), "-o", str(folder / "out"), "--no-maps"]):
            result = CliRunner().invoke(main, ["-qq", *args])
            assert result.exception is None or isinstance(result.exception, SystemExit), (mix, cells,
                                                                                          repr(result.exception))
            assert "Traceback" not in result.output
            assert result.exit_code in (0, 1), result.output
        if result.exit_code == 1:
            lines = [line for line in result.output.splitlines() if line.strip()]
            assert 1 <= len(lines) <= 2 and lines[0].startswith("Error: "), result.output
            # names a file, or the profile key to set (no village has a boundary: project.working_crs)
            assert re.search(r"\.(gpkg|geojson|csv|xlsx|toml)\b|working_crs", lines[0]), result.output
        else:
            out = pd.read_csv(folder / "out" / "villages.csv", dtype={"village_code": str}, encoding="utf-8-sig")
            assert list(out["village_code"]) == CODES
