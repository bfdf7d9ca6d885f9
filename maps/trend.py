"""The trend of several runs (issue 20, 动态清零) as a page that needs no script and no
network: open problems per bureau run after run (lines), what each period closed and
opened per bureau (bars), and the open problems of each township (a table with a
sparkline per township). The SVG is written here by hand, every text escaped.

The input is one row per run x bureau x township: ``run`` (0..n-1, in time order),
``label`` (the run as the x axis shows it), ``bureau``, ``township_code``,
``township_name``, ``open`` (fails + basic in that run), ``closed`` and ``new`` (since the
previous run; 0 for run 0). A bureau or township missing from a run counts 0 there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from gis.errors import DataError, OutputError
from maps.i18n import texts
from maps.extra import words_of
from maps.standards import BUREAU_COLOURS
from maps.styles import BUREAUS

REQUIRED = ("run", "label", "bureau", "township_code", "township_name", "open", "closed", "new")
COUNTS = ("open", "closed", "new")
# the optional standards' bureaus (maps.extra), in the order they come: the rest of the Okabe-Ito colours
EXTRA_COLOURS = ("#e69f00", "#56b4e9", "#000000", "#999999")
KIND_COLOURS = {"closed": "#1a9641", "new": "#e31a1c"}   # the change map's 已销号 and 新增
FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"

LEFT, RIGHT = 56, 40          # room for the y axis labels, and after the last run
LINE_HEIGHT, BAR_HEIGHT = 220, 90   # plot heights of the line chart and of each bureau's bars
FONT_SIZE, SMALL = 12, 10
_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")


# -- the table -------------------------------------------------------------------------------

def _bureaus(extra: tuple = ()) -> list[str]:
    """The bureaus a trend may hold: the five standards', then the optional ones' (maps.extra)."""
    return list(dict.fromkeys([*BUREAUS, *(s.bureau for s in extra)]))


def _colours(extra: tuple = ()) -> dict[str, str]:
    """Each bureau's colour: its own, or one of EXTRA_COLOURS in the order the plug-ins come."""
    others = [b for b in _bureaus(extra) if b not in BUREAU_COLOURS]
    return {**BUREAU_COLOURS, **{b: EXTRA_COLOURS[k % len(EXTRA_COLOURS)] for k, b in enumerate(others)}}


def check_trend(trend: pd.DataFrame, extra: tuple = ()) -> pd.DataFrame:
    """``trend`` with whole-number runs and counts, or a DataError naming every problem;
    ``extra``: the optional standards compared (maps.extra), whose bureaus it may hold."""
    missing = [column for column in REQUIRED if column not in trend.columns]
    if missing:
        raise DataError(f"trend table: missing column(s) {', '.join(missing)}; give one row per run x bureau x "
                        f"township with columns {', '.join(REQUIRED)}")
    if trend.empty:
        raise DataError("trend table: has no rows, so there is no trend to draw")
    problems = []
    known = _bureaus(extra)
    unknown = sorted(set(trend["bureau"].astype(str)) - set(known))
    if unknown:
        problems.append(f"bureau {', '.join(map(repr, unknown))} is not one of {', '.join(known)}")
    numbers = {}
    for column in ("run",) + COUNTS:
        values = pd.to_numeric(trend[column], errors="coerce")
        bad = values.isna() | (values < 0) | (values != np.floor(values))
        if bad.any():
            problems.append(f"column {column} holds {trend.loc[bad, column].tolist()[0]!r}; "
                            "it holds whole numbers, 0 or more")
        numbers[column] = values
    if problems:
        raise DataError("trend table cannot be drawn: " + "; ".join(problems))
    return trend.assign(**{column: values.astype(np.int64) for column, values in numbers.items()})


def runs_of(trend: pd.DataFrame) -> tuple[list[int], list[str]]:
    """The runs in time order and the label of each (its first label in the table)."""
    labels = trend.sort_values("run", kind="stable").groupby("run", sort=True)["label"].first()
    return labels.index.tolist(), ["" if pd.isna(label) else str(label) for label in labels]


def per_bureau(trend: pd.DataFrame, column: str, extra: tuple = ()) -> pd.DataFrame:
    """``column`` summed per run (rows, in order) and bureau (columns: those in ``trend``,
    in the registry's order); 0 where a bureau has no row in a run."""
    runs, _ = runs_of(trend)
    bureaus = [bureau for bureau in _bureaus(extra) if (trend["bureau"] == bureau).any()]
    table = trend.pivot_table(index="run", columns="bureau", values=column, aggfunc="sum", fill_value=0)
    return table.reindex(index=runs, columns=bureaus, fill_value=0).astype(np.int64)


