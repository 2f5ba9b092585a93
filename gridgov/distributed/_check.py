"""Distributed check: tiles with a halo, household rules per partition.

Part of :mod:`gridgov.distributed`; see its documentation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from gridgov.distributed._assign import (
    _LABEL,
    _as_households,
    _bounds_of,
    _check_partition_crs,
    _combine_tables,
    _reachable_grids,
    _relabel,
    _share,
)
from gridgov.distributed._cluster import _client, _compute, _module
from gridgov.errors import GridgovError, OptionError

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Mapping, Sequence

    import dask_geopandas
    import geopandas as gpd
    import pyproj

# --------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------

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

    ``grids`` is the validated layer sorted like :class:`gridgov.rules._base.Grids`
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


def _running(run: Mapping[str, bool], scope: str) -> list[Any]:
    """Return the registered rules of `scope` that run, in the registry's order."""
    from gridgov.rules import RULES

    return [info for code, info in RULES.items() if run[code] and info.scope == scope]


def _wanted(run: Mapping[str, bool], scope: str, product: str) -> bool:
    """Whether a running rule of `scope` takes `product`."""
    return any(product in info.products + info.optional for info in _running(run, scope))


def _dispatch(info: Any, products: Mapping[str, Callable[[], Any]]) -> pd.DataFrame:
    """Call a registered rule with the products of its scope (computed on demand)."""
    from gridgov.rules.registry import call

    cache: dict[str, Any] = {}

    def provide(name: str) -> Any:
        if name not in cache:
            cache[name] = products[name]()
        return cache[name]

    result: pd.DataFrame = call(info, provide, products.__contains__)
    return result


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
    from gridgov.rules._base import polygonal

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
    from gridgov.rules._base import Grids

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
        from gridgov.rules._base import polygonal

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
    from gridgov.rules._base import Grids

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
    from gridgov.rules._base import Grids, empty

    found, still = [empty()], [np.zeros((0, 4))]
    for box in cut:
        window = _expand(box, reach)
        grids = Grids.from_frame(ctx.grids.iloc[_meeting(ctx.grid_bounds, window)])
        gaps, more = _region_pieces(ctx, RULES[code], grids, coverage.analyse(grids), window, tile)
        found.append(gaps)
        still.append(more)
    frames = [f for f in found if len(f)]
    return (pd.concat(frames, ignore_index=True) if frames else found[0]), np.concatenate(still)


@dataclass(frozen=True)
class _HouseholdContext:
    """What a household partition needs for the household rules, sent once to each worker."""

    keyed: gpd.GeoDataFrame
    previous: gpd.GeoDataFrame | None
    grid_ids: np.ndarray
    pair_grids: Any
    pair_coverage: Any
    stations: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame | None
    run: Mapping[str, bool]
    rules: Any
    crs: pyproj.CRS


def _keyed(grids: Any) -> gpd.GeoDataFrame:
    """Return the grids as :func:`gridgov.check` assigns households to them.

    Row keys ordered like the rows (sorted by grid id, then geometry) as ids,
    and the measured (repaired) shapes as geometry -- as ``gridgov.check``
    does, so ``on_boundary="smallest_id"`` breaks ties the same way.
    """
    width = max(1, len(str(len(grids))))
    keys = np.array([f"{i:0{width}d}" for i in range(len(grids))], dtype=object)
    frame = grids.frame[[]].copy()
    frame["grid_id"] = keys
    return frame.set_geometry(grids.shapes, crs=grids.frame.crs)


