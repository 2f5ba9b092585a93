"""Households to grids: :func:`assign`, :func:`summarize_assignment`, :func:`assign_by_network`.

Every household belongs to exactly one grid of each network, and the result
says why (the ``how`` of the assignment):

``inside``
    The point lies in the interior of exactly one grid and touches no other.
``boundary``
    The point lies on the boundary of a grid (a shared edge, a vertex shared
    by three or four grids, or the outer boundary of a single grid), or in the
    interior of several overlapping grids.  One candidate grid is chosen by the
    ``on_boundary`` rule.
``nearest``
    The point lies in no grid and ``outside="nearest"`` gave it the nearest
    grid within ``max_distance`` (ties by the ``on_boundary`` rule).
``building``
    ``buildings=`` moved the household to the grid that holds the largest share
    of its building footprint, which is not the grid of its own point.
``unassigned``
    No grid (the grid id is null).

Ties are never left to the order of a spatial index: ``smallest_id`` picks the
smallest grid id compared as strings, ``first_in_layer`` the grid that comes
first in the layer, ``largest_overlap_building`` the grid holding the largest
area of the household's building (households without a building footprint,
and ties, fall back to the smallest id).

How it is fast.  For large inputs the grids are first rasterised on a fine
cell grid (up to 16 cells per household, at most 2**25 cells): every cell that
a boundary segment touches is marked (conservatively, with a margin for
rounding), and the grids covering each cell centre are counted with winding
numbers along the row centre lines.  A cell that no boundary touches lies
wholly in the interior of the grids covering its centre, so its households
are classified by a table lookup.  Only the households in marked cells go to
the exact GEOS predicates (the grids query an STRtree of those points with
``intersects``, then ``contains_xy`` tells interior from boundary), and only
households outside every grid to ``query_nearest``.  The result is the one
the exact predicates give for every point; the raster only decides which
points need them.  Invalid grids are left to the exact predicates.  The
queries run on a thread pool: shapely releases the GIL inside
``STRtree.query`` and ``query_nearest``.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm import tqdm

from gridgov import graph
from gridgov._coords import point_xy
from gridgov.crs import require_metric, require_same_crs
from gridgov.errors import GridgovWarning, LayerError
from gridgov.layers import _normalise_ids, validate_layer

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "HOW",
    "BoundaryRule",
    "OutsideRule",
    "assign",
    "assign_by_network",
    "summarize_assignment",
]

BoundaryRule = Literal["smallest_id", "first_in_layer", "largest_overlap_building"]
OutsideRule = Literal["unassigned", "nearest"]

#: The values of the ``<network>_how`` columns, in the order of their categories.
HOW: tuple[str, ...] = ("inside", "boundary", "nearest", "building", "unassigned")
_INSIDE, _BOUNDARY, _NEAREST, _BUILDING, _UNASSIGNED = range(5)
_HOW_DTYPE = pd.CategoricalDtype(list(HOW))

_BOUNDARY_RULES = ("smallest_id", "first_in_layer", "largest_overlap_building")
_OUTSIDE_RULES = ("unassigned", "nearest")
_STATUS = ("served", "unreachable")
_REASONS = ("off_road", "disconnected", "beyond_max_distance")
_STATUS_DTYPE = pd.CategoricalDtype(list(_STATUS))
_REASON_DTYPE = pd.CategoricalDtype(list(_REASONS))

# Households per chunk (the unit of threading and of the progress bar).
_CHUNK_SIZE = 65_536
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


# --------------------------------------------------------------------------- raster


@dataclass(frozen=True)
class _Raster:
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


def _build_raster(
    geoms: np.ndarray, valid: np.ndarray, budget: int, run: _Runner
) -> _Raster | None:
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

    events = run.map(scan, _batches(len(geoms), math.ceil(len(geoms) / _threads())))
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
    return _Raster(origin[0], origin[1], size, nx, ny, stride, label)


# --------------------------------------------------------------------------- threads


_T = TypeVar("_T")
_R = TypeVar("_R")


class _Runner:
    """Runs independent steps on a thread pool (or inline) and counts them on a progress bar."""

    def __init__(self, pool: ThreadPoolExecutor | None, bar: tqdm) -> None:
        self.pool = pool
        self.bar = bar

    def map(self, fn: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
        """``[fn(item) for item in items]``, on the pool when there is more than one item."""
        self._grow(len(items))
        results: list[_R] = []
        mapped = (
            self.pool.map(fn, items) if self.pool is not None and len(items) > 1 else map(fn, items)
        )
        for result in mapped:
            results.append(result)
            self.bar.update(1)
        return results

    def _grow(self, steps: int) -> None:
        if not self.bar.disable:
            self.bar.total = (self.bar.total or 0) + steps
            self.bar.refresh()


def _batches(n: int, size: int = _CHUNK_SIZE) -> list[slice]:
    """Slices of at most `size` over ``range(n)``, at least two when `n` allows."""
    size = max(1, min(size, math.ceil(n / 2)))
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


# --------------------------------------------------------------------------- grid index


@dataclass(frozen=True)
class _GridIndex:
    """One validated grid layer, ready for point queries."""

    geoms: np.ndarray  # the grids (never prepared here: the caller's objects stay untouched)
    safe: np.ndarray  # made valid where needed, for area computations
    ids: np.ndarray  # grid ids as str (object array)
    id_rank: np.ndarray  # rank of each grid by id, compared as strings
    tree: shapely.STRtree
    raster: _Raster | None

    @classmethod
    def build(
        cls, frame: gpd.GeoDataFrame, id_column: str, *, points: int, run: _Runner
    ) -> _GridIndex:
        """Index the grids of `frame` for `points` households (which decides the raster)."""
        geoms = frame.geometry.to_numpy()
        ids = frame[id_column].to_numpy(dtype=object)
        checked = frame.attrs.get("gridgov", {})
        if checked.get("kind") == "grids" and "invalid_ids" in checked:
            valid = ~np.isin(ids.astype(str), np.asarray(checked["invalid_ids"], dtype=str))
        else:  # pragma: no cover - frames reach here through validate_layer
            valid = shapely.is_valid(geoms)
        tree = shapely.STRtree(geoms)
        tree.query(geoms[:1])  # build the tree now, before threads share it
        raster = None
        vertices = int(shapely.get_num_coordinates(geoms).sum())
        if points >= max(_RASTER_MIN_POINTS, _RASTER_POINTS_PER_VERTEX * vertices):
            budget = int(min(_MAX_CELLS, max(1 << 20, _CELLS_PER_POINT * points)))
            raster = _build_raster(geoms, valid, budget, run)
        safe = geoms.copy()
        if not valid.all():
            safe[~valid] = shapely.make_valid(geoms[~valid])
        return cls(geoms, safe, ids, _ranks(ids), tree, raster)


@dataclass(frozen=True)
class _Options:
    rule: str
    outside: str
    max_distance: float | None


def _rule_keys(
    index: _GridIndex, rule: str, grid: np.ndarray, footprint: np.ndarray | None
) -> list[np.ndarray]:
    """Sort keys of candidate grids, primary first: the smallest wins."""
    if rule == "first_in_layer":
        return [grid]
    if rule == "largest_overlap_building" and footprint is not None:
        area = np.zeros(len(grid))
        has = ~shapely.is_missing(footprint)
        if has.any():
            area[has] = shapely.area(shapely.intersection(footprint[has], index.safe[grid[has]]))
        return [-area, index.id_rank[grid]]
    return [index.id_rank[grid]]


def _pick(owner: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """Positions of the winning candidate of each owner (smallest keys)."""
    order = np.lexsort((*reversed(keys), owner))
    first = np.ones(len(order), dtype=bool)
    first[1:] = owner[order][1:] != owner[order][:-1]
    return order[first]


def _intersecting(
    index: _GridIndex, points: np.ndarray, run: _Runner
) -> tuple[np.ndarray, np.ndarray]:
    """All (point, grid) pairs where the point intersects the grid (interior or boundary).

    The points go into a tree and the grids query it, so that GEOS prepares
    each grid once and runs one indexed point-in-polygon test per candidate.
    """
    tree = shapely.STRtree(points)
    tree.query(points[:1])  # build the tree now, before threads share it
    groups = _batches(len(index.geoms), max(256, len(index.geoms) // 16))

    def query(part: slice) -> np.ndarray:
        pairs: np.ndarray = tree.query(index.geoms[part], predicate="intersects")
        pairs[0] += part.start
        return pairs

    pairs = np.concatenate(run.map(query, groups), axis=1)
    return pairs[1], pairs[0]


def _classify(
    index: _GridIndex,
    points: np.ndarray,
    xy: np.ndarray,
    options: _Options,
    *,
    footprint: np.ndarray | None,
    run: _Runner,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid position (-1 none), how code and distance of each point."""
    n = len(points)
    grid = np.full(n, -1, dtype=np.int64)
    how = np.full(n, _UNASSIGNED, dtype=np.int8)
    distance = np.full(n, np.nan)
    if index.raster is not None:
        state = index.raster.lookup(xy)
        inside = state >= 0
        grid[inside] = state[inside]
        how[inside] = _INSIDE
        distance[inside] = 0.0
        slow = np.flatnonzero(state == -2)
        outside = [np.flatnonzero(state == -1)]
    else:
        slow = np.arange(n)
        outside = []

    if len(slow):
        pair_point, pair_grid = _intersecting(index, points[slow], run)
        count = np.bincount(pair_point, minlength=len(slow))
        single = count[pair_point] == 1
        at, g = slow[pair_point[single]], pair_grid[single]
        strict = np.concatenate(
            run.map(
                lambda part: shapely.contains_xy(
                    index.geoms[g[part]], xy[at[part], 0], xy[at[part], 1]
                ),
                _batches(len(at)),
            )
            or [np.zeros(0, dtype=bool)]
        )
        grid[at] = g
        how[at] = np.where(strict, _INSIDE, _BOUNDARY)
        distance[at] = 0.0
        several = ~single
        if several.any():
            owner, g = slow[pair_point[several]], pair_grid[several]
            keys = _rule_keys(
                index, options.rule, g, None if footprint is None else footprint[owner]
            )
            win = _pick(owner, keys)
            grid[owner[win]] = g[win]
            how[owner[win]] = _BOUNDARY
            distance[owner[win]] = 0.0
        outside.append(slow[count == 0])

    lost = np.concatenate(outside) if outside else np.zeros(0, dtype=np.int64)
    if options.outside == "nearest" and len(lost):

        def nearest(part: slice) -> tuple[np.ndarray, np.ndarray]:
            (which, near), dist = index.tree.query_nearest(
                points[lost[part]],
                max_distance=options.max_distance,
                return_distance=True,
                all_matches=True,
            )
            return np.stack([lost[part][which], near]), dist

        found = run.map(nearest, _batches(len(lost)))
        owner, near = np.concatenate([f[0] for f in found], axis=1)
        dist = np.concatenate([f[1] for f in found])
        keys = _rule_keys(
            index, options.rule, near, None if footprint is None else footprint[owner]
        )
        win = _pick(owner, keys)
        grid[owner[win]] = near[win]
        how[owner[win]] = _NEAREST
        distance[owner[win]] = dist[win]
    return grid, how, distance


