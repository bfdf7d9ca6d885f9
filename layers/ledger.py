"""The bureaus' filled-in problem list read back (issue 20, 动态清零): what each bureau wrote
on its sheet of the previous period's 问题清单.xlsx, checked against this run's verdicts.

A ledger is a workbook covermap wrote (or a folder of them: a run over several counties
writes one per county), as a bureau filled it in, in Excel or WPS. Its bureau sheets are
found by their header row (the row holding 村代码 and the fill-in columns of
``layers.workbook.FILL_IN_COLUMNS``), so rows may be re-sorted or filtered, sheets renamed
and columns added by hand; a column covermap did not write is carried forward as it is.
Each data row is one problem (village code x standard, from 村代码 and 问题) with the
bureau's entries; each gets one status against this run:

    now \\ ledger        实际完成时间 set       not set
    meets               verified_closed        closed_unrecorded
    fails or basic      false_closure (账实不符)  overdue (计划完成时间 passed) / no_measure
                                               (no 整改措施, listed more than N days) / in_progress
    no_data             unverifiable           unverifiable
    village not in run  unknown_village        unknown_village

Pure reading; ``layers.review`` decides each row's status against the run, the workbook
(``layers.workbook``) shows the result and carries the entries forward, the pipeline
writes ledger.csv.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gis.errors import DataError
from layers.standards import ALL
from layers.verdicts import BY_KEY

# what each row of the sheet holds, by its header in either language (layers.workbook's words)
FILL_IN = {"responsible_unit": ("责任单位", "Responsible unit"), "measure": ("整改措施", "Corrective measure"),
           "planned_date": ("计划完成时间", "Planned completion date"),
           "completed_date": ("实际完成时间", "Actual completion date"), "notes": ("备注", "Notes")}
DATES = ("planned_date", "completed_date", "first_listed")
KEYS = {"village_code": ("村代码", "Village code"), "problem": ("问题", "Problem"),
        "first_listed": ("首次列入", "First listed")}
LISTED = ("序号", "No.", "乡镇", "Township", "行政村", "Village", "现状值", "Measured", "标准要求", "Required",
          "原因", "Reason", "脱贫人口", "Poor population", "人口", "Population", "优先级", "Priority")
BASIC_SUFFIXES = ("（基本达标）", "(基本达标)", " (basic)", "(basic)")
HEADER_ROWS = 20   # the header row is looked for among the first rows (a clerk may insert some above)
ENTRY_COLUMNS = ("village_code", "standard", "bureau", *FILL_IN, "first_listed", "file", "sheet", "row")
_EMPTY_WORDS = {"", "-", "—", "－", "/", "无", "none", "n/a"}
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_CAPTION_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


@dataclass
class Ledger:
    """The entries of a filled-in problem list: one row per problem (``ENTRY_COLUMNS`` and
    ``extra``: columns a bureau added by hand, by their header)."""

    paths: list[Path]
    entries: pd.DataFrame
    extra: list[str] = field(default_factory=list)


def read_ledger(path: str | os.PathLike) -> Ledger:
    """The problem list(s) at ``path``: one workbook, or every .xlsx in a folder (a run over
    several counties: counties/*.xlsx). Raises DataError naming file, sheet, row and column
    for what cannot be read right."""
    path = Path(path)
    if path.is_dir():
        books = sorted(p for p in path.rglob("*.xlsx") if not p.name.startswith("~$"))
        if not books:
            raise DataError(f"{path}: holds no .xlsx workbook; give the filled-in 问题清单.xlsx (or the folder "
                            "of county workbooks)")
    elif path.is_file():
        books = [path]
    else:
        raise DataError(f"{path}: no such file; give the filled-in 问题清单.xlsx of the previous period")
    frames, extra = [], []
    for book in books:
        entries, added = _read_book(book)
        frames.append(entries)
        extra += [name for name in added if name not in extra]
    entries = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(ENTRY_COLUMNS))
    for name in extra:
        if name not in entries:
            entries[name] = None
    _check_twice(entries)
    return Ledger(books, entries, extra)


def _read_book(path: Path) -> tuple[pd.DataFrame, list[str]]:
    from openpyxl import load_workbook   # the workbook extra; only a run with a ledger reads one

    if path.suffix.lower() != ".xlsx":
        raise DataError(f"{path}: is not an .xlsx workbook; save the filled-in problem list as Excel "
                        "workbook (.xlsx) and give that")
    try:
        merged = _merged_cells(path)
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as an Excel workbook ({exc}); open it in Excel or WPS and "
                        "save it again as .xlsx") from None
    rows, extra, found = [], [], 0
    try:
        made = _caption_date(book)
        for k, sheet in enumerate(book.worksheets):
            cells = [tuple(row) for row in sheet.iter_rows(values_only=True)]
            header_at, header = _header(cells)
            if header_at is None or not _is_bureau_sheet(sheet.title, header):
                continue
            found += 1
            where = f"{path}, sheet {sheet.title}"
            for ref, first, last in merged.get(k, ()):
                if last > header_at:
                    raise DataError(f"{where}: cells {ref} are merged; unmerge them (Excel/WPS: 合并后居中 → "
                                    "取消单元格合并) and fill in each row, so that every row is one problem")
            columns = _columns(header, where, header_at + 1)
            for name in columns["extra"]:
                if name not in extra:
                    extra.append(name)
            for r, values in enumerate(cells[header_at:], header_at + 1):
                if all(_blank(v) for v in values):
                    continue
                rows.append(_entry(values, columns, made, path, sheet.title, r))
    finally:
        book.close()
    if not found:
        raise DataError(f"{path}: has no bureau sheet (a sheet whose header row holds 村代码, 问题 and the "
                        "columns 责任单位 … 备注); give the problem list covermap wrote, as the bureaus filled it in")
    return pd.DataFrame(rows, columns=[*ENTRY_COLUMNS, *extra]) if rows else \
        pd.DataFrame(columns=[*ENTRY_COLUMNS, *extra]), extra


def _merged_cells(path: Path) -> dict[int, list[tuple[str, int, int]]]:
    """Each sheet's merged ranges (sheet index -> (ref, first row, last row)), read from the
    sheets' XML: openpyxl's fast reading mode does not give them."""
    from openpyxl.utils.cell import range_boundaries

    out: dict[int, list] = {}
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8") if "xl/_rels/workbook.xml.rels" in names \
            else ""
        workbook = archive.read("xl/workbook.xml").decode("utf-8")
        targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
        targets.update({rid: target for target, rid in
                        re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
        for k, rid in enumerate(re.findall(r'<sheet\b[^>]*\br:id="([^"]+)"', workbook)):
            target = targets.get(rid, "").lstrip("/")
            part = target if target.startswith("xl/") else f"xl/{target}"
            if part not in names:
                continue
            text = archive.read(part).decode("utf-8", errors="replace")
            for ref in re.findall(r'<mergeCell\s+ref="([^"]+)"', text):
                _, first, _, last = range_boundaries(ref)
                out.setdefault(k, []).append((ref, first, last))
    return out


def _caption_date(book) -> dt.date | None:
    """The date in the first sheet's caption ("… 2025-12-31 生成"): when a row has no 首次列入,
    the problem was listed no later than that."""
    for sheet in book.worksheets[:1]:
        for row in sheet.iter_rows(min_row=1, max_row=1, values_only=True):
            found = _CAPTION_DATE.search(str(row[0] or "")) if row else None
            if found:
                return dt.date.fromisoformat(found.group(1))
    return None


def _norm(value) -> str:
    return re.sub(r"\s+", "", str(value)).replace("（", "(").replace("）", ")") if value is not None else ""


_HEADERS = {_norm(word): key for key, words in {**KEYS, **FILL_IN}.items() for word in words}


def _header(cells: list[tuple]) -> tuple[int | None, tuple]:
    """The header row (1-based) and its cells: the first row holding 村代码 (Village code)."""
    code = {_norm(word) for word in KEYS["village_code"]}
    for r, row in enumerate(cells[:HEADER_ROWS], 1):
        if any(_norm(v) in code for v in row):
            return r, row
    return None, ()


def _is_bureau_sheet(title: str, header: tuple) -> bool:
    """A bureau's sheet: by its name, or (renamed) by the fill-in columns in its header; not
    covermap's other sheets (整改核查 holds the fill-in columns too, as a report)."""
    from layers.workbook import ALL_SHEETS, _WORDS

    names = {_norm(name) for words in ALL_SHEETS.values() for name in words.values()}   # the plug-ins' too
    others = {_norm(words[key]) for words in _WORDS.values() for key in words if key.startswith("sheet.")}
    base = re.sub(r"\(\d+\)$", "", _norm(title))
    fill = {_norm(word) for words in FILL_IN.values() for word in words}
    return base in names or (base not in others and any(_norm(v) in fill for v in header))


def _columns(header: tuple, where: str, row: int) -> dict:
    """Column index of each key the row holds; what covermap did not write, as ``extra``."""
    from openpyxl.utils import get_column_letter

    found: dict = {"extra": {}}
    listed = {_norm(word) for word in LISTED}
    for k, value in enumerate(header):
        name = _norm(value)
        if not name:
            continue
        key = _HEADERS.get(name)
        if key is None:
            if name not in listed:
                found["extra"][str(value).strip()] = k
        elif key in found:
            raise DataError(f"{where}, row {row - 1}: two columns are headed {str(value).strip()!r} "
                            f"({get_column_letter(found[key] + 1)} and {get_column_letter(k + 1)}); keep one")
        else:
            found[key] = k
    missing = [words[0] for key, words in {**FILL_IN, **{k: KEYS[k] for k in ("village_code", "problem")}}.items()
               if key not in found]
    if missing:
        raise DataError(f"{where}: the header row (row {row - 1}) has no column {'、'.join(missing)}; a bureau sheet "
                        "needs 村代码, 问题 and 责任单位, 整改措施, 计划完成时间, 实际完成时间, 备注 headed as covermap "
                        "wrote them: restore the header text")
    return found


def _entry(values: tuple, columns: dict, made: dt.date | None, path: Path, sheet: str, row: int) -> dict:
    from openpyxl.utils import get_column_letter

    def cell(key):
        k = columns.get(key)
        return values[k] if k is not None and k < len(values) else None

    def place(key) -> str:
        return f"{path}, sheet {sheet}, row {row}, column {get_column_letter(columns[key] + 1)}"

    code = _code(cell("village_code"), lambda: place("village_code"))
    standard = _standard(cell("problem"), lambda: place("problem"))
    entry = {"village_code": code, "standard": standard, "bureau": BY_KEY[standard].bureau,
             "file": str(path), "sheet": sheet, "row": row}
    for key in FILL_IN:
        value = cell(key)
        if key in DATES:
            entry[key] = _date(value, lambda key=key: place(key), FILL_IN[key][0])
        else:
            entry[key] = None if _blank(value) else _text(value)
    listed = _date(cell("first_listed"), lambda: place("first_listed"), KEYS["first_listed"][0]) \
        if "first_listed" in columns else None
    entry["first_listed"] = listed or made
    for name, k in columns["extra"].items():
        value = values[k] if k < len(values) else None
        entry[name] = None if _blank(value) else value
    return entry


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _EMPTY_WORDS) or \
        (isinstance(value, float) and math.isnan(value))


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _code(value, place) -> str:
    """A village code as text: Excel may have stored it as a number."""
    if _blank(value):
        raise DataError(f"{place()}: the row has no 村代码; fill in the village's code, or delete the row if it "
                        "lists no problem")
    if isinstance(value, bool):
        raise DataError(f"{place()}: 村代码 holds {value!r}; give the village's code")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise DataError(f"{place()}: 村代码 {value!r} is not a whole number; give the village's code as text")
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        return text.split(".")[0]
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text):
        raise DataError(f"{place()}: 村代码 {text!r} was shortened by Excel's number format, its digits are lost; "
                        "format the column as text (文本) and type the code again")
    return text


def _standard(value, place) -> str:
    text = _norm(value)
    for suffix in BASIC_SUFFIXES:
        text = text.removesuffix(_norm(suffix))
    for standard in ALL:   # the optional standards' too (layers/standards)
        if text in {_norm(standard.name.zh), _norm(standard.name.en), standard.key}:
            return standard.key
    names = "、".join(s.name.zh for s in ALL)
    raise DataError(f"{place()}: 问题 {'is empty' if not text else f'{value!r} is not a standard covermap checks'}; "
                    f"keep the text covermap wrote (one of {names}, with （基本达标） where it was)")


def _date(value, place, header: str) -> dt.date | None:
    """A date as Excel stores it (a date, a serial number) or as typed as text
    (2026-03-31, 2026/3/31, 2026.3.31, 2026年3月31日, 20260331)."""
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            text = str(int(value))
        elif 1 <= value < 80000:   # Excel's serial day (1 = 1900-01-01): a date cell formatted as a number
            from openpyxl.utils.datetime import from_excel
            found = from_excel(value)
            return found.date() if isinstance(found, dt.datetime) else found
        else:
            text = str(value)
    else:
        text = str(value).strip()
    found = _DATE_TEXT.fullmatch(text) or _COMPACT.fullmatch(text)
    if found:
        try:
            return dt.date(*map(int, found.groups()))
        except ValueError:
            pass
    raise DataError(f"{place()}: {header} {text!r} is not a date; write it as 2027-06-30 (or 2027年6月30日)")


def _check_twice(entries: pd.DataFrame) -> None:
    """One row per problem: the same village and standard twice would carry two answers."""
    twice = entries.duplicated(["village_code", "standard"], keep=False)
    if twice.any():
        rows = entries[twice].sort_values(["village_code", "standard"], kind="stable").head(2)
        a, b = rows.iloc[0], rows.iloc[1]
        raise DataError(f"{b['file']}, sheet {b['sheet']}, row {b['row']}: lists village {b['village_code']} "
                        f"{BY_KEY[b['standard']].name.zh} again (also sheet {a['sheet']}, row {a['row']}); keep "
                        "one row per problem and delete the other")
