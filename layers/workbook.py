"""The problem list (问题清单) as an Excel workbook, the file a county clerk opens in Excel
or WPS: a summary per township, one sheet per bureau listing its failing villages in
priority order with empty columns the bureau fills in, the villages without data and the
ledger mismatches. A run over several counties writes one workbook per county
(``counties/<county>_问题清单.xlsx``) and a summary workbook at the top: Excel holds at most
1,048,576 rows a sheet.

openpyxl makes each workbook's frame (styles, column widths, frozen header, filter, date
validation, print setup, caption and header rows); the data rows are written into the
sheets' XML here (``_Frame``), ten times faster than openpyxl's cells. Pure output: takes
the tables the pipeline made, writes files, prints nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
try:   # a dependency (pyproject.toml); without it, zlib deflates every part
    from isal import isal_zlib
except ImportError:   # pragma: no cover
    isal_zlib = None
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation

from gis.child import share_out
from gis.errors import OutputError
from layers.settings import Profile
from layers.standards import ALL, ALL_BUREAUS, BUREAUS, SHARE, UNIT_FORMATS, bureaus_of, present
from layers.verdicts import BY_KEY, FAILS, bureau_name

LANGUAGES = ("zh", "en")
WORKBOOK_NAMES = {"zh": "问题清单.xlsx", "en": "problem_list.xlsx"}
COUNTY_FOLDER = "counties"   # beside the county maps, when there are some
EXCEL_MAX_ROWS = 1_048_576   # rows of one Excel sheet
DATE_FORMAT = "yyyy-mm-dd"


def output_language(profile: Profile, override: str | None = None) -> str:
    """The language of the workbook: ``override`` (``--lang``) first, then the profile's
    (``project.lang``, which ``Profile.in_language`` sets from ``--lang``)."""
    return override or profile.lang


@dataclass(frozen=True)
class FillIn:
    """A column the bureau fills in on its sheet. ``key`` is how a program that reads the
    workbook back names it; ``zh``/``en`` the header in each language; ``kind`` "text"
    or "date" (validated and formatted as yyyy-mm-dd)."""

    key: str
    zh: str
    en: str
    kind: str


# The contract with whatever reads the bureau sheets back (docs/outputs.md, "The fill-in columns"): these
# headers, in this order, right after the listed columns of every bureau sheet.
FILL_IN_COLUMNS = (
    FillIn("responsible_unit", "责任单位", "Responsible unit", "text"),
    FillIn("measure", "整改措施", "Corrective measure", "text"),
    FillIn("planned_date", "计划完成时间", "Planned completion date", "date"),
    FillIn("completed_date", "实际完成时间", "Actual completion date", "date"),
    FillIn("notes", "备注", "Notes", "text"),
)

# Sheet names, one per bureau of the registry (layers.standards), in its order: BUREAU_SHEETS
# those of the five standards every run checks, ALL_SHEETS with the optional standards'; a
# workbook has the sheets of the bureaus whose standards its run checked.
BUREAU_SHEETS = {bureau.key: {lang: bureau.sheet(lang) for lang in LANGUAGES} for bureau in BUREAUS}
ALL_SHEETS = {bureau.key: {lang: bureau.sheet(lang) for lang in LANGUAGES} for bureau in ALL_BUREAUS}
# the ledger-against-map checks (the 账实不符 sheet's 核对项), as each standard names its own
CHECK_NAMES = {check: {lang: name(lang) for lang in LANGUAGES} for standard in ALL
               for check, name in standard.checks.items()}

_WORDS = {
    "zh": {
        "sheet.summary": "汇总", "sheet.townships": "各乡镇", "sheet.no_data": "无数据", "sheet.consistency": "账实不符",
        "sheet.ledger": "整改核查", "first_listed": "首次列入", "status": "核查结果", "verdict": "本期状态",
        "days": "列入天数", "place": "台账位置",
        "no": "序号", "county": "县级区划代码", "township_code": "乡镇代码", "township": "乡镇", "village": "行政村",
        "code": "村代码", "problem": "问题", "value": "现状值", "limit": "标准要求", "reason": "原因",
        "poor": "脱贫人口", "population": "人口", "priority": "优先级", "bureau": "部门", "check": "核对项",
        "ledger": "台账记载", "map": "地图所示", "source": "台账文件", "townships": "乡镇数", "villages": "行政村数",
        "with_gaps": "至少一项不达标的村", "fails": "{standard}不达标", "workbook": "问题清单", "total": "合计",
        "basic": "（基本达标）", "metres": '#,##0" 米"',
        "caption": "{name}covermap {version} · 配置 {profile} · 数据 {data} · {date} 生成",
        "data_more": "{first} 等 {n} 个文件",
        "date_title": "日期", "date_error": "请输入日期，例如 2027-06-30",
    },
    "en": {
        "sheet.summary": "Summary", "sheet.townships": "Townships", "sheet.no_data": "No data",
        "sheet.consistency": "Ledger mismatches",
        "sheet.ledger": "Ledger review", "first_listed": "First listed", "status": "Review", "verdict": "Now",
        "days": "Days listed", "place": "Ledger row",
        "no": "No.", "county": "County code", "township_code": "Township code", "township": "Township",
        "village": "Village", "code": "Village code", "problem": "Problem", "value": "Measured", "limit": "Required",
        "reason": "Reason", "poor": "Poor population", "population": "Population", "priority": "Priority",
        "bureau": "Bureau", "check": "Check", "ledger": "Ledger says", "map": "Map shows", "source": "Ledger file",
        "townships": "Townships", "villages": "Villages", "with_gaps": "Villages failing any standard",
        "fails": "{standard}: failing", "workbook": "problem list", "total": "Total", "basic": " (basic)",
        "metres": '#,##0" m"',
        "caption": "{name}covermap {version} · profile {profile} · data {data} · made {date}",
        "data_more": "{first} and {n} more files",
        "date_title": "Date", "date_error": "Enter a date, e.g. 2027-06-30",
    },
}
if any(set(words) != set(_WORDS["zh"]) for words in _WORDS.values()):
    raise RuntimeError("layers/workbook: the languages' words differ")

# Column widths in Excel's units (about one Latin character; a CJK character counts 2);
# wrapped text (reasons) at most ``_WRAP_WIDTH``, so that a bureau sheet printed landscape
# on A4, fitted to the width, stays legible.
_PAD, _MIN_WIDTH, _MAX_WIDTH, _WRAP_WIDTH = 2, 4, 30, 36
# the columns to fill in: (width of a text column, of a date column); 整改措施 wider
_FILL_WIDTHS = {"measure": 24, "notes": 14}


# -- what is written ------------------------------------------------------------------------


@dataclass(frozen=True)
class Tables:
    """The pipeline's tables the workbook shows (layers.pipeline.Result's)."""

    villages: pd.DataFrame
    gaps: pd.DataFrame
    no_data: pd.DataFrame
    consistency: pd.DataFrame | None
    profile: Profile
    data: Sequence[str] = ()          # the input files read
    made: dt.date | None = None       # the date on the sheets (today when None)
    as_of: dt.date | None = None      # the date the data describe: 首次列入 of a new problem (made when None)
    carried: pd.DataFrame | None = None   # the bureaus' entries under each gap row (layers.review.carried)
    ledger: pd.DataFrame | None = None    # the ledger's entries reviewed (layers.review.review): 整改核查


def workbook_names(villages: pd.DataFrame, lang: str) -> tuple[str, ...]:
    """The names a run writes in OUTDIR: the workbook, and the county folder when the
    villages lie in several counties."""
    return (WORKBOOK_NAMES[lang], COUNTY_FOLDER) if len(_counties(villages)) > 1 else (WORKBOOK_NAMES[lang],)


def county_workbook(county: str, lang: str) -> str:
    """The file name of one county's workbook inside ``COUNTY_FOLDER``."""
    return f"{county}_{WORKBOOK_NAMES[lang]}"


