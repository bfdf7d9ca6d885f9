"""Ledgers against geometry (账实相符) on the hand-drawn county: consistency.csv and the
``consistency`` layer, one row per village and disagreement, with its bureau."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

import hand_drawn as hd
from cli import main
from county_files import write_county


@pytest.fixture
def county(tmp_path):
    profile = write_county(tmp_path / "county")
    path = profile.parent / "villages.gpkg"
    v = gpd.read_file(path, layer="villages")
    # A: clinic K1 inside, ledger yes (agrees). B: ledger no (K1 on the A/B boundary counts for A: agrees).
    # C: ledger yes, no clinic point (disagrees). D: ledger no, K4 inside (disagrees). E: no boundary.
    v["有卫生室"] = ["是", "否", "是", "否", "是"]
    # Hardened roads (limit set to 400 m below): R1 ends inside A (agrees); B's polygon is 500 m from R1
    # (disagrees); C touches R2 at a corner and D is crossed by R3 (agree); E has no boundary nor seat.
    v["通硬化路"] = ["是", "是", "是", "是", "是"]
    path.unlink()
    v.to_file(path, layer="villages", engine="pyogrio")
    text = profile.read_text(encoding="utf-8").replace('poor_population = "贫困人口"',
                                                       'poor_population = "贫困人口"\nhas_clinic = "有卫生室"\n'
                                                       'road_hardened = "通硬化路"')
    text = text.replace("max_distance_m = 500", "max_distance_m = 400")
    profile.write_text(text, encoding="utf-8")
    return profile


@pytest.mark.parametrize("maps, lang", [([], "en"), (["--no-maps"], "zh")])   # without maps the input layers
def test_consistency_csv_and_layer(county, tmp_path, maps, lang):                 # are let go after the checks
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", "run", str(county), "-o", str(out), "--lang", lang, *maps])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "consistency.csv", dtype=str, encoding="utf-8-sig")
    assert list(table.columns) == ["village_code", "village_name", "township_code", "township_name", "bureau",
                                   "check", "ledger", "map", "source"]
    got = list(zip(table["bureau"], table["check"], table["village_code"]))
    assert got == [("health", "clinic_recorded", hd.CODES["C"]),
                   ("health", "clinic_recorded", hd.CODES["D"]),
                   ("transport", "road_recorded_hardened", hd.CODES["B"]),
                   ("water", "water_served_list", hd.CODES["B"])]
    expected = {"en": (["no clinic point inside the village", "a clinic point lies inside the village",
                        "no hardened road within 400 m (nearest 500 m)"], "project P2 lists the village as served"),
                "zh": (["村内没有卫生室点位", "村内有卫生室点位", "400 米内没有硬化路（最近的 500 米）"],
                       "供水工程P2把本村列为受益村")}
    assert (table["map"].tolist()[:3], table["ledger"].iloc[3]) == expected[lang]
    layer = gpd.read_file(out / "coverage.gpkg", layer="consistency")
    assert len(layer) == 4 and layer.crs.to_epsg() == 4490
    assert layer.geometry.notna().all() and layer["village_code"].tolist() == table["village_code"].tolist()


def test_no_ledger_columns_gives_an_empty_table(tmp_path):
    profile = write_county(tmp_path / "plain")
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["-q", "run", str(profile), "-o", str(out)]).exit_code == 0
    table = pd.read_csv(out / "consistency.csv", dtype=str, encoding="utf-8-sig")
    # only the water ledger exists here: P2 lists B but lies 4 km away
    assert table["village_code"].tolist() == [hd.CODES["B"]] and table["bureau"].tolist() == ["water"]
    assert len(gpd.read_file(out / "coverage.gpkg", layer="consistency")) == 1
