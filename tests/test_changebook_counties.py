"""The comparison's workbooks split by county (layers/changebook): each county's workbook
holds its own changed problems alone, numbered from 1 in each sheet, and the workbooks are
the same bytes whether one process writes them in one run of counties or they are cut into
runs shared out to the cores, with blocks of XML rows that end at a run's end."""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from layers import changebook, trend
from layers import compare as cmp
from layers.verdicts import STANDARDS

# county code -> villages in it (the changes per county differ: runs of unequal rows)
COUNTIES = {"110101": 2, "110102": 5, "120103": 1, "130104": 7, "130105": 3}


def _villages(period: int) -> pd.DataFrame:
    """Every village's roads fail in the first period; in the second those of even number
    meet (closed) and the others still fail (persisting); water fails in the second period
    in each county's first village (new)."""
    records = []
    for county, n in COUNTIES.items():
        for k in range(n):
            code = f"{county}001{k:03d}"
            record = {"village_code": code, "village_name": f"村{code}", "township_code": code[:9],
                      "township_name": f"乡{code[:9]}"}
            for standard in STANDARDS:
                verdict = "meets"
                if standard.key == "road":
                    verdict = "meets" if period == 2 and k % 2 == 0 else "fails"
                if standard.key == "water" and period == 2 and k == 0:
                    verdict = "fails"
                record[f"{standard.key}_verdict"] = verdict
                record[f"{standard.key}_reason"] = f"{standard.key} {verdict} {code}"
                record[standard.value_column] = 100.0 + k
            records.append(record)
    return pd.DataFrame(records)


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: re.sub(rb"<dcterms:(created|modified)[^<]*</dcterms:\w+>", b"", book.read(name))
                for name in book.namelist()}


def _write(folder, monkeypatch, parts: int, block: int):
    old, new = _villages(1), _villages(2)
    changes = cmp.compare(old, new)
    trends = trend.trend([old, new], ["2024", "2025"], None, last=changes)
    monkeypatch.setattr(changebook, "PARTS", parts)
    monkeypatch.setattr(changebook, "BLOCK", block)
    folder.mkdir()
    return changes, changebook.write_changebook(folder, changes, trends, ("2024", "2025"), "zh")


def test_each_county_workbook_holds_its_own_rows(tmp_path, monkeypatch):
    changes, paths = _write(tmp_path / "out", monkeypatch, parts=3, block=4)
    assert [p.name for p in paths[1:]] == [f"{county}_变化清单.xlsx" for county in COUNTIES]
    for county, n in COUNTIES.items():
        book = load_workbook(tmp_path / "out" / "counties" / f"{county}_变化清单.xlsx")
        roads = [r for r in book["交通运输局"].iter_rows(min_row=3, values_only=True) if r[0]]
        # closed first (even villages), then persisting (odd), each in code order
        closed = [f"{county}001{k:03d}" for k in range(0, n, 2)]
        persisting = [f"{county}001{k:03d}" for k in range(1, n, 2)]
        assert [r[3] for r in roads] == closed + persisting
        assert [r[0] for r in roads] == list(range(1, n + 1))
        assert [r[6] for r in roads] == ["本期销号"] * len(closed) + ["仍未解决"] * len(persisting)
        assert [r[11] for r in roads] == [f"road {'meets' if k % 2 == 0 else 'fails'} {county}001{k:03d}"
                                          for k in [*range(0, n, 2), *range(1, n, 2)]]
        water = [r for r in book["水利局"].iter_rows(min_row=3, values_only=True) if r[0]]
        assert [(r[0], r[3], r[6]) for r in water] == [(1, f"{county}001000", "新增问题")]
    assert len(changes) == sum(COUNTIES.values()) + len(COUNTIES)


def test_runs_of_counties_on_the_cores_write_the_same_bytes(tmp_path, monkeypatch):
    _, one = _write(tmp_path / "one", monkeypatch, parts=1, block=65_536)
    _, cut = _write(tmp_path / "cut", monkeypatch, parts=4, block=3)
    assert [p.relative_to(tmp_path / "one") for p in one] == [p.relative_to(tmp_path / "cut") for p in cut]
    for a, b in zip(one, cut):
        assert _members(a) == _members(b), a.name
    listings = changebook._Listings(cmp.compare(_villages(1), _villages(2)), "zh",
                                    {key: text("zh") for key, text in changebook.SHEET_WORDS.items()}, True)
    parts = listings.parts(list(COUNTIES), 4)
    # runs of whole counties, in order, covering them all, each ending where its last county's rows end
    assert parts[0][0] == 0 and parts[-1][1] == len(COUNTIES)
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
    assert parts[-1][2] == len(listings.order)
    ends = np.array([stop for (county, _), (_, stop) in listings.sheet_rows.items()])
    assert {end for *_, end in parts} <= set(ends.tolist())
