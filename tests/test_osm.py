"""OpenStreetMap as a source (covermap osm): other_tags and tag values by hand, the rules,
and the real Liechtenstein extract (tests/data, (c) OpenStreetMap contributors, ODbL 1.0)
end to end."""

import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from cli import main
from gis import osm
from gis.errors import DataError
from layers.osm import (ATTRIBUTION, NO, UNTAGGED_HARDENED_DEFAULT, YES, health_types, convert, hardened,
                        surface_class)
from layers.profile import load_profile

EXTRACT = Path(__file__).parent / "data" / "liechtenstein-2013-08-03.osm.pbf"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result):
    lines = [line for line in result.output.strip().splitlines() if line]
    assert "Traceback" not in result.output
    assert lines[-1].startswith("Error: ") and len(lines) <= 2, result.output
    return lines[-1]


# --- other_tags, by hand ------------------------------------------------------------------------

# as GDAL writes them: '"' and '\' inside a key or value escaped by a backslash
CELLS = [
    r'"bicycle"=>"yes","lanes"=>"1","surface"=>"gravel"',
    r'"note"=>"say \"hi\", then \"surface\"=>\"mud\"","surface"=>"asphalt"',   # a pair inside a value
    r'"a"=>"x\\","surface"=>"paved"',                                          # a value ending in a backslash
    r'"名称"=>"路,\"surface\"=>\"gravel","wi\"dth"=>"5 m"',                    # a quote in a key
    r'"subsurface"=>"rock","surface:note"=>"old"',                             # keys that contain the key
    None,
    "",
]


def test_tag_values_finds_keys_only_where_a_pair_starts():
    found = osm.tag_values(CELLS, ["surface", "lanes", 'wi"dth', "名称", "note"])
    assert found["surface"].to_pylist() == ["gravel", "asphalt", "paved", None, None, None, None]
    assert found["lanes"].to_pylist() == ["1", None, None, None, None, None, None]
    assert found['wi"dth'].to_pylist()[3] == "5 m"
    assert found["名称"].to_pylist()[3] == '路,"surface"=>"gravel'
    assert found["note"].to_pylist()[1] == 'say "hi", then "surface"=>"mud"'


def test_tag_values_takes_arrow_columns_as_they_come_from_gdal():
    column = pa.chunked_array([pa.array(CELLS[:3]), pa.array(CELLS[3:])])
    assert osm.tag_values(column, ["surface"])["surface"].to_pylist()[:3] == ["gravel", "asphalt", "paved"]


def test_parse_other_tags_unescapes_every_pair():
    assert osm.parse_other_tags(CELLS[1]) == {"note": 'say "hi", then "surface"=>"mud"', "surface": "asphalt"}
    assert osm.parse_other_tags(CELLS[2]) == {"a": "x\\", "surface": "paved"}
    assert osm.parse_other_tags(None) == {}


def test_tag_values_agree_with_gdal_on_a_hand_written_extract(tmp_path):
    path = tmp_path / "escaped.osm"
    path.write_text(_OSM.format(ways=_way(10, 'highway" v="residential"/><tag k="description" '
                                              'v="say &quot;hi&quot;, back\\slash =&gt; x"/><tag k="surface" '
                                              'v="asphalt')), encoding="utf-8")
    cell = pyogrio.read_dataframe(path, layer="lines")["other_tags"].iloc[0]
    assert osm.parse_other_tags(cell) == {"description": 'say "hi", back\\slash => x', "surface": "asphalt"}
    assert osm.tag_values([cell], ["description"])["description"].to_pylist() == ['say "hi", back\\slash => x']


# --- tag values as numbers and flags --------------------------------------------------------------

def test_width_in_metres():
    widths = pd.Series(["5", "5.5", "5,5", "5 m", "4.5m", "3 米", ".5", "12'", "12'6\"", "10 ft",
                        "5-6", "narrow", "", None])
    expected = [5, 5.5, 5.5, 5, 4.5, 3, 0.5, 12 * 0.3048, 12.5 * 0.3048, 10 * 0.3048] + [np.nan] * 4
    np.testing.assert_allclose(osm.metres(widths), expected)


