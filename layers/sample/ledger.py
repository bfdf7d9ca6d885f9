"""ledger_2025.xlsx: period 1's 问题清单.xlsx as the bureaus filled it in over 2026, and
ledger_cases.json, what reading it against period 2 must find.

The workbook is covermap's own, the whole of it (the pipeline run on period 1's
profile_all.toml: the five standards and the optional school, housing, electricity, bus and post, dated
on period 1's as_of); its eight bureau sheets are then filled in with openpyxl the way clerks
fill them in Excel: 责任单位, 整改措施, 计划完成时间, 实际完成时间 and 备注 on most rows,
dates typed sometimes as real dates and sometimes as text (2026年3月31日, 2026/3/31, 2026.3.31), the 水利局 rows
re-sorted by 乡镇 descending, a hand-made 联系人 column on 卫生健康局, a filter left on
通信管理 (only 光纤宽带 shown, the 4G rows hidden). No cell is merged. The optional standards'
sheets (教育局, 住建局, 供电公司) are filled in after the four others' edits, with the same
random draws continuing, so the four sheets' cells are those of the five-standard ledger; the
rows of 通客车 (on 交通运输局) and 通邮 (邮政管理局) last, so every other cell is as it was.

Every row of a bureau sheet is one of:
  verified_closed  实际完成时间 filled, and the village meets the standard in period 2
  false_closure    实际完成时间 filled, but the village still fails (or only basically meets)
  overdue          a measure, 计划完成时间 before period 2's as_of (2026-11-30), no 实际完成时间,
                   still failing
  no_measure       no 整改措施 (sometimes a 责任单位, sometimes nothing at all), still failing
  (in progress)    a measure, 计划完成时间 after 2026-11-30, not done: no finding
The first four are written to ledger_cases.json; in-progress rows are not.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import tempfile
from pathlib import Path

import numpy as np
from openpyxl import load_workbook
from openpyxl.styles import Alignment

from .period2 import AS_OF_1

LEDGER = "ledger_2025.xlsx"
LEDGER_CASES = "ledger_cases.json"
LISTED = dt.date.fromisoformat(AS_OF_1)   # the date on the workbook: the problems listed then
FIVE_SHEETS = {"交通运输局": "transport", "水利局": "water", "卫生健康局": "health", "通信管理": "telecom"}
PLUGIN_SHEETS = {"教育局": "education", "住建局": "housing", "供电公司": "power"}
POSTAL_SHEETS = {"邮政管理局": "postal"}   # issue 22's (通邮); 通客车's rows are on 交通运输局
BUREAU_SHEETS = {**FIVE_SHEETS, **PLUGIN_SHEETS, **POSTAL_SHEETS}
STANDARD_WORDS = {"硬化路": "road", "饮水安全": "water", "村卫生室": "clinic", "4G覆盖": "net4g",
                  "光纤宽带": "fibre", "义务教育": "school", "住房安全": "housing", "电网": "electricity",
                  "就医时间": "care", "通客车": "bus", "通邮": "post"}
LATER_STANDARDS = ("bus", "post")   # issue 22's: filled last, so every other cell is as it was
FILL = ("责任单位", "整改措施", "计划完成时间", "实际完成时间", "备注")

V, F, O, N = "verified_closed", "false_closure", "overdue", "no_measure"
# (village code, standard): (finding, 责任单位, 整改措施, 计划完成时间, 实际完成时间, 备注); a date
# "2026-05-31" is typed as a date, any other text stays text; None: left empty
ROWS = {
    # 交通运输局
    ("522326107213", "road"): (V, "望谟县交通运输局", "打狼村通村路村委会段520米砂石路面铺筑沥青，路面宽5米",
                               "2026-06-30", "2026-05-18", "已验收"),
    ("522326104202", "road"): (V, "望谟县交通运输局", "油寒村通村路砂石路面全线改铺沥青，路面宽5米",
                               "2026年9月30日", "2026-08-26", "已验收，待销号"),
    ("522326206207", "road"): (F, "油迈瑶族乡人民政府", "纳王村通村路土路硬化为水泥路面",
                               "2026-08-31", "2026/7/15", "路面宽4米，受地形限制未能拓宽"),
    ("522326003206", "road"): (F, "新屯街道办事处", "新建牛角村进村水泥路1.4公里，与通村路连通",
                               "2026-10-31", "2026.10.20", None),
    ("522326105204", "road"): (O, "麻山镇人民政府", "纳幕村通村路土路段硬化，与麻山镇乡道连通",
                               "2026-10-31", None, "征地协调中"),
    # 水利局
    **{(code, "water"): (V, "望谟县水务局", "平洞村集中供水工程新建蓄水池200立方米、更换输水主管，提高供水保证率",
                         "2026-09-30", "2026-09-12", None)
       for code in ("522326002201", "522326002202", "522326002203", "522326002204", "522326002205")},
    ("522326002206", "water"): (V, "望谟县水务局", "洛郎村接入平洞村集中供水工程管网，入户管道到组",
                                "2026-10-31", "2026年10月25日", "与平洞村工程同步实施"),
    ("522326102202", "water"): (V, "打易镇人民政府", "大湾村村委会旁新打机井一口，配套消毒设备",
                                "2026-06-30", "2026-06-10", None),
    ("522326003209", "water"): (V, "新屯街道办事处", "小米地村引水工程延伸管网，扩大供水范围",
                                "2026-08-31", "2026/8/20", None),
    ("522326112201", "water"): (F, "昂武镇人民政府", "红湖村集中供水工程增设取水点，缩短取水往返时间",
                                "2026-07-31", "2026-07-28", "已完工"),
    ("522326111211", "water"): (F, "望谟县水务局", "绒春村集中供水工程加装净水消毒设备",
                                "2026-05-31", "2026.5.30", "已完工，水质复检报告未附"),
    ("522326103211", "water"): (O, "乐旺镇人民政府", "团结村集中供水工程增设取水点，管网入户",
                                "2026-06-30", None, "资金未到位"),
    ("522326105211", "water"): (O, "麻山镇人民政府", "牛场村集中供水工程新建水源点，解决枯水期水量不足",
                                "2026年9月30日", None, None),
    ("522326105213", "water"): (O, "麻山镇人民政府", "随牛场村集中供水工程新建水源点一并解决",
                                "2026年9月30日", None, None),
    ("522326103206", "water"): (O, "望谟县水务局", "懂木村集中供水工程更换老化管网，提高供水保证率",
                                "2026.8.31", None, "受雨季影响，工期顺延"),
    ("522326108209", "water"): (N, "蔗香镇人民政府", None, None, None, None),
    ("522326111208", "water"): (N, None, None, None, None, "待核实"),
    # 卫生健康局
    ("522326111206", "clinic"): (V, "边饶镇卫生院", "纳望村卫生室按标准化要求改造，诊断室、治疗室、药房分设",
                                 "2026-06-30", "2026-04-30", "已验收"),
    ("522326101205", "clinic"): (V, "乐元镇卫生院", "董万村卫生室标准化改造，补齐基本医疗设备",
                                 "2026-06-30", "2026/6/20", None),
    ("522326107214", "clinic"): (V, "望谟县卫生健康局", "为新合村卫生室招聘取得乡村医生执业资格的村医1名",
                                 "2026-03-31", "2026-03-15", "村医已到岗"),
    ("522326001204", "clinic"): (V, "王母街道办事处", "祥乐村新建标准化村卫生室一所",
                                 "2026-10-31", "2026年9月28日", None),
    ("522326102210", "clinic"): (F, "打易镇卫生院", "长田村新建村卫生室一所",
                                 "2026-09-30", "2026-09-30", "已投入使用"),
    ("522326104203", "clinic"): (F, "桑郎镇卫生院", "述里村卫生室标准化改造",
                                 "2026-08-31", "2026.8.15", None),
    ("522326001203", "clinic"): (O, "王母街道办事处", "平绕村利用村委会闲置用房设立村卫生室",
                                 "2026-06-30", None, "选址未定"),
    ("522326111203", "clinic"): (O, "边饶镇卫生院", "翁道村新建村卫生室，安排村医1名",
                                 "2026/10/31", None, None),
    ("522326105206", "clinic"): (O, "麻山镇卫生院", "交龙村新建村卫生室",
                                 "2026-09-30", None, "用地手续办理中"),
    ("522326003203", "clinic"): (N, None, None, None, None, None),
    ("522326108206", "clinic"): (N, "蔗香镇卫生院", None, None, None, "与新寨村统筹考虑"),
    # 卫生健康局 (就医时间, profile_all.toml): 纳桥至平洞乡道 built (period 2's care_new_road)
    ("522326002203", "care"): (V, "望谟县交通运输局", "新建纳桥村至平洞街道乡道，水泥路面宽5.5米",
                               "2026-10-31", "2026-09-26", "已通车"),
    ("522326105207", "care"): (N, "麻山镇卫生院", None, None, None, None),
    # 通信管理
    ("522326105202", "net4g"): (V, "中国移动望谟分公司", "纳良村新建4G基站1座",
                                "2026-06-30", "2026-06-18", "已开通"),
    ("522326109204", "net4g"): (O, "中国移动望谟分公司", "冗岩村村委会附近新建4G基站1座",
                                "2026-09-30", None, "电力配套未完成"),
    **{(code, "fibre"): (V, "中国电信望谟分公司", "新建光交箱，光缆延伸至村委会",
                         date, done, None)
       for code, date, done in (("522326107217", "2026-06-30", "2026-05-20"),
                                ("522326108208", "2026-06-30", "2026/6/12"),
                                ("522326206204", "2026-09-30", "2026-09-05"),
                                ("522326110204", "2026年8月31日", "2026年8月10日"),
                                ("522326109208", "2026-09-30", "2026.9.22"))},
    ("522326102203", "fibre"): (F, "中国电信望谟分公司", "绞朋村光交箱移位至村委会附近",
                                "2026-05-31", "2026-05-25", "已完成"),
    ("522326112205", "fibre"): (O, "中国联通望谟分公司", "和亭村光缆延伸至村委会",
                                "2026-07-31", None, None),
    ("522326107204", "fibre"): (O, "中国电信望谟分公司", "包树村新建光交箱",
                                "2026.10.31", None, "光缆杆路审批中"),
    ("522326107225", "fibre"): (N, "望谟县工业和信息化局", None, None, None, None),
    # 教育局 (义务教育): 纳沙村小学 built in 2026 (period 2's school_built); 二泥村 claimed, no
    # school there in 2026 (school_unchanged)
    ("522326101213", "school"): (V, "望谟县教育局", "新建纳沙村小学，选址村委会旁",
                                 "2026-09-01", "2026-08-25", "已于秋季学期开学"),
    ("522326102205", "school"): (F, "望谟县教育局", "二泥村适龄儿童安排到打易镇中心小学寄宿就读",
                                 "2026-09-01", "2026/9/1", "已落实寄宿"),
    ("522326102207", "school"): (O, "打易镇人民政府", "老寨村恢复村小学教学点",
                                 "2026-08-31", None, "师资未落实"),
    ("522326108206", "school"): (N, None, None, None, None, None),
    # 住建局 (住房安全): 坡毛村 and 纳江社区 renovated (housing_renovated); 平卜村 claimed, its
    # grade-D house still not renovated (housing_unchanged)
    ("522326107221", "housing"): (V, "石屯镇人民政府", "坡毛村2户C级危房加固改造",
                                  "2026-06-30", "2026-06-16", "已验收"),
    ("522326109001", "housing"): (V, "郊纳镇人民政府", "纳江社区1户D级危房拆除重建",
                                  "2026-10-31", "2026年10月12日", None),
    ("522326206201", "housing"): (F, "油迈瑶族乡人民政府", "平卜村1户D级危房拆除重建",
                                  "2026-07-31", "2026.7.20", "已改造"),
    ("522326105203", "housing"): (O, "麻山镇人民政府", "平和村1户C级危房加固改造",
                                  "2026-09-30", None, "农户外出务工，未开工"),
    ("522326003203", "housing"): (N, "新屯街道办事处", None, None, None, None),
    # 供电公司 (电网): 边坝村2号台区 installed (electricity_new_transformer); 山花村 claimed,
    # nothing built (electricity_unchanged)
    ("522326111209", "electricity"): (V, "望谟供电局", "边坝村新增200千伏安三相配电台区",
                                      "2026-06-30", "2026-05-28", "已送电"),
    ("522326105210", "electricity"): (F, "望谟供电局", "山花村配电台区增容改造",
                                      "2026-08-31", "2026/8/18", "已完工"),
    ("522326107214", "electricity"): (O, "望谟供电局", "新合村新建配电台区，10千伏线路延伸至村",
                                      "2026.9.30", None, "线路走廊协调中"),
    ("522326108203", "electricity"): (N, None, None, None, None, "待现场勘查"),
    # 交通运输局 (通客车): a line now stops at 平绕村招呼站 (bus_line_opened); 坝奔村 claimed,
    # no stop within reach (bus_unchanged). 邮政管理局 (通邮): 纳朝村村邮站 opened (post_opened);
    # 祥乐村 claimed, no postal point built
    ("522326001203", "bus"): (V, "望谟县交通运输局", "开通县城至平绕村农村客运班线，停靠平绕村招呼站",
                              "2026-06-30", "2026-04-15", "每日往返2班"),
    ("522326002205", "bus"): (F, "望谟县交通运输局", "坝奔村设置农村客运招呼站",
                              "2026-08-31", "2026/8/1", "已设站牌"),
    ("522326002202", "post"): (V, "望谟县邮政分公司", "纳朝村设立村邮站，依托村委会建设",
                               "2026-09-30", "2026-07-20", "已挂牌运营"),
    ("522326001204", "post"): (F, "望谟县邮政分公司", "祥乐村设立村邮站",
                               "2026-06-30", "2026-06-20", "已挂牌"),
}

# the rows in progress: a measure of their kind, a date after period 2
IN_PROGRESS = {
    "road": ("{town}人民政府", "{village}通村路硬化"),
    "water": ("望谟县水务局", "{village}纳入2027年农村供水保障工程，新建集中供水设施"),
    "clinic": ("{town}卫生院", "{village}卫生室标准化建设，已列入2027年计划"),
    "net4g": ("中国移动望谟分公司", "{village}新建4G基站，已列入2027年建设计划"),
    "fibre": ("中国电信望谟分公司", "{village}光缆延伸至村委会，已列入2027年建设计划"),
    "school": ("望谟县教育局", "{village}适龄儿童就近入学，新建村小学已列入2027年义务教育薄弱环节改善计划"),
    "housing": ("{town}人民政府", "{village}危房改造，已纳入2027年农村危房改造计划"),
    "electricity": ("望谟供电局", "{village}新建配电台区，已列入2027年农村电网巩固提升工程"),
    "care": ("{town}卫生院", "{village}：乡镇卫生院每周派医生巡回诊疗，通村道路改造已列入2027年计划"),
    "bus": ("望谟县交通运输局", "{village}农村客运班线延伸，已列入2027年城乡交通运输一体化计划"),
    "post": ("望谟县邮政分公司", "{village}村邮站建设，已列入2027年农村寄递物流体系建设计划"),
}
LATER = ("2026-12-31", "2027-06-30", "2027/6/30", "2027年6月30日", "2026-12-31", "2027.3.31")
CONTACTS = ("王建国", "杨秀英", "罗德明", "韦春花", "黄志强", "岑家兴", "王丽", "杨光荣", "罗小燕", "韦国华")


def _cell_date(text):
    """A date typed as a date (yyyy-mm-dd) or as the text a clerk typed."""
    if text is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.datetime.fromisoformat(text)
    return text


def _header(ws) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[2] if cell.value}


def _data_rows(ws) -> list[int]:
    rows = []
    for r in range(3, ws.max_row + 1):
        if ws.cell(r, 1).value is None:
            break
        rows.append(r)
    return rows


def fill_sheet(ws, bureau: str, rng: np.random.Generator, later: bool = False) -> list[dict]:
    """Fill the bureau's columns as ROWS says (in progress where it says nothing), the rows
    of LATER_STANDARDS only where ``later``, the others only where not; the findings of its rows."""
    col = _header(ws)
    findings = []
    for r in _data_rows(ws):
        code = str(ws.cell(r, col["村代码"]).value)
        standard = STANDARD_WORDS[str(ws.cell(r, col["问题"]).value).replace("（基本达标）", "")]
        if (standard in LATER_STANDARDS) != later:
            continue
        village = str(ws.cell(r, col["行政村"]).value).replace("村民委员会", "").replace("居民委员会", "")
        town = str(ws.cell(r, col["乡镇"]).value)
        spec = ROWS.get((code, standard))
        if spec is None:
            unit, measure = IN_PROGRESS[standard]
            unit = unit.format(town=town) if not town.endswith("街道") else f"{town}办事处"
            spec = (None, unit, measure.format(village=village), LATER[int(rng.integers(len(LATER)))], None, None)
        finding, *values = spec
        for name, value in zip(FILL, values):
            cell = ws.cell(r, col[name])
            cell.value = _cell_date(value) if name in ("计划完成时间", "实际完成时间") else value
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd"
        if finding:
            findings.append(dict(village_code=code, standard=standard, bureau=bureau, finding=finding))
    return findings


def resort(ws, key_column: str, descending: bool = True) -> None:
    """Sort the data rows by one column as Excel's 排序 does: whole rows move, 序号 with them."""
    col = _header(ws)
    rows = _data_rows(ws)
    width = ws.max_column
    values = [[ws.cell(r, c).value for c in range(1, width + 1)] for r in rows]
    formats = [[ws.cell(r, c).number_format for c in range(1, width + 1)] for r in rows]
    order = sorted(range(len(rows)), key=lambda k: str(values[k][col[key_column] - 1]), reverse=descending)
    for r, k in zip(rows, order):
        for c in range(1, width + 1):
            ws.cell(r, c).value = values[k][c - 1]
            ws.cell(r, c).number_format = formats[k][c - 1]


