"""Ledgers against geometry (账实相符): where a ledger column says one thing and the
map another, one row per village and disagreement, with the bureau that owns it. Each
standard declares its own checks (``Standard.ledger``, in layers/standards/):

- ``water_served_list``: a water project's served-village list names a village its
  service area does not reach (neither the polygon nor, without one, the seat).
- ``clinic_recorded``: the villages layer's ``has_clinic`` says yes but no clinic point
  lies inside the village, or says no while one does.
- ``road_recorded_hardened``: the villages layer's ``road_hardened`` says yes but no
  hardened road lies within ``standards.roads.max_distance_m`` of the village.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.inputs import Inputs
from layers.settings import Profile
from layers.standards import STANDARDS

COLUMNS = ["village_code", "village_name", "township_code", "township_name", "bureau", "check", "ledger",
           "map", "source"]


def mismatches(inputs: Inputs, profile: Profile) -> pd.DataFrame:
    """Every disagreement between a ledger column and the geometry, ordered by bureau,
    check and village code; ``row`` is the village's position in the villages layer."""
    parts = [standard.ledger(inputs, profile) for standard in STANDARDS if standard.ledger is not None]
    rows = pd.concat([part for part in parts if len(part)] or [pd.DataFrame(columns=["row", *COLUMNS[4:]])],
                     ignore_index=True)
    v = inputs.villages
    out = pd.DataFrame({"row": rows["row"].to_numpy(dtype=np.int64)})
    out["village_code"] = v["code"].to_numpy(dtype=object)[out["row"]]
    out["village_name"] = v["name"].to_numpy(dtype=object)[out["row"]]
    out["township_code"] = v["township_code"].to_numpy(dtype=object)[out["row"]]
    out["township_name"] = v["township_name"].to_numpy(dtype=object)[out["row"]]
    for column in COLUMNS[4:]:
        out[column] = rows[column].to_numpy(dtype=object)
    return out.sort_values(["bureau", "check", "village_code"], ignore_index=True)[["row", *COLUMNS]]


def layers_checked(inputs: Inputs) -> set[str]:
    """The input layers the villages' own records are checked against beyond the standards'
    steps (``Standard.ledger_column``), which a run without maps must therefore keep until then."""
    return {name for s in STANDARDS if s.ledger_column in inputs.villages for name in s.layers}
