"""The sample county's layers for the optional standards (layers/sample/plugins.py) and
profile_all.toml: they are what the generator writes, they give every verdict, and switching
the plug-ins on leaves the five standards' answers exactly as they were."""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest

from layers.pipeline import assess
from layers.profile import load_profile
from layers.sample import SAMPLE_DIR, plugins, profile_path
from layers.standards import STANDARDS, present

SAMPLED = ("school", "housing", "electricity")   # the optional standards the sample has layers for


def test_shipped_files_equal_the_generator_output(tmp_path):
    """If this fails, rerun `python -m layers.sample.plugins` and commit the result."""
    plugins.write(SAMPLE_DIR, tmp_path)
    for name in ("schools.csv", "housing.csv", "transformers.csv", "profile_all.toml"):
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name
    built, shipped = (pyogrio.read_dataframe(folder / "power_lines.gpkg") for folder in (tmp_path, SAMPLE_DIR))
    assert built.drop(columns="geometry").equals(shipped.drop(columns="geometry"))
    assert built.geometry.geom_equals_exact(shipped.geometry, 1e-9).all()


@pytest.fixture(scope="module")
def both():
    return assess(load_profile(profile_path())).villages, assess(load_profile(SAMPLE_DIR / "profile_all.toml")).villages


def test_the_five_standards_are_unchanged_by_the_plug_ins(both):
    five, all_ = both
    columns = [c for c in five.columns if c not in ("gap_count", "no_data_count")]
    assert [c for c in all_.columns if c in columns] == columns
    pd.testing.assert_frame_equal(pd.DataFrame(all_[columns]), pd.DataFrame(five[columns]))


def test_every_plug_in_gives_its_verdicts(both):
    _, villages = both
    for key in SAMPLED:
        assert {"meets", "fails", "no_data"} <= set(villages[f"{key}_verdict"]), key
    assert "basic" in set(villages["school_verdict"]) and "basic" in set(villages["electricity_verdict"])
    # the plug-ins the sample has no layers for are not checked at all
    assert {s.key for s in present(villages.columns)} == {s.key for s in STANDARDS} | set(SAMPLED)
