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

Pure reading and deciding; the workbook (``layers.workbook``) shows the result and carries
the entries forward, the pipeline writes ledger.csv.
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
from layers.verdicts import BASIC, BY_KEY, FAILS, MEETS, NO_DATA, STANDARDS, T

FALSE_CLOSURE, OVERDUE, NO_MEASURE = "false_closure", "overdue", "no_measure"
UNKNOWN_VILLAGE, UNVERIFIABLE, IN_PROGRESS = "unknown_village", "unverifiable", "in_progress"
CLOSED_UNRECORDED, VERIFIED_CLOSED = "closed_unrecorded", "verified_closed"
STATUSES = (FALSE_CLOSURE, OVERDUE, NO_MEASURE, UNKNOWN_VILLAGE, UNVERIFIABLE, IN_PROGRESS, CLOSED_UNRECORDED,
            VERIFIED_CLOSED)   # the order the 整改核查 sheet lists them in: what needs action first
FINDINGS = (FALSE_CLOSURE, OVERDUE, NO_MEASURE, UNKNOWN_VILLAGE)   # reported as warnings too

STATUS_WORDS = {
    FALSE_CLOSURE: T(zh="账实不符", en="claimed fixed, still failing"),
    OVERDUE: T(zh="逾期", en="overdue"),
    NO_MEASURE: T(zh="未填整改措施", en="no corrective measure"),
    UNKNOWN_VILLAGE: T(zh="村代码不在本期名单", en="village not in this run"),
    UNVERIFIABLE: T(zh="本期无数据，无法核实", en="no data this run, cannot verify"),
    IN_PROGRESS: T(zh="整改中", en="in progress"),
    CLOSED_UNRECORDED: T(zh="已达标，未填实际完成时间", en="meets now, no completion date"),
    VERIFIED_CLOSED: T(zh="已核实销号", en="verified closed"),
}

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


def status_word(status: str, lang: str) -> str:
    return STATUS_WORDS[status](lang)


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
    from layers.workbook import BUREAU_SHEETS, _WORDS

    names = {_norm(name) for words in BUREAU_SHEETS.values() for name in words.values()}
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
    for standard in STANDARDS:
        if text in {_norm(standard.name.zh), _norm(standard.name.en), standard.key}:
            return standard.key
    names = "、".join(s.name.zh for s in STANDARDS)
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


# -- against this run --------------------------------------------------------------------------


def review(ledger: Ledger, villages: pd.DataFrame, as_of: dt.date, max_days: int, lang: str = "zh") -> pd.DataFrame:
    """Every ledger entry with its status against this run's ``villages`` (village_code,
    names, {standard}_verdict, _reason and value columns) on ``as_of``: ``ENTRY_COLUMNS``, the
    extra columns, and village_name, township_code, township_name, verdict, value, reason,
    status, status_text, days_listed; ordered by ``STATUSES``, then village and standard."""
    entries = ledger.entries.copy()
    table = villages.set_index(villages["village_code"].astype(str))
    known = entries["village_code"].isin(table.index).to_numpy()
    codes = entries["village_code"].where(known, None)
    for name in ("village_name", "township_code", "township_name"):
        entries[name] = table[name].reindex(codes).to_numpy() if name in table else None
    verdict = np.full(len(entries), None, dtype=object)
    value = np.full(len(entries), np.nan)
    reason = np.full(len(entries), None, dtype=object)
    for standard in STANDARDS:
        rows = (entries["standard"] == standard.key).to_numpy() & known
        if not rows.any():
            continue
        picked = table.reindex(entries.loc[rows, "village_code"])
        verdict[rows] = picked[f"{standard.key}_verdict"].fillna(NO_DATA).to_numpy()
        if standard.value_column in picked:
            value[rows] = pd.to_numeric(picked[standard.value_column], errors="coerce").to_numpy(dtype=float)
        reason[rows] = picked[f"{standard.key}_reason"].to_numpy()
    entries["verdict"], entries["value"], entries["reason"] = verdict, value, reason
    listed = pd.to_datetime(entries["first_listed"], errors="coerce")
    entries["days_listed"] = (pd.Timestamp(as_of) - listed).dt.days.astype("Int64")
    completed = entries["completed_date"].notna().to_numpy()
    planned = pd.to_datetime(entries["planned_date"], errors="coerce")
    late = (planned < pd.Timestamp(as_of)).fillna(False).to_numpy(dtype=bool)
    no_measure = entries["measure"].isna().to_numpy() & \
        (entries["days_listed"].fillna(-1) > max_days).to_numpy(dtype=bool)
    open_now = np.isin(verdict, [FAILS, BASIC])
    status = np.select(
        [~known, verdict == NO_DATA, (verdict == MEETS) & completed, verdict == MEETS,
         open_now & completed, open_now & late, open_now & no_measure],
        [UNKNOWN_VILLAGE, UNVERIFIABLE, VERIFIED_CLOSED, CLOSED_UNRECORDED, FALSE_CLOSURE, OVERDUE, NO_MEASURE],
        default=IN_PROGRESS)
    entries["status"] = status
    entries["status_text"] = [status_word(s, lang) for s in status]
    entries["order"] = entries["status"].map({s: k for k, s in enumerate(STATUSES)})
    entries = entries.sort_values(["order", "village_code", "standard"], kind="stable", ignore_index=True)
    return entries.drop(columns="order")


