"""The nearest target by grid (gis.grid), to points and to lines, gives the answer of
comparing every source with every target: the same target (the lowest index of equally
near ones) at GEOS's distance, bit for bit; a source it cannot settle is left to the tree,
never answered wrongly."""

from __future__ import annotations

import numpy as np
import shapely
import shapely.affinity

from gis import geometry, grid


def _every_pair(sx, sy, tx, ty):
    """Index of the nearest target (the first of equals) and GEOS's distance to it."""
    dx, dy = sx[:, None] - tx[None, :], sy[:, None] - ty[None, :]
    index = np.argmin(np.sqrt(dx * dx + dy * dy), axis=1)
    distance = shapely.distance(shapely.points(sx, sy), shapely.points(tx[index], ty[index]))
    return index, distance


def _check(sx, sy, tx, ty):
    index, distance, settled = grid.nearest(sx, sy, np.c_[tx, ty, tx, ty])
    expected_index, expected_distance = _every_pair(sx, sy, tx, ty)
    assert np.array_equal(index[settled], expected_index[settled])
    assert np.array_equal(distance[settled], expected_distance[settled])   # bit for bit
    assert (index[~settled] == -1).all() and np.isinf(distance[~settled]).all()
    return settled, index


def test_scattered_points_with_ties_and_duplicates():
    rng = np.random.default_rng(4)
    sx, sy = rng.uniform(0, 1000, (2, 3000))
    tx, ty = rng.uniform(0, 1000, (2, 2000))
    # whole-metre sources with targets 8 m either side: equally near, the lower index wins
    sx[:50], sy[:50] = np.round(sx[:50]), np.round(sy[:50])
    tx = np.r_[tx, tx[:300], sx[:50] + 8.0, sx[:50] - 8.0]
    ty = np.r_[ty, ty[:300], sy[:50], sy[:50]]
    settled, index = _check(sx, sy, tx, ty)
    assert settled.all()
    tied = np.flatnonzero(np.hypot(tx[index[:50]] - sx[:50], ty[index[:50]] - sy[:50]) == 8.0)
    assert len(tied) > 30 and (index[tied] == 2300 + tied).all()
    assert not np.isin(index, np.arange(2000, 2300)).any()    # a duplicate never beats its original


def test_sparse_targets_settle_in_wider_squares():
    # few targets in clumps: many sources have none in the 3x3 cells around them
    rng = np.random.default_rng(8)
    centres = rng.uniform(0, 10_000, (12, 2))
    txy = np.repeat(centres, 25, axis=0) + rng.normal(0, 30, (300, 2))
    sx, sy = rng.uniform(0, 10_000, (2, 4000))
    settled, _ = _check(sx, sy, txy[:, 0], txy[:, 1])
    assert settled.mean() > 0.5


def test_sources_outside_the_extent_or_beside_a_crowd_are_left_to_the_tree():
    rng = np.random.default_rng(2)
    tx, ty = rng.uniform(0, 1000, (2, 500))
    tx = np.r_[tx, 500 + rng.uniform(0, 1, 1000)]     # 1,000 targets in one square metre
    ty = np.r_[ty, 500 + rng.uniform(0, 1, 1000)]
    sx = np.r_[rng.uniform(0, 1000, 1000), [-500.0, 1700.0, 300.0], 500 + rng.uniform(-5, 5, 20)]
    sy = np.r_[rng.uniform(0, 1000, 1000), [300.0, 300.0, 2500.0], 500 + rng.uniform(-5, 5, 20)]
    settled, _ = _check(sx, sy, tx, ty)
    assert not settled[1000:].any()                     # far outside, then beside the crowd
    assert settled[:1000].mean() > 0.9


def test_targets_on_a_line_one_target_one_place():
    rng = np.random.default_rng(6)
    sx, sy = rng.uniform(0, 1000, 500), np.r_[rng.uniform(195, 205, 250), rng.uniform(0, 1000, 250)]
    settled, _ = _check(sx, sy, rng.uniform(0, 1000, 300), np.full(300, 200.0))     # along y = 200
    assert settled[:250].mean() > 0.9
    settled, index = _check(sx, sy, np.array([400.0]), np.array([400.0]))
    assert not settled[(np.abs(sx - 400.0) > 4) | (np.abs(sy - 400.0) > 4)].any()   # one point: cells of 1 m
    settled, _ = _check(np.array([400.0, 1.0]), np.array([400.0, 1.0]), np.full(3, 400.0), np.full(3, 400.0))
    assert settled[0] and not settled[1]