def write_workbooks(folder: str | os.PathLike, tables: Tables, lang: str) -> list[Path]:
    """Every workbook of the run in ``folder``; the paths written, the top one first."""
    if lang not in WORKBOOK_NAMES:
        raise OutputError(f"the workbook cannot be written in {lang!r}; use one of {', '.join(LANGUAGES)}")
    folder = Path(folder)
    caption = _caption(tables, lang)
    sheets = _Sheets(lang, _limits(tables.profile, lang), present(tables.villages.columns))
    counties = _counties(tables.villages)
    top = folder / WORKBOOK_NAMES[lang]
    if len(counties) <= 1:
        townships = _summary(tables.villages, ["township_code", "township_name"])
        _write_book(top, sheets.county_sheets(townships, tables), lang, caption)
        return [top]
    county_folder = make_county_folder(folder)
    villages = tables.villages.assign(county=_county_of(tables.villages))
    townships = _summary(villages, ["county", "township_code", "township_name"])
    _write_book(top, sheets.summary_sheets(_summary(villages, ["county"]), townships), lang, caption)
    # every county's sheets are the whole run's sheets cut by county: one set of column
    # widths, so one frame serves every county workbook
    whole = sheets.county_sheets(townships, tables)
    rows = [_groups(sheet.county) for sheet in whole]
    paths = [county_folder / county_workbook(county, lang) for county in counties]
    frames: dict = {}
    empty = np.zeros(0, dtype=np.int64)

    def one(k: int) -> None:
        parts = [sheet.take(groups.get(counties[k], empty)) for sheet, groups in zip(whole, rows)]
        _write_book(paths[k], parts, lang, caption, frames)

    _write_book(paths[0], [sheet.take(empty) for sheet in whole], lang, caption, frames)   # the frame, made once
    share_out(one, len(counties), "county workbooks")   # on every core: each book is Python's work
    return [top, *paths]


def make_county_folder(folder: Path) -> Path:
    """``COUNTY_FOLDER`` in ``folder``, for a run's county workbooks (and maps)."""
    county_folder = folder / COUNTY_FOLDER
    try:
        county_folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{county_folder}: cannot create the county folder ({exc.strerror})") from exc
    return county_folder


def _county_of(frame: pd.DataFrame) -> pd.Series:
    return frame["village_code"].astype(str).str[:6]


def _groups(keys: np.ndarray | None) -> dict[str, np.ndarray]:
    """The rows of each key, in their order."""
    return {} if keys is None else pd.Series(keys).groupby(keys, sort=False).indices


