"""The page's own script (maps/assets/covermap): binds tooltips and evidence popups to the
village layers, adds search, full screen, the mini-map, township labels, village names (a
township's map) and a bureau's side panel. Always inlined, online or not: it is small and ours."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files

import folium
from branca.element import MacroElement, Template

from maps.geojson import script_json
from maps.leaflet import InlineAssets
from maps.popup import measure_texts
from maps.styles import STANDARDS, TOWNSHIP_STYLE
from maps.tiles import TiledLayer

# The words the script looks up itself; everything else arrives as finished text.
_WORD_PREFIXES = ("standard.", "verdict.", "popup.", "search.", "control.", "panel.", "layer.townships", "area.",
                  "layer.village_names")


@cache
def _inline_markup() -> str:
    folder = files("maps") / "assets" / "covermap"
    js = "\n".join((folder / name).read_text(encoding="utf-8") for name in ("covermap.js", "tiles.js"))
    css = (folder / "covermap.css").read_text(encoding="utf-8")
    return f"<style>\n{css}\n</style>\n<script>\n{js}\n</script>"


class CovermapApp(MacroElement):
    """Call ``covermapApp`` once every layer exists; add it to the map last."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        covermapApp({{ this._parent.get_name() }}, [{{ this.layers }}], {{ this.control }}, {{ this.config }});
        {% endmacro %}
    """)

    def __init__(self, village_layers: Sequence[folium.GeoJson | TiledLayer], control: folium.LayerControl | None,
                 config: Mapping):
        super().__init__()
        self._name = "CovermapApp"
        self.layers = ", ".join(layer.get_name() for layer in village_layers)
        self.control = control.get_name() if control is not None else "null"
        self.config = script_json(config)


def _codes(layer) -> list[str]:
    """The village codes a fails layer draws: a TiledLayer names them, a GeoJSON layer holds them."""
    if isinstance(layer, TiledLayer):
        return list(layer.codes)
    return [feature["id"] for feature in layer.data["features"]]


def add_app(m: folium.Map, village_layers: Sequence[folium.GeoJson | TiledLayer], control: folium.LayerControl | None,
            words: Mapping[str, str], limits: Mapping[str, str], townships: dict, minimap: dict,
            panel: Mapping | None, areas: Mapping | None = None, labels: list | None = None,
            extra: tuple = ()) -> CovermapApp:
    """Inline the script in the page head and call it for ``m``'s layers: the first is the one
    holding the villages' features, the others (fails layers) are filled from it by id.
    ``limits`` is the limit text of each standard, shown in every popup. With ``areas``
    ({"unit", "keys", "counted", "search"}: maps/aggregates.py) the first layer holds areas
    (townships or counties) with their counts, not villages. ``labels``
    (maps.villages.village_labels) name the villages where the names fit; ``extra``: the
    optional standards the run checked (maps.extra), after the five."""
    m.get_root().header.add_child(InlineAssets(_inline_markup()), name="covermap_app")
    config = {"texts": {key: value for key, value in words.items() if key.startswith(_WORD_PREFIXES)},
              "standards": [*STANDARDS, *(s.key for s in extra)], "limits": dict(limits),
              "measures": measure_texts(words, extra), "townships": townships,
              "minimap": None if minimap is townships else minimap,  # the same outlines: sent once
              "townshipStyle": dict(TOWNSHIP_STYLE), "panel": panel,
              "fill": [_codes(layer) for layer in village_layers[1:]], "areas": areas,
              "villageLabels": labels}
    app = CovermapApp(village_layers, control, config)
    app.add_to(m)
    return app
