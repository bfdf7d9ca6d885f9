"""The problem list workbook (问题清单.xlsx), read back with openpyxl: its sheets, headers,
cell types, order and counts against gaps.csv, no_data.csv and townships.csv, for the
bundled demo (zh and en, with and without maps) and for a run over several counties (one
workbook per county and a summary at the top)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import cli
from benchmarks.make_country import make_country
from layers import workbook
from layers.pipeline import assess
from layers.profile import load_profile
from layers.sample import profile_path
from layers.workbook import FILL_IN_COLUMNS, Tables, write_workbooks

DIVISIONS = Path(__file__).parent / "data" / "divisions"
LISTED_ZH = ["序号", "乡镇", "行政村", "村代码", "问题", "现状值", "标准要求", "原因", "脱贫人口", "人口", "优先级",
             "首次列入"]
FILL_ZH = ["责任单位", "整改措施", "计划完成时间", "实际完成时间", "备注"]
BUREAUS_ZH = {"transport": "交通运输局", "water": "水利局", "health": "卫生健康局", "telecom": "通信管理"}
# the demo runs the optional standards too (profile_all.toml): their bureaus' sheets follow the four
OPTIONAL_ZH = {"education": "教育局", "housing": "住建局", "power": "供电公司", "postal": "邮政管理局"}
TEXT = {"village_code": str, "township_code": str}


def _run(*args: str) -> None:
    outcome = CliRunner().invoke(cli.main, ["-qq", *args], catch_exceptions=False)
    assert outcome.exit_code == 0, outcome.output


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wb") / "demo"
    _run("demo", str(out))
    return out / "2025"


def _data(sheet) -> list[tuple]:
    """The rows below the caption and header, up to the first empty one."""
    rows = []
    for row in sheet.iter_rows(min_row=3, values_only=True):
        if all(value is None for value in row):
            break
        rows.append(row)
    return rows


def _header(sheet) -> list:
    return [cell.value for cell in sheet[2]]


def test_demo_writes_the_workbook_and_lists_it(demo):
    record = json.loads((demo / "run.json").read_text(encoding="utf-8"))
    assert "问题清单.xlsx" in record["outputs"]
    assert record["seconds"]["write workbook"] >= 0
    book = load_workbook(demo / "问题清单.xlsx")
    assert book.sheetnames == ["汇总", *BUREAUS_ZH.values(), *OPTIONAL_ZH.values(), "无数据", "账实不符"]


def test_bureau_sheets_are_the_gap_list_in_priority_order(demo):
    gaps = pd.read_csv(demo / "gaps.csv", dtype=TEXT)
    book = load_workbook(demo / "问题清单.xlsx")
    as_of = json.loads((demo / "run.json").read_text(encoding="utf-8"))["as_of"]
    seen = 0
    for bureau, title in {**BUREAUS_ZH, **OPTIONAL_ZH}.items():
        sheet = book[title]
        assert _header(sheet) == LISTED_ZH + FILL_ZH
        expected = gaps[gaps["bureau"] == bureau].reset_index(drop=True)
        rows = _data(sheet)
        assert len(rows) == len(expected) > 0
        seen += len(rows)
        assert [row[0] for row in rows] == list(range(1, len(rows) + 1))            # 序号
        assert [row[3] for row in rows] == expected["village_code"].tolist()        # 村代码, as text
        assert [row[10] for row in rows] == expected["priority"].tolist()           # 优先级
        assert [row[7] for row in rows] == expected["reason"].tolist()              # 原因 as in gaps.csv
        assert [row[1] for row in rows] == expected["township_name"].tolist()
        assert [row[8] for row in rows] == [int(v) for v in expected["poor_population"]]
        assert all(type(row[8]) is int and type(row[9]) is int for row in rows)   # populations whole numbers
        # 首次列入: without a ledger read back every problem is listed on the run's as_of date
        assert {row[11].date().isoformat() for row in rows} == {as_of}
        assert all(value is None for row in rows for value in row[12:])         # left for the bureau
    assert seen == len(gaps)


def test_cells_are_typed_for_excel(demo):
    gaps = pd.read_csv(demo / "gaps.csv", dtype=TEXT)
    book = load_workbook(demo / "问题清单.xlsx")
    for title in BUREAUS_ZH.values():
        for row in book[title].iter_rows(min_row=3, max_row=book[title].max_row):
            code, value, priority = row[3], row[5], row[10]
            assert code.data_type == "s" and len(code.value) == 12   # never 5.22326E+11
            assert priority.data_type == "n"
            if value.value is not None:
                assert value.data_type == "n"
    # distances whole metres shown with 米, shares as percentages with one decimal
    road = next(book["交通运输局"].iter_rows(min_row=3, max_row=3))
    expected = gaps[gaps["standard"] == "road"].iloc[0]
    assert road[5].value == round(expected["value"]) and isinstance(road[5].value, int)
    assert road[5].number_format == '#,##0" 米"'
    assert road[4].value == "硬化路"
    assert road[6].value == "≤ 500 米，路宽 ≥ 4.5 米"   # the sample profile's max_distance_m and min_width_m
    telecom = book["通信管理"]
    shares = [row for row in telecom.iter_rows(min_row=3, max_row=telecom.max_row) if row[4].value == "4G覆盖"]
    net4g = gaps[gaps["standard"] == "net4g"]["value"].tolist()
    assert [row[5].value for row in shares] == [round(v, 3) for v in net4g]
    assert all(row[5].number_format == "0.0%" and row[6].value == "≥ 90%" for row in shares)
    fibre = [row for row in telecom.iter_rows(min_row=3, max_row=telecom.max_row) if row[4].value == "光纤宽带"]
    assert fibre and all(row[6].value == "≤ 1,000 米" for row in fibre)


def test_fill_in_columns_are_the_contract_and_dates_are_validated(demo):
    assert [fill.zh for fill in FILL_IN_COLUMNS] == FILL_ZH
    book = load_workbook(demo / "问题清单.xlsx")
    for title in BUREAUS_ZH.values():
        sheet = book[title]
        header = _header(sheet)
        dates = [header.index("计划完成时间") + 1, header.index("实际完成时间") + 1]
        letters = [sheet.cell(2, k).column_letter for k in dates]
        validations = sheet.data_validations.dataValidation
        assert sorted(str(v.sqref) for v in validations) == [f"{x}3:{x}1048576" for x in letters]
        assert all(v.type == "date" and v.showErrorMessage for v in validations)
        assert [sheet.column_dimensions[x].number_format for x in letters] == ["yyyy-mm-dd"] * 2
        assert sheet.column_dimensions[sheet.cell(2, 1).column_letter].number_format == "General"


def test_sheets_are_set_up_for_a_clerk(demo):
    book = load_workbook(demo / "问题清单.xlsx")
    today = dt.date.today().isoformat()
    for sheet in book:
        rows = _data(sheet)
        n = len(rows) - (1 if rows and rows[-1][0] == "合计" else 0)   # the filter leaves the total out
        last = sheet.cell(2, sheet.max_column).column_letter
        assert sheet.freeze_panes == "A3"
        assert sheet.auto_filter.ref == f"A2:{last}{n + 2}"
        assert sheet.print_title_rows == "$1:$2"
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        caption = sheet["A1"].value
        assert "profile_all.toml" in caption and "villages.gpkg" in caption and f"{today} 生成" in caption
    # widths fitted to Chinese text: a CJK character counts two
    sheet = book["交通运输局"]
    names = [row[2] for row in _data(sheet)]
    assert sheet.column_dimensions["C"].width >= 2 * max(map(len, names))
    assert sheet.column_dimensions["D"].width >= 12   # 12-digit codes


def test_summary_counts_per_township_with_a_total(demo):
    townships = pd.read_csv(demo / "townships.csv", dtype=TEXT)
    villages = pd.read_csv(demo / "villages.csv", dtype=TEXT)
    sheet = load_workbook(demo / "问题清单.xlsx")["汇总"]
    header = _header(sheet)
    assert header[:4] == ["乡镇代码", "乡镇", "行政村数", "至少一项不达标的村"]
    rows = _data(sheet)
    assert [row[0] for row in rows[:-1]] == townships["township_code"].tolist()
    assert [row[2] for row in rows[:-1]] == townships["villages"].tolist()
    assert [row[5] for row in rows[:-1]] == townships["water_fails"].tolist()
    total = rows[-1]
    assert total[0] == "合计" and total[1] is None
    assert total[2] == len(villages)
    assert total[3] == int((villages["gap_count"] > 0).sum())
    assert list(total[4:]) == [int((villages[f"{key}_verdict"] == "fails").sum())
                               for key in ("road", "water", "clinic", "net4g", "fibre", "school", "housing",
                                           "electricity", "care", "bus", "post")]


def test_no_data_and_consistency_sheets(demo):
    no_data = pd.read_csv(demo / "no_data.csv", dtype=TEXT)
    book = load_workbook(demo / "问题清单.xlsx")
    rows = _data(book["无数据"])
    assert _header(book["无数据"]) == ["序号", "乡镇", "行政村", "村代码", "问题", "部门", "原因"]
    assert [row[3] for row in rows] == no_data["village_code"].tolist()
    assert [row[6] for row in rows] == no_data["reason"].tolist()
    assert {row[5] for row in rows} <= {*BUREAUS_ZH.values(), "教育局", "住房和城乡建设局", "供电公司", "邮政管理局"}
    assert _data(book["账实不符"]) == []   # the sample maps no ledger columns
    assert _header(book["账实不符"])[4:] == ["部门", "核对项", "台账记载", "地图所示", "台账文件"]


def test_chinese_workbook_holds_no_english(demo):
    book = load_workbook(demo / "问题清单.xlsx")
    english = {value for sheet in book for row in sheet.iter_rows(min_row=2, values_only=True) for value in row
               if isinstance(value, str) and re.search(r"[A-Za-z]{2,}", value)}
    assert english == set()


def test_english_workbook(tmp_path):
    out = tmp_path / "en"
    _run("demo", str(out), "--lang", "en")
    out = out / "2025"
    assert not (out / "问题清单.xlsx").exists()
    book = load_workbook(out / "problem_list.xlsx")
    assert book.sheetnames == ["Summary", "Transport", "Water", "Health", "Telecom", "Education", "Housing", "Power",
                               "Post", "No data", "Ledger mismatches"]
    header = _header(book["Transport"])
    assert header[-5:] == [fill.en for fill in FILL_IN_COLUMNS]
    assert header[3] == "Village code"
    first = next(book["Transport"].iter_rows(min_row=3, max_row=3))
    assert first[5].number_format == '#,##0" m"' and first[6].value == "≤ 500 m, road width ≥ 4.5 m"
    assert first[4].value == "Hardened road" and "hardened road" in first[7].value   # the reason in English too
    assert "problem_list.xlsx" in json.loads((out / "run.json").read_text(encoding="utf-8"))["outputs"]


def test_run_without_maps_writes_the_workbook(tmp_path):
    out = tmp_path / "tables"
    _run("run", str(profile_path()), "-o", str(out), "--no-maps")
    assert (out / "问题清单.xlsx").is_file() and not (out / "map.html").exists()
    gaps = pd.read_csv(out / "gaps.csv", dtype=TEXT)
    book = load_workbook(out / "问题清单.xlsx")
    assert sum(len(_data(book[title])) for title in BUREAUS_ZH.values()) == len(gaps)


@pytest.fixture(scope="module")
def counties(tmp_path_factory) -> Path:
    """600 villages of several counties (benchmarks/make_country.py), run without maps."""
    folder = tmp_path_factory.mktemp("counties")
    make_country(folder / "in", 600, seed=5, divisions=DIVISIONS)
    _run("run", str(folder / "in" / "profile.toml"), "-o", str(folder / "out"), "--no-maps")
    return folder / "out"


def test_several_counties_one_workbook_each_and_a_summary(counties):
    villages = pd.read_csv(counties / "villages.csv", dtype=TEXT)
    gaps = pd.read_csv(counties / "gaps.csv", dtype=TEXT)
    codes = sorted(villages["village_code"].str[:6].unique())
    assert len(codes) > 1
    record = json.loads((counties / "run.json").read_text(encoding="utf-8"))
    assert record["outputs"].count("counties") == 1 and "问题清单.xlsx" in record["outputs"]
    assert sorted(p.name for p in (counties / "counties").iterdir()) == [f"{c}_问题清单.xlsx" for c in codes]

    top = load_workbook(counties / "问题清单.xlsx")
    assert top.sheetnames == ["汇总", "各乡镇"]
    rows = _data(top["汇总"])
    assert [row[0] for row in rows[:-1]] == codes
    per_county = villages.groupby(villages["village_code"].str[:6]).size()
    assert [row[2] for row in rows[:-1]] == per_county.loc[codes].tolist()
    assert rows[-1][0] == "合计" and rows[-1][2] == len(villages)
    assert rows[0][-1].startswith('=HYPERLINK("counties/') and codes[0] in rows[0][-1]
    townships = _data(top["各乡镇"])
    assert len(townships) - 1 == villages["township_code"].nunique()
    assert sum(row[3] for row in townships[:-1]) == len(villages)

    total = 0
    for code in codes:
        book = load_workbook(counties / "counties" / f"{code}_问题清单.xlsx")
        summary = _data(book["汇总"])
        assert summary[-1][2] == per_county[code]
        for bureau, title in BUREAUS_ZH.items():
            expected = gaps[(gaps["bureau"] == bureau) & (gaps["village_code"].str[:6] == code)]
            got = _data(book[title])
            assert [row[3] for row in got] == expected["village_code"].tolist()
            assert [row[10] for row in got] == expected["priority"].tolist()   # the run's priority, in its order
            assert [row[0] for row in got] == list(range(1, len(got) + 1))
            assert book[title].auto_filter.ref == f"A2:Q{len(got) + 2}"
            total += len(got)
    assert total == len(gaps) > 0


def test_a_sheet_beyond_excels_rows_goes_on(monkeypatch, tmp_path):
    profile = load_profile(profile_path())
    result = assess(profile)
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", 13)   # 10 data rows a sheet
    path, = write_workbooks(tmp_path, Tables(result.villages, result.gaps, result.no_data, result.consistency,
                                             profile), "zh")
    book = load_workbook(path)
    water = [name for name in book.sheetnames if name.startswith("水利局")]
    expected = result.gaps[result.gaps["bureau"] == "water"]
    assert water == ["水利局", "水利局 (2)", "水利局 (3)"] and len(expected) == 27
    codes = [row[3] for name in water for row in _data(book[name])]
    assert codes == expected["village_code"].tolist()


def test_text_that_xml_cannot_hold_as_written(tmp_path):
    """Names with markup, ampersands, spaces at the ends and control characters."""
    profile = load_profile(profile_path())
    result = assess(profile)
    gaps = result.gaps.copy()
    gaps["village_name"] = gaps["village_name"].astype(object)
    gaps.loc[0, "village_name"] = " <b>A&B</b>\x01村 "
    path, = write_workbooks(tmp_path, Tables(result.villages, gaps, result.no_data, result.consistency, profile,
                                             made=dt.date(2027, 1, 2)), "zh")
    book = load_workbook(path)
    sheet = book[BUREAUS_ZH[gaps.loc[0, "bureau"]]]
    assert sheet["C3"].value == " <b>A&B</b>村 "
    assert "2027-01-02 生成" in sheet["A1"].value


def test_display_width_counts_cjk_twice():
    assert workbook._display_width("abc") == 3
    assert workbook._display_width("行政村") == 6
    assert workbook._display_width("4G覆盖") == 6
    assert np.all(workbook._lines([workbook.Column("", ["x" * 80, "x"], style="wrap", width=41)], 0, 2) == [3, 1])


@pytest.mark.parametrize("lang, expected", [
    ("zh", ["台账硬化路记录与地图不符", "供水工程服务名单与服务范围不符", "台账卫生室记录与地图不符", "unknown_check"]),
    ("en", ["Hardened road in the ledger vs. the map", "Water project's served list vs. its area",
            "Clinic in the ledger vs. the map", "unknown_check"])])
def test_the_consistency_sheet_names_each_check_as_its_standard_does(tmp_path, lang, expected):
    """The 核对项 words come from each standard's own module (layers/standards); a check no
    standard declares shows its key."""
    profile = load_profile(profile_path())
    result = assess(profile)
    village = result.villages.iloc[0]
    checks = ["road_recorded_hardened", "water_served_list", "clinic_recorded", "unknown_check"]
    rows = pd.DataFrame({"row": 0, "village_code": village["village_code"], "village_name": village["village_name"],
                         "township_code": village["township_code"], "township_name": village["township_name"],
                         "bureau": ["transport", "water", "health", "health"], "check": checks,
                         "ledger": "l", "map": "m", "source": "villages.gpkg"})
    path, = write_workbooks(tmp_path, Tables(result.villages, result.gaps, result.no_data, rows, profile), lang)
    sheet = load_workbook(path)["账实不符" if lang == "zh" else "Ledger mismatches"]
    assert [row[5] for row in _data(sheet)] == expected


def test_cells_written_at_once_are_those_written_one_by_one():
    # a column of one kind (numbers; text) is written at once, a mixed one cell by cell:
    # the same XML either way, escapes, controls and edge spaces included
    ids = {None: "", "wrap": ' s="3"'}
    texts = ["a & b", " lead", "trail\t", None, "x<y>z", "bell\x07", "中文"]
    numbers = [1, None, 2.5, 1e16, -0.0, 7, 3]
    rows = range(3, 3 + len(texts))
    text_xml = workbook._cells_xml("B", workbook.Column("t", texts, style="wrap"), 0, len(texts), rows, ids)
    assert text_xml == ['<c r="B3" s="3" t="inlineStr"><is><t>a &amp; b</t></is></c>',
                        '<c r="B4" s="3" t="inlineStr"><is><t xml:space="preserve"> lead</t></is></c>',
                        '<c r="B5" s="3" t="inlineStr"><is><t xml:space="preserve">trail\t</t></is></c>', "",
                        '<c r="B7" s="3" t="inlineStr"><is><t>x&lt;y&gt;z</t></is></c>',
                        '<c r="B8" s="3" t="inlineStr"><is><t>bell</t></is></c>',
                        '<c r="B9" s="3" t="inlineStr"><is><t>中文</t></is></c>']
    number_xml = workbook._cells_xml("C", workbook.Column("n", numbers), 0, len(numbers), rows, ids)
    assert number_xml == ['<c r="C3"><v>1</v></c>', "", '<c r="C5"><v>2.5</v></c>', '<c r="C6"><v>1e+16</v></c>',
                          '<c r="C7"><v>-0.0</v></c>', '<c r="C8"><v>7</v></c>', '<c r="C9"><v>3</v></c>']
    # mixed with a bool (cell by cell): each cell as in its own column
    mixed = workbook._cells_xml("D", workbook.Column("m", [*texts[:3], True, *numbers[4:]]), 0, 7, rows, ids)
    assert [m.replace('r="D', 'r="') for m in mixed[:3]] == [t.replace(' s="3"', "").replace('r="B', 'r="')
                                                            for t in text_xml[:3]]
    assert mixed[3] == '<c r="D6" t="b"><v>1</v></c>'
    assert [m.replace('r="D', 'r="') for m in mixed[4:]] == [n.replace('r="C', 'r="') for n in number_xml[4:]]
    # a float that is not finite is written 0, cell by cell
    assert workbook._cells_xml("E", workbook.Column("f", [1.5, float("nan")]), 0, 2, range(3, 5), ids) == \
        ['<c r="E3"><v>1.5</v></c>', '<c r="E4"><v>0</v></c>']
