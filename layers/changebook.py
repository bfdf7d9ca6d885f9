"""The comparison of runs as a workbook (变化清单.xlsx, changes_list.xlsx in English), for the
bureaus working their lists: 汇总 (per bureau and township: 本期销号, 新增问题, 仍未解决 and
the other changes), one sheet per bureau listing its changed problems (closed first, then
new, then persisting) and 趋势 (open, closed and new per run and bureau, with a line chart
Excel and WPS draw themselves). Made with layers.workbook's sheets and frame.

When the villages lie in several counties, as the run's 问题清单: a workbook per county
(``counties/<county>_变化清单.xlsx``: its 汇总 and bureau sheets) and at the top 汇总 per
county (with a link to its workbook), 各乡镇 per bureau and township, and 趋势.

The bureau sheets' rows (490,000 villages: 1.4 million) are made as whole columns with
Arrow's string kernels, a block of rows at a time, never as a Python object a cell."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.chart import BarChart, LineChart, Reference

from gis.child import share_out
from layers import compare as cmp
from layers.standards import ALL, METRES, SHARE
from layers.trend import per_bureau
from layers.verdicts import BASIC, FAILS, MEETS, NO_DATA, NOT_APPLICABLE, T, bureau_name, standard_name, word
from layers.workbook import (ALL_SHEETS, BUREAU_SHEETS, COUNTY_FOLDER, make_county_folder, LINE_HEIGHT, PER_SHEET, Column, Sheet, _counties,
                             _number_width, _width, _write_book)

NAMES = {"zh": "变化清单.xlsx", "en": "changes_list.xlsx"}
SHEET_WORDS = {
    "summary": T(zh="汇总", en="Summary"), "trend": T(zh="趋势", en="Trend"),
    "bureau": T(zh="部门", en="Bureau"), "township_code": T(zh="乡镇代码", en="Township code"),
    "township": T(zh="乡镇", en="Township"), "no": T(zh="序号", en="No."), "village": T(zh="行政村", en="Village"),
    "code": T(zh="村代码", en="Village code"), "old_code": T(zh="上期村代码", en="Previous code"),
    "problem": T(zh="问题", en="Problem"), "change": T(zh="变化", en="Change"),
    "old_verdict": T(zh="上期状态", en="Before"), "new_verdict": T(zh="本期状态", en="Now"),
    "old_value": T(zh="上期值", en="Value before"), "new_value": T(zh="本期值", en="Value now"),
    "new_reason": T(zh="本期原因", en="Reason now"), "old_reason": T(zh="上期原因", en="Reason before"),
    "settings": T(zh="限值改变", en="Limit changed"), "yes": T(zh="是", en="yes"),
    "run": T(zh="期次", en="Run"), "open": T(zh="{bureau}未解决", en="{bureau}: open"),
    "closed": T(zh="{bureau}本期销号", en="{bureau}: closed"), "new": T(zh="{bureau}新增", en="{bureau}: new"),
    "open_title": T(zh="各部门未解决问题", en="Open problems per bureau"),
    "period_title": T(zh="各期销号与新增", en="Closed and new per period"),
    "caption": T(zh="covermap 变化清单 · 上期 {old} · 本期 {new}", en="covermap changes · before {old} · now {new}"),
    "total": T(zh="合计", en="Total"), "county": T(zh="县级区划代码", en="County code"),
    "townships": T(zh="各乡镇", en="Townships"), "workbook": T(zh="变化清单", en="changes list"),
}
# the summary's change columns, in the order a bureau works through them
SUMMARY_CHANGES = (cmp.CLOSED, cmp.NEW, cmp.PERSISTING, cmp.IMPROVED, cmp.WORSENED, cmp.DATA_GAINED, cmp.DATA_LOST,
                   cmp.VILLAGE_ADDED, cmp.VILLAGE_REMOVED, cmp.SCOPE_CHANGED)
VERDICT_KEYS = (MEETS, BASIC, FAILS, NO_DATA, NOT_APPLICABLE)
LIST_WORDS = {cmp.CLOSED: T(zh="本期销号", en="closed"), cmp.NEW: T(zh="新增问题", en="new problem"),
              cmp.PERSISTING: T(zh="仍未解决", en="persisting")}


def change_label(key: str, lang: str) -> str:
    """The words of the workbook: 本期销号 / 新增问题 / 仍未解决, the others as compare has them."""
    return LIST_WORDS[key](lang) if key in LIST_WORDS else cmp.change_word(key, lang)


def workbook_names(changes: pd.DataFrame, lang: str) -> tuple[str, ...]:
    """The names the workbook takes in CHANGES_DIR: 变化清单.xlsx, and the county folder
    when the villages lie in several counties."""
    return (NAMES[lang], COUNTY_FOLDER) if len(_counties(changes)) > 1 else (NAMES[lang],)


def county_workbook(county: str, lang: str) -> str:
    """The file name of one county's workbook inside ``COUNTY_FOLDER``."""
    return f"{county}_{NAMES[lang]}"


