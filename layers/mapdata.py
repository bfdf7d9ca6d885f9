"""The standards of the registry (layers/standards) as the maps take them: plain data, for
maps/ imports nothing of layers/. The five first standards' drawings (``map_data``, kept in
maps/standards.json) and the limits their popups quote; each checked plug-in's names, limit,
popup rows and symbols (``drawn``), and the features those symbols draw (``drawn_frames``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from layers.standards import ALL_BUREAUS, BUREAUS, HOUSEHOLDS, METRES, MINUTES, SHARE, STANDARDS, Standard
from layers.text import LANGUAGES, T

if TYPE_CHECKING:
    from layers.settings import Profile


# How the maps show a value of each unit: the number times the scale, in the template.
MEASURES = {METRES: (1.0, T(zh="{value} 米", en="{value} m")), SHARE: (100.0, T(zh="{value}%", en="{value}%")),
            HOUSEHOLDS: (1.0, T(zh="{value} 户", en="{value} households")),
            MINUTES: (1.0, T(zh="{value} 分钟", en="{value} min"))}


# How the maps word a value of each unit of the five first standards: scale, maps/i18n.py's words.
MAP_UNITS = {METRES: (1, "measure.metres"), SHARE: (100, "measure.percent")}


def map_data() -> dict:
    """The five first standards as the maps draw them: plain data (maps/ imports nothing of
    layers/), which maps/standards.json holds; tests/test_map_standards.py checks it is this
    and writes it anew (``python tests/test_map_standards.py``). Their words, in every
    language, are keyed as maps/i18n.py's (``standard.<key>``, ``symbol.<mark>`` …)."""
    return {"bureaus": [{"key": b.key, "colour": b.colour} for b in BUREAUS],
            "standards": [_map_data(standard) for standard in STANDARDS],
            "words": {lang: _map_words(lang) for lang in LANGUAGES}}


def _own(words: str | T, key: str) -> str:
    """A word's key in the maps' words: maps/i18n.py's own, or ``key`` for a standard's own words."""
    return key if isinstance(words, T) else words


def _map_data(standard: Standard) -> dict:
    drawing = standard.drawing
    scale, words = MAP_UNITS[standard.unit]
    column, shown_scale, shown_words = drawing.shown or (standard.value_column, scale, words)
    return {"key": standard.key, "bureau": standard.bureau,
            "value": {"column": standard.value_column, "scale": scale, "words": words},
            "shown": {"column": column, "scale": shown_scale,
                      "words": _own(shown_words, f"measure.{standard.key}")},
            "limit": {"key": drawing.limit, "scale": scale,
                      "words": _own(drawing.limit_words, f"limit.{standard.key}")},
            "facility": list(drawing.facility),
            "layers": [{"key": layer.key, "columns": list(layer.columns),
                        "tooltip": list(layer.columns if layer.tooltip is None else layer.tooltip),
                        "by": layer.by, "apart": layer.apart, "flags": list(layer.flags),
                        "marks": [{"key": mark.key, "style": dict(mark.style), "shape": mark.shape,
                                   "when": mark.when} for mark in layer.marks]}
                       for layer in drawing.layers]}


def _map_words(lang: str) -> dict[str, str]:
    words = {f"standard.{s.key}": s.name(lang) for s in STANDARDS}
    words.update({f"bureau.{b.key}": b.name(lang) for b in BUREAUS})
    for standard in STANDARDS:
        drawing = standard.drawing
        for layer in drawing.layers:
            if layer.name is not None:
                words[f"layer.{layer.key}"] = layer.name(lang)
            for mark in layer.marks:
                if mark.layer is not None:
                    words[f"layer.{mark.key}"] = mark.layer(lang)
                words[f"symbol.{mark.key}"] = mark.legend(lang)
        if drawing.shown is not None and isinstance(drawing.shown[2], T):
            words[f"measure.{standard.key}"] = drawing.shown[2](lang)
        if isinstance(drawing.limit_words, T):
            words[f"limit.{standard.key}"] = drawing.limit_words(lang)
    return words


def map_limits(profile: "Profile") -> dict[str, float]:
    """The limits the maps' popups quote (maps.options.MapOptions.limits), as ``profile`` sets them."""
    return {s.drawing.limit: s.drawing.limit_of(profile.standards) for s in STANDARDS if s.drawing.limit}


def drawn(standard: Standard, profile: "Profile | None", lang: str) -> dict:
    """An optional standard as the maps draw it, in ``lang``: plain data (maps/ imports
    nothing of layers/), the fields of maps.extra.ExtraStandard; without a profile (the
    comparison of runs) no limit."""
    plugin = standard.plugin
    bureau = next(b for b in ALL_BUREAUS if b.key == standard.bureau)
    scale, measure = MEASURES.get(standard.unit, (1.0, T(zh="{value}", en="{value}")))
    return {"key": standard.key, "bureau": standard.bureau, "name": standard.name(lang),
            "bureau_name": bureau.name(lang), "value_column": standard.value_column, "scale": scale,
            "measure": measure(lang), "limit": standard.required(profile, lang) if profile is not None else "",
            "popup": tuple((column, words(lang)) for column, words in plugin.popup.items()),
            "symbols": tuple({"key": s.key, "style": dict(s.style), "legend": s.legend(lang), "shape": s.shape,
                              "tooltip": tuple((column, words(lang)) for column, words in s.tooltip)}
                             for s in plugin.symbols
                             if all(i.drawn for i in plugin.inputs if i.section == s.section))}


def drawn_frames(standard: Standard, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The features an optional standard's symbols draw, from its inputs (``Inputs.extra``):
    the rows of ``where``, the tooltip's columns (empty where the file has none); none of an
    input that is never drawn (household rows)."""
    found = {}
    for symbol in standard.plugin.symbols:
        source = next(i for i in standard.plugin.inputs if i.section == symbol.section)
        frame = extra.get(symbol.section)
        if frame is None or not source.drawn:
            continue
        if symbol.where is not None:
            frame = frame[frame[symbol.where].fillna(False).to_numpy(dtype=bool)]
        columns = [column for column, _ in symbol.tooltip]
        found[symbol.key] = frame.assign(**{c: None for c in columns if c not in frame})[[*columns,
                                                                                          frame.geometry.name]]
    return found
