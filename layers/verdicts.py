"""Verdict words and the registry of standards: which bureau owns which check."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

import numpy as np
import pandas as pd

MEETS = "meets"        # 达标
BASIC = "basic"        # 基本达标
FAILS = "fails"        # 不达标
NO_DATA = "no_data"    # 无数据: its own list, never a gap and never a pass
VERDICTS = (MEETS, BASIC, FAILS, NO_DATA)

# Ordering for "best of several" and "worst of several" gradings.
RANK = {FAILS: 0, BASIC: 1, MEETS: 2}


@dataclass(frozen=True)
class Standard:
    key: str          # column prefix: road_verdict, road_reason, ...
    bureau: str       # responsible bureau
    label: str
    value_column: str  # the measured value shown in the gap list


STANDARDS = (
    Standard("road", "transport", "Hardened road", "road_hardened_m"),
    Standard("water", "water", "Drinking water", "water_share"),
    Standard("clinic", "health", "Village clinic", "clinic_nearest_m"),
    Standard("net4g", "telecom", "4G coverage", "net4g_share"),
    Standard("fibre", "telecom", "Fibre broadband", "fibre_nearest_m"),
)
BY_KEY = {standard.key: standard for standard in STANDARDS}




class Grades:
    """Verdicts and reasons for n villages, decided rule by rule: the first rule that
    matches a village decides it; villages no rule matched stay ``no_data``."""

    def __init__(self, n: int, default_reason: str = "no rule applied"):
        self.verdict = np.full(n, NO_DATA, dtype=object)
        self.reason = np.full(n, default_reason, dtype=object)
        self.decided = np.zeros(n, dtype=bool)

    def rule(self, mask: np.ndarray, verdict: str, reason: str | np.ndarray) -> None:
        take = np.asarray(mask, dtype=bool) & ~self.decided
        self.verdict[take] = verdict
        self.reason[take] = reason[take] if isinstance(reason, (np.ndarray, Sentences)) else reason
        self.decided |= take

    def frame(self, prefix: str, index: pd.Index, **values) -> pd.DataFrame:
        """``{prefix}_verdict`` and ``{prefix}_reason`` after the value columns, aligned to ``index``."""
        columns = dict(values)
        columns[f"{prefix}_verdict"] = self.verdict
        columns[f"{prefix}_reason"] = self.reason
        return pd.DataFrame(columns, index=index)


class Sentences:
    """One reason sentence per village, ``template.format`` over aligned columns, written
    only for the villages a rule takes (``sentences[mask]``): most rules decide few
    villages, so formatting every row for every rule was most of a step's Python time.

    Each field is formatted on its own (a whole number once per number shown, see
    ``_formatted``) and the pieces joined as numpy strings: 490k fibre reasons 0.9 ->
    0.2 s. A template with conversions (``{x!r}``) or fields such as ``{x.y}`` is
    formatted a row at a time."""

    def __init__(self, template: str, columns: dict):
        self.template = template
        self.names = list(columns)
        self.columns = [columns[name] if isinstance(columns[name], Texts) else np.asarray(columns[name], dtype=object)
                        for name in self.names]
        self.parts = list(string.Formatter().parse(template))
        fields = [(name, spec, conversion) for _, name, spec, conversion in self.parts if name is not None]
        self.by_field = bool(fields) and all(name in self.names and conversion is None and "{" not in spec
                                             for name, spec, conversion in fields)

    def __getitem__(self, rows) -> np.ndarray:
        if not self.by_field:
            template, names = self.template, self.names
            picked = zip(*(column[rows] for column in self.columns))
            return np.array([template.format(**dict(zip(names, row))) for row in picked], dtype=object)
        columns = dict(zip(self.names, self.columns))
        pieces = []   # the template's texts and its fields' texts, in order
        for literal, name, spec, _ in self.parts:
            if literal:
                pieces.append(literal)
            if name is not None:
                values = columns[name][rows]
                pieces.append(np.asarray(values if isinstance(columns[name], Texts) else _formatted(values, spec),
                                         dtype=_TEXT))
        text = np.zeros(len(next(piece for piece in pieces if not isinstance(piece, str))), dtype=_TEXT)
        for piece in pieces:
            text = np.strings.add(text, piece)
        return text.astype(object)

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self[np.arange(len(self))]


_TEXT = np.dtypes.StringDType()
_WHOLE = re.compile(r"[^.]*\.0[f%]")   # a spec showing whole numbers (or whole percents)


def _formatted(values: np.ndarray, spec: str) -> np.ndarray:
    """``format(value, spec)`` of each value. Numbers shown whole (``,.0f``, ``.0%``)
    are formatted once per number shown: values that round to the same whole number
    (``rint``, round half to even, as ``format`` rounds; times 100 first for ``%``,
    as ``format`` does) show the same text, that of the first of them."""
    if _WHOLE.fullmatch(spec):
        try:
            numbers = values.astype(np.float64)
        except (TypeError, ValueError):
            numbers = None
        if numbers is not None:
            shown = np.rint(numbers * 100.0 if spec.endswith("%") else numbers)
            codes, uniques = pd.factorize(shown.view(np.int64))   # by bits: -0 and 0 apart
            first = np.zeros(len(uniques), dtype=np.int64)
            first[codes[::-1]] = np.arange(len(codes))[::-1]
            return np.array([format(values[i], spec) for i in first], dtype=object)[codes]
    return np.array([format(value, spec) for value in values], dtype=object)


class Texts:
    """A column of per-village texts ``func(*values)``, made only for the villages a
    sentence asks for (``texts[rows]``); a column of ``sentences``."""

    def __init__(self, func, *columns):
        self.func = func
        self.columns = [np.asarray(column, dtype=object) for column in columns]

    def __getitem__(self, rows) -> np.ndarray:
        func = self.func
        return np.array([func(*row) for row in zip(*(column[rows] for column in self.columns))], dtype=object)

    def __len__(self) -> int:
        return len(self.columns[0])


def sentences(template: str, **columns) -> Sentences:
    """One reason sentence per village: ``template.format`` over aligned columns (formatted
    when a rule takes the village)."""
    return Sentences(template, columns)
