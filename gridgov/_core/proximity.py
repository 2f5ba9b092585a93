"""Segment kernels: how much of a set of lines lies near other lines, and what does not.

The closed-form measure behind ``boundary.off_features``: the part of each
segment of some lines within a distance of the segments of other lines (the
segment's intersection with each capsule), for all candidate pairs at once,
and the drawing of the parts that are not.  Part of the internal core.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = [
    "CHUNK",
    "RUN",
    "capsule_interval",
    "covered_length",
    "line_parts",
    "near_lengths",
    "run_candidates",
    "segment_runs",
    "segments",
    "subtract_near",
    "unique_segments",
]


def line_parts(lines: np.ndarray) -> np.ndarray:
    """Return the non-empty single parts of `lines` (LineStrings of multi-lines)."""
    parts: np.ndarray = shapely.get_parts(np.asarray(lines, dtype=object))
    keep: np.ndarray = ~shapely.is_empty(parts)
    return np.asarray(parts[keep], dtype=object)


#: Candidate pairs per chunk of the vectorised distance arithmetic.
CHUNK = 1 << 16
#: Consecutive boundary segments sharing one query box in :func:`near_lengths`.
RUN = 16


def segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start points, end points, owner (position in `lines`) and part of every segment.

    Segments come in the order of their lines' coordinates, so the segments of
    one part (counted over all lines) are consecutive.
    """
    parts, owner = shapely.get_parts(np.asarray(lines, dtype=object), return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    same = part[1:] == part[:-1]
    start, end = coords[:-1][same], coords[1:][same]
    return start, end, owner[part[:-1][same]], part[:-1][same]


def capsule_interval(
    a: tuple[np.ndarray, np.ndarray],
    u: tuple[np.ndarray, np.ndarray],
    c: np.ndarray,
    d: np.ndarray,
    r: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Parameter interval [lo, hi] of the points ``a + t u`` within distance `r` of [c, d].

    The set is the intersection of a line with a convex capsule (the segment's
    r-neighbourhood): the union of its intersections with the two end disks and
    the rectangle, one interval (empty when ``lo > hi``).  `a` and `u` come as
    (x, y) columns (`c` and `d` as ``(n, 2)`` arrays): elementwise arithmetic
    on columns releases the GIL, where ``einsum`` does not.
    """
    (ax, ay), (ux, uy) = a, u
    lo = np.full(len(ax), np.inf)
    hi = np.full(len(ax), -np.inf)
    uu = ux * ux + uy * uy
    moves = uu > 0
    safe_uu = np.where(moves, uu, 1.0)
    for centre in (c, d):  # the disks at the feature segment's ends
        wx, wy = ax - centre[:, 0], ay - centre[:, 1]
        b = ux * wx + uy * wy
        disc = b * b - uu * (wx * wx + wy * wy - r * r)
        ok = (disc >= 0) & moves
        root = np.sqrt(np.where(ok, disc, 0.0))
        lo = np.where(ok, np.minimum(lo, (-b - root) / safe_uu), lo)
        hi = np.where(ok, np.maximum(hi, (-b + root) / safe_uu), hi)
    fx, fy = d[:, 0] - c[:, 0], d[:, 1] - c[:, 1]
    flen = np.hypot(fx, fy)
    safe_flen = np.where(flen > 0, flen, 1.0)
    ex, ey = fx / safe_flen, fy / safe_flen
    wx, wy = ax - c[:, 0], ay - c[:, 1]
    rect_lo = np.full(len(ax), -np.inf)
    rect_hi = np.full(len(ax), np.inf)
    # the rectangle, as two slabs: along the feature segment, and across it
    for (px, py), low, high in (((ex, ey), 0.0, flen), ((-ey, ex), -r, r)):
        p0 = wx * px + wy * py
        dp = ux * px + uy * py
        moving = np.abs(dp) > 1e-12
        safe = np.where(moving, dp, 1.0)
        t1, t2 = (low - p0) / safe, (high - p0) / safe
        inside = (p0 >= low) & (p0 <= high)
        rect_lo = np.maximum(
            rect_lo, np.where(moving, np.minimum(t1, t2), np.where(inside, -np.inf, np.inf))
        )
        rect_hi = np.minimum(
            rect_hi, np.where(moving, np.maximum(t1, t2), np.where(inside, np.inf, -np.inf))
        )
    rect = (rect_lo <= rect_hi) & (flen > 0)
    lo = np.where(rect, np.minimum(lo, rect_lo), lo)
    hi = np.where(rect, np.maximum(hi, rect_hi), hi)
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)


def covered_length(segment: np.ndarray, lo: np.ndarray, hi: np.ndarray, count: int) -> np.ndarray:
    """Length fraction of each segment covered by the union of its intervals."""
    keep = hi > lo
    segment, lo, hi = segment[keep], lo[keep], hi[keep]
    out = np.zeros(count)
    if not len(segment):
        return out
    # offsets keep each segment's intervals apart, so one sort orders them by segment, then lo
    offset = 2.0 * segment
    lo, hi = lo + offset, hi + offset
    order = np.argsort(lo, kind="stable")
    segment, lo, hi = segment[order], lo[order], hi[order]
    reach = np.maximum.accumulate(hi)
    before = np.r_[-np.inf, reach[:-1]]
    gain = np.maximum(0.0, hi - np.maximum(lo, before))
    out += np.bincount(segment, weights=gain, minlength=count)
    return out


def segment_runs(part: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """First index and length of runs of at most `size` consecutive entries of one part.

    Examples
    --------
    >>> first, length = segment_runs(np.array([0, 0, 0, 1, 1, 2]), 2)
    >>> first.tolist(), length.tolist()
    ([0, 2, 3, 5], [2, 1, 2, 1])
    """
    if not len(part):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    index = np.arange(len(part))
    new_part = np.r_[True, part[1:] != part[:-1]]
    part_first = np.maximum.accumulate(np.where(new_part, index, 0))
    first = np.flatnonzero((index - part_first) % size == 0)
    return first, np.diff(np.r_[first, len(part)])


def run_candidates(
    bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    low: np.ndarray,
    high: np.ndarray,
    runs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (segment, box) whose bounding boxes intersect.

    `bounds` are the segments' (xmin, ymin, xmax, ymax) columns.  The
    segments query the STRtree of the boxes (``low``, ``high`` corners) in
    runs of consecutive segments, one box geometry per run (``runs``: first
    segment, length and box geometry of each), and each run's pairs are then
    narrowed to the segments whose own box meets the other box.  The pairs
    are those of querying with every segment: far fewer geometries are made.
    """
    xmin, ymin, xmax, ymax = bounds
    first, length, query = runs
    tree = shapely.STRtree(shapely.box(low[:, 0], low[:, 1], high[:, 0], high[:, 1]))
    ri, fi = tree.query(query)
    size = length[ri]
    total = int(size.sum())
    within = np.arange(total) - np.repeat(np.cumsum(size) - size, size)
    seg = np.repeat(first[ri], size) + within
    box = np.repeat(fi, size)
    meets = (
        (xmax[seg] >= low[box, 0])
        & (xmin[seg] <= high[box, 0])
        & (ymax[seg] >= low[box, 1])
        & (ymin[seg] <= high[box, 1])
    )
    return seg[meets], box[meets]


def near_lengths(
    lines: np.ndarray, features: np.ndarray, edge: np.ndarray | None, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Length of each line, and of its parts within `tol` of `edge` and of `features` or `edge`.

    Parameters
    ----------
    lines : ndarray of Geometry
        Linear geometries (grid boundaries).
    features, edge : ndarray of LineString
        Lines whose neighbourhoods are measured (`edge` may be None).
    tol : float
        The distance.

    Returns
    -------
    length, near_edge, near_either : ndarray of float
        Per line: its length, the length within `tol` of `edge`, and within
        `tol` of `features` or `edge`.
    """
    all_start, all_end, owner, part = segments(lines)
    # a boundary shared by two grids is measured once: segments are deduplicated
    # (orientation ignored) and their covered fractions mapped back to every copy
    start, end, copy_of, kept = unique_segments(all_start, all_end)
    all_u = all_end - all_start
    all_length = np.hypot(all_u[:, 0], all_u[:, 1])
    ax, ay = start[:, 0], start[:, 1]
    ux, uy = end[:, 0] - ax, end[:, 1] - ay
    xmin, xmax = np.minimum(ax, end[:, 0]), np.maximum(ax, end[:, 0])
    ymin, ymax = np.minimum(ay, end[:, 1]), np.maximum(ay, end[:, 1])
    count = len(start)
    if not count:  # no boundary segments: nothing to measure
        return np.zeros(len(lines)), np.zeros(len(lines)), np.zeros(len(lines))
    results = []
    sources = [(edge, True), (features, False)]
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]] = []
    runs = None
    for near, is_edge in sources:
        if near is None or not len(near):
            continue
        c, d, _, _ = segments(near)
        if not len(c):
            continue
        if runs is None:  # the query boxes: one per run of consecutive kept segments
            first, length = segment_runs(part[kept], RUN)
            box = shapely.box(
                np.minimum.reduceat(xmin, first),
                np.minimum.reduceat(ymin, first),
                np.maximum.reduceat(xmax, first),
                np.maximum.reduceat(ymax, first),
            )
            runs = (first, length, box)
        # candidates: segments meeting a feature segment's box grown by the tolerance (a
        # bounding-box test, much cheaper than a distance predicate); the capsule does the rest
        si, fi = run_candidates(
            (xmin, ymin, xmax, ymax), np.minimum(c, d) - tol, np.maximum(c, d) + tol, runs
        )
        lo, hi = np.empty(len(si)), np.empty(len(si))
        for k in range(0, len(si), CHUNK):  # chunks: temporaries stay small and in cache
            window = slice(k, k + CHUNK)
            s_, f_ = si[window], fi[window]
            lo[window], hi[window] = capsule_interval(
                (ax[s_], ay[s_]), (ux[s_], uy[s_]), c[f_], d[f_], tol
            )
        pieces.append((si, lo, hi, is_edge))
    for wanted in (True, None):  # near the edge; near either
        chosen = [p for p in pieces if wanted is None or p[3] is wanted]
        if chosen:
            fraction = covered_length(
                np.concatenate([p[0] for p in chosen]),
                np.concatenate([p[1] for p in chosen]),
                np.concatenate([p[2] for p in chosen]),
                count,
            )
        else:
            fraction = np.zeros(count)
        results.append(
            np.bincount(owner, weights=fraction[copy_of] * all_length, minlength=len(lines))
        )
    length = np.bincount(owner, weights=all_length, minlength=len(lines))
    return length, results[0], results[1]


def unique_segments(
    start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct segments (either orientation counts as the same) and each input's index among them.

    Each distinct segment is kept at its first occurrence, in input order (so
    the kept segments of a ring stay consecutive), with its ends ordered
    (smaller x, then y, first).

    Returns
    -------
    a, b : ndarray
        Ends of the distinct segments, ``(n, 2)``.
    index : ndarray of int
        Position of each input segment among them.
    kept : ndarray of int
        Input position of each distinct segment.

    Examples
    --------
    >>> a, b, index, kept = unique_segments(np.array([[0.0, 0], [1, 1], [1, 0]]),
    ...                                      np.array([[1.0, 0], [0, 0], [0, 0]]))
    >>> a.tolist(), b.tolist(), index.tolist(), kept.tolist()
    ([[0.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [1.0, 1.0]], [0, 1, 0], [0, 1])
    """
    if not len(start):
        return start, end, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    sx, sy, ex, ey = start[:, 0], start[:, 1], end[:, 0], end[:, 1]
    flip = (sx > ex) | ((sx == ex) & (sy > ey))
    # columns rather than (n, 2) rows: elementwise work on them is faster and releases the GIL
    ax, ay = np.where(flip, ex, sx), np.where(flip, ey, sy)
    bx, by = np.where(flip, sx, ex), np.where(flip, sy, ey)
    # equal segments get equal keys, so sorting by one float brings copies together (much
    # faster than a four-key lexsort); different segments with the same key may sit between
    # copies, which then count as distinct -- measured twice alike, never merged wrongly
    key = ax + 1.6180339887 * ay + 2.7182818285 * bx + 3.1415926536 * by
    order = np.argsort(key, kind="stable")
    new = np.ones(len(order), dtype=bool)
    for column in (ax, ay, bx, by):
        ordered = column[order]
        new[1:] &= ordered[1:] == ordered[:-1]
    new[1:] = ~new[1:]
    # the stable sort puts each run of copies in input order: its head is the first occurrence
    head = order[np.flatnonzero(new)]
    first = np.empty(len(start), dtype=np.int64)
    first[order] = head[np.cumsum(new) - 1]
    is_kept = first == np.arange(len(start))
    kept = np.flatnonzero(is_kept)
    rank = np.cumsum(is_kept) - 1
    a = np.column_stack([ax[kept], ay[kept]])
    b = np.column_stack([bx[kept], by[kept]])
    return a, b, rank[first], kept


def subtract_near(lines: np.ndarray, near: np.ndarray, tol: float) -> np.ndarray:
    """Return each of `lines` minus the parts within `tol` of any of the `near` lines.

    The `near` lines within reach of each line are clipped to its bounding
    box (plus the tolerance) and merged into one multi-line per line, whose
    buffer is subtracted -- all vectorised over the lines.
    """
    lines = np.asarray(lines, dtype=object)
    out = lines.copy()
    if not len(near) or not len(lines):
        return out
    li, ni = shapely.STRtree(near).query(lines, predicate="dwithin", distance=tol)
    if not len(li):
        return out
    bounds = shapely.bounds(lines[li])
    pad = 2.0 * tol
    window = shapely.box(
        bounds[:, 0] - pad, bounds[:, 1] - pad, bounds[:, 2] + pad, bounds[:, 3] + pad
    )
    clipped = shapely.intersection(near[ni], window)
    pieces, sub = shapely.get_parts(clipped, return_index=True)
    owner = li[sub]
    keep = (
        shapely.get_type_id(pieces) == int(shapely.GeometryType.LINESTRING)
    ) & ~shapely.is_empty(pieces)
    pieces, owner = pieces[keep], owner[keep]
    if not len(pieces):
        return out
    order = np.argsort(owner, kind="stable")
    pieces, owner = pieces[order], owner[order]
    targets = np.unique(owner)
    merged = np.array([shapely.MultiLineString()] * len(lines), dtype=object)
    shapely.multilinestrings(pieces, indices=owner, out=merged)
    zone = shapely.buffer(merged[targets], tol, quad_segs=8)
    out[targets] = shapely.difference(lines[targets], zone)
    return out
