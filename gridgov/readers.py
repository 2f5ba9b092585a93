"""Readers of layers: GeoPackage, GeoJSON, Shapefile, GeoParquet, CSV and tables.

:func:`read_layer`, :func:`read_households`, :func:`read_buildings`,
:func:`read_roads` and :func:`read_stations` read any vector format GDAL
reads, GeoParquet and CSV (or an in-memory DataFrame) with coordinate
columns, and return frames validated by :func:`gridgov.validate_layer`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely

from gridgov._core.layerinfo import DEFAULT_ID_COLUMNS, LayerKind
from gridgov._core.text import DETECTION_ORDER
from gridgov.errors import CRSError, LayerError, OptionError
from gridgov.validation import validate_layer

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = [
    "COORDINATE_NAMES",
    "OFFSETS",
    "read_buildings",
    "read_households",
    "read_layer",
    "read_roads",
    "read_stations",
]

#: Web-map offsets a point layer may be read from (``offset=``): Amap/Gaode and
#: Tencent publish GCJ-02, Baidu BD-09; both are converted to WGS 84 on reading.
OFFSETS: tuple[str, ...] = ("gcj02", "bd09")

# Coordinate column pairs recognised in CSV files and plain DataFrames, in order of preference.
COORDINATE_NAMES: tuple[tuple[str, str], ...] = (
    ("x", "y"),
    ("lon", "lat"),
    ("lng", "lat"),
    ("long", "lat"),
    ("longitude", "latitude"),
    ("经度", "纬度"),
    ("东经", "北纬"),
)


def _find_coordinates(columns: Sequence[str], x: str | None, y: str | None) -> tuple[str, str]:
    if (x is None) != (y is None):
        msg = (
            f"x= and y= name the coordinate columns together: pass both (got x={x!r}, y={y!r}), "
            "or neither to find them by name"
        )
        raise OptionError(msg)
    if x is not None and y is not None:
        for column in (x, y):
            if column not in columns:
                msg = f"coordinate column {column!r} not found (columns: {', '.join(columns)})"
                raise LayerError(msg)
        return x, y
    lowered = {str(c).strip().lower(): str(c) for c in columns}
    for cx, cy in COORDINATE_NAMES:
        if cx in lowered and cy in lowered:
            return lowered[cx], lowered[cy]
    known = ", ".join(f"{a}/{b}" for a, b in COORDINATE_NAMES)
    msg = (
        f"no coordinate columns found (columns: {', '.join(map(str, columns))}); "
        f"pass x=..., y=... or name them one of {known}"
    )
    raise LayerError(msg)


def _frame_from_table(
    table: pd.DataFrame, *, x: str | None, y: str | None, crs: Any, name: str
) -> gpd.GeoDataFrame:
    if crs is None:
        msg = (
            f"layer {name!r} is a table of coordinates without a CRS; pass crs=..., e.g. "
            "crs='EPSG:4490' (CGCS2000) or 'EPSG:4326' (WGS 84); web-map coordinates "
            "(GCJ-02, BD-09) are read with offset='gcj02' or 'bd09'"
        )
        raise CRSError(msg)
    cx, cy = _find_coordinates([str(c) for c in table.columns], x, y)
    xs = pd.to_numeric(table[cx], errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(table[cy], errors="coerce").to_numpy(dtype=float)
    points = shapely.points(xs, ys)
    return gpd.GeoDataFrame(table.drop(columns=[cx, cy]), geometry=points, crs=crs)


#: Layer kinds a file may hold no feature of.
_MAY_BE_EMPTY = frozenset({"households", "stations", "buildings", "roads"})
_TABLE_SUFFIXES = {".csv", ".txt", ".tsv"}
_PARQUET_SUFFIXES = {".parquet", ".geoparquet", ".pq"}


def _read_csv(path: Path, *, dtype: Any, sep: str, encoding: str | None) -> pd.DataFrame:
    """Read a CSV in `encoding`, else in the first of the detection order that reads it.

    The order is :data:`gridgov._core.text.DETECTION_ORDER`: UTF-8 (with or
    without BOM), then GB18030 (GBK).  A file is decoded again only when the
    first encoding fails.
    """
    tried = (encoding,) if encoding is not None else DETECTION_ORDER
    for k, name in enumerate(tried):
        try:
            return pd.read_csv(path, dtype=dtype, sep=sep, encoding=name)
        except UnicodeDecodeError:
            if k == len(tried) - 1:
                raise
    raise AssertionError  # pragma: no cover - the loop returns or raises


def _reader_errors() -> dict[type[BaseException], str]:
    """Return the exceptions of the readers, each with the problem it means (specific first)."""
    import pyarrow as pa
    from pyogrio.errors import DataLayerError, DataSourceError

    return {
        pd.errors.EmptyDataError: "the file is empty",
        pd.errors.ParserError: "the table cannot be parsed (corrupt, or not a table)",
        UnicodeDecodeError: "the text is not in a known encoding",
        DataLayerError: "the layer is missing or cannot be read",
        DataSourceError: "the file is corrupt, empty or not in a format GDAL reads",
        pa.ArrowInvalid: "the file is corrupt or not GeoParquet",
        pa.ArrowException: "the file cannot be read as GeoParquet",
        ValueError: "the file holds no usable layer",
    }


@contextlib.contextmanager
def _reading(label: str, kind: str, path: Path) -> Iterator[None]:
    """Turn an error of the reader into a LayerError naming the layer, the source and the problem.

    The reader's own message follows the problem.  Errors of gridgov itself
    (a LayerError of the table's columns, a CRSError) pass through.
    """
    try:
        yield
    except (LayerError, CRSError):
        raise
    except Exception as error:
        for cls, problem in _reader_errors().items():
            if isinstance(error, cls):
                msg = f"layer {label!r} ({kind}) from {str(path)!r}: {problem}: {error}"
                raise LayerError(msg) from error
        raise


def _read(
    source: str | Path | pd.DataFrame,
    *,
    kind: LayerKind,
    id_column: str | None,
    layer: str | int | None,
    x: str | None = None,
    y: str | None = None,
    crs: Any = None,
    name: str | None = None,
    allow_duplicate_ids: bool = False,
    offset: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    label = name or kind
    if offset is not None and offset not in OFFSETS:
        msg = f"offset={offset!r} is not one of {', '.join(map(repr, OFFSETS))} (or None)"
        raise OptionError(msg)
    if offset is not None and crs is None:
        crs = "EPSG:4326"  # web-map coordinates are longitude/latitude
    id_name = id_column if id_column is not None else DEFAULT_ID_COLUMNS[kind]
    if isinstance(source, gpd.GeoDataFrame):
        frame = source
        if crs is not None and frame.crs is None:
            frame = frame.set_crs(crs)
    elif isinstance(source, pd.DataFrame):
        frame = _frame_from_table(source, x=x, y=y, crs=crs, name=label)
    else:
        path = Path(source)
        if not path.exists():
            msg = f"layer {label!r}: no such file {str(path)!r}"
            raise LayerError(msg)
        suffix = path.suffix.lower()
        with _reading(label, kind, path):
            if suffix in _TABLE_SUFFIXES:
                dtype = {id_name: str} if id_name else None
                sep = "\t" if suffix == ".tsv" else ","
                table = _read_csv(path, dtype=dtype, sep=sep, encoding=encoding)
                frame = _frame_from_table(table, x=x, y=y, crs=crs, name=label)
            elif suffix in _PARQUET_SUFFIXES:
                frame = gpd.read_parquet(path)
            else:
                options = {} if encoding is None else {"encoding": encoding}
                frame = gpd.read_file(path, layer=layer, engine="pyogrio", **options)
        if crs is not None and frame.crs is None:
            frame = frame.set_crs(crs)
    if offset is not None:  # converted to WGS 84, then used
        from gridgov.crs import from_bd09, from_gcj02

        frame = from_gcj02(frame) if offset == "gcj02" else from_bd09(frame)
    return validate_layer(
        frame,
        kind=kind,
        id_column=id_column,
        name=label,
        allow_duplicate_ids=allow_duplicate_ids,
        # zero households, stations, buildings or roads is data (there are none); grids and
        # jurisdictions cannot be empty
        allow_empty=kind in _MAY_BE_EMPTY,
    )


def read_layer(
    path: str | Path | gpd.GeoDataFrame,
    *,
    network: str | None = None,
    id_column: str | None = None,
    layer: str | int | None = None,
    encoding: str | None = None,
    kind: LayerKind = "grids",
    allow_duplicate_ids: bool = False,
) -> gpd.GeoDataFrame:
    """Read a grid layer (or a jurisdiction with ``kind="jurisdiction"``) and validate it.

    Parameters
    ----------
    path : path-like or GeoDataFrame
        GeoPackage, GeoJSON, Shapefile (any format GDAL reads) or GeoParquet.
    network : str, optional
        Network the grids belong to (``party``, ``governance``, ``service``…);
        written to the ``network`` column.
    id_column : str, optional
        Id column; defaults to ``grid_id`` (``unit_id`` for jurisdictions).
    layer : str or int, optional
        Layer of a multi-layer file (GeoPackage).
    encoding : str, optional
        Encoding of a CSV table or of a Shapefile's attributes without a
        ``.cpg``; default for CSV: UTF-8 (with or without BOM), then GB18030
        (GBK), detected in that order; other formats: what GDAL reads.
    kind : str, default "grids"
        Layer kind, see :func:`validate_layer`.
    allow_duplicate_ids : bool, default False
        Let duplicated ids through, for a layer under review: ``gg.check``
        reports them as the finding ``boundary.duplicate_id``.

    Returns
    -------
    GeoDataFrame
        The validated layer.

    Examples
    --------
    >>> import gridgov as gg
    >>> grids = gg.read_layer(gg.datasets.demo_path(), layer="governance", network="governance")
    >>> grids.crs.to_epsg(), grids["network"].unique().tolist()
    (4490, ['governance'])
    """
    frame = _read(
        path,
        kind=kind,
        id_column=id_column,
        layer=layer,
        name=network,
        allow_duplicate_ids=allow_duplicate_ids,
        encoding=encoding,
    )
    if network is not None:
        frame["network"] = network
    return frame


def read_households(
    path_or_frame: str | Path | pd.DataFrame,
    *,
    x: str | None = None,
    y: str | None = None,
    crs: Any = None,
    id_column: str = "household_id",
    layer: str | int | None = None,
    encoding: str | None = None,
    offset: str | None = None,
) -> gpd.GeoDataFrame:
    """Read household points and validate them.

    Parameters
    ----------
    path_or_frame : path-like or DataFrame
        A vector file (GeoPackage, GeoJSON, Shapefile, GeoParquet), a CSV with
        coordinate columns, or a (Geo)DataFrame.
    x, y : str, optional
        Coordinate columns of a table; by default the first pair found among
        x/y, lon/lat, lng/lat, longitude/latitude and 经度/纬度.
    crs : optional
        CRS of table coordinates (required for tables; they carry none).
        Web-map coordinates must be converted first (:func:`gridgov.from_gcj02`).
    id_column : str, default "household_id"
        Id column.
    layer : str or int, optional
        Layer of a multi-layer file.
    encoding : str, optional
        Encoding of a CSV table or of a Shapefile's attributes without a
        ``.cpg``; default for CSV: UTF-8 (with or without BOM), then GB18030
        (GBK), detected in that order; other formats: what GDAL reads.
    offset : {"gcj02", "bd09"}, optional
        The coordinates are from a Chinese web map: GCJ-02 (Amap/Gaode,
        Tencent) or BD-09 (Baidu) longitude/latitude, converted to WGS 84
        (EPSG:4326) on reading, then used.  A table then needs no `crs`.

    Returns
    -------
    GeoDataFrame
        Validated household points.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"household_id": ["a", "b"], "经度": [118.8, 118.81],
    ...                       "纬度": [32.05, 32.06]})
    >>> read_households(table, crs="EPSG:4490").geometry.x.tolist()
    [118.8, 118.81]
    """
    return _read(
        path_or_frame,
        kind="households",
        id_column=id_column,
        layer=layer,
        x=x,
        y=y,
        crs=crs,
        offset=offset,
        encoding=encoding,
    )


def read_buildings(
    path_or_frame: str | Path | pd.DataFrame,
    *,
    id_column: str = "building_id",
    layer: str | int | None = None,
    encoding: str | None = None,
    offset: str | None = None,
    x: str | None = None,
    y: str | None = None,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Read building footprints (or building points from a table) and validate them.

    Parameters
    ----------
    path_or_frame : path-like or DataFrame
        Vector file, GeoParquet, CSV with coordinates, or a (Geo)DataFrame.
    id_column : str, default "building_id"
        Id column.
    layer : str or int, optional
        Layer of a multi-layer file.
    encoding : str, optional
        Encoding of a CSV table or of a Shapefile's attributes without a
        ``.cpg``; default for CSV: UTF-8 (with or without BOM), then GB18030
        (GBK), detected in that order; other formats: what GDAL reads.
    offset : {"gcj02", "bd09"}, optional
        The coordinates are from a Chinese web map: GCJ-02 (Amap/Gaode,
        Tencent) or BD-09 (Baidu) longitude/latitude, converted to WGS 84
        (EPSG:4326) on reading, then used.  A table then needs no `crs`.
    x, y, crs : optional
        Coordinate columns and CRS of a table, as in :func:`read_households`.

    Returns
    -------
    GeoDataFrame

    Examples
    --------
    >>> import gridgov as gg
    >>> len(gg.read_buildings(gg.datasets.demo_path(), layer="buildings")) > 0
    True
    """
    return _read(
        path_or_frame,
        kind="buildings",
        id_column=id_column,
        layer=layer,
        x=x,
        y=y,
        crs=crs,
        offset=offset,
        encoding=encoding,
    )