def test_integers_oneway_and_flags():
    np.testing.assert_array_equal(osm.integers(pd.Series(["2", "-1", "+1", "1.5", "x", None])),
                                  [2, -1, 1, np.nan, np.nan, np.nan])
    assert list(osm.oneway(pd.Series(["yes", "true", "1", "no", "-1", "reverse", "reversible", None]))) == [
        "yes", "yes", "yes", "no", "-1", "-1", None, None]
    assert list(osm.flag(pd.Series(["yes", "viaduct", "culvert", "no", None]))) == ["yes", "yes", "yes", "no", "no"]


# --- the rules --------------------------------------------------------------------------------------

@pytest.mark.parametrize("surface, expected", [
    ("asphalt", YES), ("concrete", YES), ("concrete:plates", YES), ("paving_stones", YES), ("paved", YES),
    ("sett", YES), ("cement", YES), ("Asphalt ", YES), ("水泥", YES),
    ("gravel", NO), ("dirt", NO), ("ground", NO), ("unpaved", NO), ("compacted", NO), ("grass", NO),
    ("sand", NO), ("earth", NO), ("mud", NO), ("pebblestone", NO),
    ("asphalt;concrete", YES), ("asphalt;gravel", NO), ("wood", None), ("metal", None), ("", None), (None, None)])
def test_surface_class(surface, expected):
    assert surface_class(surface) == expected


def test_hardened_by_surface_then_by_class():
    highway = ["residential", "primary", "primary_link", "tertiary", "unclassified", "track", "service", "path",
               "residential", "footway", "cycleway", "steps", "primary", "secondary"]
    surface = [None, None, None, None, None, None, None, None, "asphalt", "asphalt", None, None, "gravel", "wood"]
    value, by = hardened(np.array(highway, dtype=object), np.array(surface, dtype=object))
    assert list(value) == [None, YES, YES, YES, None, None, None, None, YES, NO, NO, NO, NO, None]
    assert list(by) == [None, "highway", "highway", "highway", None, None, None, None, "surface", "highway",
                        "highway", "highway", "surface", None]


def test_untagged_classes_are_a_choice():
    highway = np.array(["primary", "tertiary", "unclassified"], dtype=object)
    untagged = np.array([None, None, None], dtype=object)
    assert list(hardened(highway, untagged, ())[0]) == [None, None, None]
    assert list(hardened(highway, untagged, ("unclassified",))[0]) == [None, None, YES]
    assert UNTAGGED_HARDENED_DEFAULT == ("motorway", "trunk", "primary", "secondary", "tertiary")


def test_clinic_types_in_the_words_of_the_clinic_standard():
    from layers.settings import HEALTH_CENTRE_DEFAULT, VILLAGE_CLINIC_DEFAULT

    amenity = np.array(["hospital", "clinic", "doctors", "pharmacy", None, None, None, "school"], dtype=object)
    healthcare = np.array([None, None, "doctor", None, "hospital", "pharmacy", None, None], dtype=object)
    types = health_types(amenity, healthcare)
    assert list(types) == ["乡镇卫生院", "村卫生室", "村卫生室", None, "乡镇卫生院", "其他", None, None]
    assert "乡镇卫生院" in HEALTH_CENTRE_DEFAULT and "村卫生室" in VILLAGE_CLINIC_DEFAULT
    assert "其他" not in HEALTH_CENTRE_DEFAULT + VILLAGE_CLINIC_DEFAULT


# --- the real extract -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("li")
    result = convert(EXTRACT, folder, villages_level=8)
    layers = {name: pyogrio.read_dataframe(result.gpkg, layer=name)
              for name in pyogrio.list_layers(result.gpkg)[:, 0]}
    return result, layers


def _independent_lines():
    """GDAL's lines with its default configuration, surface found by a plain regex."""
    lines = pyogrio.read_dataframe(EXTRACT, layer="lines", read_geometry=False)
    lines = lines[lines["highway"].notna()]
    surface = lines["other_tags"].fillna("").map(lambda t: (re.search(r'(?:^|,)"surface"=>"([^"]*)"', t) or [None, None])[1])
    return lines.assign(surface=surface)


