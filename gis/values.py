"""Parsing attribute values as found in county ledgers: numbers kept as text, yes/no
flags in Chinese or English, codes stored as numbers. Errors name column and row."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from gis.errors import DataError

TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1", "1.0", "是", "有", "√", "✓", "达标"})
FALSE_WORDS = frozenset({"false", "no", "n", "f", "0", "0.0", "否", "无", "×", "✗", "不达标"})


def blank(series: pd.Series) -> np.ndarray:
    """Mask of missing cells: null, or text that is empty after stripping."""
    text = _per_distinct(series, lambda t: t.str.strip())
    return (series.isna() | (text == "").fillna(True)).to_numpy(dtype=bool)


def numbers(series: pd.Series, where: str, column: str, *, minimum: float | None = None,
            labels: pd.Series | None = None) -> pd.Series:
    """Floats from a column; blank cells become NaN, anything else unparseable is an error."""
    values = pd.to_numeric(series.astype("string").str.strip().replace("", pd.NA), errors="coerce")
    values = values.astype(float)
    bad = np.isnan(values.to_numpy()) & ~blank(series)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{where}: column {column!r} {_row(i, labels)} holds {series.iloc[i]!r}, not a number; "
                        f"fix it or leave the cell empty ({int(bad.sum())} such cells)")
    if minimum is not None and (values < minimum).any():
        i = int(np.flatnonzero((values < minimum).to_numpy())[0])
        raise DataError(f"{where}: column {column!r} {_row(i, labels)} is {values.iloc[i]:g}, below {minimum:g}; "
                        "correct the value")
    return pd.Series(values.to_numpy(), index=series.index, dtype=float)


def parse_numbers(series: pd.Series, minimum: float | None = None) -> tuple[pd.Series, np.ndarray]:
    """Floats from a column and a mask of the cells that are not numbers (or below
    ``minimum``); those cells become NaN. Blank cells are NaN and not flagged."""
    if series.dtype in (np.float64, np.int64, np.int32, np.int16, np.int8):
        # already numbers: the text round trip below gives these very floats (repr is exact)
        values = pd.Series(series.to_numpy(dtype=float), index=series.index, dtype=float)
        bad = np.zeros(len(series), dtype=bool) if minimum is None else (values < minimum).to_numpy()
        return values.mask(bad), bad
    values = pd.to_numeric(series.astype("string").str.strip().replace("", pd.NA), errors="coerce")
    values = pd.Series(values.astype(float).to_numpy(), index=series.index, dtype=float)
    bad = np.isnan(values.to_numpy()) & ~blank(series)
    if minimum is not None:
        bad |= (values < minimum).to_numpy()
    return values.mask(bad), bad


def parse_flags(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """True/False/NA from yes-no words and a mask of the cells that are none of them."""
    text = _per_distinct(series, lambda t: t.str.strip().str.lower())
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[text.isin(TRUE_WORDS).fillna(False).to_numpy(dtype=bool)] = True
    out[text.isin(FALSE_WORDS).fillna(False).to_numpy(dtype=bool)] = False
    return out, out.isna().to_numpy() & ~blank(series)


def flags(series: pd.Series, where: str, column: str, labels: pd.Series | None = None) -> pd.Series:
    """True/False/NA from yes-no words (是/否, true/false, 1/0); other words are errors."""
    text = series.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[text.isin(TRUE_WORDS).fillna(False).to_numpy(dtype=bool)] = True
    out[text.isin(FALSE_WORDS).fillna(False).to_numpy(dtype=bool)] = False
    bad = out.isna().to_numpy() & ~blank(series)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{where}: column {column!r} {_row(i, labels)} holds {series.iloc[i]!r}; use 是/否 or "
                        "true/false (or leave it empty when unknown)")
    return out


def codes(series: pd.Series) -> pd.Series:
    """Codes as text: 522326100201.0 read from a numeric column becomes '522326100201' (a
    number that is not whole keeps its fraction: it is no code, and is reported as such)."""
    if pd.api.types.is_float_dtype(series) or pd.api.types.is_integer_dtype(series):
        return series.map(_number_code).astype("string")
    return series.astype("string").str.strip().replace("", pd.NA)


def _number_code(value) -> object:
    if pd.isna(value):
        return pd.NA
    return f"{int(value)}" if float(value).is_integer() else repr(float(value))


# Codes as Excel writes a number into a CSV: with a decimal part of zeros (522326101200.0),
# or in scientific notation (5.22326E+11, General format: the last digits rounded away).
_DECIMAL_ZEROS = re.compile(r"(\d+)\.0*")
_SCIENTIFIC = re.compile(r"(\d+)(?:\.(\d*))?[eE]\+?(\d+)")


def code_cells(series: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Text codes as Excel may have written them: the codes (a Series like ``series``,
    unchanged where nothing is found), a mask of cells in scientific notation whose digits
    are not all there (5.22326E+11 for 522326101200: the code is lost), and a mask of
    cells that are whole numbers written exactly (522326101200.0, 5.22326101200E+11),
    given as the code they are. Number columns are left to ``codes``."""
    lost = np.zeros(len(series), dtype=bool)
    number = np.zeros(len(series), dtype=bool)
    if not (isinstance(series.dtype, pd.StringDtype) or series.dtype == object):
        return series, lost, number
    text = series.astype("string").str.strip()
    odd = text.str.contains(r"^\d+\.0*$|^\d+(?:\.\d*)?[eE]\+?\d+$", regex=True).fillna(False).to_numpy(dtype=bool)
    if not odd.any():
        return series, lost, number
    fixed = series.to_numpy(dtype=object, na_value=None).copy()
    for i in np.flatnonzero(odd):
        whole = _whole_number(text.iloc[i])
        if whole is None:
            lost[i] = True
        else:
            fixed[i], number[i] = whole, True
    return pd.Series(fixed, index=series.index, dtype="string"), lost, number


