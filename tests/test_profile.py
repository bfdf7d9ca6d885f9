"""The TOML profile: defaults, paths relative to the profile, errors naming the key."""

import pytest

from gis.errors import ConfigError
from layers.profile import load_profile

MINIMAL = """
[villages]
path = "data/villages.gpkg"
[villages.columns]
code = "c"
name = "n"
township_code = "tc"
township_name = "tn"
"""


def write(tmp_path, text, name="p.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_follow_the_national_profile(tmp_path):
    profile = load_profile(write(tmp_path, MINIMAL))
    s = profile.standards
    assert (s.roads.max_distance_m, s.water.meets_min_lpcd, s.water.basic_min_lpcd) == (500, 35, 20)
    assert (s.water.meets_min_reliability_pct, s.water.basic_min_reliability_pct) == (95, 90)
    assert s.clinics.exempt_health_centre_host is True and s.clinics.min_doctors == 1
    assert profile.roads is None and profile.working_crs is None
    assert profile.name == "p"


def test_paths_are_relative_to_the_profile_not_the_working_directory(tmp_path, monkeypatch):
    sub = tmp_path / "county"
    sub.mkdir()
    monkeypatch.chdir(tmp_path)
    profile = load_profile(write(sub, MINIMAL))
    assert profile.villages.source.path == (sub / "data" / "villages.gpkg").resolve()


@pytest.mark.parametrize("extra, fragment", [
    ("[standards.roads]\nmax_distance = 500\n", "unknown key standards.roads.max_distance"),
    ("[standards.water]\nmin_share = 1.5\n", "standards.water.min_share = 1.5 is out of range"),
    ("[standards.roads]\nmax_distance_m = \"far\"\n", "standards.roads.max_distance_m must be a number"),
    ("[standards.water]\nbasic_min_lpcd = 40\n", "basic_min_lpcd is above meets_min_lpcd"),
    ("[project]\nworking_crs = \"EPSG:4490\"\n", "project.working_crs = EPSG:4490 is not in metres"),
    ("[project]\nworking_crs = \"EPSG:99999999\"\n", "not a CRS PROJ knows"),
    ("[roads]\npath = \"r.shp\"\n", "roads.columns.surface is missing"),
    ("[clinics]\npath = \"c.csv\"\nx = \"lon\"\n", "clinics needs both x and y"),
    ("[network]\ntechnologies = [\"4G\"]\n", "[network] names neither coverage nor fibre"),
    ("[bus]\npath = \"b.csv\"\n", "unknown key bus"),
])
def test_errors_name_the_key(tmp_path, extra, fragment):
    with pytest.raises(ConfigError) as err:
        load_profile(write(tmp_path, MINIMAL + extra))
    assert fragment in str(err.value)
    assert str(tmp_path / "p.toml") in str(err.value)


def test_seat_columns_need_a_crs(tmp_path):
    text = MINIMAL.replace('tn"', 'tn"\nseat_x = "lon"\nseat_y = "lat"')
    with pytest.raises(ConfigError, match="villages.seat_crs is not set"):
        load_profile(write(tmp_path, text))


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ConfigError, match="covermap init"):
        load_profile(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_profile(write(tmp_path, "[villages\n"))


def test_a_profile_error_is_also_a_value_error(tmp_path):
    with pytest.raises(ValueError):
        load_profile(write(tmp_path, "[villages]\n"))
