"""The landing page of a campaign's folder (``covermap demo``): the periods' results, the
ledger read back, the changes and the trend chart inline, each linking to its outputs. One
static UTF-8 page, no script and no network request; relative links, so the folder can be
copied or zipped whole."""

from __future__ import annotations

import os
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pandas as pd

from maps.trend import trend_svg

WORDS = {
    "zh": {"periods": "各期结果", "ledger": "整改台账核查", "changes": "两期变化", "trend": "趋势",
           "map": "地图", "workbook": "问题清单", "tables": "表格", "change_map": "变化地图",
           "change_book": "变化清单", "trend_page": "趋势页", "ledger_sheet": "问题清单（整改核查表）",
           "note": "covermap 生成；数据为示例，几何与属性均为生成数据，仅名称与代码真实。"},
    "en": {"periods": "Periods", "ledger": "The ledger read back", "changes": "Changes between the periods",
           "trend": "Trend", "map": "map", "workbook": "problem list", "tables": "tables",
           "change_map": "map of changes", "change_book": "changes workbook", "trend_page": "trend page",
           "ledger_sheet": "problem list (Ledger review sheet)",
           "note": "Made by covermap; sample data: geometry and attributes are generated, only names and codes "
                   "are real."},
}


@dataclass(frozen=True)
class Period:
    """One run of the campaign: its label, folder (relative to the page), summary line and
    the names of its map index and workbook."""

    label: str
    folder: str
    summary: str
    index: str = "index.html"
    workbook: str = "问题清单.xlsx"


def write_cycle_page(path: str | os.PathLike, title: str, periods: list[Period], ledger: str | None,
                     ledger_period: Period | None, changes: str, changes_folder: str, changes_files: dict[str, str],
                     trend: pd.DataFrame, lang: str = "zh", extra: tuple = ()) -> Path:
    """The page at ``path``: ``changes_files`` maps "change_map", "change_book", "trend_page"
    to file names inside ``changes_folder`` (those written); ``extra``: the optional
    standards compared (maps.extra), whose bureaus the trend holds."""
    w = WORDS[lang]
    path = Path(path)

    def link(target: str, text: str) -> str:
        return f'<a href="{escape(target, quote=True)}">{escape(text)}</a>'

    items = "".join(
        f"<li><b>{escape(p.label)}</b>：{escape(p.summary)}<br>"
        f"{link(f'{p.folder}/{p.index}', w['map'])} · {link(f'{p.folder}/{p.workbook}', w['workbook'])}</li>"
        for p in periods)
    ledger_part = ""
    if ledger and ledger_period is not None:
        ledger_part = (f"<h2>{escape(w['ledger'])}</h2><p>{escape(ledger)}</p><p>"
                       f"{link(f'{ledger_period.folder}/{ledger_period.workbook}', w['ledger_sheet'])} · "
                       f"{link(f'{ledger_period.folder}/ledger.csv', 'ledger.csv')}</p>")
    change_links = " · ".join(link(f"{changes_folder}/{name}", w[key]) for key, name in changes_files.items())
    html = f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em auto;
        max-width: 60em; padding: 0 1em; color: #222; line-height: 1.6; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }}
li {{ margin-bottom: .6em; }} a {{ color: #0563c1; }} .note {{ color: #666; font-size: .9em; }}
svg {{ max-width: 100%; height: auto; }}
</style></head>
<body>
<h1>{escape(title)}</h1>
<h2>{escape(w['periods'])}</h2><ul>{items}</ul>
{ledger_part}
<h2>{escape(w['changes'])}</h2><p>{escape(changes)}</p><p>{change_links}</p>
<h2>{escape(w['trend'])}</h2>
{trend_svg(trend, lang, extra)}
<p class="note">{escape(w['note'])}</p>
</body></html>
"""
    path.write_text(html, encoding="utf-8")
    return path
