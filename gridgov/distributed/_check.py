"""Distributed check: tiles with a halo, household rules per partition.

Part of :mod:`gridgov.distributed`; see its documentation.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from gridgov._core.numbers import as_number
from gridgov.distributed._assign import (
    _as_households,
    _share,
)
from gridgov.distributed._cluster import _client
from gridgov.errors import OptionError

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Mapping

    import dask_geopandas
    import geopandas as gpd
    import pandas as pd
from gridgov.distributed._dispatch import _dispatch, _running, _wanted
from gridgov.distributed._households import _Loads, _run_households
from gridgov.distributed._tiles import (
    _auto_tile_size,
    _CheckContext,
    _edge_chunks,
    _run_tiles,
    _TileResult,
    _tiles,
    _whole_regions,
)


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
    size = (
        as_number(tile_size, name="tile_size")
        if tile_size is not None
        else _auto_tile_size(grid_bounds)
    )
    reach = as_number(halo, name="halo") if halo is not None else size / 8.0
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


def _layer_rules(
    inputs: Any,
    run: Mapping[str, bool],
    rules: Any,
    results: list[_TileResult],
    loads: _Loads,
) -> list[pd.DataFrame]:
    """Return the findings of the layer-scope rules: loads, parents, duplicated ids."""
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
        "previous_ids": lambda: loads.previous_ids,
        "previous_loads": lambda: loads.previous,
    }
    return [_dispatch(info, products) for info in _running(run, "layer")]