def per_township(trend: pd.DataFrame) -> pd.DataFrame:
    """Open problems per township (rows, by code; index code and name) and run (columns),
    all bureaus together; 0 where a township has no row in a run."""
    runs, _ = runs_of(trend)
    keys = trend.assign(township_code=trend["township_code"].astype(object).where(trend["township_code"].notna(), ""),
                        township_name=trend["township_name"].astype(object).where(trend["township_name"].notna(), ""))
    table = keys.pivot_table(index=["township_code", "township_name"], columns="run", values="open", aggfunc="sum",
                             fill_value=0)
    return table.reindex(columns=runs, fill_value=0).sort_index().astype(np.int64)


# -- drawing helpers -------------------------------------------------------------------------

def text_width(text: str, size: float) -> float:
    """About how wide ``text`` is drawn at font ``size``: CJK characters a full em, others 0.6."""
    wide = len(_WIDE.findall(text))
    return size * (wide + 0.6 * (len(text) - wide))


def nice_ticks(top: float, count: int = 5) -> list[int]:
    """Whole-number ticks from 0 by a round step (1, 2 or 5 times a power of ten) past ``top``."""
    if top <= 0:
        return [0, 1]
    rough = top / count
    power = 10 ** np.floor(np.log10(rough))
    step = next(multiple * power for multiple in (1, 2, 5, 10) if multiple * power >= rough)
    step = max(1, int(round(step)))
    last = int(np.ceil(top / step)) * step
    return list(range(0, last + 1, step))


def shown_labels(labels: Sequence[str], step: float, size: float = SMALL) -> list[int]:
    """The positions of the labels the x axis writes: every k-th, counted back from the last
    run (always written), k the fewest that keeps them apart."""
    if not labels:
        return []
    widest = max(text_width(label, size) for label in labels) + 6
    every = max(1, int(np.ceil(widest / step)))
    last = len(labels) - 1
    return [i for i in range(len(labels)) if (last - i) % every == 0]


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "middle", size: int = SMALL,
          extra: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return (f'<text{klass} x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}"{extra}>'
            f"{escape(text)}</text>")


def _legend(items: Sequence[tuple[str, str, str]], x: float, y: float, width: float) -> tuple[str, float]:
    """Swatches and names (key, colour, name) flowed into rows within ``width``; the markup
    and the height used."""
    parts, at, row = [], x, 0
    for key, colour, name in items:
        wide = 22 + text_width(name, FONT_SIZE) + 16
        if at > x and at + wide > x + width:
            at, row = x, row + 1
        top = y + row * 18
        parts.append(f'<g class="legend-item" data-key="{escape(key)}"><rect x="{_n(at)}" y="{_n(top + 2)}" '
                     f'width="16" height="10" fill="{colour}"/>'
                     + _text(at + 22, top + 11, name, anchor="start", size=FONT_SIZE) + "</g>")
        at += wide
    return "".join(parts), (row + 1) * 18


class _Axis:
    """The shared x axis: run i at the middle of its slot, period k (run k-1 to k) between them."""

    def __init__(self, n: int):
        self.n = n
        self.plot = float(np.clip(n * 64, 480, 900))
        self.step = self.plot / n
        self.width = LEFT + self.plot + RIGHT

    def run(self, i: int) -> float:
        return LEFT + self.step * (i + 0.5)

    def period(self, k: int) -> float:
        return LEFT + self.step * k


def _y_axis(ticks: list[int], top: float, height: float, width: float, cls: str) -> tuple[str, Callable[[float], float]]:
    """Grid lines and labels of ``ticks``; the function placing a value."""
    def y(value: float) -> float:
        return top + height * (1 - value / ticks[-1])

    parts = [f'<g class="tick {cls}" data-value="{tick}"><line x1="{LEFT}" x2="{_n(width - RIGHT)}" '
             f'y1="{_n(y(tick))}" y2="{_n(y(tick))}" stroke="{"#888" if tick == 0 else "#e3e3e3"}"/>'
             + _text(LEFT - 6, y(tick) + 4, f"{tick:,}", anchor="end") + "</g>" for tick in ticks]
    return "".join(parts), y


