"""Nearest target by grid: each source point's nearest point or line, among the targets
entered in the square cells around it, found in numpy from coordinates and boxes.

A tree's nearest-neighbour search walks GEOS objects one source at a time, and a search by
boxes (``geometry._nearest_close_by``) has GEOS measure every target whose box comes near
(about 0.5 us a pair, most of it fetching the line from memory). Here the targets are
entered into square cells of about their mean spacing (a small target in the cell of its
box's centre, a large one in every cell its box covers), and each source point is
compared with the targets entered in the cells within ``reach`` of its own:

- to points, the distance is plain arithmetic;
- to lines, the line whose box is nearest is measured first; then only the lines whose
  boxes are no farther than that, segment by segment, with GEOS's own formula.

Side by side (``geometry.nearest``, best of 3), against the boxes and the tree before:

- 100k seats to 240k hardened roads: 0.35 -> 0.16 s; to 60k fibre points: 0.16 -> 0.04 s;
- 470k seats to 1.2M roads: 1.73 -> 0.87 s; to 290k fibre points: 0.86 -> 0.21 s;

the same targets and distances, bit for bit. With ``threads``, the chunks of sources are
searched on that many threads: numpy lets go of Python's lock inside each gather and
arithmetic on a chunk's candidates (side by side, best of 5: 100k seats to roads 0.186 ->
0.157 s, to fibre 0.033 -> 0.028 s; 470k seats to 294k fibre points 0.156 -> 0.137 s).
``np.repeat`` holds the lock, so the candidates are spread by running sums and gathers
(``_runs``, ``_run_of_each``; 470k seats to fibre 0.110 -> 0.088 s, to roads 0.604 ->
0.578 s).

A source is *settled* when its nearest target lies within ``sure(reach)``: every target
that near is entered in a cell searched, so no nearer target and no tie was missed. The
others (a source far from every target, well outside the targets' extent, or beside a
crowded cell) are left to the caller's tree. Ties go to the lowest target index.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np

SPACING = 1.0        # cell width, in mean target spacings (100k seats to fibre: 0.038 s; 0.042 at 1.2, 0.047 at 1.5)
SPACING_LINES = 1.5  # the same, to lines (100k seats to hardened roads: 0.166 s; 0.171 at 1.2, 0.183 at 1.0)
SMALL = 0.5          # a target at most this many cell widths across is entered at its centre only (0.4-0.7: +4-9 %)
REACHES = (1, 2, 4)  # cells searched: 3x3 around every source, then 5x5 and 9x9 around those not settled
MOST_CANDIDATES = 400   # a source beside more entries than this is left to the tree (clustered targets)
CHUNK = 8192         # sources searched at a time, to keep the arrays of candidates small
# cells are found by floor((x - x0) / width); a target within ``reach`` widths (and the
# source's distance to its own cell's side), less this fraction of one, is in a cell
# searched, whatever the rounding of grids up to 10^7 cells wide
_MARGIN = 1e-8


@dataclass(frozen=True)
class _Grid:
    x0: float
    y0: float
    width: float     # of a cell
    cols: int        # cells across, the border included
    rows: int
    border: int      # empty cells on each side, twice the widest reach
    target: np.ndarray  # the target of each entry, entries sorted by cell (cells numbered row by row)
    low: np.ndarray     # its box's corners as complex numbers, xmin + ymin j and xmax + ymax j (a
    high: np.ndarray    # point's: the point): one 16-byte gather for two numbers, 2x quicker than two
    edge: np.ndarray    # cell k's entries are [edge[k], edge[k + 1])
    slack: float        # half the size of the largest target entered at its centre only

    def cells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell number of each point (-1 for points more than ``border / 2`` cells outside
        the targets' extent: a search from there could leave the grid) and how far it lies
        inside its cell, in cell widths (to the nearest side)."""
        u, v = (x - self.x0) / self.width, (y - self.y0) / self.width
        col, row = np.floor(u), np.floor(v)
        inner = np.minimum(np.minimum(u - col, col + 1 - u), np.minimum(v - row, row + 1 - v))
        col, row = col + self.border, row + self.border
        half = self.border // 2
        inside = (col >= half) & (col < self.cols - half) & (row >= half) & (row < self.rows - half)
        return np.where(inside, row * self.cols + col, -1).astype(np.int64), inner

    def sure(self, reach: int, inner: np.ndarray) -> np.ndarray:
        """How near every target entered in cells within ``reach`` of a source that lies
        ``inner`` inside its cell is sure to be: a point of a target that near lies in such
        a cell, and the centre of a target entered there alone within ``slack`` of that
        point."""
        return (reach + inner - _MARGIN) * self.width - self.slack


