"""The optional standards a run checked, as the maps draw them: plain data the caller makes
from layers/standards (maps/ imports nothing of layers/), carried by MapOptions.extra.

Each gives its key and bureau, the words the page shows (its name, its bureau's, the measured
value's template, the limit), the value column and its scale, the popup rows of its own
columns, and its symbols: an input layer drawn with a checked Leaflet style, in the legend
under its words. The five first standards come with the maps (maps/standards.py) and need
none of this."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from maps.styles import BUREAUS, STANDARDS, checked_style

SHAPES = ("point", "line")


@dataclass(frozen=True)
class ExtraSymbol:
    key: str                      # the infrastructure frame it draws (an input section) and its legend key
    style: Mapping                # a Leaflet path style, checked
    legend: str                   # the legend's and the layer control's words
    shape: str = "point"          # "point" (circle markers) or "line"
    tooltip: tuple[tuple[str, str], ...] = ()   # (column, its words) shown on hover

    def __post_init__(self):
        object.__setattr__(self, "style", checked_style(dict(self.style)))
        if self.shape not in SHAPES:
            raise ValueError(f"symbol {self.key!r}: shape {self.shape!r} is not one of {', '.join(SHAPES)}")


@dataclass(frozen=True)
class ExtraStandard:
    key: str
    bureau: str
    name: str                     # in the map's language
    bureau_name: str
    value_column: str
    scale: float = 1.0            # the value times this is the whole number the popup shows
    measure: str = "{value}"      # the popup's measured value, "{value}" standing for the number
    limit: str = ""
    popup: tuple[tuple[str, str], ...] = ()   # (column, its words): text the popup adds to the facility
    symbols: tuple[ExtraSymbol, ...] = ()


def from_plain(found: Mapping) -> ExtraStandard:
    """An ExtraStandard from the plain data layers/standards gives (``drawn``)."""
    symbols = tuple(ExtraSymbol(**{**symbol, "tooltip": tuple(map(tuple, symbol["tooltip"]))})
                    for symbol in found.get("symbols", ()))
    return ExtraStandard(**{**found, "popup": tuple(map(tuple, found.get("popup", ()))), "symbols": symbols})


def standards_of(extra: tuple[ExtraStandard, ...]) -> Mapping[str, str]:
    """Standard key -> bureau: the five first, then the optional ones the run checked."""
    return MappingProxyType({**STANDARDS, **{s.key: s.bureau for s in extra}})


def bureaus_of(extra: tuple[ExtraStandard, ...]) -> Mapping[str, tuple[str, ...]]:
    """Bureau -> its standards' keys, the five first standards' bureaus first."""
    found = {bureau: list(keys) for bureau, keys in BUREAUS.items()}
    for standard in extra:
        found.setdefault(standard.bureau, []).append(standard.key)
    return MappingProxyType({bureau: tuple(keys) for bureau, keys in found.items()})


def words_of(extra: tuple[ExtraStandard, ...]) -> dict[str, str]:
    """The words the maps look up for the optional standards: names, bureaus, layers, symbols, fields."""
    words = {}
    for standard in extra:
        words[f"standard.{standard.key}"] = standard.name
        words[f"bureau.{standard.bureau}"] = standard.bureau_name
        for symbol in standard.symbols:
            words[f"layer.{symbol.key}"] = words[f"symbol.{symbol.key}"] = symbol.legend
            words.update({f"field.{column}": label for column, label in symbol.tooltip})
    return words


def symbols_of(extra: tuple[ExtraStandard, ...]) -> dict[str, ExtraSymbol]:
    return {symbol.key: symbol for standard in extra for symbol in standard.symbols}
