"""住房安全 (the housing plug-in, issue 21): known answers from a hand-made household ledger
(a table keyed by village code), and its rows never on a map."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from gis.errors import ConfigError, DataError
from layers.pipeline import assess, publish
from layers.profile import load_profile
from tests.plugin_county import code, write_profile, write_villages

HOUSING = """[housing]
path = "housing.csv"
[housing.columns]
code = "村代码"
grade = "鉴定等级"
renovated = "改造情况"
"""

# village -> its households: (grade, renovation status)
LEDGER = {
    0: [("A", ""), ("B", ""), ("C", "已改造"), ("D", "已竣工")],       # meets, 2 renovated
    1: [("D", "未改造"), ("D", "改造中"), ("C", "否"), ("C", "是"), ("A", "")],   # fails: D 2, C 1
    2: [("C级", ""), ("B", "")],                                        # no_data: renovation unknown
    3: [("", ""), ("A", "")],                                           # no_data: a grade unknown
    4: [("ｂ", ""), ("A", "")],                                         # meets (full-width grade read)
    # village 5: not in the ledger
}
N = 6


def _county(folder, rules: str = "", ledger: dict | None = None):
    write_villages(folder, N)
    rows = [(code(k), grade, status, f"户主{k}{i}") for k, households in (ledger or LEDGER).items()
            for i, (grade, status) in enumerate(households)]
    pd.DataFrame(rows, columns=["村代码", "鉴定等级", "改造情况", "户主"]).to_csv(folder / "housing.csv", index=False)
    return write_profile(folder, HOUSING + rules)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return assess(load_profile(_county(tmp_path_factory.mktemp("housing"))))


def test_verdicts_and_counts(result):
    v = result.villages.set_index("village_code")
    assert v["housing_verdict"].tolist() == ["meets", "fails", "no_data", "no_data", "meets", "no_data"]
    assert v["housing_households"].tolist()[:5] == [4, 5, 2, 2, 2] and np.isnan(v["housing_households"].iloc[5])
    assert v["housing_unsafe_households"].tolist()[:5] == [0, 3, 0, 0, 0]


def test_reasons_name_how_many_and_which_grade(result):
    reason = result.villages.set_index("village_code")["housing_reason"]
    assert reason[code(0)] == "台账 4 户，无未改造的危房（已改造 2 户）"
    assert reason[code(1)] == "仍有 3 户危房未改造（D级 2 户、C级 1 户）"
    assert reason[code(2)] == "1 户危房（C级 1 户）未填改造情况；请在台账中补录"
    assert reason[code(3)] == "1 户未填鉴定等级；请在台账中补录"
    assert reason[code(4)] == "台账 2 户，无未改造的危房"
    assert reason[code(5)] == "住房安全鉴定台账中没有本村的农户"


def test_the_gap_list_and_the_bureau_sheet(result, tmp_path):
    gaps = result.gaps[result.gaps["standard"] == "housing"]
    assert gaps["village_code"].tolist() == [code(1)] and gaps["bureau"].tolist() == ["housing"]
    assert gaps["value"].tolist() == [3.0] and gaps["value_column"].tolist() == ["housing_unsafe_households"]
    publish(result, tmp_path / "out")
    from openpyxl import load_workbook
    book = load_workbook(tmp_path / "out" / "问题清单.xlsx")
    assert "住建局" in book.sheetnames and "教育局" not in book.sheetnames
    rows = list(book["住建局"].iter_rows(min_row=3, values_only=True))
    assert rows[0][3:8] == (code(1), "住房安全", 3, "C/D级危房全部改造（0 户未改造）", "仍有 3 户危房未改造（D级 2 户、C级 1 户）")
    assert book["住建局"].cell(3, 6).number_format == '#,##0" 户"'
    # household rows reach no output: no owner's name anywhere
    for name in ("villages.csv", "gaps.csv", "no_data.csv"):
        assert "户主" not in (tmp_path / "out" / name).read_text(encoding="utf-8-sig")


def test_english_and_settings(tmp_path):
    profile = load_profile(_county(tmp_path, '\n[standards.housing]\ndangerous_grades = ["D"]\n'
                                             'not_listed = "meets"\n')).in_language("en")
    v = assess(profile).villages.set_index("village_code")
    assert v["housing_verdict"].tolist() == ["meets", "fails", "meets", "no_data", "meets", "meets"]
    assert v.loc[code(1), "housing_reason"] == "2 dangerous houses not renovated (grade D: 2)"
    assert v.loc[code(5), "housing_reason"] == ("the housing ledger lists no household of this village: "
                                                "no dangerous house")


def test_bad_cells_are_reported_and_unrecorded(tmp_path, caplog):
    profile = load_profile(_county(tmp_path, ledger={0: [("E", "已改造"), ("C", "也许")], 1: [("D", "否")]}))
    v = assess(profile).villages.set_index("village_code")
    assert v["housing_verdict"].tolist()[:2] == ["no_data", "fails"]
    found = [str(f) for f in assess(profile).inputs.findings]
    assert any("column '鉴定等级': 1 cell is not an appraisal grade" in f for f in found)
    assert any("column '改造情况': 1 cell is not a renovation status" in f for f in found)


@pytest.mark.parametrize("rules, message", [
    ('\n[standards.housing]\ndangerous_grades = ["E"]\n', "standards.housing.dangerous_grades = ['E']"),
    ('\n[standards.housing]\nnot_listed = "fails"\n', "standards.housing.not_listed = 'fails' is not known"),
    ('\n[standards.housing]\nrenovated_values = ["是"]\nnot_renovated_values = ["是"]\n', "in both"),
])
def test_setting_errors_name_the_key(tmp_path, rules, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_profile(_county(tmp_path, rules))


def test_a_ledger_without_its_grade_column_names_it(tmp_path):
    path = _county(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('grade = "鉴定等级"', 'grade = "等级"'), encoding="utf-8")
    with pytest.raises(DataError, match=r"housing.csv: no column '等级' \(mapped in profile \[housing\]\)"):
        assess(load_profile(path))


def test_the_grade_column_is_required(tmp_path):
    path = _county(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('grade = "鉴定等级"\n', ''), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape("housing.columns.grade is missing")):
        load_profile(path)


def test_the_distributed_run_gives_the_same_answers(result, tmp_path):
    pytest.importorskip("dask.distributed")
    from layers import distributed

    profile = load_profile(_county(tmp_path))
    parted = distributed.assess_distributed(profile, workers=1, processes=False).villages
    columns = ["housing_households", "housing_unsafe_households", "housing_verdict", "housing_reason"]
    pd.testing.assert_frame_equal(pd.DataFrame(parted[columns]), pd.DataFrame(result.villages[columns]))
    assert list(parted.columns) == list(result.villages.columns)


def test_check_reports_the_ledger_s_problems_together(tmp_path):
    """covermap check: an unknown village code and a bad grade, each once, with its fix."""
    from click.testing import CliRunner

    from cli import main

    path = _county(tmp_path, ledger={0: [("A", "")], 1: [("X", "")]})
    table = pd.read_csv(tmp_path / "housing.csv", dtype=str)
    table.loc[len(table)] = ["520113009999", "C", "未改造", "户主"]
    table.to_csv(tmp_path / "housing.csv", index=False)
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 row names a village code that is not among the villages (520113009999)" in result.output
    assert "column '鉴定等级': 1 cell is not an appraisal grade" in result.output
    assert "Traceback" not in result.output


def test_a_ledger_of_points_counts_each_household_in_its_village(result, tmp_path):
    """Households as points (no code mapped): each counted for the village it lies in, the
    same answers as the ledger by code; a point in no village reported; no point kept."""
    from tests.plugin_county import away

    write_villages(tmp_path, N)
    rows = [(grade, status, *away(k, 100.0 + 10 * i, 45.0)) for k, households in LEDGER.items()
            for i, (grade, status) in enumerate(households)]
    rows.append(("D", "未改造", *away(0, 20_000.0, 90.0)))   # between villages: in none
    pd.DataFrame(rows, columns=["鉴定等级", "改造情况", "lon", "lat"]).to_csv(tmp_path / "housing.csv", index=False)
    points = HOUSING.replace('path = "housing.csv"\n', 'path = "housing.csv"\nx = "lon"\ny = "lat"\n'
                             'assume_crs = "EPSG:4490"\n').replace('code = "村代码"\n', "")
    found = assess(load_profile(write_profile(tmp_path, points)))
    columns = ["housing_households", "housing_unsafe_households", "housing_verdict", "housing_reason"]
    pd.testing.assert_frame_equal(pd.DataFrame(found.villages[columns]), pd.DataFrame(result.villages[columns]))
    assert any("1 point lies in no village" in str(f) for f in found.inputs.findings)
    assert "geometry" not in found.inputs.extra["housing"]


def test_a_ledger_table_without_codes_or_points_names_the_fix(tmp_path):
    path = _county(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('code = "村代码"\n', ""), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape("[housing] needs each row's village: map code")):
        load_profile(path)


def test_shuffling_the_ledger_changes_nothing(result, tmp_path):
    path = _county(tmp_path)
    table = pd.read_csv(tmp_path / "housing.csv", dtype=str, keep_default_na=False)
    table.sample(frac=1.0, random_state=7).to_csv(tmp_path / "housing.csv", index=False)
    columns = [c for c in result.villages.columns if c.startswith("housing_")]
    pd.testing.assert_frame_equal(pd.DataFrame(assess(load_profile(path)).villages[columns]),
                                  pd.DataFrame(result.villages[columns]))