def write_changebook(folder: Path, changes: pd.DataFrame, trend: pd.DataFrame, labels: tuple[str, str],
                     lang: str = "zh") -> list[Path]:
    """The workbooks of ``changes`` (layers.compare.COLUMNS) and ``trend`` (layers.trend) in
    ``folder`` (the names of ``workbook_names``); the paths written, the top one first."""
    folder = Path(folder)
    w = {key: text(lang) for key, text in SHEET_WORDS.items()}
    caption = w["caption"].format(old=labels[0], new=labels[1])
    counties = _counties(changes)
    split = len(counties) > 1
    listings = _Listings(changes, lang, w, split)
    summary = _summary_table(changes, split)
    top = folder / NAMES[lang]
    if not split:
        _write(top, [Sheet(w["summary"], _summary_columns(summary, lang, w), total=True), *listings.sheets(""),
                     _trend_sheet(trend, lang, w)], lang, caption, {})
        return [top]
    county_folder = make_county_folder(folder)
    per_county = summary.groupby("county", sort=True)[list(SUMMARY_CHANGES)].sum().reindex(counties, fill_value=0)
    files = [f"{COUNTY_FOLDER}/{county_workbook(county, lang)}" for county in counties]
    _write(top, [Sheet(w["summary"], [Column(w["county"], counties),
                                      *(Column(change_label(key, lang), per_county[key].astype(int).tolist())
                                        for key in SUMMARY_CHANGES),
                                      Column(w["workbook"], files, style="link")], total=True),
                 Sheet(w["townships"], _summary_columns(summary, lang, w, county=w["county"]), total=True),
                 _trend_sheet(trend, lang, w)], lang, caption, {})
    whole = Sheet(w["summary"], _summary_columns(summary, lang, w), total=True)
    rows = summary.groupby("county", sort=False).indices
    empty = np.zeros(0, dtype=np.int64)
    paths = [county_folder / county_workbook(county, lang) for county in counties]
    frames: dict = {}
    parts = listings.parts(counties, PARTS)

    def part(k: int) -> None:
        first, stop, listings.until = parts[k]
        for county, path in zip(counties[first:stop], paths[first:stop]):
            _write(path, [whole.take(rows.get(county, empty)), *listings.sheets(county)], lang, caption, frames)

    share_out(part, len(parts), "county workbooks")   # on every core: the rows' XML and its deflate
    return [top, *paths]


def _sheets(changes: pd.DataFrame) -> dict[str, dict[str, str]]:
    """The bureau sheets: the five standards' bureaus', then those of the optional standards
    with a row (layers/standards), each bureau's sheet names by language."""
    return {**BUREAU_SHEETS, **{b: ALL_SHEETS[b] for b in cmp.bureaus_in(changes) if b not in BUREAU_SHEETS}}


def _summary_table(changes: pd.DataFrame, by_county: bool) -> pd.DataFrame:
    """Changes per bureau and township (and county), a column per change, in the order of
    the bureaus and the township codes (within each county)."""
    keys = {"bureau": changes["bureau"], "township_code": changes["township_code"].fillna(""),
            "township_name": changes["township_name"].fillna("")}
    if by_county:
        keys = {"county": changes["village_code"].astype(str).str[:6], **keys}
    counted = pd.DataFrame({**keys, "change": changes["change"]}).groupby([*keys, "change"], sort=True).size()
    table = counted.unstack("change", fill_value=0).reindex(columns=list(SUMMARY_CHANGES), fill_value=0)
    table = table.rename_axis(columns=None).reset_index()
    rank = {key: k for k, key in enumerate(_sheets(changes))}
    return table.sort_values([*(["county"] if by_county else []), "bureau", "township_code"],
                             key=lambda c: c.map(rank) if c.name == "bureau" else c, kind="stable", ignore_index=True)