def _check_households(
    households: gpd.GeoDataFrame,
    ctx: _CheckContext,
    hctx: _HouseholdContext,
    number: int,
) -> tuple[list[pd.DataFrame], pd.DataFrame | None]:
    """Run the household rules on one partition; return them and its partial load table."""
    from gridgov.assign import assign as assign_in_memory
    from gridgov.assign import assign_by_network, summarize_assignment
    from gridgov.layers import validate_layer
    from gridgov.rules._base import Grids

    label = str(households.attrs.get(_LABEL, f"households partition {number}"))
    _check_partition_crs(households, hctx.crs, label)
    if len(households) == 0:
        return [], None
    run, rules = hctx.run, hctx.rules
    try:
        homes = validate_layer(households, kind="households")
        box = _bounds_of(homes.geometry.to_numpy())
        layers = {"grids": _reachable_grids(hctx.keyed, box, 0.0, None)}
        if hctx.previous is not None:
            layers["previous"] = _reachable_grids(hctx.previous, box, 0.0, None)
        result = assign_in_memory(homes, layers)
        weighted = homes if "persons" in homes.columns else None
        table = summarize_assignment(result, households=weighted)
    except GridgovError as error:
        raise _relabel(error, label) from None
    ids = homes["household_id"].to_numpy(dtype=object)
    points = np.asarray(homes.geometry.to_numpy(), dtype=object)
    unassigned = (result["grids_how"] == "unassigned").to_numpy(dtype=bool)

    def near_grids() -> Any:
        """Return the grids near the households in no grid (the nearest grid is named)."""
        if not unassigned.any():
            return Grids.from_frame(ctx.grids.iloc[:0])
        near = _reachable_grids(ctx.grids, _bounds_of(points[unassigned]), None, None)
        return Grids.from_frame(near)

    def served() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Network distance, reason and grid of every household, as gridgov.check measures."""
        table = assign_by_network(
            homes,
            hctx.stations,
            hctx.roads,
            max_distance=rules.service_distance,
            snap_tolerance=math.inf,  # as gridgov.check: far households are gaps with a distance
        ).reindex(pd.Index(ids))
        keys = result["grids"].to_numpy(dtype=object)
        has = pd.notna(keys)
        owner = np.full(len(keys), None, dtype=object)
        owner[has] = hctx.grid_ids[keys[has].astype(np.int64)]
        reason = table["reason"].astype(object).to_numpy(dtype=object)
        why = np.array([None if pd.isna(r) else r for r in reason], dtype=object)
        return table["distance"].to_numpy(dtype=float), why, owner

    pair_grids, pair_coverage = hctx.pair_grids, hctx.pair_coverage
    if pair_grids is None:  # no overlap anywhere
        pair_grids = Grids.from_frame(ctx.grids.iloc[:0])
        pair_coverage = _no_overlaps()
    service: dict[str, Any] = {}

    def measured(k: int) -> np.ndarray:
        if not service:
            service["v"] = served()
        out: np.ndarray = service["v"][k]
        return out

    products: dict[str, Callable[[], Any]] = {
        "rules": lambda: rules,
        "grids": near_grids,
        "coverage": lambda: pair_coverage,
        "coverage_grids": lambda: pair_grids,
        "household_ids": lambda: ids,
        "household_points": lambda: points,
        "uncovered": lambda: unassigned,
        "served_ids": lambda: ids,
        "served_points": lambda: points,
        "served_distance": lambda: measured(0),
        "served_reason": lambda: measured(1),
        "served_owner": lambda: measured(2),
    }
    records = [_dispatch(info, products) for info in _running(run, "household")]
    return records, table


def _no_overlaps() -> Any:
    """Return a coverage analysis of no overlapping pair."""
    from gridgov.rules.coverage import Coverage

    none = np.zeros(0, dtype=np.int64)
    return Coverage(
        union=shapely.Polygon(),
        left=none,
        right=none,
        shared=np.zeros(0, dtype=object),
        area=np.zeros(0),
        marked=np.zeros(0, dtype=bool),
    )


def _tiles(
    extent_boxes: list[np.ndarray | None], size: float
) -> list[tuple[float, float, float, float]]:
    """Return the tiles (aligned on multiples of `size`) that meet any of the boxes."""
    keys: set[tuple[int, int]] = set()
    for boxes in extent_boxes:
        if boxes is None or not len(boxes):
            continue
        ix0 = np.floor(boxes[:, 0] / size).astype(np.int64)
        iy0 = np.floor(boxes[:, 1] / size).astype(np.int64)
        ix1 = np.floor(boxes[:, 2] / size).astype(np.int64)
        iy1 = np.floor(boxes[:, 3] / size).astype(np.int64)
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


def check(
    layer: gpd.GeoDataFrame,
    *,
    jurisdiction: gpd.GeoDataFrame | None = None,
    households: dask_geopandas.GeoDataFrame | str | os.PathLike[str] | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    parents: gpd.GeoDataFrame | None = None,
    features: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    previous: gpd.GeoDataFrame | None = None,
    rules: Any = None,
    id_column: str = "grid_id",
    tile_size: float | None = None,
    halo: float | None = None,
    progress: bool = False,
) -> Any:
    """Check a grid layer against the four principles on a dask cluster, tile by tile.

    The same findings as :func:`gridgov.check` on the same data: the same
    rule functions run on the workers, the grid rules and the coverage and
    boundary rules per spatial tile (see the module notes on tiles), the
    household rules per household partition (each partition assigned like
    :func:`assign`), and the scale rules from the resulting load table.  A
    gap, overlap or straddling building at a tile edge is reported once,
    with its full area.

    Parameters
    ----------
    layer : GeoDataFrame
        The grid layer, in memory (sent once to every worker).
    jurisdiction, buildings, parents, features, stations, roads, previous : GeoDataFrame, optional
        As for :func:`gridgov.check` (in memory, sent once to every worker).
    households : path, list of paths or dask_geopandas.GeoDataFrame, optional
        Households as for :func:`assign`: partitioned GeoParquet or a dask frame.
    rules : RuleSet, optional
        As for :func:`gridgov.check`; default ``RuleSet()``.
    id_column : str, default "grid_id"
        Id column of `layer`.
    tile_size : float, optional
        Side of the square tiles in metres; tiles are aligned on multiples of
        it (edges at ``k * tile_size``).  Default: about 2,000 grids per tile.
    halo : float, optional
        How far (m) beyond its tile a tile looks for gaps; gaps wider than
        that are measured again in windows twice as wide, until whole.
        Default ``tile_size / 8``.
    progress : bool, default False
        Show dask's progress bar.

    Returns
    -------
    Findings
        As :func:`gridgov.check`.

    Raises
    ------
    CRSError, LayerError
        As :func:`gridgov.check`; for a household partition at compute time,
        the message starts with the partition (and its file).

    See Also
    --------
    gridgov.check : the in-memory check.
    assign : the distributed assignment behind the loads.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> grids = gpd.GeoDataFrame(
    ...     {"grid_id": ["320102001001001", "320102001001002"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 190, 100)], crs="EPSG:4549")
    >>> street = gpd.GeoDataFrame({"unit_id": ["320102001"]},
    ...                           geometry=[box(0, 0, 200, 100)], crs="EPSG:4549")
    >>> findings = check(grids, jurisdiction=street, tile_size=50)
    >>> findings[["rule", "value"]]
               rule   value
    0  coverage.gap  1000.0
    """
    import dataclasses

    from gridgov.checking import as_ruleset, finish, validate_inputs
    from gridgov.crs import require_metric
    from gridgov.rules.registry import plan

    rules = as_ruleset(rules)
    inputs = validate_inputs(
        layer,
        {
            "jurisdiction": jurisdiction,
            "households": None,  # partitioned: validated partition by partition
            "buildings": buildings,
            "parents": parents,
            "features": features,
            "stations": stations,
            "roads": roads,
            "previous": previous,
        },
        id_column,
    )
    homes = None if households is None else _as_households(households)
    if homes is not None:
        require_metric({"grids": inputs.grids.frame, "households": homes})
        inputs = dataclasses.replace(inputs, households=homes)
    run, skipped = plan(rules, inputs)
    grid_bounds = shapely.bounds(inputs.grids.geometry)
    size = float(tile_size) if tile_size is not None else _auto_tile_size(grid_bounds)
    reach = float(halo) if halo is not None else size / 8.0
    if not (size > 0 and reach >= 0 and math.isfinite(size) and math.isfinite(reach)):
        msg = f"tile_size must be > 0 and halo >= 0 (metres), got {tile_size!r} and {halo!r}"
        raise OptionError(msg)

    ctx, boxes = _check_context(inputs, run, rules, grid_bounds)
    client = _client()
    shared = _share(ctx, client, name="gridgov-check")
    tiles = _tiles(boxes, size)
    results = _run_tiles(shared, tiles, reach, progress=progress)
    parts: list[pd.DataFrame] = [r for result in results for r in result.records]
    parts.extend(_whole_regions(shared, tiles, results, reach, rules, progress=progress))
    loads = _Loads.empty(len(inputs.grids))
    if homes is not None and any(run[code] for code in _household_rules()):
        found, loads = _run_households(
            homes, inputs, run, rules, results, shared, client, progress=progress
        )
        parts.extend(found)
    parts.extend(_layer_rules(inputs, run, rules, results, loads))
    return finish(parts, inputs.grids, rules=rules, crs=inputs.crs, skipped=skipped)


def _household_rules() -> list[str]:
    """Return the rules that need the households (assigned partition by partition)."""
    from gridgov.rules import RULES

    return [code for code, info in RULES.items() if "households" in info.context]


def _geoms(frame: gpd.GeoDataFrame | None) -> np.ndarray | None:
    return None if frame is None else np.asarray(frame.geometry.to_numpy(), dtype=object)


def _bounds(geoms: np.ndarray | None) -> np.ndarray | None:
    return None if geoms is None else shapely.bounds(geoms)


def _check_context(
    inputs: Any, run: Mapping[str, bool], rules: Any, grid_bounds: np.ndarray
) -> tuple[_CheckContext, list[np.ndarray | None]]:
    """Return the context the tiles share, and the boxes the tiles must cover."""
    unit_geoms = _geoms(inputs.jurisdiction)
    parent_geoms = _geoms(inputs.parents)
    feature_geoms = _geoms(inputs.features)
    footprints = inputs.footprints
    footprint_ids, footprint_geoms = (None, None) if footprints is None else footprints
    boxes = [grid_bounds, _bounds(unit_geoms)]
    if _wanted(run, "tile", "footprints") and footprint_geoms is not None:
        boxes.append(_bounds(footprint_geoms))
    present = np.concatenate([b for b in boxes if b is not None and len(b)])
    extent = np.array(
        [present[:, 0].min(), present[:, 1].min(), present[:, 2].max(), present[:, 3].max()]
    )
    outer = None if unit_geoms is None else shapely.union_all(unit_geoms)
    edge_chunks = None if outer is None else _edge_chunks(outer)
    parents = inputs.parents
    ctx = _CheckContext(
        grids=inputs.grids.frame,
        grid_bounds=grid_bounds,
        unit_geoms=unit_geoms,
        unit_bounds=_bounds(unit_geoms),
        outer=outer,
        edge_chunks=edge_chunks,
        edge_bounds=_bounds(edge_chunks),
        parent_ids=None if parents is None else parents["unit_id"].to_numpy(dtype=object),
        parent_geoms=parent_geoms,
        parent_bounds=_bounds(parent_geoms),
        building_ids=footprint_ids,
        building_geoms=footprint_geoms,
        building_bounds=_bounds(footprint_geoms),
        feature_geoms=feature_geoms,
        feature_bounds=_bounds(feature_geoms),
        extent=extent,
        run=run,
        rules=rules,
        margin=4.0 * rules.feature_tolerance + 10.0,
    )
    return ctx, boxes


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
    from gridgov.rules._base import above

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


@dataclass
class _Loads:
    """Households and persons per grid row, and per row of the previous edition."""

    households: np.ndarray
    persons: np.ndarray
    previous: np.ndarray | None = None

    @classmethod
    def empty(cls, n: int) -> _Loads:
        return cls(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=float))


def _pair_coverage(grids: Any, results: list[_TileResult]) -> tuple[Any, Any]:
    """Return the overlapping pairs the tiles found, as a Grids and Coverage of their own."""
    from gridgov.rules._base import Grids
    from gridgov.rules.coverage import Coverage

    a = np.concatenate([r.pairs[0] for r in results])
    b = np.concatenate([r.pairs[1] for r in results])
    if not len(a):
        return None, None
    shared_parts = np.concatenate([r.pairs[2] for r in results])
    involved = np.unique(np.concatenate([a, b]))
    coverage = Coverage(
        union=shapely.Polygon(),
        left=np.searchsorted(involved, a),
        right=np.searchsorted(involved, b),
        shared=shared_parts,
        area=shapely.area(shared_parts),
        marked=np.zeros(len(involved), dtype=bool),
    )
    return Grids.from_frame(grids.frame.iloc[involved]), coverage


def _previous_loads(inputs: Any) -> tuple[Any, np.ndarray | None]:
    """Return the previous edition as Grids, and its recorded loads when it has them."""
    from gridgov.rules._base import Grids

    if inputs.previous is None:
        return None, None
    old = Grids.from_frame(inputs.previous)
    if "households" not in inputs.previous.columns:
        return old, None
    recorded = pd.to_numeric(old.frame["households"], errors="coerce")
    return old, recorded.to_numpy(dtype=float, na_value=np.nan)


def _loads_of(table: pd.DataFrame, network: str, n: int, column: str) -> np.ndarray:
    """Return a column of a load table as an array over the grid rows (row keys as ids)."""
    mine = table[(table["network"] == network).to_numpy() & table["grid_id"].notna().to_numpy()]
    out = np.zeros(n, dtype=table[column].to_numpy().dtype)
    out[mine["grid_id"].to_numpy(dtype=object).astype(np.int64)] = mine[column].to_numpy()
    return out


def _run_households(  # noqa: PLR0917 - private, called once
    homes: dask_geopandas.GeoDataFrame,
    inputs: Any,
    run: Mapping[str, bool],
    rules: Any,
    results: list[_TileResult],
    shared: Any,
    client: Any,
    *,
    progress: bool,
) -> tuple[list[pd.DataFrame], _Loads]:
    """Return the household findings and the loads, computed partition by partition."""
    dask = _module("dask")

    grids = inputs.grids
    pair_grids = pair_coverage = None
    if _wanted(run, "household", "coverage"):
        pair_grids, pair_coverage = _pair_coverage(grids, results)
    wants_previous = _wanted(run, "layer", "previous_loads")
    old_grids, recorded = _previous_loads(inputs) if wants_previous else (None, None)
    hctx = _HouseholdContext(
        keyed=_keyed(grids),
        previous=None if old_grids is None or recorded is not None else _keyed(old_grids),
        grid_ids=grids.ids,
        pair_grids=pair_grids,
        pair_coverage=pair_coverage,
        stations=inputs.stations,
        roads=inputs.roads,
        run=run,
        rules=rules,
        crs=inputs.crs,
    )
    hshared = _share(hctx, client, name="gridgov-check-households")
    found = _compute(
        *[
            dask.delayed(_check_households, pure=True)(piece, shared, hshared, number)
            for number, piece in enumerate(homes.to_delayed())
        ],
        progress=progress,
    )
    records = [r for part, _ in found for r in part]
    loads = _Loads.empty(len(grids))
    loads.previous = recorded
    tables = [table for _, table in found if table is not None]
    if tables:
        networks = ["grids"] + (["previous"] if hctx.previous is not None else [])
        table = _combine_tables(tables, networks)
        loads.households = _loads_of(table, "grids", len(grids), "households")
        if "persons" in table.columns:
            loads.persons = _loads_of(table, "grids", len(grids), "persons").astype(float)
        if hctx.previous is not None and old_grids is not None:
            counted = _loads_of(table, "previous", len(old_grids), "households")
            loads.previous = counted.astype(float)
    elif old_grids is not None and recorded is None:
        loads.previous = np.zeros(len(old_grids), dtype=float)
    return records, loads


def _layer_rules(
    inputs: Any,
    run: Mapping[str, bool],
    rules: Any,
    results: list[_TileResult],
    loads: _Loads,
) -> list[pd.DataFrame]:
    """Return the findings of the layer-scope rules: loads, parents, duplicated ids."""
    from gridgov.rules._base import Grids

    grids = inputs.grids

    def parent_of() -> np.ndarray:
        if inputs.parents is None:
            column = grids.column("parent_id")
            return np.full(len(grids), None, dtype=object) if column is None else column
        out = np.full(len(grids), None, dtype=object)
        for result in results:
            out[result.parents[0]] = result.parents[1]
        return out

    products: dict[str, Callable[[], Any]] = {
        "rules": lambda: rules,
        "grids": lambda: grids,
        "loads": lambda: loads.households,
        "persons": lambda: loads.persons,
        "parent_of": parent_of,
        "previous_ids": lambda: Grids.from_frame(inputs.previous).ids,
        "previous_loads": lambda: loads.previous,
    }
    return [_dispatch(info, products) for info in _running(run, "layer")]
