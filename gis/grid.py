"""Nearest point by grid: each source point's nearest target point, among the targets in
the square cells around it, in numpy on the coordinates alone.

A tree's nearest-neighbour search walks GEOS objects one source at a time. For points
against points (seats to fibre points and to clinics) a distance is plain arithmetic, so
here the targets are sorted into square cells of about their mean spacing, and each source
is compared with the targets in the cells within ``reach`` of its own (100k seats to 60k
fibre points: 0.13 -> 0.04 s, the coordinates' extraction included). Two threads are no
quicker: each piece of work is many small numpy calls, with Python's lock held between
them.

A source is *settled* when its nearest target lies within ``reach`` cell widths: every
target that near lies in a cell searched, so no nearer target and no tie was missed. The
others (a source far from every target, well outside the targets' extent, or beside a
crowded cell) are left to the caller's tree. Distances are GEOS's own, ``sqrt(dx*dx + dy*dy)``,
bit for bit; ties go to the lowest target index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPACING = 1.0        # cell width, in mean target spacings (100k seats to fibre: 0.023-0.025 s from 0.8 to 1.0)
REACHES = (1, 2, 4)  # cells searched: 3x3 around every source, then 5x5 and 9x9 around those not settled
MOST_CANDIDATES = 400   # a source beside more targets than this is left to the tree (clustered targets)
CHUNK = 8192         # sources searched at a time, to keep the arrays of candidates small
# cells are found by floor((x - x0) / width); a target within ``reach`` widths, less this
# fraction of one, is in a cell searched, whatever the rounding of grids up to 10^7 cells wide
_MARGIN = 1e-8


@dataclass(frozen=True)
class _Grid:
    x0: float
    y0: float
    width: float     # of a cell
    cols: int        # cells across, the border included
    rows: int
    border: int      # empty cells on each side, twice the widest reach
    order: np.ndarray   # target indices, sorted by cell (cells numbered row by row)
    x: np.ndarray       # their coordinates in that order
    y: np.ndarray
    edge: np.ndarray    # cell k's targets are order[edge[k]:edge[k + 1]]

    def cells(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Cell number of each point; -1 for points more than ``border / 2`` cells outside
        the targets' extent (a search from there could leave the grid)."""
        col = np.floor((x - self.x0) / self.width) + self.border
        row = np.floor((y - self.y0) / self.width) + self.border
        half = self.border // 2
        inside = (col >= half) & (col < self.cols - half) & (row >= half) & (row < self.rows - half)
        return np.where(inside, row * self.cols + col, -1).astype(np.int64)


def _grid(tx: np.ndarray, ty: np.ndarray, sources: int) -> _Grid | None:
    """The targets sorted into cells of ``SPACING`` mean spacings; None where such a grid
    would have far more cells than points (targets along a line, or a few far apart)."""
    x0, y0 = float(tx.min()), float(ty.min())
    wx, wy = float(tx.max()) - x0, float(ty.max()) - y0
    if wx > 0 and wy > 0:
        width = SPACING * np.sqrt(wx * wy / len(tx))
    else:
        width = max(wx, wy) / len(tx) or 1.0
    border = 2 * max(REACHES)   # sources in the inner half are searched: the extent grown by 4 cells
    cols = int(wx // width) + 1 + 2 * border
    rows = int(wy // width) + 1 + 2 * border
    if cols * rows > 8 * (len(tx) + sources) + 1024 or max(cols, rows) > 10**7:
        return None
    cell = ((np.floor((ty - y0) / width) + border) * cols + np.floor((tx - x0) / width) + border).astype(np.int64)
    order = np.argsort(cell, kind="stable")   # within a cell, by target index
    edge = np.r_[0, np.cumsum(np.bincount(cell, minlength=cols * rows))]
    return _Grid(x0, y0, width, cols, rows, border, order, tx[order], ty[order], edge)


def nearest_points(sx: np.ndarray, sy: np.ndarray, tx: np.ndarray,
                   ty: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For source points (``sx``, ``sy``) and target points (``tx``, ``ty``), all finite:
    the index of each source's nearest target (the lowest of equally near ones), the
    distance to it and a mask of the settled sources; the others have index -1 and
    distance inf, to be found otherwise."""
    index = np.full(len(sx), -1, dtype=np.int64)
    distance = np.full(len(sx), np.inf)
    grid = _grid(tx, ty, len(sx)) if len(tx) and len(sx) else None
    if grid is None:
        return index, distance, np.zeros(len(sx), dtype=bool)
    cell = grid.cells(sx, sy)
    settled = np.zeros(len(sx), dtype=bool)
    todo = np.flatnonzero(cell >= 0)
    for reach in REACHES:
        for k in range(0, len(todo), CHUNK):
            _search(grid, reach, todo[k:k + CHUNK], sx, sy, cell, index, distance)
        settled[todo] = distance[todo] <= reach * grid.width * (1 - _MARGIN)
        todo = todo[~settled[todo]]
    index[~settled], distance[~settled] = -1, np.inf
    return index, distance, settled


def _search(grid: _Grid, reach: int, ids: np.ndarray, sx: np.ndarray, sy: np.ndarray, cell: np.ndarray,
            index: np.ndarray, distance: np.ndarray) -> None:
    """The nearest of the targets within ``reach`` cells of each source in ``ids``, written
    into ``index`` and ``distance``; a source beside more than ``MOST_CANDIDATES``
    targets is given none (-1, inf), one beside none is left as it was."""
    # a row of the square around a source is a run of cells, so one run of sorted targets
    left = cell[ids, None] + np.arange(-reach, reach + 1) * grid.cols - reach
    start = grid.edge[left]
    count = grid.edge[left + 2 * reach + 1] - start
    per = count.sum(axis=1)
    crowded = per > MOST_CANDIDATES
    count[crowded], per[crowded] = 0, 0
    index[ids[crowded]], distance[ids[crowded]] = -1, np.inf   # not settled, whatever a nearer search found
    count = count.ravel()
    total = int(per.sum())
    if total == 0:
        return
    at = np.arange(total) - np.repeat(np.cumsum(count) - count - start.ravel(), count)
    dx = np.repeat(sx[ids], per) - grid.x[at]
    dy = np.repeat(sy[ids], per) - grid.y[at]
    dist = np.sqrt(dx * dx + dy * dy)
    has = np.flatnonzero(per)
    least = np.full(len(ids), np.inf)
    least[has] = np.minimum.reduceat(dist, (np.cumsum(per) - per)[has])
    # the candidates at the least distance: mostly one a source; of ties, the lowest index
    best = np.flatnonzero(dist == np.repeat(least, per))
    source = np.repeat(np.arange(len(ids)), per)[best]
    starts = np.flatnonzero(np.r_[True, source[1:] != source[:-1]])
    index[ids[source[starts]]] = np.minimum.reduceat(grid.order[at[best]], starts)
    distance[ids[has]] = least[has]
