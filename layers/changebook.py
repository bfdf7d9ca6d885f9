"""The comparison of runs as a workbook (变化清单.xlsx, changes_list.xlsx in English), for the
bureaus working their lists: 汇总 (per bureau and township: 本期销号, 新增问题, 仍未解决 and
the other changes), one sheet per bureau listing its changed problems (closed first, then
new, then persisting) and 趋势 (open, closed and new per run and bureau, with a line chart
Excel and WPS draw themselves). Made with layers.workbook's sheets and frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference

from layers import compare as cmp
from layers.standards import SHARE
from layers.trend import per_bureau
from layers.verdicts import STANDARDS, T, bureau_name, standard_name, word
from layers.workbook import BUREAU_SHEETS, Column, Sheet, _number_width, _texts, _write_book

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
    "total": T(zh="合计", en="Total"),
}
# the summary's change columns, in the order a bureau works through them
SUMMARY_CHANGES = (cmp.CLOSED, cmp.NEW, cmp.PERSISTING, cmp.IMPROVED, cmp.WORSENED, cmp.DATA_GAINED, cmp.DATA_LOST,
                   cmp.VILLAGE_ADDED, cmp.VILLAGE_REMOVED, cmp.SCOPE_CHANGED)
LIST_WORDS = {cmp.CLOSED: T(zh="本期销号", en="closed"), cmp.NEW: T(zh="新增问题", en="new problem"),
              cmp.PERSISTING: T(zh="仍未解决", en="persisting")}


def change_label(key: str, lang: str) -> str:
    """The words of the workbook: 本期销号 / 新增问题 / 仍未解决, the others as compare has them."""
    return LIST_WORDS[key](lang) if key in LIST_WORDS else cmp.change_word(key, lang)


def write_changebook(path: Path, changes: pd.DataFrame, trend: pd.DataFrame, labels: tuple[str, str],
                     lang: str = "zh") -> Path:
    """The workbook of ``changes`` (layers.compare.COLUMNS) and ``trend`` (layers.trend) at ``path``."""
    w = {key: text(lang) for key, text in SHEET_WORDS.items()}
    sheets = [Sheet(w["summary"], _summary_columns(changes, lang, w), total=True)]
    order = {key: k for k, key in enumerate(SUMMARY_CHANGES)}
    bureaus = changes["bureau"].astype(str).to_numpy()
    for bureau, names in BUREAU_SHEETS.items():
        rows = changes[bureaus == bureau]
        rows = rows.iloc[np.lexsort((rows["village_code"].astype(str).to_numpy(),
                                     rows["change"].map(order).to_numpy()))]
        sheets.append(Sheet(names[lang], _change_columns(rows, lang, w)))
    sheets.append(_trend_sheet(trend, lang, w))
    caption = w["caption"].format(old=labels[0], new=labels[1])
    _write_book(path, sheets, lang, caption)
    return path


def _summary_columns(changes: pd.DataFrame, lang: str, w: dict) -> list[Column]:
    table = pd.crosstab([changes["bureau"], changes["township_code"].fillna(""), changes["township_name"].fillna("")],
                        changes["change"]).reindex(columns=list(SUMMARY_CHANGES), fill_value=0).reset_index()
    rank = {key: k for k, key in enumerate(BUREAU_SHEETS)}
    table = table.sort_values(["bureau", "township_code"], key=lambda c: c.map(rank) if c.name == "bureau" else c,
                              kind="stable", ignore_index=True)
    return [Column(w["bureau"], [bureau_name(b, lang) for b in table["bureau"]]),
            Column(w["township_code"], table["township_code"].tolist()),
            Column(w["township"], table["township_name"].tolist()),
            *(Column(change_label(key, lang), table[key].astype(int).tolist()) for key in SUMMARY_CHANGES)]


def _change_columns(rows: pd.DataFrame, lang: str, w: dict) -> list[Column]:
    shares = rows["standard"].isin([s.key for s in STANDARDS if s.unit == SHARE]).to_numpy()
    styles = np.where(shares, "percent", "metres").tolist()
    values = {side: _values(rows[f"{side}_value"], shares) for side in ("old", "new")}
    old_codes = [old if old != new else None for old, new in zip(_texts(rows["old_village_code"]),
                                                                     _texts(rows["village_code"]))]
    width = max(_number_width(values["old"] + values["new"], 3), 10)
    return [Column(w["no"], list(range(1, len(rows) + 1)), numbered=True),
            Column(w["township"], _texts(rows["township_name"])), Column(w["village"], _texts(rows["village_name"])),
            Column(w["code"], _texts(rows["village_code"])), Column(w["old_code"], old_codes),
            Column(w["problem"], [standard_name(k, lang) for k in rows["standard"].astype(str)]),
            Column(w["change"], [change_label(k, lang) for k in rows["change"].astype(str)]),
            Column(w["old_verdict"], [_verdict(v, lang) for v in rows["old_verdict"]]),
            Column(w["new_verdict"], [_verdict(v, lang) for v in rows["new_verdict"]]),
            Column(w["old_value"], values["old"], style=styles, width=width),
            Column(w["new_value"], values["new"], style=styles, width=width),
            Column(w["new_reason"], _texts(rows["new_reason"]), style="wrap"),
            Column(w["old_reason"], _texts(rows["old_reason"]), style="wrap"),
            Column(w["settings"], [w["yes"] if v == "yes" else None for v in rows["settings_changed"]])]


def _values(series: pd.Series, shares: np.ndarray) -> list:
    raw = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return [None if np.isnan(v) else (round(float(v), 3) if share else int(round(v)))
            for v, share in zip(raw.tolist(), shares.tolist())]


def _verdict(verdict, lang: str) -> str | None:
    return word(verdict, lang) if isinstance(verdict, str) and verdict else None


def _trend_sheet(trend: pd.DataFrame, lang: str, w: dict) -> Sheet:
    """One row per run: each bureau's open problems, then closed and new in the period; a
    line chart of the open problems and a bar chart of closed and new beside the table."""
    table = per_bureau(trend)
    runs = table.drop_duplicates("run").sort_values("run")
    bureaus = list(BUREAU_SHEETS)
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