def test_no_grid_where_it_would_have_far_more_cells_or_entries_than_points():
    tx, ty = np.array([0.0, 1e9, 2.0]), np.array([0.0, 1e-3, 0.0])
    index, distance, settled = grid.nearest(np.array([0.0, 5e8]), np.array([0.0, 0.0]), np.c_[tx, ty, tx, ty])
    assert not settled.any() and (index == -1).all()
    # 50 short lines and 30 diagonals across the whole extent
    rng = np.random.default_rng(3)
    lines = np.r_[_lines(rng, 50, 1000, 5), [shapely.LineString([(0, k), (1000, 1000 - k)]) for k in range(30)]]
    xy = shapely.get_coordinates(lines)
    starts = np.r_[0, np.cumsum(shapely.get_num_coordinates(lines))]
    index, distance, settled = grid.nearest(np.array([500.0]), np.array([500.0]), shapely.bounds(lines),
                                            (xy, starts))
    assert not settled.any()


def test_nearest_uses_the_grid_for_points_and_keeps_the_tree_for_the_rest():
    rng = np.random.default_rng(9)
    sources = shapely.points(rng.uniform(0, 5000, (3000, 2))).astype(object)
    targets = geometry.Indexed(shapely.points(rng.uniform(0, 5000, (2000, 2))))
    index, distance = geometry.nearest(sources, targets)
    assert targets._tree is None                        # every source settled by the grid
    (s, t), d = shapely.STRtree(targets.geoms).query_nearest(sources, return_distance=True, all_matches=True)
    first = np.r_[True, s[1:] != s[:-1]]
    assert np.array_equal(index, t[first]) and np.array_equal(distance, d[first])
    # a missing and an empty source: no answer for them, the others' as before, no tree
    with_gaps = sources.copy()
    with_gaps[[5, 9]] = None, shapely.Point()
    gaps_index, gaps_distance = geometry.nearest(with_gaps, targets)
    assert targets._tree is None
    assert (gaps_index[[5, 9]] == -1).all() and np.isnan(gaps_distance[[5, 9]]).all()
    kept = np.setdiff1d(np.arange(len(sources)), [5, 9])
    assert np.array_equal(gaps_index[kept], index[kept]) and np.array_equal(gaps_distance[kept], distance[kept])
    # a polygon and a far point among the sources: the tree answers those
    sources[[5, 9]] = None, shapely.Point()
    sources[:2] = shapely.buffer(sources[0], 10.0), shapely.Point(90_000, 0)
    index, distance = geometry.nearest(sources, targets)
    assert targets._tree is not None
    assert distance[1] == shapely.distance(sources[1], targets.geoms).min()
    assert distance[0] == shapely.distance(sources[0], targets.geoms).min()
    assert (index[[5, 9]] == -1).all() and np.isnan(distance[[5, 9]]).all()
    assert np.array_equal(index[kept[2:]], gaps_index[kept[2:]])


def _lines(rng, n, spread, size):
    """Polylines of 2 to 8 vertices, some with a repeated vertex (a segment of no length)."""
    parts = []
    for k in range(n):
        steps = rng.normal(0, size, (rng.integers(2, 9), 2))
        if k % 11 == 0:
            steps[1] = 0.0
        parts.append(rng.uniform(0, spread, 2) + np.cumsum(steps, axis=0))
    return np.array([shapely.LineString(p) for p in parts], dtype=object)


def _tree_nearest(sources, targets):
    """The tree's answer over the usable targets, in the list's numbering: each source's
    nearest target (the lowest index of equally near ones: the tree gives ties in its own
    order), the distance, and every (source, target) pair that near."""
    ok = np.flatnonzero(geometry.usable(targets))
    (s, t), d = shapely.STRtree(targets[ok]).query_nearest(sources, return_distance=True, all_matches=True)
    order = np.lexsort((ok[t], s))
    s, t, d = s[order], ok[t][order], d[order]
    first = np.r_[True, s[1:] != s[:-1]]
    return t[first], d[first], (s, t)


