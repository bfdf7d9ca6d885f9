"""The sample county's layers for the optional standards (layers/sample/plugins.py) and
profile_all.toml: they are what the generator writes, they give every verdict, and switching
the plug-ins on leaves the five standards' answers exactly as they were."""

from __future__ import annotations

import re

import pandas as pd
import pyogrio
import pytest

from layers.pipeline import assess
from layers.profile import load_profile
from layers.sample import SAMPLE_DIR, plugins, profile_path
from layers.standards import STANDARDS, present

SAMPLED = ("school", "housing", "electricity", "bus", "post")   # the optional standards the sample has layers for
ADDED = (*SAMPLED, "care")                        # and time to care, on the five's roads and clinics
UNCONNECTED = "522326105204"   # 纳幕村: its hardened stub joins no township seat (profile_all's require_connected)


def test_shipped_files_equal_the_generator_output(tmp_path):
    """Period 1 and period 2 (2026/). If this fails, rerun `python -m layers.sample.plugins`
    and commit the result."""
    plugins.write(SAMPLE_DIR, tmp_path)
    plugins.write_period2(SAMPLE_DIR, tmp_path)
    for folder in ("", plugins.PERIOD2):
        for name in ("schools.csv", "housing.csv", "transformers.csv", "towns.csv", "bus_stops.csv", "post.csv",
                     "profile_all.toml"):
            assert (tmp_path / folder / name).read_bytes() == (SAMPLE_DIR / folder / name).read_bytes(), (folder, name)
        built, shipped = (pyogrio.read_dataframe(root / folder / "power_lines.gpkg") for root in (tmp_path, SAMPLE_DIR))
        assert built.drop(columns="geometry").equals(shipped.drop(columns="geometry"))
        assert built.geometry.geom_equals_exact(shipped.geometry, 1e-9).all()


def test_period2_households_of_the_merged_villages_under_their_new_code():
    """2026/housing.csv: period 1's households, those of the two merged villages listed under
    the new code, one household added (the house appraised grade D in 2026)."""
    from layers.sample import period2

    first, later = (pd.read_csv(folder / "housing.csv", dtype=str) for folder in (SAMPLE_DIR, SAMPLE_DIR / "2026"))
    assert not later["village_code"].isin(period2.MERGED).any()
    assert (later["village_code"] == period2.MERGED_INTO).sum() == first["village_code"].isin(period2.MERGED).sum()
    assert len(later) == len(first) + 1 and later["户编号"].is_unique


@pytest.fixture(scope="module")
def both():
    return assess(load_profile(profile_path())).villages, assess(load_profile(SAMPLE_DIR / "profile_all.toml")).villages


def test_the_five_standards_are_unchanged_by_the_plug_ins(both):
    """... but for the road standard's connectivity rule profile_all.toml adds: one village's
    hardened road joins no township seat."""
    five, all_ = both
    columns = [c for c in five.columns if c not in ("gap_count", "no_data_count")]
    assert [c for c in all_.columns if c in columns] == columns
    same = (five["village_code"] != UNCONNECTED).to_numpy()
    pd.testing.assert_frame_equal(pd.DataFrame(all_[columns][same]), pd.DataFrame(five[columns][same]))
    stub = all_[~same].iloc[0]
    assert (five.loc[~same, "road_verdict"].iloc[0], stub["road_verdict"]) == ("meets", "fails")
    assert stub["road_reason"].startswith("硬化路与乡镇驻地不连通（最近连通点 ") and stub["road_connected"] == "no"


def test_every_plug_in_gives_its_verdicts(both):
    _, villages = both
    for key in SAMPLED:
        assert {"meets", "fails", "no_data"} <= set(villages[f"{key}_verdict"]), key
    assert "basic" in set(villages["school_verdict"]) and "basic" in set(villages["electricity_verdict"])
    # the plug-ins the sample has no layers for are not checked at all
    assert {s.key for s in present(villages.columns)} == {s.key for s in STANDARDS} | set(ADDED)