def _counties(villages: pd.DataFrame) -> list[str]:
    """The counties of a run over several, in code order (the first six digits of 12-digit
    village codes, as the maps split them); [] when every village is in one county or a
    code is not a division code."""
    codes = villages["village_code"].astype(str)
    if len(codes) == 0 or not codes.str.fullmatch(r"\d{12}").all():
        return []
    return sorted(codes.str[:6].unique().tolist())


def _caption(tables: Tables, lang: str) -> str:
    """The line at the top of every sheet: which profile, data and date made it."""
    words = _WORDS[lang]
    data = [Path(path).name for path in tables.data]
    if len(data) > 1:   # "villages.gpkg 等 7 个文件" / "villages.gpkg and 6 more files"
        shown = words["data_more"].format(first=data[0], n=len(data) if lang == "zh" else len(data) - 1)
    else:
        shown = data[0] if data else "-"
    try:
        version = metadata.version("covermap")
    except metadata.PackageNotFoundError:
        version = ""
    name = tables.profile.name
    return words["caption"].format(name=f"{name} · " if name else "", version=version,
                                   profile=Path(tables.profile.path).name, data=shown,
                                   date=(tables.made or dt.date.today()).isoformat())


# -- columns and sheets ---------------------------------------------------------------------


@dataclass
class Column:
    """One column of a sheet: its header, its cells (values in row order: text, whole or
    decimal numbers, None for an empty cell), how its cells are shown (``style``: one of
    ``_Frame.STYLES``, one for the column or one per row; None plain) and its width."""

    header: str
    values: Sequence
    style: str | Sequence[str] | None = None
    width: float | None = None   # None: fitted to the header and cells, within limits
    date: bool = False           # an empty column to fill in with dates
    numbered: bool = False       # 序号: 1, 2, 3 ... on every sheet


@dataclass
class Sheet:
    """One table of a workbook: its title, columns, whether a total row ends it, and the
    county of each row (to cut a run over several counties)."""

    title: str
    columns: list[Column]
    total: bool = False
    county: np.ndarray | None = None
    chart: Callable | None = None   # draws a chart on the openpyxl sheet, given it and its data rows

    def __len__(self) -> int:
        return max((len(c.values) for c in self.columns), default=0)

    def take(self, rows: np.ndarray) -> Sheet:
        """These rows only (numbered from 1 again), the columns as wide as before."""
        columns = []
        for c in self.columns:
            if c.width is None:
                c.width = _width(c)
            if not len(c.values):
                columns.append(c)
                continue
            values = list(range(1, len(rows) + 1)) if c.numbered else list(map(c.values.__getitem__, rows.tolist()))
            style = c.style if c.style is None or isinstance(c.style, str) else \
                list(map(c.style.__getitem__, rows.tolist()))
            columns.append(replace(c, values=values, style=style))
        return Sheet(self.title, columns, self.total)


