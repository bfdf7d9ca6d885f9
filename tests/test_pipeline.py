"""The whole path on real files: profile -> verdicts -> tables -> run.json."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from county_files import write_county
from layers.pipeline import assess, publish
from layers.profile import load_profile


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return assess(load_profile(write_county(tmp_path_factory.mktemp("county"))))


def test_every_village_once_with_known_verdicts(result):
    v = result.villages.set_index("village_code")
    assert list(v.index) == ["522326100201", "522326100202", "522326100203", "522326100204", "522326100205"]
    assert list(v["village_name"]) == ["甲村", "乙村", "丙村", "丁村", "戊村"]
    assert list(v["road_verdict"]) == ["meets", "no_data", "fails", "meets", "no_data"]
    # B: listed by P2 (25 lpcd: basic). D: not served.
    assert list(v["water_verdict"]) == ["meets", "basic", "fails", "fails", "no_data"]
    # B shares A's clinic K1 at 538.5 m (pop 450 < 500); D's clinic K4 is not standardized.
    assert list(v["clinic_verdict"]) == ["meets", "meets", "fails", "fails", "no_data"]
    assert list(v["net4g_verdict"]) == ["meets", "basic", "fails", "fails", "no_data"]
    assert list(v["fibre_verdict"]) == ["meets", "fails", "meets", "fails", "no_data"]
    assert list(v["gap_count"]) == [0, 1, 4, 4, 0]
    assert list(v["no_data_count"]) == [0, 1, 0, 0, 5]
    assert list(v["seat_source"]) == ["seat", "seat", "polygon", "polygon", "none"]


def test_distances_survive_reprojection(result):
    # The files are in CGCS2000 degrees; the working CRS is the zone they were drawn in again.
    v = result.villages.set_index("village_code")
    assert result.inputs.crs.to_epsg() == 4544
    np.testing.assert_allclose(v["road_hardened_m"].iloc[:4], [400, 1000, 0, 0], atol=0.01)
    np.testing.assert_allclose(v["fibre_nearest_m"].iloc[0], 950, atol=0.01)
    np.testing.assert_allclose(v["water_share"].iloc[0], 0.6, atol=1e-6)
    assert str(result.villages.crs.to_epsg()) == "4490"  # outputs keep the villages' own CRS


def test_gap_list_priority_and_no_data_list(result):
    gaps = result.gaps
    assert len(gaps) == 9
    assert list(gaps["standard"].unique()) == ["road", "water", "clinic", "net4g", "fibre"]
    water = gaps[gaps["standard"] == "water"]
    # C has no registered-poor figure: D (50 poor) comes first.
    assert list(water["village_code"]) == ["522326100204", "522326100203"]
    assert list(water["priority"]) == [1, 2]
    assert set(gaps["bureau"]) == {"transport", "water", "health", "telecom"}
    assert (gaps["verdict"] == "fails").all()
    nd = result.no_data
    assert len(nd) == 6  # B's road, E's five standards
    assert set(nd.loc[nd["village_code"] == "522326100205", "standard"]) == {"road", "water", "clinic", "net4g",
                                                                             "fibre"}


def test_township_counts(result):
    t = result.townships.set_index("township_code")
    assert list(t.index) == ["522326100", "522326101"]
    assert t.loc["522326100", "villages"] == 4
    assert t.loc["522326100", "villages_with_gaps"] == 3
    assert t.loc["522326100", "road_meets"] == 2 and t.loc["522326100", "road_no_data"] == 1
    assert t.loc["522326101", "fibre_no_data"] == 1
    assert t.geometry.iloc[1] is None or t.geometry.iloc[1].is_empty
    # The township polygon is the union of its villages: A, B, D side by side form one
    # 3 x 1 km rectangle, C and its exclave two more parts.
    parts = t.to_crs(4544).geometry.iloc[0]
    assert parts.geom_type == "MultiPolygon" and len(parts.geoms) == 3
    assert abs(parts.area - 4_040_000) < 1.0


def test_township_shapes_of_overlapping_villages(result):
    import shapely
    from shapely.geometry import box
    from layers.pipeline import _townships
    v = result.villages.to_crs(4544).iloc[:2].copy()
    v.geometry = [box(0, 0, 1000, 1000), box(500, 0, 1500, 1000)]  # not a clean coverage
    shape = _townships(v).geometry.iloc[0]
    assert shapely.is_valid(shape) and abs(shape.area - 1_500_000) < 1e-6


def test_published_files(result, tmp_path):
    out = publish(result, tmp_path / "out")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["consistency.csv", "coverage.gpkg", "gaps.csv", "no_data.csv", "run.json", "townships.csv",
                     "villages.csv", "问题清单.xlsx"]
    raw = (out / "villages.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "甲村".encode() in raw
    layers = set(gpd.list_layers(out / "coverage.gpkg")["name"])
    assert layers == {"villages", "gaps", "no_data", "townships", "consistency"}
    back = gpd.read_file(out / "coverage.gpkg", layer="villages")
    assert len(back) == 5 and back["village_code"].tolist()[4] == "522326100205"
    assert back.crs.to_epsg() == 4490
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["verdicts"]["water"] == {"meets": 1, "basic": 1, "fails": 2, "no_data": 1}
    assert record["working_crs"]["epsg"] == 4544
    assert {r["key"] for r in record["inputs"]} == {"villages", "seats", "roads", "water", "clinics",
                                                    "network.coverage", "network.fibre"}
    assert all(len(r["sha256"]) == 64 and r["rows"] > 0 for r in record["inputs"])
    assert {"read", "road", "water", "clinic", "net4g", "fibre", "gaps", "write tables",
            "write workbook"} <= set(record["seconds"])
    gaps = pd.read_csv(out / "gaps.csv", dtype={"village_code": str}, encoding="utf-8-sig")
    assert len(gaps) == 9 and gaps["village_code"].str.len().eq(12).all()


def test_villages_in_a_filegdb_folder(tmp_path, result):
    # a FileGDB is a folder: read like any file, and run.json's sha256 covers every file in it
    import hashlib

    import pyogrio

    from gis import io

    profile = write_county(tmp_path)
    villages = pyogrio.read_dataframe(tmp_path / "villages.gpkg", layer="villages")
    pyogrio.write_dataframe(villages, tmp_path / "villages.gdb", layer="villages", driver="OpenFileGDB",
                            geometry_type="MultiPolygon", promote_to_multi=True, layer_options={"XYSCALE": "1e10"})
    profile.write_text(profile.read_text(encoding="utf-8").replace('path = "villages.gpkg"', 'path = "villages.gdb"'),
                       encoding="utf-8")
    gdb = assess(load_profile(profile))
    # the same table (FileGDB keeps 64-bit integers as reals, and coordinates on a grid: here
    # XYSCALE 1e10, so that clinic K1 stays on A and B's shared edge; a distance of 0 may
    # still come back as a fraction of a millimetre)
    pd.testing.assert_frame_equal(gdb.villages.drop(columns="geometry"), result.villages.drop(columns="geometry"),
                                  check_dtype=False, rtol=1e-9, atol=1e-3)
    record = next(r for r in gdb.inputs.records if r.key == "villages")
    assert record.path.endswith("villages.gdb") and record.sha256 == io.sha256(tmp_path / "villages.gdb")
    files = sorted(p for p in (tmp_path / "villages.gdb").rglob("*") if p.is_file())
    assert len(files) > 1 and record.sha256 != hashlib.sha256(files[0].read_bytes()).hexdigest()
    before = record.sha256
    with open(files[-1], "ab") as fh:   # any file of the folder changed: another hash
        fh.write(b"\0")
    assert io.sha256(tmp_path / "villages.gdb") != before


def test_input_hashes_worked_out_beside_reading_are_the_files_own(tmp_path, result):
    import hashlib

    from gis import io

    for record in result.inputs.records:
        assert record.sha256 == hashlib.sha256(open(record.path, "rb").read()).hexdigest(), record.key
    extra = tmp_path / "extra.bin"
    extra.write_bytes(b"covermap" * 1000)
    digests = io.Digests([result.inputs.records[0].path])
    try:   # a file not named at the start is hashed when asked for
        assert digests(extra) == hashlib.sha256(extra.read_bytes()).hexdigest()
        assert digests(result.inputs.records[0].path) == result.inputs.records[0].sha256
    finally:
        digests.close()


def test_only_mapped_columns_are_read_and_a_missing_one_names_them_all(tmp_path, result):
    # a bureau's layer with columns the profile does not map: the same inputs; a mapped
    # column the layer lacks: the error lists every column the file has
    import pyogrio

    from gis.errors import DataError
    from layers.inputs import load_inputs

    profile = write_county(tmp_path)
    roads = pyogrio.read_dataframe(tmp_path / "roads.shp", encoding="GBK")
    for k in range(30):
        roads[f"extra{k}"] = [f"备注{k}"] * len(roads)
    pyogrio.write_dataframe(roads, tmp_path / "roads.shp", encoding="GBK")
    (tmp_path / "roads.cpg").unlink(missing_ok=True)
    read = load_inputs(load_profile(profile))
    assert list(read.roads.columns) == list(result.inputs.roads.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(read.roads.drop(columns="geometry")),
                                  pd.DataFrame(result.inputs.roads.drop(columns="geometry")))
    profile.write_text(profile.read_text(encoding="utf-8").replace('width = "width"', 'width = "宽度"'),
                       encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_inputs(load_profile(profile))
    assert "no column '宽度'" in str(error.value)
    assert "its columns are: name, 路面, width, extra0, extra1" in str(error.value) and "extra29" in str(error.value)


def test_without_layers_kept_the_same_result_and_only_the_villages_held(result, tmp_path):
    """``keep_layers=False`` (``covermap run --no-maps``): the input layers let go once the
    checks are done, the verdicts and tables as with them kept."""
    layers = ("roads", "water", "clinics", "coverage", "fibre")
    assert all(result.inputs.layer(key) is not None for key in layers)
    lean = assess(result.profile, keep_layers=False)
    assert all(lean.inputs.layer(key) is None for key in layers)
    assert lean.infrastructure() == {}
    pd.testing.assert_frame_equal(pd.DataFrame(lean.villages), pd.DataFrame(result.villages))
    for name in ("gaps", "no_data", "townships", "consistency"):
        pd.testing.assert_frame_equal(pd.DataFrame(getattr(lean, name)), pd.DataFrame(getattr(result, name)))
    publish(lean, tmp_path / "lean")
    publish(result, tmp_path / "kept")
    for name in ("villages.csv", "gaps.csv", "no_data.csv", "townships.csv", "consistency.csv"):
        assert (tmp_path / "lean" / name).read_bytes() == (tmp_path / "kept" / name).read_bytes(), name