def read_roads(
    path: str | Path | gpd.GeoDataFrame,
    *,
    layer: str | int | None = None,
    encoding: str | None = None,
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read road, river or wall lines and validate them.

    Parameters
    ----------
    path : path-like or GeoDataFrame
        Vector file or GeoParquet of LineStrings (optional column ``kind``).
    layer : str or int, optional
        Layer of a multi-layer file.
    encoding : str, optional
        Encoding of a CSV table or of a Shapefile's attributes without a
        ``.cpg``; default for CSV: UTF-8 (with or without BOM), then GB18030
        (GBK), detected in that order; other formats: what GDAL reads.
    id_column : str, optional
        Id column, checked when given.

    Returns
    -------
    GeoDataFrame

    Examples
    --------
    >>> import gridgov as gg
    >>> roads = gg.read_roads(gg.datasets.demo_path(), layer="roads")
    >>> sorted(roads.geom_type.unique())
    ['LineString']
    """
    return _read(path, kind="roads", id_column=id_column, layer=layer, encoding=encoding)


def read_stations(
    path_or_frame: str | Path | pd.DataFrame,
    *,
    id_column: str = "station_id",
    layer: str | int | None = None,
    encoding: str | None = None,
    offset: str | None = None,
    x: str | None = None,
    y: str | None = None,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Read service stations (points) and validate them.

    Parameters
    ----------
    path_or_frame : path-like or DataFrame
        Vector file, GeoParquet, CSV with coordinates, or a (Geo)DataFrame.
    id_column : str, default "station_id"
        Id column.
    layer : str or int, optional
        Layer of a multi-layer file.
    encoding : str, optional
        Encoding of a CSV table or of a Shapefile's attributes without a
        ``.cpg``; default for CSV: UTF-8 (with or without BOM), then GB18030
        (GBK), detected in that order; other formats: what GDAL reads.
    offset : {"gcj02", "bd09"}, optional
        The coordinates are from a Chinese web map: GCJ-02 (Amap/Gaode,
        Tencent) or BD-09 (Baidu) longitude/latitude, converted to WGS 84
        (EPSG:4326) on reading, then used.  A table then needs no `crs`.
    x, y, crs : optional
        Coordinate columns and CRS of a table, as in :func:`read_households`.

    Returns
    -------
    GeoDataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"station_id": [1], "x": [500.0], "y": [100.0]})
    >>> read_stations(table, crs=4549)["station_id"].tolist()
    ['1']
    """
    return _read(
        path_or_frame,
        kind="stations",
        id_column=id_column,
        layer=layer,
        x=x,
        y=y,
        crs=crs,
        offset=offset,
        encoding=encoding,
    )