# --------------------------------------------------------------------------- buildings


@dataclass(frozen=True)
class _Buildings:
    geoms: np.ndarray  # building geometries, invalid footprints made valid
    polygonal: np.ndarray  # bool
    of_household: np.ndarray  # building position of each household, -1 when unknown
    footprint: np.ndarray  # polygon footprint of each household's building, None otherwise


def _prepare_buildings(
    households: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, column: str
) -> _Buildings:
    if column not in households.columns:
        columns = ", ".join(map(str, households.columns))
        msg = (
            f"layer 'households' has no {column!r} column (columns: {columns}); "
            "buildings= links households to buildings through it: add it, or leave out buildings="
        )
        raise LayerError(msg)
    geoms = buildings.geometry.to_numpy().copy()
    polygonal = shapely.get_type_id(geoms) != shapely.GeometryType.POINT
    broken = polygonal & ~shapely.is_valid(geoms)
    geoms[broken] = shapely.make_valid(geoms[broken])  # new objects, for areas only
    building_ids = pd.Index(buildings[column].to_numpy(dtype=object).astype(str))
    linked = _normalise_ids(households[column]).to_numpy(dtype=object)
    known = pd.notna(linked)
    of_household = np.full(len(linked), -1, dtype=np.int64)
    of_household[known] = building_ids.get_indexer(linked[known].astype(str))
    footprint = np.full(len(linked), None, dtype=object)
    has = of_household >= 0
    has[has] = polygonal[of_household[has]]
    footprint[has] = geoms[of_household[has]]
    return _Buildings(geoms, polygonal, of_household, footprint)


