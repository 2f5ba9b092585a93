"""The grid- and tile-scope rules of the distributed check, tile by tile with a halo.

Part of :mod:`gridgov.distributed`; see its documentation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from gridgov.distributed._cluster import _compute, _module

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import geopandas as gpd
from gridgov.distributed._dispatch import _dispatch, _running, _wanted

#: Target number of grids per tile when ``tile_size`` is not given.
TILE_GRIDS = 2_000
#: Distance (m) kept between a gap and the edge of the window it is measured
#: in for the gap to count as complete (more than the 0.01 m within which the
#: gap rule names the grids around a gap).
_GAP_CLEARANCE = 1.0
#: Slack (m) of the tile a gap's representative vertex is claimed in; claims
#: of the same gap by two tiles are merged.
_CLAIM_SLACK = 1e-6


@dataclass(frozen=True)
class _CheckContext:
    """Everything a tile needs: the validated layers and their bounds, sent once to each worker.

    ``grids`` is the validated layer sorted like :class:`gridgov.rules.base.Grids`
    sorts it, so row ``i`` here is row ``i`` of the client's ``Grids``.
    ``outer`` is the union of the jurisdiction, as :func:`gridgov.check`
    computes it, and ``edge_chunks`` its boundary cut into runs of
    consecutive segments (the segments unchanged), so that the rules that
    measure against them compute exactly what the in-memory check computes.
    """

    grids: gpd.GeoDataFrame
    grid_bounds: np.ndarray
    unit_geoms: np.ndarray | None
    unit_bounds: np.ndarray | None
    outer: Any
    edge_chunks: np.ndarray | None
    edge_bounds: np.ndarray | None
    parent_ids: np.ndarray | None
    parent_geoms: np.ndarray | None
    parent_bounds: np.ndarray | None
    building_ids: np.ndarray | None
    building_geoms: np.ndarray | None
    building_bounds: np.ndarray | None
    feature_geoms: np.ndarray | None
    feature_bounds: np.ndarray | None
    extent: np.ndarray
    run: Mapping[str, bool]
    rules: Any
    margin: float


@dataclass(frozen=True)
class _TileResult:
    """What one tile found: finding records, overlap pairs, regions, and parents of its grids.

    ``regions`` maps the code of each rule with ``merge="regions"`` to the
    regions found whole in the tile's window, and the bounds of the pieces
    the tile may own that its window cut: each is measured again in a wider
    window around it.
    """

    records: list[pd.DataFrame]
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
    regions: dict[str, tuple[pd.DataFrame, np.ndarray]]
    parents: tuple[np.ndarray, np.ndarray]


def _meeting(bounds: np.ndarray | None, box: Sequence[float]) -> np.ndarray:
    """Positions of the boxes in `bounds` that meet the closed box `box`."""
    if bounds is None or len(bounds) == 0:
        return np.zeros(0, dtype=np.int64)
    x0, y0, x1, y1 = box
    return np.flatnonzero(
        (bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0)
    )


def _owned(points: np.ndarray, tile: Sequence[float], slack: float = 0.0) -> np.ndarray:
    """Whether each point (n, 2) lies in the half-open tile ``[x0, x1) x [y0, y1)``."""
    x0, y0, x1, y1 = tile
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    return (
        (points[:, 0] >= x0 - slack)
        & (points[:, 0] < x1 + slack)
        & (points[:, 1] >= y0 - slack)
        & (points[:, 1] < y1 + slack)
    )


def _lower_left(geoms: np.ndarray) -> np.ndarray:
    """Return the lower-left corner of the bounds of each geometry (n, 2)."""
    if len(geoms) == 0:
        return np.zeros((0, 2))
    out: np.ndarray = shapely.bounds(np.asarray(geoms, dtype=object))[:, :2]
    return out


def _first_vertex(geoms: np.ndarray) -> np.ndarray:
    """Return the vertex of each geometry with the smallest x, then y: a point *on* it."""
    out = np.full((len(geoms), 2), np.nan)
    if len(geoms) == 0:
        return out
    coords, owner = shapely.get_coordinates(np.asarray(geoms, dtype=object), return_index=True)
    if len(coords) == 0:
        return out
    order = np.lexsort((coords[:, 1], coords[:, 0], owner))
    first = np.r_[True, owner[order][1:] != owner[order][:-1]]
    out[owner[order][first]] = coords[order][first]
    return out


def _expand(box: Sequence[float], by: float) -> tuple[float, float, float, float]:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


def _clip_units(geoms: np.ndarray | None, bounds: np.ndarray | None, box: Sequence[float]) -> Any:
    """Return the union of the units that meet `box`, clipped to it (maybe empty)."""
    from gridgov.rules.base import polygonal

    rows = _meeting(bounds, box)
    if geoms is None or not len(rows):
        return shapely.Polygon()
    clipped = polygonal(shapely.clip_by_rect(geoms[rows], *box))
    return polygonal(np.array([shapely.union_all(clipped)], dtype=object))[0]


def _edge_chunks(outer: Any, size: int = 64) -> np.ndarray:
    """Return the boundary of `outer` as lines of at most `size` consecutive segments."""
    chunks: list[Any] = []
    for part in shapely.get_parts(shapely.get_parts(shapely.boundary(outer))):
        coords = shapely.get_coordinates(part)
        chunks.extend(
            shapely.linestrings(coords[i : i + size + 1])
            for i in range(0, max(len(coords) - 1, 1), size)
            if len(coords[i : i + size + 1]) >= 2
        )
    return np.array(chunks, dtype=object)


def _parents_near(
    ctx: _CheckContext, grids: Any, box: Sequence[float]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the parent units near `box`, and those the grids name in ``parent_id``."""
    if ctx.parent_ids is None or ctx.parent_geoms is None:
        return None
    near = _meeting(ctx.parent_bounds, box)
    declared = grids.column("parent_id")
    if declared is not None:
        wanted = [str(p) for p in declared if p is not None]
        named = np.flatnonzero(pd.Index(ctx.parent_ids.astype(str)).isin(wanted))
        near = np.union1d(near, named)
    return ctx.parent_ids[near], ctx.parent_geoms[near]


