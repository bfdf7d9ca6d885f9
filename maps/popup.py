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

from maps.standards import FIRST
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


# How the page words each standard's measured value: column and scale here, template there.
MEASURES = {standard["key"]: (standard["shown"]["column"], standard["shown"]["scale"], standard["shown"]["words"])
            for standard in FIRST}


def measure_texts(words: Mapping[str, str], extra: tuple = ()) -> dict[str, str]:
    """The template of each standard's measured value, "{value}" standing for the number
    (``extra``: the optional standards', maps.extra)."""
    return {**{key: words[template] for key, (_, _, template) in MEASURES.items()},
            **{standard.key: standard.measure for standard in extra}}


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").map(str)


def _limit(limits: Mapping[str, float], limit: Mapping, words: Mapping[str, str]) -> str:
    """A standard's limit (maps/standards.py): its template filled with the value ``limits``
    gives (times the scale), "" when not given; the words alone when the limit is fixed."""
    template = words[limit["words"]]
    if not limit["key"]:
        return template
    return template.format(value=f"{limits[limit['key']] * limit['scale']:,.0f}") if limit["key"] in limits else ""


def _measured(villages: pd.DataFrame) -> dict[str, pd.Series]:
    return {key: _rounded(_column(villages, column), scale) for key, (column, scale, _) in MEASURES.items()}


def limit_texts(limits: Mapping[str, float], words: Mapping[str, str], extra: tuple = ()) -> dict[str, str]:
    """The limit of each standard as the popups show it; "" when not given."""
    return {**{standard.key: standard.limit for standard in extra},
            **{standard["key"]: _limit(limits, standard["limit"], words) for standard in FIRST}}


def _facility(villages: pd.DataFrame, columns: list[str], words: Mapping[str, str]) -> pd.Series:
    """The nearest facility a standard's popup names (maps/standards.py): none, the text of a
    column, or a name and its distance in metres ("{name}, {distance} m")."""
    if not columns:
        return pd.Series("", index=villages.index, dtype=object)
    name = _text(_column(villages, columns[0]))
    if len(columns) == 1:
        return name
    distance = _number(_column(villages, columns[1]), 1, "{value}")
    template = words["facility.at"]
    return pd.Series([template.format(name=n, distance=d) if n and d else (n or "")
                      for n, d in zip(name, distance)], index=villages.index, dtype=object)


def _facilities(villages: pd.DataFrame, words: Mapping[str, str]) -> dict[str, pd.Series]:
    return {standard["key"]: _facility(villages, standard["facility"], words) for standard in FIRST}


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
