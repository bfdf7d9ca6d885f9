"""`covermap check` on real files: every problem at once, each with file, layer,
row or village code, column and a fix; text and JSON reports."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import Polygon

import hand_drawn as hd
from cli import main
from county_files import write_county
from layers import villages

CODE_LIST = Path(__file__).parent / "data" / "villages_522326.csv"


def check(profile: Path, *extra):
    result = CliRunner().invoke(main, ["check", str(profile), "--format", "json", *extra])
    assert "Traceback" not in result.output
    return result, json.loads(result.stdout)


def by_check(report: dict, name: str) -> list[dict]:
    return [item for item in report["errors"] + report["warnings"] if item["check"] == name]


@pytest.fixture
def county(tmp_path):
    return write_county(tmp_path / "county")


def rewrite_villages(profile: Path, change) -> None:
    path = profile.parent / "villages.gpkg"
    frame = gpd.read_file(path, layer="villages")
    frame = change(frame)
    path.unlink()
    frame.to_file(path, layer="villages", engine="pyogrio")


def test_many_problems_in_one_report(county):
    def spoil(v):
        v.loc[1, "村代码"] = v.loc[0, "村代码"]                  # duplicate code (rows 1 and 2)
        v.loc[3, "村代码"] = "52232610020"                        # 11 digits
        corner = v.geometry.iloc[2].bounds
        v.loc[2, "geometry"] = Polygon([(corner[0], corner[1]), (corner[2], corner[3]),
                                        (corner[2], corner[1]), (corner[0], corner[3])])  # bow-tie
        v["人口"] = v["人口"].astype(object)
        v.loc[0, "人口"] = "一千二"                               # not a number
        return v
    rewrite_villages(county, spoil)
    text = county.read_text(encoding="utf-8").replace('doctors = "医生"', 'doctors = "医生人数"')
    county.write_text(text, encoding="utf-8")
    result, report = check(county)
    assert result.exit_code == 1

    [dupe] = by_check(report, "duplicate_code")
    assert dupe["severity"] == "error" and dupe["code"] == hd.CODES["A"] and dupe["row"] == 1
    assert dupe["column"] == "村代码" and dupe["file"].endswith("villages.gpkg") and dupe["layer"] == "villages"
    assert "rows 1, 2" in dupe["text"] and "merge or correct" in dupe["fix"]
    [odd] = by_check(report, "code_format")
    assert odd["code"] == "52232610020" and odd["row"] == 4 and odd["severity"] == "warning"
    [bowtie] = by_check(report, "invalid_geometry")
    assert bowtie["row"] == 3 and "make_valid" in bowtie["text"]
    [bad] = by_check(report, "bad_value")
    assert bad["column"] == "人口" and "'一千二'" in bad["text"] and bad["code"] == hd.CODES["A"]
    missing = [item for item in report["errors"] if "'医生人数'" in item["text"]]
    assert len(missing) == 1 and "clinics.csv" in missing[0]["text"]
    assert missing[0]["file"].endswith("clinics.csv") and missing[0]["check"] == "DataError"
    assert missing[0]["fix"] == "map [clinics.columns] to columns the file has"
    assert "'医生人数'" in missing[0]["message"]
    assert "its columns are: name, lon, lat, 类型, 标准化, 医生" in missing[0]["message"]   # the file's, x and y too

    text_report = CliRunner().invoke(main, ["check", str(county)])
    lines = text_report.output.strip().splitlines()
    assert lines[-1].endswith(f"{len(report['errors'])} errors, {len(report['warnings'])} warnings")
    assert any(line.startswith("error: ") and "appears more than once" in line for line in lines)


def _grid_villages(folder: Path, hole: bool, overlap: bool) -> None:
    cells = [(i, j) for j in range(3) for i in range(3) if not (hole and (i, j) == (1, 1))]
    geoms = [hd.square(i * 1000, j * 1000, i * 1000 + 1000, j * 1000 + 1000) for i, j in cells]
    if overlap:
        geoms[0] = hd.square(0, 0, 1050, 1000)  # 50 m x 1000 m into its neighbour: 50,000 m²
    frame = gpd.GeoDataFrame({"村代码": [f"522326100{200 + k}" for k in range(len(cells))],
                              "村名": [f"村{k}" for k in range(len(cells))], "乡镇代码": "522326100",
                              "乡镇": "乐元镇", "人口": 100.0, "贫困人口": 1.0}, geometry=geoms, crs=hd.CRS_M)
    path = folder / "villages.gpkg"
    path.unlink()
    frame.to_crs("EPSG:4490").to_file(path, layer="villages", engine="pyogrio")


def test_overlaps_and_township_gaps_with_tolerances(county):
    _grid_villages(county.parent, hole=True, overlap=True)
    _, report = check(county)
    [overlap] = by_check(report, "overlap")
    assert overlap["code"] == "522326100200" and "522326100201" in overlap["text"]
    assert "50,000 m²" in overlap["text"] or "49,9" in overlap["text"]
    [gap] = by_check(report, "gap")
    assert "township 522326100" in gap["text"] and "1,000,000 m²" in gap["text"]
    county.write_text(county.read_text(encoding="utf-8") + "\n[checks]\noverlap_tolerance_m2 = 60000\n"
                      "gap_tolerance_m2 = 2000000\n", encoding="utf-8")
    _, relaxed = check(county)
    assert by_check(relaxed, "overlap") == [] and by_check(relaxed, "gap") == []


def test_village_checks_begun_while_reading_report_what_checks_after_reading_do(county, monkeypatch):
    """The villages' own checks run on a thread while the other layers are read and
    assembled: the same report, in the same order, as when they wait until every layer is
    read, and the villages' findings before those of the layers assembled meanwhile."""
    _grid_villages(county.parent, hole=True, overlap=True)
    clinics = pd.read_csv(county.parent / "clinics.csv")
    far = gpd.GeoSeries([hd.point(60000, 500)], crs=hd.CRS_M).to_crs("EPSG:4490")
    clinics.loc[1, ["lon", "lat"]] = [far.x.iloc[0], far.y.iloc[0]]             # 57 km east of the grid
    clinics.to_csv(county.parent / "clinics.csv", index=False)
    early_start = villages.EarlyVillages.start
    begun = []
    monkeypatch.setattr(villages.EarlyVillages, "start",
                        classmethod(lambda cls, *args: begun.append(early_start(*args)) or begun[-1]))
    _, report = check(county)
    assert len(begun) == 1 and begun[0] is not None
    assert by_check(report, "overlap") and by_check(report, "gap") and by_check(report, "seat_outside")
    order = [item["check"] for item in report["warnings"]]
    assert order.index("far_outside") > max(order.index(name) for name in ("overlap", "gap", "seat_outside"))
    monkeypatch.setattr(villages.EarlyVillages, "start", classmethod(lambda cls, *args: None))
    _, after = check(county)
    assert after == report


