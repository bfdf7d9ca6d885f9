"""Several runs over time (issue 20): the trend table's known answers and its sums, runs put in
the order of their dates whatever order they are given in, and the changes workbook
(变化清单.xlsx) read back: its counts, its order, its charts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from cli import main
from layers import compare as cmp
from layers.trend import per_bureau, trend
from layers.verdicts import STANDARDS
from test_compare import villages

KEYS = [s.key for s in STANDARDS]
# three periods of three villages in two townships (codes 100..., 200...)
A = {"100001": {"road": "fails"}, "100002": {"water": "fails", "road": "basic"}, "200001": {}}
B = {"100001": {"road": "meets"}, "100002": {"water": "fails"}, "200001": {"fibre": "fails", "net4g": "basic"}}
C = {"100001": {"road": "fails"}, "100002": {}, "200001": {"fibre": "fails"}}


def _row(table: pd.DataFrame, run: int, bureau: str, township: str) -> dict:
    picked = table[(table["run"] == run) & (table["bureau"] == bureau) & (table["township_code"] == township)]
    assert len(picked) == 1
    return picked.iloc[0][["open", "closed", "new"]].to_dict()


def test_trend_known_answers():
    table = trend([villages(A), villages(B), villages(C)], ["2024-12-31", "2025-12-31", "2026-12-31"])
    assert len(table) == 3 * 4 * 2   # every run x bureau x township, zeros too
    assert _row(table, 0, "transport", "100") == {"open": 2, "closed": 0, "new": 0}
    assert _row(table, 1, "transport", "100") == {"open": 0, "closed": 2, "new": 0}
    assert _row(table, 2, "transport", "100") == {"open": 1, "closed": 0, "new": 1}
    assert _row(table, 1, "telecom", "200") == {"open": 2, "closed": 0, "new": 2}   # 4G and fibre: two problems
    assert _row(table, 2, "telecom", "200") == {"open": 1, "closed": 1, "new": 0}
    assert _row(table, 2, "water", "100") == {"open": 0, "closed": 1, "new": 0}
    assert _row(table, 0, "health", "200") == {"open": 0, "closed": 0, "new": 0}
    assert table.loc[table["township_code"] == "200", "township_name"].unique().tolist() == ["乡200"]
    assert table.drop_duplicates("run")["label"].tolist() == ["2024-12-31", "2025-12-31", "2026-12-31"]


verdict = st.sampled_from(["meets", "basic", "fails", "no_data"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(*[st.tuples(verdict, verdict, verdict, verdict)] * len(KEYS)), min_size=1, max_size=12))
def test_open_problems_per_period_add_up(rows):
    """Open problems per bureau in each run are those of the run's own table, and each
    period's closed and new are compare's counts."""
    runs = [villages({f"{i:03d}": {key: row[k][run] for k, key in enumerate(KEYS)} for i, row in enumerate(rows)})
            for run in range(4)]
    table = per_bureau(trend(runs, ["a", "b", "c", "d"]))
    for k, run in enumerate(runs):
        for bureau in ("transport", "water", "health", "telecom"):
            got = table[(table["run"] == k) & (table["bureau"] == bureau)].iloc[0]
            standards = [s.key for s in STANDARDS if s.bureau == bureau]
            assert got["open"] == sum(run[f"{key}_verdict"].isin(["fails", "basic"]).sum() for key in standards)
            if k:
                changes = cmp.compare(runs[k - 1], run)
                mine = changes[changes["bureau"] == bureau]["change"]
                assert got["closed"] == (mine == "closed").sum() and got["new"] == (mine == "new").sum()
    # the net change over the periods is the change from the first run to the last
    first, last = table[table["run"] == 0].set_index("bureau"), table[table["run"] == 3].set_index("bureau")
    net = cmp.open_change(cmp.compare(runs[0], runs[3]))
    assert (last["open"] - first["open"]).to_dict() == net.to_dict()


def _folder(root: Path, name: str, rows: dict, as_of: str) -> Path:
    folder = root / name
    folder.mkdir()
    villages(rows).to_csv(folder / "villages.csv", index=False, encoding="utf-8-sig")
    (folder / "run.json").write_text(json.dumps({"as_of": as_of, "run_at": "2026-12-07T10:00:00+08:00",
                                                 "profile": {"path": "p.toml", "settings": {}}}), encoding="utf-8")
    return folder


def test_compare_orders_runs_by_their_dates_and_writes_the_workbook(tmp_path):
    # folder names that sort the wrong way, given in the wrong order: the dates decide
    c = _folder(tmp_path, "a-latest", C, "2026-12-31")
    a = _folder(tmp_path, "z-first", A, "2024-12-31")
    b = _folder(tmp_path, "m-middle", B, "2025-12-31")
    out = tmp_path / "changes"
    result = CliRunner().invoke(main, ["compare", str(c), str(a), str(b), "-o", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "changes.json").read_text(encoding="utf-8"))
    assert [run["as_of"] for run in record["runs"]] == ["2024-12-31", "2025-12-31", "2026-12-31"]
    assert record["old"]["folder"] == str(b) and record["new"]["folder"] == str(c)
    assert {"trend.csv", "变化清单.xlsx", "trend.html", "changes.json"} <= set(record["outputs"])
    assert "changes.html" not in record["outputs"]   # these folders have no coverage.gpkg: nothing to draw
    table = pd.read_csv(out / "trend.csv", dtype={"township_code": str})
    assert table.drop_duplicates("run")["label"].tolist() == ["2024-12-31", "2025-12-31", "2026-12-31"]
    # the changes are B -> C
    changes = pd.read_csv(out / "changes.csv", dtype={"village_code": str})
    assert set(zip(changes["village_code"], changes["standard"], changes["change"])) == {
        ("100001", "road", "new"), ("100002", "water", "closed"), ("200001", "net4g", "closed"),
        ("200001", "fibre", "persisting")}
    book = load_workbook(out / "变化清单.xlsx")
    assert book.sheetnames == ["汇总", "交通运输局", "水利局", "卫生健康局", "通信管理", "趋势"]
    summary = book["汇总"]
    header = [cell.value for cell in summary[2]]
    assert header[:6] == ["部门", "乡镇代码", "乡镇", "本期销号", "新增问题", "仍未解决"]
    rows = {(r[0], r[1]): r[3:6] for r in summary.iter_rows(min_row=3, values_only=True) if r[1]}
    assert rows[("通信管理", "200")] == (1, 0, 1)
    assert rows[("交通运输局", "100")] == (0, 1, 0)
    telecom = [r for r in book["通信管理"].iter_rows(min_row=3, values_only=True) if r[0]]
    assert [r[6] for r in telecom] == ["本期销号", "仍未解决"]          # closed first
    assert telecom[0][7:9] == ("基本达标", "达标")
    trend_sheet = book["趋势"]
    values = [r for r in trend_sheet.iter_rows(min_row=3, values_only=True) if r[0]]
    assert [r[0] for r in values] == ["2024-12-31", "2025-12-31", "2026-12-31"]
    assert [r[1] for r in values] == [2, 0, 1]   # transport, open
    assert len(trend_sheet._charts) == 2          # open problems as lines, closed and new as bars


def test_english_workbook_and_no_maps(tmp_path):
    a = _folder(tmp_path, "a", A, "2024-12-31")
    b = _folder(tmp_path, "b", B, "2025-12-31")
    out = tmp_path / "en"
    result = CliRunner().invoke(main, ["compare", str(a), str(b), "-o", str(out), "--lang", "en", "--no-maps"])
    assert result.exit_code == 0, result.output
    assert not (out / "trend.html").exists()
    book = load_workbook(out / "changes_list.xlsx")
    assert book.sheetnames == ["Summary", "Transport", "Water", "Health", "Telecom", "Trend"]
    assert [c.value for c in book["Summary"][2]][3:6] == ["closed", "new problem", "persisting"]


def test_one_folder_is_a_usage_error(tmp_path):
    a = _folder(tmp_path, "a", A, "2024-12-31")
    result = CliRunner().invoke(main, ["compare", str(a), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "at least two" in result.output