class _Sheets:
    """The sheets of the workbooks of one run, in one language."""

    def __init__(self, lang: str, limits: dict[str, str], standards: tuple = ()):
        self.lang, self.words, self.limits = lang, _WORDS[lang], limits
        self.standards = standards   # those the run checked (layers.standards.present)

    def county_sheets(self, townships: pd.DataFrame, tables: Tables) -> list[Sheet]:
        """汇总 per township, one sheet per bureau, 无数据, 账实不符, and 整改核查 when a
        ledger was read back."""
        w = self.words
        gaps, no_data, consistency = tables.gaps, tables.no_data, tables.consistency
        as_of = tables.as_of or tables.made or dt.date.today()
        carried = tables.carried if tables.carried is not None else \
            pd.DataFrame({"first_listed": [as_of] * len(gaps)})
        if consistency is None:
            consistency = pd.DataFrame(columns=["village_code", "village_name", "township_name", "bureau", "check",
                                                "ledger", "map", "source"])
        sheets = [Sheet(w["sheet.summary"], self.summary_columns(townships, [
            Column(w["township_code"], townships["township_code"].tolist()),
            Column(w["township"], townships["township_name"].tolist())]), total=True,
            county=townships["county"].to_numpy() if "county" in townships else None)]
        bureaus = gaps["bureau"].astype(str).to_numpy()
        for bureau in bureaus_of(self.standards):
            names = ALL_SHEETS[bureau.key]
            rows = gaps[bureaus == bureau.key]
            entries = carried[bureaus == bureau.key]
            sheets.append(Sheet(names[self.lang], self.bureau_columns(rows, entries),
                                county=_county_of(rows).to_numpy()))
        sheets.append(Sheet(w["sheet.no_data"], self.no_data_columns(no_data), county=_county_of(no_data).to_numpy()))
        sheets.append(Sheet(w["sheet.consistency"], self.consistency_columns(consistency),
                            county=_county_of(consistency).to_numpy()))
        if tables.ledger is not None:
            sheets.append(Sheet(w["sheet.ledger"], self.ledger_columns(tables.ledger),
                                county=_county_of(tables.ledger).to_numpy()))
        return sheets

    def summary_sheets(self, counties: pd.DataFrame, townships: pd.DataFrame) -> list[Sheet]:
        """The top workbook of a run over several counties: per county (with a link to its
        workbook) and per township."""
        w = self.words
        files = [f"{COUNTY_FOLDER}/{county_workbook(code, self.lang)}" for code in counties["county"]]
        return [Sheet(w["sheet.summary"], [
                    Column(w["county"], counties["county"].tolist()),
                    Column(w["townships"], counties["townships"].tolist()),
                    *self.summary_columns(counties, []),
                    Column(w["workbook"], files, style="link")], total=True),
                Sheet(w["sheet.townships"], self.summary_columns(townships, [
                    Column(w["county"], townships["county"].tolist()),
                    Column(w["township_code"], townships["township_code"].tolist()),
                    Column(w["township"], townships["township_name"].tolist())]), total=True)]

    # -- the columns of each kind of sheet --

    def summary_columns(self, table: pd.DataFrame, keys: list[Column]) -> list[Column]:
        w = self.words
        return [*keys, Column(w["villages"], table["villages"].tolist()),
                Column(w["with_gaps"], table["with_gaps"].tolist()),
                *(Column(w["fails"].format(standard=_standard(s.key, self.lang)), table[s.key].tolist())
                  for s in self.standards)]

    def village_columns(self, rows: pd.DataFrame) -> list[Column]:
        w = self.words
        return [Column(w["no"], list(range(1, len(rows) + 1)), numbered=True), Column(w["township"], _texts(rows["township_name"])),
                Column(w["village"], _texts(rows["village_name"])), Column(w["code"], _texts(rows["village_code"]))]

    def bureau_columns(self, rows: pd.DataFrame, entries: pd.DataFrame) -> list[Column]:
        """The gap rows of one bureau, 首次列入, and the columns it fills in: empty, or as the
        ledger read back holds them (``entries``, row for row), with its own columns after."""
        w, lang = self.words, self.lang
        standard = rows["standard"].astype(str).to_numpy()
        names = np.array([_standard(key, lang) for key in standard], dtype=object)
        basic = rows["verdict"].astype(str).to_numpy() != FAILS   # a gap list that holds "basic" rows too
        names[basic] = names[basic] + w["basic"]
        shares = np.isin(standard, [s.key for s in ALL if s.unit == SHARE])
        raw = rows["value"].to_numpy(dtype=float)
        value = np.where(shares, np.round(raw, 3), np.round(raw))   # shown as 52.3 % and 1,234 米
        cells = [None if np.isnan(v) else (float(v) if share else int(v)) for v, share in zip(value.tolist(), shares)]
        return [*self.village_columns(rows), Column(w["problem"], names.tolist()),
                Column(w["value"], cells, style=_value_styles(standard),
                       width=max(_number_width(cells, 3), _display_width(w["value"]) + _PAD)),
                Column(w["limit"], [self.limits.get(key, "") for key in standard], style="wrap"),
                Column(w["reason"], _texts(rows["reason"]), style="wrap"),
                Column(w["poor"], _integers(rows["poor_population"])),
                Column(w["population"], _integers(rows["population"])),
                Column(w["priority"], rows["priority"].astype(int).tolist()),
                Column(w["first_listed"], _dates(entries["first_listed"]), style="date", width=12),
                *(self.fill_in(fill, entries) for fill in FILL_IN_COLUMNS),
                *(Column(str(name), _cells(entries[name])) for name in entries.columns
                  if name not in _ENTRY_KEYS)]

    def fill_in(self, fill: FillIn, entries: pd.DataFrame) -> Column:
        header = fill.zh if self.lang == "zh" else fill.en
        values = () if fill.key not in entries or entries[fill.key].isna().all() else \
            (_dates(entries[fill.key]) if fill.kind == "date" else _cells(entries[fill.key]))
        return Column(header, values, date=fill.kind == "date", style="date" if fill.kind == "date" else
                      ("wrap" if fill.key == "measure" else None),
                      width=max(_display_width(header) + _PAD, _FILL_WIDTHS.get(fill.key, 12)))

    def ledger_columns(self, rows: pd.DataFrame) -> list[Column]:
        """整改核查: every row of the ledger read back, what needs action first."""
        w, lang = self.words, self.lang
        from layers.ledger import FILL_IN

        value = rows["value"].to_numpy(dtype=float)
        shares = rows["standard"].isin([s.key for s in ALL if s.unit == SHARE]).to_numpy()
        cells = [None if np.isnan(v) else (round(float(v), 3) if share else int(round(v)))
                 for v, share in zip(value.tolist(), shares)]
        verdicts = [_verdict(v, lang) for v in rows["verdict"]]
        return [*self.village_columns(rows),
                Column(w["bureau"], [_bureau(b, lang) for b in rows["bureau"].astype(str)]),
                Column(w["problem"], [_standard(k, lang) for k in rows["standard"].astype(str)]),
                Column(w["status"], _texts(rows["status_text"])),
                Column(w["verdict"], verdicts),
                Column(w["value"], cells, style=_value_styles(rows["standard"].astype(str).to_numpy()),
                       width=max(_number_width(cells, 3), _display_width(w["value"]) + _PAD)),
                Column(w["reason"], _texts(rows["reason"]), style="wrap"),
                *(self.fill_in(fill, rows) for fill in FILL_IN_COLUMNS if fill.key in FILL_IN),
                Column(w["first_listed"], _dates(rows["first_listed"]), style="date", width=12),
                Column(w["days"], _integers(rows["days_listed"])),
                Column(w["place"], [f"{Path(f).name} · {s} · {r}" for f, s, r in
                                    zip(rows["file"], rows["sheet"], rows["row"])])]

    def no_data_columns(self, rows: pd.DataFrame) -> list[Column]:
        w, lang = self.words, self.lang
        return [*self.village_columns(rows),
                Column(w["problem"], [_standard(k, lang) for k in rows["standard"].astype(str)]),
                Column(w["bureau"], [_bureau(b, lang) for b in rows["bureau"].astype(str)]),
                Column(w["reason"], _texts(rows["reason"]), style="wrap")]

    def consistency_columns(self, rows: pd.DataFrame) -> list[Column]:
        w, lang = self.words, self.lang
        return [*self.village_columns(rows),
                Column(w["bureau"], [_bureau(b, lang) for b in rows["bureau"].astype(str)]),
                Column(w["check"], [CHECK_NAMES.get(c, {lang: c})[lang] for c in rows["check"].astype(str)]),
                Column(w["ledger"], _texts(rows["ledger"]), style="wrap"),
                Column(w["map"], _texts(rows["map"]), style="wrap"),
                Column(w["source"], [Path(p).name if p else None for p in _texts(rows["source"])])]


