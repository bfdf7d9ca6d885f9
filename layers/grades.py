"""Grading villages rule by rule: the verdict keys, their words, ``Grades`` (the first
rule that matches a village decides it) and the reason sentences, made only for the
villages a rule takes. Apart from layers.verdicts so that a standard's own module
(layers/standards/<key>.py) can grade without importing the registry it belongs to."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.text import DEFAULT_LANG, T, check_lang

MEETS = "meets"        # 达标
BASIC = "basic"        # 基本达标
FAILS = "fails"        # 不达标
NO_DATA = "no_data"    # 无数据: its own list, never a gap and never a pass
NOT_APPLICABLE = "not_applicable"   # 不适用: switched off, or not among the villages it applies to
VERDICTS = (MEETS, BASIC, FAILS, NO_DATA, NOT_APPLICABLE)

# Ordering for "best of several" and "worst of several" gradings.
RANK = {FAILS: 0, BASIC: 1, MEETS: 2}


VERDICT_WORDS = {MEETS: T(zh="达标", en="meets"), BASIC: T(zh="基本达标", en="basically meets"),
                 FAILS: T(zh="不达标", en="fails"), NO_DATA: T(zh="无数据", en="no data"),
                 NOT_APPLICABLE: T(zh="不适用", en="not applicable")}


NO_RULE = T(zh="没有规则适用", en="no rule applied")
NO_ORIGIN = T(zh="该村既无边界也无村委会位置", en="village has neither a boundary nor a seat")


class Grades:
    """Verdicts and reasons for n villages in one language, decided rule by rule: the
    first rule that matches a village decides it; villages no rule matched stay
    ``no_data`` with the ``default`` reason."""

    def __init__(self, n: int, lang: str = DEFAULT_LANG, default: T = NO_RULE):
        self.lang = check_lang(lang)
        self.verdict = np.full(n, NO_DATA, dtype=object)
        self.reason = np.full(n, default(lang), dtype=object)
        self.decided = np.zeros(n, dtype=bool)

    def rule(self, mask: np.ndarray, verdict: str, reason: T | Sentences | np.ndarray, **columns) -> None:
        """Villages in ``mask`` not yet decided take ``verdict`` and ``reason``: a ``T``,
        its fields filled from ``columns`` (aligned arrays, or one value for all), or
        sentences already made."""
        if isinstance(reason, T):
            text = reason(self.lang)
            reason = Sentences(text, columns) if columns else text
        elif isinstance(reason, str):
            raise TypeError(f"a reason is a T(zh=..., en=...), not a text in one language: {reason!r}")
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

    Each field is formatted on its own (a number once per number shown, see
    ``_formatted``) and the pieces joined as numpy strings: 490k fibre reasons 0.9 ->
    0.2 s. A column may be one value for every village (a limit: formatted once), a
    ``Texts``, or numpy strings (``StringDType``: taken as they are). A template with
    conversions (``{x!r}``) or fields such as ``{x.y}`` is formatted a row at a time."""

    def __init__(self, template: str, columns: dict):
        self.template = template
        self.names = list(columns)
        self.columns = [_column(columns[name]) for name in self.names]
        self.parts = list(string.Formatter().parse(template))
        fields = [(name, spec, conversion) for _, name, spec, conversion in self.parts if name is not None]
        self.by_field = bool(fields) and all(name in self.names and conversion is None and "{" not in spec
                                             for name, spec, conversion in fields)

    def __getitem__(self, rows) -> np.ndarray:
        if not self.by_field:
            template, names = self.template, self.names
            picked = zip(*(np.full(len(self), column, dtype=object)[rows] if isinstance(column, _One)
                           else column[rows] for column in self.columns))
            return np.array([template.format(**dict(zip(names, row))) for row in picked], dtype=object)
        columns = dict(zip(self.names, self.columns))
        pieces = []   # the template's texts and its fields' texts, in order
        for literal, name, spec, _ in self.parts:
            if literal:
                pieces.append(literal)
            if name is not None:
                column = columns[name]
                if isinstance(column, _One):
                    pieces.append(format(column.value, spec))
                    continue
                values = column[rows]
                if not (isinstance(column, Texts) or values.dtype == _TEXT):
                    values = _formatted(values, spec)
                pieces.append(np.asarray(values, dtype=_TEXT))
        arrays = [piece for piece in pieces if not isinstance(piece, str)]
        size = len(arrays[0]) if arrays else _count(rows)
        text = np.zeros(size, dtype=_TEXT)
        for piece in pieces:
            text = np.strings.add(text, piece)
        return text.astype(object)

    def __len__(self) -> int:
        lengths = [len(column) for column in self.columns if not isinstance(column, _One)]
        return lengths[0] if lengths else 0

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self[np.arange(len(self))]