def _summary_columns(table: pd.DataFrame, lang: str, w: dict, county: str | None = None) -> list[Column]:
    return [Column(w["bureau"], [bureau_name(b, lang) for b in table["bureau"]]),
            *([Column(county, table["county"].tolist())] if county else []),
            Column(w["township_code"], table["township_code"].tolist()),
            Column(w["township"], table["township_name"].tolist()),
            *(Column(change_label(key, lang), table[key].astype(int).tolist()) for key in SUMMARY_CHANGES)]


# -- the bureau sheets ------------------------------------------------------------------------

BLOCK = 65_536                   # rows made into XML at a time
PARTS = 8                        # runs of counties (about as many rows each) shared out to the cores


@dataclass
class _Listing:
    """One bureau sheet of one workbook: rows [start, stop) of the ordered listings."""

    title: str
    columns: list[Column]   # headers and widths (the cells are the listings')
    rows: _Listings
    start: int
    stop: int
    total = False
    chart = None

    def __len__(self) -> int:
        return self.stop - self.start


class _Blocks:
    """A listing's rows [start, stop) as ``_Frame.write`` takes a sheet's rows: as many as
    there are rows; a slice of it, those rows' XML (UTF-8)."""

    def __init__(self, listing: _Listing, start: int, stop: int, ids: dict):
        self.listing, self.start, self.stop, self.ids = listing, start, stop, ids

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, part: slice) -> bytes:
        a, b, _ = part.indices(len(self))
        at = self.listing.start + self.start
        return self.listing.rows.xml(at + a, at + b, self.ids) if b > a else b""


