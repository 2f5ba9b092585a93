"""Straight segments of line pieces, and the distance from points to them.

The snapping of points to road pieces (:meth:`gridgov.graph.RoadNetwork.snap`)
and the certified distance bounds of :func:`gridgov.graph.certainly_within`
share these array kernels: numpy arithmetic on the segments of the pieces,
no GEOS call per point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Segments", "project", "segment_boxes"]


@dataclass(frozen=True)
class Segments:
    """The straight segments of line pieces: ends, piece, length, start along the piece.

    Attributes
    ----------
    a, b : ndarray of float64, shape (n, 2)
        First and second end of each segment.
    piece : ndarray of int64
        Position of the piece each segment belongs to (segments are in piece order).
    length : ndarray of float64
        Length of each segment.
    start : ndarray of float64
        Distance along its piece from the start of the piece to the segment's start.
    """

    a: np.ndarray
    b: np.ndarray
    piece: np.ndarray
    length: np.ndarray
    start: np.ndarray

    @classmethod
    def of(cls, pieces: np.ndarray) -> Segments:
        """Return the segments of `pieces` (an array of LineString).

        Examples
        --------
        >>> from shapely import LineString
        >>> seg = Segments.of(np.array([LineString([(0, 0), (3, 0), (3, 4)])]))
        >>> seg.length.tolist(), seg.start.tolist(), seg.piece.tolist()
        ([3.0, 4.0], [0.0, 3.0], [0, 0])
        """
        coords, part = shapely.get_coordinates(pieces, return_index=True)
        same = part[1:] == part[:-1]
        a, b, piece = coords[:-1][same], coords[1:][same], part[:-1][same]
        length = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
        before = np.cumsum(length) - length  # along the piece, to each segment's start
        first = np.r_[True, piece[1:] != piece[:-1]]
        start = before - np.maximum.accumulate(np.where(first, before, 0.0))
        return cls(a, b, piece, length, start)


def segment_boxes(segments: Segments, radius: float) -> shapely.STRtree:
    """Return a tree of the segments' bounding boxes grown by `radius`.

    Examples
    --------
    >>> from shapely import LineString, Point
    >>> seg = Segments.of(np.array([LineString([(0, 0), (10, 0)])]))
    >>> segment_boxes(seg, 2.0).query(Point(5, 1.5)).tolist()
    [0]
    """
    low = np.minimum(segments.a, segments.b) - radius
    high = np.maximum(segments.a, segments.b) + radius
    return shapely.STRtree(shapely.box(low[:, 0], low[:, 1], high[:, 0], high[:, 1]))


def project(
    p: np.ndarray, a: np.ndarray, b: np.ndarray, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Parameter (0..1) of the point of segment [a, b] nearest to p, and the distance.

    Row-wise: ``p``, ``a`` and ``b`` are (n, 2) arrays, ``length`` the
    lengths of the n segments.  Degenerate segments (length 0) give ``t = 0``.

    Examples
    --------
    >>> t, d = project(np.array([[3.0, 4.0]]), np.array([[0.0, 0.0]]),
    ...                np.array([[10.0, 0.0]]), np.array([10.0]))
    >>> t.tolist(), d.tolist()
    ([0.3], [4.0])
    """
    ab = b - a
    squared = length * length
    t = np.einsum("ij,ij->i", p - a, ab) / np.where(squared > 0, squared, 1.0)
    t = np.clip(np.where(squared > 0, t, 0.0), 0.0, 1.0)
    # the ends exactly, so that a point nearest to a node is equally far from its pieces
    foot = np.where((t >= 1.0)[:, None], b, a + t[:, None] * ab)
    return t, np.hypot(p[:, 0] - foot[:, 0], p[:, 1] - foot[:, 1])
