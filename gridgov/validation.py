"""Layers at the boundary: :func:`validate_layer`.

Every frame that enters gridgov is validated once, here; afterwards the rest
of the library can trust it.  Validation never repairs and never reprojects.
Invalid polygons are *not* an error here: they are a finding of the boundary
rules, so validation lets them through and records their ids in the layer
information it attaches to the frame (:class:`gridgov._core.layerinfo.LayerInfo`,
in ``frame.attrs["gridgov"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov._core.coords import point_xy
from gridgov._core.ids import normalise_ids
from gridgov._core.layerinfo import DEFAULT_ID_COLUMNS, LayerInfo, LayerKind, with_layer_info
from gridgov._core.vocabulary import GRID_KINDS
from gridgov.crs import require_crs
from gridgov.errors import CRSError, LayerError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["GRID_KINDS", "LayerKind", "named_grid_layers", "validate_layer"]


@dataclass(frozen=True)
class _Spec:
    id_column: str | None
    geometry_types: frozenset[str]
    description: str


_SPECS: dict[str, _Spec] = {
    "grids": _Spec(
        DEFAULT_ID_COLUMNS["grids"],
        frozenset({"Polygon", "MultiPolygon"}),
        "Polygon or MultiPolygon",
    ),
    "jurisdiction": _Spec(
        DEFAULT_ID_COLUMNS["jurisdiction"],
        frozenset({"Polygon", "MultiPolygon"}),
        "Polygon or MultiPolygon",
    ),
    "households": _Spec(DEFAULT_ID_COLUMNS["households"], frozenset({"Point"}), "Point"),
    "buildings": _Spec(
        DEFAULT_ID_COLUMNS["buildings"],
        frozenset({"Polygon", "MultiPolygon", "Point"}),
        "Polygon or Point",
    ),
    "roads": _Spec(
        DEFAULT_ID_COLUMNS["roads"], frozenset({"LineString", "MultiLineString"}), "LineString"
    ),
    "stations": _Spec(DEFAULT_ID_COLUMNS["stations"], frozenset({"Point"}), "Point"),
}

_NUMERIC_COLUMNS = {
    "households": ("persons",),
    "buildings": ("households",),
    "stations": ("capacity",),
}
_DATE_COLUMNS = ("valid_from", "valid_to")
_SHOWN = 5


def _ids_text(ids: Sequence[Any]) -> str:
    shown = ", ".join(repr(str(i)) for i in ids[:_SHOWN])
    more = len(ids) - _SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _fail(name: str, kind: str, problem: str, ids: Sequence[Any], fix: str) -> LayerError:
    count = len(ids)
    rows = "row" if count == 1 else "rows"
    msg = f"layer {name!r} ({kind}): {count} {rows} {problem} (ids {_ids_text(ids)}); {fix}"
    return LayerError(msg)


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
    ids = normalise_ids(out[id_column])
    null = ids.isna().to_numpy()
    if null.any():
        positions = [f"row {i}" for i in np.flatnonzero(null)]
        raise _fail(
            name,
            kind,
            f"without {id_column}",
            positions,
            "give every row a unique id (empty, blank and non-integral numeric ids are missing)",
        )
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


def _check_degrees(
    values: np.ndarray, labels: np.ndarray, crs: Any, *, kind: str, name: str
) -> None:
    """Refuse longitudes outside [-180, 180] and latitudes outside [-90, 90], naming the rows.

    A :class:`~gridgov.CRSError`: the coordinates do not fit the layer's CRS.

    When swapping x and y would put every coordinate in range, the message
    says the columns look swapped (longitude is x, latitude is y).
    """
    bounds = shapely.bounds(values)
    x_out = (bounds[:, 0] < -180) | (bounds[:, 2] > 180)
    y_out = (bounds[:, 1] < -90) | (bounds[:, 3] > 90)
    bad = x_out | y_out
    if not bad.any():
        return
    swapped_ok = bool(
        np.all((bounds[:, 1] >= -180) & (bounds[:, 3] <= 180))
        and np.all((bounds[:, 0] >= -90) & (bounds[:, 2] <= 90))
    )
    hint = (
        "the coordinate columns look swapped: longitude is x, latitude is y "
        "(pass x=..., y=... or --x/--y)"
        if swapped_ok
        else "check the columns and the CRS: in degrees, longitude is within [-180, 180] and "
        "latitude within [-90, 90] (projected metres need a projected CRS)"
    )
    epsg = crs.to_epsg()
    label = f"EPSG:{epsg}" if epsg is not None else crs.name
    problem = (
        "with coordinates outside the longitude/latitude ranges of its geographic CRS "
        f"({label}, degrees)"
    )
    raise CRSError(str(_fail(name, kind, problem, labels[bad].tolist(), hint)))


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
            out[column] = normalise_ids(out[column]).astype(object)
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
    the layer information of the result, ``result.attrs["gridgov"]``: a
    frozen record with typed fields (``kind``, ``name``, ``id_column``,
    ``invalid_ids``, a tuple), which also reads as
    ``result.attrs["gridgov"]["invalid_ids"]`` (a list).  The input is never
    mutated.

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
    if out.crs is not None and out.crs.is_geographic:
        _check_degrees(out.geometry.to_numpy(), labels, out.crs, kind=kind, name=name)
    for column in _NUMERIC_COLUMNS.get(kind, ()):
        if column in out.columns:
            out[column] = _check_count(out[column], labels, kind=kind, name=name)
    if kind == "grids":
        _normalise_grid_columns(out, labels, name=name)
    info = LayerInfo(
        kind=kind,
        name=name,
        id_column=id_column,
        invalid_ids=None if invalid is None else tuple(invalid),
    )
    return with_layer_info(out, info)


def named_grid_layers(
    layers: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame], id_column: str
) -> dict[str, gpd.GeoDataFrame]:
    """Return validated grid layers by network name, from one layer or a dict of them.

    A single layer is named by the single value of its ``network`` column,
    or ``"grid"`` without one (several values raise).  This is how
    ``gg.assign`` reads its `layers` argument.

    Raises
    ------
    LayerError
        When `layers` is neither a grid layer nor a non-empty dict of them,
        a network name is not a non-empty string, a single layer holds
        several networks, or a layer is malformed (:func:`validate_layer`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> grids = gpd.GeoDataFrame({"grid_id": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=4549)
    >>> list(named_grid_layers(grids, "grid_id"))
    ['grid']
    >>> list(named_grid_layers({"party": grids}, "grid_id"))
    ['party']
    """
    if isinstance(layers, gpd.GeoDataFrame):
        frame = validate_layer(layers, kind="grids", id_column=id_column)
        name = "grid"
        if "network" in frame.columns:
            names = sorted({str(v) for v in frame["network"].dropna().unique()})
            if len(names) > 1:
                msg = (
                    f"layer 'grids' holds several networks ({', '.join(names)}); pass one frame "
                    "per network as a dict, e.g. dict(tuple(grids.groupby('network')))"
                )
                raise LayerError(msg)
            name = names[0] if names else name
        return {name: frame}
    if not isinstance(layers, Mapping) or not layers:
        msg = (
            "layers must be a grid GeoDataFrame or a non-empty dict {network: GeoDataFrame}, "
            f"got {type(layers).__name__}"
        )
        raise LayerError(msg)
    out: dict[str, gpd.GeoDataFrame] = {}
    for name, frame in layers.items():
        if not isinstance(name, str) or not name:
            msg = f"network names must be non-empty strings, got {name!r}"
            raise LayerError(msg)
        out[name] = validate_layer(frame, kind="grids", id_column=id_column, name=name)
    return out