class _Listings:
    """Every changed problem of the four bureaus, ordered by county (when the workbooks are
    split by county), bureau, change (closed, new, persisting ...) and village code, the
    order ``changes`` has kept within those; the cells of each column as Arrow arrays in the
    changes' order, made into rows of XML a block at a time (``xml``)."""

    def __init__(self, changes: pd.DataFrame, lang: str, w: dict, by_county: bool):
        self.sheet_names = _sheets(changes)
        bureau = pd.Categorical(changes["bureau"].astype(str), categories=list(self.sheet_names)).codes
        change = pd.Categorical(changes["change"].astype(str), categories=list(SUMMARY_CHANGES)).codes
        code = _arrow(changes["village_code"].astype(str))
        county = pc.utf8_slice_codeunits(code, 0, 6) if by_county else pa.nulls(len(changes), pa.string())
        kept = np.flatnonzero(bureau >= 0)
        keys = pa.table({"county": county, "bureau": bureau, "change": np.where(change < 0, len(SUMMARY_CHANGES),
                                                                                change), "code": code}).take(kept)
        order = kept[pc.sort_indices(keys, sort_keys=[(name, "ascending") for name in keys.column_names]).to_numpy()]
        self.order = order
        self.county = np.asarray(county.take(pa.array(order)).to_numpy(zero_copy_only=False), dtype=object) \
            if by_county else np.full(len(order), "", dtype=object)
        ranks = bureau[order]
        # a sheet: the rows of one county and bureau, together in the order
        edge = np.flatnonzero((ranks[1:] != ranks[:-1]) | (self.county[1:] != self.county[:-1])) + 1
        starts, stops = np.r_[0, edge], np.r_[edge, len(order)]
        self.sheet_rows = {(self.county[a], int(ranks[a])): (int(a), int(b)) for a, b in zip(starts, stops)
                           if b > a}
        first = np.repeat(starts, stops - starts)
        self.number = np.arange(len(order)) - first + 1          # 序号, from 1 in each sheet
        self.lang, self.rank = lang, bureau
        self.cells = self._cells(changes, lang, w)
        self.columns = self._columns(changes, bureau, w)
        self._block: tuple | None = None
        self.until = len(order)   # no block of XML made past this row (the end of the counties written here)

    def sheets(self, county: str) -> list[_Listing]:
        """The bureau sheets of ``county``'s workbook (all the rows' when not split: "")."""
        out = []
        for k, names in enumerate(self.sheet_names.values()):
            start, stop = self.sheet_rows.get((county, k), (0, 0))
            out.append(_Listing(names[self.lang], self.columns[k], self, start, stop))
        return out

    def parts(self, counties: list[str], count: int) -> list[tuple[int, int, int]]:
        """``counties`` (in code order, as the rows are) cut into at most ``count`` runs of
        about as many rows each: (first county, last county + 1, the row after the run's)."""
        ends = np.zeros(len(counties), dtype=np.int64)
        at = {county: k for k, county in enumerate(counties)}
        for (county, _), (_, stop) in self.sheet_rows.items():
            if county in at:
                ends[at[county]] = max(ends[at[county]], stop)
        ends = np.maximum.accumulate(ends)   # a county without rows ends where the one before it does
        total = int(ends[-1]) if len(ends) else 0
        cuts = np.searchsorted(ends, [total * k / count for k in range(1, count)], side="left") + 1
        bounds = np.unique(np.r_[0, cuts.clip(1, len(counties)), len(counties)])
        return [(int(a), int(b), int(ends[b - 1])) for a, b in zip(bounds[:-1], bounds[1:])]

    def _cells(self, changes: pd.DataFrame, lang: str, w: dict) -> dict:
        """Each column's cells (Arrow, in the changes' order): text (null: empty), the
        values' numbers as text, their shares."""
        standard = _arrow(changes["standard"].astype(str))
        shares = pc.is_in(standard, pa.array([s.key for s in ALL if s.unit == SHARE]))
        metres = pc.is_in(standard, pa.array([s.key for s in ALL if s.unit == METRES]))   # others: plain numbers
        old_code, code = _arrow(changes["old_village_code"].astype(str)), _arrow(changes["village_code"].astype(str))
        verdicts = {key: word(key, lang) for key in VERDICT_KEYS}
        cells = {
            "township": _arrow(changes["township_name"]), "village": _arrow(changes["village_name"]),
            "code": code, "old_code": pc.if_else(pc.not_equal(old_code, code), old_code, pa.scalar(None, pa.string())),
            "problem": _words(standard, {s.key: standard_name(s.key, lang) for s in ALL}),
            "change": _words(_arrow(changes["change"].astype(str)),
                             {key: change_label(key, lang) for key in cmp.CHANGE_WORDS}),
            "old_verdict": _words(_arrow(changes["old_verdict"]), verdicts),
            "new_verdict": _words(_arrow(changes["new_verdict"]), verdicts),
            "new_reason": _arrow(changes["new_reason"]), "old_reason": _arrow(changes["old_reason"]),
            "settings": _words(_arrow(changes["settings_changed"]), {"yes": w["yes"]}),
        }
        self.escapes = {key: _escapes(text) for key, text in cells.items()}
        shared = np.asarray(shares.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        cells["shares"] = shared
        cells["metres"] = np.asarray(metres.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        for side in ("old", "new"):
            raw = pd.to_numeric(changes[f"{side}_value"], errors="coerce").to_numpy(dtype=float)
            cells[f"{side}_value"] = raw
        return cells

    def _columns(self, changes: pd.DataFrame, bureau: np.ndarray, w: dict) -> list[list[Column]]:
        """Each bureau sheet's columns: headers, styles and widths fitted to the bureau's rows
        (as ``layers.workbook._width`` fits them)."""
        c = self.cells
        longest = {key: _display(c[key]) for key in ("township", "village", "code", "old_code", "problem", "change",
                                                     "old_verdict", "new_verdict", "new_reason", "old_reason",
                                                     "settings")}
        self.shown = {key: longest[key] for key in ("new_reason", "old_reason")}   # for the rows' heights
        magnitude = np.fmax(np.abs(_shown(c["old_value"], c["shares"])), np.abs(_shown(c["new_value"], c["shares"])))
        out = []
        for k in range(len(self.sheet_names)):
            mine = bureau == k
            count = int(mine.sum())

            def fit(header: str, key: str | None = None, style: str | None = None) -> float:
                most = int(longest[key][mine].max(initial=0)) if key else len(f"{count:,}") if count else 0
                return _width(Column(header, ["x" * most] if most else [], style=style))

            values = magnitude[mine]
            values = values[~np.isnan(values)]
            width = max(_number_width([float(values.max())] if len(values) else [], 3), 10)
            out.append([Column(w["no"], (), width=fit(w["no"]), numbered=True),
                        Column(w["township"], (), width=fit(w["township"], "township")),
                        Column(w["village"], (), width=fit(w["village"], "village")),
                        Column(w["code"], (), width=fit(w["code"], "code")),
                        Column(w["old_code"], (), width=fit(w["old_code"], "old_code")),
                        Column(w["problem"], (), width=fit(w["problem"], "problem")),
                        Column(w["change"], (), width=fit(w["change"], "change")),
                        Column(w["old_verdict"], (), width=fit(w["old_verdict"], "old_verdict")),
                        Column(w["new_verdict"], (), width=fit(w["new_verdict"], "new_verdict")),
                        Column(w["old_value"], (), style="metres", width=width),
                        Column(w["new_value"], (), style="metres", width=width),
                        Column(w["new_reason"], (), style="wrap", width=fit(w["new_reason"], "new_reason", "wrap")),
                        Column(w["old_reason"], (), style="wrap", width=fit(w["old_reason"], "old_reason", "wrap")),
                        Column(w["settings"], (), width=fit(w["settings"], "settings"))])
        return out

    def xml(self, start: int, stop: int, ids: dict) -> bytes:
        """Rows [start, stop) of the order as SpreadsheetML ``<row>`` elements, as
        ``layers.workbook._rows_xml`` writes them (the rows of a block made at once)."""
        block = self._block
        if block is None or block[2] is not ids or not block[0] <= start <= stop <= block[1]:
            end = max(stop, min(self.until, start + BLOCK))
            block = self._block = (start, end, ids, self._make(start, end, ids))
        first, _, _, rows = block
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64 if pa.types.is_large_string(rows.type) else np.int32)
        offsets = offsets[rows.offset:]
        data = rows.buffers()[2]
        return data[int(offsets[start - first]):int(offsets[stop - first])].to_pybytes()

    def _make(self, start: int, stop: int, ids: dict) -> pa.Array:
        take = pa.array(self.order[start:stop])
        c = self.cells
        number = self.number[start:stop]
        at = pc.cast(pa.array((number - 1) % PER_SHEET + 3), pa.string())   # the row in its part of a sheet
        shares = c["shares"][self.order[start:stop]]
        cells = [_number_cells("A", at, pc.cast(pa.array(number), pa.string()), ids[None])]
        for letter, key in zip("BCDEFGHI", ("township", "village", "code", "old_code", "problem", "change",
                                             "old_verdict", "new_verdict")):
            cells.append(_text_cells(letter, at, _taken(c[key], take), ids[None], self.escapes[key]))
        metres = c["metres"][self.order[start:stop]]
        styles = pc.if_else(pa.array(shares), ids["percent"], pc.if_else(pa.array(metres), ids["metres"], ids[None]))
        for letter, side in (("J", "old_value"), ("K", "new_value")):
            cells.append(_number_cells(letter, at, _number_texts(c[side][self.order[start:stop]], shares), styles))
        lines = np.ones(stop - start, dtype=np.int64)
        ranks = self.rank[self.order[start:stop]]   # the wrapped columns' widths: those of the rows' bureau
        for letter, key, k in (("L", "new_reason", 11), ("M", "old_reason", 12)):
            cells.append(_text_cells(letter, at, _taken(c[key], take), ids["wrap"], self.escapes[key]))
            widths = np.array([self.columns[b][k].width for b in range(len(self.sheet_names))])[ranks]
            per_line = np.maximum(widths - 1.0, 1.0) * 0.9
            lines = np.maximum(lines, np.ceil(self.shown[key][self.order[start:stop]] / per_line).astype(np.int64))
        cells.append(_text_cells("N", at, _taken(c["settings"], take), ids[None], self.escapes["settings"]))
        high = pc.binary_join_element_wise(' ht="', pc.cast(pa.array(_height(lines)), pa.string()),
                                           '" customHeight="1"', "")
        high = pc.if_else(pa.array(lines > 1), high, "")
        rows = pc.binary_join_element_wise('<row r="', at, '"', high, ">", *cells, "</row>", "")
        return rows.combine_chunks() if isinstance(rows, pa.ChunkedArray) else rows


def _height(lines: np.ndarray) -> np.ndarray:
    """A row's height in points, whole as ``f"{LINE_HEIGHT * k:g}"`` writes it."""
    if LINE_HEIGHT != int(LINE_HEIGHT):
        raise RuntimeError("layers/changebook: row heights are written as whole points")
    return lines * int(LINE_HEIGHT)


def _arrow(series: pd.Series) -> pa.Array:
    """A column of text as one Arrow array (missing values null): pandas' own Arrow array
    where it holds one (no copy; large_string), else made."""
    values = series.array._pa_array if isinstance(series.dtype, pd.StringDtype) and \
        hasattr(series.array, "_pa_array") else pa.array(series.astype(object), type=pa.string(), from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.string())
    return values


def _words(keys: pa.Array, words: dict[str, str]) -> pa.Array:
    """The word of each key (null where there is none)."""
    return pa.array(list(words.values()), type=pa.string()).take(pc.index_in(keys, pa.array(list(words), pa.string())))


def _taken(text: pa.Array, rows: pa.Array) -> pa.Array:
    """The cells at ``rows``, as text with 32-bit offsets (a block's, whatever the column's)."""
    return text.take(rows).cast(pa.string())


def _display(text: pa.Array) -> np.ndarray:
    """``layers.workbook._display_width`` of each cell (0 where empty)."""
    width = pc.divide(pc.add(pc.binary_length(text), pc.utf8_length(text)), 2)
    return np.asarray(width.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)


def _shown(raw: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """The values as the cells hold them: shares to three decimals, metres whole."""
    return np.where(shares, np.round(raw, 3), np.rint(raw))


def _number_texts(raw: np.ndarray, shares: np.ndarray) -> pa.Array:
    """The value cells' numbers as ``layers.workbook`` writes them: a share as Python's
    ``repr(round(v, 3))``, metres as a whole number; null where there is no value."""
    known = ~np.isnan(raw)
    whole = pc.cast(pa.array(np.rint(np.where(known & ~shares, raw, 0)).astype(np.int64)), pa.string())
    texts = np.full(len(raw), None, dtype=object)
    part = known & shares
    texts[part] = _rounded_texts(raw[part])
    fractions = pa.array(texts, type=pa.string())
    return pc.if_else(pa.array(known & ~shares), whole, fractions)


def _rounded_texts(values: np.ndarray) -> np.ndarray:
    """``repr(round(v, 3))`` of each value: numpy's rounding (times 1,000, to the nearest
    whole, divided) is Python's wherever the value times 1,000 is not within a millionth of a
    half (there Python rounds; and from a million on); each distinct result written once."""
    rounded = np.round(values, 3)
    with np.errstate(invalid="ignore"):   # infinities: Python's
        scaled = values * 1000.0
        python = ~(np.abs(values) < 1e6) | (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    if python.any():
        rounded[python] = [round(v, 3) for v in values[python].tolist()]
    distinct, inverse = np.unique(rounded.view(np.int64), return_inverse=True)   # -0.0 apart from 0.0
    return np.array([repr(v) for v in distinct.view(np.float64).tolist()], dtype=object)[inverse.reshape(-1)]


def _text_cells(letter: str, at: pa.Array, text: pa.Array, style: str, escape: tuple[str, ...]) -> pa.Array:
    """Inline-string cells of ``text`` in column ``letter`` at rows ``at``; "" where empty.
    ``escape``: what ``_escaped`` has to do to the column (``_escapes``)."""
    space = pc.or_(pc.utf8_is_space(pc.utf8_slice_codeunits(text, 0, 1)),
                   pc.utf8_is_space(pc.utf8_slice_codeunits(text, -1, _BIG)))
    cells = pc.binary_join_element_wise(f'<c r="{letter}', at, f'"{style} t="inlineStr"><is><t',
                                        pc.if_else(space, ' xml:space="preserve"', ""), ">", _escaped(text, escape),
                                        "</t></is></c>", "")
    return cells.fill_null("")


_BIG = 1 << 30


def _number_cells(letter: str, at: pa.Array, text: pa.Array, style) -> pa.Array:
    """Number cells of ``text`` (the numbers as text) in column ``letter``; "" where empty."""
    cells = pc.binary_join_element_wise(f'<c r="{letter}', at, '"', style, "><v>", text, "</v></c>", "")
    return cells.fill_null("")


def _escapes(text: pa.Array) -> tuple[str, ...]:
    """What a column of text needs to become XML character data: the characters of ``&<>``
    it holds, and ``_CONTROL`` when it holds a control character XML cannot hold. Looked
    for in the cells' UTF-8 bytes (where these characters are single bytes) a slice at a
    time: a regular expression over each cell took four times as long."""
    if len(text) == 0 or text.buffers()[2] is None:
        return ()
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64 if pa.types.is_large_string(text.type) else np.int32)
    first, last = int(offsets[text.offset]), int(offsets[text.offset + len(text)]) if len(text) else 0
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)[first:last] if last > first else np.zeros(0, np.uint8)
    found = set()
    for start in range(0, len(data), _SLICE):
        part = data[start:start + _SLICE]
        found.update(plain for plain in _ENTITIES if plain not in found and (part == ord(plain)).any())
        low = part[part < 0x20]
        if len(low) and np.isin(low, _ALLOWED, invert=True).any():
            found.add(_CONTROL)
    return tuple(plain for plain in _ENTITIES if plain in found) + ((_CONTROL,) if _CONTROL in found else ())


_SLICE = 1 << 24
_ALLOWED = np.array([0x09, 0x0A, 0x0D], dtype=np.uint8)   # tab, line feed, carriage return: XML holds them


def _escaped(text: pa.Array, escape: tuple[str, ...]) -> pa.Array:
    """Text as XML character data, as ``layers.workbook._xml_text`` makes it (``escape``:
    the column's ``_escapes``)."""
    for plain in _ENTITIES:
        if plain in escape:
            text = pc.replace_substring(text, plain, _ENTITIES[plain])
    return pc.replace_substring_regex(text, _CONTROL, "") if _CONTROL in escape else text


_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}   # in this order


