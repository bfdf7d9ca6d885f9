"""The trend page of several runs (maps/trend.py): hand-made counts whose lines, bars and
table can be checked on paper, drawn in the real browser with the network cut off."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from gis.errors import DataError
from layers.verdicts import bureau_name
from maps.trend import trend_svg, write_trend_page

pytestmark = pytest.mark.browser

TOWNSHIPS = {"522326100": "复兴镇", "522326101": "<i>打易</i>镇"}
LABELS = ["2025-06-30", "2025-09-30", "2025-12-31"]
# bureau -> township -> per run: (open, closed, new)
COUNTS = {
    "transport": {"522326100": [(12, 0, 0), (9, 4, 1), (5, 5, 1)], "522326101": [(8, 0, 0), (8, 1, 1), (3, 6, 1)]},
    "water": {"522326100": [(6, 0, 0), (7, 0, 1), (7, 0, 0)], "522326101": [(4, 0, 0), (2, 2, 0), (0, 2, 0)]},
    "health": {"522326100": [(3, 0, 0), (3, 0, 0), (1, 2, 0)]},          # not in the second township
    "telecom": {"522326100": [(25, 0, 0), (18, 9, 2), (11, 10, 3)], "522326101": [(0, 0, 0), (1, 0, 1), (0, 1, 0)]},
}


def trend(runs: int = 3, labels=LABELS) -> pd.DataFrame:
    rows = [{"run": run, "label": labels[run], "bureau": bureau, "township_code": code,
             "township_name": TOWNSHIPS[code], "open": values[run][0], "closed": values[run][1],
             "new": values[run][2]}
            for bureau, townships in COUNTS.items() for code, values in townships.items() for run in range(runs)]
    return pd.DataFrame(rows).sample(frac=1, random_state=3)   # the order of the rows must not matter


def expected(column: int, runs: int = 3) -> dict[str, list[int]]:
    return {bureau: [sum(values[run][column] for values in townships.values()) for run in range(runs)]
            for bureau, townships in COUNTS.items()}


def township_expected(runs: int = 3) -> dict[str, list[int]]:
    return {code: [sum(COUNTS[b][code][run][0] for b in COUNTS if code in COUNTS[b]) for run in range(runs)]
            for code in TOWNSHIPS}


def _open(offline_page, path):
    offline_page.page.goto(path.as_uri(), wait_until="load")
    return offline_page.page


_GEOMETRY = """() => {
    const ticks = selector => [...document.querySelectorAll(selector)].map(g => [
        Number(g.dataset.value), Number(g.querySelector("line").getAttribute("y1"))]);
    return {
        open: ticks("g.open-chart g.tick"),
        bars: Object.fromEntries([...document.querySelectorAll("g.bureau-bars")].map(g => [g.dataset.bureau,
            ticks(`g.bureau-bars[data-bureau="${g.dataset.bureau}"] g.tick`)])),
        lines: [...document.querySelectorAll("polyline.line")].map(p => [p.dataset.bureau,
            p.getAttribute("points").trim().split(/\\s+/).map(xy => xy.split(",").map(Number))]),
        points: [...document.querySelectorAll("circle.point")].map(c => [c.dataset.bureau, Number(c.dataset.run),
            Number(c.dataset.value), Number(c.getAttribute("cy"))]),
        rects: [...document.querySelectorAll("rect.bar")].map(r => [r.dataset.bureau, Number(r.dataset.period),
            r.dataset.kind, Number(r.dataset.value), Number(r.getAttribute("y")), Number(r.getAttribute("height"))]),
    };
}"""
# the drawn boxes of the x axis labels of the line chart, in order
_LABEL_BOXES = """() => [...document.querySelectorAll("g.open-chart text.x-label")].map(t => {
    const b = t.getBoundingClientRect();
    return [Number(t.dataset.run), t.textContent, b.left, b.right];
})"""


def _at(ticks: list[list[float]], value: float) -> float:
    """Where ``value`` lies on an axis drawn with ``ticks`` ([value, y] from 0 up)."""
    (zero, y0), (top, y_top) = ticks[0], ticks[-1]
    assert zero == 0 and top > 0
    return y0 + (y_top - y0) * value / top


def test_trend_page_draws_the_counts(tmp_path, offline_page, screenshot_dir):
    path = write_trend_page(tmp_path / "trend.html", trend(), title="望谟县 问题走势")
    page = _open(offline_page, path)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.title() == "望谟县 问题走势" and page.locator("h1").inner_text() == "望谟县 问题走势"
    found = page.evaluate(_GEOMETRY)

    open_ = expected(0)
    assert [bureau for bureau, _ in found["lines"]] == list(COUNTS)   # one line per bureau
    ticks = found["open"]
    assert ticks[-1][0] >= max(max(v) for v in open_.values())
    steps = {b - a for (a, _), (b, _) in zip(ticks, ticks[1:])}
    assert len(steps) == 1 and str(steps.pop())[0] in "125"   # round ticks
    for bureau, points in found["lines"]:
        assert len(points) == 3
        assert points[0][0] < points[1][0] < points[2][0]
        assert [y for _, y in points] == pytest.approx([_at(ticks, v) for v in open_[bureau]], abs=0.06)
    for bureau, run, value, cy in found["points"]:
        assert value == open_[bureau][run] and cy == pytest.approx(_at(ticks, value), abs=0.06)
    assert len(found["points"]) == 12

    legend = page.locator("g.open-chart g.legend-item").all_text_contents()
    assert legend == [bureau_name(bureau, "zh") for bureau in COUNTS] == ["交通运输局", "水利局", "卫生健康局", "通信管理"]
    values = page.eval_on_selector_all("g.open-chart text.value", "ts => ts.map(t => [t.dataset.bureau, "
                                       "Number(t.dataset.run), t.textContent])")
    assert sorted(values) == sorted([b, run, str(v)] for b, vs in open_.items() for run, v in enumerate(vs))

    closed, new = expected(1), expected(2)
    rects = found["rects"]
    assert len(rects) == 4 * 2 * 2   # bureaus x periods x (closed, new)
    assert list(found["bars"]) == list(COUNTS)   # a panel per bureau, all on one scale
    assert len({str(ticks) for ticks in found["bars"].values()}) == len(COUNTS)   # (each at its own height)
    scale = {height / value for *_, value, _, height in rects if value}
    assert max(scale) - min(scale) < 1e-3 * max(scale)   # heights proportional to values
    for bureau, period, kind, value, y, height in rects:
        ticks = found["bars"][bureau]
        assert value == (closed if kind == "closed" else new)[bureau][period]
        assert y + height == pytest.approx(ticks[0][1], abs=0.06)   # standing on the panel's 0
        assert height == pytest.approx(_at(ticks, 0) - _at(ticks, value), abs=0.06)
    assert [r[5] for r in rects if r[3] == 0] == [0.0] * sum(1 for r in rects if r[3] == 0)
    bar_values = page.eval_on_selector_all("g.period-bars text.value", "ts => ts.map(t => t.textContent)")
    assert sorted(bar_values) == sorted(str(r[3]) for r in rects)

    rows = page.evaluate("""() => [...document.querySelectorAll("table.townships tbody tr")].map(tr => [
        tr.dataset.township || "total", tr.querySelector("th").textContent,
        [...tr.querySelectorAll("td[data-run]")].map(td => Number(td.textContent.replace(/,/g, ""))),
        tr.querySelector("td.change").textContent, tr.querySelectorAll("svg.sparkline polyline").length])""")
    towns = township_expected()
    assert rows[:-1] == [[code, TOWNSHIPS[code], towns[code], f"{towns[code][-1] - towns[code][0]:+d}", 1]
                         for code in sorted(TOWNSHIPS)]
    assert rows[-1][2] == [sum(v[run] for v in towns.values()) for run in range(3)]
    headers = page.eval_on_selector_all("table.townships thead th[data-run]", "ths => ths.map(th => th.textContent)")
    assert headers == LABELS
    assert page.locator("table.townships i").count() == 0 and page.locator("svg i").count() == 0   # names as text
    labels = page.evaluate(_LABEL_BOXES)
    assert [text for _, text, _, _ in labels] == LABELS   # three runs: every label written
    page.screenshot(path=str(screenshot_dir / "trend_page.png"), full_page=True)
    assert offline_page.problems() == []


def test_24_monthly_runs_thin_the_labels(tmp_path, offline_page):
    months = [d.strftime("%Y-%m-%d") for d in pd.date_range("2024-01-31", periods=24, freq="ME")]
    rows = [{"run": run, "label": months[run], "bureau": bureau, "township_code": "522326100",
             "township_name": "复兴镇", "open": 40 - run + i, "closed": 0 if run == 0 else 2 + i,
             "new": 0 if run == 0 else 1} for run in range(24) for i, bureau in enumerate(COUNTS)]
    page = _open(offline_page, write_trend_page(tmp_path / "trend.html", pd.DataFrame(rows)))
    for selector in ("g.open-chart text.x-label", "g.bureau-bars[data-bureau='water'] text.x-label"):
        boxes = page.evaluate(f"""() => [...document.querySelectorAll("{selector}")].map(t => {{
            const b = t.getBoundingClientRect(); return [Number(t.dataset.run), t.textContent, b.left, b.right]; }})""")
        assert 2 <= len(boxes) < 24
        assert boxes[-1][:2] == [23, months[23]]   # the latest run is always written
        assert all(text == months[run] for run, text, _, _ in boxes)
        for (_, _, _, right), (_, _, left, _) in zip(boxes, boxes[1:]):
            assert right < left, "x axis labels overlap"
    found = page.evaluate(_GEOMETRY)
    assert len(found["lines"]) == 4 and all(len(points) == 24 for _, points in found["lines"])
    assert len(found["rects"]) == 4 * 23 * 2
    assert page.locator("table.townships tbody tr").first.locator("td[data-run]").count() == 24
    assert offline_page.problems() == []


def test_one_run_is_a_point_and_no_bars(tmp_path, offline_page):
    page = _open(offline_page, write_trend_page(tmp_path / "trend.html", trend(1)))
    found = page.evaluate(_GEOMETRY)
    assert found["rects"] == [] and page.locator("g.period-bars").count() == 0
    assert [len(points) for _, points in found["lines"]] == [1, 1, 1, 1]
    assert sorted((b, v) for b, _, v, _ in found["points"]) == sorted((b, v[0]) for b, v in expected(0, 1).items())
    assert "只有一次运行" in page.locator("svg.covermap-trend").text_content()
    assert page.locator("svg.sparkline circle").count() == 3   # two townships and the total
    assert offline_page.problems() == []


def test_english_page(tmp_path, offline_page):
    page = _open(offline_page, write_trend_page(tmp_path / "trend.html", trend(), lang="en"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title() == "Trend of problems"
    legend = page.locator("g.open-chart g.legend-item").all_text_contents()
    assert legend == [bureau_name(bureau, "en") for bureau in COUNTS]
    text = page.locator("body").inner_text()
    for name in TOWNSHIPS.values():
        text = text.replace(name, "")
    assert "Township" in text and "Closed and new in each period" in text
    assert not any("\u4e00" <= char <= "\u9fff" for char in text)
    assert offline_page.problems() == []


def test_the_svg_is_well_formed_and_escaped():
    svg = trend_svg(trend(labels=["<第1次>", "A & B", '"3"']))
    root = ET.fromstring(svg)   # XML: every text escaped
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "Noto Sans CJK SC" in root.get("font-family") and "Microsoft YaHei" in root.get("font-family")
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "x-label"]
    assert labels[:3] == ["<第1次>", "A & B", '"3"']
    assert "<script" not in svg


def test_bad_tables_are_explained():
    with pytest.raises(DataError, match="missing column.*closed"):
        trend_svg(trend().drop(columns="closed"))
    bad = trend()
    bad.loc[bad.index[0], "bureau"] = "roads"
    with pytest.raises(DataError, match="bureau 'roads' is not one of"):
        trend_svg(bad)
    bad = trend()
    bad.loc[bad.index[0], "open"] = -1
    with pytest.raises(DataError, match="column open holds -1"):
        trend_svg(bad)
    with pytest.raises(DataError, match="no rows"):
        trend_svg(trend().iloc[:0])
