"""The household-scope rules of the distributed check, partition by partition, and the loads.

Part of :mod:`gridgov.distributed`; see its documentation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from gridgov.distributed._assign import _share
from gridgov.distributed._cluster import _compute, _module
from gridgov.distributed._partition import (
    _LABEL,
    _bounds_of,
    _check_partition_crs,
    _reachable_grids,
    _relabel,
)
from gridgov.distributed._tables import _combine_tables
from gridgov.errors import GridgovError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import dask_geopandas
    import geopandas as gpd
    import pyproj

    from gridgov.distributed._tiles import _CheckContext, _TileResult
from gridgov.distributed._dispatch import _dispatch, _running, _wanted


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
    from gridgov.rules.base import Grids

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


@dataclass
class _Loads:
    """Households and persons per grid row, and per row of the previous edition."""

    households: np.ndarray
    persons: np.ndarray
    previous: np.ndarray | None = None
    previous_ids: np.ndarray | None = None

    @classmethod
    def empty(cls, n: int) -> _Loads:
        return cls(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=float))


def _pair_coverage(grids: Any, results: list[_TileResult]) -> tuple[Any, Any]:
    """Return the overlapping pairs the tiles found, as a Grids and Coverage of their own."""
    from gridgov.rules.base import Grids
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
    from gridgov.rules.base import Grids

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
    loads.previous_ids = None if old_grids is None else old_grids.ids
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
