"""Scale-out: the same assignment and checks on a dask cluster.

A province has tens of millions of households and hundreds of thousands of
grids.  This module runs :func:`gridgov.assign` and :func:`gridgov.check` on
`dask-geopandas <https://dask-geopandas.readthedocs.io>`_ frames with
:mod:`distributed`, the same way on a laptop (a ``LocalCluster``) and on a
cluster (a scheduler address).  It has no logic of its own beyond
partitioning: every partition is handed to the same pure function as
in-process work, so boundary, outside and tie rules are identical.

Partitioning
    Households are read lazily, one partition per GeoParquet file
    (:func:`read_households`).  Each household partition is joined with the
    grids whose bounds can reach the partition's bounds -- the bounds
    themselves for points inside or on a grid, widened by ``max_distance``
    (or by a distance that provably holds every nearest grid) for
    ``outside="nearest"`` -- and :func:`gridgov.assign` runs on that pair.
    A household lives in exactly one partition and every grid it could be
    assigned to is in its partition's pair, so each household is assigned
    exactly once, with the answer :func:`gridgov.assign` gives on the whole
    data.  Grids given in memory are sent to each worker once (broadcast);
    grids given as a dask frame are spatially partitioned (Hilbert curve) and
    only the grid partitions whose extent can reach a household partition
    are joined with it.

Tiles
    :func:`check` cuts the extent of the data into square tiles aligned on
    multiples of ``tile_size``.  A tile runs the rules of one grid at a
    time on the grids whose lower-left corner lies in it, with the context
    around them; and the overlap and building rules on the grids that meet
    it, keeping a finding only when the lower-left corner of the finding's
    geometry falls in the tile (``[xmin, xmax) × [ymin, ymax)``) -- the
    corner lies in the bounds of every grid involved, so they are all there
    -- so a finding at a tile edge is reported once.  Gaps are measured in a
    window around the tile (its *halo*); a gap belongs to the tile holding
    its first vertex (smallest x, then y), and a gap cut by the window is
    measured again in a window twice as wide around it, until whole: a gap
    across tile edges is one finding with its full area.  The household
    rules run per household partition, and the loads they count add up to
    the load table the scale rules read.

Clusters
    :func:`client_for` starts a ``LocalCluster`` (``"local"``) or connects to a
    scheduler address for the duration of a ``with`` block; without one, dask's
    default scheduler runs the same graphs in threads.
"""

from __future__ import annotations

import contextlib
import glob
import importlib
import io
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridgov.errors import CRSError, GridgovError, LayerError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    import dask.dataframe as dd
    import dask_geopandas
    from distributed import Client

__all__ = [
    "assign",
    "check",
    "client_for",
    "load_table",
    "read_households",
]

#: File suffixes recognised as GeoParquet when a directory is given.
_PARQUET_SUFFIXES = (".parquet", ".geoparquet", ".pq")


# --------------------------------------------------------------------------
# Clusters
# --------------------------------------------------------------------------


