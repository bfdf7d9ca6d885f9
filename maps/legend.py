"""The legend: colour classes with the number of villages in each, drawn or not, the number of
villages failing each standard, the symbols of the other layers drawn (roads, clinics, water
service areas...), and notes (undrawn villages, GCJ-02 shift, link to the index). Every swatch
is drawn from the style of its layer and carries it as ``data-style`` (tests match the styles
the layers use against them). All text is escaped here."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape

from branca.element import Element, Template

from maps.styles import (AREA_STYLES, FAILS_STYLE, GAP_CLASSES, INFRASTRUCTURE_STYLES, SHARE_CLASSES, SYMBOL_SHAPES,
                         TOWNSHIP_STYLE, VERDICT_STYLES, VILLAGE_STYLES, shown_colour)

# Every symbol the legend can explain: the inputs' styles, township boundaries, failing villages.
SYMBOL_STYLES = {**INFRASTRUCTURE_STYLES, "townships": TOWNSHIP_STYLE, "fails": FAILS_STYLE}

_CSS = """
.covermap-legend { position: fixed; bottom: 40px; left: 10px; z-index: 1000; max-width: 19em;
  background: rgba(255, 255, 255, 0.92); border: 1px solid #999; border-radius: 4px;
  padding: 6px 10px; font: 12px/1.4 sans-serif; color: #222; }
.covermap-legend h4 { margin: 0 0 4px; font-size: 13px; }
.covermap-legend ul { list-style: none; margin: 0 0 4px; padding: 0; }
.covermap-legend .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px;
  border: 1px solid #404040; vertical-align: -2px; }
.covermap-legend .count { float: right; margin-left: 12px; font-weight: bold; }
.covermap-legend .symbol { display: inline-block; width: 26px; height: 14px; margin-right: 6px;
  vertical-align: -3px; }
.covermap-legend p { margin: 4px 0 0; color: #555; }
.covermap-legend .covermap-note { color: #8a3b00; }
.covermap-legend a { color: #0b57d0; }
"""


class Legend(Element):
    """A fixed HTML block over the map; add it to the figure's ``html``.

    The markup is inserted as it is (never parsed as a template), so text from the data
    such as the title cannot inject template or HTML code.
    """

    _template = Template("{{ this.markup }}")

    def __init__(self, markup: str):
        super().__init__()
        self._name = "Legend"
        self.markup = markup


def _style_attr(style: Mapping) -> str:
    return escape(json.dumps(dict(style), sort_keys=True, separators=(",", ":")))


def _swatches(items) -> str:
    """One entry per (kind, key, style, label, count): a square of the fill as the map shows it."""
    return "".join(f'<li data-{kind}="{escape(key)}" data-count="{count}" data-style="{_style_attr(style)}">'
                   f'<span class="swatch" style="background:{shown_colour(style)};border-color:{style["color"]}">'
                   f'</span>{escape(label)}<span class="count">{count}</span></li>'
                   for kind, key, style, label, count in items)


def symbol_svg(style: Mapping, shape: str) -> str:
    """A small SVG of a Leaflet path ``style`` drawn as a ``shape`` ("line", "area" or "point")."""
    stroke = (f'stroke="{style["color"]}" stroke-width="{style.get("weight", 3)}" '
              f'stroke-opacity="{style.get("opacity", 1.0)}"')
    if style.get("dashArray"):
        stroke += f' stroke-dasharray="{escape(str(style["dashArray"]))}"'
    filled = style.get("fill", shape != "line")
    fill = (f'fill="{style.get("fillColor", style["color"])}" fill-opacity="{style.get("fillOpacity", 0.2)}"'
            if filled else 'fill="none"')
    if shape == "line":
        body = f'<line x1="1" y1="7" x2="25" y2="7" {stroke}/>'
    elif shape == "point":
        body = f'<circle cx="13" cy="7" r="{min(float(style.get("radius", 5)), 6)}" {fill} {stroke}/>'
    else:
        body = f'<rect x="2" y="2" width="22" height="10" {fill} {stroke}/>'
    return f'<svg class="symbol" viewBox="0 0 26 14" aria-hidden="true">{body}</svg>'


def _fails(fails_counts: Mapping[str, int], words: Mapping[str, str], outlined: bool = True) -> str:
    """Villages failing each standard; with ``outlined`` the outline their layers draw."""
    mark = (f'<span data-style="{_style_attr(FAILS_STYLE)}">{symbol_svg(FAILS_STYLE, "area")}</span>'
            if outlined else "")
    return "".join(f'<li data-standard="{escape(key)}" data-count="{count}">{mark}{escape(words[f"standard.{key}"])}'
                   f'<span class="count">{count}</span></li>' for key, count in fails_counts.items())


def _symbols(symbols: Sequence, hidden: bool, words: Mapping[str, str]) -> str:
    """The other layers' symbols (SYMBOL_STYLES keys, or (key, style, shape) of an optional
    standard's, maps.extra), each with its words ``symbol.<key>``."""
    if not symbols:
        return ""
    found = [item if isinstance(item, tuple) else (item, SYMBOL_STYLES[item], SYMBOL_SHAPES[item])
             for item in symbols]
    items = "".join(f'<li data-symbol="{escape(key)}" data-style="{_style_attr(style)}">'
                    f'{symbol_svg(style, shape)}{escape(words[f"symbol.{key}"])}</li>'
                    for key, style, shape in found)
    hint = f'<p class="covermap-hint">{escape(words["legend.symbols_hidden"])}</p>' if hidden else ""
    return f"<strong>{escape(words['legend.symbols'])}</strong><ul>{items}</ul>{hint}"


def _frame(title: str, body: str, undrawn: int, words: Mapping[str, str], note: str,
           index_href: str | None, symbols: Sequence[str] = (), hidden: bool = False) -> Legend:
    heading = f"<h4>{escape(title)}</h4>" if title else ""
    body += _symbols(symbols, hidden, words)
    extra = (f'<p data-undrawn="{undrawn}">{escape(words["legend.undrawn"].format(n=undrawn))}</p>'
             if undrawn else "")
    if note:
        extra += f'<p class="covermap-note">{escape(note)}</p>'
    if index_href:
        extra += f'<p><a class="covermap-index" href="{escape(index_href)}">{escape(words["control.index"])}</a></p>'
    return Legend(f"<style>{_CSS}</style>\n<div class=\"covermap-legend\">{heading}{body}{extra}</div>")


def overview_legend(class_counts: Mapping[str, int], fails_counts: Mapping[str, int], undrawn: int,
                    words: Mapping[str, str], title: str = "", note: str = "",
                    index_href: str | None = None, symbols: Sequence[str] = (), hidden: bool = True) -> Legend:
    """Classes by failed standards with counts, then villages failing each standard, then the
    ``symbols`` (SYMBOL_STYLES keys) of the other layers drawn, ``hidden`` at first or not."""
    classes = _swatches(("class", gap.key, VILLAGE_STYLES[gap.key], words[f"class.{gap.key}"],
                         class_counts[gap.key]) for gap in GAP_CLASSES)
    body = (f"<strong>{escape(words['legend.classes'])}</strong><ul>{classes}</ul>"
            f"<strong>{escape(words['legend.fails'])}</strong><ul>{_fails(fails_counts, words)}</ul>")
    return _frame(title, body, undrawn, words, note, index_href, symbols, hidden)


def bureau_legend(keys: tuple[str, ...], verdict_counts: Mapping[str, int], fails_counts: Mapping[str, int],
                  undrawn: int, words: Mapping[str, str], title: str = "", note: str = "",
                  index_href: str | None = None, symbols: Sequence[str] = ()) -> Legend:
    """Villages per verdict for the bureau's standard(s) (worst first), then failing per
    standard, then the ``symbols`` of the other layers drawn (shown)."""
    standards = words["list.sep"].join(words[f"standard.{key}"] for key in keys)
    verdicts = _swatches(("verdict", verdict, style, words[f"verdict.{verdict}"], verdict_counts[verdict])
                         for verdict, style in VERDICT_STYLES.items()
                         if verdict != "not_applicable" or verdict_counts[verdict])   # only where a profile scopes
    body = (f"<strong>{escape(words['legend.verdicts'].format(standard=standards))}</strong><ul>{verdicts}</ul>"
            f"<strong>{escape(words['legend.fails'])}</strong>"
            f"<ul>{_fails({key: fails_counts[key] for key in keys}, words)}</ul>")
    return _frame(title, body, undrawn, words, note, index_href, symbols)


def area_legend(heading: str, share_counts: Mapping[str, int], totals: str, fails_counts: Mapping[str, int],
                undrawn_areas: int, words: Mapping[str, str], title: str = "", note: str = "",
                index_href: str | None = None, unit: str = "", symbols: Sequence[str] = (),
                hidden: bool = False) -> Legend:
    """Aggregate maps (maps/aggregates.py): areas per share class under ``heading``, the villages'
    ``totals``, then villages failing each standard of ``fails_counts``, then the ``symbols``."""
    shares = _swatches(("share", share.key, AREA_STYLES[share.key], share.label, share_counts[share.key])
                       for share in SHARE_CLASSES)
    undrawn = (f'<p data-undrawn-areas="{undrawn_areas}">'
               f'{escape(words["legend.undrawn_areas"].format(n=undrawn_areas))}</p>' if undrawn_areas else "")
    body = (f"<strong>{escape(heading)}</strong><ul>{shares}</ul>{undrawn}"
            f'<p class="covermap-totals">{escape(totals)}</p>'
            f"<strong>{escape(words['legend.fails'])}</strong><ul>{_fails(fails_counts, words, False)}</ul>"
            f"<p>{escape(words['legend.areas_note'].format(unit=unit.lower()))}</p>")
    return _frame(title, body, 0, words, note, index_href, symbols, hidden)
