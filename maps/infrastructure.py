"""Infrastructure layers: roads, water service areas, clinics, network coverage, fibre.

Each input is optional; a missing or empty one gives no layer. All start hidden so the
overview stays readable; a reviewer switches on what a gap is about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import folium
import geopandas as gpd
import pandas as pd

from gis.errors import DataError
from maps.geojson import display_text, feature_collection, require_columns, to_lonlat
from maps.styles import INFRASTRUCTURE_STYLES

# key -> the columns the layer shows or styles by
COLUMNS = {
    "roads": ("hardened", "surface", "name"),
    "water": ("name",),
    "clinics": ("name", "kind", "qualifies"),
    "coverage": ("technology",),
    "fibre": ("name",),
}
LAYER_NAMES = {
    "roads_hardened": "Roads: hardened",
    "roads_other": "Roads: other",
    "water": "Water service areas",
    "clinics": "Clinics",
    "coverage": "4G/5G coverage",
    "fibre": "Fibre access points",
}
_ALIASES = {"name": "Name", "surface": "Surface", "kind": "Kind", "qualifies": "Qualifies",
            "technology": "Technology"}


def check_infrastructure(infrastructure: Mapping[str, gpd.GeoDataFrame] | None) -> dict[str, gpd.GeoDataFrame]:
    """The non-empty inputs in EPSG:4326, or one DataError listing every problem found."""
    infrastructure = dict(infrastructure or {})
    problems = [f"infrastructure: unknown key {key!r}; use {', '.join(COLUMNS)}"
                for key in infrastructure if key not in COLUMNS]
    frames = {}
    for key, frame in infrastructure.items():
        if key not in COLUMNS or frame is None or len(frame) == 0:
            continue
        frames[key] = to_lonlat(frame, f"infrastructure[{key!r}]")
        problems += require_columns(frames[key], COLUMNS[key], f"infrastructure[{key!r}]")
    if problems:
        raise DataError("; ".join(problems))
    return frames


def _flag(values: pd.Series) -> pd.Series:
    """True/False/missing as the words a reviewer reads."""
    return values.map({True: "yes", False: "no"}).astype(object).where(values.notna(), "unknown")


def _fixed(style: Mapping) -> Callable[[dict], dict]:
    return lambda feature: dict(style)


def _layer(frame: gpd.GeoDataFrame, columns: tuple[str, ...], name: str,
           style_function: Callable[[dict], dict], marker: bool = False) -> folium.GeoJson | None:
    frame = frame.reset_index(drop=True)
    props = pd.DataFrame({column: display_text(frame[column]) for column in columns})
    data = feature_collection(frame, props)
    if not data["features"]:
        return None
    return folium.GeoJson(data, name=name, show=False, style_function=style_function,
                          marker=folium.CircleMarker() if marker else None,
                          tooltip=folium.GeoJsonTooltip(fields=list(columns),
                                                        aliases=[_ALIASES[column] for column in columns]))


def infrastructure_layers(frames: Mapping[str, gpd.GeoDataFrame]) -> list[folium.GeoJson]:
    """The layers of the checked inputs, in legend order; an input without drawable rows gives none."""
    layers = []
    if "roads" in frames:
        layers += _roads(frames["roads"])
    if "water" in frames:
        layers.append(_layer(frames["water"], COLUMNS["water"], LAYER_NAMES["water"],
                             _fixed(INFRASTRUCTURE_STYLES["water"])))
    if "clinics" in frames:
        layers.append(_clinics(frames["clinics"]))
    if "coverage" in frames:
        layers.append(_layer(frames["coverage"], COLUMNS["coverage"], LAYER_NAMES["coverage"],
                             _fixed(INFRASTRUCTURE_STYLES["coverage"])))
    if "fibre" in frames:
        layers.append(_layer(frames["fibre"], COLUMNS["fibre"], LAYER_NAMES["fibre"],
                             _fixed(INFRASTRUCTURE_STYLES["fibre"]), marker=True))
    return [layer for layer in layers if layer is not None]


def _roads(roads: gpd.GeoDataFrame) -> list[folium.GeoJson | None]:
    """Hardened roads apart from the rest (not hardened, or surface unknown)."""
    hardened = roads["hardened"].eq(True).fillna(False).astype(bool).to_numpy()
    return [_layer(roads[mask], ("name", "surface"), LAYER_NAMES[key], _fixed(INFRASTRUCTURE_STYLES[key]))
            for key, mask in (("roads_hardened", hardened), ("roads_other", ~hardened))]


def _clinics(clinics: gpd.GeoDataFrame) -> folium.GeoJson | None:
    """Clinic points, green when they qualify as the village's clinic, grey otherwise."""
    qualifying, other = INFRASTRUCTURE_STYLES["clinic_qualifies"], INFRASTRUCTURE_STYLES["clinic_other"]
    return _layer(clinics.assign(qualifies=_flag(clinics["qualifies"])), COLUMNS["clinics"],
                  LAYER_NAMES["clinics"], marker=True,
                  style_function=lambda feature: dict(
                      qualifying if feature["properties"]["qualifies"] == "yes" else other))