@contextlib.contextmanager
def client_for(
    scheduler: str = "local",
    *,
    workers: int | None = None,
    threads_per_worker: int = 1,
    memory_limit: str | float | None = "auto",
    dashboard_address: str = ":0",
    timeout: float = 60.0,
) -> Iterator[Client]:
    """Connect to a dask cluster -- or start a local one -- for a ``with`` block.

    With ``scheduler="local"`` a :class:`distributed.LocalCluster` of
    `workers` worker processes is started and shut down at the end of the
    block; with a scheduler address (``"tcp://10.0.0.5:8786"``) the client
    connects to that cluster, waits for `workers` workers when given, and
    disconnects at the end (the cluster keeps running).  While the block
    runs, the client is dask's default, so :func:`assign`, :func:`check`
    and :func:`load_table` run on it.

    Parameters
    ----------
    scheduler : str, default "local"
        ``"local"``, or the address of a running scheduler.
    workers : int, optional
        Local: number of worker processes (default: the number of CPUs).
        Remote: number of workers to wait for before returning.
    threads_per_worker : int, default 1
        Threads per local worker.  One thread per process is the safe
        default for GEOS work: memory stays predictable per worker.
    memory_limit : str or float, optional
        Memory limit per local worker (``"2GiB"``, bytes, or ``"auto"``:
        the machine's memory divided among the workers; ``None``: no limit).
    dashboard_address : str, default ":0"
        Address of the local scheduler's dashboard (its HTTP server); ``":0"``
        takes a free port (see ``client.dashboard_link``), so that several
        clusters on one machine never compete for the usual ``:8787``.
    timeout : float, default 60
        Seconds to wait for a remote scheduler and its workers.

    Yields
    ------
    distributed.Client

    Raises
    ------
    ValueError
        When `workers` or `threads_per_worker` is below 1.
    OSError
        When the scheduler cannot be reached within `timeout` (``TimeoutError``).

    See Also
    --------
    assign, check : the work to run on the cluster.

    Examples
    --------
    >>> from gridgov import distributed as ggd
    >>> with ggd.client_for("local", workers=2) as client:  # doctest: +SKIP
    ...     ggd.assign("households/", {"governance": grids}, output="assigned/")
    """
    distributed = _module("distributed")

    for name, value in (("workers", workers), ("threads_per_worker", threads_per_worker)):
        if value is not None and (isinstance(value, bool) or int(value) != value or value < 1):
            msg = f"{name} must be a whole number >= 1, got {value!r}"
            raise ValueError(msg)
    if scheduler == "local":
        n_workers = workers if workers is not None else (os.cpu_count() or 1)
        with (
            distributed.LocalCluster(
                n_workers=int(n_workers),
                threads_per_worker=int(threads_per_worker),
                processes=True,
                memory_limit=memory_limit,
                dashboard_address=dashboard_address,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    with distributed.Client(scheduler, timeout=timeout) as client:
        if workers is not None:
            client.wait_for_workers(int(workers), timeout=timeout)
        yield client


def _module(name: str) -> Any:
    """Import an optional dependency (dask, distributed, dask-geopandas) when first needed.

    Their APIs are used through ``Any``: they are only partly typed.
    """
    return importlib.import_module(name)


def _keep_dtypes() -> contextlib.AbstractContextManager[Any]:
    """Keep the dtypes of the pure functions: no conversion of text columns by dask.

    dask converts object columns to pyarrow strings by default; the frames
    built under this context keep the dtypes :func:`gridgov.assign` returns.
    """
    setting: contextlib.AbstractContextManager[Any] = _module("dask").config.set(
        {"dataframe.convert-string": False}
    )
    return setting


def _client() -> Any:
    """Return the active distributed client, or None (dask's default scheduler)."""
    try:
        return _module("distributed").get_client()
    except (ImportError, ValueError):  # no distributed, or no client: the default scheduler
        return None


def _compute(*collections: Any, progress: bool) -> tuple[Any, ...]:
    """Compute dask collections on the active client (or dask's default scheduler).

    With `progress`, dask's progress bar is shown while the graph runs (the
    text bar of :func:`distributed.progress` on a cluster, else
    :class:`dask.diagnostics.ProgressBar`).
    """
    dask = _module("dask")

    client = _client()
    if client is None:
        if progress:
            with _module("dask.diagnostics").ProgressBar():
                return tuple(dask.compute(*collections))
        return tuple(dask.compute(*collections))
    futures = client.compute(list(collections))
    if progress:
        _module("distributed").progress(futures, notebook=False)
    return tuple(client.gather(futures))


# --------------------------------------------------------------------------
# Reading partitioned GeoParquet
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _PartFile:
    """One GeoParquet file of a partitioned data set, as its footer describes it."""

    path: str
    crs: pyproj.CRS | None
    bbox: tuple[float, float, float, float] | None
    rows: int


def _natural_key(path: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]


def _parquet_files(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    layer: str = "households",
) -> list[Path]:
    """Return the files of a data set: a directory (searched recursively), glob, file or list."""
    if not isinstance(source, str | os.PathLike):
        files = [Path(p) for p in source]
    else:
        text = os.fspath(source)
        path = Path(text)
        if path.is_dir():
            files = [
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in _PARQUET_SUFFIXES
                and not any(part.startswith(("_", ".")) for part in p.relative_to(path).parts)
            ]
        elif any(ch in text for ch in "*?["):
            files = [Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file()]
        else:
            files = [path]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        msg = f"layer {layer!r}: no such file {missing[0]!r}"
        raise LayerError(msg)
    if not files:
        msg = f"layer {layer!r}: no Parquet file found in {source!r}"
        raise LayerError(msg)
    return sorted(files, key=_natural_key)


def _scan(path: Path) -> _PartFile:
    """Read the footer of one GeoParquet file: CRS, bounding box and row count."""
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_metadata(path)
    except (OSError, ValueError) as error:  # pyarrow raises ArrowInvalid (a ValueError)
        msg = f"layer 'households': file {str(path)!r} is not a Parquet file ({error})"
        raise LayerError(msg) from None
    geo_text = (metadata.metadata or {}).get(b"geo")
    if geo_text is None:
        msg = (
            f"layer 'households': file {str(path)!r} is Parquet without GeoParquet "
            "metadata; write it with geopandas (GeoDataFrame.to_parquet) or "
            "dask_geopandas (to_parquet)"
        )
        raise LayerError(msg)
    geo = json.loads(geo_text)
    column = geo["columns"][geo["primary_column"]]
    # GeoParquet: a missing "crs" key means OGC:CRS84; an explicit null means unknown.
    crs_value = column.get("crs", "OGC:CRS84")
    crs = None if crs_value is None else pyproj.CRS.from_user_input(crs_value)
    bbox = column.get("bbox")
    box = None
    if bbox is not None and len(bbox) == 4 and all(math.isfinite(v) for v in bbox):
        box = (float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3]))
    return _PartFile(path=str(path), crs=crs, bbox=box, rows=int(metadata.num_rows))


def _describe_crs(crs: pyproj.CRS | None) -> str:
    if crs is None:
        return "no CRS"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else repr(crs.name)


def _check_files(files: list[_PartFile]) -> pyproj.CRS:
    """Return the one CRS of the files; CRSError naming the file otherwise."""
    for i, part in enumerate(files):
        if part.crs is None:
            msg = (
                f"households partition {i} (file {part.path!r}) has no CRS; write the "
                "files with a CRS (frame.set_crs(...) before to_parquet), e.g. "
                "EPSG:4490 for CGCS2000 longitude/latitude"
            )
            raise CRSError(msg)
    first = files[0].crs
    assert first is not None  # checked above
    for i, part in enumerate(files):
        if part.crs != first:
            msg = (
                f"households partition {i} (file {part.path!r}) is in "
                f"{_describe_crs(part.crs)} but partition 0 (file {files[0].path!r}) is in "
                f"{_describe_crs(first)}; every partition must be in one CRS: reproject "
                "the odd files and write them again (gridgov never reprojects silently)"
            )
            raise CRSError(msg)
    return first