def test_clean_grid_has_no_overlap_or_gap(county):
    _grid_villages(county.parent, hole=False, overlap=False)
    _, report = check(county)
    assert by_check(report, "overlap") == [] and by_check(report, "gap") == []


def test_code_list_seat_outside_and_far_features(county):
    text = county.read_text(encoding="utf-8").replace(
        'layer = "villages"', f'layer = "villages"\ncode_list = "{CODE_LIST.as_posix()}"', 1)
    county.write_text(text, encoding="utf-8")
    seats = pd.read_csv(county.parent / "seats.csv", dtype={"code": str})
    seats.loc[0, ["lon", "lat"]] = seats.loc[1, ["lon", "lat"]].to_numpy()   # A's seat is in B
    seats.to_csv(county.parent / "seats.csv", index=False)
    clinics = pd.read_csv(county.parent / "clinics.csv")
    far = gpd.GeoSeries([hd.point(60000, 500)], crs=hd.CRS_M).to_crs("EPSG:4490")
    clinics.loc[1, ["lon", "lat"]] = [far.x.iloc[0], far.y.iloc[0]]             # 57 km east of D
    clinics.to_csv(county.parent / "clinics.csv", index=False)
    result, report = check(county)
    [listed] = by_check(report, "code_not_in_list")
    assert "5 village codes are not in the national code list villages_522326.csv" in listed["text"]
    [outside] = by_check(report, "seat_outside")
    assert outside["code"] == hd.CODES["A"] and outside["file"].endswith("seats.csv")
    [far_away] = by_check(report, "far_outside")
    assert far_away["row"] == 2 and far_away["file"].endswith("clinics.csv")
    assert result.exit_code == 0  # all warnings


