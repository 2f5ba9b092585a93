"""Reading partitioned GeoParquet lazily, one partition per file, with clear errors.

Part of :mod:`gridgov.distributed`; see its documentation.
"""

from __future__ import annotations

import glob
import io
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pyproj
import shapely

from gridgov.distributed._cluster import _keep_dtypes, _module
from gridgov.errors import CRSError, LayerError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import dask_geopandas

#: File suffixes recognised as GeoParquet when a directory is given.
_PARQUET_SUFFIXES = (".parquet", ".geoparquet", ".pq")


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