def _count(rows) -> int:
    rows = np.asarray(rows)
    return int(rows.sum()) if rows.dtype == bool else len(rows)


@dataclass(frozen=True)
class _One:
    """One value for every village (a limit from the profile)."""

    value: object


def _column(value):
    if isinstance(value, Texts):
        return value
    if isinstance(value, np.ndarray) and value.dtype == _TEXT:
        return value
    if isinstance(value, (str, int, float, np.number)):
        return _One(value)
    return np.asarray(value, dtype=object)


_TEXT = np.dtypes.StringDType()
_FIXED = re.compile(r"[^.]*\.(\d)[f%]")   # a spec showing numbers with a fixed count of decimals


def _formatted(values: np.ndarray, spec: str) -> np.ndarray:
    """``format(value, spec)`` of each value, once per number shown. Numbers shown with a
    fixed count of decimals k (``,.0f``, ``.1%``): values whose ``rint(value * 10**k)``
    agree (times 100 first for ``%``, as ``format`` does; ``rint`` rounds half to even, as
    ``format`` rounds) show the same text, that of the first of them; a value within a
    rounding error of a tie once scaled (k > 0) is formatted on its own."""
    fixed = _FIXED.fullmatch(spec)
    if fixed:
        try:
            numbers = values.astype(np.float64)
        except (TypeError, ValueError):
            numbers = None
        if numbers is not None:
            shown = numbers * 100.0 if spec.endswith("%") else numbers
            digits = int(fixed.group(1))
            alone = np.zeros(len(shown), dtype=bool)   # formatted on their own
            if digits:
                shown = shown * 10.0 ** digits
                with np.errstate(invalid="ignore"):
                    tie = np.abs(np.abs(shown - np.floor(shown)) - 0.5)
                    alone = ~(np.abs(shown) < 2.0 ** 50) | (tie < np.maximum(1e-6, 8 * np.spacing(np.abs(shown))))
            shown = np.rint(shown)
            out = np.empty(len(values), dtype=object)
            rest = np.flatnonzero(~alone)
            codes, uniques = pd.factorize(shown[rest].view(np.int64))   # by bits: -0 and 0 apart
            first = np.zeros(len(uniques), dtype=np.int64)
            first[codes[::-1]] = np.arange(len(codes))[::-1]
            out[rest] = np.array([format(values[i], spec) for i in rest[first]], dtype=object)[codes]
            for i in np.flatnonzero(alone):
                out[i] = format(values[i], spec)
            return out
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


def sentences(template: str | T, lang: str | None = None, /, **columns) -> Sentences:
    """One reason sentence per village: ``template.format`` over aligned columns (formatted
    when a rule takes the village); a ``T`` in ``lang``."""
    if isinstance(template, T):
        template = template(lang or DEFAULT_LANG)
    return Sentences(template, columns)


def text_column(template: T, lang: str, rows: np.ndarray, **columns) -> np.ndarray:
    """``template`` in ``lang`` for the villages in ``rows`` (a mask), "" elsewhere, as
    numpy strings: a piece of a longer sentence (``Sentences`` takes it as it is)."""
    rows = np.asarray(rows, dtype=bool)
    out = np.zeros(len(rows), dtype=_TEXT)
    if rows.any():
        made = Sentences(template(lang), columns)[rows] if columns else template(lang)
        out[rows] = np.asarray(made, dtype=_TEXT) if not isinstance(made, str) else made
    return out


def number_text(value: float) -> str:
    """A number from the profile as people read it: whole when it is (``35``, ``2,500``),
    else with one decimal (``4.5``)."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def percent_text(share: float) -> str:
    """A share from the profile (0-1) as a percentage: ``0.9`` -> ``90%``, ``0.955`` -> ``95.5%``."""
    return number_text(round(share * 100, 1)) + "%"


def numbers_text(values: np.ndarray) -> np.ndarray:
    """Measured numbers as ``number_text`` shows them, as numpy strings (NaN: "")."""
    values = np.asarray(values, dtype=np.float64)
    whole = np.rint(values) == np.round(values, 1)
    out = np.where(whole, _formatted(values, ",.0f"), _formatted(values, ",.1f")).astype(_TEXT)
    return np.where(np.isnan(values), "", out)


def joined(pieces: list[np.ndarray], separator: str) -> np.ndarray:
    """Aligned numpy-string columns joined by ``separator``, empty pieces left out."""
    out = np.zeros(len(pieces[0]) if pieces else 0, dtype=_TEXT)
    for piece in pieces:
        piece = np.asarray(piece, dtype=_TEXT)
        both = (out != "") & (piece != "")
        out = np.strings.add(np.strings.add(out, np.where(both, separator, "")), piece)
    return out
