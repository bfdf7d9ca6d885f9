"""Where the map's Leaflet comes from: inlined from maps/assets (default, the HTML makes no
network request and opens on networks that block public CDNs) or the jsDelivr CDN.

The map uses Leaflet alone; folium's other defaults (jQuery, Bootstrap, Font Awesome,
awesome-markers) serve features this map does not use, so they are dropped in both modes.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib.resources import files

import folium
from branca.element import Element, Template

LEAFLET_VERSION = "1.9.4"
_CDN = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist"


class InlineAssets(Element):
    """``<style>`` and ``<script>`` blocks holding the vendored files, inserted verbatim."""

    _template = Template("{{ this.markup }}")

    def __init__(self, markup: str):
        super().__init__()
        self._name = "InlineAssets"
        self.markup = markup


@cache
def _inline_markup() -> str:
    leaflet = files("maps") / "assets" / "leaflet"
    js = (leaflet / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"^//# sourceMappingURL=.*$", "", js, flags=re.MULTILINE)
    css = (leaflet / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        png = (leaflet / "images" / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(png).decode('ascii')})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)
    if "</script" in js.lower() or "</style" in css.lower():
        raise ValueError("a vendored asset would close its own <script>/<style> block; it cannot be inlined")
    return f"<style>\n{css}\n</style>\n<script>\n{js}\n</script>"


def use_leaflet(m: folium.Map, online: bool) -> None:
    """Give ``m`` Leaflet and nothing else: inlined, or linked from the CDN when ``online``."""
    if online:
        m.default_js = [("leaflet", f"{_CDN}/leaflet.js")]
        m.default_css = [("leaflet_css", f"{_CDN}/leaflet.css")]
        return
    m.default_js = []
    m.default_css = []
    # Added before rendering, so it precedes the map's own styles in <head>, as a <link> would.
    m.get_root().header.add_child(InlineAssets(_inline_markup()), name="leaflet")
