"""Known answers for the road standard on the hand-drawn villages (tests/hand_drawn.py)."""

import numpy as np
import pandas as pd
import pytest

from hand_drawn import frame, inputs, line
from layers.standards import road as roads
from layers.settings import RoadRules


def road_layer(rows):
    return frame([{"hardened": r[0], "width": r[1], "name": r[2]} for r in rows], [r[3] for r in rows]).astype(
        {"hardened": "boolean"})


@pytest.fixture
def layer():
    return road_layer([
        (True, 6.0, "R1 to A", line((500, -1000), (500, 100))),        # 400 m south of A's seat
        (True, 5.0, "R2 touches C", line((1000, 3000), (2000, 4000))),  # touches C's corner only
        (True, 3.0, "R3 through D", line((2500, -500), (2500, 500))),   # enters D (no seat)
        (None, np.nan, "R4 unknown", line((1500, 800), (1500, 1800))),  # 300 m from B's seat, no surface
        (False, 4.0, "R5 gravel", line((0, 500), (400, 500))),          # gravel into A
    ])


def test_distances_known_answers(layer):
    data = inputs(roads=layer)
    got = roads.hardened_distance(data.origins, layer, data.villages.index)
    # A: seat (500,500) to R1's end (500,100) = 400. B: seat (1500,500) to R3 (2500,500) = 1000.
    # C: polygon touches R2 at (1000,3000) -> 0. D: R3 enters -> 0. E: no origin -> NaN.
    np.testing.assert_allclose(got.to_numpy()[:4], [400.0, 1000.0, 0.0, 0.0])
    assert np.isnan(got.iloc[4])
    assert list(got.index) == list(data.villages.index)


def test_verdicts_known_answers(layer):
    out = roads.assess(inputs(roads=layer), RoadRules(max_distance_m=500), "en")
    assert list(out["road_verdict"]) == ["meets", "no_data", "fails", "meets", "no_data"]
    assert out["road_reason"].iloc[0] == "hardened road 400 m from the village seat; limit 500 m"
    zh = roads.assess(inputs(roads=layer), RoadRules(max_distance_m=500))   # Chinese by default
    assert list(zh["road_verdict"]) == list(out["road_verdict"])
    assert zh["road_reason"].iloc[0] == "硬化路距村委会 400 米，限值 500 米"
    assert "补录其路面" in zh["road_reason"].iloc[1]
    assert "touches the village boundary but does not enter" in out["road_reason"].iloc[2]
    assert "no surface recorded" in out["road_reason"].iloc[1]
    assert "neither a boundary nor a seat" in out["road_reason"].iloc[4]


def test_limit_is_inclusive_and_near_misses(layer):
    at_limit = roads.assess(inputs(roads=layer), RoadRules(max_distance_m=400))
    below = roads.assess(inputs(roads=layer), RoadRules(max_distance_m=399.9), "en")
    assert at_limit["road_verdict"].iloc[0] == "meets"
    assert below["road_verdict"].iloc[0] == "fails"
    assert below["road_reason"].iloc[0] == "nearest hardened road 400 m from the village seat; limit 399.9 m"


def test_width_below_minimum_is_basic(layer):
    out = roads.assess(inputs(roads=layer), RoadRules(max_distance_m=500, min_width_m=4.5), "en")
    # A is reached by R1 (6 m): meets. D is entered only by R3 (3 m): basic.
    assert out["road_verdict"].iloc[0] == "meets"
    assert out["road_verdict"].iloc[3] == "basic"
    assert "3.0 m wide; the profile asks 4.5 m" in out["road_reason"].iloc[3]
    zh = roads.assess(inputs(roads=layer), RoadRules(max_distance_m=500, min_width_m=4.5))
    assert zh["road_reason"].iloc[3] == "硬化路已通到村，但路面宽 3.0 米，要求至少 4.5 米"


def test_no_roads_layer_is_no_data_for_everyone():
    out = roads.assess(inputs(), RoadRules())
    assert set(out["road_verdict"]) == {"no_data"}
    assert out["road_hardened_m"].isna().all()


