"""covermap compare (issue 20): known answers for every change class, code changes
(rename, merge), settings differences, self-comparison, the additivity of open problems
over three runs, and the command end to end on the sample county."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from gis.errors import DataError
from layers import compare as cmp
from layers.sample import profile_path
from layers.verdicts import STANDARDS

KEYS = [s.key for s in STANDARDS]


def villages(rows: dict[str, dict[str, str]]) -> pd.DataFrame:
    """A villages table: code -> {standard: verdict}; unnamed standards meet."""
    records = []
    for code, verdicts in rows.items():
        record = {"village_code": code, "village_name": f"村{code}", "township_code": code[:3],
                  "township_name": f"乡{code[:3]}"}
        for standard in STANDARDS:
            verdict = verdicts.get(standard.key, "meets")
            record[f"{standard.key}_verdict"] = verdict
            record[f"{standard.key}_reason"] = f"{standard.key} {verdict}"
            record[standard.value_column] = float(len(verdict))
        records.append(record)
    return pd.DataFrame(records)


# every road transition, one village each; the other standards meet in both runs
TRANSITIONS = {
    ("fails", "meets"): "closed", ("basic", "meets"): "closed", ("meets", "fails"): "new",
    ("meets", "basic"): "new", ("fails", "fails"): "persisting", ("basic", "basic"): "persisting",
    ("fails", "basic"): "improved", ("basic", "fails"): "worsened", ("no_data", "meets"): "data_gained",
    ("no_data", "fails"): "data_gained", ("fails", "no_data"): "data_lost", ("meets", "no_data"): "data_lost",
    ("meets", "meets"): None, ("no_data", "no_data"): None,
}


def pair():
    old, new = {}, {}
    for i, (before, after) in enumerate(TRANSITIONS):
        code = f"100{i:03d}"
        old[code], new[code] = {"road": before}, {"road": after}
    old["200001"] = {"water": "fails"}    # removed
    new["300001"] = {"clinic": "basic"}   # added
    return villages(old), villages(new)


def test_every_transition_has_its_class():
    old, new = pair()
    changes = cmp.compare(old, new)
    assert list(changes.columns) == list(cmp.COLUMNS)
    road = changes[(changes["standard"] == "road") & changes["village_code"].str.startswith("100")]
    got = dict(zip(zip(road["old_verdict"], road["new_verdict"]), road["change"]))
    assert got == {pair: change for pair, change in TRANSITIONS.items() if change}
    # an added or removed village: a row per standard, none dropped
    assert (changes.loc[changes["village_code"] == "200001", "change"] == "village_removed").sum() == 5
    added = changes[changes["village_code"] == "300001"]
    assert list(added["change"]) == ["village_added"] * 5
    assert added.set_index("standard").loc["clinic", "new_verdict"] == "basic"
    assert added["old_verdict"].isna().all()
    row = road[road["change"] == "closed"].iloc[0]
    assert (row["bureau"], row["change_text"], row["old_value"], row["new_value"]) == ("transport", "已销号", 5.0, 5.0)
    assert row["old_reason"].startswith("road ") and row["settings_changed"] == "no"


def test_words_follow_the_language():
    old, new = pair()
    english = cmp.compare(old, new, lang="en")
    assert set(english["change_text"]) == {cmp.change_word(key, "en") for key in set(english["change"])}
    assert "closed" in set(english["change_text"]) and "persisting" in set(english["change_text"])
    line = cmp.summary_line(english, "out", "en")
    assert line.startswith("closed 2, new 2, persisting 2, improved 1") and line.endswith("outputs in out")
    assert cmp.summary_line(cmp.compare(old, new), "out", "zh").startswith("已销号 2、新增 2、仍未解决 2")


def test_comparing_a_run_with_itself_gives_no_change():
    """Only the open problems, each persisting (the list still to work on); shuffled rows alike."""
    old, _ = pair()
    same = cmp.compare(old, old.sample(frac=1, random_state=1))
    opened = sum(old[f"{key}_verdict"].isin(["fails", "basic"]).sum() for key in KEYS)
    assert set(same["change"]) == {"persisting"} and len(same) == opened
    assert (cmp.open_change(same) == 0).all()
    meets = villages({"1": {}, "2": {"road": "no_data"}})
    assert cmp.compare(meets, meets).empty


def test_code_changes_rename_and_merge():
    old = villages({"111": {"road": "fails"}, "222": {"road": "fails"}, "333": {"road": "meets"},
                    "444": {"water": "basic"}})
    new = villages({"900": {"road": "meets"}, "555": {"road": "fails"}, "444": {"water": "basic"}})
    codes = pd.DataFrame({"old_code": ["111", "222", "333"], "new_code": ["900", "900", "555"]})
    changes = cmp.compare(old, new, codes)
    got = {(r.village_code, r.old_village_code, r.standard): r.change for r in changes.itertuples()}
    # merge: each old village compared with the merged one; rename: matched by its new code
    assert got == {("900", "111", "road"): "closed", ("900", "222", "road"): "closed",
                   ("555", "333", "road"): "new", ("444", "444", "water"): "persisting"}
    # without the table the renamed villages are listed as removed and added, never dropped
    plain = cmp.compare(old, new)
    removed = set(plain.loc[plain["change"] == "village_removed", "village_code"])
    added = set(plain.loc[plain["change"] == "village_added", "village_code"])
    assert (removed, added) == ({"111", "222", "333"}, {"900", "555"})


def test_a_bad_code_table_is_named():
    with pytest.raises(DataError, match="codes.csv: has no new_code column"):
        cmp.check_codes(pd.DataFrame({"old_code": ["1"], "code": ["2"]}), "codes.csv")
    with pytest.raises(DataError, match="line 3 has an empty"):
        cmp.check_codes(pd.DataFrame({"old_code": ["1", "2"], "new_code": ["3", ""]}), "codes.csv")


def test_settings_differences_mark_their_standards():
    old = {"project": {"name": "x"}, "standards": {"roads": {"max_distance_m": 500}, "network": {"min_share": 0.9}}}
    new = {"project": {"name": "x"}, "standards": {"roads": {"max_distance_m": 600}}}   # 0.9 is the default
    differences = cmp.settings_differences(old, new)
    assert differences == [{"key": "standards.roads.max_distance_m", "old": 500, "new": 600, "standards": ["road"]}]
    assert cmp.settings_differences(new, new) == []
    assert cmp.affected("standards.network.fibre_max_distance_m") == ("fibre",)
    assert "standards.roads.max_distance_m" in cmp.difference_text(differences[0], "en")
    a, b = pair()
    changes = cmp.compare(a, b, changed_standards={"road"})
    assert set(changes.loc[changes["standard"] == "road", "settings_changed"]) == {"yes"}
    assert set(changes.loc[changes["standard"] != "road", "settings_changed"]) == {"no"}


VERDICT = st.sampled_from(["meets", "basic", "fails", "no_data"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*[st.tuples(VERDICT, VERDICT, VERDICT)] * 5), min_size=1, max_size=12))
def test_open_problems_add_up_over_three_runs(rows):
    """Net change of open problems (fails + basic) per bureau: A->B plus B->C is A->C."""
    runs = [villages({f"{i:03d}": {key: row[k][run] for k, key in enumerate(KEYS)} for i, row in enumerate(rows)})
            for run in range(3)]
    a, b, c = runs
    total = cmp.open_change(cmp.compare(a, b)) + cmp.open_change(cmp.compare(b, c))
    assert total.to_dict() == cmp.open_change(cmp.compare(a, c)).to_dict()
    for first, second in ((a, b), (a, c)):   # and each equals the difference of the counts
        opened = lambda t: {s.bureau: 0 for s in STANDARDS} | pd.Series(
            [s.bureau for s in STANDARDS for v in t[f"{s.key}_verdict"] if v in ("fails", "basic")],
            dtype=object).value_counts().to_dict()
        expect = {k: opened(second).get(k, 0) - opened(first).get(k, 0) for k in opened(first)}
        assert cmp.open_change(cmp.compare(first, second)).to_dict() == expect


def test_summary_counts_per_bureau_township_and_change():
    old, new = pair()
    changes = cmp.compare(old, new)
    table = cmp.summary(changes, "zh")
    assert table["villages"].sum() == len(changes)
    row = table[(table["bureau"] == "transport") & (table["change"] == "closed")].iloc[0]
    assert (row["bureau_name"], row["township_code"], row["change_text"], row["villages"]) == \
        ("交通运输局", "100", "已销号", 2)
    assert cmp.counts(changes)["transport"]["closed"] == 2


# -- the command, end to end ---------------------------------------------------------------

@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The sample county run with standards.roads.max_distance_m = 500, then 600."""
    root = tmp_path_factory.mktemp("compare")
    sample = root / "sample"
    shutil.copytree(profile_path().parent, sample, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    text = (sample / "profile.toml").read_text(encoding="utf-8")
    assert "max_distance_m = 500" in text
    (sample / "wider.toml").write_text(text.replace("max_distance_m = 500", "max_distance_m = 600"), encoding="utf-8")
    runner = CliRunner()
    for name, profile in (("old", "profile.toml"), ("new", "wider.toml")):
        result = runner.invoke(main, ["run", str(sample / profile), "-o", str(root / name), "--no-maps"])
        assert result.exit_code == 0, result.output
    return root


def test_compare_command_writes_the_changes(two_runs):
    out = two_runs / "changes"
    result = CliRunner().invoke(main, ["compare", str(two_runs / "old"), str(two_runs / "new"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "standards.roads.max_distance_m 旧 500，新 600" in result.output
    assert result.output.strip().splitlines()[-1].startswith("已销号 ")
    changes = pd.read_csv(out / "changes.csv", dtype={"village_code": str, "township_code": str},
                          encoding="utf-8-sig")
    assert (out / "changes.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    road = changes[changes["standard"] == "road"]
    assert (road["change"] == "closed").sum() >= 1 and set(road["settings_changed"]) == {"yes"}
    assert set(changes.loc[changes["standard"] != "road", "settings_changed"]) == {"no"}
    assert set(changes["change"]) <= set(cmp.CHANGES)
    assert not changes["change"].isin(["new", "worsened", "village_added", "village_removed"]).any()
    record = json.loads((out / "changes.json").read_text(encoding="utf-8"))
    assert record["settings_differences"] == [{"key": "standards.roads.max_distance_m", "old": 500, "new": 600,
                                               "standards": ["road"]}]
    assert record["counts"]["transport"]["closed"] == (road["change"] == "closed").sum()
    assert record["old"]["written"] and record["new"]["profile"].endswith("wider.toml")
    # the runs' own times (run.json run_at), in the order they were made
    runs = [json.loads((two_runs / name / "run.json").read_text(encoding="utf-8"))["run_at"] for name in ("old", "new")]
    assert [record["old"]["written"], record["new"]["written"]] == runs and runs[0] <= runs[1]
    layer = pyogrio.read_dataframe(out / "changes.gpkg", layer="changes")
    assert len(layer) == len(changes) and layer.geometry.notna().all()
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    assert summary["villages"].sum() == len(changes)
    # written again only with --overwrite; the same run with itself: no change
    again = CliRunner().invoke(main, ["compare", str(two_runs / "old"), str(two_runs / "new"), "-o", str(out)])
    assert again.exit_code == 1 and "--overwrite" in again.output
    same = CliRunner().invoke(main, ["compare", str(two_runs / "new"), str(two_runs / "new"), "-o", str(out),
                                     "--overwrite", "--lang", "en"])
    assert same.exit_code == 0 and same.output.strip().startswith("closed 0, new 0, persisting ")
    assert pd.read_csv(out / "changes.csv")["change"].eq("persisting").all()


def test_compare_command_errors(two_runs, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["compare", str(tmp_path), str(two_runs / "new"), "-o", str(tmp_path / "c")])
    assert result.exit_code == 1 and "not a covermap output folder" in result.output
    codes = tmp_path / "codes.csv"
    codes.write_text("old,new\n1,2\n", encoding="utf-8")
    result = runner.invoke(main, ["compare", str(two_runs / "old"), str(two_runs / "new"), "-o", str(tmp_path / "c"),
                                  "--codes", str(codes)])
    assert result.exit_code == 1 and "codes.csv: has no old_code or new_code column" in result.output
    result = runner.invoke(main, ["compare", str(two_runs / "old"), str(two_runs / "new")])
    assert result.exit_code == 2


def test_a_province_of_changes_matches_a_count_made_directly():
    """100k villages x 5 standards of random verdicts (its speed is the benchmark's:
    benchmarks/compare_benchmark.py): every class counted as the transition table says."""
    rng = np.random.default_rng(0)
    n = 100_000
    verdicts = np.array(["meets", "basic", "fails", "no_data"], dtype=object)
    base = {"village_code": np.char.mod("%012d", np.arange(n)).astype(object), "village_name": "村",
            "township_code": "522326001", "township_name": "乡"}
    tables = []
    for _ in range(2):
        table = pd.DataFrame(base)
        for s in STANDARDS:
            table[f"{s.key}_verdict"] = verdicts[rng.integers(0, 4, n)]
            table[f"{s.key}_reason"] = "理由"
            table[s.value_column] = rng.random(n)
        tables.append(table)
    changes = cmp.compare(*tables)
    expected = {}
    for s in STANDARDS:
        pairs = zip(tables[0][f"{s.key}_verdict"], tables[1][f"{s.key}_verdict"])
        for key in (TRANSITIONS.get(pair) for pair in pairs):
            expected[key] = expected.get(key, 0) + 1
    expected.pop(None)
    expected["persisting"] = expected.get("persisting", 0)
    got = changes["change"].value_counts().to_dict()
    missing = {("basic", "no_data"): "data_lost", ("no_data", "basic"): "data_gained"}
    for s in STANDARDS:   # the pairs TRANSITIONS leaves out of its road table
        for (before, after), key in missing.items():
            k = int(((tables[0][f"{s.key}_verdict"] == before) & (tables[1][f"{s.key}_verdict"] == after)).sum())
            expected[key] = expected.get(key, 0) + k
    assert got == expected


def test_an_old_run_in_another_crs_is_put_into_the_new_ones():
    # layers.polygons.in_crs, used by the changes layer whichever process writes it
    import pyarrow as pa
    import shapely
    from pyproj import CRS, Transformer

    from layers.polygons import in_crs
    square = shapely.box(106.70, 26.60, 106.71, 26.61)
    shapes = (["522326100200"], [pa.array([shapely.to_wkb(square)], type=pa.binary())], CRS("EPSG:4490"))
    assert in_crs(shapes, CRS("EPSG:4490")) is shapes and in_crs(None, CRS("EPSG:4545")) is None
    codes, wkb, crs = in_crs(shapes, CRS("EPSG:4545"))   # CGCS2000 3-degree zone 108E
    moved = shapely.from_wkb(wkb[0].to_numpy(zero_copy_only=False)[0])
    lon, lat = shapely.get_coordinates(square).T
    x, y = Transformer.from_crs("EPSG:4490", "EPSG:4545", always_xy=True).transform(lon, lat)
    assert codes == ["522326100200"] and crs == CRS("EPSG:4545")
    assert shapely.get_coordinates(moved) == pytest.approx(np.column_stack([x, y]), abs=0.001)
    assert 300_000 < x.min() < 500_000   # 106.7E: about 130 km west of the zone's meridian (108E), not degrees
