"""The raster screen of the point index: which points need no exact predicate.

For large inputs the grids are rasterised on a fine cell grid (up to 16
cells per household, at most 2**25 cells): every cell that a boundary segment
touches is marked (conservatively, with a margin for rounding), and the grids
covering each cell centre are counted with winding numbers along the row
centre lines.  A cell that no boundary touches lies wholly in the interior of
the grids covering its centre, so its points are classified by a table
lookup (:meth:`Raster.lookup`); only points in marked cells need the exact
GEOS predicates (:mod:`gridgov._core.pointindex`).  Invalid grids are left to
the exact predicates: their bounding boxes are marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from gridgov._core.threads import batches, thread_count

if TYPE_CHECKING:
    from gridgov._core.threads import Runner

__all__ = ["Raster", "screen"]

# The raster is worth building for at least this many households, and at least
# this many per boundary vertex of the grids (its cost grows with the vertices).
_RASTER_MIN_POINTS = 20_000
_RASTER_POINTS_PER_VERTEX = 0.5
# Raster cells along the side of a typical grid, and the cap on raster cells.
_CELLS_PER_GRID_SIDE = 64.0
_MAX_CELLS = 1 << 25
_CELLS_PER_POINT = 16
# Longest piece of boundary marked at once, in cells (< 1 so a piece spans <= 2 cells per axis).
_PIECE = 0.98
_SEGMENT_BATCH = 1 << 16


@dataclass(frozen=True)
class Raster:
    """A cell grid over the grid layer telling, per cell, what covers all of it.

    Coordinates map to cell units by ``(x - x0) / size``; cell ``(row, col)``
    has the key ``row * stride + col``.  ``label`` holds, per cell, the
    position of the one grid whose interior holds the whole cell, ``-1`` when
    no grid covers any of it, ``-2`` when a grid boundary touches the cell
    (marked conservatively, with a margin for rounding) or several grids
    cover it.
    """

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    stride: int
    label: np.ndarray

    def lookup(self, xy: np.ndarray) -> np.ndarray:
        """Grid position of each point, ``-1`` outside every grid, ``-2`` undecided."""
        col = np.floor(np.clip((xy[:, 0] - self.x0) / self.size, -1.0, self.nx)).astype(np.int64)
        row = np.floor(np.clip((xy[:, 1] - self.y0) / self.size, -1.0, self.ny)).astype(np.int64)
        on = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        key = np.where(on, row * self.stride + col, 0)
        return np.where(on, self.label[key], -1).astype(np.int64)


def _cell_size(bounds: np.ndarray, budget: int) -> tuple[float, int, int] | None:
    width = float(bounds[:, 2].max() - bounds[:, 0].min())
    height = float(bounds[:, 3].max() - bounds[:, 1].min())
    if not (width > 0 and height > 0 and math.isfinite(width * height)):
        return None
    sides = np.sqrt((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1]))
    typical = float(np.median(sides))
    if not typical > 0:
        typical = math.sqrt(width * height / len(bounds))
    size = max(typical / _CELLS_PER_GRID_SIDE, math.sqrt(width * height / budget))
    while (math.ceil(width / size) + 3) * (math.ceil(height / size) + 2) > budget:
        size *= 1.05
    return size, math.ceil(width / size) + 2, math.ceil(height / size) + 2


@dataclass(frozen=True)
class _Segments:
    """Boundary segments in cell units, with their grid position and winding sign.

    The sign orients every ring as if exteriors ran counter-clockwise and
    holes clockwise, so that summing the signs of the crossings left of a
    point gives the number of grids containing it.
    """

    ax: np.ndarray
    ay: np.ndarray
    bx: np.ndarray
    by: np.ndarray
    grid: np.ndarray
    sign: np.ndarray

    @classmethod
    def of(cls, geoms: np.ndarray, origin: tuple[float, float], size: float) -> _Segments:
        parts, part_of = shapely.get_parts(geoms, return_index=True)
        rings, ring_of = shapely.get_rings(parts, return_index=True)
        exterior = np.ones(len(rings), dtype=bool)
        exterior[1:] = ring_of[1:] != ring_of[:-1]
        coords, coord_of = shapely.get_coordinates(rings, return_index=True)
        x = (coords[:, 0] - origin[0]) / size
        y = (coords[:, 1] - origin[1]) / size
        keep = np.flatnonzero(coord_of[1:] == coord_of[:-1])
        ax, ay, bx, by = x[keep], y[keep], x[keep + 1], y[keep + 1]
        ring = coord_of[keep]
        twice_area = np.bincount(ring, weights=ax * by - bx * ay, minlength=len(rings))
        flip = np.where((twice_area > 0) == exterior, 1, -1)
        return cls(ax, ay, bx, by, part_of[ring_of][ring].astype(np.int64), flip[ring])

    def subset(self, keep: np.ndarray) -> _Segments:
        """Select the segments picked by `keep` (mask or positions)."""
        return _Segments(
            self.ax[keep],
            self.ay[keep],
            self.bx[keep],
            self.by[keep],
            self.grid[keep],
            self.sign[keep],
        )


def _mark_cells(
    mixed: np.ndarray,
    raster: tuple[int, int, int],
    columns: tuple[np.ndarray, np.ndarray],
    rows: tuple[np.ndarray, np.ndarray],
) -> None:
    """Mark the cells of the given columns times rows (two of each)."""
    nx, ny, stride = raster
    cols = [np.clip(c, 0, nx - 1) for c in columns]
    offsets = [np.clip(r, 0, ny - 1) * stride for r in rows]
    for col in cols:
        for offset in offsets:
            mixed[offset + col] = True


def _extent(lo: np.ndarray, hi: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """First and last cell of ``[min(lo, hi) - eps, max(lo, hi) + eps]``."""
    return (
        np.floor(np.minimum(lo, hi) - eps).astype(np.int64),
        np.floor(np.maximum(lo, hi) + eps).astype(np.int64),
    )


def _mark_segments(
    mixed: np.ndarray, raster: tuple[int, int, int], segments: _Segments, eps: float
) -> None:
    """Mark every cell that a segment touches.

    A segment lies in the bounding box of its ends; widened by `eps` against
    rounding, that box spans at most two cells per axis for most segments,
    and all of them are marked.  Longer segments are cut into pieces shorter
    than a cell along each axis, and the same is done for each piece.
    """
    for start in range(0, len(segments.ax), _SEGMENT_BATCH):
        part = slice(start, start + _SEGMENT_BATCH)
        ax, ay, bx, by = segments.ax[part], segments.ay[part], segments.bx[part], segments.by[part]
        c0, c1 = _extent(ax, bx, eps)
        r0, r1 = _extent(ay, by, eps)
        _mark_cells(mixed, raster, (c0, np.minimum(c1, c0 + 1)), (r0, np.minimum(r1, r0 + 1)))
        long = np.flatnonzero((c1 - c0 > 1) | (r1 - r0 > 1))
        if len(long) == 0:
            continue
        ax, ay, dx, dy = ax[long], ay[long], bx[long] - ax[long], by[long] - ay[long]
        pieces = np.ceil(np.maximum(np.abs(dx), np.abs(dy)) / _PIECE).astype(np.int64)
        seg = np.repeat(np.arange(len(long)), pieces)
        step = np.arange(len(seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        t0, t1 = step / pieces[seg], (step + 1) / pieces[seg]
        x0, x1 = ax[seg] + dx[seg] * t0, ax[seg] + dx[seg] * t1
        y0, y1 = ay[seg] + dy[seg] * t0, ay[seg] + dy[seg] * t1
        _mark_cells(mixed, raster, _extent(x0, x1, eps), _extent(y0, y1, eps))


def _crossings(segments: _Segments, stride: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crossings of the segments with the row centre lines, as winding events.

    A segment crosses the rows whose centre ``r + 0.5`` lies in ``[ylo,
    yhi)``; this half-open rule, evaluated on the vertex values both segments
    of a vertex share, counts each crossing of a closed ring once.  A
    crossing at ``x`` changes the winding number of every cell whose centre
    lies to its right by the segment's sign (downward +1, upward -1, for an
    exterior oriented counter-clockwise).  Returns the cell key of each event,
    its winding change and that change times the grid position.
    """
    ax, ay, bx, by = segments.ax, segments.ay, segments.bx, segments.by
    first = np.ceil(np.minimum(ay, by) - 0.5).astype(np.int64)
    rows = np.ceil(np.maximum(ay, by) - 0.5).astype(np.int64) - first
    crossing = np.flatnonzero(rows)
    rows = rows[crossing]
    seg = np.repeat(crossing, rows)
    row = np.arange(len(seg)) - np.repeat(np.cumsum(rows) - rows, rows) + first[seg]
    sax, say, sbx, sby = ax[seg], ay[seg], bx[seg], by[seg]
    x = sax + (row + 0.5 - say) * (sbx - sax) / (sby - say)
    col = np.clip(np.floor(x - 0.5) + 1, 0, stride - 1).astype(np.int64)
    winding = np.where(sby < say, 1, -1) * segments.sign[seg]
    return row * stride + col, winding, winding * segments.grid[seg]


