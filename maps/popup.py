"""The evidence a village's popup shows for every standard: measured value, limit, nearest
facility and the reason, as plain text (the page inserts it with textContent, never as HTML).

``evidence`` gives, per village, one row per standard: [standard, measured value (a whole
number, in metres, percent or clinics; the page adds the unit), facility, reason];
the verdict travels in ``{standard}_verdict`` and the page looks up the words; the limits,
the same for every village, travel once (``limit_texts``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from maps.styles import STANDARDS


def _column(villages: pd.DataFrame, name: str) -> pd.Series:
    if name in villages.columns:
        return villages[name]
    return pd.Series(np.nan, index=villages.index, dtype=float)


def _number(values: pd.Series, scale: float, template: str) -> pd.Series:
    """``template`` filled with the value times ``scale`` (no decimals, thousands grouped); "" when missing."""
    numbers = pd.to_numeric(values, errors="coerce") * scale
    text = numbers.map(lambda value: template.format(value=f"{value:,.0f}") if pd.notna(value) else "")
    return text.astype(object)


def _rounded(values: pd.Series, scale: float) -> pd.Series:
    """The value times ``scale`` as a whole number, None when missing (the page adds the unit)."""
    numbers = (pd.to_numeric(values, errors="coerce") * scale).round()
    return numbers.astype(object).where(numbers.notna(), None).map(lambda v: v if v is None else int(v))


# How the page words each standard's measured value: scale here, template there.
MEASURES = {"road": ("road_hardened_m", 1, "measure.metres"), "water": ("water_share", 100, "measure.percent"),
            "clinic": ("clinic_count", 1, "measure.clinics"), "net4g": ("net4g_share", 100, "measure.percent"),
            "fibre": ("fibre_nearest_m", 1, "measure.metres")}


def measure_texts(words: Mapping[str, str], extra: tuple = ()) -> dict[str, str]:
    """The template of each standard's measured value, "{value}" standing for the number
    (``extra``: the optional standards', maps.extra)."""
    return {**{key: words[template] for key, (_, _, template) in MEASURES.items()},
            **{standard.key: standard.measure for standard in extra}}


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").map(str)


def _limit(limits: Mapping[str, float], key: str, scale: float, template: str) -> str:
    return template.format(value=f"{limits[key] * scale:,.0f}") if key in limits else ""


def _measured(villages: pd.DataFrame) -> dict[str, pd.Series]:
    return {key: _rounded(_column(villages, column), scale) for key, (column, scale, _) in MEASURES.items()}


def limit_texts(limits: Mapping[str, float], words: Mapping[str, str], extra: tuple = ()) -> dict[str, str]:
    """The limit of each standard as the popups show it; "" when not given."""
    return {**{standard.key: standard.limit for standard in extra},
        "road": _limit(limits, "road_max_distance_m", 1, words["limit.at_most_m"]),
        "water": _limit(limits, "water_min_share", 100, words["limit.at_least_pct"]),
        "clinic": words["limit.clinic"],
        "net4g": _limit(limits, "net4g_min_share", 100, words["limit.at_least_pct"]),
        "fibre": _limit(limits, "fibre_max_distance_m", 1, words["limit.at_most_m"])}


def _facilities(villages: pd.DataFrame, words: Mapping[str, str]) -> dict[str, pd.Series]:
    empty = pd.Series("", index=villages.index, dtype=object)
    name = _text(_column(villages, "clinic_nearest_name"))
    distance = _number(_column(villages, "clinic_nearest_m"), 1, "{value}")
    template = words["facility.at"]
    clinic = pd.Series([template.format(name=n, distance=d) if n and d else (n or "")
                        for n, d in zip(name, distance)], index=villages.index, dtype=object)
    return {"road": empty, "water": _text(_column(villages, "water_project")), "clinic": clinic,
            "net4g": empty, "fibre": empty}


def _extra_facilities(villages: pd.DataFrame, standard) -> pd.Series:
    """An optional standard's popup columns as "words：value" pieces (maps.extra)."""
    pieces = [_text(_column(villages, column)).map(lambda v, label=label: f"{label}：{v}" if v else "")
              for column, label in standard.popup]
    if not pieces:
        return pd.Series("", index=villages.index, dtype=object)
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = joined.str.cat(piece, sep="；").str.strip("；")
    return joined.astype(object)


def evidence(villages: pd.DataFrame, words: Mapping[str, str], extra: tuple = ()) -> pd.Series:
    """Per village (aligned to ``villages``), the popup rows of the five standards, then of
    the optional ones of ``extra`` (maps.extra) the table holds."""
    measured, facility = _measured(villages), _facilities(villages, words)
    for standard in extra:
        if f"{standard.key}_verdict" in villages:
            measured[standard.key] = _rounded(_column(villages, standard.value_column), standard.scale)
            facility[standard.key] = _extra_facilities(villages, standard)
    columns = [list(zip([key] * len(villages), measured[key], facility[key], _text(_column(villages, f"{key}_reason"))))
               for key in [*STANDARDS, *(s.key for s in extra if f"{s.key}_verdict" in villages)]]
    rows = [[list(row) for row in per_village] for per_village in zip(*columns)]
    return pd.Series(rows, index=villages.index, dtype=object)