def test_counts_as_the_data_readme_says(converted):
    result, layers = converted
    roads = layers["roads"]
    assert len(roads) == result.counts["roads"] == 2751
    assert roads["surface"].notna().sum() == 399
    assert roads["surface"].value_counts()[["asphalt", "gravel", "paved", "ground"]].tolist() == [159, 88, 64, 42]
    assert roads["surface"].isin(["unpaved", "dirt"]).sum() == 28
    # 1 hospital (the 4 pharmacies carry amenity=pharmacy only, no clinic); 11 municipalities
    assert layers["clinics"][["name", "type"]].values.tolist() == [["Liechtensteinisches Landesspital", "乡镇卫生院"]]
    assert (layers["boundaries"]["admin_level"] == 8).sum() == 11
    assert sorted(layers["boundaries"]["admin_level"].astype(int)) == [2, 6, 6] + [8] * 11
    assert len(layers["bus_stops"]) == 308 and set(layers["bus_stops"]["kind"]) == {"bus_stop"}
    assert len(layers["post"]) == 7     # 6 nodes and 1 building
    assert len(layers["bus_routes"]) == 17 and set(layers["bus_routes"]["route"]) == {"bus"}
    assert {name: len(frame) for name, frame in layers.items()} == {**result.counts}


def test_bus_routes_equal_an_independent_reading(converted):
    """GDAL's relations with its default configuration, route found in other_tags by a plain
    regex: the same relations, names (the ref where unnamed) and lines."""
    _, layers = converted
    relations = pyogrio.read_dataframe(EXTRACT, layer="multilinestrings")
    relations.index = "relation/" + relations["osm_id"].astype(str)
    route = relations["other_tags"].fillna("").map(lambda t: (re.search(r'(?:^|,)"route"=>"([^"]*)"', t) or [None, None])[1])
    theirs = relations[route.isin(["bus", "trolleybus", "coach", "minibus"])]
    mine = layers["bus_routes"].set_index("osm_id")
    assert sorted(mine.index) == sorted(theirs.index)
    ref = theirs["other_tags"].map(lambda t: (re.search(r'(?:^|,)"ref"=>"([^"]*)"', t) or [None, None])[1])
    assert (mine["name"] == theirs["name"].fillna(ref).reindex(mine.index)).all()
    assert mine.loc["relation/35", "name"] == "70"     # unnamed: its ref
    lengths = shapely.length(theirs.geometry.reindex(mine.index).to_numpy())
    np.testing.assert_allclose(shapely.length(mine.geometry.to_numpy()), lengths, rtol=1e-12)


def test_roads_equal_an_independent_reading(converted):
    _, layers = converted
    roads, lines = layers["roads"], _independent_lines()
    assert sorted(roads["osm_id"]) == sorted("way/" + lines["osm_id"].astype(str))
    mine = roads.set_index("osm_id")["surface"]
    theirs = lines.set_index("way/" + lines["osm_id"].astype(str))["surface"]
    pd.testing.assert_series_equal(mine.reindex(theirs.index).astype(object), theirs.astype(object),
                                   check_names=False, check_dtype=False)


def test_hardened_per_surface_on_real_roads(converted):
    _, layers = converted
    roads = layers["roads"]
    vehicles = roads[~roads["highway"].isin(["footway", "cycleway", "steps", "bridleway", "pedestrian",
                                             "construction"])]
    per_surface = vehicles.groupby("surface")["hardened"].agg(lambda v: set(v.fillna("未知"))).to_dict()
    assert per_surface == {
        "asphalt": {YES}, "paved": {YES}, "concrete": {YES},
        "gravel": {NO}, "ground": {NO}, "unpaved": {NO}, "dirt": {NO}, "grass": {NO}, "compacted": {NO},
        "pebblestone": {NO}, "sand": {NO}, "wood": {"未知"}, "metal": {"未知"}}
    assert (roads.loc[roads["hardened"].notna() & roads["surface"].notna() & roads.index.isin(vehicles.index),
                      "hardened_by"] == "surface").all()


