"""Text encodings of Shapefiles and garbled text.

County Shapefiles are often GBK without a ``.cpg``. The rule: the profile's ``encoding``
wins; else the ``.cpg``; else the ``.dbf`` text fields decide: strict UTF-8 when they
decode as UTF-8, else GB18030 (a superset of GBK) when they decode as that.
"""

from __future__ import annotations

import codecs
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gis.errors import DataError
from gis.files import ordinary

# Sequences that appear when UTF-8 is read as GBK (锟斤拷, 鍙, 鏉...) or as Latin-1 (Ã, å...).
MOJIBAKE_MARKS = ("\ufffd", "锟斤拷", "烫烫烫", "屯屯屯")
_LATIN1_HIGH = "[\u00c0-\u00ff][\u0080-\u00bf]"
# Characters that UTF-8 village words (村, 镇, 县, 乡, 委员会, 社区...) turn into when read as
# GBK; two of them in one cell are a sign of garbling, not of a real place name.
_UTF8_AS_GBK = "[潙闀鍘涔鏉鎵鐢绀姘娌斿憳浼鍙鐨鎴銆锛]"

_SUSPECT = "[\ufffd\u00c0-\u00ff" + _UTF8_AS_GBK[1:-1] + "锟烫屯]"
_SUSPECT_RE = re.compile(_SUSPECT)

# How many records are enough to decide.
_SAMPLE_RECORDS = 20000


@dataclass(frozen=True)
class Encoding:
    name: str | None      # what to pass to the reader (None: leave it to GDAL)
    how: str              # "profile", ".cpg", "detected", "bom", "ascii", "not a shapefile"

    def describe(self) -> str:
        if self.how == "profile":
            return f"{self.name} (profile 'encoding')"
        if self.how == ".cpg":
            return f"{self.name} (from the .cpg file)"
        if self.how == "ascii":
            return "ASCII (no non-ASCII text)"
        if self.how == "detected":
            return f"{self.name} (detected: the text is {'not ' if self.name != 'UTF-8' else ''}valid UTF-8)"
        if self.how == "bom":
            return f"{self.name} (detected from its byte-order mark)"
        return self.how


def shapefile_encoding(path: str | os.PathLike, override: str | None) -> Encoding:
    """The encoding to read ``path`` with, and how it was chosen."""
    path = Path(path)
    if override:
        return Encoding(override, "profile")
    if path.suffix.lower() != ".shp":
        return Encoding(None, "not a shapefile")
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():
        cpg = path.with_suffix(".CPG")
    if cpg.exists():
        return Encoding(cpg_codec(cpg.read_bytes().decode("ascii", errors="replace")), ".cpg")
    dbf = path.with_suffix(".dbf")
    if not dbf.exists():
        return Encoding(None, "not a shapefile")
    raw = dbf_text(dbf)
    if not raw or raw.isascii():
        return Encoding(None, "ascii")
    try:
        raw.decode("utf-8")
        return Encoding("UTF-8", "detected")
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
        return Encoding("GB18030", "detected")
    except UnicodeDecodeError:
        raise DataError(f"{dbf}: its text is neither UTF-8 nor GBK/GB18030; set 'encoding' in the profile "
                        "(e.g. \"Big5\") or add a .cpg file naming the encoding") from None


# Bytes of a text table (CSV) enough to decide its encoding; the rest is read by its reader,
# whose error then names the encoding to set.
_TABLE_SAMPLE_BYTES = 16 << 20
TEXT_TABLES = (".csv", ".tsv", ".txt")