PER_SHEET = EXCEL_MAX_ROWS - 3   # data rows of one sheet: caption, header and total take three


def _write_book(path: Path, sheets: list[Sheet], lang: str, caption: str, frames: dict | None = None,
                rows_of: Callable | None = None) -> None:
    """One workbook of these sheets (a sheet beyond Excel's rows continued on ``title (2)``
    ...). ``frames``: the frames made so far, one for each set of sheet titles, to reuse.
    ``rows_of(sheet, start, stop, ids)``: a sheet's rows made another way (blocks of XML the
    frame takes as it writes), or None for the rows made here."""
    per_sheet = EXCEL_MAX_ROWS - 3   # caption, header, total (read here: a test makes Excel smaller)
    parts = []
    for sheet in sheets:
        n = len(sheet)
        for k, start in enumerate(range(0, max(n, 1), per_sheet)):
            parts.append((sheet.title if k == 0 else f"{sheet.title} ({k + 1})", sheet, start,
                          min(n, start + per_sheet), sheet.total and n <= per_sheet))
    frames = {} if frames is None else frames
    key = tuple(title for title, *_ in parts)
    if key not in frames:
        frames[key] = _Frame(lang, caption, [(title, sheet.columns, sheet.chart and (lambda ws, sheet=sheet,
                                              n=stop - start: sheet.chart(ws, n)))
                                             for title, sheet, start, stop, _ in parts])
    frame = frames[key]
    rows = []
    for _, sheet, start, stop, total in parts:
        made = rows_of(sheet, start, stop, frame.ids) if rows_of is not None else None
        if made is not None:
            rows.append((made, stop - start))
            continue
        xml = _rows_xml(sheet.columns, start, stop, 3, frame.ids)
        if total:
            xml.append(_total_xml(sheet.columns, start, stop, stop - start + 3, frame.ids, _WORDS[lang]["total"]))
        rows.append((xml, stop - start))
    frame.write(path, rows)