def _whole_number(text: str) -> str | None:
    """The digits of a whole number written as 522326101200.0 or 5.22326101200E+11; None
    when the notation holds fewer digits than the number has (they were rounded away)."""
    if match := _DECIMAL_ZEROS.fullmatch(text):
        return match.group(1)
    head, tail, power = _SCIENTIFIC.fullmatch(text).groups()
    digits, point = head + (tail or ""), len(head) + int(power)
    if len(digits) < point or digits[point:].strip("0"):
        return None      # rounded (too few digits) or not whole: no code either way
    return digits[:point].lstrip("0") or "0"


def words(series: pd.Series) -> pd.Series:
    """Text normalised for matching against profile value lists (stripped, lower case)."""
    return _per_distinct(series, lambda t: t.str.strip().str.lower().replace("", pd.NA))


def positions(codes: pd.Series, wanted: np.ndarray) -> np.ndarray:
    """The position among ``codes`` (unique) of each of ``wanted``, -1 where it is none:
    one hash table over the text as Python objects (``Series.isin`` on Arrow-stored text
    goes cell by cell: 490k villages' codes 2.6 s)."""
    index = pd.Index(codes.to_numpy(dtype=object, na_value=None), dtype=object)
    return index.get_indexer(pd.Index(np.asarray(wanted, dtype=object), dtype=object))


def shared_text(series: pd.Series) -> pd.Series:
    """A text column whose equal cells are one object: GDAL hands every cell its own str
    (~60 bytes), and a national road layer repeats half a dozen surfaces three million
    times. Same values, dtype and index; other columns, text stored by Arrow (one buffer,
    no object a cell: as read, gis.io) and text that seldom repeats are returned as they
    are."""
    if not isinstance(series.dtype, pd.StringDtype) or series.dtype.storage != "python" or len(series) < 1000:
        return series
    codes, distinct = pd.factorize(series, use_na_sentinel=True)
    if len(distinct) > len(series) // 2:
        return series
    return pd.Series(distinct.take(codes, allow_fill=True), index=series.index, name=series.name)


def _per_distinct(series: pd.Series, func) -> pd.Series:
    """``func(series.astype("string"))`` worked out once per distinct value: a text column
    (pandas' string dtype: every cell a str or missing) of a large layer repeats a few
    words (surfaces, types, yes/no); other columns are converted cell by cell."""
    if not isinstance(series.dtype, pd.StringDtype) or len(series) < 1000:
        return func(series.astype("string"))
    codes, distinct = pd.factorize(series, use_na_sentinel=True)
    done = func(pd.Series(distinct, dtype=object).astype("string")).to_numpy(dtype=object, na_value=pd.NA)
    picked = np.append(done, pd.NA)[codes]      # code -1 (missing) picks the appended NA
    return pd.Series(pd.array(picked, dtype="string"), index=series.index)


def _row(i: int, labels: pd.Series | None) -> str:
    return f"village {labels.iloc[i]}" if labels is not None else f"row {i + 1}"
