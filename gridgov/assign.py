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

How it is fast: the point index of :mod:`gridgov._core.pointindex` (a
raster screen, :mod:`gridgov._core.raster`, sends only the households near a
boundary to the exact GEOS predicates) on a thread pool sized by
:func:`gridgov._core.threads.thread_count`.  Assignment along the roads,
:func:`assign_by_network`, lives in :mod:`gridgov.service`.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import shapely
from tqdm import tqdm

from gridgov._core.assignment import BUILDING, HOW, HOW_DTYPE, how_codes, networks_of
from gridgov._core.coords import point_xy
from gridgov._core.ids import normalise_ids
from gridgov._core.numbers import as_number
from gridgov._core.pointindex import (
    AssignOptions,
    GridIndex,
    classify,
    pick,
    with_null,
)
from gridgov._core.threads import CHUNK_SIZE, Runner, thread_count
from gridgov.crs import require_metric, require_same_crs
from gridgov.errors import LayerError, OptionError
from gridgov.layers import named_grid_layers, validate_layer
from gridgov.service import assign_by_network

if TYPE_CHECKING:
    from collections.abc import Mapping

    import geopandas as gpd

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

_BOUNDARY_RULES = ("smallest_id", "first_in_layer", "largest_overlap_building")
_OUTSIDE_RULES = ("unassigned", "nearest")

# Households per chunk: below two chunks, assign runs on one thread.
_CHUNK_SIZE = CHUNK_SIZE


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
    linked = normalise_ids(households[column]).to_numpy(dtype=object)
    known = pd.notna(linked)
    of_household = np.full(len(linked), -1, dtype=np.int64)
    of_household[known] = building_ids.get_indexer(linked[known].astype(str))
    footprint = np.full(len(linked), None, dtype=object)
    has = of_household >= 0
    has[has] = polygonal[of_household[has]]
    footprint[has] = geoms[of_household[has]]
    return _Buildings(geoms, polygonal, of_household, footprint)


def _building_grids(index: GridIndex, buildings: _Buildings, rule: str, run: Runner) -> np.ndarray:
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
        win = pick(which, [-area, second])
        result[poly[which[win]]] = g[win]
    points = np.flatnonzero(~buildings.polygonal)
    if len(points):
        options = AssignOptions(
            "smallest_id" if rule != "first_in_layer" else rule, "unassigned", None
        )
        geoms = buildings.geoms[points]
        xy = shapely.get_coordinates(geoms)
        grid, _, _ = classify(index, geoms, xy, options, footprint=None, run=run)
        result[points] = grid
    return result


# --------------------------------------------------------------------------- assign


def _check_options(
    on_boundary: str, outside: str, max_distance: float | None, has_buildings: bool
) -> float | None:
    if on_boundary not in _BOUNDARY_RULES:
        msg = f"on_boundary={on_boundary!r} is not one of {', '.join(map(repr, _BOUNDARY_RULES))}"
        raise OptionError(msg)
    if outside not in _OUTSIDE_RULES:
        msg = f"outside={outside!r} is not one of {', '.join(map(repr, _OUTSIDE_RULES))}"
        raise OptionError(msg)
    if on_boundary == "largest_overlap_building" and not has_buildings:
        msg = (
            "on_boundary='largest_overlap_building' needs the building footprints: pass buildings="
        )
        raise OptionError(msg)
    if outside != "nearest":
        if max_distance is not None:
            msg = (
                f"max_distance={max_distance!r} only applies with outside='nearest'; "
                "pass outside='nearest' too, or leave max_distance out"
            )
            raise OptionError(msg)
        return None
    if max_distance is None:
        msg = (
            "outside='nearest' needs max_distance= (metres): households farther than that "
            "from every grid stay unassigned; pass max_distance=float('inf') for no limit"
        )
        raise OptionError(msg)
    if not as_number(max_distance, name="max_distance") > 0:
        msg = f"max_distance must be a positive number of metres, got {max_distance!r}"
        raise OptionError(msg)
    return None if math.isinf(max_distance) else float(max_distance)


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
    grids = named_grid_layers(layers, grid_id_column)
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
        options=AssignOptions(on_boundary, outside, limit),
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
    options: AssignOptions,
    id_column: str,
    grid_id_column: str,
    building_column: str,
    progress: bool,
    threads: int | None = None,
) -> pd.DataFrame:
    """:func:`assign` on layers that ``validate_layer`` returned, in one CRS (checked).

    `threads` caps the worker threads (default: :func:`~gridgov._core.threads.thread_count`).
    """
    points = homes.geometry.to_numpy()
    xy = point_xy(points)
    n = len(points)
    linked = None if blds is None else _prepare_buildings(homes, blds, building_column)
    threads = thread_count(limit=threads)  # reads and checks GRIDGOV_THREADS
    if n < 2 * _CHUNK_SIZE:
        threads = 1  # one chunk: not worth a pool

    index_column = pd.Index(homes[id_column].to_numpy(dtype=object), dtype=object, name=id_column)
    columns: dict[str, Any] = {}
    with (
        tqdm(total=0, disable=not progress, unit="step", desc="assign") as bar,
        ThreadPoolExecutor(threads) if threads > 1 else nullcontext() as pool,
    ):
        run = Runner(pool, bar)
        for name, frame in grids.items():
            bar.set_postfix_str(name)
            index, grid, how, distance = _network_rows(
                frame, points, xy, options, grid_id_column, linked=linked, run=run
            )
            ids = with_null(index.ids)
            columns[name] = pd.Series(ids[grid], index=index_column, dtype=object)
            columns[f"{name}_how"] = pd.Series(
                pd.Categorical.from_codes(how, dtype=HOW_DTYPE), index=index_column
            )
            columns[f"{name}_distance"] = pd.Series(distance, index=index_column)
    return pd.DataFrame(columns, index=index_column)


def _network_rows(
    frame: gpd.GeoDataFrame,
    points: np.ndarray,
    xy: np.ndarray,
    options: AssignOptions,
    grid_id_column: str,
    *,
    linked: Any,
    run: Runner,
) -> tuple[GridIndex, np.ndarray, np.ndarray, np.ndarray]:
    """Assign `points` to the grids of one validated `frame`.

    Returns its index, and per point the row of its grid (-1: none), how
    (code of ``HOW``) and the distance.
    """
    index = GridIndex.build(frame, grid_id_column, points=len(points), run=run)
    footprint = (
        linked.footprint
        if linked is not None and options.rule == "largest_overlap_building"
        else None
    )
    grid, how, distance = classify(index, points, xy, options, footprint=footprint, run=run)
    if linked is not None:
        target = np.full(len(points), -1, dtype=np.int64)
        has = linked.of_household >= 0
        by_building = _building_grids(index, linked, options.rule, run)
        target[has] = by_building[linked.of_household[has]]
        moved = target >= 0
        changed = moved & (target != grid)
        grid[moved] = target[moved]
        how[changed] = BUILDING
        distance[changed] = 0.0
    return index, grid, how, distance


# --------------------------------------------------------------------------- summary


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
    networks = networks_of(result)
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
    known = {} if layers is None else named_grid_layers(layers, grid_id_column)

    tables = []
    for network in networks:
        ids = result[network].to_numpy(dtype=object)
        assigned = pd.notna(ids)
        codes = how_codes(result[f"{network}_how"], network)
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
