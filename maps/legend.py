"""The legend: colour classes with the number of villages in each, drawn or not, and the
number of villages failing each standard. All text is escaped here."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from branca.element import Element, Template

from maps.styles import GAP_CLASSES, STANDARDS

_CSS = """
.covermap-legend { position: fixed; top: 90px; left: 10px; z-index: 1000; max-width: 19em;
  background: rgba(255, 255, 255, 0.92); border: 1px solid #999; border-radius: 4px;
  padding: 6px 10px; font: 12px/1.4 sans-serif; color: #222; }
.covermap-legend h4 { margin: 0 0 4px; font-size: 13px; }
.covermap-legend ul { list-style: none; margin: 0 0 4px; padding: 0; }
.covermap-legend .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px;
  border: 1px solid #404040; vertical-align: -2px; }
.covermap-legend .count { float: right; margin-left: 12px; font-weight: bold; }
.covermap-legend p { margin: 4px 0 0; color: #555; }
"""


class Legend(Element):
    """A fixed HTML block over the map; add it to the figure's ``html``.

    The markup is inserted as it is (never parsed as a template), so text from the data
    such as the title cannot inject template or HTML code.
    """

    _template = Template("{{ this.markup }}")

    def __init__(self, class_counts: Mapping[str, int], fails_counts: Mapping[str, int],
                 undrawn: int, title: str = ""):
        super().__init__()
        self._name = "Legend"
        self.class_counts = dict(class_counts)
        self.fails_counts = dict(fails_counts)
        self.markup = _markup(self.class_counts, self.fails_counts, undrawn, title)


def _markup(class_counts: Mapping[str, int], fails_counts: Mapping[str, int], undrawn: int, title: str) -> str:
    classes = "".join(
        f'<li data-class="{escape(gap.key)}" data-count="{class_counts[gap.key]}">'
        f'<span class="swatch" style="background:{escape(gap.colour)}"></span>{escape(gap.label)}'
        f'<span class="count">{class_counts[gap.key]}</span></li>'
        for gap in GAP_CLASSES)
    fails = "".join(
        f'<li data-standard="{escape(key)}" data-count="{fails_counts[key]}">{escape(label)} '
        f'({escape(bureau)})<span class="count">{fails_counts[key]}</span></li>'
        for key, (label, bureau) in STANDARDS.items())
    heading = f"<h4>{escape(title)}</h4>" if title else ""
    note = (f'<p data-undrawn="{undrawn}">{undrawn} village(s) without a boundary are counted '
            "but not drawn.</p>" if undrawn else "")
    return (f"<style>{_CSS}</style>\n<div class=\"covermap-legend\">{heading}"
            f"<strong>Villages by failed standards</strong><ul>{classes}</ul>"
            f"<strong>Villages failing each standard</strong><ul>{fails}</ul>{note}</div>")