def _grid(bounds: np.ndarray, sources: int, spacing: float) -> _Grid | None:
    """The targets entered into cells of ``spacing`` mean spacings; None where such a grid
    would have far more cells or entries than points (targets along a line, a few far
    apart, or long lines across much of the extent)."""
    xmin, ymin, xmax, ymax = bounds.T
    x0, y0 = float(xmin.min()), float(ymin.min())
    wx, wy = float(xmax.max()) - x0, float(ymax.max()) - y0
    if wx > 0 and wy > 0:
        width = spacing * np.sqrt(wx * wy / len(bounds))
    else:
        width = max(wx, wy) / len(bounds) or 1.0
    border = 2 * max(REACHES)   # sources in the inner half are searched: the extent grown by 4 cells
    cols = int(wx // width) + 1 + 2 * border
    rows = int(wy // width) + 1 + 2 * border
    if cols * rows > 8 * (len(bounds) + sources) + 1024 or max(cols, rows) > 10**7:
        return None
    half = np.maximum(xmax - xmin, ymax - ymin) / 2

    def col(x):
        return np.floor((x - x0) / width).astype(np.int64) + border

    def row(y):
        return np.floor((y - y0) / width).astype(np.int64) + border

    small = np.flatnonzero(half <= SMALL * width)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2      # a point's own coordinates, exactly
    key = row(cy[small]) * cols + col(cx[small])
    large = np.flatnonzero(half > SMALL * width)
    if len(large):   # in every cell of its box
        c0, r0 = col(xmin[large]), row(ymin[large])
        across = col(xmax[large]) - c0 + 1
        many = across * (row(ymax[large]) - r0 + 1)
        if many.sum() > 4 * (len(bounds) + sources):   # lines across much of the extent: not for a grid
            return None
        large = np.repeat(large, many)
        k = np.arange(len(large)) - np.repeat(np.cumsum(many) - many, many)
        across = np.repeat(across, many)
        key = np.r_[key, (np.repeat(r0, many) + k // across) * cols + np.repeat(c0, many) + k % across]
        small = np.r_[small, large]
    order = np.argsort(key)   # within a cell the order is of no matter: quicksort, 2-6x quicker
    target = small[order]
    edge = np.r_[0, np.cumsum(np.bincount(key, minlength=cols * rows))]
    slack = float(half[half <= SMALL * width].max(initial=0.0))
    corner = np.ascontiguousarray(bounds, dtype=float).view(np.complex128)
    return _Grid(x0, y0, width, cols, rows, border, target, corner[:, 0][target], corner[:, 1][target], edge, slack)


def nearest(sx: np.ndarray, sy: np.ndarray, bounds: np.ndarray,
            lines: tuple[np.ndarray, np.ndarray] | None = None, threads: int = 1
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For source points (``sx``, ``sy``) and targets given by their boxes (``bounds``,
    rows of xmin, ymin, xmax, ymax), all finite: the index of each source's nearest target
    (the lowest of equally near ones), the distance to it and a mask of the settled
    sources; the others have index -1 and distance inf, to be found otherwise.

    Without ``lines`` every target is a point (its box). With it every target is a line:
    ``lines`` holds the vertices (rows of x, y, as ``shapely.get_coordinates`` gives them)
    and where each line's run of them starts (one more entry, the end of the last).
    ``threads``: the chunks of ``CHUNK`` sources are searched on this many threads."""
    index = np.full(len(sx), -1, dtype=np.int64)
    distance = np.full(len(sx), np.inf)
    grid = _grid(bounds, len(sx), SPACING if lines is None else SPACING_LINES) if len(bounds) and len(sx) else None
    if grid is None:
        return index, distance, np.zeros(len(sx), dtype=bool)
    if lines is not None:   # each vertex one complex number, x + y j: one gather for both
        xy, starts = lines
        lines = np.ascontiguousarray(xy, dtype=float).view(np.complex128).ravel(), starts
    cell, inner = grid.cells(sx, sy)
    source = np.empty(len(sx), dtype=np.complex128)   # x + y j: one gather for both
    source.real, source.imag = sx, sy
    settled = np.zeros(len(sx), dtype=bool)
    todo = np.flatnonzero(cell >= 0)
    pool = ThreadPoolExecutor(threads) if threads > 1 and len(todo) > CHUNK else None
    with pool or nullcontext():
        for reach in REACHES:
            # each chunk's own sources: no two threads write the same rows of index, distance
            # and settled
            def search(k: int, reach: int = reach, todo: np.ndarray = todo) -> None:
                ids = todo[k:k + CHUNK]
                _nearest_of_each(*_candidates(grid, reach, ids, source, cell, lines, index, distance),
                                 index, distance)
                settled[ids] = distance[ids] <= grid.sure(reach, inner[ids])
            chunks = range(0, len(todo), CHUNK)
            if pool and len(chunks) > 1:
                list(pool.map(search, chunks))
            else:
                for k in chunks:
                    search(k)
            todo = todo[~settled[todo]]
    index[~settled], distance[~settled] = -1, np.inf
    return index, distance, settled


_NONE = np.empty(0, dtype=np.int64)


def _candidates(grid: _Grid, reach: int, ids: np.ndarray, source: np.ndarray, cell: np.ndarray,
                lines, index: np.ndarray, distance: np.ndarray):
    """(source, target, distance), by source, of the targets entered within ``reach``
    cells of each source in ``ids`` (``source``: every source point, x + y j) that may be
    its nearest, measured. A source beside more than ``MOST_CANDIDATES`` entries is given
    none and set back to not found (-1, inf)."""
    # a row of the square around a source is a run of cells, so one run of sorted entries
    left = cell[ids, None] + np.arange(-reach, reach + 1) * grid.cols - reach
    start = grid.edge[left]
    count = grid.edge[left + 2 * reach + 1] - start
    per = count.sum(axis=1)
    crowded = per > MOST_CANDIDATES
    count[crowded], per[crowded] = 0, 0
    index[ids[crowded]], distance[ids[crowded]] = -1, np.inf   # not settled, whatever a nearer search found
    total = int(per.sum())
    if total == 0:
        return _NONE, _NONE, _NONE
    at = _runs(start.ravel(), count.ravel(), total)
    ids = ids[per > 0]
    first = (np.cumsum(per) - per)[per > 0]
    of = _run_of_each(first, total)     # each candidate's source, into ids
    p = source[ids][of]
    if lines is None:
        d = grid.low[at] - p      # a point's box is the point: one gather for x and y
        dist = np.sqrt(d.real * d.real + d.imag * d.imag)
        keep = np.flatnonzero(dist == np.minimum.reduceat(dist, first)[of])
        return ids[of[keep]], grid.target[at[keep]], dist[keep]
    target = grid.target[at]
    keep, dist = _to_lines_near(p, target, grid.low[at], grid.high[at], first, of, *lines)
    return ids[of[keep]], target[keep], dist


def _runs(start: np.ndarray, count: np.ndarray, total: int) -> np.ndarray:
    """The numbers ``start[k], start[k] + 1, ...`` (``count[k]`` of them, which may be 0)
    of every run k in turn, ``total`` in all: a running sum of steps, where
    ``np.repeat`` would hold Python's lock (as ``np.bincount`` does; gathers and sums let
    it go, so both cores work)."""
    some = np.flatnonzero(count)
    start, count = start[some], count[some]
    step = np.ones(total, dtype=np.int64)
    step[np.cumsum(count) - count] = start - np.r_[1, (start + count)[:-1]] + 1
    return np.cumsum(step)


def _run_of_each(first: np.ndarray, total: int) -> np.ndarray:
    """Each of ``total`` elements' run, for runs beginning at ``first`` (increasing from
    0, none empty): a running sum, where ``np.repeat`` would hold Python's lock."""
    mark = np.zeros(total, dtype=np.int32)
    mark[first[1:]] = 1
    return np.cumsum(mark, dtype=np.int32)


def _to_lines_near(p, target, corner_low, corner_high, first, of, vertex, starts):
    """Positions and distances of the candidate lines (from each point ``p``, x + y j;
    ``of`` the candidate's run, the runs beginning at ``first``, one a source; their boxes
    given) that may be nearest, in two rounds: the line whose box is nearest each source,
    then the lines whose boxes are no farther than that line (100k seats to 240k roads:
    2.1M candidates, 0.15M measured)."""
    px, py = p.real, p.imag
    xmin, ymin, xmax, ymax = corner_low.real, corner_low.imag, corner_high.real, corner_high.imag
    near_x = np.maximum(np.maximum(xmin - px, px - xmax), 0.0)
    near_y = np.maximum(np.maximum(ymin - py, py - ymax), 0.0)
    low = near_x * near_x + near_y * near_y     # squared: no part of the line is nearer
    boxed = np.flatnonzero(low == np.minimum.reduceat(low, first)[of])
    one = boxed[np.r_[True, of[boxed[1:]] != of[boxed[:-1]]]]
    bound = _to_lines(p[one], target[one], vertex, starts)
    # the others no farther by box, with room for rounding: none as near is left out
    more = low <= (bound * bound)[of] * (1 + 1e-9)
    more[one] = False
    more = np.flatnonzero(more)
    keep = np.r_[one, more]
    order = np.argsort(keep, kind="stable")
    return keep[order], np.r_[bound, _to_lines(p[more], target[more], vertex, starts)][order]


def _to_lines(p, target, vertex, starts):
    """Distance from each point (``p``: x + y j) to its line (``vertex``: x + y j), GEOS's
    bit for bit: the least over the line's segments of ``Distance::pointToSegment``."""
    segments = starts[target + 1] - starts[target] - 1
    total = int(segments.sum())
    k = _runs(starts[target], segments, total)
    a, b = vertex[k], vertex[k + 1]     # each segment's ends
    ax, ay, bx, by = a.real, a.imag, b.real, b.imag
    p = p[_run_of_each(np.cumsum(segments) - segments, total)]
    px, py = p.real, p.imag
    ex, ey = bx - ax, by - ay
    length2 = ex * ex + ey * ey
    with np.errstate(invalid="ignore", divide="ignore"):
        along = ((px - ax) * ex + (py - ay) * ey) / length2
        across = np.abs(((ay - py) * ex - (ax - px) * ey) / length2) * np.sqrt(length2)
    to_a = np.sqrt((px - ax) ** 2 + (py - ay) ** 2)
    to_b = np.sqrt((px - bx) ** 2 + (py - by) ** 2)
    dist = np.where(along <= 0, to_a, np.where(along >= 1, to_b, across))
    dist = np.where((ax == bx) & (ay == by), to_a, dist)
    return np.minimum.reduceat(dist, np.cumsum(segments) - segments)


def _nearest_of_each(source: np.ndarray, target: np.ndarray, dist: np.ndarray, index: np.ndarray,
                     distance: np.ndarray) -> None:
    """Each source's least distance and, of the targets that near, the lowest index, into
    ``index`` and ``distance`` (``source`` sorted)."""
    if len(source) == 0:
        return
    first = np.flatnonzero(np.r_[True, source[1:] != source[:-1]])
    least = np.minimum.reduceat(dist, first)
    best = np.flatnonzero(dist == least[_run_of_each(first, len(source))])
    tied = np.flatnonzero(np.r_[True, source[best][1:] != source[best][:-1]])
    index[source[best][tied]] = np.minimum.reduceat(target[best], tied)
    distance[source[first]] = least
