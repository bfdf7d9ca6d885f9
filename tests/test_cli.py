"""The command line: exit codes 0/1/2, --overwrite, check, init, info."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cli import main
from county_files import PROFILE, write_county


@pytest.fixture
def county(tmp_path):
    return write_county(tmp_path / "county")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result):
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) <= 2, result.output
    assert "Traceback" not in result.output
    return lines[-1]


def test_run_writes_outputs_and_refuses_to_overwrite(county, tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = invoke("-q", "run", county, "-o", out)
    assert first.exit_code == 0, first.output
    assert "5 个村，9 项不达标" in first.output   # Chinese by default
    assert (out / "map.html").stat().st_size > 10_000
    before = (out / "villages.csv").read_bytes()

    again = invoke("-q", "run", county, "-o", out)
    assert again.exit_code == 1
    assert "--overwrite" in one_line_error(again)
    assert (out / "villages.csv").read_bytes() == before

    forced = invoke("-q", "run", county, "-o", out, "--overwrite")
    assert forced.exit_code == 0, forced.output
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert "write map.html" in record["seconds"]


def test_run_with_no_maps_writes_the_tables_only(county, tmp_path):
    out = tmp_path / "out"
    result = invoke("-q", "run", county, "-o", out, "--no-maps")
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == [
        "consistency.csv", "coverage.gpkg", "gaps.csv", "no_data.csv", "run.json", "townships.csv", "villages.csv",
        "问题清单.xlsx"]
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert not any(step.startswith("write map") for step in record["seconds"])


def test_usage_errors_exit_2(county, tmp_path):
    assert invoke("run", county).exit_code == 2                 # no -o
    assert invoke("run").exit_code == 2                         # no profile
    assert invoke("nonsense").exit_code == 2
    assert invoke("check", county, "--format", "xml").exit_code == 2


def test_data_problems_exit_1_with_one_line(county, tmp_path):
    county.write_text(PROFILE.replace('path = "villages.gpkg"', 'path = "missing.gpkg"'), encoding="utf-8")
    result = invoke("-q", "run", county, "-o", tmp_path / "out")
    assert result.exit_code == 1
    line = one_line_error(result)
    assert "missing.gpkg" in line and "not found" in line
    assert not (tmp_path / "out" / "villages.csv").exists()


def test_unknown_profile_key_exit_1(county, tmp_path):
    county.write_text(PROFILE.replace("max_distance_m = 500", "max_distance = 500"), encoding="utf-8")
    result = invoke("run", county, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "unknown key standards.roads.max_distance" in one_line_error(result)


def test_check_reports_missing_crs_and_missing_column_together(county):
    text = PROFILE.replace('assume_crs = "EPSG:4490"\n[seats.columns]', '[seats.columns]')
    text = text.replace('doctors = "医生"', 'doctors = "医生人数"')
    county.write_text(text, encoding="utf-8")
    result = invoke("check", county)
    assert result.exit_code == 1
    assert "seats.csv" in result.output and "seats.assume_crs" in result.output
    assert "clinics.csv" in result.output and "'医生人数'" in result.output
    assert "2 errors" in result.output

    as_json = invoke("check", county, "--format", "json")
    report = json.loads(as_json.stdout)
    assert len(report["errors"]) == 2 and as_json.exit_code == 1


def test_check_clean_profile(county):
    result = invoke("check", county)
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output
    assert "1 village has no boundary" in result.output  # the boundary-less village is a warning


def test_check_shapefile_without_prj(county):
    (county.parent / "roads.prj").unlink()
    result = invoke("check", county)
    assert result.exit_code == 1
    assert "roads.shp: has no CRS" in result.output and "roads.assume_crs" in result.output


def test_init_then_check_and_no_overwrite(tmp_path):
    target = tmp_path / "county.toml"
    assert invoke("init", target).exit_code == 0
    from layers.profile import load_profile
    profile = load_profile(target)  # the template itself is a valid profile
    assert profile.standards.roads.max_distance_m == 500
    again = invoke("init", target)
    assert again.exit_code == 1 and "--overwrite" in again.output


def test_info_lists_layers_crs_fields(county):
    result = invoke("info", county.parent / "villages.gpkg")
    assert result.exit_code == 0, result.output
    assert "layer 'villages'" in result.output and "5 features" in result.output
    assert "EPSG:4490" in result.output and "村代码" in result.output
    missing = invoke("info", county.parent / "nope.gpkg")
    assert missing.exit_code == 1 and "not found" in missing.output


def test_console_script_runs_as_installed(county, tmp_path):
    done = subprocess.run([sys.executable, "-m", "cli", "check", str(county)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    bad = subprocess.run([sys.executable, "-m", "cli", "run", str(tmp_path / "none.toml"), "-o", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stderr.strip().startswith("Error:") and "Traceback" not in bad.stderr
    assert "covermap init" in bad.stderr


def test_run_help_names_the_aggregate_limit_the_maps_use():
    from maps.aggregates import AGGREGATE_TOWNSHIPS_MAX

    text = " ".join(invoke("run", "--help").output.split())
    assert f"or per county above {AGGREGATE_TOWNSHIPS_MAX:,} townships" in text
