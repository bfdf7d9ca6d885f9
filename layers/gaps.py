"""Gap rules, pure: a per-village verdict table in, problem lists and township counts
out. No files and no CRS in here."""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.standards import present
from layers.verdicts import FAILS, NO_DATA, VERDICTS

VILLAGE_KEYS = ["village_code", "village_name", "township_code", "township_name"]
GAP_COLUMNS = [*VILLAGE_KEYS, "standard", "bureau", "verdict", "value", "value_column", "reason",
               "poor_population", "population", "priority"]


def count_gaps(villages: pd.DataFrame) -> pd.DataFrame:
    """``gap_count`` (standards failed) and ``no_data_count`` per village."""
    verdicts = villages[[f"{s.key}_verdict" for s in present(villages.columns)]].to_numpy()
    return pd.DataFrame({"gap_count": (verdicts == FAILS).sum(axis=1),
                         "no_data_count": (verdicts == NO_DATA).sum(axis=1)}, index=villages.index)


def _hits(villages: pd.DataFrame, verdict: str) -> tuple[np.ndarray, np.ndarray]:
    """(standard, village row) of every village with the given verdict, standard by
    standard (as ``present`` gives them: the registry's order), villages in order."""
    standards = present(villages.columns)
    found = [np.flatnonzero((villages[f"{s.key}_verdict"] == verdict).to_numpy(dtype=bool)) for s in standards]
    return np.repeat(np.arange(len(standards)), [len(rows) for rows in found]), np.concatenate(found)


def _long(villages: pd.DataFrame, verdict: str, which: np.ndarray, rows: np.ndarray) -> pd.DataFrame:
    """One row per (standard, village row) pair: each column taken from the village
    table once (a text column of Arrow strings is taken string by string)."""
    value = np.full(len(rows), np.nan)
    reason = np.empty(len(rows), dtype=object)
    standards = present(villages.columns)
    for k, standard in enumerate(standards):
        at = which == k
        value[at] = villages[standard.value_column].to_numpy(dtype=float)[rows[at]]
        reason[at] = villages[f"{standard.key}_reason"].iloc[rows[at]].to_numpy(dtype=object)

    def named(names: list[str]) -> pd.api.extensions.ExtensionArray:
        return pd.array(np.array(names, dtype=object)[which], dtype=TEXT)

    return pd.DataFrame({
        **{key: villages[key].astype(TEXT).array.take(rows) for key in VILLAGE_KEYS},
        "standard": named([s.key for s in standards]), "bureau": named([s.bureau for s in standards]),
        "verdict": pd.array(np.full(len(rows), verdict, dtype=object), dtype=TEXT),
        "value": value, "value_column": named([s.value_column for s in standards]),
        "reason": pd.array(reason, dtype=TEXT),
        "poor_population": whole(villages["poor_population"].to_numpy(dtype=float)[rows]),
        "population": whole(villages["population"].to_numpy(dtype=float)[rows])})


def whole(values: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """Counts (populations) as whole numbers (``Int64``, missing values NA) when every
    recorded one is whole, so the tables show 1432, not 1432.0; else as they are."""
    values = np.asarray(values, dtype=float)
    known = ~np.isnan(values)
    if not known.any() or not (np.abs(values[known]) < 2**53).all() or (values[known] % 1).any():
        return values
    return pd.arrays.IntegerArray(np.where(known, values, 0).astype(np.int64), ~known)


# the text columns of the gap and no-data lists: pandas' default text, a missing value NaN
TEXT = pd.StringDtype(na_value=np.nan)


def gap_list(villages: pd.DataFrame) -> pd.DataFrame:
    """One row per village and failed standard, ordered per bureau by priority.

    ``priority`` ranks a standard's failing villages: 1 is the village with the most
    registered-poor people, then the larger population, then the lower code; villages
    without a registered-poor figure come last.
    """
    which, rows = _hits(villages, FAILS)
    # the order from the sort keys alone (descending, a missing figure last), the table
    # then taken in it once
    poor = villages["poor_population"].to_numpy(dtype=float)[rows]
    population = villages["population"].to_numpy(dtype=float)[rows]
    code_rank = np.empty(len(villages), dtype=np.int64)
    code_rank[villages["village_code"].argsort(kind="stable").to_numpy()] = np.arange(len(villages))
    order = np.lexsort((code_rank[rows], np.where(np.isnan(population), np.inf, -population),
                        np.where(np.isnan(poor), np.inf, -poor), which))
    which, rows = which[order], rows[order]
    first = np.searchsorted(which, which)   # each standard's first row
    gaps = _long(villages, FAILS, which, rows)
    gaps["priority"] = np.arange(len(rows)) - first + 1
    return gaps[GAP_COLUMNS]


def no_data_list(villages: pd.DataFrame) -> pd.DataFrame:
    """One row per village and standard without data: its own list, neither gap nor pass."""
    missing = _long(villages, NO_DATA, *_hits(villages, NO_DATA))
    return missing[[*VILLAGE_KEYS, "standard", "bureau", "reason"]]


def township_summary(villages: pd.DataFrame, not_applicable: bool = False) -> pd.DataFrame:
    """Counts per township: villages, villages with a gap, and per standard and verdict
    (``not_applicable`` too where a profile scopes a standard)."""
    keys = ["township_code", "township_name"]
    frame = villages[keys].copy()
    frame["township_name"] = frame["township_name"].astype(object).where(frame["township_name"].notna(), "")
    frame["villages"] = 1
    frame["villages_with_gaps"] = (villages["gap_count"] > 0).astype(int)
    for standard in present(villages.columns):
        for verdict in VERDICTS if not_applicable else VERDICTS[:-1]:
            frame[f"{standard.key}_{verdict}"] = (villages[f"{standard.key}_verdict"] == verdict).astype(int)
    summary = frame.groupby(["township_code", "township_name"], sort=True, dropna=False).sum().reset_index()
    return summary.astype({c: np.int64 for c in summary.columns if c not in keys})
