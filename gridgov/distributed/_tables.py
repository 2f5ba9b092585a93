"""Assignment tables: read an assignment written per partition, and summarise it.

Part of :mod:`gridgov.distributed`; see its documentation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from gridgov.distributed._cluster import _compute, _keep_dtypes, _module
from gridgov.distributed._read import _parquet_files
from gridgov.errors import GridgovError, LayerError

if TYPE_CHECKING:
    import dask.dataframe as dd
    import dask_geopandas
    import geopandas as gpd


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


def _summarize_partition(
    result: pd.DataFrame, households: gpd.GeoDataFrame | None, number: int, id_column: str
) -> pd.DataFrame:
    """:func:`gridgov.summarize_assignment` of one partition of an assignment."""
    from gridgov.assign import summarize_assignment
    from gridgov.distributed._partition import _LABEL, _relabel

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
        What :func:`assign` returned, or the directory it wrote (`output`;
        refused without its ``_SUCCESS`` marker).
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
        partition), or lacks ``persons``; when `assignment` is a folder
        without the ``_SUCCESS`` marker of a complete output.

    See Also
    --------
    gridgov.summarize_assignment : the in-memory load table.
    assign : the distributed assignment.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely import box, points
    >>> from gridgov.distributed import assign, load_table
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
    from gridgov.distributed._assign import _as_households

    dask = _module("dask")

    from gridgov._core.assignment import networks_of
    from gridgov.assign import summarize_assignment

    if isinstance(assignment, str | os.PathLike):
        from gridgov.distributed._output import require_complete

        require_complete(assignment)
        assignment = _read_table(Path(assignment), None)
    empty = pd.DataFrame(
        {column: pd.Series(dtype=dtype) for column, dtype in assignment.dtypes.items()}
    )
    networks = networks_of(empty)
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
