"""The coverage analysis shared by the coverage rules and ``boundary.splits_building``.

:func:`analyse` computes, once per check, the union of the grids and every
pair of grids whose interiors overlap, certifying most of the layer free of
overlaps with GEOS's coverage union instead of intersecting every pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from gridgov.rules.base import polygonal

if TYPE_CHECKING:
    from gridgov.rules.base import Grids

__all__ = ["Coverage", "analyse"]


@dataclass(frozen=True)
class Coverage:
    """The union of the grids and their overlapping pairs.

    Attributes
    ----------
    union : Geometry
        The union of all grids (prepared).
    left, right : ndarray of int
        Rows of the pairs of grids whose interiors intersect (``left < right``).
    shared : ndarray of Geometry
        The intersection of each pair (polygonal part).
    area : ndarray of float
        Its area.
    marked : ndarray of bool
        Grids with edges that GEOS's coverage validation rejects.
    """

    union: shapely.Geometry
    left: np.ndarray
    right: np.ndarray
    shared: np.ndarray
    area: np.ndarray
    marked: np.ndarray


def analyse(grids: Grids) -> Coverage:
    """Compute the union of the grids and the pairs of overlapping grids.

    The grids are split into spatial blocks (:func:`_blocks`).  A block whose
    :func:`shapely.coverage_union_all` succeeds, is valid and has the area of
    its grids together holds no overlap (with overlaps, GEOS returns an
    invalid union or one of another area); where the unions of such blocks
    overlap each other, the grids in the shared area are suspect.  GEOS's
    coverage validation then runs on the suspect grids -- every grid of a
    block that failed and the grids in the shared areas -- and their
    neighbours only: every overlapping pair lies among them, so the pairs
    found are those of validating every grid.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer (valid shapes).

    Returns
    -------
    Coverage
    """
    shapes = grids.shapes
    suspect = shapely.is_empty(shapes).copy()
    unions, joint = _certify(shapes, suspect)
    rows = np.flatnonzero(suspect)
    marked = np.zeros(len(shapes), dtype=bool)
    left = right = np.zeros(0, dtype=np.int64)
    shared = np.zeros(0, dtype=object)
    area = np.zeros(0, dtype=float)
    if len(rows):
        tree = shapely.STRtree(shapes)
        # the suspects and their neighbours: GEOS validates edges against the polygons given
        near = np.union1d(rows, tree.query(shapes[rows], predicate="intersects")[1])
        invalid_edges = shapely.coverage_invalid_edges(shapes[near])
        marked[near] = ~shapely.is_empty(invalid_edges) & ~shapely.is_missing(invalid_edges)
        marked |= shapely.is_empty(shapes)
        left, right, shared, area = _overlapping_pairs(shapes, np.flatnonzero(marked), tree)
    # the union: of the certified blocks and the unmarked suspects (which overlap nothing),
    # then with the marked grids (the robust union, for those alone)
    clean = [joint] if joint is not None else list(unions)
    loose = rows[~marked[rows]]
    if len(loose):
        clean.append(_coverage_union(shapes[loose]))
    clean_parts = np.array(clean, dtype=object)
    union = clean_parts[0] if len(clean_parts) == 1 else _certified_union(clean_parts)
    if union is None:
        union = shapely.union_all(clean_parts)
    if marked.any():
        union = shapely.union_all(np.array([union, *shapes[marked]], dtype=object))
    shapely.prepare(union)  # here, before other threads use it
    return Coverage(union=union, left=left, right=right, shared=shared, area=area, marked=marked)


def _certify(
    shapes: np.ndarray, suspect: np.ndarray
) -> tuple[list[shapely.Geometry], shapely.Geometry | None]:
    """Certify the blocks of `shapes`, marking the grids not cleared in `suspect` (in place).

    Returns the unions of the certified blocks and their joint union (None
    when the blocks' unions do not pass the test together).
    """
    if not len(shapes):
        return [], shapely.Polygon()
    block = _blocks(shapes)
    members = np.split(np.argsort(block, kind="stable"), np.cumsum(np.bincount(block))[:-1])
    unions: list[shapely.Geometry] = []
    certified: list[np.ndarray] = []
    for rows in members:  # one GEOS call per block, a few dozen grids each
        union = _certified_union(shapes[rows[~suspect[rows]]])
        if union is None:
            suspect[rows] = True
        else:
            unions.append(union)
            certified.append(rows[~suspect[rows]])
    pieces = np.array(unions, dtype=object)
    joint = _certified_union(pieces)  # the blocks together: no overlap between them either
    if joint is None and len(pieces) > 1:
        # overlaps between blocks: the grids in the shared areas are suspect
        bi, bj = shapely.STRtree(pieces).query(pieces, predicate="intersects")
        keep = bi < bj
        bi, bj = bi[keep], bj[keep]
        shared = polygonal(shapely.intersection(pieces[bi], pieces[bj]))
        for k in np.flatnonzero(shapely.area(shared) > 0):  # overlapping block pairs only
            rows = np.concatenate([certified[bi[k]], certified[bj[k]]])
            inside = ~shapely.touches(shapes[rows], shared[k]) & shapely.intersects(
                shapes[rows], shared[k]
            )
            suspect[rows[inside]] = True
    return unions, joint


def _overlapping_pairs(
    shapes: np.ndarray, flagged: np.ndarray, tree: shapely.STRtree
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (left < right) of grids whose interiors intersect, one of them `flagged`."""
    qi, j = tree.query(shapes[flagged], predicate="intersects")
    i = flagged[qi]
    keep = i != j
    i, j = i[keep], j[keep]
    a, b = np.minimum(i, j), np.maximum(i, j)
    pairs = np.unique(np.stack([a, b], axis=1), axis=0) if len(a) else np.empty((0, 2), int)
    a, b = pairs[:, 0], pairs[:, 1]
    interior = ~shapely.touches(shapes[a], shapes[b])
    a, b = a[interior], b[interior]
    shared = polygonal(shapely.intersection(shapes[a], shapes[b]))
    area = shapely.area(shared)
    positive = area > 0
    return a[positive], b[positive], shared[positive], area[positive]


#: Grids per block of :func:`analyse` (about).
_BLOCK = 64


def _blocks(shapes: np.ndarray) -> np.ndarray:
    """Block of each grid: square tiles of the extent, by the grid's bounding-box centre."""
    bounds = shapely.bounds(shapes)
    centre = np.nan_to_num((bounds[:, :2] + bounds[:, 2:]) / 2.0)
    side = max(1, round(np.sqrt(len(shapes) / _BLOCK)))
    low, high = centre.min(axis=0), centre.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    cell = np.minimum((side * (centre - low) / span).astype(np.int64), side - 1)
    key = cell[:, 0] * side + cell[:, 1]
    return np.unique(key, return_inverse=True)[1].reshape(-1)


def _certified_union(shapes: np.ndarray) -> shapely.Geometry | None:
    """Return the union of `shapes` when GEOS's coverage union proves they do not overlap.

    None otherwise.

    GEOS's coverage union dissolves the matched edges; on overlapping polygons
    it fails or returns an invalid geometry (or one whose area is not the
    sum of theirs: with the edges of overlapping grids matched, they vanish).
    """
    if not len(shapes):
        return shapely.Polygon()
    try:
        union = shapely.coverage_union_all(shapes)
    except shapely.errors.GEOSException:
        return None
    total = float(shapely.area(shapes).sum())
    if not shapely.is_valid(union) or abs(shapely.area(union) - total) > 1e-9 * max(total, 1.0):
        return None
    return union


def _coverage_union(shapes: np.ndarray) -> shapely.Geometry:
    """Union of polygons GEOS found to be a valid coverage; the robust union if that fails."""
    try:
        union = shapely.coverage_union_all(shapes)
    except shapely.errors.GEOSException:  # pragma: no cover - a coverage GEOS mis-validated
        return shapely.union_all(shapes)
    if not shapely.is_valid(union):  # pragma: no cover - same
        return shapely.union_all(shapes)
    return union