def test_untagged_roads_by_class_on_real_roads(converted):
    _, layers = converted
    roads = layers["roads"]
    untagged = roads[roads["surface"].isna()]
    main_roads = untagged["highway"].isin(["primary", "secondary", "tertiary", "secondary_link"])
    assert main_roads.sum() > 150
    assert (untagged.loc[main_roads, "hardened"] == YES).all()
    assert (untagged.loc[main_roads, "hardened_by"] == "highway").all()
    minor = untagged["highway"].isin(["residential", "unclassified", "track", "service", "path"])
    assert untagged.loc[minor, "hardened"].isna().all()
    footways = roads["highway"].isin(["footway", "cycleway", "steps"])
    assert (roads.loc[footways, "hardened"] == NO).all()
    # 是 407: 208 by a hardened surface (228 less 20 paved footways and cycleways, 否) and 199 untagged
    # main roads; 否 557: a loose surface, or a footway, cycleway, steps ...
    assert roads["hardened"].fillna("-").value_counts().to_dict() == {"-": 1787, NO: 557, YES: 407}


def test_road_attributes(converted):
    _, layers = converted
    roads, lines = layers["roads"], _independent_lines()
    tagged = lines["other_tags"].fillna("").str.contains('"width"=>')
    assert roads["width"].notna().sum() <= tagged.sum() and roads["width"].notna().sum() > 0
    assert roads["width"].dropna().between(0.3, 40).all()
    assert set(roads["oneway"].dropna()) <= {"yes", "no", "-1"}
    assert set(roads["bridge"]) == {"yes", "no"} and set(roads["tunnel"]) == {"yes", "no"}
    assert (roads.loc[roads["bridge"] == "yes"].shape[0]
            == lines["other_tags"].fillna("").str.contains(r'"bridge"=>"(?!no")').sum())
    assert roads["layer"].dropna().map(float.is_integer).all()


def test_villages_from_boundaries(converted):
    _, layers = converted
    villages = layers["villages"]
    assert sorted(villages["name"]) == sorted(["Balzers", "Eschen", "Gamprin", "Mauren", "Planken", "Ruggell",
                                               "Schaan", "Schellenberg", "Triesen", "Triesenberg", "Vaduz"])
    assert villages["code"].str.fullmatch(r"r\d+").all()
    assert set(villages["township_name"]) == {"Wahlkreis Oberland", "Wahlkreis Unterland"}
    unterland = {"Eschen", "Gamprin", "Mauren", "Ruggell", "Schellenberg"}
    assert set(villages.loc[villages["township_name"] == "Wahlkreis Unterland", "name"]) == unterland


def test_the_geopackage_credits_openstreetmap(converted):
    result, _ = converted
    with sqlite3.connect(result.gpkg) as db:
        descriptions = dict(db.execute("SELECT table_name, description FROM gpkg_contents"))
    assert set(descriptions) == {"roads", "clinics", "bus_stops", "bus_routes", "post", "boundaries", "villages"}
    assert all(ATTRIBUTION in text and EXTRACT.name in text for text in descriptions.values())


# --- the command -----------------------------------------------------------------------------------

def test_command_writes_a_profile_that_runs_end_to_end(tmp_path):
    folder = tmp_path / "li"
    made = invoke("osm", EXTRACT, "-o", folder, "--villages-from-boundaries", 8)
    assert made.exit_code == 0, made.output
    assert "道路 2,751 条（硬化 407、未硬化 557、未知 1,787）" in made.output
    text = (folder / "profile.toml").read_text(encoding="utf-8")
    assert ATTRIBUTION in text and "admin_level=8" in text and 'lang = "zh"' in text
    profile = load_profile(folder / "profile.toml")
    assert profile.roads.hardened_values == (YES,) and profile.roads.source.columns["surface"] == "hardened"

    ran = invoke("-q", "run", folder / "profile.toml", "-o", tmp_path / "out", "--no-maps")
    assert ran.exit_code == 0, ran.output
    villages = pd.read_csv(tmp_path / "out" / "villages.csv", dtype=str, encoding="utf-8-sig")
    assert len(villages) == 11
    assert set(villages["road_verdict"]) <= {"meets", "basic", "fails", "no_data"}
    assert (villages["road_verdict"] == "meets").all()   # hardened main roads run through every municipality
    clinic = villages.set_index("village_name")["clinic_verdict"]
    assert clinic["Vaduz"] == "meets"                    # hosts the hospital (乡镇卫生院: exempt)
    assert (clinic.drop("Vaduz") == "fails").all()
    assert (villages["water_verdict"] == "no_data").all()
    # 通客车 and 通邮 switched on, the extract having stops and post offices: a stop inside every
    # municipality (no seats: measured from the boundary); three without a post office within 1 km
    assert "[bus_stops]" in text and "[bus_routes]" in text and "[standards.post]" in text
    assert (villages["bus_verdict"] == "meets").all() and (villages["bus_stop_m"] == "0.0").all()
    post = villages.set_index("village_name")["post_verdict"]
    assert set(post[post == "fails"].index) == {"Triesen", "Balzers", "Planken"}


