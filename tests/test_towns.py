"""[towns] on the sample county (issue 22): the township seats read like any layer, the
column road_network_km_to_township only where the profile gives them, every other column
as without them; the profile's errors name the key and the fix."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer

from cli import main
from gis.errors import ConfigError
from layers.pipeline import assess
from layers.profile import load_profile
from layers.sample import profile_path

TOWNS = """
[towns]
path = "towns.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[towns.columns]
township_code = "乡镇代码"
name = "名称"
"""


def sample_text() -> str:
    sample = profile_path().parent
    return re.sub(r'path = "([^"]+)"', lambda m: f'path = "{(sample / m.group(1)).as_posix()}"',
                  profile_path().read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The sample's profile with [towns]: each township's seat at the seat of its first
    village (the sample's 乡镇卫生院 stand beside them), the last township left out."""
    folder = tmp_path_factory.mktemp("towns")
    seats = pd.read_csv(profile_path().parent / "seats.csv", dtype={"village_code": str})
    seats["乡镇代码"] = seats["village_code"].str[:9]
    first = seats.sort_values("village_code").groupby("乡镇代码").head(1)
    towns = first.rename(columns={"village_code": "名称"})[["乡镇代码", "名称", "lon", "lat"]].iloc[:-1]
    towns.to_csv(folder / "towns.csv", index=False, encoding="utf-8")
    (folder / "plain.toml").write_text(sample_text(), encoding="utf-8")
    (folder / "towns.toml").write_text(sample_text() + TOWNS, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def runs(folder):
    return assess(load_profile(folder / "plain.toml")).villages, assess(load_profile(folder / "towns.toml")).villages


def test_the_column_only_where_asked_and_nothing_else_changes(runs):
    plain, towned = runs
    assert "road_network_km_to_township" not in plain and "township_walk_m" not in plain
    added = [c for c in towned.columns if c not in plain.columns]
    assert added == ["road_network_km_to_township", "township_walk_m"]
    pd.testing.assert_frame_equal(pd.DataFrame(towned[plain.columns].drop(columns="geometry")),
                                  pd.DataFrame(plain.drop(columns="geometry")))


def test_network_distance_is_never_shorter_than_the_straight_line(runs, folder):
    _, towned = runs
    km = towned["road_network_km_to_township"]
    assert km.notna().any() and km.isna().any()     # some seats joined to their township, some not
    towns = pd.read_csv(folder / "towns.csv", dtype={"乡镇代码": str}).set_index("乡镇代码")
    seats = pd.read_csv(profile_path().parent / "seats.csv", dtype={"village_code": str}).set_index("village_code")
    to_gk = Transformer.from_crs(4490, 4545, always_xy=True)
    found = towned[km.notna() & (towned["seat_source"] == "seat")]
    seat = seats.loc[found["village_code"]]
    town = towns.loc[found["township_code"]]
    sx, sy = to_gk.transform(seat["lon"].to_numpy(), seat["lat"].to_numpy())
    tx, ty = to_gk.transform(town["lon"].to_numpy(), town["lat"].to_numpy())
    straight = np.hypot(sx - tx, sy - ty)
    assert (found["road_network_km_to_township"].to_numpy() * 1000 >= straight - 1.0).all()
    assert (found["township_walk_m"] >= 0).all()
    last = towned["township_code"] == towned["township_code"].max()   # its township has no seat
    assert towned.loc[last, "road_network_km_to_township"].isna().all()


def test_check_reports_the_township_without_a_seat(folder):
    result = CliRunner().invoke(main, ["check", str(folder / "towns.toml")])
    assert "township of the villages has no seat in [towns]" in result.output
    assert "the distance to the township seat stays empty" in result.output


def test_connected_to_towns_runs(folder, runs):
    """The sample's hardened roads are one network that every township seat is on, but for
    纳幕村's hardened stub (layers/sample/links.py): every other village a hardened road
    reaches connects, as with connected_to = "main"; 纳幕村 now fails."""
    text = (folder / "towns.toml").read_text(encoding="utf-8")
    path = folder / "connected.toml"
    path.write_text(text.replace("max_distance_m = 500", 'max_distance_m = 500\nrequire_connected = true\n'
                                 'connected_to = "towns"'), encoding="utf-8")
    villages = assess(load_profile(path)).villages
    stub = "522326105204"
    connected = villages.set_index("village_code")["road_connected"].dropna()
    assert set(connected.drop(stub)) == {"yes"} and connected[stub] == "no"
    before, after = (table.set_index("village_code")["road_verdict"] for table in (runs[1], villages))
    assert after[after != before].to_dict() == {stub: "fails"}


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace('township_code = "乡镇代码"\n', ""), "towns.columns.township_code is missing"),
    (lambda t: t.replace("[towns.columns]", "speed = 3\n[towns.columns]"), "unknown key towns.speed"),
    (lambda t: t.replace(TOWNS, "").replace("max_distance_m = 500", 'max_distance_m = 500\nconnected_to = "towns"'),
     'connected_to = "towns" needs the township seats: add a [towns] table'),
])
def test_profile_errors_name_the_key(folder, change, message):
    path = folder / "bad.toml"
    path.write_text(change(sample_text() + TOWNS), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_profile(path)


def test_a_towns_file_that_is_not_there_is_one_line(folder):
    path = folder / "missing.toml"
    path.write_text((sample_text() + TOWNS).replace('path = "towns.csv"', 'path = "no-such-towns.csv"'),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["-q", "run", str(path), "-o", str(folder / "out"), "--no-maps"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no-such-towns.csv" in result.output and len(result.output.strip().splitlines()) <= 2
