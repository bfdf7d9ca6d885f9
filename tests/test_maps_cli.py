"""The map options on the command line and in the profile's [map] table."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from cli import main
from layers.profile import load_profile
from layers.sample import profile_path
from maps.options import MapOptions
from gis.errors import ConfigError


def _copy_profile(tmp_path, extra: str):
    """The sample profile with ``extra`` appended, its data paths made absolute."""
    source = profile_path()
    text = source.read_text(encoding="utf-8")
    text = re.sub(r'path = "([^"]+)"', lambda m: f'path = "{(source.parent / m.group(1)).as_posix()}"', text)
    target = tmp_path / "county.toml"
    target.write_text(text + "\n" + extra, encoding="utf-8")
    return target


def test_tianditu_without_a_key_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    result = CliRunner().invoke(main, ["-q", "demo", str(tmp_path / "out"), "--basemap", "tianditu"])
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith("Error: basemap tianditu needs a Tianditu key: set the environment variable "
                              "TIANDITU_KEY or map.tianditu_key in ")
    assert len(message.splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # failed before writing anything


def test_tianditu_key_from_the_named_variable_reaches_the_tiles(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_TK", "abc123")
    profile = _copy_profile(tmp_path, '[map]\nbasemap = "tianditu-img"\ntianditu_key_env = "MY_TK"\nlang = "en"\n')
    result = CliRunner().invoke(main, ["-q", "run", str(profile), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "map.html").read_text(encoding="utf-8").replace("\\u0026", "&")
    assert "tianditu.gov.cn/img_w/wmts" in html and "tianditu.gov.cn/cia_w/wmts" in html
    assert "tk=abc123" in html and "TILEMATRIXSET=w" in html and "Tianditu" in html
    assert "Villages by failed standards" in html  # lang from the profile


def test_command_line_overrides_the_profile(tmp_path):
    profile = _copy_profile(tmp_path, '[map]\nbasemap = "osm"\nlang = "en"\ntownship_maps_above_villages = 500\n')
    result = CliRunner().invoke(main, ["-q", "run", str(profile), "-o", str(tmp_path / "out"), "--basemap", "none",
                                       "--lang", "zh"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "map.html").read_text(encoding="utf-8")
    assert "openstreetmap" not in html and "村庄（按不达标项数）" in html
    assert not (tmp_path / "out" / "townships").exists()  # 171 villages, not above 500
    assert sorted(p.name for p in (tmp_path / "out").glob("*.html")) == [
        "index.html", "map.html", "map_health.html", "map_telecom.html", "map_transport.html", "map_water.html"]


def test_unknown_map_keys_and_values_are_profile_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown key map.colour"):
        load_profile(_copy_profile(tmp_path, '[map]\ncolour = "red"\n'))
    with pytest.raises(ConfigError, match="map.basemap = 'google' is not known"):
        load_profile(_copy_profile(tmp_path, '[map]\nbasemap = "google"\n'))
    with pytest.raises(ConfigError, match="map.lang = 'fr' is not known"):
        load_profile(_copy_profile(tmp_path, '[map]\nlang = "fr"\n'))
    result = CliRunner().invoke(main, ["demo", str(tmp_path / "x"), "--basemap", "bing"])
    assert result.exit_code == 2


def test_map_options_checked_when_made():
    with pytest.raises(ConfigError, match="needs a Tianditu key"):
        MapOptions(basemap="tianditu")
    with pytest.raises(ConfigError, match="unknown map limit"):
        MapOptions(limits={"road_m": 1})
