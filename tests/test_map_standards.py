"""The five first standards reach the maps as plain data (maps/ imports nothing of layers/):
each declares how it is drawn in its own module (layers/standards/<key>.py, ``Drawing``),
layers.mapdata.map_data() gathers them, and maps/standards.json holds the result, which
maps/standards.py reads. This checks the file is what the registry declares, and that the
maps draw what it says; ``python tests/test_map_standards.py`` writes it anew."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from layers.mapdata import map_data, map_limits  # noqa: E402
from layers.standards import STANDARDS  # noqa: E402

FILE = ROOT / "maps" / "standards.json"


def text() -> str:
    return json.dumps(map_data(), ensure_ascii=False, indent=1) + "\n"


def test_the_maps_file_is_what_the_standards_declare():
    assert FILE.read_text(encoding="utf-8") == text(), \
        "maps/standards.json is out of date: run python tests/test_map_standards.py and commit it"


def test_the_maps_read_every_standard_and_bureau_in_registry_order():
    from maps.infrastructure import BUREAU_INPUTS, COLUMNS
    from maps.options import LIMIT_KEYS
    from maps.styles import BUREAUS, INFRASTRUCTURE_STYLES, STANDARDS as MAP_STANDARDS
    from maps.trend import BUREAU_COLOURS

    assert dict(MAP_STANDARDS) == {s.key: s.bureau for s in STANDARDS}
    assert list(BUREAUS) == list(dict.fromkeys(s.bureau for s in STANDARDS)) == list(BUREAU_COLOURS)
    assert {key for keys in BUREAUS.values() for key in keys} == {s.key for s in STANDARDS}
    layers = [layer for s in STANDARDS for layer in s.drawing.layers]
    assert list(COLUMNS) == [layer.key for layer in layers]
    assert [key for keys in BUREAU_INPUTS.values() for key in keys] == [layer.key for layer in layers]
    assert list(INFRASTRUCTURE_STYLES) == [mark.key for layer in layers for mark in layer.marks]
    assert all(dict(INFRASTRUCTURE_STYLES[m.key]) == dict(m.style) for layer in layers for m in layer.marks)
    assert LIMIT_KEYS == tuple(s.drawing.limit for s in STANDARDS if s.drawing.limit)


def test_the_maps_words_for_the_five_are_their_modules():
    from maps.i18n import texts

    for lang in ("zh", "en"):
        words = texts(lang)
        for standard in STANDARDS:
            assert words[f"standard.{standard.key}"] == standard.name(lang)
            for layer in standard.drawing.layers:
                for mark in layer.marks:
                    assert words[f"symbol.{mark.key}"] == mark.legend(lang)
                    assert words[f"layer.{mark.key if layer.apart else layer.key}"] == \
                        (mark.layer if layer.apart else layer.name)(lang)
    assert texts("en")["symbol.roads_unknown"] == "Road, surface not recorded (not counted as hardened)"
    assert texts("zh")["layer.clinics"] == "卫生室和卫生院"


def test_the_limits_the_maps_quote_come_from_the_profile():
    from layers.profile import load_profile
    from layers.sample import profile_path
    from maps.i18n import texts
    from maps.options import MapOptions
    from maps.popup import limit_texts

    profile = load_profile(profile_path())
    limits = map_limits(profile)
    rules = profile.standards
    assert limits == {"road_max_distance_m": rules.roads.max_distance_m, "water_min_share": rules.water.min_share,
                      "net4g_min_share": rules.network.min_share,
                      "fibre_max_distance_m": rules.network.fibre_max_distance_m}
    shown = limit_texts(MapOptions(lang="en", limits=limits).limits, texts("en"))
    assert shown == {"road": f"≤ {rules.roads.max_distance_m:,.0f} m",
                     "water": f"≥ {rules.water.min_share * 100:,.0f}%",
                     "clinic": "≥ 1 qualifying clinic", "net4g": f"≥ {rules.network.min_share * 100:,.0f}%",
                     "fibre": f"≤ {rules.network.fibre_max_distance_m:,.0f} m"}


def test_the_popup_shows_what_each_standard_declares():
    from maps.i18n import texts
    from maps.popup import evidence

    villages = pd.DataFrame({
        **{f"{s.key}_{part}": [f"{s.key} {part}"] for s in STANDARDS for part in ("verdict", "reason")},
        "road_hardened_m": [612.4], "water_share": [0.853], "clinic_count": [2], "clinic_nearest_m": [1234.0],
        "clinic_nearest_name": ["甲村卫生室"], "net4g_share": [None], "fibre_nearest_m": [80.0],
        "water_project": ["WP-7"]})
    rows = {row[0]: row[1:] for row in evidence(villages, texts("zh")).iloc[0]}
    assert rows == {"road": [612, "", "road reason"], "water": [85, "WP-7", "water reason"],
                    "clinic": [2, "甲村卫生室，1,234 米", "clinic reason"], "net4g": [None, "", "net4g reason"],
                    "fibre": [80, "", "fibre reason"]}


if __name__ == "__main__":
    FILE.write_text(text(), encoding="utf-8")
    print(f"wrote {FILE}")
