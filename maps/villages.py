"""The village layers: one overview coloured by failed standards, one layer per standard
with the villages that fail it. Check the table, then build the GeoJSON, then the layers."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from gis.errors import DataError
from gis.geometry import usable
from maps.geojson import display_text, feature_collection, require_columns, to_lonlat
from maps.styles import FAILS_STYLE, STANDARDS, VERDICTS, VILLAGE_STYLES, gap_classes

OVERVIEW_NAME = "Villages by failed standards"
VERDICT_COLUMNS = tuple(f"{key}_verdict" for key in STANDARDS)
REASON_COLUMNS = tuple(f"{key}_reason" for key in STANDARDS)
TEXT_COLUMNS = ("village_code", "village_name", "township_code", "township_name", "seat_source")
REQUIRED = TEXT_COLUMNS + ("population", "poor_population", "gap_count") + VERDICT_COLUMNS + REASON_COLUMNS
_SHOWN = 5  # village codes named in one problem sentence


def fails_layer_name(key: str) -> str:
    return f"Fails: {STANDARDS[key][0]}"


def check_villages(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The villages in EPSG:4326, or one DataError listing every problem found."""
    villages = to_lonlat(villages, "villages")
    problems = require_columns(villages, REQUIRED, "villages")
    if problems:
        raise DataError("; ".join(problems) + "; map the table the gap rules produce")
    codes = villages["village_code"].astype(str)
    duplicated = codes[codes.duplicated()].unique()
    if len(duplicated):
        problems.append(f"village_code repeats for {', '.join(duplicated[:_SHOWN])}")
    for column in VERDICT_COLUMNS:
        bad = ~villages[column].isin(VERDICTS)
        if bad.any():
            problems.append(f"{column} is not one of {', '.join(VERDICTS)} for village(s) "
                            f"{', '.join(codes[bad].iloc[:_SHOWN])}")
    fails = (villages[list(VERDICT_COLUMNS)] == "fails").sum(axis=1)
    wrong = villages["gap_count"].ne(fails)
    if wrong.any():
        problems.append(f"gap_count differs from the number of 'fails' verdicts for village(s) "
                        f"{', '.join(codes[wrong].iloc[:_SHOWN])}")
    if not usable(villages.geometry.values).any():
        problems.append("no village has a geometry, so there is nothing to draw")
    if problems:
        raise DataError("villages table cannot be mapped: " + "; ".join(problems))
    return villages


def village_classes(villages: pd.DataFrame) -> pd.Series:
    """The colour class of every village (with or without geometry), aligned to ``villages``."""
    all_no_data = (villages[list(VERDICT_COLUMNS)] == "no_data").all(axis=1).to_numpy()
    return pd.Series(gap_classes(villages["gap_count"].to_numpy(), all_no_data),
                     index=villages.index, name="gap_class")


def village_geojson(villages: gpd.GeoDataFrame) -> dict:
    """Features of the villages with a geometry; id and ``village_code`` are the village code."""
    props = pd.DataFrame({column: display_text(villages[column]) for column in TEXT_COLUMNS + REASON_COLUMNS})
    for column in ("population", "poor_population", "gap_count"):
        props[column] = villages[column].astype(object).where(villages[column].notna(), None)
    for column in VERDICT_COLUMNS:
        props[column] = villages[column]
    props["gap_class"] = village_classes(villages)
    props.index = villages["village_code"].astype(str).to_numpy()
    return feature_collection(villages, props)


def _tooltip(fields: list[str]) -> folium.GeoJsonTooltip:
    aliases = {"village_name": "Village", "village_code": "Code", "township_name": "Township",
               **{f"{key}_verdict": label for key, (label, _) in STANDARDS.items()},
               **{f"{key}_reason": label for key, (label, _) in STANDARDS.items()}}
    return folium.GeoJsonTooltip(fields=fields, aliases=[aliases[field] for field in fields], sticky=True)


def overview_layer(data: dict) -> folium.GeoJson:
    """All drawable villages (at least one: ``check_villages`` sees to it), coloured by ``gap_class``."""
    fields = ["village_name", "village_code", "township_name", *VERDICT_COLUMNS]
    popup = folium.GeoJsonPopup(fields=["village_name", "village_code", "population", "poor_population",
                                        *REASON_COLUMNS],
                                aliases=["Village", "Code", "Population", "Poor population",
                                         *(label for label, _ in STANDARDS.values())])
    return folium.GeoJson(data, name=OVERVIEW_NAME,
                          style_function=lambda feature: dict(VILLAGE_STYLES[feature["properties"]["gap_class"]]),
                          highlight_function=lambda feature: {"weight": 3},
                          tooltip=_tooltip(fields), popup=popup)


def fails_layer(data: dict, key: str) -> folium.GeoJson:
    """The drawable villages whose verdict for standard ``key`` is "fails"; hidden at first."""
    column = f"{key}_verdict"
    features = [feature for feature in data["features"] if feature["properties"][column] == "fails"]
    subset = {"type": "FeatureCollection", "features": features}
    fields = ["village_name", "village_code", "township_name", f"{key}_reason"]
    return folium.GeoJson(subset, name=fails_layer_name(key), show=False,
                          style_function=lambda feature: dict(FAILS_STYLE),
                          tooltip=_tooltip(fields) if features else None)  # folium's needs a feature


def fails_counts(villages: pd.DataFrame) -> dict[str, int]:
    """Villages failing each standard, drawn or not."""
    return {key: int((villages[f"{key}_verdict"] == "fails").sum()) for key in STANDARDS}


def class_counts(villages: pd.DataFrame) -> dict[str, int]:
    """Villages in each colour class, drawn or not."""
    counts = village_classes(villages).value_counts()
    return {key: int(counts.get(key, 0)) for key in VILLAGE_STYLES}


def drawn_bounds(villages: gpd.GeoDataFrame) -> list[list[float]]:
    """[[south, west], [north, east]] of the villages in EPSG:4326, for ``fit_bounds``."""
    west, south, east, north = villages.geometry.total_bounds  # missing geometries are skipped
    return [[float(south), float(west)], [float(north), float(east)]]