def _building_grids(
    index: _GridIndex, buildings: _Buildings, rule: str, run: _Runner
) -> np.ndarray:
    """Grid holding the largest share of each building footprint (-1 when none)."""
    result = np.full(len(buildings.geoms), -1, dtype=np.int64)
    poly = np.flatnonzero(buildings.polygonal)
    if len(poly):
        which, g = index.tree.query(buildings.geoms[poly], predicate="intersects")
        footprints = buildings.geoms[poly][which]
        whole = shapely.contains(index.safe[g], footprints)
        area = np.where(whole, shapely.area(footprints), 0.0)
        part = ~whole
        area[part] = shapely.area(shapely.intersection(footprints[part], index.safe[g[part]]))
        positive = area > 0
        which, g, area = which[positive], g[positive], area[positive]
        second = g if rule == "first_in_layer" else index.id_rank[g]
        win = _pick(which, [-area, second])
        result[poly[which[win]]] = g[win]
    points = np.flatnonzero(~buildings.polygonal)
    if len(points):
        options = _Options("smallest_id" if rule != "first_in_layer" else rule, "unassigned", None)
        geoms = buildings.geoms[points]
        xy = shapely.get_coordinates(geoms)
        grid, _, _ = _classify(index, geoms, xy, options, footprint=None, run=run)
        result[points] = grid
    return result


# --------------------------------------------------------------------------- assign