def add_contacts(ws, rng: np.random.Generator) -> None:
    """A column 联系人 typed in by hand after the last one, a name on each row with a 责任单位."""
    col = _header(ws)
    c = ws.max_column + 1
    ws.cell(2, c).value = "联系人"
    ws.cell(2, c)._style = ws.cell(2, c - 1)._style
    ws.column_dimensions[ws.cell(2, c).column_letter].width = 10
    for r in _data_rows(ws):
        if ws.cell(r, col["责任单位"]).value:
            ws.cell(r, c).value = CONTACTS[int(rng.integers(len(CONTACTS)))]
    first, _, last = ws.auto_filter.ref.partition(":")
    ws.auto_filter.ref = f"{first}:{ws.cell(2, c).column_letter}{re.sub(r'[A-Z]+', '', last)}"


def filter_on(ws, column: str, shown: str) -> None:
    """The autofilter left with only ``shown`` ticked in ``column``; the other rows hidden."""
    col = _header(ws)
    ws.auto_filter.add_filter_column(col[column] - 1, [shown])
    for r in _data_rows(ws):
        if ws.cell(r, col[column]).value != shown:
            ws.row_dimensions[r].hidden = True


def period1_workbook(profile: Path, folder: Path) -> Path:
    """covermap's 问题清单.xlsx of period 1, dated on its as_of."""
    from layers import workbook
    from layers.pipeline import assess
    from layers.profile import load_profile

    quiet = logging.getLogger("layers")   # the sample's deliberate data problems: not news here
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        result = assess(load_profile(profile))
    finally:
        quiet.setLevel(level)
    tables = workbook.Tables(result.villages, result.gaps, result.no_data, result.consistency, result.profile,
                             data=[record.path for record in result.inputs.records if record.path], made=LISTED)
    return workbook.write_workbooks(folder, tables, "zh")[0]