class _Frame:
    """A workbook without its data rows, made by openpyxl: the styles, and of each sheet
    the column widths, frozen header, filter, date validation, print setup, caption and
    header rows. ``write`` puts the data rows into each sheet's XML and the row counts
    into the filter ranges: openpyxl takes about 10 us a cell (30k villages' 70k gap rows:
    8.8 s on both cores) and 30 ms a workbook (93 counties: 3 s), this a tenth."""

    STYLES = {
        "caption": dict(font=Font(italic=True, color="595959")),
        "header": dict(font=Font(bold=True), fill=PatternFill("solid", fgColor="DDEBF7"),
                       alignment=Alignment(horizontal="center", vertical="center", wrap_text=True)),
        "total": dict(font=Font(bold=True), alignment=Alignment(vertical="center")),
        "cell": dict(alignment=Alignment(vertical="center")),   # every data cell: rows of wrapped text are high
        "wrap": dict(alignment=Alignment(vertical="center", wrap_text=True)),
        "percent": dict(number_format="0.0%", alignment=Alignment(vertical="center")),
        "link": dict(font=Font(color="0563C1", underline="single"), alignment=Alignment(vertical="center")),
        "date": dict(number_format=DATE_FORMAT, alignment=Alignment(vertical="center")),
    }
    SENTINEL = 1_000_000   # the last row of sheet k's filter, k + this, until written

    def __init__(self, lang: str, caption: str, sheets: list[tuple[str, list[Column], Callable | None]]):
        self.words = _WORDS[lang]
        book = Workbook()
        book.remove(book.active)
        metres = dict(number_format=self.words["metres"], alignment=Alignment(vertical="center"))
        # the units of the optional standards' values, where a sheet shows one (layers.standards.UNIT_FORMATS)
        units = sorted({style for _, columns, _ in sheets for column in columns for style in
                        ([column.style] if column.style is None or isinstance(column.style, str) else column.style)}
                       & set(UNIT_FORMATS))
        for name, style in {**self.STYLES, "metres": metres, **{unit: dict(
                number_format=UNIT_FORMATS[unit](lang), alignment=Alignment(vertical="center")) for unit in units}
                }.items():
            book.add_named_style(NamedStyle(name, **style))
        self.ids: dict[str | None, str] = {}   # style -> ' s="n"', the cell's attribute
        self.sheets = []   # (XML part, filter's end as written, last column)
        for k, (title, columns, chart) in enumerate(sheets, 1):
            sheet = self._sheet(book, title, columns, caption, self.SENTINEL + k)
            if chart is not None:
                chart(sheet)
            last = get_column_letter(len(columns))
            self.sheets.append((f"xl/worksheets/sheet{k}.xml", last, self.SENTINEL + k))
            for style in (*self.STYLES, "metres", *units):   # in order: the same style numbers in every run
                if style not in self.ids:   # openpyxl's number for it (a cell not in the sheet)
                    self.ids[style] = f' s="{_cell(sheet, style).style_id}"'
        self.ids[None] = self.ids["cell"]
        frame = io.BytesIO()
        book.save(frame)
        with zipfile.ZipFile(frame) as source:
            self.entries = [(info, source.read(info)) for info in source.infolist()]

    def _sheet(self, book: Workbook, title: str, columns: list[Column], caption: str, end: int):
        sheet = book.create_sheet(title)
        for k, column in enumerate(columns, 1):
            letter = get_column_letter(k)
            if column.width is None:
                column.width = _width(column)
            dim = sheet.column_dimensions[letter]
            dim.width = column.width
            if column.date:
                dim.number_format = DATE_FORMAT   # the empty cells, as typed in
                valid = DataValidation(type="date", operator="between", allow_blank=True,
                                       formula1=str(int(to_excel(dt.date(2000, 1, 1)))),
                                       formula2=str(int(to_excel(dt.date(2099, 12, 31)))),
                                       showErrorMessage=True, errorTitle=self.words["date_title"],
                                       error=self.words["date_error"], showInputMessage=True,
                                       promptTitle=self.words["date_title"], prompt=DATE_FORMAT)
                valid.add(f"{letter}3:{letter}{EXCEL_MAX_ROWS}")
                sheet.data_validations.append(valid)
            sheet.cell(2, k, column.header).style = "header"
        sheet.cell(1, 1, caption).style = "caption"
        sheet.freeze_panes = "A3"
        sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{end}"
        sheet.print_title_rows = "1:2"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = 9   # A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_options.gridLines = True
        return sheet

    def write(self, path: Path, rows: list[tuple[list[str], int]]) -> None:
        """The workbook with each sheet's rows (XML rows, and how many of them are data)."""
        parts = {part: (last, end, xml, n) for (part, last, end), (xml, n) in zip(self.sheets, rows)}
        try:
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as target:
                for info, data in self.entries:
                    if info.filename == "xl/workbook.xml":   # the filters' ranges, as defined names
                        text = data.decode("utf-8")
                        for last, end, _, n in parts.values():
                            text = text.replace(f":${last}${end}<", f":${last}${n + 2}<")
                        data = text.encode("utf-8")
                    if info.filename not in parts:
                        target.writestr(info, data, compresslevel=ZIP_LEVEL)
                        continue
                    last, end, xml, n = parts[info.filename]
                    text = data.decode("utf-8").replace(f':{last}{end}"', f':{last}{n + 2}"')
                    text = _DIMENSION.sub(f'<dimension ref="A1:{last}{len(xml) + 2}"', text, count=1)
                    at = text.index("</sheetData>")   # after the caption and header rows
                    with target.open(info.filename, "w", force_zip64=True) as out:
                        _deflate_with_isal(out)
                        out.write(text[:at].encode("utf-8"))
                        for k in range(0, len(xml), 4096):
                            block = xml[k:k + 4096]   # rows as text, or (made elsewhere) their UTF-8 bytes
                            out.write(block if isinstance(block, bytes) else "".join(block).encode("utf-8"))
                        out.write(text[at:].encode("utf-8"))
        except OSError as exc:
            raise OutputError(f"{path}: cannot write the workbook ({exc.strerror or exc})") from exc


_DIMENSION = re.compile(r'<dimension ref="[^"]*"')


def _total_xml(columns: list[Column], start: int, stop: int, row: int, ids: dict[str | None, str],
               word: str) -> str:
    """合计: the sum of each column of whole numbers (codes and names are text)."""
    cells = [Column("", [word], style="total", width=0)]
    for column in columns[1:]:
        values = column.values[start:stop]
        whole = len(values) > 0 and all(isinstance(v, (int, np.integer)) for v in values)
        cells.append(Column("", [int(sum(values)) if whole else None], style="total", width=0))
    return _rows_xml(cells, 0, 1, row, ids)[0]


ZIP_LEVEL = 1   # deflate level of the workbook's parts: level 6 is twice as slow for 5 % less
ISAL_LEVEL = 1  # ISA-L's level for the sheets' rows: as small as zlib's level 1, four times as fast


