"""Settings that would silently do nothing are warned of by check and run."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli import main
from county_files import PROFILE, write_county

UNUSED = (PROFILE.replace('width = "width"\n', "").replace('population = "人口"\n', "")
          .replace('lpcd = "lpcd"\nreliability_pct = "rel"\nquality_ok = "quality"\n', "")
          .replace("max_distance_m = 500", "max_distance_m = 500\nmin_width_m = 4.5"))


def unused(report: dict) -> list[str]:
    return [w["text"] for w in report["warnings"] if w["check"] == "setting_unused"]


def test_each_setting_without_its_column_is_named(tmp_path):
    profile = write_county(tmp_path, UNUSED)
    result = CliRunner().invoke(main, ["check", str(profile), "--format", "json"])
    found = unused(json.loads(result.stdout))
    assert len(found) == 3, found
    assert "standards.roads.min_width_m = 4.5 has no effect" in found[0] and "map width" in found[0]
    assert "standards.clinics.share_max_population = 500" in found[1] and "map population" in found[1]
    assert "serving a village alone counts as meets" in found[2]


def test_mapped_columns_give_no_such_warning(tmp_path):
    # the hand-drawn profile maps population and status columns, and sets no width limit
    profile = write_county(tmp_path)
    result = CliRunner().invoke(main, ["check", str(profile), "--format", "json"])
    assert unused(json.loads(result.stdout)) == []


def test_run_warns_too(tmp_path):
    profile = write_county(tmp_path, UNUSED)
    result = CliRunner().invoke(main, ["run", str(profile), "-o", str(tmp_path / "out"), "--no-maps"])
    assert "min_width_m = 4.5 has no effect" in result.output
