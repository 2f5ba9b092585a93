"""The point-in-polygon index: which grid of a layer holds each point, and how.

:class:`GridIndex` prepares one validated grid layer for point queries and
:func:`classify` answers them for an array of points: the grid position of
each point (``-1`` for none), its how code (:mod:`gridgov._core.assignment`)
and its distance.  A point strictly inside one grid is ``INSIDE``; a point on
a boundary (a shared edge or vertex, the outer boundary of one grid) or
inside several overlapping grids is ``BOUNDARY`` and gets one candidate by
the rule of :class:`AssignOptions`; a point in no grid is ``UNASSIGNED``, or
``NEAREST`` with ``outside="nearest"``.  Ties are never left to the order of
a spatial index.

How it is fast.  The raster screen (:mod:`gridgov._core.raster`) classifies
the points in cells that no boundary touches by a table lookup.  Only the
other points go to the exact GEOS predicates (the grids query an STRtree of
those points with ``intersects``, then ``contains_xy`` tells interior from
boundary), and only points outside every grid to ``query_nearest``.  The
result is the one the exact predicates give for every point; the raster only
decides which points need them.  The queries run on a thread pool
(:class:`gridgov._core.threads.Runner`): shapely releases the GIL inside
``STRtree.query`` and ``query_nearest``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from tqdm import tqdm

from gridgov._core.assignment import BOUNDARY, INSIDE, NEAREST, UNASSIGNED
from gridgov._core.coords import point_xy
from gridgov._core.layerinfo import layer_info
from gridgov._core.raster import Raster, screen
from gridgov._core.threads import Runner, batches

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "AssignOptions",
    "GridIndex",
    "classify",
    "household_rows",
    "intersecting",
    "pick",
    "ranks",
    "rule_keys",
    "with_null",
]


@dataclass(frozen=True)
class GridIndex:
    """One validated grid layer, ready for point queries.

    Built by :meth:`build`; positions into `geoms` (the layer's rows) are
    what :func:`classify` returns.
    """

    geoms: np.ndarray  # the grids (never prepared here: the caller's objects stay untouched)
    safe: np.ndarray  # made valid where needed, for area computations
    ids: np.ndarray  # grid ids as str (object array)
    id_rank: np.ndarray  # rank of each grid by id, compared as strings
    tree: shapely.STRtree
    raster: Raster | None

    @classmethod
    def build(
        cls, frame: gpd.GeoDataFrame, id_column: str, *, points: int, run: Runner
    ) -> GridIndex:
        """Index the grids of `frame` for `points` households (which decides the raster)."""
        geoms = frame.geometry.to_numpy()
        ids = frame[id_column].to_numpy(dtype=object)
        info = layer_info(frame)
        if info is not None and info.kind == "grids" and info.invalid_ids is not None:
            valid = ~np.isin(ids.astype(str), np.asarray(info.invalid_ids, dtype=str))
        else:  # pragma: no cover - frames reach here through validate_layer
            valid = shapely.is_valid(geoms)
        tree = shapely.STRtree(geoms)
        tree.query(geoms[:1])  # build the tree now, before threads share it
        raster = screen(geoms, valid, points, run)
        safe = geoms.copy()
        if not valid.all():
            safe[~valid] = shapely.make_valid(geoms[~valid])
        return cls(geoms, safe, ids, ranks(ids), tree, raster)


@dataclass(frozen=True)
class AssignOptions:
    """The options of one assignment, checked by ``gg.assign``.

    Attributes
    ----------
    rule : str
        The ``on_boundary`` rule: ``smallest_id``, ``first_in_layer`` or
        ``largest_overlap_building``.
    outside : str
        ``unassigned`` or ``nearest``.
    max_distance : float or None
        With ``outside="nearest"``, the largest distance in metres (None: no limit).
    """

    rule: str
    outside: str
    max_distance: float | None


def rule_keys(
    index: GridIndex, rule: str, grid: np.ndarray, footprint: np.ndarray | None
) -> list[np.ndarray]:
    """Return the sort keys of candidate grids by `rule`, primary first: the smallest wins."""
    if rule == "first_in_layer":
        return [grid]
    if rule == "largest_overlap_building" and footprint is not None:
        area = np.zeros(len(grid))
        has = ~shapely.is_missing(footprint)
        if has.any():
            area[has] = shapely.area(shapely.intersection(footprint[has], index.safe[grid[has]]))
        return [-area, index.id_rank[grid]]
    return [index.id_rank[grid]]


def pick(owner: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """Return the positions of the winning candidate of each owner (smallest keys)."""
    order = np.lexsort((*reversed(keys), owner))
    first = np.ones(len(order), dtype=bool)
    first[1:] = owner[order][1:] != owner[order][:-1]
    return order[first]


def intersecting(
    index: GridIndex, points: np.ndarray, run: Runner
) -> tuple[np.ndarray, np.ndarray]:
    """Return all (point, grid) pairs where the point intersects the grid (interior or boundary).

    The points go into a tree and the grids query it, so that GEOS prepares
    each grid once and runs one indexed point-in-polygon test per candidate.
    """
    tree = shapely.STRtree(points)
    tree.query(points[:1])  # build the tree now, before threads share it
    groups = batches(len(index.geoms), max(256, len(index.geoms) // 16))

    def query(part: slice) -> np.ndarray:
        pairs: np.ndarray = tree.query(index.geoms[part], predicate="intersects")
        pairs[0] += part.start
        return pairs

    pairs = np.concatenate(run.map(query, groups), axis=1)
    return pairs[1], pairs[0]


def classify(
    index: GridIndex,
    points: np.ndarray,
    xy: np.ndarray,
    options: AssignOptions,
    *,
    footprint: np.ndarray | None,
    run: Runner,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the grid position (-1: none), the how code and the distance of each point.

    `points` are non-empty points and `xy` their coordinates; `footprint`
    the building footprint of each point (for ``largest_overlap_building``)
    or None.
    """
    n = len(points)
    grid = np.full(n, -1, dtype=np.int64)
    how = np.full(n, UNASSIGNED, dtype=np.int8)
    distance = np.full(n, np.nan)
    if index.raster is not None:
        state = index.raster.lookup(xy)
        inside = state >= 0
        grid[inside] = state[inside]
        how[inside] = INSIDE
        distance[inside] = 0.0
        slow = np.flatnonzero(state == -2)
        outside = [np.flatnonzero(state == -1)]
    else:
        slow = np.arange(n)
        outside = []

    if len(slow):
        pair_point, pair_grid = intersecting(index, points[slow], run)
        count = np.bincount(pair_point, minlength=len(slow))
        single = count[pair_point] == 1
        at, g = slow[pair_point[single]], pair_grid[single]
        strict = np.concatenate(
            run.map(
                lambda part: shapely.contains_xy(
                    index.geoms[g[part]], xy[at[part], 0], xy[at[part], 1]
                ),
                batches(len(at)),
            )
            or [np.zeros(0, dtype=bool)]
        )
        grid[at] = g
        how[at] = np.where(strict, INSIDE, BOUNDARY)
        distance[at] = 0.0
        several = ~single
        if several.any():
            owner, g = slow[pair_point[several]], pair_grid[several]
            keys = rule_keys(
                index, options.rule, g, None if footprint is None else footprint[owner]
            )
            win = pick(owner, keys)
            grid[owner[win]] = g[win]
            how[owner[win]] = BOUNDARY
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

        found = run.map(nearest, batches(len(lost)))
        owner, near = np.concatenate([f[0] for f in found], axis=1)
        dist = np.concatenate([f[1] for f in found])
        keys = rule_keys(index, options.rule, near, None if footprint is None else footprint[owner])
        win = pick(owner, keys)
        grid[owner[win]] = near[win]
        how[owner[win]] = NEAREST
        distance[owner[win]] = dist[win]
    return grid, how, distance


def ranks(ids: np.ndarray) -> np.ndarray:
    """Return the rank of each id compared as text (ties, i.e. duplicates, by position).

    Examples
    --------
    >>> ranks(np.array(["b", "a", "c"], dtype=object)).tolist()
    [1, 0, 2]
    """
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(np.asarray(ids).astype(str), kind="stable")] = np.arange(len(ids))
    return rank


def with_null(ids: np.ndarray) -> np.ndarray:
    """Return `ids` followed by ``None``, so that position ``-1`` reads as null."""
    return np.concatenate([ids.astype(object), np.array([None], dtype=object)])


def household_rows(
    homes: gpd.GeoDataFrame,
    frame: gpd.GeoDataFrame,
    *,
    options: AssignOptions,
    grid_id_column: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the row of `frame` holding each household (-1: none), and whether it is unassigned.

    The core of ``gg.assign`` on validated layers (`homes` and the grids
    `frame`, in one CRS), for one network, on one thread, without building
    id columns (``gg.check`` needs rows).
    """
    points = homes.geometry.to_numpy()
    with tqdm(total=0, disable=True) as bar:
        run = Runner(None, bar)
        index = GridIndex.build(frame, grid_id_column, points=len(points), run=run)
        grid, how, _ = classify(index, points, point_xy(points), options, footprint=None, run=run)
    return grid.astype(np.int64), how == UNASSIGNED
