"""Reason sentences made a field at a time (whole numbers formatted once per number
shown) read exactly as ``template.format`` a row at a time: rounding ties, negative
zero, NaN and infinities, percents, text and missing names, escaped braces."""

from __future__ import annotations

import numpy as np
import pytest

from layers import verdicts

EDGES = [0.5, 1.5, 2.5, -0.4, -0.0, 0.0, np.nan, np.inf, -np.inf, 1e20, 999.5, 1000.5, 1234567.5,
         0.49999999999999994, 2.5000000000000004, 0.005, 0.015, 0.125, 0.345, 0.355, 0.995, 1.0]


def _row_by_row(template: str, columns: dict, rows: np.ndarray) -> list[str]:
    picked = {name: np.asarray(column, dtype=object)[rows] for name, column in columns.items()}
    return [template.format(**{name: picked[name][k] for name in picked}) for k in range(int(rows.sum()))]


@pytest.mark.parametrize("template", [
    "nearest fibre access point {d:,.0f} m away; limit {m:,.0f} m",
    "{s:.0%} of the area inside 4G coverage (limit {m:.0%})",
    "hardened road is {d:.1f} m wide",
    "{c} standardized clinic(s); {{literal braces}} {n}",
    "population {d:,.0f} shares {n}, {s:,.0f} m away",
])
def test_sentences_by_field_read_as_format_row_by_row(template):
    rng = np.random.default_rng(7)
    n = 20_000
    d = np.r_[EDGES, rng.uniform(0, 20_000, n - len(EDGES))]
    d[len(EDGES):len(EDGES) + 2000] = np.round(d[len(EDGES):len(EDGES) + 2000]) + 0.5   # ties
    s = np.r_[EDGES[::-1], rng.uniform(0, 1, n - len(EDGES))]
    names = np.array([f"村卫生室{k % 300}" for k in range(n)], dtype=object)
    names[3::50] = None
    columns = {"d": d, "m": np.full(n, 0.95 if "%" in template else 3000.0), "s": s,
               "c": rng.integers(0, 4, n), "n": names}
    used = {name: column for name, column in columns.items() if "{" + name in template}
    made = verdicts.sentences(template, **used)
    assert made.by_field
    rows = rng.uniform(size=n) < 0.8
    rows[:len(EDGES)] = True
    got = made[rows]
    assert got.dtype == object and list(got) == _row_by_row(template, used, rows)
    assert list(np.asarray(made)) == _row_by_row(template, used, np.ones(n, dtype=bool))


def test_whole_numbers_that_round_alike_share_one_text_and_ties_go_to_even():
    made = verdicts.sentences("{d:,.0f} m; {s:.0%}", d=np.array([0.5, 1.5, 2.5, 2.4, -0.0, 0.0, -0.4, 1234.5]),
                              s=np.array([0.005, 0.015, 0.025, 0.5, 0.125, 1.0, np.nan, 0.994]))
    assert list(np.asarray(made)) == ["0 m; 0%", "2 m; 2%", "2 m; 2%", "2 m; 50%", "-0 m; 12%", "0 m; 100%",
                                      "-0 m; nan%", "1,234 m; 99%"]


def test_conversions_and_attribute_fields_are_formatted_row_by_row():
    made = verdicts.sentences("{p!r} at {d.real:.1f}", p=np.array(["a", "b"], dtype=object), d=np.array([1.25, 2.0]))
    assert not made.by_field
    assert list(np.asarray(made)) == ["'a' at 1.2", "'b' at 2.0"]


@pytest.mark.parametrize("spec", [".1%", ".1f", ",.2f", ".3%"])
def test_fixed_decimals_read_as_format_row_by_row(spec):
    rng = np.random.default_rng(11)
    ties = np.r_[np.arange(0, 2000) / 2000, np.arange(0, 2000) / 200 + 0.05, np.arange(0, 500) * 0.0005]
    values = np.r_[EDGES, ties, rng.uniform(0, 1, 5000), rng.uniform(-1e6, 1e6, 2000), 2.0 ** 60, -2.0 ** 55,
                   rng.integers(0, 1000, 500) / 1000]
    made = verdicts.sentences("{v:" + spec + "}", v=values)
    assert list(np.asarray(made)) == [format(v, spec) for v in values]
