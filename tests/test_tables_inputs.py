"""Point tables and codes as Excel and WPS leave them, read right and reported: codes
written as numbers (522326101200.0), CSVs in GBK or UTF-16, a file column mapped to two
covermap columns, water projects listing codes that are no village, township codes that
are names. The cases that must stop are in bad_inputs/cases_tables.toml."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

import hand_drawn as hd
from cli import main
from county_files import write_county
from gis import values
from gis.encoding import table_encoding
from layers.checks import Findings
from layers.inputs import load_inputs
from layers.profile import load_profile


@pytest.fixture
def county(tmp_path):
    return write_county(tmp_path / "county")


def check_json(profile):
    result = CliRunner().invoke(main, ["check", str(profile), "--format", "json"])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def by_check(report: dict, name: str) -> list[dict]:
    return [item for item in report["errors"] + report["warnings"] if item["check"] == name]


def edit(profile, old: str, new: str) -> None:
    text = profile.read_text(encoding="utf-8")
    assert old in text
    profile.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_code_cells_tell_exact_numbers_from_rounded_ones():
    cells = pd.Series(["522326101200.0", "5.22326E+11", " 522326101201 ", None, "5.22326101202E+11",
                       "522326101203.00", "乐元镇", "5.5E+0", "52.2326101204e10"], dtype="string")
    text, lost, number = values.code_cells(cells)
    assert text.tolist()[:6] == ["522326101200", "5.22326E+11", " 522326101201 ", pd.NA, "522326101202",
                                 "522326101203"]
    assert text.iloc[6] == "乐元镇" and text.iloc[8] == "522326101204"
    assert lost.tolist() == [False, True, False, False, False, False, False, True, False]
    assert number.tolist() == [True, False, False, False, True, True, False, False, True]
    # number columns (XLSX cells) hold the code exactly; a fraction is kept, never cut off
    assert values.codes(pd.Series([522326101200.0, 5223261.5, np.nan])).tolist() == ["522326101200", "5223261.5",
                                                                                      pd.NA]


def test_seat_codes_written_as_numbers_are_read_as_the_codes_and_reported(county):
    seats = county.parent / "seats.csv"
    table = pd.read_csv(seats, dtype=str)
    table["code"] = [hd.CODES["A"] + ".0", hd.CODES["B"] + ".0"]
    table.to_csv(seats, index=False)
    inputs = load_inputs(load_profile(county))
    expected = hd.seats().to_crs(inputs.crs)
    for i in (0, 1):   # A and B have their seats (a '….0' code would have matched no village)
        assert inputs.seats.iloc[i].distance(expected.iloc[i]) < 0.01
    assert inputs.seats.iloc[2:].isna().all()
    code, report = check_json(county)
    assert code == 0 and by_check(report, "unknown_seat") == []
    [note] = by_check(report, "code_as_number")
    assert note["severity"] == "warning" and note["row"] == 1 and note["column"] == "code"
    assert note["code"] == hd.CODES["A"] and "rows 1, 2" in note["text"] and "format the column as text" in note["fix"]


def test_village_codes_written_as_numbers_are_kept_exact(county):
    path = county.parent / "villages.gpkg"
    frame = gpd.read_file(path, layer="villages")
    frame["村代码"] = frame["村代码"].where(frame.index != 2, hd.CODES["C"] + ".0")
    path.unlink()
    frame.to_file(path, layer="villages", engine="pyogrio")
    findings = Findings()
    inputs = load_inputs(load_profile(county), findings)
    assert inputs.villages["code"].tolist() == list(hd.CODES.values())
    [note] = [item for item in findings.items if item.check == "code_as_number"]
    assert note.row == 3 and note.code == hd.CODES["C"] and note.column == "村代码"


@pytest.mark.parametrize("name, encoding, separator, detected", [
    ("clinics.csv", "gbk", ",", "GB18030 (detected: the text is not valid UTF-8)"),      # Excel's CSV in China
    ("clinics.csv", "utf-16", ",", "UTF-16 (detected from its byte-order mark)"),
    ("clinics.txt", "utf-16", "\t", "UTF-16 (detected from its byte-order mark)"),      # Excel's "Unicode text"
    ("clinics.tsv", "gb18030", "\t", "GB18030 (detected: the text is not valid UTF-8)"),
])
def test_csv_in_gbk_or_utf16_is_read_and_its_encoding_reported(county, name, encoding, separator, detected):
    plain = county.parent / "clinics.csv"
    data = plain.read_text(encoding="utf-8").replace(",", separator).encode(encoding)
    plain.unlink()
    (county.parent / name).write_bytes(data)
    edit(county, 'path = "clinics.csv"', f'path = "{name}"')
    assert table_encoding(county.parent / name, None).describe() == detected
    inputs = load_inputs(load_profile(county))
    # the Chinese column names and words were read: both clinics are village clinics, K1 standardized
    assert inputs.clinics["name"].tolist() == ["K1", "K4"]
    assert inputs.clinics["kind"].tolist() == ["village_clinic", "village_clinic"]
    assert inputs.clinics["standardized"].tolist() == [True, False]
    assert inputs.clinics["doctors"].tolist() == [1.0, 2.0]
    code, report = check_json(county)
    assert code == 0, report["errors"]
    [note] = by_check(report, "encoding")
    assert note["file"].endswith(name) and detected in note["text"] and 'clinics.encoding = "GBK"' in note["fix"]
    assert by_check(report, "garbled_text") == []


def test_utf8_csv_is_not_reported(county):
    code, report = check_json(county)
    assert code == 0 and by_check(report, "encoding") == []


def test_one_file_column_mapped_to_two_covermap_columns(county):
    """A county with township names only: township_code and township_name both 乡镇."""
    edit(county, 'township_code = "乡镇代码"', 'township_code = "乡镇"')
    inputs = load_inputs(load_profile(county))
    assert inputs.villages["township_code"].tolist() == ["乐元镇"] * 4 + ["打易镇"]
    assert inputs.villages["township_name"].tolist() == ["乐元镇"] * 4 + ["打易镇"]


def test_x_mapped_as_an_attribute_too(county):
    edit(county, 'name = "name"\ntype = "类型"', 'name = "lon"\ntype = "类型"')
    inputs = load_inputs(load_profile(county))
    assert [float(v) for v in inputs.clinics["name"]] == pytest.approx([105.0099, 105.0259], abs=1e-3)


def test_served_codes_that_are_no_village_are_reported_by_project_row(county):
    path = county.parent / "water.geojson"
    water = gpd.read_file(path)
    water["served"] = [f"{hd.CODES['A']};522326999999; 52232610020", hd.CODES["B"]]
    path.unlink()
    water.to_file(path, engine="pyogrio")
    code, report = check_json(county)
    assert code == 0
    [note] = by_check(report, "unknown_served_code")
    assert note["severity"] == "warning" and note["row"] == 1 and note["column"] == "served"
    assert note["code"] == "52232610020"
    assert "1 project lists 2 codes that are not villages (row 1 P1: 52232610020, 522326999999)" in note["text"]
    # the known codes still serve: B by P2's listing, A by P1's
    inputs = load_inputs(load_profile(county))
    assert inputs.layer("water")["served_codes"].tolist() == [frozenset({hd.CODES["A"], "522326999999", "52232610020"}),
                                                     frozenset({hd.CODES["B"]})]


def test_served_codes_all_villages_are_not_reported(county):
    code, report = check_json(county)
    assert by_check(report, "unknown_served_code") == []


def test_township_codes_that_are_names_get_one_map_each(tmp_path):
    """Sixteen townships whose codes are their names: sixteen maps, each with its own
    village, each linked from the index (the names all became ___.html before)."""
    from maps import make_options, write_atlas
    from maps.atlas import township_file

    towns = ["乐元镇", "打易镇", "边饶镇", "大观镇", "新屯镇", "蔗香镇", "昂武镇", "郊纳镇",
             "麻山镇", "石屯镇", "复兴镇", "桑郎镇", "纳夜镇", "油迈乡", "Town A", "town a"]
    rows = []
    for k, town in enumerate(towns):
        x = 500_000 + 1000 * k
        row = {"village_code": f"5223261{k:02d}201", "village_name": f"村{k}", "township_code": town,
               "township_name": town, "population": 800, "poor_population": np.nan, "seat_source": "polygon",
               "gap_count": 0, "no_data_count": 0}
        for key in ("road", "water", "clinic", "net4g", "fibre"):
            row[f"{key}_verdict"], row[f"{key}_reason"] = "meets", "ok"
        row["geometry"] = box(x, 2_900_000, x + 1000, 2_901_000)
        rows.append(row)
    villages = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:32648")
    write_atlas(villages, None, tmp_path, make_options(lang="en"), township_maps_above=0)
    files = sorted(path.name for path in (tmp_path / "townships").glob("*.html"))
    assert len(files) == 16 and all(re.fullmatch(r"[0-9a-z_.-]+\.html", name) for name in files)
    assert len({name.lower() for name in files}) == 16   # 'Town A' and 'town a' apart where case is ignored
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="townships/([^"]+)"', index)
    assert sorted(links) == files
    for k, town in enumerate(towns):
        page = (tmp_path / "townships" / township_file(town)).read_text(encoding="utf-8")
        assert f"5223261{k:02d}201" in page and town in page
        others = [f"5223261{j:02d}201" for j in range(16) if j != k]
        assert not any(f'"id": "{code}"' in page for code in others)