def _cover(
    events: list[tuple[np.ndarray, np.ndarray, np.ndarray]], stride: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Cover of the cell centres as a step function of the cell key.

    Returns the sorted distinct event keys and, from each on, the number of
    grids covering the cell centres and the sum of their positions; ``None``
    when a row does not come back to zero (which closed rings never do).
    """
    keys = np.concatenate([e[0] for e in events])
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    count = np.cumsum(np.concatenate([e[1] for e in events])[order])
    total = np.cumsum(np.concatenate([e[2] for e in events])[order])
    row_end = np.ones(len(keys), dtype=bool)
    row_end[:-1] = keys[1:] // stride != keys[:-1] // stride
    if np.any(count[row_end] != 0):
        return None
    last = np.ones(len(keys), dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]
    return keys[last], count[last], total[last]


def _mark_boxes(
    mixed: np.ndarray, raster: tuple[int, int, int], boxes: np.ndarray, eps: float
) -> None:
    """Mark every cell of each bounding box (cell units): for grids the scan cannot fill."""
    nx, ny, stride = raster
    grid2d = mixed.reshape(ny, stride)
    for xmin, ymin, xmax, ymax in boxes:
        c0, c1 = max(int(np.floor(xmin - eps)), 0), min(int(np.floor(xmax + eps)), nx - 1)
        r0, r1 = max(int(np.floor(ymin - eps)), 0), min(int(np.floor(ymax + eps)), ny - 1)
        grid2d[r0 : r1 + 1, c0 : c1 + 1] = True


def _build_raster(geoms: np.ndarray, valid: np.ndarray, budget: int, run: Runner) -> Raster | None:
    """Rasterise the grids, or ``None`` when the layer is degenerate."""
    bounds = shapely.bounds(geoms)
    shape = _cell_size(bounds, budget)
    if shape is None:
        return None
    size, nx, ny = shape
    stride = nx + 1
    raster = (nx, ny, stride)
    origin = (float(bounds[:, 0].min()) - size, float(bounds[:, 1].min()) - size)
    eps = 1e-6 + 64 * np.finfo(np.float64).eps * float(np.abs(bounds).max()) / size
    mixed = np.zeros(ny * stride, dtype=bool)

    def scan(part: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        segments = _Segments.of(geoms[part], origin, size)
        segments.grid[:] += part.start
        _mark_segments(mixed, raster, segments, eps)
        if not valid[part].all():
            segments = segments.subset(valid[segments.grid])
        return _crossings(segments, stride)

    events = run.map(scan, batches(len(geoms), math.ceil(len(geoms) / thread_count())))
    if not valid.all():
        # The winding rule needs valid rings: leave invalid grids to GEOS.
        _mark_boxes(mixed, raster, (bounds[~valid] - np.tile(origin, 2)) / size, eps)
    cover = _cover(events, stride)
    if cover is None:
        return None
    keys, count, total = cover
    dtype = np.int16 if len(geoms) < np.iinfo(np.int16).max else np.int32
    step = np.where(count == 1, total, np.where(count == 0, -1, -2)).astype(dtype)
    runs = np.diff(np.concatenate([[0], keys, [ny * stride]]))
    label = np.repeat(np.concatenate([np.full(1, -1, dtype=dtype), step]), runs)
    label[mixed] = -2
    return Raster(origin[0], origin[1], size, nx, ny, stride, label)


def screen(geoms: np.ndarray, valid: np.ndarray, points: int, run: Runner) -> Raster | None:
    """Return the raster screen of the grids `geoms` for `points` points, or None.

    None when the raster is not worth building (fewer than 20,000 points, or
    fewer than half a point per boundary vertex of the grids: its cost grows
    with the vertices) or when the layer is degenerate.  `valid` tells the
    grids valid in the GEOS sense (the others are left to the exact
    predicates).
    """
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    if points < max(_RASTER_MIN_POINTS, _RASTER_POINTS_PER_VERTEX * vertices):
        return None
    budget = int(min(_MAX_CELLS, max(1 << 20, _CELLS_PER_POINT * points)))
    return _build_raster(geoms, valid, budget, run)