_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def _write(path: Path, sheets: list, lang: str, caption: str, frames: dict) -> None:
    """``layers.workbook._write_book``, the bureau sheets' rows (``_Listing``) given to the
    frame as blocks of XML made as it writes them."""
    _write_book(path, sheets, lang, caption, frames,
                rows_of=lambda sheet, start, stop, ids: _Blocks(sheet, start, stop, ids)
                if isinstance(sheet, _Listing) else None)


def _trend_sheet(trend: pd.DataFrame, lang: str, w: dict) -> Sheet:
    """One row per run: each bureau's open problems, then closed and new in the period; a
    line chart of the open problems and a bar chart of closed and new beside the table."""
    table = per_bureau(trend)
    runs = table.drop_duplicates("run").sort_values("run")
    present = set(table["bureau"].astype(str))
    bureaus = [*BUREAU_SHEETS, *(b for b in ALL_SHEETS if b in present and b not in BUREAU_SHEETS)]
    columns = [Column(w["run"], runs["label"].astype(str).tolist())]
    for key in ("open", "closed", "new"):
        for bureau in bureaus:
            counts = table[table["bureau"] == bureau].set_index("run")[key].reindex(runs["run"], fill_value=0)
            columns.append(Column(w[key].format(bureau=bureau_name(bureau, lang)), counts.astype(int).tolist()))
    n_bureaus = len(bureaus)

    def charts(sheet, n: int) -> None:
        if n == 0:
            return
        labels = Reference(sheet, min_col=1, min_row=3, max_row=n + 2)
        line = LineChart()
        line.title, line.height, line.width = w["open_title"], 8, 16
        line.add_data(Reference(sheet, min_col=2, max_col=1 + n_bureaus, min_row=2, max_row=n + 2), titles_from_data=True)
        line.set_categories(labels)
        line.y_axis.title = None
        sheet.add_chart(line, f"A{n + 5}")
        if n > 1:
            bars = BarChart()
            bars.title, bars.height, bars.width = w["period_title"], 8, 16
            bars.add_data(Reference(sheet, min_col=2 + n_bureaus, max_col=1 + 3 * n_bureaus, min_row=2,
                                    max_row=n + 2), titles_from_data=True)
            bars.set_categories(labels)
            sheet.add_chart(bars, f"J{n + 5}")

    return Sheet(w["trend"], columns, chart=charts)
