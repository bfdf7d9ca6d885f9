"""`covermap demo` end to end, as a newcomer runs it: the bundled sample county's two periods,
the ledger read back and their comparison into a folder, then its pages in Debian's chromium
with the network cut off."""

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_cycle(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(main, ["-q", "demo", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def demo_dir(demo_cycle):
    return demo_cycle[0] / "2025"


def test_demo_writes_every_output(demo_dir):
    villages = pd.read_csv(demo_dir / "villages.csv", dtype={"village_code": str}, encoding="utf-8-sig")
    assert len(villages) == 171 and villages["village_code"].is_unique
    gaps = pd.read_csv(demo_dir / "gaps.csv", dtype={"village_code": str}, encoding="utf-8-sig")
    assert len(gaps) == int(villages["gap_count"].sum())
    record = json.loads((demo_dir / "run.json").read_text(encoding="utf-8"))
    # the five standards' 7 inputs, the optional standards' 6 (schools, housing, transformers, power_lines,
    # bus_stops, post) and the township seats (towns)
    assert record["villages"] == 171 and len(record["inputs"]) == 7 + 6 + 1
    assert sum(record["verdicts"]["road"].values()) == 171


def test_demo_shows_the_optional_standards_in_both_periods(demo_cycle):
    """school, housing and electricity (issue 21): their bureau maps, linked from each period's
    index, and their workbook sheets, in both periods."""
    from openpyxl import load_workbook

    out, _ = demo_cycle
    for period in ("2025", "2026"):
        index = (out / period / "index.html").read_text(encoding="utf-8")
        for bureau in ("education", "housing", "power", "postal"):
            assert (out / period / f"map_{bureau}.html").is_file() and f"map_{bureau}.html" in index, (period, bureau)
        sheets = load_workbook(out / period / "问题清单.xlsx", read_only=True).sheetnames
        assert {"教育局", "住建局", "供电公司", "邮政管理局"} <= set(sheets), period
    # the comparison and the landing page's trend take them too
    assert {"教育局", "住建局", "供电公司", "邮政管理局"} <= set(load_workbook(out / "changes" / "变化清单.xlsx",
                                                                         read_only=True).sheetnames)
    page = (out / "changes" / "changes.html").read_text(encoding="utf-8")
    assert "义务教育" in page and "通客车" in page and "通邮" in page
    landing = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'data-bureau="{bureau}"' in landing for bureau in ("education", "housing", "power", "postal"))
    # 通客车 on the transport bureau's map and sheet, beside the hardened road
    assert "bus_stops" in (out / "2026" / "map_transport.html").read_text(encoding="utf-8")
    transport = load_workbook(out / "2025" / "问题清单.xlsx", read_only=True)["交通运输局"]
    assert {"硬化路", "通客车"} <= {row[0] for row in transport.iter_rows(values_only=True, min_col=5, max_col=5)}


def test_demo_map_opens_offline_and_shows_the_villages(demo_dir, offline_page):
    page = offline_page.page
    page.goto((demo_dir / "map.html").as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-overlay-pane path.leaflet-interactive")
    drawn = page.evaluate("""() => {
        const map = Object.values(window).find(value => value instanceof L.Map);
        const ids = new Set();
        map.eachLayer(layer => { if (layer.feature && layer.feature.id) ids.add(layer.feature.id); });
        return [...ids];
    }""")
    villages = pd.read_csv(demo_dir / "villages.csv", dtype={"village_code": str}, encoding="utf-8-sig")
    # Every village with a boundary is on the map (the one without a boundary is not).
    assert set(villages["village_code"]) - set(drawn) == {"522326110207"}
    assert offline_page.problems() == []


def test_demo_shows_the_whole_cycle(demo_cycle):
    """Two periods, the ledger read back with each of its findings, the comparison and trend."""
    from layers.sample import SAMPLE_DIR

    out, printed = demo_cycle
    lines = printed.strip().splitlines()
    # the five standards' 85 and 纳幕村's hardened stub joining no health centre (profile_all.toml's
    # require_connected), plus the optional ones': school 26, housing 22, electricity 16, time to care
    # 4 (纳桥村, 油寒村, 纳幕村, 卡法村), bus 29 (poor villages only), post 38 in 2025; in 2026 one of
    # each of the first four closed (纳桥村 by a new road) and a house newly appraised grade D
    # (2026/cases.json): school 25, housing 22 - 2 + 1 = 21, electricity 15, care 3; bus 29 - 1 (a
    # line at a 招呼站) - 1 (双坝村 and 山平村, both failing, merged) = 27; post 38 - 1 (opened) + 1
    # (closed) - 1 (山平村 merged into a village with a 村邮站) = 37. No data: the undrawn village's 43,
    # bus 1 (that village), post 3 (that village, and two whose only point within reach is of
    # unrecorded kind)
    assert lines[0].startswith("171 个村，221 项不达标（硬化路 5、饮水安全 27、村卫生室 30、4G覆盖 3、光纤宽带 21、"
                               "义务教育 26、住房安全 22、电网 16、就医时间 4、通客车 29、通邮 38），47 项无数据") \
        and lines[0].endswith(str(out / "2025"))
    assert lines[1].startswith("170 个村，191 项不达标（硬化路 2、饮水安全 16、村卫生室 27、4G覆盖 2、光纤宽带 16、"
                               "义务教育 25、住房安全 21、电网 15、就医时间 3、通客车 27、通邮 37）") \
        and lines[1].endswith(str(out / "2026"))
    # the ledger is 2025's whole workbook as filled in (ledger_cases.json): the five standards' 86
    # rows, the optional ones' 26 + 22 + 16 = 64, care's 4, bus's 29 and post's 38; 账实不符 7 + 3 + 2
    # (坝奔村's bus stop, 祥乐村's 村邮站), 逾期 10 + 3 + 1 (纳幕村's stub), 未填整改措施 5 + 3 + 1 (卡法村's
    # care), 已核实销号 20 + 4 + 1 + 2 (纳沙村's school, 坡毛村's and 纳江社区's houses, 边坝村's
    # transformer; 纳桥村's new road; 平绕村's line, 纳朝村's 村邮站), the rows of the two merged villages
    # (双坝村's and 山平村's bus, 山平村's post) under codes 2026 does not have (村代码不在本期名单 3: the
    # demo reads the ledger without the code changes), 整改中 the rest: 43 + 51 + 2 + 60
    assert lines[2].startswith("台账核查（221 条）：账实不符 12、逾期 14、未填整改措施 9、村代码不在本期名单 3、整改中 156、"
                               "已核实销号 27")
    # closed: the five's 23, the optional ones' 6 (a school built, a teaching point made a primary
    # school, two villages' houses renovated, a transformer installed, one made three-phase),
    # 纳桥村's time to care and 3 (a line at a 招呼站, a 村邮站 opened, 山平村 merged); new: 2 + 1 + 1
    # (a 村邮站 closed)
    assert lines[3].startswith("已销号 33、新增 4、仍未解决 ") and "好转 5" in lines[3]
    assert lines[-1] == f"在浏览器中打开 {out / 'index.html'}"
    expected = json.loads((SAMPLE_DIR / "ledger_cases.json").read_text(encoding="utf-8"))
    ledger = pd.read_csv(out / "2026" / "ledger.csv", dtype={"village_code": str})
    found = ledger.set_index(["village_code", "standard"])["status"]
    assert len(found) == 221
    for case in expected:
        assert found[(case["village_code"], case["standard"])] == case["finding"], case
    assert {c["standard"] for c in expected} == {"road", "water", "clinic", "net4g", "fibre", "school", "housing",
                                                 "electricity", "care", "bus", "post"}
    record = json.loads((out / "changes" / "changes.json").read_text(encoding="utf-8"))
    assert record["counts"]["water"]["new"] == 1
    assert record["counts"]["education"]["closed"] == 2 and record["counts"]["housing"]["new"] == 1
    assert record["counts"]["power"]["closed"] == 2 and record["counts"]["health"]["closed"] == 4 + 1
    assert record["counts"]["transport"]["closed"] == 3 + 1   # three roads and a bus line
    assert (record["counts"]["postal"]["closed"], record["counts"]["postal"]["new"]) == (2, 1)
    assert [run["as_of"] for run in record["runs"]] == ["2025-12-31", "2026-11-30"]
    assert {"changes.html", "trend.html", "变化清单.xlsx"} <= set(record["outputs"])


def test_demo_landing_page_links_every_output_and_opens_offline(demo_cycle, offline_page):
    out, _ = demo_cycle
    html = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', html)
    assert len(links) == 9 and all((out / link).is_file() for link in links), links
    page = offline_page.page
    page.goto((out / "index.html").as_uri(), wait_until="load")
    assert page.locator("svg polyline, svg path").count() >= 8   # the trend's lines, one per bureau
    assert "账实不符 12" in page.inner_text("body")
    for name in ("changes/changes.html", "changes/trend.html", "2026/index.html", "2026/map_education.html",
                 "2026/map_housing.html", "2026/map_power.html", "2026/map_postal.html"):
        page.goto((out / name).as_uri(), wait_until="load")
    assert offline_page.problems() == []
