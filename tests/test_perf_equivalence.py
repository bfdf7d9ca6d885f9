"""The faster paths give the answers of the plain ones they replace: coverage validation
split into strips over threads, the isolated-village check by box neighbours, reason
sentences formatted only where a rule applies, and township shapes reused from reading."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from benchmarks.make_country import make_country
from gis import geometry
from layers import checks, verdicts
from layers.pipeline import _townships, assess
from layers.profile import load_profile

DIVISIONS = Path(__file__).parent / "data" / "divisions"


def _grid(n_side: int, seed: int) -> np.ndarray:
    """A grid of unit squares with a few defects: overlaps, gaps, a duplicate, a stray."""
    rng = np.random.default_rng(seed)
    cells = [box(i, j, i + 1, j + 1) for i in range(n_side) for j in range(n_side)]
    for k in rng.choice(len(cells), size=12, replace=False):
        x, y = cells[k].bounds[:2]
        cells[k] = box(x, y, x + 1 + rng.uniform(0.01, 0.3), y + 1)   # overlaps its neighbour
    for k in rng.choice(len(cells), size=6, replace=False):
        x, y = cells[k].bounds[:2]
        cells[k] = box(x + 0.1, y, x + 1, y + 1)                       # leaves a gap
    cells.append(cells[3])                                                # duplicate
    cells.append(box(500, 500, 501, 501))                                 # far away
    return np.array(cells, dtype=object)


@pytest.mark.parametrize("seed", [1, 2])
def test_coverage_invalid_in_strips_matches_geos(monkeypatch, seed):
    polygons = _grid(30, seed)
    expected = ~shapely.is_empty(shapely.coverage_invalid_edges(polygons))
    assert expected.any() and not expected.all()
    monkeypatch.setattr(geometry, "_MIN_CHUNK", 50)
    for threads in (2, 3, 8):
        monkeypatch.setattr(geometry, "THREADS", threads)
        assert np.array_equal(geometry.coverage_invalid(polygons), expected)


def _isolated_plain(geoms: np.ndarray, distance_m: float) -> np.ndarray:
    """Every village's exact distance to its nearest other village."""
    ok = np.flatnonzero(geometry.usable(geoms))
    nearest = np.full(len(geoms), np.nan)
    for i in ok:
        others = [j for j in ok if j != i]
        nearest[i] = min(shapely.distance(geoms[i], geoms[j]) for j in others)
    return np.nan_to_num(nearest, nan=0.0) > distance_m, nearest


@pytest.mark.parametrize("distance", [0.5, 3.0, 50.0])
def test_isolated_matches_exact_distances(distance):
    rng = np.random.default_rng(5)
    centres = np.r_[rng.uniform(0, 40, size=(60, 2)), [[200, 200], [203, 200]]]
    sizes = rng.uniform(0.2, 6.0, size=len(centres))
    geoms = np.array([box(x, y, x + s, y + s / 3) for (x, y), s in zip(centres, sizes)] + [None], dtype=object)
    frame = gpd.GeoDataFrame(geometry=geoms)
    alone, nearest = checks.isolated(frame, distance)
    expected_alone, expected_nearest = _isolated_plain(geoms, distance)
    assert np.array_equal(alone, expected_alone)
    assert np.allclose(nearest[alone], expected_nearest[alone])


def test_isolated_when_boxes_meet_but_shapes_are_far():
    diagonal = shapely.buffer(shapely.LineString([(0, 0), (10, 10)]), 0.05)
    corner = box(8, 0, 9, 1)                  # inside the diagonal's box, ~4.9 from it
    geoms = np.array([diagonal, corner, box(30, 30, 31, 31), box(31, 30, 32, 31)], dtype=object)
    alone, nearest = checks.isolated(gpd.GeoDataFrame(geometry=geoms), 3.0)
    expected_alone, expected_nearest = _isolated_plain(geoms, 3.0)
    assert list(alone) == list(expected_alone) == [True, True, False, False]
    assert np.allclose(nearest[alone], expected_nearest[alone])


def test_sentences_formatted_on_demand_match_all_rows():
    d = np.array([1234.5, np.nan, 7.0, 99999.0])
    names = np.array(["a", None, "c", "d"], dtype=object)
    lazy = verdicts.sentences("clinic {c} at {d:,.0f} m", c=names, d=d)
    eager = np.array([f"clinic {c} at {x:,.0f} m" for c, x in zip(names, d)], dtype=object)
    assert list(np.asarray(lazy)) == list(eager)
    grades = verdicts.Grades(4)
    grades.rule(np.array([False, True, False, True]), verdicts.FAILS, lazy)
    grades.rule(np.ones(4, dtype=bool), verdicts.MEETS, lazy)
    assert list(grades.reason) == list(eager)
    assert list(grades.verdict) == [verdicts.MEETS, verdicts.FAILS, verdicts.MEETS, verdicts.FAILS]


@pytest.fixture(scope="module")
def country(tmp_path_factory):
    folder = tmp_path_factory.mktemp("perf-country")
    make_country(folder, 400, seed=11, divisions=DIVISIONS)
    return folder


def test_township_shapes_reused_from_reading_are_the_ones_made_afresh(country):
    result = assess(load_profile(country / "profile.toml"))
    assert result.inputs.township_shapes is not None      # a clean coverage: reading's unions are reused
    afresh = _townships(result.villages)
    assert list(afresh.columns) == list(result.townships.columns)
    assert afresh.drop(columns="geometry").equals(result.townships.drop(columns="geometry"))
    assert all(shapely.equals_identical(afresh.geometry.to_numpy(), result.townships.geometry.to_numpy()))
