"""Labels, colour classes and Leaflet path styles of the coverage map.

Every style is checked when this module is imported, so a typo in a colour or an option
name fails at once rather than as a silently unstyled layer in a reviewer's browser.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from maps.standards import FIRST, MARKS

# The five standards a village is checked against: key -> responsible bureau (words in maps/i18n.py),
# as layers/standards declares them (maps/standards.py), and each bureau's standards.
STANDARDS = MappingProxyType({standard["key"]: standard["bureau"] for standard in FIRST})
BUREAUS = MappingProxyType({bureau: tuple(key for key, owner in STANDARDS.items() if owner == bureau)
                            for bureau in dict.fromkeys(STANDARDS.values())})
VERDICTS = ("meets", "basic", "fails", "no_data", "not_applicable")


class GapClass(NamedTuple):
    key: str
    colour: str


# Order of the legend. "no_data" wins over the gap count: a village whose every verdict is
# no_data has nothing to count, and its missing ledgers are a problem of their own.
GAP_CLASSES = (
    GapClass("none", "#1a9641"),
    GapClass("one", "#ffd92f"),
    GapClass("two", "#fd8d3c"),
    GapClass("three", "#d7191c"),
    GapClass("no_data", "#9e9e9e"),
)
_BY_GAPS = np.array(["none", "one", "two", "three"], dtype=object)

_PATH_OPTIONS = {"color", "weight", "opacity", "fill", "fillColor", "fillOpacity", "dashArray", "radius"}
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def checked_style(style: dict) -> MappingProxyType:
    """``style`` made read-only, after checking its option names and colours."""
    unknown = set(style) - _PATH_OPTIONS
    if unknown:
        raise ValueError(f"unknown Leaflet path option(s) {sorted(unknown)} in map style {style}")
    for key in ("color", "fillColor"):
        if key in style and not _HEX.fullmatch(style[key]):
            raise ValueError(f"map style {key}={style[key]!r} is not a #rrggbb colour")
    return MappingProxyType(style)


VILLAGE_STYLES = MappingProxyType({
    gap.key: checked_style({"color": "#404040", "weight": 1, "fillColor": gap.colour, "fillOpacity": 0.7})
    for gap in GAP_CLASSES
})
# Bureau maps colour each village by its verdict for the bureau's standard(s), worst first.
VERDICT_COLOURS = MappingProxyType({"fails": "#d7191c", "no_data": "#9e9e9e", "basic": "#fdae61",
                                    "meets": "#1a9641", "not_applicable": "#c6dbef"})   # last: every key n/a
VERDICT_STYLES = MappingProxyType({
    verdict: checked_style({"color": "#404040", "weight": 1, "fillColor": colour,
                            "fillOpacity": 0.75 if verdict == "fails" else 0.45})
    for verdict, colour in VERDICT_COLOURS.items()
})
# Aggregate maps (a run over several counties, maps/aggregates.py): each township or county
# coloured by the share of its villages counted (with a gap; or failing a bureau's standard).
class ShareClass(NamedTuple):
    key: str
    upto_pct: int  # the class holds shares up to this percent (above the previous class's)
    colour: str
    label: str


SHARE_CLASSES = (
    ShareClass("none", 0, "#1a9641", "0%"),
    ShareClass("le10", 10, "#a6d96a", "≤ 10%"),
    ShareClass("le25", 25, "#ffd92f", "10–25%"),
    ShareClass("le50", 50, "#fdae61", "25–50%"),
    ShareClass("le75", 75, "#e34a33", "50–75%"),
    ShareClass("gt75", 100, "#99000d", "> 75%"),
)
AREA_STYLES = MappingProxyType({
    share.key: checked_style({"color": "#404040", "weight": 1, "fillColor": share.colour, "fillOpacity": 0.7})
    for share in SHARE_CLASSES
})
TOWNSHIP_STYLE = checked_style({"color": "#252525", "weight": 2.5, "opacity": 0.9, "fill": False})
# Failing villages of one standard: a thick outline over the class colour, no fill of its own.
FAILS_STYLE = checked_style({"color": "#6a1b9a", "weight": 3, "fillOpacity": 0.0})

# The inputs' symbols, as each standard declares them (maps/standards.py): areas (water service
# areas, network coverage) are outlines with no fill, so the villages under them keep the colours
# of the legend and stay clickable (an SVG path without fill takes the pointer on its line alone).
INFRASTRUCTURE_STYLES = MappingProxyType({mark["key"]: checked_style(dict(mark["style"])) for mark in MARKS})
# How the legend draws each symbol: a line, an area or a point (circle marker).
SYMBOL_SHAPES = MappingProxyType({**{mark["key"]: mark["shape"] for mark in MARKS}, "townships": "line",
                                  "fails": "area"})
if set(SYMBOL_SHAPES.values()) - {"line", "area", "point"}:  # checked on import, like the styles
    raise RuntimeError(f"maps/standards.json: a symbol's shape is not line, area or point: {dict(SYMBOL_SHAPES)}")
# Leaflet's own background (.leaflet-container), under the villages when there is no basemap:
# the legend's swatches are the fill colour at the layer's opacity over it, as the map shows them.
MAP_GROUND = "#dddddd"


def shown_colour(style) -> str:
    """The colour a filled path of ``style`` shows over MAP_GROUND (#rrggbb)."""
    opacity = float(style.get("fillOpacity", 0.2)) if style.get("fill", True) else 0.0
    fill, ground = style.get("fillColor", style.get("color", "#3388ff")), MAP_GROUND
    mixed = (round(opacity * int(fill[i:i + 2], 16) + (1 - opacity) * int(ground[i:i + 2], 16)) for i in (1, 3, 5))
    return "#" + "".join(f"{value:02x}" for value in mixed)


def worst_verdict(verdicts: list[str]) -> str:
    """The verdict a bureau map colours a village by: fails, then no_data, then basic, then meets."""
    return next(verdict for verdict in VERDICT_COLOURS if verdict in verdicts)


def gap_classes(gap_count: np.ndarray, all_no_data: np.ndarray) -> np.ndarray:
    """The colour class key of each village: by failed standards, 3+ together, no_data apart."""
    gaps = np.clip(np.asarray(gap_count, dtype=np.int64), 0, 3)
    return np.where(np.asarray(all_no_data, dtype=bool), "no_data", _BY_GAPS[gaps]).astype(object)


def share_classes(counted: np.ndarray, total: np.ndarray) -> np.ndarray:
    """The SHARE_CLASSES key of each area from its counted and total villages (exact, in integers)."""
    counted, total = np.asarray(counted, dtype=np.int64), np.asarray(total, dtype=np.int64)
    found = [counted * 100 <= share.upto_pct * total for share in SHARE_CLASSES[:-1]]
    return np.select(found, [share.key for share in SHARE_CLASSES[:-1]], SHARE_CLASSES[-1].key).astype(object)
