"""Closed-form inward offsets of polygons: which grids an opening leaves untouched.

The screen behind ``boundary.sliver``: a polygon whose inward offset by the
opening radius moves every edge without a topological event loses nothing
to the opening, so only the others need GEOS's erosion and dilation.  Part
of the internal core.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["MAX_TURN", "MIN_EDGE", "MITRE", "offset_rings", "pure_offset"]


#: Mitre limit of the opening's buffers (corners sharper than about 23 degrees lose their tip).
MITRE = 5.0
#: Turning angles (radians) beyond which a vertex's mitre may be limited: such grids are
#: never taken for pure offsets.  The limit is reached at 2 * arccos(1 / MITRE), 156.9 deg.
MAX_TURN = np.radians(156.0)
#: Shortest edge of a pure offset, as a fraction of the distance (GEOS snaps and drops
#: shorter offset edges, and its opening then differs from the grid).
MIN_EDGE = 0.1


def pure_offset(shapes: np.ndarray, distance: float) -> np.ndarray:
    """Each polygon with every edge moved inwards by `distance`, or None after an event.

    For a ring whose interior lies on its left, moving every edge inwards by
    *d* (mitred corners) puts each vertex *p* at ``p + d (n0 + n1) / (1 + n0 .
    n1)``, where *n0* and *n1* are the inward unit normals of the edges
    arriving and leaving.  As long as this offset has no topological event, it
    is the erosion ``buffer(-d, join_style="mitre")``, and dilating it by *d*
    moves every edge back: the opening gives the polygon back unchanged
    (:func:`sliver` relies on it).  An event is an edge shrinking to nothing
    (each edge must keep its direction and a tenth of the distance, as GEOS
    drops shorter offset edges) or two fronts meeting (the offset part must
    be a valid polygon, or parts of a valid multipolygon, whose rings keep
    their orientation).  Polygons with an event, a zero-length edge or a turn
    sharper than 156 degrees (where GEOS may limit the mitre) get None.

    Parameters
    ----------
    shapes : ndarray of Polygon or MultiPolygon
        Valid polygons.
    distance : float
        The inward distance (> 0).

    Returns
    -------
    ndarray of Geometry or None

    Examples
    --------
    >>> from shapely import box
    >>> hole = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)],
    ...                        [[(4, 4), (6, 4), (6, 6), (4, 6)]])
    >>> offset = pure_offset(np.array([box(0, 0, 10, 4), hole]), 1.0)
    >>> shapely.area(offset).tolist()  # 8 x 2, and 8 x 8 - 4 x 4
    [16.0, 48.0]
    >>> pure_offset(np.array([box(0, 0, 10, 4)]), 2.5).tolist()  # the short edges vanish
    [None]
    """
    shapes = np.asarray(shapes, dtype=object)
    out = np.full(len(shapes), None, dtype=object)
    if not len(shapes):
        return out
    parts, owner = shapely.get_parts(shapes, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    closed = np.bincount(ring_of, minlength=len(rings))  # coordinates with the closing one
    is_shell = np.r_[True, ring_part[1:] != ring_part[:-1]]
    closing = np.cumsum(closed) - 1
    vertex = np.ones(len(coords), dtype=bool)
    vertex[closing] = False
    x, y, ring = coords[vertex, 0], coords[vertex, 1], ring_of[vertex]
    ox, oy, ring_event = offset_rings(x, y, ring, closed - 1, is_shell=is_shell, distance=distance)
    bad = np.bincount(owner[ring_part], weights=ring_event, minlength=len(shapes)) > 0
    # the offset polygons, for the parts of shapes without an event so far
    keep = ~bad[owner[ring_part]]
    if not keep.any():
        return out
    xy = np.empty((len(coords), 2))
    xy[vertex, 0], xy[vertex, 1] = ox, oy
    xy[closing] = xy[closing - (closed - 1)]  # each ring closes on its first vertex
    kept_rings = np.flatnonzero(keep)
    take = keep[ring_of]
    new_rings = shapely.linearrings(xy[take], indices=np.searchsorted(kept_rings, ring_of[take]))
    kept_parts, part_index = np.unique(ring_part[kept_rings], return_inverse=True)
    polygons = shapely.polygons(new_rings, indices=part_index)
    valid = shapely.is_valid(polygons)
    bad |= np.bincount(owner[kept_parts], weights=~valid, minlength=len(shapes)) > 0
    # one polygon per shape, or a multipolygon of the parts (which must not meet)
    single = np.bincount(owner, minlength=len(shapes)) == 1
    one = ~bad[owner[kept_parts]] & single[owner[kept_parts]]
    out[owner[kept_parts[one]]] = polygons[one]
    several = np.flatnonzero(~bad & ~single)
    if len(several):
        chosen = np.isin(owner[kept_parts], several)
        multi = shapely.multipolygons(
            polygons[chosen], indices=np.searchsorted(several, owner[kept_parts[chosen]])
        )
        ok = shapely.is_valid(multi)
        out[several[ok]] = multi[ok]
    return out


def offset_rings(
    x: np.ndarray,
    y: np.ndarray,
    ring: np.ndarray,
    count: np.ndarray,
    *,
    is_shell: np.ndarray,
    distance: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offset vertices of rings (vertices `x`, `y` of `ring`, `count` a ring), and ring events.

    See :func:`pure_offset`; shells keep their interior inside, holes outside.
    """
    first = np.cumsum(count) - count  # of each ring, among the vertices
    last = first + count - 1

    def following(values: np.ndarray) -> np.ndarray:  # the value at the next vertex
        out = np.roll(values, -1)
        out[last] = values[first]
        return out

    def preceding(values: np.ndarray) -> np.ndarray:  # the value at the previous vertex
        out = np.roll(values, 1)
        out[first] = values[last]
        return out

    nx, ny = following(x), following(y)
    ex, ey = nx - x, ny - y  # edge k leaves vertex k
    length = np.hypot(ex, ey)
    signed = 0.5 * np.bincount(ring, weights=x * ny - nx * y, minlength=len(count))
    # orient each ring with the interior on its left; the inward normal is then the left one
    side = np.where(is_shell == (signed > 0), 1.0, -1.0)[ring]
    safe = np.where(length > 0, length, 1.0)
    inx, iny = -ey / safe * side, ex / safe * side
    pnx, pny = preceding(inx), preceding(iny)
    cos_turn = pnx * inx + pny * iny
    # |turn| > MAX_TURN  <=>  cos(turn) < cos(MAX_TURN)
    event = (length == 0) | (preceding(length) == 0) | (cos_turn < np.cos(MAX_TURN))
    scale = distance / np.where(event, 1.0, 1.0 + cos_turn)
    ox, oy = x + scale * (pnx + inx), y + scale * (pny + iny)
    # every offset edge keeps its direction and a tenth of the distance
    along = ((following(ox) - ox) * ex + (following(oy) - oy) * ey) / safe
    event |= along < MIN_EDGE * distance
    ring_event = np.bincount(ring, weights=event, minlength=len(count)) > 0
    new_signed = 0.5 * np.bincount(
        ring, weights=ox * following(oy) - following(ox) * oy, minlength=len(count)
    )
    ring_event |= (new_signed > 0) != (signed > 0)  # an inverted ring
    return ox, oy, ring_event
