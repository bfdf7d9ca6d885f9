"""Which villages a standard applies to ([apply.<standard>] in the profile): a standard
switched off (``enabled = false``) is ``not_applicable`` for every village; one applied to a
subset (``applies_to``, a yes/no column of the villages such as 贫困村) is ``not_applicable``
for the villages outside it, and ``no_data`` where the column is empty (whether it applies is
unknown). ``not_applicable`` is neither a gap nor no_data: it is on no list."""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers import gaps
from layers.settings import Profile
from layers.verdicts import BY_KEY, NO_DATA, NOT_APPLICABLE, T

SWITCHED_OFF = T(zh="本项标准未启用（配置 [apply.{key}] enabled = false）",
                 en="standard switched off in the profile ([apply.{key}] enabled = false)")
OUTSIDE = T(zh="不适用：本村{column}为否", en="not applicable: {column} is no for this village")
UNKNOWN = T(zh="不知是否适用：本村{column}未填", en="unknown whether it applies: {column} is empty for this village")
COLUMN_WORDS = {"poor_village": T(zh="贫困村", en="poor village")}


def apply_scopes(villages: pd.DataFrame, flags: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """``villages`` (the village table) with each scoped standard's verdict and reason set
    for the villages it does not apply to; ``flags``: the villages as read (their yes/no
    columns), aligned to ``villages``. The table itself when no standard is scoped."""
    if not profile.scopes:
        return villages
    villages = villages.copy()
    lang = profile.lang
    for key, scope in profile.scopes.items():
        verdict, reason = f"{key}_verdict", f"{key}_reason"
        if not scope.enabled:
            villages[verdict] = NOT_APPLICABLE
            villages[reason] = SWITCHED_OFF.format(lang, key=key)
            villages[BY_KEY[key].value_column] = np.nan
            continue
        if scope.applies_to is None:
            continue
        flag = flags[scope.applies_to].reindex(villages.index)
        column = COLUMN_WORDS[scope.applies_to](lang)
        outside = (flag == False).fillna(False).to_numpy(dtype=bool)   # noqa: E712 (nullable booleans)
        unknown = flag.isna().to_numpy()
        villages.loc[outside, verdict] = NOT_APPLICABLE
        villages.loc[outside, reason] = OUTSIDE.format(lang, column=column)
        villages.loc[unknown, verdict] = NO_DATA
        villages.loc[unknown, reason] = UNKNOWN.format(lang, column=column)
    counts = gaps.count_gaps(villages)
    villages["gap_count"], villages["no_data_count"] = counts["gap_count"], counts["no_data_count"]
    return villages


def scoped(profile: Profile) -> bool:
    """Whether any standard is switched off or applied to a subset (the township table
    then counts ``not_applicable`` too)."""
    return bool(profile.scopes)
