"""Gap rules, pure: a per-village verdict table in, problem lists and township counts
out. No files and no CRS in here."""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.verdicts import FAILS, NO_DATA, STANDARDS, VERDICTS

VILLAGE_KEYS = ["village_code", "village_name", "township_code", "township_name"]
GAP_COLUMNS = [*VILLAGE_KEYS, "standard", "bureau", "verdict", "value", "value_column", "reason",
               "poor_population", "population", "priority"]


def count_gaps(villages: pd.DataFrame) -> pd.DataFrame:
    """``gap_count`` (standards failed) and ``no_data_count`` per village."""
    verdicts = villages[[f"{s.key}_verdict" for s in STANDARDS]].to_numpy()
    return pd.DataFrame({"gap_count": (verdicts == FAILS).sum(axis=1),
                         "no_data_count": (verdicts == NO_DATA).sum(axis=1)}, index=villages.index)


def _long(villages: pd.DataFrame, verdict: str) -> pd.DataFrame:
    """One row per village and standard with the given verdict."""
    parts = []
    for standard in STANDARDS:   # only the columns used: each is taken row by row
        hit = villages.loc[villages[f"{standard.key}_verdict"] == verdict,
                           [*VILLAGE_KEYS, standard.value_column, f"{standard.key}_reason", "poor_population",
                            "population"]]
        parts.append(pd.DataFrame({
            **{key: hit[key].to_numpy() for key in VILLAGE_KEYS},
            "standard": standard.key, "bureau": standard.bureau, "verdict": verdict,
            "value": hit[standard.value_column].to_numpy(dtype=float), "value_column": standard.value_column,
            "reason": hit[f"{standard.key}_reason"].to_numpy(),
            "poor_population": hit["poor_population"].to_numpy(dtype=float),
            "population": hit["population"].to_numpy(dtype=float)}))
    return pd.concat(parts, ignore_index=True)


def gap_list(villages: pd.DataFrame) -> pd.DataFrame:
    """One row per village and failed standard, ordered per bureau by priority.

    ``priority`` ranks a standard's failing villages: 1 is the village with the most
    registered-poor people, then the larger population, then the lower code; villages
    without a registered-poor figure come last.
    """
    gaps = _long(villages, FAILS)
    # the order worked out on the sort keys alone, and the rows taken once in it (the
    # text columns are taken string by string)
    keys = ["standard", "poor_population", "population", "village_code"]
    ranked = gaps[keys].sort_values(keys, ascending=[True, False, False, True], na_position="last",
                                    kind="mergesort")
    ranked["priority"] = ranked.groupby("standard").cumcount() + 1
    order = {s.key: i for i, s in enumerate(STANDARDS)}
    ranked = ranked.sort_values(["standard", "priority"], key=lambda c: c.map(order) if c.name == "standard" else c,
                                kind="mergesort")
    gaps = gaps.drop(columns="priority", errors="ignore").take(gaps.index.get_indexer(ranked.index))
    gaps["priority"] = ranked["priority"].to_numpy()
    return gaps[GAP_COLUMNS].reset_index(drop=True)


def no_data_list(villages: pd.DataFrame) -> pd.DataFrame:
    """One row per village and standard without data: its own list, neither gap nor pass."""
    missing = _long(villages, NO_DATA)
    return missing[[*VILLAGE_KEYS, "standard", "bureau", "reason"]]


def township_summary(villages: pd.DataFrame) -> pd.DataFrame:
    """Counts per township: villages, villages with a gap, and per standard and verdict."""
    keys = ["township_code", "township_name"]
    frame = villages[keys].copy()
    frame["township_name"] = frame["township_name"].astype(object).where(frame["township_name"].notna(), "")
    frame["villages"] = 1
    frame["villages_with_gaps"] = (villages["gap_count"] > 0).astype(int)
    for standard in STANDARDS:
        for verdict in VERDICTS:
            frame[f"{standard.key}_{verdict}"] = (villages[f"{standard.key}_verdict"] == verdict).astype(int)
    summary = frame.groupby(["township_code", "township_name"], sort=True, dropna=False).sum().reset_index()
    return summary.astype({c: np.int64 for c in summary.columns if c not in keys})