def _check_options(
    on_boundary: str, outside: str, max_distance: float | None, has_buildings: bool
) -> float | None:
    if on_boundary not in _BOUNDARY_RULES:
        msg = f"on_boundary={on_boundary!r} is not one of {', '.join(map(repr, _BOUNDARY_RULES))}"
        raise ValueError(msg)
    if outside not in _OUTSIDE_RULES:
        msg = f"outside={outside!r} is not one of {', '.join(map(repr, _OUTSIDE_RULES))}"
        raise ValueError(msg)
    if on_boundary == "largest_overlap_building" and not has_buildings:
        msg = (
            "on_boundary='largest_overlap_building' needs the building footprints: pass buildings="
        )
        raise ValueError(msg)
    if outside != "nearest":
        if max_distance is not None:
            msg = (
                f"max_distance={max_distance!r} only applies with outside='nearest'; "
                "pass outside='nearest' too, or leave max_distance out"
            )
            raise ValueError(msg)
        return None
    if max_distance is None:
        msg = (
            "outside='nearest' needs max_distance= (metres): households farther than that "
            "from every grid stay unassigned; pass max_distance=float('inf') for no limit"
        )
        raise ValueError(msg)
    if not float(max_distance) > 0:
        msg = f"max_distance must be a positive number of metres, got {max_distance!r}"
        raise ValueError(msg)
    return None if math.isinf(max_distance) else float(max_distance)


def _named_layers(
    layers: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame], id_column: str
) -> dict[str, gpd.GeoDataFrame]:
    if isinstance(layers, gpd.GeoDataFrame):
        frame = validate_layer(layers, kind="grids", id_column=id_column)
        name = "grid"
        if "network" in frame.columns:
            names = sorted({str(v) for v in frame["network"].dropna().unique()})
            if len(names) > 1:
                msg = (
                    f"layer 'grids' holds several networks ({', '.join(names)}); pass one frame "
                    "per network as a dict, e.g. dict(tuple(grids.groupby('network')))"
                )
                raise LayerError(msg)
            name = names[0] if names else name
        return {name: frame}
    if not isinstance(layers, Mapping) or not layers:
        msg = (
            "layers must be a grid GeoDataFrame or a non-empty dict {network: GeoDataFrame}, "
            f"got {type(layers).__name__}"
        )
        raise LayerError(msg)
    out: dict[str, gpd.GeoDataFrame] = {}
    for name, frame in layers.items():
        if not isinstance(name, str) or not name:
            msg = f"network names must be non-empty strings, got {name!r}"
            raise LayerError(msg)
        out[name] = validate_layer(frame, kind="grids", id_column=id_column, name=name)
    return out


def _ranks(ids: np.ndarray) -> np.ndarray:
    """Rank of each id compared as text (ties, i.e. duplicates, by position).

    Examples
    --------
    >>> _ranks(np.array(["b", "a", "c"], dtype=object)).tolist()
    [1, 0, 2]
    """
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(np.asarray(ids).astype(str), kind="stable")] = np.arange(len(ids))
    return rank


def _with_null(ids: np.ndarray) -> np.ndarray:
    """`ids` followed by ``None``, so that position ``-1`` reads as null."""
    return np.concatenate([ids.astype(object), np.array([None], dtype=object)])


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def assign(
    households: gpd.GeoDataFrame,
    layers: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
    *,
    on_boundary: BoundaryRule = "smallest_id",
    outside: OutsideRule = "unassigned",
    max_distance: float | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    id_column: str = "household_id",
    grid_id_column: str = "grid_id",
    building_column: str = "building_id",
    progress: bool = False,
) -> pd.DataFrame:
    """Assign every household to exactly one grid of each network, and say how.

    A household whose point lies strictly inside one grid gets it (``inside``).
    A point on a boundary (shared edge or vertex, outer boundary of one grid)
    or inside several overlapping grids gets one of its candidates by the
    `on_boundary` rule (``boundary``).  A point in no grid stays
    ``unassigned``, or with ``outside="nearest"`` gets the nearest grid within
    `max_distance` (``nearest``).  With `buildings`, all households of a
    building then go to the grid holding the largest share of its footprint
    (``building`` where that changes their grid), so no building is split.

    Parameters
    ----------
    households : GeoDataFrame
        Household points with a unique `id_column`.
    layers : GeoDataFrame or dict of str to GeoDataFrame
        One grid layer, or ``{network: layer}``.  A single layer is named by
        the single value of its ``network`` column, or ``"grid"`` without one.
    on_boundary : {"smallest_id", "first_in_layer", "largest_overlap_building"}
        How a point with several candidate grids (and a tie of nearest or of
        building shares) is decided: the smallest grid id compared as strings;
        the grid that comes first in the layer; the grid holding the largest
        area of the household's building footprint (needs `buildings`;
        households without a footprint, and ties, fall back to the smallest id).
    outside : {"unassigned", "nearest"}
        What to do with a household in no grid.
    max_distance : float, optional
        With ``outside="nearest"`` (and only then; required there), the
        largest distance in metres to the nearest grid; ``float("inf")`` for
        no limit.
    buildings : GeoDataFrame, optional
        Building footprints (Polygon, or Point for buildings without one) with
        a unique `building_column`; households link to them through their own
        `building_column`.  A polygon goes to the grid holding the largest
        area of it (ties by the `on_boundary` rule); a point building to the
        grid its point gets.  Households whose building is missing from
        `buildings`, or lies in no grid, keep the grid of their own point.
    id_column, grid_id_column, building_column : str
        Id columns of households, grids and buildings.
    progress : bool, default False
        Show a progress bar over the chunks of households.

    Returns
    -------
    DataFrame
        Indexed by the household ids (index named `id_column`) in input
        order; per network three columns: ``<network>`` (grid id, ``None``
        when unassigned, object dtype), ``<network>_how`` (categorical with
        the categories of :data:`HOW`) and ``<network>_distance`` (0 inside,
        on a boundary or by building, metres to the grid for ``nearest``,
        NaN when unassigned).

    Raises
    ------
    CRSError
        When the layers are not all in the same CRS, or, for
        ``outside="nearest"`` and `buildings` (distances and areas), when
        that CRS is not metric.
    LayerError
        When a layer is malformed (see :func:`gridgov.validate_layer`), e.g.
        duplicated grid ids.
    ValueError
        For an unknown option value or `max_distance` without
        ``outside="nearest"``.

    See Also
    --------
    summarize_assignment : the load of every grid.
    assign_by_network : nearest service station along the roads.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> grids = gpd.GeoDataFrame({"grid_id": ["b", "a"]},
    ...                          geometry=[box(100, 0, 200, 100), box(0, 0, 100, 100)],
    ...                          crs="EPSG:4549")
    >>> homes = gpd.GeoDataFrame({"household_id": ["h1", "h2", "h3"]},
    ...                          geometry=[Point(50, 50), Point(100, 50), Point(230, 50)],
    ...                          crs="EPSG:4549")
    >>> assign(homes, {"governance": grids}, outside="nearest", max_distance=50)
                 governance governance_how  governance_distance
    household_id
    h1                    a         inside                  0.0
    h2                    a       boundary                  0.0
    h3                    b        nearest                 30.0
    """
    limit = _check_options(on_boundary, outside, max_distance, buildings is not None)
    homes = validate_layer(households, kind="households", id_column=id_column, allow_empty=True)
    grids = _named_layers(layers, grid_id_column)
    blds = (
        None
        if buildings is None
        else validate_layer(buildings, kind="buildings", id_column=building_column)
    )
    crs_layers: dict[str, Any] = {"households": homes}
    for name, frame in grids.items():
        crs_layers[name if name not in ("households", "buildings") else f"{name} (grids)"] = frame
    crs_layers["buildings"] = blds
    if outside == "nearest" or blds is not None:
        require_metric(crs_layers)
    else:
        require_same_crs(crs_layers)
    return _assign_valid(
        homes,
        grids,
        blds,
        options=_Options(on_boundary, outside, limit),
        id_column=id_column,
        grid_id_column=grid_id_column,
        building_column=building_column,
        progress=progress,
    )