def test_unknown_surface_far_away_does_not_hide_a_failure(layer):
    out = roads.assess(inputs(roads=layer), RoadRules(max_distance_m=200))
    # R4 is 300 m from B's seat: beyond 200 m, so B simply fails.
    assert out["road_verdict"].iloc[1] == "fails"


def test_unknown_width_is_not_held_against_the_village(layer):
    extra = road_layer([(True, np.nan, "R6 width unknown", line((2200, -300), (2200, 400)))])
    both = pd.concat([layer, extra], ignore_index=True)
    out = roads.assess(inputs(roads=both), RoadRules(max_distance_m=500, min_width_m=4.5))
    # D is entered by R3 (3 m) and R6 (width unknown): not basic.
    assert out["road_verdict"].iloc[3] == "meets"


def test_hardened_roads_indexed_once_for_every_query(layer, monkeypatch):
    """The step puts the hardened roads in one tree for the nearest road and both kinds of
    reaching pair, and answers as with a tree per query; a hardened road without geometry
    ahead of the others shifts every index the tree gives back."""
    import shapely

    from gis import geometry

    layer = pd.concat([road_layer([(True, 9.0, "R0 no geometry", None)]), layer], ignore_index=True)
    data = inputs(roads=layer)
    hardened = layer["hardened"].fillna(False).to_numpy(dtype=bool)
    separate = roads.reaching_pairs(data, hardened, 500.0)
    built = []
    tree = shapely.STRtree
    monkeypatch.setattr(shapely, "STRtree", lambda geoms, *a, **k: built.append(len(geoms)) or tree(geoms, *a, **k))
    out = roads.assess(data, RoadRules(max_distance_m=500, min_width_m=4.5))
    assert built.count(int(hardened.sum()) - 1) == 1     # the 3 hardened roads with a geometry
    indexed = geometry.Indexed(layer.geometry.to_numpy()[hardened])
    shared = roads.reaching_pairs(data, hardened, 500.0, indexed)
    assert all(np.array_equal(a, b) for a, b in zip(shared, separate))
    assert sorted(zip(*[x.tolist() for x in shared])) == [(0, 1), (3, 3)]   # A by R1 (seat), D by R3 (enters)
    monkeypatch.setattr(shapely, "STRtree", tree)
    np.testing.assert_allclose(roads.hardened_distance(data.origins, layer, data.villages.index, indexed)
                               .to_numpy()[:4], [400.0, 1000.0, 0.0, 0.0])
    assert list(out["road_verdict"]) == ["meets", "no_data", "fails", "basic", "no_data"]


def test_a_hardened_road_must_join_the_network_when_the_profile_asks(tmp_path):
    """require_connected (issue 22): the hand-drawn county's A is reached by R1, which joins
    the long hardened trunk R6 through an end 2 m short of it (snapped, within snap_m 3); B's
    hardened stub R7 ends 60 m short of the trunk (not joined): B fails with the nearest
    connected point; at snap_m 0 A's road no longer joins either."""
    layer = road_layer([
        (True, 6.0, "R1 to A", line((500, -1000), (500, 100))),          # 400 m south of A's seat
        (True, 6.0, "R6 trunk", line((-5000, -1002), (6000, -1002))),    # R1's end 2 m above it
        (True, 6.0, "R7 stub to B", line((1500, 400), (1500, -942))),    # 100 m from B's seat, 60 m short
    ])
    rules = RoadRules(max_distance_m=500, require_connected=True, snap_m=3.0)
    linked = roads.connected_lines(layer, rules.snap_m)
    assert linked.tolist() == [True, True, False]
    out = roads.assess(inputs(roads=layer.assign(connected=linked)), rules, "en")
    assert out["road_verdict"].iloc[0] == "meets" and out["road_connected"].iloc[0] == "yes"
    assert out["road_verdict"].iloc[1] == "fails" and out["road_connected"].iloc[1] == "no"
    # B's seat (1500, 500) to R1's end (500, 100), connected through the trunk: 1,077 m
    assert out["road_connected_m"].iloc[1] == pytest.approx(np.hypot(1000, 400))
    assert out["road_reason"].iloc[1] == ("the hardened road does not connect to the road network "
                                          "(nearest connected point 1,077 m)")
    zh = roads.assess(inputs(roads=layer.assign(connected=linked)), rules)
    assert zh["road_reason"].iloc[1] == "硬化路与主干路网不连通（最近连通点 1,077 米）"
    strict = roads.connected_lines(layer, 0.0)
    assert strict.tolist() == [False, True, False]
    again = roads.assess(inputs(roads=layer.assign(connected=strict)), rules, "en")
    assert again["road_verdict"].iloc[0] == "fails" and "nearest connected point 400 m" not in again["road_reason"].iloc[0]
    # without require_connected nothing changes and no column is added
    plain = roads.assess(inputs(roads=layer), RoadRules(max_distance_m=500), "en")
    assert list(plain["road_verdict"].iloc[:2]) == ["meets", "meets"] and "road_connected" not in plain