def _x_labels(axis: _Axis, labels: Sequence[str], y: float) -> str:
    return "".join(_text(axis.run(i), y, labels[i], "x-label", extra=f' data-run="{i}"')
                   for i in shown_labels(labels, axis.step))


def _spread(wanted: list[tuple[float, str]], gap: float, lowest: float = np.inf) -> dict[str, float]:
    """Label heights at least ``gap`` apart, as near as may be to where each wants to be and
    none below ``lowest``: pushed down from the top, then up from ``lowest`` if needed."""
    order = sorted(wanted)
    heights = []
    for y, _ in order:
        heights.append(max(y, heights[-1] + gap) if heights else y)
    for i in range(len(heights) - 1, -1, -1):
        heights[i] = min(heights[i], lowest if i == len(heights) - 1 else heights[i + 1] - gap)
    return {key: y for (_, key), y in zip(order, heights)}


# -- the charts ------------------------------------------------------------------------------

def _lines(open_: pd.DataFrame, labels: list[str], axis: _Axis, top: float,
           words: Mapping[str, str], colours: Mapping[str, str] = BUREAU_COLOURS) -> tuple[str, float]:
    """(a) open problems per bureau, one line each; the markup and its height."""
    parts = [_text(LEFT, top + 14, words["trend.open"], "chart-title", anchor="start", size=14,
                   extra=' font-weight="bold"')]
    legend, used = _legend([(b, colours[b], words[f"bureau.{b}"]) for b in open_.columns], LEFT, top + 24,
                           axis.plot)
    parts.append(f'<g class="legend">{legend}</g>')
    plot_top = top + 24 + used + 14
    ticks = nice_ticks(float(open_.to_numpy().max(initial=0)))
    grid, y = _y_axis(ticks, plot_top, LINE_HEIGHT, axis.width, "open")
    parts.append(f'<g class="axis">{grid}</g>')
    shown = set(shown_labels(labels, axis.step)) if axis.step < 40 else set(range(axis.n))
    # values beside their points where the slot has room for them, else above
    beside = axis.step >= text_width(f"{int(open_.to_numpy().max(initial=0)):,}", SMALL) + 14
    values = []   # (run, y wanted, bureau, x, text, colour) of the value labels
    for bureau in open_.columns:
        series = open_[bureau].to_numpy()
        points = [(axis.run(i), y(v)) for i, v in enumerate(series)]
        name, colour = words[f"bureau.{bureau}"], colours[bureau]
        parts.append(f'<g class="series" data-bureau="{bureau}"><polyline class="line" data-bureau="{bureau}" '
                     f'fill="none" stroke="{colour}" stroke-width="2.5" stroke-linejoin="round" points="'
                     + " ".join(f"{_n(px)},{_n(py)}" for px, py in points) + '"/>')
        for i, ((px, py), value) in enumerate(zip(points, series)):
            tip = words["trend.point"].format(bureau=name, label=labels[i], value=f"{value:,}")
            parts.append(f'<circle class="point" data-bureau="{bureau}" data-run="{i}" data-value="{value}" '
                         f'cx="{_n(px)}" cy="{_n(py)}" r="3.5" fill="{colour}" stroke="#fff"><title>{escape(tip)}'
                         "</title></circle>")
            if i in shown:
                values.append((i, py + 3.5 if beside else py - 7, bureau, px, f"{value:,}", colour))
        parts.append("</g>")
    for i in sorted({item[0] for item in values}):
        at_run = [item for item in values if item[0] == i]
        placed = _spread([(wanted, key) for _, wanted, key, *_ in at_run], SMALL + 1, y(0) + (3.5 if beside else -3))
        for _, _, key, px, text, colour in at_run:
            parts.append(_text(px + 6 if beside else px, placed[key], text, "value",
                               anchor="start" if beside else "middle",
                               extra=f' fill="{colour}" font-weight="bold" data-bureau="{key}" data-run="{i}"'))
    parts.append(_x_labels(axis, labels, plot_top + LINE_HEIGHT + 16))
    height = plot_top + LINE_HEIGHT + 28 - top
    return f'<g class="open-chart">{"".join(parts)}</g>', height