def test_code_list_accepts_real_codes(tmp_path):
    from layers.checks import Findings
    from layers.villages import check_code_list
    from layers.settings import Source

    codes = pd.Series(["522326003207", "522326999999"], dtype="string")
    findings = Findings()
    check_code_list(codes, CODE_LIST, Source("villages", tmp_path / "v.gpkg", columns={"code": "code"}), findings)
    [item] = findings.warnings
    assert item.code == "522326999999" and item.row == 2


def test_layer_in_the_wrong_place_is_an_error_naming_the_crs(county):
    water = gpd.read_file(county.parent / "water.geojson")
    # the same numbers, but declared as Web Mercator metres: lands in the Gulf of Guinea
    moved = water.to_crs("EPSG:4326").set_crs("EPSG:3857", allow_override=True)
    (county.parent / "water.geojson").unlink()
    moved.to_file(county.parent / "water.fgb", engine="pyogrio")
    county.write_text(county.read_text(encoding="utf-8").replace("water.geojson", "water.fgb"), encoding="utf-8")
    result, report = check(county)
    assert result.exit_code == 1
    [error] = [item for item in report["errors"] if "water.fgb" in item["text"]]
    assert "does not overlap the villages" in error["text"] and "CRS is probably wrong" in error["text"]


def test_wrong_geometry_type_names_rows(county):
    fibre = gpd.GeoDataFrame({"name": ["F1"]}, geometry=[hd.line((0, 0), (10, 10))], crs=hd.CRS_M)
    pyogrio.write_dataframe(fibre, county.parent / "fibre.gpkg", layer="fibre")
    text = county.read_text(encoding="utf-8").replace('path = "fibre.xlsx"\nx = "lon"\ny = "lat"\n'
                                                      'assume_crs = "EPSG:4490"', 'path = "fibre.gpkg"')
    county.write_text(text, encoding="utf-8")
    result, report = check(county)
    assert result.exit_code == 1
    [error] = [item for item in report["errors"] if "fibre.gpkg" in item["text"]]
    assert "holds LineString geometries (row 1)" in error["text"] and "[network.fibre]" in error["text"]


def test_empty_geometries_in_a_layer_are_reported(county):
    roads = gpd.read_file(county.parent / "roads.shp", encoding="GBK")
    roads.loc[1, "geometry"] = None
    pyogrio.write_dataframe(roads, county.parent / "roads.shp", encoding="GBK")
    (county.parent / "roads.cpg").unlink(missing_ok=True)
    _, report = check(county)
    [empty] = [item for item in by_check(report, "empty_geometry") if item["file"].endswith("roads.shp")]
    assert empty["row"] == 2 and "left out" in empty["text"]


def test_run_stops_at_the_first_error_and_records_warnings(county, tmp_path):
    rewrite_villages(county, lambda v: v.assign(村代码=[hd.CODES["A"]] * 2 + list(v["村代码"][2:])))
    result = CliRunner().invoke(main, ["-q", "run", str(county), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"village code {hd.CODES['A']} appears more than once" in result.output
    assert not (tmp_path / "out" / "villages.csv").exists()


def test_run_json_keeps_the_warnings(county, tmp_path):
    result = CliRunner().invoke(main, ["-q", "run", str(county), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert [item["check"] for item in record["warnings"]] == ["empty_geometry"]
    assert record["warnings"][0]["code"] == hd.CODES["E"]


def test_a_village_far_from_all_others(county):
    from shapely import affinity

    rewrite_villages(county, lambda v: v.assign(geometry=[
        *v.geometry.iloc[:3], affinity.translate(v.geometry.iloc[3], xoff=0.5), v.geometry.iloc[4]]))
    _, report = check(county)
    [alone] = [item for item in by_check(report, "far_outside") if item["code"]]
    assert alone["code"] == hd.CODES["D"] and alone["row"] == 4 and "from any other village" in alone["text"]
    np.testing.assert_allclose(float(alone["message"].split(" lies ")[1].split(" m")[0].replace(",", "")),
                               50_000, rtol=0.03)  # half a degree east at 25°N: about 50 km


def test_counts_and_row_lists_agree_in_number():
    from layers.checks import counted, row_examples

    assert counted(1, "village has", "villages have") == "1 village has"
    assert counted(3, "village has", "villages have") == "3 villages have"
    assert row_examples([7]) == "row 7"
    assert row_examples([3, 7, 9]) == "rows 3, 7, 9"
    assert row_examples(["522326100201"], "village", "villages") == "village 522326100201"
    assert row_examples(["a", "b"], "village", "villages") == "villages a, b"
