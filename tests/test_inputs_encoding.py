"""Shapefile text: the profile's encoding wins, then the .cpg, then detection from the
.dbf (UTF-8 or GBK/GB18030), reported in the check and in run.json; garbled names
are reported, never passed on silently."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

import hand_drawn as hd
from cli import main
from county_files import write_county
from gis.encoding import garbled, shapefile_encoding
from layers.inputs import load_inputs
from layers.profile import load_profile

NAMES = ["乐元镇沥青路", "打易镇水泥路"]


def write_roads(folder, encoding: str, cpg: str | None, surface: str = "路面"):
    roads = gpd.GeoDataFrame({"name": NAMES, surface: ["沥青", "水泥"], "width": [6.0, 5.0]},
                             geometry=[hd.line((500, -1000), (500, 100)), hd.line((2500, -500), (2500, 500))],
                             crs=hd.CRS_M)
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        (folder / f"roads{suffix}").unlink(missing_ok=True)
    pyogrio.write_dataframe(roads, folder / "roads.shp", encoding=encoding)
    (folder / "roads.cpg").unlink(missing_ok=True)
    if cpg:
        (folder / "roads.cpg").write_text(cpg, encoding="ascii")


@pytest.fixture
def county(tmp_path):
    profile = write_county(tmp_path / "county")
    text = profile.read_text(encoding="utf-8").replace('path = "roads.shp"\nencoding = "GBK"\n', 'path = "roads.shp"\n')
    profile.write_text(text, encoding="utf-8")
    return profile


def check_json(profile):
    result = CliRunner().invoke(main, ["check", str(profile), "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("written, detected", [("GBK", "GB18030"), ("UTF-8", "UTF-8")])
def test_encoding_detected_without_cpg(county, written, detected):
    write_roads(county.parent, written, None)
    choice = shapefile_encoding(county.parent / "roads.shp", None)
    assert (choice.name, choice.how) == (detected, "detected")
    inputs = load_inputs(load_profile(county))
    assert list(inputs.roads["name"]) == NAMES and inputs.roads["hardened"].tolist() == [True, True]
    [record] = [r for r in inputs.records if r.key == "roads"]
    assert record.encoding.startswith(detected) and "detected" in record.encoding
    code, report = check_json(county)
    assert code == 0
    [note] = [item for item in report["warnings"] if item["check"] == "encoding"]
    assert detected in note["text"] and note["file"].endswith("roads.shp")


def test_cpg_is_honoured_and_the_profile_overrides_it(county):
    write_roads(county.parent, "GBK", "GBK")
    assert shapefile_encoding(county.parent / "roads.shp", None).how == ".cpg"
    assert list(load_inputs(load_profile(county)).roads["name"]) == NAMES
    # a wrong .cpg (UTF-8 text, .cpg says Latin-1): the column names come out garbled
    write_roads(county.parent, "UTF-8", "ISO-8859-1")
    code, report = check_json(county)
    [error] = [item for item in report["errors"] if "roads.shp" in item["text"]]
    assert "no column '路面'" in error["text"] and "set roads.encoding" in error["text"]
    # ... and so do the values, when the column names are plain ASCII
    write_roads(county.parent, "UTF-8", "ISO-8859-1", surface="surface")
    county.write_text(county.read_text(encoding="utf-8").replace('surface = "路面"', 'surface = "surface"'),
                      encoding="utf-8")
    code, report = check_json(county)
    assert code == 0, report["errors"]
    bad = [item for item in report["warnings"] if item["check"] == "garbled_text"]
    assert [item["column"] for item in bad] == ["surface", "name"]
    assert bad[1]["row"] == 1 and "encoding" in bad[1]["fix"]
    # the profile's encoding wins over the .cpg
    text = county.read_text(encoding="utf-8").replace('path = "roads.shp"\n', 'path = "roads.shp"\nencoding = "UTF-8"\n')
    county.write_text(text, encoding="utf-8")
    assert list(load_inputs(load_profile(county)).roads["name"]) == NAMES
    _, clean = check_json(county)
    assert [item for item in clean["warnings"] if item["check"] == "garbled_text"] == []


def test_run_records_the_encoding_in_run_json(county, tmp_path):
    write_roads(county.parent, "GBK", None)
    result = CliRunner().invoke(main, ["-q", "run", str(county), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    [roads] = [r for r in record["inputs"] if r["key"] == "roads"]
    assert roads["encoding"] == "GB18030 (detected: the text is not valid UTF-8)"


def test_unknown_encoding_in_the_profile_is_a_profile_error(county):
    text = county.read_text(encoding="utf-8").replace('path = "roads.shp"\n', 'path = "roads.shp"\nencoding = "GBX"\n')
    county.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(county)])
    assert result.exit_code == 1 and "roads.encoding = 'GBX' is not a text encoding" in result.output


def test_garbled_detection():
    cells = pd.Series(["甲村", "乐元镇", "濮阳村", "鐢叉潙", "ç²æ", "a\ufffdb", None, "锟斤拷"])
    assert garbled(cells).tolist() == [False, False, False, True, True, True, False, True]


def test_text_that_is_not_the_named_encoding_is_an_error_naming_the_key(county):
    write_roads(county.parent, "GBK", "UTF-8")
    result = CliRunner().invoke(main, ["check", str(county)])
    assert result.exit_code == 1
    assert "roads.shp: its text is not UTF-8" in result.output and "roads.encoding" in result.output


@pytest.mark.parametrize("cpg", ["936", "ANSI 936", "GBK", "cp936 "])
def test_cpg_spellings(county, cpg):
    write_roads(county.parent, "GBK", cpg)
    choice = shapefile_encoding(county.parent / "roads.shp", None)
    assert choice.how == ".cpg" and choice.name is not None
    assert list(load_inputs(load_profile(county)).roads["name"]) == NAMES
