"""Several periods' runs in time order (issue 20, 动态清零): open problems per bureau and
township in each run, and what closed and what is new in each period. Pure: village tables
in (as ``layers.changes.read_run`` reads them), the trend table out; ``maps.trend`` draws it.

The trend table has one row per run x bureau x township (zeros too, so every line is whole):
``run`` (0, 1, ... in time order), ``label`` (the run's date or folder name), ``bureau``,
``township_code``, ``township_name``, ``open`` (fails and basic verdicts in that run: one
per village and standard, so a village failing 4G and fibre counts twice for telecom),
``closed`` and ``new`` (changes from the previous run, ``layers.compare``; 0 in run 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from layers import compare as cmp
from layers.standards import ALL, STANDARDS

COLUMNS = ("run", "label", "bureau", "township_code", "township_name", "open", "closed", "new")
KEYS = ["bureau", "township_code"]
BUREAUS = list(dict.fromkeys(s.bureau for s in STANDARDS))   # the five standards'; the plug-ins' follow where checked


def open_problems(villages: pd.DataFrame) -> pd.DataFrame:
    """Open problems (fails or basic) per bureau and township of one run's villages."""
    parts = []
    towns = villages[["township_code", "township_name"]].fillna("")   # only these are copied, not the whole rows
    for standard in ALL:
        column = f"{standard.key}_verdict"
        if column not in villages:
            continue
        rows = towns[villages[column].isin(cmp.OPEN).to_numpy()]
        parts.append(pd.DataFrame({"bureau": standard.bureau, "township_code": rows["township_code"],
                                   "township_name": rows["township_name"]}))
    found = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*KEYS, "township_name"])
    return found.groupby(KEYS, sort=False).agg(township_name=("township_name", "first"),
                                               open=("township_name", "size")).reset_index()


def trend(villages: Sequence[pd.DataFrame], labels: Sequence[str], codes: pd.DataFrame | None = None,
          last: pd.DataFrame | None = None) -> pd.DataFrame:
    """The trend over ``villages`` (one table per run, in time order) labelled ``labels``;
    ``codes``: a code-change table applied to every period's comparison; ``last``: the
    changes of the last period when they are at hand (``compare`` of the last two tables
    with ``codes``), not worked out again."""
    if len(villages) != len(labels):
        raise ValueError("one label per run")
    counted = []
    for k, table in enumerate(villages):
        counted.append(open_problems(table).set_index(KEYS)["open"].rename(("open", k)))
        if k:
            changes = last if last is not None and k == len(villages) - 1 else cmp.compare(villages[k - 1], table, codes)
            for key in (cmp.CLOSED, cmp.NEW):
                picked = changes.loc[changes["change"] == key, KEYS]
                picked = picked.assign(township_code=picked["township_code"].fillna(""))
                counted.append(picked.groupby(KEYS, sort=False).size().rename((key, k)))
    names = pd.concat([table[["township_code", "township_name"]].fillna("") for table in villages]) \
        .drop_duplicates("township_code", keep="last").set_index("township_code")["township_name"]
    checked = {s.bureau for s in ALL if s.plugin is not None and any(f"{s.key}_verdict" in t for t in villages)}
    bureaus = BUREAUS + [b for b in dict.fromkeys(s.bureau for s in ALL) if b in checked and b not in BUREAUS]
    grid = pd.MultiIndex.from_product([bureaus, sorted(names.index)], names=KEYS)
    wide = pd.concat(counted, axis=1).reindex(grid).fillna(0).astype(int)
    rows = []
    for k, label in enumerate(labels):
        part = pd.DataFrame({"run": k, "label": label}, index=grid).reset_index()
        for key in ("open", cmp.CLOSED, cmp.NEW):
            part[key] = wide[(key, k)].to_numpy() if (key, k) in wide else 0
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    out["township_name"] = out["township_code"].map(names).fillna("")
    return out[list(COLUMNS)]


def per_bureau(trend_table: pd.DataFrame) -> pd.DataFrame:
    """The trend summed over townships: one row per run x bureau."""
    return trend_table.groupby(["run", "label", "bureau"], sort=False)[["open", "closed", "new"]].sum().reset_index()
