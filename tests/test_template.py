"""`covermap init`: the template in each language, every optional key in its own table."""

import re
import tomllib

import pytest
from click.testing import CliRunner

from cli import main
from gis.errors import ConfigError
from layers.profile import TABLE_KEYS, load_profile, parse_profile

KEY_OR_TABLE = re.compile(r"^# (\[[a-z_.]+\]|[a-z_0-9]+ = )")   # a commented-out setting, not prose


def written(tmp_path, lang):
    path = tmp_path / f"county-{lang}.toml"
    result = CliRunner().invoke(main, ["init", str(path), "--lang", lang])
    assert result.exit_code == 0, result.output
    return path, path.read_text(encoding="utf-8")


def uncommented(text):
    return "\n".join(line[2:] if KEY_OR_TABLE.match(line) else line for line in text.splitlines())


def tables_and_keys(data, prefix=""):
    for key, value in data.items():
        if isinstance(value, dict):
            yield from tables_and_keys(value, f"{prefix}{key}.")
        else:
            yield prefix[:-1], key


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_commented_key_uncommented_still_parses(tmp_path, lang):
    path, text = written(tmp_path, lang)
    assert sum(bool(KEY_OR_TABLE.match(line)) for line in text.splitlines()) >= 30
    full = uncommented(text)
    data = tomllib.loads(full)
    for table, key in tables_and_keys(data):   # each key in a table that takes it
        assert key in TABLE_KEYS[table], f"{lang}: {key} under [{table}]"
    profile = parse_profile(data, path)   # no file is read: the paths need not exist
    assert profile.lang == lang
    assert "沥青" in profile.roads.hardened_values and "卫生室" in profile.clinics.village_clinic_values
    assert profile.layer("fibre") is not None and profile.villages.seats is not None
    assert profile.villages.source.columns["road_hardened"] == "road_hardened"
    assert profile.map.township_maps_above_villages == 100


def test_both_languages_hold_the_same_settings(tmp_path):
    (_, zh), (_, en) = written(tmp_path, "zh"), written(tmp_path, "en")
    keys = [sorted(tables_and_keys(tomllib.loads(uncommented(text)))) for text in (zh, en)]
    assert keys[0] == keys[1]
    assert re.search(r"[\u4e00-\u9fff]", "".join(line for line in zh.splitlines() if line.startswith("# ")))
    prose = [line for line in en.splitlines() if line.startswith("#") and not KEY_OR_TABLE.match(line)]
    assert prose and not any(re.search(r"[\u4e00-\u9fff]", line) for line in prose)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_template_as_written_is_a_valid_profile(tmp_path, lang):
    path, _ = written(tmp_path, lang)
    profile = load_profile(path)
    assert profile.lang == lang and profile.standards.roads.max_distance_m == 500


@pytest.mark.parametrize("table, key, home", [
    ("roads.columns", "hardened_values", "[roads]"),
    ("clinics.columns", "village_clinic_values", "[clinics]"),
    ("roads", "max_distance_m", "[standards.roads]"),
    ("villages.columns", "seat_crs", "[villages]"),
])
def test_a_known_key_in_the_wrong_table_names_its_table(tmp_path, table, key, home):
    path = tmp_path / "p.toml"
    data = {"villages": {"path": "v.gpkg", "columns": {"code": "c", "name": "n", "township_code": "t",
                                                       "township_name": "tn"}},
            "roads": {"path": "r.shp", "columns": {"surface": "s"}},
            "clinics": {"path": "c.gpkg"}}
    where = data
    for part in table.split("."):
        where = where.setdefault(part, {})
    where[key] = ["x"]
    with pytest.raises(ConfigError) as caught:
        parse_profile(data, path)
    message = str(caught.value)
    assert f"unknown key {table}.{key}: {key} belongs in {home}" in message
    assert str(path) in message and "\n" not in message


def test_an_unknown_key_nowhere_known_lists_what_the_table_takes(tmp_path):
    data = {"villages": {"path": "v.gpkg", "pathh": "x"}}
    with pytest.raises(ConfigError, match=r"unknown key villages.pathh; allowed here: .*path"):
        parse_profile(data, tmp_path / "p.toml")