def test_english_profile_and_own_villages(tmp_path):
    made = invoke("osm", EXTRACT, "-o", tmp_path / "en", "--lang", "en", "--untagged-hardened", "none")
    assert made.exit_code == 0, made.output
    assert "2,751 roads (208 hardened, 557 not, 1,986 unknown)" in made.output
    text = (tmp_path / "en" / "profile.toml").read_text(encoding="utf-8")
    assert "yours to supply" in text and "(none) hardened" in text and ATTRIBUTION in text
    profile = load_profile(tmp_path / "en" / "profile.toml")
    assert profile.lang == "en" and profile.villages.source.path == tmp_path / "en" / "villages.gpkg"
    checked = invoke("check", tmp_path / "en" / "profile.toml")
    assert checked.exit_code == 1 and "villages.gpkg" in checked.output


def test_help_documents_the_untagged_default():
    shown = invoke("osm", "--help").output
    assert ",".join(UNTAGGED_HARDENED_DEFAULT) in shown and "ODbL" in shown


_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="covermap test">
  <node id="1" lat="47.10" lon="9.50" version="1"><tag k="amenity" v="clinic"/></node>
  <node id="2" lat="47.11" lon="9.51" version="1"/>
  {ways}
</osm>
"""


def _way(way_id, tags):
    return f'<way id="{way_id}" version="1"><nd ref="1"/><nd ref="2"/><tag k="{tags}"/></way>'


@pytest.mark.parametrize("name, content, words", [
    ("missing.osm.pbf", None, "file not found"),
    ("notes.osm.pbf", "these are not map data\n", "cannot read it as OpenStreetMap"),
    ("roads.gpkg", "", "not an OpenStreetMap extract"),
    ("no_roads.osm", _OSM.format(ways=_way(10, 'waterway" v="river')), "holds no highway"),
])
def test_errors_are_one_line_naming_the_file(tmp_path, name, content, words):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = invoke("osm", path, "-o", tmp_path / "out")
    assert result.exit_code == 1
    line = one_line_error(result)
    assert str(path) in line and words in line
    assert not any((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


def test_outputs_are_not_overwritten_and_a_missing_level_is_explained(tmp_path):
    first = invoke("osm", EXTRACT, "-o", tmp_path)
    assert first.exit_code == 0, first.output
    again = invoke("osm", EXTRACT, "-o", tmp_path)
    assert again.exit_code == 1 and "--overwrite" in one_line_error(again)
    level = invoke("osm", EXTRACT, "-o", tmp_path, "--overwrite", "--villages-from-boundaries", 10)
    assert level.exit_code == 1
    assert "admin_level 10 (its levels: 2, 6, 8)" in one_line_error(level)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["osm.gpkg", "profile.toml"]   # no partial file left


def test_check_extract_raises_data_errors(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        osm.check_extract(tmp_path / "nowhere.osm.pbf")


def test_the_profile_names_bus_stops_and_post_only_where_the_extract_has_them():
    from layers.osm import Conversion
    from layers.osmprofile import profile_text

    def text(counts):
        return profile_text(Conversion(Path("osm.gpkg"), counts=counts), Path("x.osm.pbf"), Path("profile.toml"), "en")

    assert "[bus_stops]" not in text({"roads": 3}) and "[post]" not in text({"roads": 3})
    both = text({"roads": 3, "bus_stops": 2, "post": 1})
    assert "[standards.bus]" in both and "[standards.post]" in both and 'layer = "post"' in both
    assert "[post]" not in text({"bus_stops": 2, "post": 0})
    routes = text({"roads": 3, "bus_routes": 4})   # routes alone switch 通客车 on, its settings once
    assert "[bus_routes]" in routes and "[bus_stops]" not in routes and routes.count("[standards.bus]") == 1
    assert text({"bus_stops": 2, "bus_routes": 4}).count("[standards.bus]") == 1