def write_ledger(out: Path, seed: int) -> list[Path]:
    """ledger_2025.xlsx and ledger_cases.json in ``out`` (period 1's folder)."""
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        book = load_workbook(period1_workbook(out / "profile_all.toml", Path(tmp)))
    findings = []
    for title, bureau in FIVE_SHEETS.items():
        findings += fill_sheet(book[title], bureau, rng)
    resort(book["水利局"], "乡镇")
    add_contacts(book["卫生健康局"], rng)
    filter_on(book["通信管理"], "问题", "光纤宽带")
    for title, bureau in PLUGIN_SHEETS.items():   # after the four: their draws as in the five's ledger
        findings += fill_sheet(book[title], bureau, rng)
    for title, bureau in {"交通运输局": "transport", **POSTAL_SHEETS}.items():   # then 通客车's and 通邮's rows
        findings += fill_sheet(book[title], bureau, rng, later=True)
    planned = {key for key in ROWS}
    found = {(f["village_code"], f["standard"]) for f in findings}
    if planned - found:
        raise RuntimeError(f"ledger: rows planned but not on period 1's sheets: {sorted(planned - found)}")
    for title in BUREAU_SHEETS:
        for row in book[title].iter_rows(min_row=3):
            for cell in row:
                if isinstance(cell.value, str) and len(cell.value) > 12 and cell.column > 11:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    stamp = dt.datetime(2026, 11, 20, 9, 30)
    book.properties.creator, book.properties.lastModifiedBy = "covermap", "望谟县乡村振兴局"
    book.properties.created = book.properties.modified = stamp
    book.properties.title = "望谟县问题清单（2025年排查，2026年整改台账）"
    book.save(out / LEDGER)
    findings.sort(key=lambda f: (list(BUREAU_SHEETS.values()).index(f["bureau"]), f["village_code"], f["standard"]))
    (out / LEDGER_CASES).write_text(json.dumps(findings, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return [out / LEDGER, out / LEDGER_CASES]