def test_connected_to_a_township_health_centre():
    """connected_to = "health_centres": the network that counts is the one a 乡镇卫生院 is
    joined to; here the centre sits by B's stub R7, so R7 counts and the trunk does not."""
    from hand_drawn import point

    layer = road_layer([
        (True, 6.0, "R1 to A", line((500, -1000), (500, 100))),
        (True, 6.0, "R6 trunk", line((-5000, -1002), (6000, -1002))),
        (True, 6.0, "R7 stub to B", line((1500, 400), (1500, -942))),
    ])
    centre = np.array([point(1520, 0)], dtype=object)   # 20 m east of R7
    linked = roads.connected_lines(layer, 3.0, centre)
    assert linked.tolist() == [False, False, True]
    rules = RoadRules(max_distance_m=500, require_connected=True, connected_to="health_centres")
    out = roads.assess(inputs(roads=layer.assign(connected=linked)), rules)
    assert out["road_verdict"].iloc[1] == "meets"
    assert out["road_verdict"].iloc[0] == "fails"
    # A's seat (500, 500) to R7's end (1500, 400): 1,005 m
    assert out["road_reason"].iloc[0] == "硬化路与乡镇驻地不连通（最近连通点 1,005 米）"


def test_connected_to_health_centres_needs_some(tmp_path):
    import re

    from click.testing import CliRunner

    from cli import main
    from layers.sample import profile_path

    sample = profile_path().parent
    text = re.sub(r'path = "([^"]+)"', lambda m: f'path = "{(sample / m.group(1)).as_posix()}"',
                  profile_path().read_text(encoding="utf-8"))
    text = text.replace("max_distance_m = 500", 'max_distance_m = 500\nrequire_connected = true\n'
                                                'connected_to = "health_centres"')
    ok = tmp_path / "ok.toml"
    ok.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["-q", "run", str(ok), "-o", str(tmp_path / "out"), "--no-maps"])
    assert result.exit_code == 0, result.output   # every township seat of the sample has its 乡镇卫生院
    none = tmp_path / "none.toml"
    none.write_text(text.replace('health_centre_values = ', 'health_centre_values = ["不存在"] # ')
                    if "health_centre_values" in text else
                    text.replace("[clinics]\n", '[clinics]\nhealth_centre_values = ["不存在"]\n'), encoding="utf-8")
    result = CliRunner().invoke(main, ["-q", "run", str(none), "-o", str(tmp_path / "out2"), "--no-maps"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert 'connected_to = "health_centres" needs the township health centres' in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('connected_to = "health_centres"', 'connected_to = "towns"'), encoding="utf-8")
    result = CliRunner().invoke(main, ["-q", "check", str(bad)])
    assert result.exit_code == 1 and 'connected_to = "towns" needs the township seats: add a [towns] table' \
        in result.output
    bad.write_text(text.replace('connected_to = "health_centres"', 'connected_to = "seats"'), encoding="utf-8")
    result = CliRunner().invoke(main, ["-q", "check", str(bad)])
    assert result.exit_code == 1 and "standards.roads.connected_to = 'seats' is not known" in result.output