def _check_lines(sx, sy, lines):
    xy = shapely.get_coordinates(lines)
    starts = np.r_[0, np.cumsum(shapely.get_num_coordinates(lines))]
    index, distance, settled = grid.nearest(sx, sy, shapely.bounds(lines), (xy, starts))
    every = shapely.distance(shapely.points(sx, sy)[:, None], lines[None, :])
    expected_index = np.argmin(every, axis=1)
    assert np.array_equal(index[settled], expected_index[settled])
    assert np.array_equal(distance[settled], every[np.arange(len(sx)), expected_index][settled])   # bit for bit
    assert (index[~settled] == -1).all() and np.isinf(distance[~settled]).all()
    return settled, index, distance


def test_lines_short_and_long_with_shared_ends_and_duplicates():
    rng = np.random.default_rng(12)
    lines = np.r_[_lines(rng, 300, 3000, 40), _lines(rng, 30, 3000, 400)]      # 30 long, entered in many cells
    corners = np.c_[np.arange(20) * 150.0, np.full(20, -300.0)]               # below the others
    lines = np.r_[lines, lines[:40],                                           # duplicates: the originals win
                  [shapely.LineString([c + [100.0, 0.0], c]) for c in corners],   # two lines meeting at a corner
                  [shapely.LineString([c, c + [0.0, 100.0]]) for c in corners],
                  [shapely.LinearRing([(1000, 1000), (1100, 1000), (1100, 1100)])]]
    sx, sy = rng.uniform(0, 3000, (2, 700))
    on = shapely.get_coordinates(lines[50:60])[::2][:10]
    sx[:10], sy[:10] = on[:, 0], on[:, 1]                                      # on a vertex: distance 0
    sx[10:30], sy[10:30] = corners[:, 0] - 3.0, corners[:, 1] - 4.0            # as near both lines of a corner
    sx[30], sy[30] = 1050.0, 1000.0                                            # on the ring
    settled, index, distance = _check_lines(sx, sy, lines)
    assert settled.mean() > 0.95
    assert (distance[:10][settled[:10]] == 0).all() and distance[30] == 0 and index[30] == len(lines) - 1
    assert settled[10:30].all() and (distance[10:30] == 5.0).all() and (index[10:30] == 370 + np.arange(20)).all()
    assert not np.isin(index, np.arange(330, 370)).any()


def test_lines_in_sparse_clumps_and_far_sources():
    rng = np.random.default_rng(13)
    lines = _lines(rng, 200, 20_000, 60)
    lines = np.array([shapely.affinity.translate(g, *(rng.integers(0, 4, 2) * 5000.0)) for g in lines], dtype=object)
    sx, sy = rng.uniform(-2000, 40_000, (2, 800))       # between the clumps: found in wider squares
    sx[600:] += 100_000                                  # far outside the lines' extent: left to the tree
    settled, _, _ = _check_lines(sx, sy, lines)
    assert settled[:600].all() and not settled[600:].any()


def test_nearest_uses_the_grid_for_lines():
    rng = np.random.default_rng(14)
    sources = shapely.points(rng.uniform(0, 3000, (3000, 2))).astype(object)
    targets = geometry.Indexed(_lines(rng, 800, 3000, 50))
    index, distance = geometry.nearest(sources, targets)
    assert targets._tree is None
    expected_index, expected_distance, _ = _tree_nearest(sources, targets.geoms)
    assert np.array_equal(index, expected_index) and np.array_equal(distance, expected_distance)


def test_lines_with_a_coordinate_not_finite_are_left_to_the_tree():
    rng = np.random.default_rng(15)
    sources = shapely.points(rng.uniform(0, 3000, (500, 2))).astype(object)
    lines = _lines(rng, 300, 3000, 50)
    with np.errstate(invalid="ignore"):
        lines[7] = shapely.LineString([(100.0, 100.0), (np.nan, 200.0), (300.0, 300.0)])
    targets = geometry.Indexed(lines)
    index, distance = geometry.nearest(sources, targets)
    assert targets._tree is not None                   # the grid took none of it
    expected_index, expected_distance, _ = _tree_nearest(sources, lines)
    assert np.array_equal(index, expected_index) and np.array_equal(distance, expected_distance)