def counts(reviewed: pd.DataFrame) -> dict[str, int]:
    """Entries per status (every status, zeros too)."""
    n = reviewed["status"].value_counts()
    return {status: int(n.get(status, 0)) for status in STATUSES}


def summary_line(reviewed: pd.DataFrame, lang: str = "zh") -> str:
    """台账核查：账实不符 2、逾期 3、… (the findings always, other statuses where there are some)."""
    n = counts(reviewed)
    shown = [s for s in STATUSES if s in FINDINGS[:3] or n[s]]
    each = T(zh="、", en=", ")(lang).join(f"{status_word(s, lang)} {n[s]}" for s in shown)
    return T(zh="台账核查（{n} 条）：{each}", en="ledger review ({n} rows): {each}").format(lang, n=len(reviewed),
                                                                                     each=each)


def finding_text(row: pd.Series, lang: str = "zh") -> str:
    """One warning line for an entry whose status needs action."""
    name = row.get("village_name") or row["village_code"]
    standard = BY_KEY[row["standard"]].name(lang)
    where = T(zh="{sheet} 第 {row} 行", en="sheet {sheet}, row {row}").format(lang, sheet=row["sheet"], row=row["row"])
    words = {
        FALSE_CLOSURE: T(zh="{name} {standard}：台账填写 {date} 已完成整改，本期仍{verdict}（{reason}）；{where}",
                         en="{name} {standard}: the ledger says fixed on {date}, still {verdict} ({reason}); {where}"),
        OVERDUE: T(zh="{name} {standard}：计划 {date} 完成，已逾期，本期仍{verdict}；{where}",
                   en="{name} {standard}: planned for {date}, overdue, still {verdict}; {where}"),
        NO_MEASURE: T(zh="{name} {standard}：列入清单 {date} 天仍未填写整改措施；{where}",
                      en="{name} {standard}: listed {date} days ago, no corrective measure yet; {where}"),
        UNKNOWN_VILLAGE: T(zh="台账中的村代码 {name}（{standard}）不在本期名单；核对代码是否变更；{where}",
                           en="village code {name} ({standard}) of the ledger is not in this run; check whether "
                              "the code changed; {where}"),
    }
    from layers.verdicts import word

    date = {FALSE_CLOSURE: row["completed_date"], OVERDUE: row["planned_date"]}.get(row["status"], row["days_listed"])
    return words[row["status"]].format(lang, name=name, standard=standard, where=where, date=date,
                                       verdict=word(row["verdict"], lang) if row["verdict"] else "",
                                       reason=row.get("reason") or "")


def carried(reviewed: pd.DataFrame, gaps: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The bureau's entries under this run's gap rows (same village and standard), in the
    gaps' order: the fill-in columns, first_listed (this run's date for a new problem) and
    the extra columns."""
    keep = [*FILL_IN, "first_listed", *[c for c in reviewed.columns if c not in _REVIEW_COLUMNS]]
    keyed = _merged(reviewed.set_index(["village_code", "standard"])[keep])
    index = pd.MultiIndex.from_arrays([gaps["village_code"].astype(str), gaps["standard"].astype(str)])
    out = keyed.reindex(index).reset_index(drop=True)
    out["first_listed"] = out["first_listed"].where(out["first_listed"].notna(), as_of)
    return out


def _merged(keyed: pd.DataFrame) -> pd.DataFrame:
    """One entry per problem where villages merged (two old codes, one new): the texts of
    both joined with "；", the earliest planned date and first listing, the completion date
    only when both were completed (the latest)."""
    if not keyed.index.has_duplicates:
        return keyed

    def texts(values: pd.Series):
        found = [str(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
        return "；".join(dict.fromkeys(found)) or None

    rules = {name: texts for name in keyed.columns}
    rules.update(planned_date="min", first_listed="min",
                 completed_date=lambda v: v.max() if v.notna().all() else None)
    return keyed.groupby(level=[0, 1], sort=False).agg(rules)


def recode(ledger: Ledger, codes: pd.DataFrame) -> Ledger:
    """The ledger with its villages' codes changed as a code-change table (old_code,
    new_code) says: the period's merges and renames, so that a merged village's problems are
    read under its new code; ``ledger_code`` keeps the code as the bureau wrote it."""
    entries = ledger.entries.assign(ledger_code=ledger.entries["village_code"])
    mapping = codes.drop_duplicates("old_code").set_index("old_code")["new_code"]
    entries["village_code"] = entries["village_code"].map(mapping).fillna(entries["village_code"])
    return Ledger(ledger.paths, entries, ledger.extra)


_REVIEW_COLUMNS = {"ledger_code", *ENTRY_COLUMNS, "village_name", "township_code", "township_name", "verdict", "value", "reason",
                   "status", "status_text", "days_listed"}