def _parent_of(grids: Any, parents: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """Return the parent unit id of every grid, as :func:`gridgov.check` finds it."""
    from gridgov.rules import boundary

    if parents is None:
        column = grids.column("parent_id")
        return np.full(len(grids), None, dtype=object) if column is None else column
    ids, geoms = parents
    position, _ = boundary.parent_units(grids, ids, geoms)
    out = np.full(len(position), None, dtype=object)
    out[position >= 0] = ids[position[position >= 0]]
    return out


def _features_near(ctx: _CheckContext, box: Sequence[float]) -> np.ndarray:
    """Return the feature lines near `box`."""
    if ctx.feature_geoms is None:
        return np.zeros(0, dtype=object)
    out: np.ndarray = ctx.feature_geoms[_meeting(ctx.feature_bounds, box)]
    return out


def _edge_near(ctx: _CheckContext, box: Sequence[float]) -> Any:
    """Return the segments of the jurisdiction's boundary near `box` (None without one)."""
    if ctx.edge_chunks is None:
        return None
    return shapely.multilinestrings(ctx.edge_chunks[_meeting(ctx.edge_bounds, box)])


def _grid_rules(ctx: _CheckContext, rows: np.ndarray) -> tuple[list[pd.DataFrame], np.ndarray]:
    """Run the rules of one grid at a time on the grids `rows`, with the context around them.

    The same rule functions as :func:`gridgov.check`, on the same grids; the
    context (jurisdiction, parents, features) is what lies within `margin` of
    the grids, or the very objects the in-memory check measures against (the
    jurisdiction's union and the segments of its boundary), so that the
    measures are the same.  Returns the records and, when
    ``scale.unbalanced_parent`` runs, the parent of each row.
    """
    from gridgov.rules.base import Grids

    run, rules = ctx.run, ctx.rules
    grids = Grids.from_frame(ctx.grids.iloc[rows])
    b = ctx.grid_bounds[rows]
    box = _expand((b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()), ctx.margin)
    parents = _parents_near(ctx, grids, box)
    none = np.zeros(0, dtype=object)
    products: dict[str, Callable[[], Any]] = {
        "rules": lambda: rules,
        "grids": lambda: grids,
        "jurisdiction": lambda: ctx.outer,
        "outer_edge": lambda: _edge_near(ctx, box),
        "parent_ids": lambda: none if parents is None else parents[0],
        "parent_geoms": lambda: none if parents is None else parents[1],
        "features": lambda: _features_near(ctx, box),
    }
    out = [_dispatch(info, products) for info in _running(run, "grid")]
    parent_of = np.full(len(rows), None, dtype=object)
    if _wanted(run, "layer", "parent_of"):
        parent_of = _parent_of(grids, parents)
    return out, parent_of


def _region_pieces(  # noqa: PLR0917 - private, positional like its callers
    ctx: _CheckContext,
    info: Any,
    grids: Any,
    analysed: Any,
    window: Sequence[float],
    tile: Sequence[float],
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the regions of rule `info` complete in `window` that `tile` owns, and cut ones.

    The rule (``merge="regions"``: its findings are regions of the area
    covered by no grid, e.g. ``coverage.gap``) is measured in the window with
    its threshold at zero.  A region is complete when it keeps clear of the
    window's edges; it belongs to the tile holding its first vertex (smallest
    x, then y).  A cut piece of the uncovered area whose first vertex lies in
    the tile is returned by its bounds, to be measured again in a wider
    window around it.
    """
    # all pieces: the threshold is applied once whole
    rules = ctx.rules.replace(**{info.threshold: 0.0})

    def measure(area: Any) -> pd.DataFrame:
        products: dict[str, Callable[[], Any]] = {
            "rules": lambda: rules,
            "grids": lambda: grids,
            "tile": lambda: tuple(tile),
            "jurisdiction": lambda: area,
            "coverage": lambda: analysed,
        }
        return _dispatch(info, products)

    inner = _expand(window, -_GAP_CLEARANCE)
    beyond_extent = 2.0 * _GAP_CLEARANCE
    clipped_by_extent = [
        window[0] < ctx.extent[0] - beyond_extent,
        window[1] < ctx.extent[1] - beyond_extent,
        window[2] > ctx.extent[2] + beyond_extent,
        window[3] > ctx.extent[3] + beyond_extent,
    ]
    if ctx.unit_geoms is not None:
        area = _clip_units(ctx.unit_geoms, ctx.unit_bounds, window)
        found = measure(area)
        pieces = found["geometry"].to_numpy(dtype=object) if len(found) else np.zeros(0, object)
    else:
        found = measure(None)
        from gridgov.rules.base import polygonal

        open_area = polygonal(
            np.array([shapely.difference(shapely.box(*window), analysed.union)], dtype=object)
        )[0]
        pieces = shapely.get_parts(open_area)
        pieces = pieces[~shapely.is_empty(pieces)]
    # Pieces touching the window's edges are cut -- unless that edge lies beyond the
    # extent of the data, where only the outside of the grids can reach.
    pb = shapely.bounds(pieces) if len(pieces) else np.zeros((0, 4))
    cut_side = (
        np.stack(
            [pb[:, 0] < inner[0], pb[:, 1] < inner[1], pb[:, 2] > inner[2], pb[:, 3] > inner[3]],
            axis=1,
        )
        if len(pieces)
        else np.zeros((0, 4), dtype=bool)
    )
    beyond = cut_side & np.array(clipped_by_extent)[None, :]
    cut = cut_side.any(axis=1) & ~beyond.any(axis=1)
    mine = _owned(_first_vertex(pieces), tile, _CLAIM_SLACK)
    cut_boxes = pb[cut & mine]
    if not len(found):
        return found, cut_boxes
    geoms = found["geometry"].to_numpy(dtype=object)
    fb = shapely.bounds(geoms)
    whole = (
        (fb[:, 0] >= inner[0])
        & (fb[:, 1] >= inner[1])
        & (fb[:, 2] <= inner[2])
        & (fb[:, 3] <= inner[3])
    )
    first = _first_vertex(geoms)
    keep = whole & _owned(first, tile, _CLAIM_SLACK)
    found = found[keep].copy()
    found["_x"], found["_y"] = first[keep, 0], first[keep, 1]
    return found, cut_boxes


def _check_tile(
    ctx: _CheckContext, tile: tuple[float, float, float, float], halo: float
) -> _TileResult:
    """All the grid- and tile-scope rules of one tile (see the module notes)."""
    from gridgov.rules import coverage
    from gridgov.rules.base import Grids

    run, rules = ctx.run, ctx.rules
    records: list[pd.DataFrame] = []
    home = np.flatnonzero(_owned(ctx.grid_bounds[:, :2], tile))
    parents = (home, np.zeros(0, dtype=object))
    if len(home):
        found, parent_of = _grid_rules(ctx, home)
        records.extend(found)
        parents = (home, parent_of)
    window = _expand(tile, halo)
    running = _running(run, "tile")
    none = np.zeros(0, dtype=object)
    footprints = (none, none)
    if _wanted(run, "tile", "footprints") and ctx.building_bounds is not None:
        # the buildings this tile owns, whole in its window
        mine = np.flatnonzero(_owned(ctx.building_bounds[:, :2], tile))
        if len(mine):
            bb = ctx.building_bounds[mine]
            window = (
                min(window[0], bb[:, 0].min()),
                min(window[1], bb[:, 1].min()),
                max(window[2], bb[:, 2].max()),
                max(window[3], bb[:, 3].max()),
            )
            assert ctx.building_ids is not None
            assert ctx.building_geoms is not None
            footprints = (ctx.building_ids[mine], ctx.building_geoms[mine])
    rows = _meeting(ctx.grid_bounds, window)
    grids = Grids.from_frame(ctx.grids.iloc[rows])
    pairs = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, dtype=object))
    analysed = None
    if _wanted(run, "tile", "coverage") or _wanted(run, "household", "coverage"):
        analysed = coverage.analyse(grids)
    if analysed is not None and _wanted(run, "household", "coverage"):
        own = _owned(_lower_left(analysed.shared), tile)
        pairs = (rows[analysed.left[own]], rows[analysed.right[own]], analysed.shared[own])
    products: dict[str, Callable[[], Any]] = {
        "rules": lambda: rules,
        "grids": lambda: grids,
        "tile": lambda: tuple(tile),
        "jurisdiction": lambda: ctx.outer,
        "coverage": lambda: analysed,
        "building_ids": lambda: footprints[0],
        "footprints": lambda: footprints[1],
    }
    regions: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
    for info in running:
        if info.merge == "regions":
            regions[info.code] = _region_pieces(ctx, info, grids, analysed, window, tile)
        else:
            records.append(_dispatch(info, products))
    return _TileResult(records, pairs, regions, parents)


def _wider_regions(
    ctx: _CheckContext,
    code: str,
    tile: tuple[float, float, float, float],
    cut: np.ndarray,
    reach: float,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Measure the cut region pieces of `tile` again, each in its bounds widened by `reach`."""
    from gridgov.rules import RULES, coverage
    from gridgov.rules.base import Grids, empty

    found, still = [empty()], [np.zeros((0, 4))]
    for box in cut:
        window = _expand(box, reach)
        grids = Grids.from_frame(ctx.grids.iloc[_meeting(ctx.grid_bounds, window)])
        gaps, more = _region_pieces(ctx, RULES[code], grids, coverage.analyse(grids), window, tile)
        found.append(gaps)
        still.append(more)
    frames = [f for f in found if len(f)]
    return (pd.concat(frames, ignore_index=True) if frames else found[0]), np.concatenate(still)


def _tile_index(values: np.ndarray, size: float) -> np.ndarray:
    """Return the index k of the tile ``[k * size, (k + 1) * size)`` holding each value.

    The index is the one the half-open comparison of :func:`_owned` (and of
    :func:`gridgov.rules.registry.owned`) with the tile's computed edges
    agrees with, also where ``floor(value / size)`` is off by one in the last
    bit (e.g. 3.3000000000000003 with size 0.30000000000000004): so every
    point is owned by a tile that exists.
    """
    k = np.floor(values / size)
    k = k + (values >= (k + 1) * size) - (values < k * size)
    out: np.ndarray = k.astype(np.int64)
    return out


def _tiles(
    extent_boxes: list[np.ndarray | None], size: float
) -> list[tuple[float, float, float, float]]:
    """Return the tiles (aligned on multiples of `size`) that meet any of the boxes."""
    keys: set[tuple[int, int]] = set()
    for boxes in extent_boxes:
        if boxes is None or not len(boxes):
            continue
        ix0, iy0 = _tile_index(boxes[:, 0], size), _tile_index(boxes[:, 1], size)
        ix1, iy1 = _tile_index(boxes[:, 2], size), _tile_index(boxes[:, 3], size)
        for a, b, c, d in {
            (int(a), int(b), int(c), int(d)) for a, b, c, d in zip(ix0, iy0, ix1, iy1, strict=True)
        }:
            keys.update((i, j) for i in range(a, c + 1) for j in range(b, d + 1))
    return [(i * size, j * size, (i + 1) * size, (j + 1) * size) for i, j in sorted(keys)]


def _dedupe_gaps(gaps: pd.DataFrame) -> pd.DataFrame:
    """One row per gap: claims of the same gap (same first vertex, bounds and area) are merged.

    A gap is claimed twice when two windows measure it (a tile and a wider
    window around a cut piece), or when its first vertex lies on a tile edge
    within rounding of the window computations.
    """
    if len(gaps) < 2:
        return gaps
    order = np.lexsort((gaps["_y"].to_numpy(), gaps["_x"].to_numpy()))
    gaps = gaps.iloc[order].reset_index(drop=True)
    x, y = gaps["_x"].to_numpy(), gaps["_y"].to_numpy()
    area = gaps["value"].to_numpy(dtype=float)
    bounds = shapely.bounds(gaps["geometry"].to_numpy(dtype=object))
    keep = np.ones(len(gaps), dtype=bool)
    for i in range(1, len(gaps)):
        j = i - 1
        while j >= 0 and x[i] - x[j] <= 2 * _CLAIM_SLACK:
            same = (
                keep[j]
                and abs(y[i] - y[j]) <= 2 * _CLAIM_SLACK
                and abs(area[i] - area[j]) <= 1e-6 * max(area[i], 1.0)
                and bool(np.all(np.abs(bounds[i] - bounds[j]) <= 2 * _CLAIM_SLACK))
            )
            if same:
                keep[i] = False
                break
            j -= 1
    return gaps[keep]


def _auto_tile_size(bounds: np.ndarray) -> float:
    """Return a tile side holding about :data:`TILE_GRIDS` grids of the layer."""
    width = float(bounds[:, 2].max() - bounds[:, 0].min())
    height = float(bounds[:, 3].max() - bounds[:, 1].min())
    typical = float(np.median(np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])))
    size = math.sqrt(max(width * height, 1.0) * TILE_GRIDS / max(len(bounds), 1))
    return max(size, 4.0 * typical, 1.0)


