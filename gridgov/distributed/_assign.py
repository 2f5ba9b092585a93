"""Distributed assignment and its load table.

Part of :mod:`gridgov.distributed`; see its documentation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from gridgov.distributed._cluster import _client, _compute, _keep_dtypes, _module
from gridgov.distributed._partition import (
    _ORDER,
    _assign_partition,
    _AssignOptions,
    _bounds_of,
    _linked_buildings,
    _reaching,
)
from gridgov.distributed._read import read_households
from gridgov.distributed._tables import _read_table
from gridgov.errors import CRSError, LayerError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    import dask.dataframe as dd
    import dask_geopandas
    import pandas as pd


# --------------------------------------------------------------------------
# assign
# --------------------------------------------------------------------------

#: In-memory grid layers up to this many rows are sent whole to every worker.
BROADCAST_LIMIT = 200_000
#: Rows per grid partition when a large layer is partitioned.
GRID_PARTITION_ROWS = 20_000


def _share(value: Any, client: Any, *, name: str, broadcast: bool = True) -> Any:
    """Put `value` on the cluster once and return a handle the tasks can take.

    With a distributed client the value is scattered -- to every worker with
    `broadcast`, else to one (dask moves it where a task needs it); without
    one it becomes a single key of the graph.  Either way it is serialised
    once, not once per task.
    """
    import uuid

    if client is not None:
        return client.scatter(value, broadcast=broadcast, hash=False)
    return _module("dask").delayed(value, name=f"{name}-{uuid.uuid4().hex}")


def _as_households(households: Any) -> dask_geopandas.GeoDataFrame:
    dask_geopandas = _module("dask_geopandas")

    if isinstance(households, str | os.PathLike) or (
        isinstance(households, list | tuple)
        and households
        and all(isinstance(p, str | os.PathLike) for p in households)
    ):
        return read_households(households)
    if isinstance(households, dask_geopandas.GeoDataFrame):
        return households
    if isinstance(households, gpd.GeoDataFrame):
        return dask_geopandas.from_geopandas(households, npartitions=1, sort=False)
    msg = (
        "households must be a path to partitioned GeoParquet, a list of files or a "
        f"dask_geopandas.GeoDataFrame, got {type(households).__name__}"
    )
    raise LayerError(msg)


def _synthetic(
    households: Any,
    layers: Mapping[str, Any],
    buildings: gpd.GeoDataFrame | None,
    options: _AssignOptions,
) -> pd.DataFrame:
    """Run :func:`gridgov.assign` on one made-up household to check options and CRSs.

    The made-up frames carry the CRS of each real layer, so the options and
    the CRS policy are checked by the pure function itself, before any
    partition is read; the one-row result gives the schema of every partition.
    """
    from gridgov.assign import assign as assign_in_memory

    square = shapely.box(0.0, 0.0, 1.0, 1.0)
    home = {options.id_column: ["h"]}
    if buildings is not None:
        home[options.building_column] = ["b"]
    fake_buildings = None
    if buildings is not None:
        fake_buildings = gpd.GeoDataFrame(
            {options.building_column: ["b"]}, geometry=[square], crs=buildings.crs
        )
    fake_layers = {
        name: gpd.GeoDataFrame(
            {options.grid_id_column: ["g"]}, geometry=[square], crs=getattr(frame, "crs", None)
        )
        for name, frame in layers.items()
    }
    fake_homes = gpd.GeoDataFrame(
        home, geometry=[shapely.Point(0.5, 0.5)], crs=getattr(households, "crs", None)
    )
    return assign_in_memory(fake_homes, fake_layers, buildings=fake_buildings, **options.keywords())


def _named(
    layers: Any, grid_id_column: str
) -> dict[str, gpd.GeoDataFrame | dask_geopandas.GeoDataFrame]:
    """Grid layers by network: in-memory layers validated, dask layers as given."""
    dask_geopandas = _module("dask_geopandas")

    from gridgov.layers import named_grid_layers, validate_layer

    if isinstance(layers, dask_geopandas.GeoDataFrame):
        msg = "pass a dask grid layer by network, e.g. {'governance': grids}"
        raise LayerError(msg)
    if isinstance(layers, gpd.GeoDataFrame):
        return dict(named_grid_layers(layers, grid_id_column))
    if not hasattr(layers, "items") or not layers:
        msg = (
            "layers must be a grid GeoDataFrame or a non-empty dict {network: GeoDataFrame}, "
            f"got {type(layers).__name__}"
        )
        raise LayerError(msg)
    out: dict[str, Any] = {}
    for name, frame in layers.items():
        if not isinstance(name, str) or not name:
            msg = f"network names must be non-empty strings, got {name!r}"
            raise LayerError(msg)
        if isinstance(frame, dask_geopandas.GeoDataFrame):
            out[name] = frame
        else:
            out[name] = validate_layer(frame, kind="grids", id_column=grid_id_column, name=name)
    return out


@dataclass(frozen=True)
class _GridParts:
    """A grid layer on the cluster: its partitions and their bounds (None: broadcast)."""

    parts: list[Any]
    bounds: np.ndarray | None


def _numbered(frame: gpd.GeoDataFrame, partition_info: dict[str, Any] | None = None) -> Any:
    number = 0 if partition_info is None else int(partition_info["number"])
    return frame.assign(**{_ORDER: (number << 32) + np.arange(len(frame), dtype=np.int64)})


def _grid_parts(
    frame: Any, client: Any, *, name: str, broadcast_limit: int, partition_rows: int
) -> _GridParts:
    """Broadcast a small in-memory layer; partition a large one, or a dask one, by Hilbert curve.

    A dask layer that has ``spatial_partitions`` (e.g. read with
    ``dask_geopandas.read_parquet`` from Hilbert-sorted files) keeps its
    partitions; another is shuffled along a Hilbert curve first.
    """
    dask_geopandas = _module("dask_geopandas")

    if isinstance(frame, gpd.GeoDataFrame):
        if len(frame) <= broadcast_limit:
            return _GridParts([_share(frame, client, name=f"gridgov-grids-{name}")], None)
        numbered = frame.assign(**{_ORDER: np.arange(len(frame), dtype=np.int64)})
        order = np.argsort(frame.geometry.hilbert_distance().to_numpy(), kind="stable")
        chunks = [
            numbered.iloc[order[i : i + partition_rows]]
            for i in range(0, len(frame), partition_rows)
        ]
        bounds = np.array([_bounds_of(c.geometry.to_numpy()) for c in chunks])
        parts = [_share(c, client, name=f"gridgov-grids-{name}", broadcast=False) for c in chunks]
        return _GridParts(parts, bounds)
    assert isinstance(frame, dask_geopandas.GeoDataFrame)
    dask = _module("dask")

    numbered = frame.map_partitions(_numbered)
    if frame.spatial_partitions is None:
        numbered = numbered.spatial_shuffle(by="hilbert", calculate_partitions=False)
    pieces: list[Any] = list(numbered.to_delayed())
    if client is not None:
        # Futures, kept alive by the graphs that use them: the shuffle runs once.
        pieces = client.compute(pieces)
    extents = _compute(*[dask.delayed(_frame_bounds)(p) for p in pieces], progress=False)
    return _GridParts(pieces, np.array(extents, dtype=float).reshape(-1, 4))


def _frame_bounds(frame: gpd.GeoDataFrame) -> np.ndarray:
    return _bounds_of(frame.geometry.to_numpy())


def _extent(
    households: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None, column: str
) -> np.ndarray:
    """Bounds of a household partition and of the buildings its households link to."""
    box = _bounds_of(households.geometry.to_numpy())
    if buildings is None:
        return np.concatenate([box, np.full(4, np.nan)])
    linked = _linked_buildings(households, buildings, column)
    return np.concatenate([box, _bounds_of(linked.geometry.to_numpy())])


def assign(
    households: dask_geopandas.GeoDataFrame | str | os.PathLike[str] | Sequence[str],
    layers: Any,
    *,
    on_boundary: str = "smallest_id",
    outside: str = "unassigned",
    max_distance: float | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    id_column: str = "household_id",
    grid_id_column: str = "grid_id",
    building_column: str = "building_id",
    output: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    progress: bool = False,
    broadcast_limit: int = BROADCAST_LIMIT,
) -> dd.DataFrame:
    """Assign households to grids on a dask cluster, partition by partition.

    The same assignment as :func:`gridgov.assign` -- same options, same
    columns, same answer for every household -- computed by the workers:
    each household partition is assigned by :func:`gridgov.assign` against
    the grids that can reach it (see the module notes), so every household
    is assigned exactly once, also at partition edges.  Nothing is collected
    to the client: the result is a lazy dask DataFrame, or is written per
    partition to Parquet with `output`.

    Parameters
    ----------
    households : path, list of paths or dask_geopandas.GeoDataFrame
        Partitioned GeoParquet (read with :func:`read_households`: one
        partition per file) or a dask-geopandas frame.  Spatially compact
        partitions (e.g. Hilbert-sorted, see ``docs/distributed.md``) are
        joined with few grids each.
    layers : GeoDataFrame or dict of str to GeoDataFrame
        One grid layer or ``{network: layer}``, as for :func:`gridgov.assign`.
        An in-memory layer of up to `broadcast_limit` grids is sent once to
        every worker; a larger one, or a ``dask_geopandas.GeoDataFrame``, is
        partitioned along a Hilbert curve and each household partition is
        joined only with the grid partitions whose extent can reach it.
    on_boundary, outside, max_distance, buildings
        As for :func:`gridgov.assign`.  `buildings` (in memory) is sent to
        every worker; each partition uses the buildings its households link to.
    id_column, grid_id_column, building_column : str
        Id columns, as for :func:`gridgov.assign`.
    output : path-like, optional
        Directory to write the result to, one Parquet file per partition
        (index `id_column`).  The work runs now and the returned frame reads
        the files back lazily.  The folder is written under a temporary name
        beside `output`, marked complete with an empty ``_SUCCESS`` file and
        renamed into place: an interrupted run leaves no folder under the
        final name.
    overwrite : bool, default False
        Replace a non-empty `output` directory (whole, once the new result is
        complete).
    progress : bool, default False
        Show dask's progress bar while the work runs (with `output`, or while
        bounds are gathered for partitioned grids).
    broadcast_limit : int, default 200,000
        Largest in-memory grid layer sent whole to every worker.

    Returns
    -------
    dask.dataframe.DataFrame
        One partition per household partition, in order, with the columns and
        dtypes of :func:`gridgov.assign`, indexed by `id_column` (divisions
        unknown).  ``result.compute()`` equals ``gg.assign`` on the whole data.

    Raises
    ------
    CRSError
        At once when the data sets are in different CRSs or a file has no CRS;
        at compute time when a partition of a dask frame is in another CRS
        than the frame (naming the partition).
    LayerError
        When a layer is malformed; for a partition at compute time, the message
        starts with the partition (and its file).
    ValueError
        For an unknown option value, as :func:`gridgov.assign`.
    OutputExistsError
        When `output` is a non-empty directory and `overwrite` is False.

    Notes
    -----
    Household ids are checked for uniqueness inside each partition, not
    across partitions: give every file its own id range.

    See Also
    --------
    gridgov.assign : the in-memory assignment each partition runs.
    load_table : households per grid, computed on the workers.
    client_for : a cluster to run on.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely import box, points
    >>> folder = tempfile.mkdtemp()
    >>> for i in range(2):
    ...     gpd.GeoDataFrame({"household_id": [f"h{i}a", f"h{i}b"]},
    ...                      geometry=points([50 + 100 * i, 100], [50, 50]), crs=4549
    ...                      ).to_parquet(f"{folder}/part.{i}.parquet")
    >>> grids = gpd.GeoDataFrame({"grid_id": ["a", "b"]},
    ...                          geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
    ...                          crs=4549)
    >>> result = assign(folder, {"governance": grids})
    >>> result.npartitions
    2
    >>> result.compute()
                 governance governance_how  governance_distance
    household_id
    h0a                   a         inside                  0.0
    h0b                   a       boundary                  0.0
    h1a                   b         inside                  0.0
    h1b                   a       boundary                  0.0
    """
    dask = _module("dask")
    dask_df = _module("dask.dataframe")

    frame = _as_households(households)
    crs = frame.crs
    if crs is None:
        msg = "layer 'households' has no CRS; set it before writing the partitioned files"
        raise CRSError(msg)
    crs = pyproj.CRS.from_user_input(crs)
    named = _named(layers, grid_id_column)
    blds = None
    if buildings is not None:
        from gridgov.layers import validate_layer

        blds = validate_layer(buildings, kind="buildings", id_column=building_column)
    options = _AssignOptions(
        on_boundary, outside, max_distance, id_column, grid_id_column, building_column, crs
    )
    sample = _synthetic(frame, named, blds, options)
    meta = sample.iloc[:0]
    from gridgov.distributed._output import check_target, write_folder

    target = None if output is None else check_target(output, overwrite=overwrite)

    client = _client()
    grids = {
        name: _grid_parts(
            layer,
            client,
            name=name,
            broadcast_limit=broadcast_limit,
            partition_rows=GRID_PARTITION_ROWS,
        )
        for name, layer in named.items()
    }
    shared_buildings = None if blds is None else _share(blds, client, name="gridgov-buildings")
    pieces = frame.to_delayed()
    extents = None
    if any(g.bounds is not None for g in grids.values()):
        extents = _household_extents(frame, pieces, shared_buildings, options, progress=progress)
    tasks = []
    for number, piece in enumerate(pieces):
        chosen: dict[str, Any] = {}
        for name, layer in grids.items():
            if layer.bounds is None:
                chosen[name] = layer.parts[0]
                continue
            assert extents is not None
            near = _reaching(layer.bounds, extents[number, :4], options.reach)
            if blds is not None:
                near = np.union1d(near, _reaching(layer.bounds, extents[number, 4:], 0.0))
            if len(near) == 0:
                near = np.zeros(1, dtype=np.int64)
            chosen[name] = [layer.parts[j] for j in np.sort(near)]
        tasks.append(
            dask.delayed(_assign_partition, pure=True)(
                piece, chosen, shared_buildings, options, number=number, meta=meta
            )
        )
    with _keep_dtypes():
        result = dask_df.from_delayed(tasks, meta=meta, verify_meta=True, prefix="gridgov-assign")
    if target is None:
        return cast("dd.DataFrame", result)
    import pyarrow as pa

    schema = pa.Schema.from_pandas(sample, preserve_index=True)

    def write(folder: Path) -> None:
        writer = result.to_parquet(str(folder), write_index=True, schema=schema, compute=False)
        _compute(writer, progress=progress)

    return _read_table(write_folder(target, write), meta)


def _household_extents(
    frame: dask_geopandas.GeoDataFrame,
    pieces: list[Any],
    buildings: Any,
    options: _AssignOptions,
    *,
    progress: bool,
) -> np.ndarray:
    """Per household partition: its bounds, and the bounds of its linked buildings.

    Known without reading when the frame has ``spatial_partitions`` and no
    buildings are given; otherwise computed by the workers (a first pass
    over the households).
    """
    dask = _module("dask")

    if buildings is None and frame.spatial_partitions is not None:
        bounds = frame.spatial_partitions.bounds.to_numpy()
        return np.concatenate([bounds, np.full_like(bounds, np.nan)], axis=1)
    tasks = [
        dask.delayed(_extent, pure=True)(piece, buildings, options.building_column)
        for piece in pieces
    ]
    return np.array(_compute(*tasks, progress=progress))


# --------------------------------------------------------------------------
# load_table
# --------------------------------------------------------------------------