def table_encoding(path: str | os.PathLike, override: str | None) -> Encoding | None:
    """The encoding of a text table (CSV), as for a Shapefile: the profile's ``encoding``
    wins; else a byte-order mark decides (UTF-8, or UTF-16 as Excel's "Unicode text" is
    saved); else the text: UTF-8 when it decodes as that (None: the reader's default), else
    GB18030 (a superset of GBK, Excel's "CSV" in China). None too for a spreadsheet or a
    file that cannot be opened (its reader says why)."""
    path = Path(path)
    if override:
        return Encoding(override, "profile")
    if path.suffix.lower() not in TEXT_TABLES:
        return None
    try:
        with open(ordinary(path), "rb") as fh:   # a pipe would never be read to its end
            raw = fh.read(_TABLE_SAMPLE_BYTES)
    except OSError:
        return None
    if raw.startswith(codecs.BOM_UTF8):
        return None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Encoding("UTF-16", "bom")
    if b"\0" in raw[:4096]:   # UTF-16 without a byte-order mark: every ASCII character has a zero byte
        even = raw[0:4096:2].count(0) > raw[1:4096:2].count(0)
        return Encoding("UTF-16-BE" if even else "UTF-16-LE", "detected")
    if raw.isascii() or _decodes(raw, "utf-8"):
        return None
    if _decodes(raw, "gb18030"):
        return Encoding("GB18030", "detected")
    raise DataError(f"{path}: its text is neither UTF-8, UTF-16 nor GBK/GB18030; set encoding in the profile's "
                    "section for this file (e.g. encoding = \"Big5\"), or save it from Excel as \"CSV UTF-8\"")


def _decodes(raw: bytes, codec: str) -> bool:
    """Whether ``raw`` is text in ``codec``; a character cut off at the end of the sample is no fault."""
    try:
        codecs.getincrementaldecoder(codec)().decode(raw, final=False)
    except UnicodeDecodeError:
        return False
    return True


def cpg_codec(text: str) -> str | None:
    """A .cpg's content as a codec name: "UTF-8", "GBK", "936", "ANSI 936", "CP936"...
    (None: empty or unknown, GDAL decides)."""
    text = text.strip()
    if text.upper().startswith("ANSI "):
        text = text[5:].strip()
    if text.isdigit():
        text = f"cp{text}"
    try:
        codecs.lookup(text)
    except LookupError:
        return None
    return text or None


def dbf_text(dbf: Path) -> bytes:
    """The bytes of every character field of the first records of a .dbf, joined by spaces."""
    data = dbf.read_bytes()
    if len(data) < 32:
        return b""
    records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields, offset, pos = [], 1, 32
    while pos + 32 <= header_len and data[pos] != 0x0D:
        kind, length = chr(data[pos + 11]), data[pos + 16]
        if kind == "C":
            fields.append((offset, length))
        offset += length
        pos += 32
    if not fields or record_len == 0:
        return b""
    n = min(records, _SAMPLE_RECORDS, (len(data) - header_len) // record_len)
    table = np.frombuffer(data, dtype=np.uint8, count=n * record_len, offset=header_len).reshape(n, record_len)
    return b" ".join(table[:, start:start + length].tobytes() for start, length in fields)


def garbled(series: pd.Series) -> np.ndarray:
    """Mask of text cells that look garbled: replacement characters or typical mojibake."""
    if isinstance(series.dtype, pd.StringDtype):
        # every cell a str or missing: one scan over the distinct texts settles most columns
        distinct = np.asarray(series.dropna().unique(), dtype=object)
        if not _SUSPECT_RE.search("\n".join(distinct)):
            return np.zeros(len(series), dtype=bool)
    text = series.astype("string")
    suspect = text.str.contains(_SUSPECT, regex=True).fillna(False).to_numpy(dtype=bool)
    if not suspect.any():
        return np.zeros(len(series), dtype=bool)
    # every mark below starts with a suspect character, so only those cells can match
    text = text[suspect]
    marks = "|".join([*MOJIBAKE_MARKS, _LATIN1_HIGH])
    found = text.str.contains(marks, regex=True).fillna(False) | (text.str.count(_UTF8_AS_GBK) >= 2).fillna(False)
    mask = np.zeros(len(series), dtype=bool)
    mask[suspect] = found.to_numpy(dtype=bool)
    return mask