def _assign_valid(
    homes: gpd.GeoDataFrame,
    grids: dict[str, gpd.GeoDataFrame],
    blds: gpd.GeoDataFrame | None,
    *,
    options: _Options,
    id_column: str,
    grid_id_column: str,
    building_column: str,
    progress: bool,
    threads: int | None = None,
) -> pd.DataFrame:
    """:func:`assign` on layers that ``validate_layer`` returned, in one CRS (checked).

    `threads` caps the worker threads (default: one per core, at most four).
    """
    points = homes.geometry.to_numpy()
    xy = point_xy(points)
    n = len(points)
    linked = None if blds is None else _prepare_buildings(homes, blds, building_column)
    threads = min(threads or _threads(), _threads()) if n >= 2 * _CHUNK_SIZE else 1

    index_column = pd.Index(homes[id_column].to_numpy(dtype=object), dtype=object, name=id_column)
    columns: dict[str, Any] = {}
    with (
        tqdm(total=0, disable=not progress, unit="step", desc="assign") as bar,
        ThreadPoolExecutor(threads) if threads > 1 else nullcontext() as pool,
    ):
        run = _Runner(pool, bar)
        for name, frame in grids.items():
            bar.set_postfix_str(name)
            index, grid, how, distance = _network_rows(
                frame, points, xy, options, grid_id_column, linked=linked, run=run
            )
            ids = _with_null(index.ids)
            columns[name] = pd.Series(ids[grid], index=index_column, dtype=object)
            columns[f"{name}_how"] = pd.Series(
                pd.Categorical.from_codes(how, dtype=_HOW_DTYPE), index=index_column
            )
            columns[f"{name}_distance"] = pd.Series(distance, index=index_column)
    return pd.DataFrame(columns, index=index_column)


def _network_rows(
    frame: gpd.GeoDataFrame,
    points: np.ndarray,
    xy: np.ndarray,
    options: _Options,
    grid_id_column: str,
    *,
    linked: Any,
    run: _Runner,
) -> tuple[_GridIndex, np.ndarray, np.ndarray, np.ndarray]:
    """Assign `points` to the grids of one validated `frame`.

    Returns its index, and per point the row of its grid (-1: none), how
    (code of ``HOW``) and the distance.
    """
    index = _GridIndex.build(frame, grid_id_column, points=len(points), run=run)
    footprint = (
        linked.footprint
        if linked is not None and options.rule == "largest_overlap_building"
        else None
    )
    grid, how, distance = _classify(index, points, xy, options, footprint=footprint, run=run)
    if linked is not None:
        target = np.full(len(points), -1, dtype=np.int64)
        has = linked.of_household >= 0
        by_building = _building_grids(index, linked, options.rule, run)
        target[has] = by_building[linked.of_household[has]]
        moved = target >= 0
        changed = moved & (target != grid)
        grid[moved] = target[moved]
        how[changed] = _BUILDING
        distance[changed] = 0.0
    return index, grid, how, distance