def _bars(closed: pd.DataFrame, new: pd.DataFrame, labels: list[str], axis: _Axis, top: float,
          words: Mapping[str, str], colours: Mapping[str, str] = BUREAU_COLOURS) -> tuple[str, float]:
    """(b) per period, closed and new per bureau: a panel per bureau; the markup and its height."""
    parts = [_text(LEFT, top + 14, words["trend.periods_heading"], "chart-title", anchor="start", size=14,
                   extra=' font-weight="bold"'),
             _text(LEFT, top + 30, words["trend.periods_note"], "note", anchor="start", size=SMALL + 1,
                   extra=' fill="#555"')]
    legend, used = _legend([(kind, KIND_COLOURS[kind], words[f"change.{kind}"]) for kind in KIND_COLOURS],
                           LEFT, top + 38, axis.plot)
    parts.append(f'<g class="legend">{legend}</g>')
    at = top + 38 + used + 6
    periods = range(1, axis.n)
    highest = max(int(closed.loc[closed.index[1:]].to_numpy().max(initial=0)),
                  int(new.loc[new.index[1:]].to_numpy().max(initial=0)))
    ticks = nice_ticks(float(highest), 3)
    bar = float(np.clip((axis.step - 8) / 2, 3, 18))
    for bureau in closed.columns:
        name = words[f"bureau.{bureau}"]
        panel = [_text(LEFT, at + 14, name, "panel-title", anchor="start", size=FONT_SIZE,
                       extra=f' font-weight="bold" fill="{colours[bureau]}"')]
        plot_top = at + 24 + SMALL
        grid, y = _y_axis(ticks, plot_top, BAR_HEIGHT, axis.width, "bars")
        panel.append(f'<g class="axis">{grid}</g>')
        for k in periods:
            period = words["trend.period"].format(old=labels[k - 1], new=labels[k])
            for kind, table, x in (("closed", closed, axis.period(k) - bar - 1), ("new", new, axis.period(k) + 1)):
                value = int(table.loc[table.index[k], bureau])
                height = y(0) - y(value)
                tip = words["trend.bar"].format(bureau=name, period=period, change=words[f"change.{kind}"],
                                                value=f"{value:,}")
                panel.append(f'<rect class="bar" data-bureau="{bureau}" data-period="{k}" data-kind="{kind}" '
                             f'data-value="{value}" x="{_n(x)}" y="{_n(y(value))}" width="{_n(bar)}" '
                             f'height="{_n(height)}" fill="{KIND_COLOURS[kind]}"><title>{escape(tip)}</title></rect>')
                text, centre = f"{value:,}", x + bar / 2
                data = f' data-bureau="{bureau}" data-period="{k}" data-kind="{kind}"'
                if text_width(text, SMALL) <= bar + 2:
                    panel.append(_text(centre, y(value) - 3, text, "value", extra=data))
                else:   # too wide over a narrow bar: written upwards
                    panel.append(_text(centre + 3.5, y(value) - 3, text, "value", anchor="start",
                                       extra=data + f' transform="rotate(-90 {_n(centre + 3.5)} {_n(y(value) - 3)})"'))
        panel.append(_x_labels(axis, labels, plot_top + BAR_HEIGHT + 14))
        parts.append(f'<g class="bureau-bars" data-bureau="{bureau}">{"".join(panel)}</g>')
        at = plot_top + BAR_HEIGHT + 22
    return f'<g class="period-bars">{"".join(parts)}</g>', at - top


def trend_svg(trend: pd.DataFrame, lang: str = "zh", extra: tuple = ()) -> str:
    """One inline ``<svg>``: (a) open problems per bureau over the runs, (b) with two runs or
    more, each period's closed and new per bureau as bars. See the module for ``trend``."""
    words, trend, colours = _words(lang, extra), check_trend(trend, extra), _colours(extra)
    runs, labels = runs_of(trend)
    axis = _Axis(len(runs))
    lines, height = _lines(per_bureau(trend, "open", extra), labels, axis, 8, words, colours)
    body = [lines]
    if len(runs) > 1:
        bars, more = _bars(per_bureau(trend, "closed", extra), per_bureau(trend, "new", extra), labels, axis,
                           8 + height + 16, words, colours)
        body.append(bars)
        height += 16 + more
    else:
        body.append(_text(LEFT, 8 + height + 16, words["trend.one_run"], "note", anchor="start", size=FONT_SIZE,
                          extra=' fill="#555"'))
        height += 26
    width, height = _n(axis.width), _n(height + 16)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="covermap-trend" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(words["trend.open"])}" '
            f'font-family="{FONT}" fill="#222">' + "".join(body) + "</svg>")


# -- the page --------------------------------------------------------------------------------

