"""Geometry kernels shared by the rules, unify and the distributed checks.

All work on arrays of shapely geometries and return new arrays; the input is
never modified.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

__all__ = ["buffer_difference", "missing_if_empty", "polygonal", "repair"]

_POLYGON = int(shapely.GeometryType.POLYGON)
_MULTIPOLYGON = int(shapely.GeometryType.MULTIPOLYGON)
_COLLECTIONS = [
    int(shapely.GeometryType.MULTIPOINT),
    int(shapely.GeometryType.MULTILINESTRING),
    _MULTIPOLYGON,
    int(shapely.GeometryType.GEOMETRYCOLLECTION),
]


def polygonal(geoms: Any) -> np.ndarray:
    """Return the polygonal part of each geometry: a Polygon, a MultiPolygon or an empty Polygon.

    A Polygon or MultiPolygon is returned as it is (the same object, even
    when empty).  A collection (a GeometryCollection, nested to any depth, or
    a MultiPoint or MultiLineString) becomes the MultiPolygon of the
    non-empty polygons it holds.  A geometry without area (a point, a line, a
    collection of them, an empty collection) and a missing one (None) become
    an empty Polygon.  Overlay results are such collections, with lines and
    points where polygons touch; only their area counts.

    Parameters
    ----------
    geoms : array-like of Geometry or None

    Returns
    -------
    ndarray of Geometry
        One geometry per input, never None.

    See Also
    --------
    missing_if_empty : None where this returns an empty geometry.
    repair : ``make_valid`` keeping the polygonal part.

    Examples
    --------
    >>> from shapely import GeometryCollection, LineString, box
    >>> [g.wkt for g in polygonal([box(0, 0, 1, 1), LineString([(0, 0), (1, 1)]), None])]
    ['POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))', 'POLYGON EMPTY', 'POLYGON EMPTY']
    >>> polygonal([GeometryCollection([GeometryCollection([box(0, 0, 1, 1)])])])[0].geom_type
    'MultiPolygon'
    """
    geoms = np.asarray(geoms, dtype=object)
    out: np.ndarray = geoms.copy()
    if len(geoms) == 0:
        return out
    types = shapely.get_type_id(geoms)
    other = np.flatnonzero((types != _POLYGON) & (types != _MULTIPOLYGON))
    if len(other) == 0:
        return out
    parts, index = _flatten(geoms[other])
    keep = (shapely.get_type_id(parts) == _POLYGON) & ~shapely.is_empty(parts)
    rebuilt = np.array([shapely.Polygon()] * len(other), dtype=object)
    if keep.any():
        shapely.multipolygons(parts[keep], indices=index[keep], out=rebuilt)
    out[other] = rebuilt
    return out


def _flatten(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the non-collection parts of `geoms` (nested to any depth) and their owners.

    Parts keep their order (a depth-first walk) and the owners are sorted.
    """
    parts, index = geoms, np.arange(len(geoms))
    while True:
        nested = np.isin(shapely.get_type_id(parts), _COLLECTIONS)
        if not nested.any():
            return parts, index
        inner, sub = shapely.get_parts(parts[nested], return_index=True)
        inner_counts = np.bincount(sub, minlength=int(nested.sum()))
        counts = np.ones(len(parts), dtype=np.int64)
        counts[nested] = inner_counts
        starts = np.cumsum(counts) - counts
        flat = np.empty(int(counts.sum()), dtype=object)
        flat[starts[~nested]] = parts[~nested]
        offsets = np.arange(len(inner)) - np.repeat(
            np.cumsum(inner_counts) - inner_counts, inner_counts
        )
        flat[np.repeat(starts[nested], inner_counts) + offsets] = inner
        parts, index = flat, np.repeat(index, counts)


def missing_if_empty(geoms: Any) -> np.ndarray:
    """Return `geoms` with None in place of every empty geometry.

    Examples
    --------
    >>> from shapely import Polygon, box
    >>> missing_if_empty([box(0, 0, 1, 1), Polygon(), None])[1:].tolist()
    [None, None]
    """
    out = np.array(geoms, dtype=object)
    if len(out):
        out[shapely.is_empty(out) & ~shapely.is_missing(out)] = None
    return out


def repair(geoms: Any) -> np.ndarray:
    """Return ``shapely.make_valid`` (structure method) of each geometry, polygonal part only.

    Examples
    --------
    >>> from shapely import Polygon
    >>> bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> float(shapely.area(repair([bowtie])[0]))
    2.0
    """
    fixed: np.ndarray = shapely.make_valid(
        np.asarray(geoms, dtype=object), method="structure", keep_collapsed=False
    )
    return polygonal(fixed)


def buffer_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``shapely.difference`` of valid `a` and GEOS buffers `b`, robust to invalid buffers.

    GEOS buffers of odd polygons can be invalid (their overlay then raises a
    TopologyException): where it fails, `b` is repaired first.

    Examples
    --------
    >>> from shapely import box
    >>> shapely.area(buffer_difference(np.array([box(0, 0, 2, 2)]), np.array([box(0, 0, 1, 2)])))
    array([2.])
    """
    try:
        out: np.ndarray = shapely.difference(a, b)
    except shapely.errors.GEOSException:
        out = np.empty(len(a), dtype=object)
        for k in range(len(a)):  # only after a failure, so only for odd geometries
            try:
                out[k] = shapely.difference(a[k], b[k])
            except shapely.errors.GEOSException:
                out[k] = shapely.difference(a[k], shapely.make_valid(b[k]))
    return out