def _rows(
    homes: gpd.GeoDataFrame, frame: gpd.GeoDataFrame, *, options: _Options, grid_id_column: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return the row of `frame` holding each household (-1: none), and whether it is unassigned.

    :func:`assign`'s core on validated layers, for one network, on one
    thread, without building id columns (``check`` needs rows).
    """
    points = homes.geometry.to_numpy()
    with tqdm(total=0, disable=True) as bar:
        _, grid, how, _ = _network_rows(
            frame,
            points,
            point_xy(points),
            options,
            grid_id_column,
            linked=None,
            run=_Runner(None, bar),
        )
    return grid.astype(np.int64), how == _UNASSIGNED


# --------------------------------------------------------------------------- summary


def _networks_of(result: pd.DataFrame) -> list[str]:
    networks = [
        str(c)
        for c in result.columns
        if f"{c}_how" in result.columns and f"{c}_distance" in result.columns
    ]
    if not networks:
        columns = ", ".join(map(str, result.columns))
        msg = (
            "result is not an assignment: no network has the three columns <network>, "
            f"<network>_how and <network>_distance (columns: {columns}); "
            "pass what gg.assign returns"
        )
        raise ValueError(msg)
    return networks


def _how_codes(values: pd.Series, network: str) -> np.ndarray:
    if isinstance(values.dtype, pd.CategoricalDtype) and list(values.cat.categories) == list(HOW):
        codes = values.cat.codes.to_numpy(dtype=np.int64)
    else:
        codes = pd.Categorical(values.astype(object), categories=list(HOW)).codes.astype(np.int64)
    if (codes < 0).any():
        found = sorted({str(v) for v in values[codes < 0].tolist()})
        msg = f"column {network + '_how'!r} holds unknown values {found}; expected {list(HOW)}"
        raise ValueError(msg)
    return codes


def summarize_assignment(
    result: pd.DataFrame,
    *,
    households: gpd.GeoDataFrame | None = None,
    layers: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame] | None = None,
    id_column: str = "household_id",
    grid_id_column: str = "grid_id",
) -> pd.DataFrame:
    """Count the households of every grid, in total and by how they were assigned.

    This is the load table of the scale rule: one row per network and grid,
    plus one row per network for the unassigned households (grid id null),
    so that the counts of a network add up to the number of households.

    Parameters
    ----------
    result : DataFrame
        What :func:`assign` returned.
    households : GeoDataFrame, optional
        The households, to add up their ``persons`` column per grid (missing
        values count as 0).
    layers : GeoDataFrame or dict of str to GeoDataFrame, optional
        The grid layers given to :func:`assign`; grids without any household
        then get a row with zero counts.
    id_column, grid_id_column : str
        Id columns of households and grids.

    Returns
    -------
    DataFrame
        Columns ``network``, ``grid_id`` (``None`` on the unassigned row),
        ``households`` and one count column per value of :data:`HOW`
        (``inside``, ``boundary``, ``nearest``, ``building``,
        ``unassigned``), plus ``persons`` when `households` is given.  Rows
        follow the networks of `result`, grid ids sorted as strings, the
        unassigned row last.

    See Also
    --------
    assign : the assignment summarised here.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> grids = gpd.GeoDataFrame({"grid_id": ["a", "b", "c"]},
    ...                          geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100),
    ...                                    box(200, 0, 300, 100)], crs="EPSG:4549")
    >>> homes = gpd.GeoDataFrame({"household_id": ["h1", "h2", "h3"], "persons": [3, 2, 4]},
    ...                          geometry=[Point(50, 50), Point(100, 50), Point(500, 50)],
    ...                          crs="EPSG:4549")
    >>> result = assign(homes, grids)
    >>> summary = summarize_assignment(result, households=homes, layers=grids)
    >>> summary[["network", "grid_id", "households", "inside", "boundary", "persons"]]
      network grid_id  households  inside  boundary  persons
    0    grid       a           2       1         1      5.0
    1    grid       b           0       0         0      0.0
    2    grid       c           0       0         0      0.0
    3    grid    None           1       0         0      4.0
    """
    networks = _networks_of(result)
    persons = None
    if households is not None:
        homes = validate_layer(households, kind="households", id_column=id_column, allow_empty=True)
        if "persons" not in homes.columns:
            msg = "layer 'households' has no 'persons' column to add up; leave out households="
            raise LayerError(msg)
        by_id = pd.Series(
            homes["persons"].to_numpy(dtype=np.float64),
            index=pd.Index(homes[id_column].to_numpy(dtype=object)),
        )
        wanted = pd.Index(result.index.to_numpy(dtype=object).astype(str))
        where = by_id.index.get_indexer(wanted)
        if (where < 0).any():
            missing = wanted[where < 0].tolist()
            msg = (
                f"layer 'households' lacks {len(missing)} household(s) of the result "
                f"(ids {', '.join(map(repr, missing[:5]))}); pass the households given to gg.assign"
            )
            raise LayerError(msg)
        persons = np.nan_to_num(by_id.to_numpy()[where])
    known = {} if layers is None else _named_layers(layers, grid_id_column)

    tables = []
    for network in networks:
        ids = result[network].to_numpy(dtype=object)
        assigned = pd.notna(ids)
        codes = _how_codes(result[f"{network}_how"], network)
        universe = {str(v) for v in ids[assigned]}
        if network in known:
            universe |= {str(v) for v in known[network][grid_id_column]}
        grid_ids = np.array(sorted(universe), dtype=object)
        position = np.full(len(ids), len(grid_ids), dtype=np.int64)
        position[assigned] = pd.Index(grid_ids).get_indexer(ids[assigned].astype(str))
        rows = len(grid_ids) + 1
        counts = np.bincount(position * len(HOW) + codes, minlength=rows * len(HOW))
        counts = counts.reshape(rows, len(HOW))
        table = pd.DataFrame(
            {
                "network": pd.Series([network] * rows, dtype=object),
                "grid_id": pd.Series([*grid_ids, None], dtype=object),
                "households": counts.sum(axis=1),
                **{how: counts[:, i] for i, how in enumerate(HOW)},
            }
        )
        if persons is not None:
            table["persons"] = np.bincount(position, weights=persons, minlength=rows)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


# --------------------------------------------------------------------------- along roads


def assign_by_network(
    households: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    max_distance: float,
    snap_tolerance: float = 100.0,
    id_column: str = "household_id",
    station_id_column: str = "station_id",
) -> pd.DataFrame:
    """Nearest service station of every household along the roads, and whether it is served.

    The road lines are noded at every intersection into a graph weighted by
    length (:func:`gridgov.graph.road_network`).  Households and stations are
    snapped to the nearest road; a station becomes a node splitting its road,
    so a household on the same road is measured along it.  Each household
    gets the station with the smallest network distance, snap distances of
    both ends included (ties: the smallest station id, compared as strings).
    It is ``served`` when that distance is at most `max_distance`, else
    ``unreachable`` with the reason.  This measures the service gaps:
    households farther than `max_distance` of walking from every station.

    Parameters
    ----------
    households : GeoDataFrame
        Household points.
    stations : GeoDataFrame
        Service station points with a unique `station_id_column` (may be empty).
    roads : GeoDataFrame
        Road or path lines.
    max_distance : float
        Largest walking distance in metres for a household to count as served.
    snap_tolerance : float, default 100.0
        Largest distance in metres from a household or station to the nearest
        road.  Farther households are ``unreachable`` (reason ``off_road``);
        farther stations serve no one (a :class:`~gridgov.GridgovWarning` names them).
    id_column, station_id_column : str
        Id columns of households and stations.

    Returns
    -------
    DataFrame
        Indexed by household id in input order, with columns ``station_id``
        (``None`` when unreachable), ``distance`` (network metres including
        both snap distances; ``inf`` off the roads or with no station in the
        connected part of the network), ``snap_distance`` (household to road),
        ``status`` (categorical: ``served``, ``unreachable``) and ``reason``
        (categorical: ``off_road``, ``disconnected``, ``beyond_max_distance``;
        NaN when served).

    Raises
    ------
    CRSError
        When the layers are not all in the same metric CRS.
    ValueError
        When `max_distance` or `snap_tolerance` is not a positive number.

    See Also
    --------
    assign : households to grids by geometry.
    gridgov.graph.road_network : the road graph.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> roads = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1000, 0)]),
    ...                                    LineString([(500, 0), (500, 400)])], crs="EPSG:4549")
    >>> stations = gpd.GeoDataFrame({"station_id": ["s1"]}, geometry=[Point(100, 10)],
    ...                             crs="EPSG:4549")
    >>> homes = gpd.GeoDataFrame({"household_id": ["h1", "h2", "h3"]},
    ...                          geometry=[Point(300, -5), Point(510, 300), Point(900, 300)],
    ...                          crs="EPSG:4549")
    >>> assign_by_network(homes, stations, roads, max_distance=800)
                 station_id  distance  snap_distance       status    reason
    household_id
    h1                   s1     215.0            5.0       served       NaN
    h2                   s1     720.0           10.0       served       NaN
    h3                 None       inf          300.0  unreachable  off_road
    """
    for option, value in (("max_distance", max_distance), ("snap_tolerance", snap_tolerance)):
        if not float(value) > 0:
            msg = f"{option} must be a positive number of metres, got {value!r}"
            raise ValueError(msg)
    homes = validate_layer(households, kind="households", id_column=id_column, allow_empty=True)
    posts = validate_layer(stations, kind="stations", id_column=station_id_column, allow_empty=True)
    lines = validate_layer(roads, kind="roads", allow_empty=True)
    require_metric({"households": homes, "stations": posts, "roads": lines})
    return _by_network_valid(
        homes,
        posts,
        lines,
        max_distance=max_distance,
        snap_tolerance=snap_tolerance,
        id_column=id_column,
        station_id_column=station_id_column,
    )


def _by_network_valid(
    homes: gpd.GeoDataFrame,
    posts: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    *,
    max_distance: float,
    snap_tolerance: float,
    id_column: str,
    station_id_column: str,
) -> pd.DataFrame:
    """:func:`assign_by_network` on layers that ``validate_layer`` returned, in metres."""
    station_ids = posts[station_id_column].to_numpy(dtype=object)
    found = _network_distances(
        homes.geometry.to_numpy(),
        posts,
        lines,
        max_distance=max_distance,
        snap_tolerance=snap_tolerance,
        station_id_column=station_id_column,
    )
    # station of each rank (the labels of the network distances), then null
    by_rank = _with_null(station_ids[np.argsort(station_ids.astype(str), kind="stable")])
    distance, snapped, label, reason = found
    served = reason < 0
    index = pd.Index(homes[id_column].to_numpy(dtype=object), dtype=object, name=id_column)
    return pd.DataFrame(
        {
            "station_id": pd.Series(
                by_rank[np.where(served, label, -1)], index=index, dtype=object
            ),
            "distance": pd.Series(distance, index=index),
            "snap_distance": pd.Series(snapped, index=index),
            "status": pd.Series(
                pd.Categorical.from_codes(np.where(served, 0, 1), dtype=_STATUS_DTYPE),
                index=index,
            ),
            "reason": pd.Series(
                pd.Categorical.from_codes(reason, dtype=_REASON_DTYPE), index=index
            ),
        },
        index=index,
    )


def _network_distances(
    points: np.ndarray,
    posts: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    *,
    max_distance: float,
    snap_tolerance: float,
    station_id_column: str,
    prune: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Compute the arrays of :func:`assign_by_network` for household `points` (valid layers).

    With `prune`, households that :func:`gridgov.graph.certainly_within`
    proves to be within `max_distance` (and within `snap_tolerance` of a
    road) are not snapped: their distances are NaN, their label -1 and their
    reason -1 (served).  ``check`` uses this: it reports only the others.

    Returns
    -------
    distance : ndarray of float
        Network distance to the nearest station, snap distance included (inf
        when unreachable).
    snap_distance : ndarray of float
        Distance to the nearest road.
    label : ndarray of int
        Rank (by station id) of the nearest station.
    reason : ndarray of int8
        Position in ``_REASONS`` of why the household is not served, -1 when
        it is.
    """
    network = graph.road_network(lines.geometry.to_numpy())
    station_ids = posts[station_id_column].to_numpy(dtype=object)
    rank = _ranks(station_ids)
    at_station = network.snap(posts.geometry.to_numpy())
    off_road = at_station.distance > snap_tolerance
    if off_road.any():
        far = station_ids[off_road].tolist()
        warnings.warn(
            f"{len(far)} station(s) farther than snap_tolerance={snap_tolerance} m from every "
            f"road serve no household (ids {', '.join(map(repr, far[:5]))}); "
            "check their positions or raise snap_tolerance",
            GridgovWarning,
            stacklevel=4,
        )
    sources = graph.Snap(
        np.where(off_road, -1, at_station.piece), at_station.along, at_station.distance
    )
    field = graph.source_field(network, sources, offsets=at_station.distance, labels=rank)
    n = len(points)
    distance, snapped = np.full(n, np.nan), np.full(n, np.nan)
    label = np.full(n, -1, dtype=np.int64)
    reason = np.full(n, -1, dtype=np.int8)
    rows = np.arange(n)
    if prune and field is not None:
        rows = np.flatnonzero(
            ~graph.certainly_within(field, points, min(max_distance, snap_tolerance))
        )
    at_home = network.snap(np.asarray(points, dtype=object)[rows])
    home_off = at_home.distance > snap_tolerance
    targets = graph.Snap(np.where(home_off, -1, at_home.piece), at_home.along, at_home.distance)
    if field is None:
        along, nearest = np.full(len(rows), np.inf), np.full(len(rows), -1, dtype=np.int64)
    else:
        along, nearest = field.evaluate(targets)
    far_away = along + at_home.distance
    far_away[home_off] = np.inf
    reachable = np.isfinite(far_away)
    served = reachable & (far_away <= max_distance)
    why = np.full(len(rows), -1, dtype=np.int8)
    why[~reachable] = _REASONS.index("disconnected")
    why[home_off] = _REASONS.index("off_road")
    why[reachable & ~served] = _REASONS.index("beyond_max_distance")
    distance[rows], snapped[rows], label[rows], reason[rows] = (
        far_away,
        at_home.distance,
        nearest,
        why,
    )
    return distance, snapped, label, reason