def _empty_frame(path: str) -> gpd.GeoDataFrame:
    """Return an empty GeoDataFrame with the schema of the GeoParquet file `path`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(path)
    schema = handle.schema_arrow
    table = pa.Table.from_batches([], schema=schema).replace_schema_metadata(schema.metadata)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    buffer.seek(0)
    return gpd.read_parquet(buffer)


@dataclass(frozen=True)
class _ReadPart:
    """Read one file as one partition, labelled for error messages."""

    columns: tuple[str, ...] | None

    def __call__(self, item: tuple[int, str]) -> gpd.GeoDataFrame:
        number, path = item
        frame = gpd.read_parquet(path, columns=None if self.columns is None else list(self.columns))
        frame.attrs = {"gridgov_partition": f"households partition {number} (file {path!r})"}
        return frame


def read_households(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Sequence[str] | None = None,
) -> dask_geopandas.GeoDataFrame:
    """Read partitioned GeoParquet lazily: one partition per file.

    Only the file footers are read now: the CRS of every file (which must be
    one and the same) and its bounding box, which becomes the partition's
    spatial extent (``frame.spatial_partitions``) so that :func:`assign`
    joins each partition only with the grids that can reach it.  The data is
    read by the workers, partition by partition.

    Parameters
    ----------
    source : path-like, glob or list of paths
        A directory (all ``*.parquet`` / ``*.geoparquet`` / ``*.pq`` files
        below it, in natural order, except names starting with ``_`` or
        ``.``), a glob pattern, one file, or a list of files.
    columns : sequence of str, optional
        Columns to read (the geometry column is always read).

    Returns
    -------
    dask_geopandas.GeoDataFrame
        One partition per file, with ``spatial_partitions`` when every file
        records its bounding box (geopandas and dask-geopandas write it; an
        empty file gets an empty polygon).

    Raises
    ------
    LayerError
        When no file is found, or a file is not GeoParquet (naming it).
    CRSError
        When a file has no CRS or the files are in different CRSs (naming
        the first odd file and its partition number).

    See Also
    --------
    assign : consumes the frame.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely import points
    >>> folder = tempfile.mkdtemp()
    >>> for i in range(2):
    ...     gpd.GeoDataFrame({"household_id": [f"h{i}a", f"h{i}b"]},
    ...                      geometry=points([i, i + 0.5], [0, 1]), crs=4549
    ...                      ).to_parquet(f"{folder}/part.{i}.parquet")
    >>> households = read_households(folder)
    >>> households.npartitions, households.crs.to_epsg()
    (2, 4549)
    >>> households.spatial_partitions.bounds.to_numpy().tolist()
    [[0.0, 0.0, 0.5, 1.0], [1.0, 0.0, 1.5, 1.0]]
    """
    dask_df = _module("dask.dataframe")
    _module("dask_geopandas")  # registers GeoDataFrame partitions

    files = [_scan(p) for p in _parquet_files(source)]
    crs = _check_files(files)
    meta = _empty_frame(files[0].path)
    if columns is not None:
        geometry = meta.geometry.name
        wanted = list(dict.fromkeys([*columns, geometry]))
        unknown = [c for c in wanted if c not in meta.columns]
        if unknown:
            msg = (
                f"layer 'households': no column {', '.join(map(repr, unknown))} "
                f"(columns: {', '.join(map(str, meta.columns))})"
            )
            raise LayerError(msg)
        meta = meta[wanted]
    meta = meta.set_crs(crs, allow_override=True)
    with _keep_dtypes():
        frame = dask_df.from_map(
            _ReadPart(None if columns is None else tuple(meta.columns)),
            [(i, part.path) for i, part in enumerate(files)],
            meta=meta,
            label="read-households",
            enforce_metadata=False,
        )
    if all(part.bbox is not None or part.rows == 0 for part in files):
        frame.spatial_partitions = gpd.GeoSeries(
            [shapely.Polygon() if part.bbox is None else shapely.box(*part.bbox) for part in files],
            crs=crs,
        )
    return frame


# --------------------------------------------------------------------------
# Which grids can reach a partition
# --------------------------------------------------------------------------

#: Attribute under which a partition carries its label for error messages.
_LABEL = "gridgov_partition"
#: Column carrying the position of a grid in its layer across grid partitions.
_ORDER = "__gridgov_order"
#: Relative and absolute slack added to reach distances (rounding of bounds).
_SLACK = 1e-9


def _min_distance(bounds: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Smallest distance between each box of `bounds` (m, 4) and the box `box` (4,)."""
    dx = np.maximum(0.0, np.maximum(bounds[:, 0] - box[2], box[0] - bounds[:, 2]))
    dy = np.maximum(0.0, np.maximum(bounds[:, 1] - box[3], box[1] - bounds[:, 3]))
    out: np.ndarray = np.hypot(dx, dy)
    return out