def test_the_plug_ins_maps(tmp_path):
    """covermap run of profile_all.toml: a map per bureau of the plug-ins, their symbols in the
    legend, their rows in the popups; the household ledger's rows on no map."""
    from click.testing import CliRunner

    from cli import main

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", "run", str(SAMPLE_DIR / "profile_all.toml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    for bureau, symbols in (("education", {"schools"}), ("housing", set()), ("power", {"transformers", "power_lines"}),
                            ("postal", {"post"})):
        html = (out / f"map_{bureau}.html").read_text(encoding="utf-8")
        drawn = set(re.findall(r'data-symbol="([a-z_]+)"', html)) - {"townships"}
        assert drawn == symbols, bureau
    # 通客车's stops join the transport bureau's map, beside its roads
    assert "bus_stops" in set(re.findall(r'data-symbol="([a-z_]+)"', (out / "map_transport.html").read_text("utf-8")))
    overview = (out / "map.html").read_text(encoding="utf-8")
    assert "义务教育" in overview and "住房安全" in overview and "电网" in overview
    assert "school_nearest_m" not in overview   # values travel as numbers in the popup rows, not as columns
    households = pd.read_csv(SAMPLE_DIR / "housing.csv", dtype=str)["户编号"]
    for page in [*out.glob("map*.html"), *(out / "townships").glob("*.html")]:
        text = page.read_text(encoding="utf-8")
        assert not any(number in text for number in households.iloc[:50]), page.name
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "map_education.html" in index and "教育局" in index


def test_the_plug_ins_problem_lists_are_read_back(tmp_path):
    """动态清零 with the plug-ins: their bureau sheets read back as the next period's ledger;
    by a run that does not check them, their entries cannot be verified (no data)."""
    from click.testing import CliRunner

    from cli import main

    def run(profile, out, *more):
        result = CliRunner().invoke(main, ["-q", "run", str(profile), "-o", str(out), "--no-maps", *more])
        assert result.exit_code == 0, result.output
        return pd.read_csv(out / "ledger.csv", dtype=str) if more else None

    run(SAMPLE_DIR / "profile_all.toml", tmp_path / "first")
    book = str(tmp_path / "first" / "问题清单.xlsx")
    again = run(SAMPLE_DIR / "profile_all.toml", tmp_path / "again", "--ledger", book)
    assert set(SAMPLED) <= set(again["standard"]) and set(again["status"]) == {"in_progress"}
    five = run(profile_path(), tmp_path / "five", "--ledger", book)
    assert set(five.loc[five["standard"].isin(SAMPLED), "status"]) == {"unverifiable"}


def test_comparing_runs_with_the_plug_ins(tmp_path):
    """covermap compare of a run of the five and a run with the plug-ins: their problems come
    in as data gained, with their bureaus' sheets, trend and page entries."""
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from cli import main

    for profile, out in ((profile_path(), "five"), (SAMPLE_DIR / "profile_all.toml", "all")):
        result = CliRunner().invoke(main, ["-q", "run", str(profile), "-o", str(tmp_path / out), "--no-maps"])
        assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["-q", "compare", str(tmp_path / "five"), str(tmp_path / "all"),
                                       "-o", str(tmp_path / "changes")])
    assert result.exit_code == 0, result.output
    changes = pd.read_csv(tmp_path / "changes" / "changes.csv", dtype=str)
    added = changes[changes["standard"].isin(ADDED)]
    assert set(added["standard"]) == set(ADDED) and set(added["change"]) == {"data_gained", "scope_changed"}
    # 通客车's villages that are not poor come in not_applicable: a change of scope, not of data
    scoped = added[added["change"] == "scope_changed"]
    assert set(scoped["standard"]) == {"bus"} and set(scoped["new_verdict"]) == {"not_applicable"}
    five = changes[~changes["standard"].isin(ADDED)]
    assert set(five["change"]) == {"persisting", "new"}   # new: the stub joining no township seat
    assert five.loc[five["change"] == "new", ["village_code", "standard"]].values.tolist() == [[UNCONNECTED, "road"]]
    book = load_workbook(tmp_path / "changes" / "变化清单.xlsx")
    assert {"教育局", "住建局", "供电公司"} <= set(book.sheetnames)
    trend = pd.read_csv(tmp_path / "changes" / "trend.csv", dtype=str)
    assert {"education", "housing", "power"} <= set(trend["bureau"])
    page = (tmp_path / "changes" / "trend.html").read_text(encoding="utf-8")
    assert 'data-bureau="education"' in page and "教育局" in page
    assert "义务教育" in (tmp_path / "changes" / "changes.html").read_text(encoding="utf-8")
