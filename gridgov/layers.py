"""Layers at the boundary: validation and the readers.

Every frame that enters gridgov is validated once, here, by
:func:`validate_layer`; afterwards the rest of the library can trust it.  The
readers (:func:`read_layer`, :func:`read_households`, :func:`read_buildings`,
:func:`read_roads`, :func:`read_stations`) read GeoPackage, GeoJSON,
Shapefile, GeoParquet and CSV (or an in-memory DataFrame) with coordinate
columns, and return validated frames.

Validation never repairs and never reprojects.  Invalid polygons are *not*
an error here: they are a finding of the boundary rules, so validation lets
them through and records their ids in ``frame.attrs["gridgov"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov._coords import point_xy
from gridgov.crs import require_crs
from gridgov.errors import CRSError, LayerError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "LayerKind",
    "read_buildings",
    "read_households",
    "read_layer",
    "read_roads",
    "read_stations",
    "validate_layer",
]

LayerKind = Literal["grids", "jurisdiction", "households", "buildings", "roads", "stations"]


@dataclass(frozen=True)
class _Spec:
    id_column: str | None
    geometry_types: frozenset[str]
    description: str


_SPECS: dict[str, _Spec] = {
    "grids": _Spec("grid_id", frozenset({"Polygon", "MultiPolygon"}), "Polygon or MultiPolygon"),
    "jurisdiction": _Spec(
        "unit_id", frozenset({"Polygon", "MultiPolygon"}), "Polygon or MultiPolygon"
    ),
    "households": _Spec("household_id", frozenset({"Point"}), "Point"),
    "buildings": _Spec(
        "building_id", frozenset({"Polygon", "MultiPolygon", "Point"}), "Polygon or Point"
    ),
    "roads": _Spec(None, frozenset({"LineString", "MultiLineString"}), "LineString"),
    "stations": _Spec("station_id", frozenset({"Point"}), "Point"),
}

GRID_KINDS = frozenset({"comprehensive", "dedicated", "micro"})
_NUMERIC_COLUMNS = {
    "households": ("persons",),
    "buildings": ("households",),
    "stations": ("capacity",),
}
_DATE_COLUMNS = ("valid_from", "valid_to")
_SHOWN = 5

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


def _ids_text(ids: Sequence[Any]) -> str:
    shown = ", ".join(repr(str(i)) for i in ids[:_SHOWN])
    more = len(ids) - _SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _fail(name: str, kind: str, problem: str, ids: Sequence[Any], fix: str) -> LayerError:
    count = len(ids)
    rows = "row" if count == 1 else "rows"
    msg = f"layer {name!r} ({kind}): {count} {rows} {problem} (ids {_ids_text(ids)}); {fix}"
    return LayerError(msg)


def _normalise_ids(values: pd.Series) -> pd.Series:
    """Ids as ``str`` objects (``None`` where missing), vectorised.

    Integers become their decimal text, integral floats (ids read as
    numbers) lose their ``.0`` and strings lose surrounding whitespace.  Only
    mixed-type object columns fall back to a per-row conversion.
    """
    notna = values.notna().to_numpy()
    out = np.full(len(values), None, dtype=object)
    if pd.api.types.is_bool_dtype(values):
        out[notna] = values.to_numpy(dtype=object)[notna].astype(str)
    elif pd.api.types.is_integer_dtype(values):
        kept = values[notna] if not notna.all() else values
        out[notna] = kept.astype(np.int64).astype("str").to_numpy(dtype=object)
    elif pd.api.types.is_float_dtype(values):
        finite = values.to_numpy(dtype=float)[notna]
        if len(finite) and bool(np.all(np.mod(finite, 1) == 0)):
            out[notna] = finite.astype(np.int64).astype(str)
        else:
            out[notna] = finite.astype(str)
    elif pd.api.types.infer_dtype(values, skipna=True) in {"string", "empty"}:
        kept = values[notna] if not notna.all() else values
        out[notna] = kept.astype("str").str.strip().to_numpy(dtype=object)
    else:  # mixed types: rare, converted row by row
        out[notna] = [str(v).strip() for v in values.to_numpy(dtype=object)[notna]]
    return pd.Series(out, index=values.index, dtype=object, name=values.name)


_TYPE_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
    ],
    dtype=object,
)


def _check_frame(frame: object, *, kind: str, name: str, allow_empty: bool) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = (
            f"layer {name!r} ({kind}) must be a GeoDataFrame, got {type(frame).__name__}; "
            "read files with gg.read_layer/gg.read_households, or build one with "
            "geopandas.GeoDataFrame(..., geometry=..., crs=...)"
        )
        raise LayerError(msg)
    try:
        frame.geometry  # noqa: B018 - raises when there is no active geometry column
    except AttributeError:
        msg = f"layer {name!r} ({kind}) has no active geometry column; use frame.set_geometry(...)"
        raise LayerError(msg) from None
    require_crs(frame, layer=name)
    if len(frame) == 0 and not allow_empty:
        msg = f"layer {name!r} ({kind}) has no rows; pass a layer with at least one feature"
        raise LayerError(msg)


def _check_ids(
    out: gpd.GeoDataFrame, id_column: str, *, kind: str, name: str, allow_duplicates: bool
) -> np.ndarray:
    """Normalise the id column of `out` in place and return the ids as labels."""
    if id_column not in out.columns:
        columns = ", ".join(map(str, out.columns))
        msg = (
            f"layer {name!r} ({kind}) has no id column {id_column!r} (columns: {columns}); "
            "rename the id column or pass id_column=..."
        )
        raise LayerError(msg)
    ids = _normalise_ids(out[id_column])
    null = ids.isna().to_numpy()
    if null.any():
        positions = [f"row {i}" for i in np.flatnonzero(null)]
        raise _fail(name, kind, f"without {id_column}", positions, "give every row a unique id")
    out[id_column] = ids.astype(object)
    labels = ids.to_numpy(dtype=object)
    if allow_duplicates or len(set(labels.tolist())) == len(labels):  # fast path: unique
        return labels
    duplicated = ids.duplicated(keep=False).to_numpy()
    if duplicated.any():
        raise _fail(
            name,
            kind,
            "with a duplicated id",
            sorted(ids[duplicated].tolist()),
            f"make {id_column} unique",
        )
    return labels


def _check_geometry(
    values: np.ndarray,
    labels: np.ndarray,
    spec: _Spec,
    *,
    kind: str,
    name: str,
    find_invalid: bool = True,
) -> list[str] | None:
    """Raise on missing, empty, mistyped or NaN geometry; return the ids of invalid polygons.

    None when `find_invalid` is False (validity not tested).
    """
    missing = shapely.is_missing(values)
    if missing.any():
        raise _fail(name, kind, "without geometry", labels[missing].tolist(), "drop or fix them")
    empty = shapely.is_empty(values)
    if empty.any():
        raise _fail(
            name, kind, "with an empty geometry", labels[empty].tolist(), "drop or fix them"
        )
    type_ids = shapely.get_type_id(values)
    allowed = np.flatnonzero(np.isin(_TYPE_NAMES, list(spec.geometry_types)))
    wrong = ~np.isin(type_ids, allowed)
    if wrong.any():
        type_names = _TYPE_NAMES[type_ids]
        found = ", ".join(sorted(set(type_names[wrong].tolist())))
        raise _fail(
            name,
            kind,
            f"with a {found} geometry where {spec.description} is expected",
            labels[wrong].tolist(),
            "convert or drop them (e.g. explode multi-part points, polygonize lines)",
        )
    if bool(np.all(type_ids == 0)):  # points (none empty): one coordinate row per point
        bad = ~np.isfinite(point_xy(values)).all(axis=1)
    else:
        coords, index = shapely.get_coordinates(values, include_z=False, return_index=True)
        bad = np.zeros(len(values), dtype=bool)
        bad[index[~np.isfinite(coords).all(axis=1)]] = True
    if bad.any():
        raise _fail(
            name,
            kind,
            "with NaN or infinite coordinates",
            labels[bad].tolist(),
            "fix the coordinates or drop the rows",
        )
    if not find_invalid:
        return None
    polygonal = np.flatnonzero((type_ids == 3) | (type_ids == 6))  # Polygon, MultiPolygon
    invalid = polygonal[~shapely.is_valid(values[polygonal])]
    return [str(i) for i in labels[invalid]]


def _check_count(values: pd.Series, labels: np.ndarray, *, kind: str, name: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    wrong = (numbers.isna() & values.notna()) | (numbers < 0)
    if wrong.any():
        raise _fail(
            name,
            kind,
            f"with a non-numeric or negative {values.name!r}",
            labels[wrong.to_numpy()].tolist(),
            f"make {values.name!r} a count >= 0",
        )
    return numbers


def _normalise_grid_columns(out: gpd.GeoDataFrame, labels: np.ndarray, *, name: str) -> None:
    """Check and normalise the optional grid columns of `out` in place."""
    for column in ("parent_id", "network", "name"):
        if column in out.columns:
            out[column] = _normalise_ids(out[column]).astype(object)
    if "kind" in out.columns:
        kinds = out["kind"].astype(object).where(out["kind"].notna(), None)
        unknown = kinds.notna().to_numpy() & ~kinds.isin(list(GRID_KINDS)).to_numpy()
        if unknown.any():
            raise _fail(
                name,
                "grids",
                "with an unknown grid kind",
                labels[unknown].tolist(),
                f"use one of {', '.join(sorted(GRID_KINDS))} (or leave it empty for comprehensive)",
            )
    for column in _DATE_COLUMNS:
        if column in out.columns and not pd.api.types.is_datetime64_any_dtype(out[column]):
            parsed = pd.to_datetime(out[column], errors="coerce")
            unparsable = parsed.isna().to_numpy() & out[column].notna().to_numpy()
            if unparsable.any():
                raise _fail(
                    name,
                    "grids",
                    f"with an unreadable date in {column!r}",
                    labels[unparsable].tolist(),
                    "write dates as YYYY-MM-DD",
                )
            out[column] = parsed


def validate_layer(
    frame: gpd.GeoDataFrame,
    *,
    kind: LayerKind,
    id_column: str | None = None,
    name: str | None = None,
    allow_duplicate_ids: bool = False,
    allow_empty: bool = False,
    find_invalid: bool = True,
) -> gpd.GeoDataFrame:
    """Return a validated copy of `frame`, a layer of the given `kind`.

    A layer is valid when it is a GeoDataFrame with a CRS, every row has a
    non-null unique id (normalised to ``str``; ids read as numbers lose a
    trailing ``.0``), and every geometry is present, non-empty, free of NaN
    coordinates and of the geometry type of its kind (Polygon/MultiPolygon
    for grids and jurisdictions, Point for households and stations, Polygon or
    Point for buildings, LineString for roads).  Grid ``kind`` values must be
    ``comprehensive``, ``dedicated`` or ``micro``; ``valid_from``/``valid_to``
    are parsed to datetimes.  Polygons that are invalid in the GEOS sense are
    let through (the boundary rules report them) and their ids are recorded in
    ``result.attrs["gridgov"]["invalid_ids"]``.  The input is never mutated.

    Parameters
    ----------
    frame : GeoDataFrame
        The layer.
    kind : {"grids", "jurisdiction", "households", "buildings", "roads", "stations"}
        What the layer holds.
    id_column : str, optional
        Column holding the row ids.  Defaults to ``grid_id``, ``unit_id``,
        ``household_id``, ``building_id``, ``station_id`` by kind; roads need
        no id (when one is named, it is checked).
    name : str, optional
        Name of the layer in error messages; defaults to `kind`.
    allow_duplicate_ids : bool, default False
        Let duplicated ids through (``gg.check`` reports them as the finding
        ``boundary.duplicate_id`` instead of failing).
    allow_empty : bool, default False
        Accept a layer without rows.
    find_invalid : bool, default True
        Test the polygons' GEOS validity.  When False (for a layer whose
        geometry may not be used) ``invalid_ids`` is None and the consumer
        tests validity if it uses the geometry.

    Returns
    -------
    GeoDataFrame
        A copy with normalised ids.

    Raises
    ------
    LayerError
        Naming the layer, the offending ids (the first few and a count) and the fix.
    CRSError
        When the layer has no CRS.

    See Also
    --------
    read_layer, read_households : readers that validate what they read.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> grids = gpd.GeoDataFrame({"grid_id": [1, 2]},
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4549)
    >>> validate_layer(grids, kind="grids")["grid_id"].tolist()
    ['1', '2']
    >>> validate_layer(grids.assign(grid_id=[1, 1]), kind="grids")
    Traceback (most recent call last):
    ...
    gridgov.errors.LayerError: layer 'grids' (grids): 2 rows with a duplicated id ...
    """
    if kind not in _SPECS:
        msg = f"unknown layer kind {kind!r}; expected one of {', '.join(_SPECS)}"
        raise LayerError(msg)
    spec = _SPECS[kind]
    name = name or kind
    _check_frame(frame, kind=kind, name=name, allow_empty=allow_empty)
    out = frame.copy()
    id_column = id_column if id_column is not None else spec.id_column
    if id_column is None:
        labels = np.array([f"row {i}" for i in range(len(out))], dtype=object)
    else:
        labels = _check_ids(
            out, id_column, kind=kind, name=name, allow_duplicates=allow_duplicate_ids
        )
    invalid = _check_geometry(
        out.geometry.to_numpy(), labels, spec, kind=kind, name=name, find_invalid=find_invalid
    )
    for column in _NUMERIC_COLUMNS.get(kind, ()):
        if column in out.columns:
            out[column] = _check_count(out[column], labels, kind=kind, name=name)
    if kind == "grids":
        _normalise_grid_columns(out, labels, name=name)
    out.attrs = dict(out.attrs)
    out.attrs["gridgov"] = {
        "kind": kind,
        "name": name,
        "id_column": id_column,
        "invalid_ids": invalid,
    }
    return out


def _find_coordinates(columns: Sequence[str], x: str | None, y: str | None) -> tuple[str, str]:
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
            "(GCJ-02, BD-09) must be converted first with gg.from_gcj02 / gg.from_bd09"
        )
        raise CRSError(msg)
    cx, cy = _find_coordinates([str(c) for c in table.columns], x, y)
    xs = pd.to_numeric(table[cx], errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(table[cy], errors="coerce").to_numpy(dtype=float)
    points = shapely.points(xs, ys)
    return gpd.GeoDataFrame(table.drop(columns=[cx, cy]), geometry=points, crs=crs)


_TABLE_SUFFIXES = {".csv", ".txt", ".tsv"}
_PARQUET_SUFFIXES = {".parquet", ".geoparquet", ".pq"}


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
) -> gpd.GeoDataFrame:
    label = name or kind
    id_name = id_column if id_column is not None else _SPECS[kind].id_column
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
        if suffix in _TABLE_SUFFIXES:
            dtype = {id_name: str} if id_name else None
            sep = "\t" if suffix == ".tsv" else ","
            table = pd.read_csv(path, dtype=dtype, sep=sep, encoding="utf-8-sig")
            frame = _frame_from_table(table, x=x, y=y, crs=crs, name=label)
        elif suffix in _PARQUET_SUFFIXES:
            frame = gpd.read_parquet(path)
        else:
            frame = gpd.read_file(path, layer=layer, engine="pyogrio")
        if crs is not None and frame.crs is None:
            frame = frame.set_crs(crs)
    return validate_layer(
        frame,
        kind=kind,
        id_column=id_column,
        name=label,
        allow_duplicate_ids=allow_duplicate_ids,
    )


def read_layer(
    path: str | Path | gpd.GeoDataFrame,
    *,
    network: str | None = None,
    id_column: str | None = None,
    layer: str | int | None = None,
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
        path_or_frame, kind="households", id_column=id_column, layer=layer, x=x, y=y, crs=crs
    )


def read_buildings(
    path_or_frame: str | Path | pd.DataFrame,
    *,
    id_column: str = "building_id",
    layer: str | int | None = None,
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
        path_or_frame, kind="buildings", id_column=id_column, layer=layer, x=x, y=y, crs=crs
    )


def read_roads(
    path: str | Path | gpd.GeoDataFrame,
    *,
    layer: str | int | None = None,
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read road, river or wall lines and validate them.

    Parameters
    ----------
    path : path-like or GeoDataFrame
        Vector file or GeoParquet of LineStrings (optional column ``kind``).
    layer : str or int, optional
        Layer of a multi-layer file.
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
    return _read(path, kind="roads", id_column=id_column, layer=layer)


def read_stations(
    path_or_frame: str | Path | pd.DataFrame,
    *,
    id_column: str = "station_id",
    layer: str | int | None = None,
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
        path_or_frame, kind="stations", id_column=id_column, layer=layer, x=x, y=y, crs=crs
    )