def _max_distance(bounds: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Largest distance between a point of each box of `bounds` and a point of `box`."""
    dx = np.maximum(bounds[:, 2] - box[0], box[2] - bounds[:, 0])
    dy = np.maximum(bounds[:, 3] - box[1], box[3] - bounds[:, 1])
    out: np.ndarray = np.hypot(dx, dy)
    return out


def _reaching(bounds: np.ndarray, box: np.ndarray, reach: float | None) -> np.ndarray:
    """Positions of the boxes in `bounds` that may hold the grid of a point in `box`.

    A grid can be chosen for a point when it contains the point (its bounds
    meet `box`) or, with ``outside="nearest"``, when it lies within `reach`
    of the point.  With ``reach=None`` (no limit) the nearest grid of every
    point of `box` is no farther than the smallest *largest* distance from
    `box` to a box, so that bound is the reach.  Boxes with NaN bounds
    (empty partitions) never reach.
    """
    if len(bounds) == 0 or not np.all(np.isfinite(box)):
        return np.zeros(0, dtype=np.int64)
    finite = np.isfinite(bounds).all(axis=1)
    if reach is None:
        if not finite.any():
            return np.zeros(0, dtype=np.int64)
        reach = float(_max_distance(bounds[finite], box).min())
    near = np.full(len(bounds), np.inf)
    near[finite] = _min_distance(bounds[finite], box)
    return np.flatnonzero(near <= reach * (1.0 + _SLACK) + _SLACK)


def _bounds_of(geometry: Any) -> np.ndarray:
    """Return the total bounds of the non-missing geometries (NaN when there is none)."""
    bounds = shapely.bounds(np.asarray(geometry, dtype=object))
    finite = np.isfinite(bounds).all(axis=1) if len(bounds) else np.zeros(0, dtype=bool)
    if not finite.any():
        return np.full(4, np.nan)
    ok = bounds[finite]
    return np.array([ok[:, 0].min(), ok[:, 1].min(), ok[:, 2].max(), ok[:, 3].max()])


@dataclass(frozen=True)
class _AssignOptions:
    """The options of :func:`gridgov.assign`, carried to every partition."""

    on_boundary: str
    outside: str
    max_distance: float | None
    id_column: str
    grid_id_column: str
    building_column: str
    crs: pyproj.CRS

    @property
    def reach(self) -> float | None:
        """How far from a household its grid may lie: 0, max_distance, or None (no limit)."""
        if self.outside != "nearest":
            return 0.0
        if self.max_distance is None or math.isinf(self.max_distance):
            return None
        return float(self.max_distance)

    def keywords(self) -> dict[str, Any]:
        return {
            "on_boundary": self.on_boundary,
            "outside": self.outside,
            "max_distance": self.max_distance,
            "id_column": self.id_column,
            "grid_id_column": self.grid_id_column,
            "building_column": self.building_column,
        }


def _gather(parts: Any) -> gpd.GeoDataFrame:
    """One grid frame from a broadcast frame or a list of grid partitions, in layer order."""
    if isinstance(parts, gpd.GeoDataFrame):
        return parts
    frames = [p for p in parts if len(p)] or list(parts[:1])
    frame = pd.concat(frames) if len(frames) > 1 else frames[0]
    if _ORDER in frame.columns:
        order = np.argsort(frame[_ORDER].to_numpy(), kind="stable")
        frame = frame.iloc[order].drop(columns=_ORDER)
    return frame


def _linked_buildings(
    households: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, column: str
) -> gpd.GeoDataFrame:
    """Return the buildings the households link to (at least one: a lone one changes nothing)."""
    from gridgov.layers import _normalise_ids

    if column not in households.columns:
        return buildings.iloc[:1]
    linked = _normalise_ids(households[column]).dropna().unique()
    chosen = buildings[buildings[column].isin(linked).to_numpy()]
    return chosen if len(chosen) else buildings.iloc[:1]


def _reachable_grids(
    grids: gpd.GeoDataFrame,
    box: np.ndarray,
    reach: float | None,
    buildings: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """Return the grids that can be assigned to households in `box` (and their buildings).

    Grids out of reach can never be chosen, so leaving them out changes no
    answer; at least one grid is kept, since a grid layer cannot be empty.
    """
    bounds = shapely.bounds(grids.geometry.to_numpy())
    keep = _reaching(bounds, box, reach)
    if buildings is not None and len(buildings):
        tree = shapely.STRtree(shapely.box(*bounds.T))
        _, touching = tree.query(buildings.geometry.to_numpy())
        keep = np.union1d(keep, touching)
    if len(keep) == 0:
        keep = np.zeros(1, dtype=np.int64)
    return grids.iloc[np.sort(keep)]


def _relabel(error: GridgovError, label: str) -> GridgovError:
    """Return the same error, its message prefixed with the partition it came from."""
    return type(error)(f"{label}: {error}")


def _check_partition_crs(part: gpd.GeoDataFrame, crs: pyproj.CRS, label: str) -> None:
    given = part.crs
    if given is None:
        msg = (
            f"{label} has no CRS; every partition must carry the CRS of the data set "
            f"({_describe_crs(crs)}): set it before writing the files"
        )
        raise CRSError(msg)
    if pyproj.CRS.from_user_input(given) != crs:
        msg = (
            f"{label} is in {_describe_crs(pyproj.CRS.from_user_input(given))} but the "
            f"data set is in {_describe_crs(crs)}; every partition must be in one CRS: "
            "reproject the odd partition and write it again (gridgov never reprojects silently)"
        )
        raise CRSError(msg)


def _assign_partition(
    households: gpd.GeoDataFrame,
    grids: Mapping[str, Any],
    buildings: gpd.GeoDataFrame | None,
    options: _AssignOptions,
    *,
    number: int,
    meta: pd.DataFrame,
) -> pd.DataFrame:
    """Run :func:`gridgov.assign` on one household partition and the grids that can reach it."""
    from gridgov.assign import assign as assign_in_memory

    label = str(households.attrs.get(_LABEL, f"households partition {number}"))
    _check_partition_crs(households, options.crs, label)
    if len(households) == 0:
        return meta
    box = _bounds_of(households.geometry.to_numpy())
    linked = None
    if buildings is not None:
        linked = _linked_buildings(households, buildings, options.building_column)
    layers = {
        name: _reachable_grids(_gather(parts), box, options.reach, linked)
        for name, parts in grids.items()
    }
    try:
        return assign_in_memory(households, layers, buildings=linked, **options.keywords())
    except GridgovError as error:
        raise _relabel(error, label) from None


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

    from gridgov.assign import _named_layers
    from gridgov.layers import validate_layer

    if isinstance(layers, dask_geopandas.GeoDataFrame):
        msg = "pass a dask grid layer by network, e.g. {'governance': grids}"
        raise LayerError(msg)
    if isinstance(layers, gpd.GeoDataFrame):
        return dict(_named_layers(layers, grid_id_column))
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
        the files back lazily.
    overwrite : bool, default False
        Replace the files of a non-empty `output` directory.
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
    FileExistsError
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
    target = _prepare_output(output, overwrite=overwrite)

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
    writer = result.to_parquet(str(target), write_index=True, schema=schema, compute=False)
    _compute(writer, progress=progress)
    return _read_table(target, meta)


@dataclass(frozen=True)
class _ReadTable:
    """Read one Parquet file of an assignment as one partition, in the dtypes of `meta`."""

    meta: pd.DataFrame | None

    def __call__(self, path: str) -> pd.DataFrame:
        frame = pd.read_parquet(path)
        if self.meta is None:
            return frame
        frame = frame.astype(dict(self.meta.dtypes))
        for column, dtype in self.meta.dtypes.items():
            if pd.api.types.is_object_dtype(dtype):  # text from Parquet: missing as None
                values = frame[column]
                frame[column] = values.where(values.notna(), None)
        return frame


def _read_table(folder: Path, meta: pd.DataFrame | None) -> dd.DataFrame:
    """Return the files an assignment was written to, lazily, one partition per file."""
    dask_df = _module("dask.dataframe")
    import pyarrow.parquet as pq

    files = _parquet_files(folder, layer="assignment")
    empty = meta if meta is not None else pq.read_schema(files[0]).empty_table().to_pandas()
    with _keep_dtypes():
        frame: dd.DataFrame = dask_df.from_map(
            _ReadTable(meta),
            [str(f) for f in files],
            meta=empty,
            label="read-assignment",
            enforce_metadata=False,
        )
    return frame


def _prepare_output(output: str | os.PathLike[str] | None, *, overwrite: bool) -> Path | None:
    if output is None:
        return None
    target = Path(output)
    if target.exists() and not target.is_dir():
        msg = f"output {str(target)!r} exists and is not a directory"
        raise FileExistsError(msg)
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            msg = (
                f"output directory {str(target)!r} is not empty; pass overwrite=True "
                "to replace its files, or choose a new directory"
            )
            raise FileExistsError(msg)
        for item in target.iterdir():
            if item.is_dir():
                import shutil

                shutil.rmtree(item)
            else:
                item.unlink()
    return target


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


def _summarize_partition(
    result: pd.DataFrame, households: gpd.GeoDataFrame | None, number: int, id_column: str
) -> pd.DataFrame:
    """:func:`gridgov.summarize_assignment` of one partition of an assignment."""
    from gridgov.assign import summarize_assignment

    try:
        return summarize_assignment(result, households=households, id_column=id_column)
    except GridgovError as error:
        label = "households partition"
        if households is not None:
            label = str(households.attrs.get(_LABEL, f"households partition {number}"))
        else:
            label = f"assignment partition {number}"
        raise _relabel(error, label) from None


def _combine_tables(tables: list[pd.DataFrame], networks: list[str]) -> pd.DataFrame:
    """Add up partial load tables into one, in the row order of summarize_assignment."""
    table = pd.concat(tables, ignore_index=True)
    keys = ["network", "grid_id"]
    counts = [c for c in table.columns if c not in keys]
    summed = table.groupby(keys, dropna=False, sort=False)[counts].sum().reset_index()
    grid = summed["grid_id"].to_numpy(dtype=object)
    missing = pd.isna(grid)
    rank = summed["network"].map({n: i for i, n in enumerate(networks)}).to_numpy()
    order = np.lexsort((np.where(missing, "", grid).astype(str), missing, rank))
    out = summed.iloc[order].reset_index(drop=True)
    out["network"] = out["network"].astype(object)
    grid_ids = out["grid_id"].astype(object)
    out["grid_id"] = grid_ids.where(grid_ids.notna(), None)
    for column in counts:
        out[column] = out[column].astype(table[column].dtype)
    return out[table.columns]


def load_table(
    assignment: dd.DataFrame | str | os.PathLike[str],
    *,
    households: dask_geopandas.GeoDataFrame | str | os.PathLike[str] | None = None,
    layers: Any = None,
    id_column: str = "household_id",
    grid_id_column: str = "grid_id",
    progress: bool = False,
) -> pd.DataFrame:
    """Households per grid per network, computed on the workers.

    Each partition of the assignment is summarised by
    :func:`gridgov.summarize_assignment` where it lives; the partial tables
    are added up on a worker and only the load table (one row per grid)
    comes back to the client.  It equals ``gg.summarize_assignment`` of the
    whole assignment.

    Parameters
    ----------
    assignment : dask DataFrame or path
        What :func:`assign` returned, or the directory it wrote (`output`).
    households : path or dask_geopandas.GeoDataFrame, optional
        The households given to :func:`assign`, partitioned the same way (one
        partition per partition of `assignment`), to add up their
        ``persons``.
    layers : GeoDataFrame or dict of str to GeoDataFrame, optional
        The grid layers (in memory); grids without any household then get a
        row with zero counts.
    id_column, grid_id_column : str
        Id columns of households and grids.
    progress : bool, default False
        Show dask's progress bar.

    Returns
    -------
    DataFrame
        As :func:`gridgov.summarize_assignment`: ``network``, ``grid_id``
        (``None`` on the unassigned row of each network), ``households``, one
        count per assignment kind, and ``persons`` with `households`.

    Raises
    ------
    LayerError
        When `households` is not partitioned like `assignment` (naming the
        partition), or lacks ``persons``.

    See Also
    --------
    gridgov.summarize_assignment : the in-memory load table.
    assign : the distributed assignment.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely import box, points
    >>> folder = tempfile.mkdtemp()
    >>> for i in range(2):
    ...     gpd.GeoDataFrame({"household_id": [f"h{i}a", f"h{i}b"], "persons": [2, 3]},
    ...                      geometry=points([50 + 100 * i, 100], [50, 50]), crs=4549
    ...                      ).to_parquet(f"{folder}/part.{i}.parquet")
    >>> grids = gpd.GeoDataFrame({"grid_id": ["a", "b", "c"]},
    ...                          geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100),
    ...                                    box(200, 0, 300, 100)], crs=4549)
    >>> result = assign(folder, grids)
    >>> table = load_table(result, households=folder, layers=grids)
    >>> table[["network", "grid_id", "households", "inside", "boundary", "persons"]]
      network grid_id  households  inside  boundary  persons
    0    grid       a           3       1         2      8.0
    1    grid       b           1       1         0      2.0
    2    grid       c           0       0         0      0.0
    3    grid    None           0       0         0      0.0
    """
    dask = _module("dask")

    from gridgov.assign import _networks_of, summarize_assignment

    if isinstance(assignment, str | os.PathLike):
        assignment = _read_table(Path(assignment), None)
    empty = pd.DataFrame(
        {column: pd.Series(dtype=dtype) for column, dtype in assignment.dtypes.items()}
    )
    networks = _networks_of(empty)
    frame: Any = assignment
    pieces = frame.to_delayed()
    homes: list[Any] = [None] * len(pieces)
    if households is not None:
        frame = _as_households(households)
        if frame.npartitions != len(pieces):
            msg = (
                f"layer 'households' has {frame.npartitions} partitions but the assignment "
                f"has {len(pieces)}; pass the households given to assign, partitioned the same way"
            )
            raise LayerError(msg)
        homes = list(frame.to_delayed())
    tables = [
        dask.delayed(_summarize_partition, pure=True)(piece, home, number, id_column)
        for number, (piece, home) in enumerate(zip(pieces, homes, strict=True))
    ]
    if layers is not None:
        zero = summarize_assignment(
            empty, layers=layers, id_column=id_column, grid_id_column=grid_id_column
        )
        if households is not None:
            zero["persons"] = 0.0
        tables.append(zero)
    combined = dask.delayed(_combine_tables, pure=True)(tables, networks)
    (table,) = _compute(combined, progress=progress)
    return cast("pd.DataFrame", table)


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
    """What one tile found: finding records, overlap pairs, gaps, and parents of its grids.

    ``cut`` holds the bounds of the gap pieces the tile may own that its
    window cut: each is measured again in a wider window around it.
    """

    records: list[pd.DataFrame]
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
    gaps: pd.DataFrame
    cut: np.ndarray
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


def _off_features(ctx: _CheckContext, grids: Any, box: Sequence[float]) -> pd.DataFrame:
    """Run ``boundary.off_features`` with the features and the outer edge near `box`."""
    from gridgov.rules import boundary

    lines = np.zeros(0, dtype=object)
    if ctx.feature_geoms is not None:
        lines = ctx.feature_geoms[_meeting(ctx.feature_bounds, box)]
    edge = None
    if ctx.edge_chunks is not None:
        edge = shapely.multilinestrings(ctx.edge_chunks[_meeting(ctx.edge_bounds, box)])
    return boundary.off_features(grids, lines, rules=ctx.rules, outer_edge=edge)


def _grid_rules(ctx: _CheckContext, rows: np.ndarray) -> tuple[list[pd.DataFrame], np.ndarray]:
    """Run the rules of one grid at a time on the grids `rows`, with the context around them.

    The same rule functions as :func:`gridgov.check`, on the same grids; the
    context (jurisdiction, parents, features) is what lies within `margin` of
    the grids, or the very objects the in-memory check measures against (the
    jurisdiction's union and the segments of its boundary), so that the
    measures are the same.  Returns the records and, when
    ``scale.unbalanced_parent`` runs, the parent of each row.
    """
    from gridgov.rules import adjustment, boundary, coverage, scale
    from gridgov.rules._base import Grids

    run, rules = ctx.run, ctx.rules
    grids = Grids.from_frame(ctx.grids.iloc[rows])
    b = ctx.grid_bounds[rows]
    box = _expand((b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()), ctx.margin)
    parents = _parents_near(ctx, grids, box)
    steps: dict[str, Any] = {
        "scale.area_out_of_range": lambda: scale.area_out_of_range(grids, rules=rules),
        "boundary.invalid_geometry": lambda: boundary.invalid_geometry(grids),
        "boundary.multipart": lambda: boundary.multipart(grids),
        "boundary.bad_code": lambda: boundary.bad_code(grids, rules=rules),
        "boundary.crosses_parent": lambda: boundary.crosses_parent(
            grids, *(parents or (np.zeros(0, object), np.zeros(0, object))), rules=rules
        ),
        "boundary.sliver": lambda: boundary.sliver(grids, rules=rules),
        "boundary.off_features": lambda: _off_features(ctx, grids, box),
        "coverage.outside_jurisdiction": lambda: coverage.outside_jurisdiction(
            grids, ctx.outer, rules=rules
        ),
        "adjustment.review_due": lambda: adjustment.review_due(grids, rules=rules),
    }
    out = [step() for rule, step in steps.items() if run[rule]]
    parent_of = np.full(len(rows), None, dtype=object)
    if run["scale.unbalanced_parent"]:
        parent_of = _parent_of(grids, parents)
    return out, parent_of


def _gap_pieces(
    ctx: _CheckContext, grids: Any, analysed: Any, window: Sequence[float], tile: Sequence[float]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the gaps complete in `window` that `tile` owns, and the bounds of cut ones.

    A gap is complete when it keeps clear of the window's edges; it belongs
    to the tile holding its first vertex (smallest x, then y).  A cut piece
    whose first vertex lies in the tile is returned by its bounds, to be
    measured again in a wider window around it.
    """
    from gridgov.rules import coverage

    rules = ctx.rules.replace(min_gap_area=0.0)  # all pieces: the threshold is applied once whole
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
        found = coverage.gap(grids, analysed, area, rules=rules)
        pieces = found["geometry"].to_numpy(dtype=object) if len(found) else np.zeros(0, object)
    else:
        found = coverage.gap(grids, analysed, None, rules=rules)
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
    """All the tile-local rules of one tile (see the module notes)."""
    from gridgov.rules import boundary, coverage
    from gridgov.rules._base import Grids, empty

    run, rules = ctx.run, ctx.rules
    records: list[pd.DataFrame] = []
    home = np.flatnonzero(_owned(ctx.grid_bounds[:, :2], tile))
    parents = (home, np.zeros(0, dtype=object))
    if len(home):
        found, parent_of = _grid_rules(ctx, home)
        records.extend(found)
        parents = (home, parent_of)
    window = _expand(tile, halo)
    footprints = None
    if run["boundary.splits_building"] and ctx.building_bounds is not None:
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
    gaps, cut = empty(), np.zeros((0, 4))
    wants = ("coverage.gap", "coverage.overlap", "coverage.multiply_covered_household")
    if any(run[r] for r in wants):
        analysed = coverage.analyse(grids)
        own = _owned(_lower_left(analysed.shared), tile)
        if run["coverage.overlap"]:
            overlaps = coverage.overlap(grids, analysed, rules=rules)
            if len(overlaps):
                where = _lower_left(overlaps["geometry"].to_numpy())
                records.append(overlaps[_owned(where, tile)])
        if run["coverage.multiply_covered_household"]:
            pairs = (rows[analysed.left[own]], rows[analysed.right[own]], analysed.shared[own])
        if run["coverage.gap"]:
            gaps, cut = _gap_pieces(ctx, grids, analysed, window, tile)
    if footprints is not None:
        records.append(boundary.splits_building(grids, *footprints, rules=rules))
    return _TileResult(records, pairs, gaps, cut, parents)


def _wider_gaps(
    ctx: _CheckContext, tile: tuple[float, float, float, float], cut: np.ndarray, reach: float
) -> tuple[pd.DataFrame, np.ndarray]:
    """Measure the cut gap pieces of `tile` again, each in its bounds widened by `reach`."""
    from gridgov.rules import coverage
    from gridgov.rules._base import Grids, empty

    found, still = [empty()], [np.zeros((0, 4))]
    for box in cut:
        window = _expand(box, reach)
        grids = Grids.from_frame(ctx.grids.iloc[_meeting(ctx.grid_bounds, window)])
        gaps, more = _gap_pieces(ctx, grids, coverage.analyse(grids), window, tile)
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
    from gridgov.rules import coverage
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
    records: list[pd.DataFrame] = []
    if run["coverage.uncovered_household"]:
        unassigned = (result["grids_how"] == "unassigned").to_numpy(dtype=bool)
        if unassigned.any():
            near = _reachable_grids(ctx.grids, _bounds_of(points[unassigned]), None, None)
            records.append(
                coverage.uncovered_household(Grids.from_frame(near), ids, points, unassigned)
            )
    if run["coverage.multiply_covered_household"] and hctx.pair_grids is not None:
        records.append(
            coverage.multiply_covered_household(hctx.pair_grids, hctx.pair_coverage, ids, points)
        )
    if run["coverage.service_gap"]:
        served = assign_by_network(
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
        reason = served["reason"].astype(object).to_numpy(dtype=object)
        records.append(
            coverage.service_gap(
                ids,
                points,
                served["distance"].to_numpy(dtype=float),
                np.array([None if pd.isna(r) else r for r in reason], dtype=object),
                owner,
                rules=rules,
            )
        )
    return records, table


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

    from gridgov.check import _finish, _Plan, _validate
    from gridgov.crs import require_metric
    from gridgov.rules import RuleSet

    rules = RuleSet() if rules is None else rules
    if not isinstance(rules, RuleSet):
        msg = f"rules must be a gg.RuleSet, got {type(rules).__name__}"
        raise TypeError(msg)
    inputs = _validate(
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
    plan = _Plan(rules, inputs)
    grid_bounds = shapely.bounds(inputs.grids.geometry)
    size = float(tile_size) if tile_size is not None else _auto_tile_size(grid_bounds)
    reach = float(halo) if halo is not None else size / 8.0
    if not (size > 0 and reach >= 0 and math.isfinite(size) and math.isfinite(reach)):
        msg = f"tile_size must be > 0 and halo >= 0 (metres), got {tile_size!r} and {halo!r}"
        raise ValueError(msg)

    ctx, boxes = _check_context(inputs, plan.run, rules, grid_bounds)
    client = _client()
    shared = _share(ctx, client, name="gridgov-check")
    tiles = _tiles(boxes, size)
    results = _run_tiles(shared, tiles, reach, progress=progress)
    parts: list[pd.DataFrame] = [r for result in results for r in result.records]
    parts.extend(_whole_gaps(shared, tiles, results, reach, rules, progress=progress))
    loads = _Loads.empty(len(inputs.grids))
    if homes is not None and any(plan.run[r] for r in _household_rules()):
        found, loads = _run_households(
            homes, inputs, plan.run, rules, results, shared, client, progress=progress
        )
        parts.extend(found)
    parts.extend(_layer_rules(inputs, plan.run, rules, results, loads))
    return _finish(parts, inputs.grids, rules=rules, crs=inputs.crs, skipped=plan.skipped)


def _household_rules() -> list[str]:
    from gridgov.rules import RULES

    return [rule for rule, info in RULES.items() if "households" in info.context]


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
    if run["boundary.splits_building"] and footprint_geoms is not None:
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


def _whole_gaps(
    shared: Any,
    tiles: list[tuple[float, float, float, float]],
    results: list[_TileResult],
    reach: float,
    rules: Any,
    *,
    progress: bool,
) -> list[pd.DataFrame]:
    """Return the gap findings: each gap once, whole.

    Gaps cut by their tile's window are measured again around the cut piece,
    in windows twice as wide each round, until whole (a window beyond the
    extent of the data cuts nothing).
    """
    dask = _module("dask")

    from gridgov.rules._base import above

    frames = [result.gaps for result in results if len(result.gaps)]
    pending = [(tile, result.cut) for tile, result in zip(tiles, results, strict=True)]
    pending = [(tile, cut) for tile, cut in pending if len(cut)]
    wider = max(reach, 4.0 * _GAP_CLEARANCE)
    while pending:
        again = _compute(
            *[
                dask.delayed(_wider_gaps, pure=True)(shared, tile, cut, wider)
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
        return []
    gaps = _dedupe_gaps(pd.concat(frames, ignore_index=True))
    gaps = gaps[above(gaps["value"].to_numpy(dtype=float), rules.min_gap_area)]
    return [gaps.drop(columns=["_x", "_y"]).assign(limit=float(rules.min_gap_area))]


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
    if run["coverage.multiply_covered_household"]:
        pair_grids, pair_coverage = _pair_coverage(grids, results)
    old_grids, recorded = _previous_loads(inputs) if run["adjustment.load_drift"] else (None, None)
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
    """Return the findings of the rules over the whole layer: loads, parents, duplicated ids."""
    from gridgov.rules import adjustment, boundary, scale
    from gridgov.rules._base import Grids

    grids = inputs.grids
    out: list[pd.DataFrame] = []
    if run["scale.too_many_households"]:
        out.append(scale.too_many_households(grids, loads.households, rules=rules))
    if run["scale.too_few_households"]:
        out.append(scale.too_few_households(grids, loads.households, rules=rules))
    if run["scale.too_many_persons"]:
        out.append(scale.too_many_persons(grids, loads.persons, rules=rules))
    if run["scale.unbalanced_parent"]:
        if inputs.parents is None:
            parent_of = grids.column("parent_id")
        else:
            parent_of = np.full(len(grids), None, dtype=object)
            for result in results:
                parent_of[result.parents[0]] = result.parents[1]
        out.append(scale.unbalanced_parent(grids, loads.households, parent_of, rules=rules))
    if run["boundary.duplicate_id"]:
        out.append(boundary.duplicate_id(grids))
    if run["adjustment.load_drift"] and loads.previous is not None:
        old = Grids.from_frame(inputs.previous)
        out.append(
            adjustment.load_drift(grids, loads.households, old.ids, loads.previous, rules=rules)
        )
    return out