def _run_tiles(
    shared: Any, tiles: list[tuple[float, float, float, float]], reach: float, *, progress: bool
) -> list[_TileResult]:
    """Return the result of every tile, computed by the workers."""
    dask = _module("dask")

    tasks = [dask.delayed(_check_tile, pure=True)(shared, tile, reach) for tile in tiles]
    return list(_compute(*tasks, progress=progress))


def _whole_regions(
    shared: Any,
    tiles: list[tuple[float, float, float, float]],
    results: list[_TileResult],
    reach: float,
    rules: Any,
    *,
    progress: bool,
) -> list[pd.DataFrame]:
    """Return the findings of the rules with ``merge="regions"``: each region once, whole.

    Regions cut by their tile's window are measured again around the cut
    piece, in windows twice as wide each round, until whole (a window beyond
    the extent of the data cuts nothing); then the rule's threshold applies.
    """
    dask = _module("dask")

    from gridgov.rules import RULES
    from gridgov.rules.base import above

    codes = sorted({code for result in results for code in result.regions})
    out: list[pd.DataFrame] = []
    for code in codes:
        frames = [r.regions[code][0] for r in results if len(r.regions[code][0])]
        pending = [(tile, r.regions[code][1]) for tile, r in zip(tiles, results, strict=True)]
        pending = [(tile, cut) for tile, cut in pending if len(cut)]
        wider = max(reach, 4.0 * _GAP_CLEARANCE)
        while pending:
            again = _compute(
                *[
                    dask.delayed(_wider_regions, pure=True)(shared, code, tile, cut, wider)
                    for tile, cut in pending
                ],
                progress=progress,
            )
            frames.extend(found for found, _ in again if len(found))
            pending = [
                (tile, cut) for (tile, _), (_, cut) in zip(pending, again, strict=True) if len(cut)
            ]
            wider *= 2.0
        if not frames:
            continue
        threshold = float(getattr(rules, str(RULES[code].threshold)))
        found = _dedupe_gaps(pd.concat(frames, ignore_index=True))
        found = found[above(found["value"].to_numpy(dtype=float), threshold)]
        out.append(found.drop(columns=["_x", "_y"]).assign(limit=threshold))
    return out
