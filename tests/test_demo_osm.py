"""covermap demo --osm (issue 22), end to end: the bundled OpenStreetMap extract of
Liechtenstein through covermap osm and covermap run, on real roads, with the ODbL
attribution wherever its data go."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from layers import osmdemo

ODBL = "(c) OpenStreetMap contributors, ODbL 1.0"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("demo") / "li"
    result = CliRunner().invoke(main, ["demo", "--osm", str(outdir)])
    assert result.exit_code == 0, result.output
    return outdir, result.output


def test_the_extract_ships_with_the_package():
    assert osmdemo.EXTRACT.is_file() and osmdemo.EXTRACT.stat().st_size > 500_000
    note = (osmdemo.EXTRACT.parent / "README.txt").read_text(encoding="utf-8")
    assert "ODbL" in note and "OpenStreetMap contributors" in note


def test_it_runs_osm_then_run_on_real_roads(demo):
    outdir, output = demo
    assert sorted(p.name for p in outdir.iterdir()) == ["README.txt", "osm", "results"]
    assert {"osm.gpkg", "profile.toml"} <= {p.name for p in (outdir / "osm").iterdir()}
    assert "11 个村" in output and "就医时间" in output and "ODbL 1.0" in output
    villages = pd.read_csv(outdir / "results" / "villages.csv", dtype={"village_code": str})
    assert len(villages) == 11 and set(villages["village_name"]) >= {"Vaduz", "Schaan", "Balzers", "Triesenberg"}
    # every municipality is entered by a hardened road of the main network (the extract's trunk roads)
    assert (villages["road_connected"] == "yes").all() and (villages["road_verdict"] == "meets").all()
    # time to care: the Landesspital in Vaduz is the only hospital, in the Oberland
    vaduz = villages.set_index("village_name").loc["Vaduz"]
    assert vaduz["care_verdict"] == "meets" and vaduz["health_centre_travel_min"] < 5
    assert "Liechtensteinisches Landesspital" in vaduz["care_reason"]
    oberland = villages["township_name"] == "Wahlkreis Oberland"
    assert villages.loc[oberland, "health_centre_travel_min"].notna().all()
    assert (villages.loc[~oberland, "care_verdict"] == "no_data").all()   # the Unterland has no hospital
    assert (villages.loc[oberland, "health_centre_network_m"] >= 1000).all()


def test_the_attribution_goes_with_the_data(demo):
    outdir, _ = demo
    note = (outdir / "README.txt").read_text(encoding="utf-8")
    assert "© OpenStreetMap 贡献者" in note and "ODbL 1.0" in note and "openstreetmap.org/copyright" in note
    assert ODBL in (outdir / "osm" / "profile.toml").read_text(encoding="utf-8")
    with zipfile.ZipFile(outdir / "results" / "问题清单.xlsx") as book:
        sheets = [book.read(name).decode("utf-8") for name in book.namelist() if name.startswith("xl/worksheets/")]
    assert all(ODBL in sheet for sheet in sheets)
    assert ODBL in (outdir / "results" / "map.html").read_text(encoding="utf-8")


def test_outputs_are_not_overwritten_without_asking(demo):
    outdir, _ = demo
    again = CliRunner().invoke(main, ["demo", "--osm", str(outdir)])
    assert again.exit_code == 1 and "Traceback" not in again.output and "--overwrite" in again.output


def test_in_english(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--osm", str(tmp_path / "en"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Map data (c) OpenStreetMap contributors" in (tmp_path / "en" / "README.txt").read_text(encoding="utf-8")
    villages = pd.read_csv(tmp_path / "en" / "results" / "villages.csv")
    assert villages["care_reason"].str.contains("to the township health centre").any()
    assert (tmp_path / "en" / "results" / "problem_list.xlsx").is_file()