def _deflate_with_isal(part) -> None:
    """A sheet's part, opened for writing and not yet written, deflated by ISA-L (isal)
    rather than zlib: the same DEFLATE stream format, about four times as fast at the same
    size (benchmarks/deflate_benchmark.py), where deflating the rows took a third of the
    national comparison's workbooks. zipfile has no way to be given a compressor, so its
    writer's own is replaced; a writer without one (another Python), or a Python without
    isal, keeps zlib."""
    if isal_zlib is not None and getattr(part, "_compressor", None) is not None \
            and getattr(part, "_compress_size", 1) == 0:
        part._compressor = isal_zlib.compressobj(ISAL_LEVEL, isal_zlib.DEFLATED, -15)


def _rows_xml(columns: list[Column], start: int, stop: int, first: int, ids: dict[str | None, str]) -> list[str]:
    """Rows [start, stop) of the columns as SpreadsheetML ``<row>`` elements numbered from
    ``first``: text as inline strings, numbers as numbers, a row whose wrapped text takes
    several lines made that high (neither Excel nor LibreOffice fits a row's height to its
    text when it opens a file); the empty columns to fill in are not written."""
    n = stop - start
    numbers = range(first, first + n)
    lines = _lines([c for c in columns if c.style == "wrap" and len(c.values)], start, stop)
    heights = [f' ht="{LINE_HEIGHT * k:g}" customHeight="1"' if k > 1 else "" for k in lines.tolist()]
    cells = [_cells_xml(get_column_letter(k), column, start, stop, numbers, ids)
             for k, column in enumerate(columns, 1) if len(column.values)]
    return [f'<row r="{r}"{h}>{"".join(row)}</row>' for r, h, *row in zip(numbers, heights, *cells)]


def _cells_xml(letter: str, column: Column, start: int, stop: int, numbers: range,
               ids: dict[str | None, str]) -> list[str]:
    """One column's cells of rows [start, stop) (an empty string for an empty cell)."""
    values = list(column.values[start:stop])
    style = column.style
    styles = [ids[style]] * len(values) if style is None or isinstance(style, str) \
        else list(map(ids.__getitem__, style[start:stop]))
    link = style == "link"
    kinds = set(map(type, values))
    # numbers (counts, populations, measured values) at once: a finite float's text, as an
    # int's, is what str() gives (repr for a float)
    if kinds <= _NUMBERS and (float not in kinds or all(math.isfinite(v) for v in values if type(v) is float)):
        return [f'<c r="{letter}{r}"{s}><v>{v}</v></c>' if v is not None else ""
                for r, v, s in zip(numbers, values, styles)]
    # one search over the column's text: where nothing needs escaping, no cell is searched
    escape = bool(_ESCAPE.search("\n".join([v for v in values if isinstance(v, str)])))
    if kinds <= _TEXTS and not link:   # text only (names, reasons): at once
        texts = [_xml_text(v) if v is not None else None for v in values] if escape else values
        return [f'<c r="{letter}{r}"{s} t="inlineStr"><is><t{_PRESERVE if v[:1].isspace() or v[-1:].isspace() else ""}>'
                f'{t}</t></is></c>' if v is not None else "" for r, v, t, s in zip(numbers, values, texts, styles)]
    out = []
    for r, value, s in zip(numbers, values, styles):
        if value is None:
            out.append("")
        elif isinstance(value, str):
            text = _xml_text(value) if escape else value
            if link:   # a relative link to a file beside this workbook, as a formula every program follows
                target = text.replace('"', '""')
                out.append(f'<c r="{letter}{r}"{s} t="str"><f>HYPERLINK("{target}","{target}")</f>'
                           f'<v>{text}</v></c>')
            else:
                space = _PRESERVE if value[:1].isspace() or value[-1:].isspace() else ""
                out.append(f'<c r="{letter}{r}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>')
        elif isinstance(value, (bool, np.bool_)):
            out.append(f'<c r="{letter}{r}"{s} t="b"><v>{int(value)}</v></c>')
        else:
            out.append(f'<c r="{letter}{r}"{s}><v>{_number_text(value)}</v></c>')
    return out


_NUMBERS = {int, float, type(None)}
_TEXTS = {str, type(None)}
_PRESERVE = ' xml:space="preserve"'   # text starting or ending with a space keeps it


def _xml_text(value: str) -> str:
    """Text as XML character data; characters XML cannot hold (controls) left out."""
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return ILLEGAL_CHARACTERS_RE.sub("", value) if _CONTROL.search(value) else value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# what _xml_text changes: markup and controls (a line break, which joins a column's cells, is neither)
_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")


def _number_text(value) -> str:
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    return repr(value) if math.isfinite(value) else "0"


def _cell(sheet, style: str) -> WriteOnlyCell:
    """A cell of ``style`` that is not in the sheet (to learn the style's number)."""
    cell = WriteOnlyCell(sheet)
    cell.style = style
    return cell


LINE_HEIGHT = 15.0   # points: a line of 11-point text, as Excel's default row


def _lines(columns: list[Column], start: int, stop: int) -> np.ndarray:
    """Lines each row's wrapped text takes, the most of its columns: its width over the
    column's, with a tenth to spare for the words wrapped whole."""
    lines = np.ones(stop - start, dtype=np.int64)
    for column in columns:
        per_line = max(column.width - 1.0, 1.0) * 0.9
        widths = np.array([_display_width(v) if isinstance(v, str) else 0 for v in column.values[start:stop]],
                          dtype=np.float64)
        lines = np.maximum(lines, np.ceil(widths / per_line).astype(np.int64))
    return lines


