"""The bureaus' filled-in problem list read back (issue 20): every status against known
verdicts, dates as clerks type them, rows re-sorted and filtered, hand-added columns carried
forward, and each kind of broken ledger refused with its sheet, row and column named."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from gis.errors import DataError
from layers import ledger as ledgers
from layers import review as reviews
from layers.sample import profile_path
from layers.sample.ledger import LATER_STANDARDS

TEXT = {"village_code": str, "township_code": str}
AS_OF = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def period(tmp_path_factory) -> Path:
    """The sample county run once (as of 2026-11-30): its outputs, the workbook to fill in."""
    folder = tmp_path_factory.mktemp("ledger")
    profile = folder / "profile.toml"
    text = profile_path().read_text(encoding="utf-8")
    sample = profile_path().parent
    text = text.replace('path = "', f'path = "{sample}/')   # the sample's files from the copy's folder
    text = re.sub(r"(?m)^as_of = .*\n", "", text).replace("[project]\n", "[project]\nas_of = 2026-11-30\n", 1)
    profile.write_text(text, encoding="utf-8")
    out = folder / "run"
    result = CliRunner().invoke(main, ["-q", "run", str(profile), "-o", str(out), "--no-maps"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def villages(period) -> pd.DataFrame:
    return pd.read_csv(period / "villages.csv", dtype=TEXT)


def _fill(period: Path, target: Path, edit, name: str = "问题清单.xlsx") -> Path:
    book = load_workbook(period / name)
    edit(book)
    book.save(target)
    return target


def _columns(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[2] if cell.value}


def _row_of(sheet, code: str, problem: str | None = None) -> int:
    columns = _columns(sheet)
    code_at, problem_at = (columns["村代码"], columns["问题"]) if "村代码" in columns else \
        (columns["Village code"], columns["Problem"])
    for r in range(3, sheet.max_row + 1):
        if sheet.cell(r, code_at).value == code and \
                (problem is None or sheet.cell(r, problem_at).value.startswith(problem)):
            return r
    raise AssertionError(f"{code} not on {sheet.title}")


def _first_of(villages: pd.DataFrame, standard: str, verdict: str, skip: int = 0) -> str:
    return villages.loc[villages[f"{standard}_verdict"] == verdict, "village_code"].iloc[skip]


# -- every status ------------------------------------------------------------------------------


def test_each_status_against_the_run(period, villages, tmp_path):
    failing = villages.loc[villages["clinic_verdict"] == "fails", "village_code"].tolist()
    meets = _first_of(villages, "clinic", "meets")
    meets_too = _first_of(villages, "clinic", "meets", 1)
    no_data = _first_of(villages, "clinic", "no_data")

    def edit(book):
        sheet = book["卫生健康局"]
        c = _columns(sheet)
        rows = [_row_of(sheet, code) for code in failing[:5]]
        sheet.cell(rows[0], c["实际完成时间"], dt.date(2026, 6, 30))         # claimed fixed, still fails
        sheet.cell(rows[0], c["整改措施"], "新建村卫生室")
        sheet.cell(rows[1], c["计划完成时间"], "2026年10月31日")            # passed on 2026-11-30
        sheet.cell(rows[1], c["整改措施"], "改造卫生室")
        sheet.cell(rows[2], c["计划完成时间"], "2027/3/31")                  # not yet due
        sheet.cell(rows[2], c["整改措施"], "选址中")
        sheet.cell(rows[3], c["首次列入"], dt.date(2026, 9, 1))              # 90 days, no measure
        sheet.cell(rows[4], c["首次列入"], dt.date(2026, 11, 10))            # 20 days, no measure: in time
        sheet.cell(rows[4], c["整改措施"], "—")                               # a dash is no measure
        # rows whose problem is gone: moved onto villages that meet now, or have no data
        for r, code, done in ((6, meets, dt.date(2026, 8, 1)), (7, meets_too, None), (8, no_data, "2026.8.1")):
            row = sheet.max_row + 1
            sheet.cell(row, c["村代码"], code)
            sheet.cell(row, c["问题"], "村卫生室")
            sheet.cell(row, c["实际完成时间"], done)
        row = sheet.max_row + 1
        sheet.cell(row, c["村代码"], "522326999999")
        sheet.cell(row, c["问题"], "村卫生室")

    ledger = ledgers.read_ledger(_fill(period, tmp_path / "filled.xlsx", edit))
    reviewed = reviews.review(ledger, villages, AS_OF, 30).set_index(["village_code", "standard"])
    status = reviewed["status"]
    assert status[(failing[0], "clinic")] == "false_closure"
    assert status[(failing[1], "clinic")] == "overdue"
    assert status[(failing[2], "clinic")] == "in_progress"
    assert status[(failing[3], "clinic")] == "no_measure"
    assert reviewed.loc[(failing[3], "clinic"), "days_listed"] == 90
    assert status[(failing[4], "clinic")] == "in_progress"
    assert status[(meets, "clinic")] == "verified_closed"
    assert status[(meets_too, "clinic")] == "closed_unrecorded"
    assert status[(no_data, "clinic")] == "unverifiable"
    assert status[("522326999999", "clinic")] == "unknown_village"
    assert reviewed.loc[(failing[0], "clinic"), "completed_date"] == dt.date(2026, 6, 30)
    assert reviewed.loc[(failing[1], "clinic"), "planned_date"] == dt.date(2026, 10, 31)
    assert reviewed.loc[(no_data, "clinic"), "completed_date"] == dt.date(2026, 8, 1)
    # the rows nobody touched are listed on the workbook's date: 0 days, in progress
    untouched = reviewed.loc[(failing[5], "clinic")]
    assert untouched["status"] == "in_progress" and untouched["first_listed"] == AS_OF
    assert len(reviewed) == len(pd.read_csv(period / "gaps.csv")) + 4
    # the value and reason are this run's
    gaps = pd.read_csv(period / "gaps.csv", dtype=TEXT).set_index(["village_code", "standard"])
    assert reviewed.loc[(failing[0], "clinic"), "reason"] == gaps.loc[(failing[0], "clinic"), "reason"]
    # a longer allowance: the 90-day row is in time
    assert reviews.review(ledger, villages, AS_OF, 120).set_index(["village_code", "standard"]) \
        .loc[(failing[3], "clinic"), "status"] == "in_progress"


@pytest.mark.parametrize("typed, expected", [
    ("2026-03-31", dt.date(2026, 3, 31)), ("2026/3/31", dt.date(2026, 3, 31)), ("2026.3.31", dt.date(2026, 3, 31)),
    ("2026年3月31日", dt.date(2026, 3, 31)), (" 2026 年 3 月 31 日 ", dt.date(2026, 3, 31)),
    ("20260331", dt.date(2026, 3, 31)), (20260331, dt.date(2026, 3, 31)),
    (46112, dt.date(2026, 3, 31)),   # Excel's serial day, a date cell shown as a number
    (dt.datetime(2026, 3, 31, 0, 0), dt.date(2026, 3, 31)), ("2026-03-31 00:00:00", dt.date(2026, 3, 31)),
    ("", None), ("无", None),
])
def test_dates_as_typed(typed, expected):
    assert ledgers._date(typed, lambda: "here", "计划完成时间") == expected


@pytest.mark.parametrize("typed", ["明年三月", "2026-02-30", "31/3/2026", "3月底"])
def test_a_date_that_is_not_one_is_refused(typed):
    with pytest.raises(DataError, match="计划完成时间 .* is not a date; write it as 2027-06-30"):
        ledgers._date(typed, lambda: "here", "计划完成时间")


def test_resorted_filtered_renamed_and_codes_as_numbers(period, villages, tmp_path):
    """Clerks re-sort a sheet, filter it (rows hidden), rename it, type codes that Excel
    stores as numbers, add their own column: every row is still read, by its header."""
    gaps = pd.read_csv(period / "gaps.csv", dtype=TEXT)
    water = gaps[gaps["standard"] == "water"]

    def edit(book):
        sheet = book["水利局"]
        c = _columns(sheet)
        n = sheet.max_row
        rows = [[sheet.cell(r, k).value for k in range(1, sheet.max_column + 1)] for r in range(3, n + 1)]
        rows.reverse()
        for r, values in enumerate(rows, 3):
            for k, value in enumerate(values, 1):
                sheet.cell(r, k, value)
        for r in range(3, n + 1, 2):
            sheet.row_dimensions[r].hidden = True
        sheet.cell(3, c["村代码"], int(sheet.cell(3, c["村代码"]).value))   # a number, as Excel stores it
        sheet.cell(2, sheet.max_column + 1, "联系人")
        sheet.cell(4, sheet.max_column, "张三 13800000000")
        sheet.cell(4, c["责任单位"], "望谟县水务局")
        sheet.title = "水务"

    ledger = ledgers.read_ledger(_fill(period, tmp_path / "sorted.xlsx", edit))
    water_rows = ledger.entries[ledger.entries["standard"] == "water"]
    assert sorted(water_rows["village_code"]) == sorted(water["village_code"])
    assert ledger.extra == ["联系人"]
    contact = ledger.entries.loc[ledger.entries["联系人"].notna()]
    assert len(contact) == 1 and contact.iloc[0]["responsible_unit"] == "望谟县水务局"
    assert contact.iloc[0]["sheet"] == "水务" and contact.iloc[0]["row"] == 4


def test_the_run_carries_the_entries_forward_and_writes_the_review(period, villages, tmp_path):
    """covermap run --ledger: the bureaus' entries under the same problems of the new
    workbook, their own column too, 整改核查 and ledger.csv, the findings warned of."""
    failing = villages.loc[villages["road_verdict"] == "fails", "village_code"].tolist()

    def edit(book):
        sheet = book["交通运输局"]
        c = _columns(sheet)
        first, second = _row_of(sheet, failing[0]), _row_of(sheet, failing[1])
        sheet.cell(first, c["责任单位"], "望谟县交通运输局")
        sheet.cell(first, c["整改措施"], "硬化通村路 1.2 公里")
        sheet.cell(first, c["实际完成时间"], dt.date(2026, 9, 30))
        sheet.cell(first, c["首次列入"], dt.date(2025, 12, 31))
        sheet.cell(second, c["计划完成时间"], "2026年6月30日")
        sheet.cell(second, c["整改措施"], "列入年度计划")
        sheet.cell(2, sheet.max_column + 1, "联系人")
        sheet.cell(second, sheet.max_column, "李四")

    filled = _fill(period, tmp_path / "filled.xlsx", edit)
    profile = next(period.parent.glob("profile.toml"))
    out = tmp_path / "next"
    result = CliRunner().invoke(main, ["run", str(profile), "-o", str(out), "--no-maps", "--ledger", str(filled)])
    assert result.exit_code == 0, result.output
    assert "账实不符" in result.output and "逾期" in result.output
    assert "台账核查" in result.output
    book = load_workbook(out / "问题清单.xlsx")
    sheet = book["交通运输局"]
    c = _columns(sheet)
    assert list(c)[-1] == "联系人"
    row = _row_of(sheet, failing[0])
    assert sheet.cell(row, c["整改措施"]).value == "硬化通村路 1.2 公里"
    assert sheet.cell(row, c["实际完成时间"]).value == dt.datetime(2026, 9, 30)
    assert sheet.cell(row, c["实际完成时间"]).number_format == "yyyy-mm-dd"
    assert sheet.cell(row, c["首次列入"]).value == dt.datetime(2025, 12, 31)   # carried, not today's
    other = _row_of(sheet, failing[1])
    assert sheet.cell(other, c["联系人"]).value == "李四"
    assert sheet.cell(other, c["计划完成时间"]).value == dt.datetime(2026, 6, 30)
    review = book["整改核查"]
    rc = _columns(review)
    statuses = [review.cell(r, rc["核查结果"]).value for r in range(3, review.max_row + 1)]
    assert statuses[:2] == ["账实不符", "逾期"]   # what needs action first
    table = pd.read_csv(out / "ledger.csv", dtype=TEXT)
    found = table.set_index(["village_code", "standard"])
    assert found.loc[(failing[0], "road"), "status"] == "false_closure"
    assert found.loc[(failing[0], "road"), "completed_date"] == "2026-09-30"
    assert found.loc[(failing[1], "road"), "status"] == "overdue"
    assert found.loc[(failing[1], "road"), "联系人"] == "李四"
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["ledger"]["statuses"]["false_closure"] == 1 and record["ledger"]["statuses"]["overdue"] == 1
    assert "ledger.csv" in record["outputs"]
    # read again next period, the carried workbook gives the same entries
    again = ledgers.read_ledger(out / "问题清单.xlsx").entries.set_index(["village_code", "standard"])
    assert again.loc[(failing[0], "road"), "measure"] == "硬化通村路 1.2 公里"
    assert again.loc[(failing[0], "road"), "first_listed"] == dt.date(2025, 12, 31)


# -- broken ledgers --------------------------------------------------------------------------


def _refused(period: Path, tmp_path: Path, edit, *expected: str) -> str:
    filled = _fill(period, tmp_path / "broken.xlsx", edit)
    profile = next(period.parent.glob("profile.toml"))
    result = CliRunner().invoke(main, ["run", str(profile), "-o", str(tmp_path / "out"), "--no-maps",
                                       "--ledger", str(filled)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    message = result.output.strip().splitlines()[-1]
    for text in expected:
        assert text in message, message
    assert not (tmp_path / "out").exists()   # refused before any work is written
    return message


# one cell as a clerk sets it: sheet, row (None: a new row below the others), column header, value
ONE_CELL = [
    (("水利局", 2, "实际完成时间", "完成时间"), ("sheet 水利局", "row 2", "实际完成时间", "restore the header")),
    (("交通运输局", 4, "计划完成时间", "明年三月"),
     ("sheet 交通运输局, row 4, column O", "计划完成时间 '明年三月' is not a date")),
    (("通信管理", 3, "村代码", "5.22326E+11"), ("sheet 通信管理, row 3, column D", "format the column as text")),
    (("通信管理", None, "整改措施", "补建基站"), ("sheet 通信管理", "has no 村代码")),
    (("通信管理", 3, "问题", "宽带"), ("sheet 通信管理, row 3, column E", "'宽带' is not a standard")),
]


@pytest.mark.parametrize("cell, expected", ONE_CELL)
def test_one_cell_a_ledger_cannot_be_read_by_is_named(period, tmp_path, cell, expected):
    title, row, header, value = cell

    def edit(book):
        sheet = book[title]
        sheet.cell(row or sheet.max_row + 1, _columns(sheet)[header], value)
    _refused(period, tmp_path, edit, *expected)


def test_merged_cells_are_refused(period, tmp_path):
    def edit(book):
        sheet = book["卫生健康局"]
        c = _columns(sheet)["责任单位"]
        sheet.merge_cells(start_row=3, start_column=c, end_row=5, end_column=c)
    _refused(period, tmp_path, edit, "sheet 卫生健康局", "cells M3:M5 are merged", "unmerge")


def test_a_problem_listed_twice_is_refused(period, tmp_path):
    def edit(book):
        sheet = book["通信管理"]
        row = sheet.max_row + 1
        for k in range(1, sheet.max_column + 1):
            sheet.cell(row, k, sheet.cell(3, k).value)
    _refused(period, tmp_path, edit, "sheet 通信管理", "again", "keep one row per problem")


def test_files_that_are_no_ledger(period, tmp_path):
    profile = next(period.parent.glob("profile.toml"))
    cases = {
        tmp_path / "missing.xlsx": "no such file",
        tmp_path / "plain.xlsx": "cannot be read as an Excel workbook",
        tmp_path / "empty": "holds no .xlsx workbook",
        tmp_path / "ledger.csv": "is not an .xlsx workbook",
        period / "问题清单.xlsx": None,   # read fine: the control
    }
    (tmp_path / "plain.xlsx").write_text("not a zip", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    (tmp_path / "ledger.csv").write_text("a,b\n", encoding="utf-8")
    for path, expected in cases.items():
        result = CliRunner().invoke(main, ["run", str(profile), "-o", str(tmp_path / "out"), "--no-maps",
                                           "--ledger", str(path), "--overwrite"])
        if expected is None:
            assert result.exit_code == 0, result.output
            continue
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert expected in result.output and str(path) in result.output
    summary_only = tmp_path / "summary.xlsx"
    shutil.copy(period / "问题清单.xlsx", summary_only)
    book = load_workbook(summary_only)
    for title in ("交通运输局", "水利局", "卫生健康局", "通信管理"):
        del book[title]
    book.save(summary_only)
    with pytest.raises(DataError, match="has no bureau sheet"):
        ledgers.read_ledger(summary_only)


def test_profile_ledger_table_and_english(period, villages, tmp_path):
    """[ledger] path and max_days_without_measure in the profile; headers in English read too."""
    profile = next(period.parent.glob("profile.toml"))
    en = tmp_path / "en"
    result = CliRunner().invoke(main, ["-q", "run", str(profile), "-o", str(en), "--no-maps", "--lang", "en"])
    assert result.exit_code == 0, result.output
    failing = _first_of(villages, "fibre", "fails")

    def edit(book):
        sheet = book["Telecom"]
        c = _columns(sheet)
        r = _row_of(sheet, failing, "Fibre")
        sheet.cell(r, c["First listed"], dt.date(2026, 10, 1))
    filled = _fill(en, tmp_path / "filled-en.xlsx", edit, "problem_list.xlsx")
    text = profile.read_text(encoding="utf-8") + f'\n[ledger]\npath = "{filled}"\nmax_days_without_measure = 45\n'
    own = tmp_path / "with-ledger.toml"
    own.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(own), "-o", str(out), "--no-maps", "--lang", "en"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "ledger.csv", dtype=TEXT).set_index(["village_code", "standard"])
    assert table.loc[(failing, "fibre"), "status"] == "no_measure"   # 60 days > 45
    assert table.loc[(failing, "fibre"), "status_text"] == "no corrective measure"
    assert "ledger review" in result.output


def test_merged_villages_are_read_under_their_new_code(tmp_path):
    """[ledger] codes: the sample's 2026 merge (双坝村 + 山平村 -> 双山村 522326102215); the
    ledger's rows for the old codes are reviewed under the new one, and their entries merged."""
    from layers.sample import SAMPLE_DIR

    book = load_workbook(SAMPLE_DIR / "ledger_2025.xlsx")
    sheet = book["水利局"]
    c = _columns(sheet)
    for code, measure, done in (("522326102211", "并入平洞供水工程", dt.date(2026, 6, 1)),
                                ("522326102212", "管网延伸", dt.date(2026, 7, 1))):
        row = sheet.max_row + 1
        sheet.cell(row, c["村代码"], code)
        sheet.cell(row, c["问题"], "饮水安全（基本达标）")
        sheet.cell(row, c["整改措施"], measure)
        sheet.cell(row, c["实际完成时间"], done)
    filled = tmp_path / "ledger.xlsx"
    book.save(filled)
    profile = tmp_path / "2026.toml"
    text = (SAMPLE_DIR / "2026" / "profile.toml").read_text(encoding="utf-8")
    text = re.sub(r'path = "([^"]+)"', lambda m: f'path = "{(SAMPLE_DIR / "2026" / m.group(1)).resolve().as_posix()}"',
                  text)
    codes = (SAMPLE_DIR / "2026" / "code_changes.csv").as_posix()
    profile.write_text(text + f'\n[ledger]\npath = "{filled.as_posix()}"\ncodes = "{codes}"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", "run", str(profile), "-o", str(out), "--no-maps"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "ledger.csv", dtype={"village_code": str, "ledger_code": str})
    merged = table[(table["village_code"] == "522326102215") & (table["standard"] == "water")]
    assert sorted(merged["ledger_code"]) == ["522326102211", "522326102212"]
    assert set(merged["status"]) == {"verified_closed"}   # the merged village's water meets in 2026
    assert "unknown_village" not in set(table["status"])
    # two entries under one problem: carried forward as one
    keyed = pd.DataFrame({"village_code": ["X", "X"], "standard": ["water", "water"], "measure": ["甲", "乙"],
                          "responsible_unit": ["局", "局"], "planned_date": [dt.date(2026, 5, 1), dt.date(2026, 3, 1)],
                          "completed_date": [dt.date(2026, 6, 1), None], "notes": [None, None],
                          "first_listed": [dt.date(2025, 1, 1), dt.date(2024, 1, 1)]}).set_index(["village_code",
                                                                                                  "standard"])
    one = reviews._merged(keyed).iloc[0]
    assert one["measure"] == "甲；乙" and one["responsible_unit"] == "局"
    assert one["planned_date"] == dt.date(2026, 3, 1) and one["first_listed"] == dt.date(2024, 1, 1)
    assert one["completed_date"] is None   # one of the two is not done


def test_check_reads_the_ledger_the_profile_names(period, tmp_path):
    def edit(book):
        sheet = book["交通运输局"]
        sheet.cell(4, _columns(sheet)["计划完成时间"], "明年三月")
    filled = _fill(period, tmp_path / "broken.xlsx", edit)
    profile = next(period.parent.glob("profile.toml"))
    own = tmp_path / "p.toml"
    own.write_text(profile.read_text(encoding="utf-8") + f'\n[ledger]\npath = "{filled.as_posix()}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(own)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "sheet 交通运输局, row 4, column O" in result.output and "is not a date" in result.output
    assert result.output.strip().splitlines()[-1].endswith("1 errors, 1 warnings")


def test_a_ledger_saved_by_another_program_reads_the_same():
    """The sample's filled-in ledger opened and saved again by LibreOffice Calc 7 (as a clerk
    on WPS or LibreOffice would; shared strings, its own styles and date formats):
    tests/data/ledger_2025_libreoffice.xlsx gives the same entries as the original."""
    from layers.sample import SAMPLE_DIR

    columns = ["village_code", "standard", "bureau", *ledgers.FILL_IN, "first_listed", "sheet", "row"]
    original = ledgers.read_ledger(SAMPLE_DIR / "ledger_2025.xlsx").entries[columns]
    saved = ledgers.read_ledger(Path(__file__).parent / "data" / "ledger_2025_libreoffice.xlsx").entries[columns]
    # the LibreOffice copy was saved before 通客车 and 通邮 joined the sample (their rows filled last,
    # every other cell as it was): the rows of the others
    original = original[~original["standard"].isin(LATER_STANDARDS)]
    # period 1's whole workbook: the five standards' 86, school 26, housing 22, power 16, time to care 4
    assert len(original) == 154
    key = ["village_code", "standard"]
    pd.testing.assert_frame_equal(original.sort_values(key, ignore_index=True), saved.sort_values(key, ignore_index=True))


def test_the_sample_ledger_saved_by_libreoffice_gives_each_designed_finding(tmp_path):
    """Period 2 (2026/profile_all.toml) read with the LibreOffice-saved sample ledger: every
    row of layers/sample/ledger_cases.json has its status (账实不符, 逾期, 未填整改措施,
    已核实销号), the optional standards' sheets (教育局, 住建局, 供电公司) among them."""
    from layers.sample import SAMPLE_DIR

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", "run", str(SAMPLE_DIR / "2026" / "profile_all.toml"), "-o", str(out),
                                       "--no-maps", "--ledger",
                                       str(Path(__file__).parent / "data" / "ledger_2025_libreoffice.xlsx")])
    assert result.exit_code == 0, result.output
    assert "台账核查（154 条）：账实不符 10、逾期 14、未填整改措施 9、整改中 96、已核实销号 25" in result.output
    found = pd.read_csv(out / "ledger.csv", dtype=TEXT).set_index(["village_code", "standard"])["status"]
    cases = json.loads((SAMPLE_DIR / "ledger_cases.json").read_text(encoding="utf-8"))
    cases = [c for c in cases if c["standard"] not in LATER_STANDARDS]   # the copy predates their rows
    assert {c["bureau"] for c in cases} == {"transport", "water", "health", "telecom", "education", "housing", "power"}
    for case in cases:
        assert found[(case["village_code"], case["standard"])] == case["finding"], case
