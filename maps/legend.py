"""The legend: colour classes with the number of villages in each, drawn or not, the number of
villages failing each standard, and notes (undrawn villages, GCJ-02 shift, link to the index).
All text is escaped here."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from branca.element import Element, Template

from maps.styles import GAP_CLASSES, SHARE_CLASSES, VERDICT_COLOURS

_CSS = """
.covermap-legend { position: fixed; bottom: 40px; left: 10px; z-index: 1000; max-width: 19em;
  background: rgba(255, 255, 255, 0.92); border: 1px solid #999; border-radius: 4px;
  padding: 6px 10px; font: 12px/1.4 sans-serif; color: #222; }
.covermap-legend h4 { margin: 0 0 4px; font-size: 13px; }
.covermap-legend ul { list-style: none; margin: 0 0 4px; padding: 0; }
.covermap-legend .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px;
  border: 1px solid #404040; vertical-align: -2px; }
.covermap-legend .count { float: right; margin-left: 12px; font-weight: bold; }
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


def _swatches(items) -> str:
    return "".join(f'<li data-{kind}="{escape(key)}" data-count="{count}"><span class="swatch" '
                   f'style="background:{escape(colour)}"></span>{escape(label)}<span class="count">{count}</span></li>'
                   for kind, key, colour, label, count in items)


def _fails(fails_counts: Mapping[str, int], words: Mapping[str, str]) -> str:
    return "".join(f'<li data-standard="{escape(key)}" data-count="{count}">{escape(words[f"standard.{key}"])}'
                   f'<span class="count">{count}</span></li>' for key, count in fails_counts.items())


def _frame(title: str, body: str, undrawn: int, words: Mapping[str, str], note: str,
           index_href: str | None) -> Legend:
    heading = f"<h4>{escape(title)}</h4>" if title else ""
    extra = (f'<p data-undrawn="{undrawn}">{escape(words["legend.undrawn"].format(n=undrawn))}</p>'
             if undrawn else "")
    if note:
        extra += f'<p class="covermap-note">{escape(note)}</p>'
    if index_href:
        extra += f'<p><a class="covermap-index" href="{escape(index_href)}">{escape(words["control.index"])}</a></p>'
    return Legend(f"<style>{_CSS}</style>\n<div class=\"covermap-legend\">{heading}{body}{extra}</div>")


def overview_legend(class_counts: Mapping[str, int], fails_counts: Mapping[str, int], undrawn: int,
                    words: Mapping[str, str], title: str = "", note: str = "",
                    index_href: str | None = None) -> Legend:
    """Classes by failed standards with counts, then villages failing each standard."""
    classes = _swatches(("class", gap.key, gap.colour, words[f"class.{gap.key}"], class_counts[gap.key])
                        for gap in GAP_CLASSES)
    body = (f"<strong>{escape(words['legend.classes'])}</strong><ul>{classes}</ul>"
            f"<strong>{escape(words['legend.fails'])}</strong><ul>{_fails(fails_counts, words)}</ul>")
    return _frame(title, body, undrawn, words, note, index_href)


def bureau_legend(keys: tuple[str, ...], verdict_counts: Mapping[str, int], fails_counts: Mapping[str, int],
                  undrawn: int, words: Mapping[str, str], title: str = "", note: str = "",
                  index_href: str | None = None) -> Legend:
    """Villages per verdict for the bureau's standard(s) (worst first), then failing per standard."""
    standards = words["list.sep"].join(words[f"standard.{key}"] for key in keys)
    verdicts = _swatches(("verdict", verdict, colour, words[f"verdict.{verdict}"], verdict_counts[verdict])
                         for verdict, colour in VERDICT_COLOURS.items())
    body = (f"<strong>{escape(words['legend.verdicts'].format(standard=standards))}</strong><ul>{verdicts}</ul>"
            f"<strong>{escape(words['legend.fails'])}</strong>"
            f"<ul>{_fails({key: fails_counts[key] for key in keys}, words)}</ul>")
    return _frame(title, body, undrawn, words, note, index_href)


def area_legend(heading: str, share_counts: Mapping[str, int], totals: str, fails_counts: Mapping[str, int],
                undrawn_areas: int, words: Mapping[str, str], title: str = "", note: str = "",
                index_href: str | None = None, unit: str = "") -> Legend:
    """Aggregate maps (maps/aggregates.py): areas per share class under ``heading``, the villages'
    ``totals``, then villages failing each standard of ``fails_counts``."""
    shares = _swatches(("share", share.key, share.colour, share.label, share_counts[share.key])
                       for share in SHARE_CLASSES)
    undrawn = (f'<p data-undrawn-areas="{undrawn_areas}">'
               f'{escape(words["legend.undrawn_areas"].format(n=undrawn_areas))}</p>' if undrawn_areas else "")
    body = (f"<strong>{escape(heading)}</strong><ul>{shares}</ul>{undrawn}"
            f'<p class="covermap-totals">{escape(totals)}</p>'
            f"<strong>{escape(words['legend.fails'])}</strong><ul>{_fails(fails_counts, words)}</ul>"
            f"<p>{escape(words['legend.areas_note'].format(unit=unit.lower()))}</p>")
    return _frame(title, body, 0, words, note, index_href)
