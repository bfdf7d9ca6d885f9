"""`covermap demo` end to end, as a newcomer runs it: the bundled sample county into a
folder, then its map.html in Debian's chromium with the network cut off."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(main, ["-q", "demo", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_demo_writes_every_output(demo_dir):
    villages = pd.read_csv(demo_dir / "villages.csv", dtype={"village_code": str}, encoding="utf-8-sig")
    assert len(villages) == 171 and villages["village_code"].is_unique
    gaps = pd.read_csv(demo_dir / "gaps.csv", dtype={"village_code": str}, encoding="utf-8-sig")
    assert len(gaps) == int(villages["gap_count"].sum())
    record = json.loads((demo_dir / "run.json").read_text(encoding="utf-8"))
    assert record["villages"] == 171 and len(record["inputs"]) == 7
    assert sum(record["verdicts"]["road"].values()) == 171


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