def sparkline(values: Sequence[int], width: int = 90, height: int = 22) -> str:
    """A small inline SVG of ``values`` (scaled from 0 to their highest), the last one marked."""
    top = max(max(values), 1)
    step = (width - 6) / max(len(values) - 1, 1)
    points = [(3 + i * step, 3 + (height - 6) * (1 - v / top)) for i, v in enumerate(values)]
    if len(values) == 1:
        points = [(width / 2, height / 2)]
    line = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    x, y = points[-1]
    return (f'<svg class="sparkline" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'aria-hidden="true"><polyline points="{line}" fill="none" stroke="#0072b2" stroke-width="1.5"/>'
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="2.5" fill="#0072b2"/></svg>')


def _change(first: int, last: int) -> str:
    return f"{last - first:+,}" if last != first else "0"


def township_table(trend: pd.DataFrame, words: Mapping[str, str]) -> str:
    """The HTML table of open problems per township (rows) and run (columns), with the change
    from the first run to the last and a sparkline; a total row last."""
    _, labels = runs_of(trend)
    table = per_township(trend)
    head = ("<tr><th scope=\"col\">" + escape(words["trend.township"]) + "</th>"
            + "".join(f'<th scope="col" data-run="{i}">{escape(label)}</th>' for i, label in enumerate(labels))
            + f'<th scope="col">{escape(words["trend.change"])}</th>'
            f'<th scope="col">{escape(words["trend.sparkline"])}</th></tr>')

    def row(attributes: str, name: str, values: list[int]) -> str:
        cells = "".join(f'<td data-run="{i}">{value:,}</td>' for i, value in enumerate(values))
        return (f'<tr {attributes}><th scope="row">{escape(name)}</th>{cells}'
                f'<td class="change">{_change(values[0], values[-1])}</td><td>{sparkline(values)}</td></tr>')

    rows = [row(f'data-township="{escape(str(code))}"', str(name or code), values.tolist())
            for (code, name), values in zip(table.index, table.to_numpy())]
    rows.append(row('class="total"', words["trend.total"], table.sum(axis=0).tolist()))
    return (f'<table class="townships"><caption>{escape(words["trend.townships"])}</caption><thead>{head}</thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


_CSS = f"""
body {{ margin: 16px 24px; font-family: {FONT}; color: #222; background: #fff; }}
h1 {{ font-size: 20px; margin: 0 0 12px; }}
.chart, .table {{ overflow-x: auto; margin-bottom: 20px; }}
table.townships {{ border-collapse: collapse; font-size: 13px; }}
table.townships caption {{ text-align: left; font-weight: bold; font-size: 15px; margin-bottom: 6px; }}
table.townships th, table.townships td {{ border-bottom: 1px solid #ddd; padding: 3px 8px; white-space: nowrap; }}
table.townships td {{ text-align: right; font-variant-numeric: tabular-nums; }}
table.townships thead th {{ background: #f2f2f2; font-weight: normal; }}
table.townships tbody th {{ text-align: left; font-weight: normal; }}
table.townships tr.total th, table.townships tr.total td {{ font-weight: bold; border-top: 2px solid #999; }}
table.townships td .sparkline {{ vertical-align: middle; }}
"""


def _words(lang: str, extra: tuple = ()) -> Mapping[str, str]:
    return {**texts(lang), **words_of(extra)} if extra else texts(lang)


def trend_page(trend: pd.DataFrame, lang: str = "zh", title: str | None = None, extra: tuple = ()) -> str:
    """The whole HTML page: title, ``trend_svg`` and ``township_table``; ``extra``: the
    optional standards compared (maps.extra)."""
    words = _words(lang, extra)
    trend = check_trend(trend, extra)
    title = words["trend.title"] if title is None else title
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{escape(title)}</title>\n'
            f"<style>{_CSS}</style>\n</head>\n<body>\n<h1>{escape(title)}</h1>\n"
            f'<div class="chart">{trend_svg(trend, lang, extra)}</div>\n'
            f'<div class="table">{township_table(trend, words)}</div>\n</body>\n</html>\n')


def write_trend_page(path: str | os.PathLike, trend: pd.DataFrame, lang: str = "zh", title: str | None = None,
                     extra: tuple = ()) -> Path:
    """Write ``trend_page`` to ``path`` (UTF-8), replacing an existing file; returns the path."""
    path = Path(path)
    page = trend_page(trend, lang, title, extra)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the trend page ({exc.strerror or exc}); "
                          "check that the folder exists and is writable") from exc
    return path