# -- values ---------------------------------------------------------------------------------


def _summary(villages: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group: villages, villages failing any standard, villages failing each standard;
    with ``township_code`` among the groups' columns, townships too."""
    frame = pd.DataFrame({key: villages[key].astype(object).where(villages[key].notna(), "").astype(str)
                          for key in keys})
    frame["villages"] = 1
    frame["with_gaps"] = (villages["gap_count"].to_numpy() > 0).astype(np.int64)
    standards = present(villages.columns)
    for s in standards:
        frame[s.key] = (villages[f"{s.key}_verdict"].astype(str).to_numpy() == FAILS).astype(np.int64)
    if "township_code" not in keys:
        frame["townships"] = villages["township_code"].astype(str).to_numpy()
    grouped = frame.groupby(keys, sort=True)
    table = grouped[["villages", "with_gaps", *(s.key for s in standards)]].sum().reset_index()
    if "township_code" not in keys:
        table["townships"] = grouped["townships"].nunique().to_numpy()
    return table.astype({c: np.int64 for c in table.columns if c not in keys}).astype({c: object for c in keys})


def _limits(profile: Profile, lang: str) -> dict[str, str]:
    """Each standard's requirement as the profile sets it (``≤ 500 米``)."""
    return {s.key: s.required(profile, lang) for s in ALL if s.plugin is None or s.key in profile.plugins}


def _value_styles(standards: np.ndarray) -> list[str]:
    """How each row's measured value is shown, by its standard's unit: percent, metres, or
    one of the optional standards' units (``UNIT_FORMATS``)."""
    unit = {s.key: s.unit for s in ALL}
    return ["percent" if unit.get(key) == SHARE else
            (unit[key] if unit.get(key) in UNIT_FORMATS else "metres") for key in standards]


def _texts(series: pd.Series) -> list:
    """Text cells, a missing value empty."""
    if isinstance(series.dtype, pd.StringDtype):   # str or missing: only the missing ones to change
        cells = series.astype(object).tolist()
        for k in np.flatnonzero(series.isna().to_numpy()).tolist():
            cells[k] = None
        return cells
    return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
            for v in series.astype(object).tolist()]


def _standard(key: str, lang: str) -> str:
    return BY_KEY[key].name(lang) if key in BY_KEY else key


def _bureau(key: str, lang: str) -> str:
    try:
        return bureau_name(key, lang)
    except KeyError:
        return key


_ENTRY_KEYS = {fill.key for fill in FILL_IN_COLUMNS} | {"first_listed"}


def _dates(series: pd.Series) -> list:
    """Dates as Excel's serial days (shown with the "date" style); None for none."""
    codes, distinct = pd.factorize(series.astype(object))   # each distinct date once: a run has few
    days = [int(to_excel(pd.Timestamp(value).date())) for value in distinct.tolist()]
    return [None if k < 0 else days[k] for k in codes.tolist()]


def _cells(series: pd.Series) -> list:
    """A carried column's cells as written: text, numbers, dates as text."""
    out = []
    for value in series.tolist():
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            out.append(None)
        elif isinstance(value, (dt.date, dt.datetime)):
            out.append(value.strftime("%Y-%m-%d"))
        elif isinstance(value, (bool, np.bool_)):
            out.append(str(bool(value)))
        elif isinstance(value, (int, float, np.integer, np.floating)):
            out.append(value if isinstance(value, float) else int(value))
        else:
            out.append(str(value))
    return out


def _verdict(verdict, lang: str) -> str | None:
    from layers.verdicts import word

    return word(verdict, lang) if isinstance(verdict, str) and verdict else None


def _integers(series: pd.Series) -> list:
    """Whole numbers (populations), a missing value empty."""
    numbers = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
    missing = np.isnan(numbers)
    if np.abs(numbers[~missing]).max(initial=0.0) >= 2.0 ** 53:   # beyond int64's exact floats: one by one
        return [None if np.isnan(v) else int(round(v)) for v in numbers.tolist()]
    # np.rint rounds halves to even, as round() does
    cells = np.rint(np.where(missing, 0.0, numbers)).astype(np.int64).tolist()
    for k in np.flatnonzero(missing).tolist():
        cells[k] = None
    return cells


def _display_width(text: str) -> int:
    """Width of ``text`` in Latin characters: a CJK (wide) character counts 2. In UTF-8 a
    CJK character takes 3 bytes and ASCII 1, so (bytes + characters) / 2 is that count."""
    return (len(text.encode("utf-8")) + len(text)) // 2


def _width(column: Column) -> float:
    """A width that fits the header and the cells (the longest, within limits)."""
    texts = [v for v in column.values if v is not None]
    longest = max((_display_width(v) if isinstance(v, str) else len(f"{v:,}") for v in set(texts)), default=0)
    limit = _WRAP_WIDTH if column.style == "wrap" else _MAX_WIDTH
    return min(max(_display_width(column.header), longest, _MIN_WIDTH) + _PAD, limit)


def _number_width(values: Iterable, unit: int) -> float:
    numbers = [abs(v) for v in values if v is not None]
    return max(len(f"{max(numbers, default=0):,.0f}") + unit, 6) + _PAD
