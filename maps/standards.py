"""The five first standards as the maps draw them: plain data that each standard declares in
its own module (layers/standards/<key>.py, ``Drawing``) and maps/standards.json holds (maps/
imports nothing of layers/; tests/test_map_standards.py checks the file and writes it anew).
The optional standards come another way, with the run (maps/extra.py).

Per standard: its key and bureau; ``value`` (the column of its measured value, the scale
and words of maps/i18n.py that show it) and ``shown`` (the same for its popup); ``limit``
(the key of MapOptions.limits that sets it, "" for a fixed text, and the words of its
template); ``facility`` (a name column, and a distance column in metres); ``layers``, the
input layers it draws (see layers.standards.Drawn). Per bureau, the colour of its trend line.
``WORDS``: per language, their words as maps/i18n.py keys them (which merges them in)."""

from __future__ import annotations

import json
from pathlib import Path

_DATA = json.loads((Path(__file__).parent / "standards.json").read_text(encoding="utf-8"))

FIRST = tuple(_DATA["standards"])                      # in registry order
BUREAU_COLOURS = {bureau["key"]: bureau["colour"] for bureau in _DATA["bureaus"]}
# the input layers, by the key of their frame, in registry order
LAYERS = {layer["key"]: layer for standard in FIRST for layer in standard["layers"]}
MARKS = tuple(mark for layer in LAYERS.values() for mark in layer["marks"])
WORDS = _DATA["words"]