def test_missing_and_empty_targets_are_not_entered():
    # the grid takes every target and leaves out those without a box: the answers are the
    # tree's over the usable ones, in the full list's numbering, and no tree is built
    rng = np.random.default_rng(16)
    sources = shapely.points(rng.uniform(0, 3000, (2000, 2))).astype(object)
    lines = _lines(rng, 600, 3000, 50)
    points = shapely.points(rng.uniform(0, 3000, (600, 2))).astype(object)
    for targets, empty in ((lines, shapely.LineString()), (points, shapely.Point())):
        targets = targets.copy()
        targets[:40:2], targets[1:40:2] = None, empty     # the lowest indices: a slip would show
        if empty.geom_type == "Point":   # no box either (all NaN): the tree leaves it out too
            targets[40] = shapely.Point(np.nan, np.nan)
        indexed = geometry.Indexed(targets)
        index, distance = geometry.nearest(sources, indexed)
        assert indexed._tree is None
        expected_index, expected_distance, _ = _tree_nearest(sources, targets)
        assert np.array_equal(index, expected_index) and np.array_equal(distance, expected_distance)
        assert (index >= 40).all()
        if empty.geom_type == "Point":
            assert (index != 40).all()
    # none usable: no answer, and no error
    index, distance = geometry.nearest(sources, np.array([None, shapely.LineString()], dtype=object))
    assert (index == -1).all() and np.isnan(distance).all()


def test_multi_part_targets_are_entered_part_by_part():
    # roads drawn in pieces (MultiLineString, as a dissolved road layer holds them) and
    # multi-point targets: the grid answers with the whole target, as the tree does, ties
    # to the lowest whole target, and builds no tree
    rng = np.random.default_rng(17)
    sources = shapely.points(rng.uniform(0, 3000, (2000, 2))).astype(object)
    lines = _lines(rng, 900, 3000, 50)
    multi = [shapely.MultiLineString(list(lines[k:k + 3])) for k in range(0, 300, 3)]
    # a piece repeated in a later target: equally near, the earlier target wins
    lines = np.r_[multi, lines[300:], [shapely.MultiLineString([lines[3], lines[400]])], None].astype(object)
    dots = shapely.points(rng.uniform(0, 3000, (900, 2))).astype(object)
    dots = np.r_[[shapely.MultiPoint(list(dots[k:k + 4])) for k in range(0, 400, 4)], dots[400:], dots[:1]]
    for targets in (lines, dots.astype(object)):
        indexed = geometry.Indexed(targets)
        index, distance = geometry.nearest(sources, indexed)
        assert indexed._tree is None
        expected_index, expected_distance, (_, every) = _tree_nearest(sources, targets)
        assert np.array_equal(index, expected_index) and np.array_equal(distance, expected_distance)
        assert (index < 100).sum() > 100                     # the multi-part targets are found
        repeated = len(targets) - 1 - (targets[-1] is None)   # a piece or point of a lower target again
        assert (every == repeated).any() and not (index == repeated).any()   # as near, never taken


def test_chunks_searched_on_threads_give_the_tree_answer():
    # more sources than a chunk holds, so that several chunks are searched at once
    rng = np.random.default_rng(16)
    n = 3 * grid.CHUNK + 123
    sources = shapely.points(rng.uniform(0, 20_000, (n, 2))).astype(object)
    sx, sy = shapely.get_x(sources), shapely.get_y(sources)
    points = shapely.points(rng.uniform(0, 20_000, (4000, 2)))
    lines = _lines(rng, 3000, 20_000, 60)
    xy, line = shapely.get_coordinates(lines, return_index=True)
    starts = np.r_[0, np.cumsum(np.bincount(line, minlength=len(lines)))]
    for targets, lined in ((points, None), (lines, (xy, starts))):
        one = grid.nearest(sx, sy, shapely.bounds(targets), lined)
        two = grid.nearest(sx, sy, shapely.bounds(targets), lined, threads=2)
        assert all(np.array_equal(a, b) for a, b in zip(one, two))
        index, distance, settled = two
        assert settled.mean() > 0.99
        expected_index, expected_distance, _ = _tree_nearest(sources, targets)
        assert np.array_equal(index[settled], expected_index[settled])
        assert np.array_equal(distance[settled], expected_distance[settled])
