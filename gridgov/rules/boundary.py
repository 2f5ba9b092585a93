"""Clear boundaries (边界清晰): validity, one part, unique well-formed codes, parents, buildings.

Each function takes the prepared grid layer (:class:`~gridgov.rules._base.Grids`)
and the context it needs, and returns finding records (a DataFrame without
``principle`` and ``severity``, which :func:`gridgov.check` adds).  Geometric
rules measure invalid grids on their repair by ``shapely.make_valid`` and say
so in the message.  Rule semantics: ``docs/rules.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from gridgov.rules._base import (
    EPS,
    Grids,
    above,
    below,
    buffer_difference,
    empty,
    fmt_area,
    fmt_length,
    location,
    polygonal,
    present,
    records,
)
from gridgov.rules.registry import RuleDoc, Scope, rule

if TYPE_CHECKING:
    from gridgov.rules.ruleset import RuleSet

__all__ = [
    "bad_code",
    "crosses_parent",
    "duplicate_id",
    "invalid_geometry",
    "multipart",
    "off_features",
    "parent_units",
    "pure_offset",
    "sliver",
    "split_candidates",
    "splits_building",
]


def _point_buildings(rules: RuleSet, inputs: Any) -> str | None:
    geoms = inputs.buildings.geometry.to_numpy()
    if not np.isin(shapely.get_type_id(geoms), [3, 6]).any():
        return "the buildings are points, not footprints"
    return None


@rule(
    "boundary.invalid_geometry",
    severity="error",
    scope=Scope.GRID,
    description="polygon not valid in the GEOS sense",
    doc=RuleDoc(
        context="—",
        default="error",
        value="— ; message carries GEOS's reason (`shapely.is_valid_reason`)",
        geometry="the location GEOS reports (point; the grid when the reason has none)",
    ),
)
def invalid_geometry(grids: Grids) -> pd.DataFrame:
    """``boundary.invalid_geometry``: polygons that are not valid, with GEOS's reason and location.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.

    Returns
    -------
    DataFrame
        Finding records; the geometry is the point GEOS reports (the grid
        when the reason names no point).
    """
    rows = np.flatnonzero(grids.repaired)
    if not len(rows):
        return empty()
    reasons = shapely.is_valid_reason(grids.geometry[rows])
    points = [location(str(r)) for r in reasons]
    geometry = np.array(
        [p if p is not None else g for p, g in zip(points, grids.geometry[rows], strict=True)],
        dtype=object,
    )
    messages = [
        f"grid {gid} is not a valid polygon: {reason}; the geometric rules measure its "
        "repair by shapely.make_valid"
        for gid, reason in zip(grids.ids[rows], reasons, strict=True)
    ]
    return records(
        "boundary.invalid_geometry",
        grid_id=grids.ids[rows],
        message=np.array(messages, dtype=object),
        geometry=geometry,
    )


@rule(
    "boundary.multipart",
    severity="error",
    scope=Scope.GRID,
    description="grid made of several disconnected parts",
    doc=RuleDoc(
        context="—",
        default=(
            "error; one finding per grid with > 1 polygon part (parts touching at a single point "
            "are separate parts)"
        ),
        value="number of parts / 1; message lists each part's area",
        geometry="the smaller parts (all parts but the largest)",
    ),
)
def multipart(grids: Grids) -> pd.DataFrame:
    """``boundary.multipart``: grids made of several disconnected polygons.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.

    Returns
    -------
    DataFrame
        Finding records: value the number of parts (limit 1); the geometry is
        every part but the largest; the message lists each part's area.
    """
    counts = shapely.get_num_geometries(grids.shapes)
    rows = np.flatnonzero(counts > 1)
    if not len(rows):
        return empty()
    out = []
    notes = grids.note(rows)
    for row, note in zip(rows, notes, strict=True):  # loop over the findings only
        parts = shapely.get_parts(grids.shapes[row])
        areas = shapely.area(parts)
        order = np.lexsort((shapely.to_wkb(parts, hex=True).astype(str), -areas))
        parts, areas = parts[order], areas[order]
        listing = ", ".join(fmt_area(a) for a in areas)
        out.append(
            {
                "grid_id": grids.ids[row],
                "value": float(len(parts)),
                "message": f"grid {grids.ids[row]} has {len(parts)} disconnected parts "
                f"({listing}); the smaller parts are shown{note}",
                "geometry": shapely.multipolygons(parts[1:]),
            }
        )
    frame = pd.DataFrame(out)
    return records(
        "boundary.multipart",
        grid_id=frame["grid_id"].to_numpy(),
        value=frame["value"].to_numpy(),
        limit=1.0,
        message=frame["message"].to_numpy(),
        geometry=frame["geometry"].to_numpy(),
    )


@rule(
    "boundary.duplicate_id",
    severity="error",
    scope=Scope.LAYER,
    description="grid id used by several rows",
    doc=RuleDoc(
        context="—",
        default="error; one finding per duplicated id",
        value="number of rows / 1",
        geometry="union of the rows",
    ),
)
def duplicate_id(grids: Grids) -> pd.DataFrame:
    """``boundary.duplicate_id``: one finding per grid id used by several rows.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.

    Returns
    -------
    DataFrame
        Finding records: value the number of rows (limit 1), geometry their union.
    """
    ids = pd.Series(grids.ids, dtype=object)
    counts = ids.value_counts(sort=False)
    dup = sorted(str(i) for i in counts.index[counts.to_numpy() > 1])
    if not dup:
        return empty()
    geoms, values, messages = [], [], []
    for gid in dup:
        rows = np.flatnonzero(grids.ids == gid)
        geoms.append(shapely.union_all(grids.shapes[rows]))
        values.append(float(len(rows)))
        messages.append(f"grid id {gid} is used by {len(rows)} rows; give each grid its own id")
    return records(
        "boundary.duplicate_id",
        grid_id=np.array(dup, dtype=object),
        value=np.array(values),
        limit=1.0,
        message=np.array(messages, dtype=object),
        geometry=np.array(geoms, dtype=object),
    )


@rule(
    "boundary.bad_code",
    severity="warning",
    scope=Scope.GRID,
    description="grid id not matching code_pattern or its parent code",
    doc=RuleDoc(
        context="—",
        default=(
            "warning; `grid_id` must match `^\\d{15}$` (`code_pattern`), and start with the grid's"
            " `parent_id` when that column is given (`code_starts_with_parent`)"
        ),
        value="—",
        geometry="the grid",
    ),
)
def bad_code(grids: Grids, *, rules: RuleSet) -> pd.DataFrame:
    """``boundary.bad_code``: ids not matching the code pattern or not starting with the parent.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer (``parent_id`` is used when present).
    rules : RuleSet
        ``code_pattern`` and ``code_starts_with_parent``.

    Returns
    -------
    DataFrame
        Finding records (no value or limit); geometry the grid.
    """
    ids = pd.Series(grids.ids, dtype=object).astype(str)
    matches = ids.str.contains(rules.code_pattern, regex=True).to_numpy(dtype=bool)
    parents = grids.column("parent_id")
    prefix_ok = np.ones(len(grids), dtype=bool)
    if rules.code_starts_with_parent and parents is not None:
        has = present(parents)
        starts = np.asarray(
            np.char.startswith(ids.to_numpy(dtype=str), np.where(has, parents, "").astype(str)),
            dtype=bool,
        )
        prefix_ok = ~has | starts
    rows = np.flatnonzero(~matches | ~prefix_ok)
    if not len(rows):
        return empty()
    messages = []
    for row in rows:
        problems = []
        if not matches[row]:
            problems.append(f"does not match the code pattern {rules.code_pattern}")
        if not prefix_ok[row]:
            problems.append(f"does not start with its parent code {parents[row]}")  # type: ignore[index]
        messages.append(f"grid id {grids.ids[row]} " + " and ".join(problems))
    return records(
        "boundary.bad_code",
        grid_id=grids.ids[rows],
        message=np.array(messages, dtype=object),
        geometry=grids.geometry[rows],
    )


def parent_units(
    grids: Grids, parent_ids: np.ndarray, parent_geoms: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the parent of every grid: its ``parent_id`` unit, else the unit of largest overlap.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    parent_ids, parent_geoms : ndarray
        Unit ids and geometries of the parent units.

    Returns
    -------
    position : ndarray of int
        Position of each grid's parent unit in `parent_ids` (-1: none).
    declared : ndarray of bool
        Whether the parent came from the grid's own ``parent_id``.
    """
    n = len(grids)
    position = np.full(n, -1, dtype=np.int64)
    declared = np.zeros(n, dtype=bool)
    column = grids.column("parent_id")
    if column is not None and len(parent_ids):
        lookup = pd.Index(np.asarray(parent_ids, dtype=str))
        has = present(column)
        found = np.full(n, -1, dtype=np.int64)
        found[has] = lookup.get_indexer(column[has].astype(str))
        declared = found >= 0
        position[declared] = found[declared]
    missing = np.flatnonzero(~declared)
    if len(missing) and len(parent_geoms):
        geoms = grids.shapes[missing]
        gi, ui = shapely.STRtree(parent_geoms).query(geoms, predicate="intersects")
        if len(gi):
            area = shapely.area(shapely.intersection(geoms[gi], parent_geoms[ui]))
            order = np.lexsort((np.asarray(parent_ids, dtype=str)[ui], -area, gi))
            gi, ui, area = gi[order], ui[order], area[order]
            head = np.r_[True, gi[1:] != gi[:-1]] & (area > 0)
            position[missing[gi[head]]] = ui[head]
    return position, declared


@rule(
    "boundary.crosses_parent",
    severity="error",
    scope=Scope.GRID,
    description="grid area outside its parent unit",
    needs=("parents",),
    cost=2,
    doc=RuleDoc(
        context="parents (community polygons, `unit_id`)",
        default=(
            "error when the area outside its parent > 1 m² (`min_parent_outside_area`); parent as"
            " above (a grid overlapping no unit lies wholly outside)"
        ),
        value=(
            "area outside / 1 m²; `parent_id` the parent, `other_id` the other units that area "
            "lies in (> 1 m² each)"
        ),
        geometry="the part of the grid outside its parent",
    ),
)
def crosses_parent(
    grids: Grids, parent_ids: np.ndarray, parent_geoms: np.ndarray, *, rules: RuleSet
) -> pd.DataFrame:
    """``boundary.crosses_parent``: grid area outside its parent unit.

    The parent is the unit named by the grid's ``parent_id``; for grids
    without one (or naming no unit of `parent_ids`) the unit of largest
    overlap.  A grid overlapping no unit lies wholly outside.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    parent_ids, parent_geoms : ndarray
        Unit ids and valid geometries of the parent units.
    rules : RuleSet
        ``min_parent_outside_area``.

    Returns
    -------
    DataFrame
        Finding records: value the area outside (m²); geometry that area;
        column ``parent_id`` the parent used, ``other_id`` the other units
        that area lies in (more than ``min_parent_outside_area`` in each,
        comma-separated).
    """
    position, declared = parent_units(grids, parent_ids, parent_geoms)
    has = position >= 0
    outside = grids.shapes.copy()
    if has.any():
        rows = np.flatnonzero(has)
        parent = np.asarray(parent_geoms, dtype=object)[position[rows]]
        shapely.prepare(parent_geoms)
        inside = shapely.covers(parent, grids.shapes[rows])
        outside[rows[inside]] = shapely.Polygon()
        cut = rows[~inside]
        if len(cut):
            outside[cut] = polygonal(shapely.difference(grids.shapes[cut], parent[~inside]))
    area = shapely.area(outside)
    rows = np.flatnonzero(above(area, rules.min_parent_outside_area))
    if not len(rows):
        return empty()
    ids = np.asarray(parent_ids, dtype=object)
    parent_of = np.where(position[rows] >= 0, ids[np.maximum(position[rows], 0)], None)
    notes = grids.note(rows)
    into = np.full(len(rows), None, dtype=object)
    if len(parent_geoms):
        oi, ui = shapely.STRtree(parent_geoms).query(outside[rows], predicate="intersects")
        if len(oi):
            shared = shapely.area(shapely.intersection(outside[rows][oi], parent_geoms[ui]))
            big = above(shared, rules.min_parent_outside_area)
            table = pd.DataFrame({"o": oi[big], "unit": ids[ui[big]].astype(str)})
            for o, units in table.groupby("o", sort=True)["unit"]:
                into[int(str(o))] = ", ".join(sorted(set(units)))
    messages = []
    for k, row in enumerate(rows):
        if parent_of[k] is None:
            messages.append(
                f"grid {grids.ids[row]} lies in no parent unit ({fmt_area(area[row])}){notes[k]}"
            )
            continue
        how = "its parent" if declared[row] else "the parent unit it overlaps most,"
        share = area[row] / max(shapely.area(grids.shapes[row]), EPS)
        where = f" into {into[k]}" if into[k] is not None else ""
        messages.append(
            f"grid {grids.ids[row]} extends {fmt_area(area[row])} ({share:.0%}) outside {how} "
            f"{parent_of[k]}{where}{notes[k]}"
        )
    return records(
        "boundary.crosses_parent",
        grid_id=grids.ids[rows],
        value=area[rows],
        limit=rules.min_parent_outside_area,
        message=np.array(messages, dtype=object),
        geometry=outside[rows],
        parent_id=parent_of,
        other_id=into,
    )


def split_candidates(grids: Grids, footprints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (grid row, building) of :func:`splits_building`'s candidates, sorted by building.

    Only buildings intersecting two grids or more: a building needs two sides
    to be split, and a side is a grid it intersects.
    """
    if not len(footprints):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # the tree holds the (small) footprints and the grids query it: each grid is prepared
    # once for all its candidates, rather than each footprint tested on an unprepared grid
    gi, bi = shapely.STRtree(footprints).query(grids.shapes, predicate="intersects")
    several = np.bincount(bi, minlength=len(footprints))[bi] >= 2
    gi, bi = gi[several], bi[several]
    order = np.lexsort((gi, bi))  # by building, then grid: the order of the records
    return gi[order], bi[order]


@rule(
    "boundary.splits_building",
    severity="warning",
    scope=Scope.TILE,
    description="building footprint cut by a grid boundary",
    needs=("buildings",),
    skip=_point_buildings,
    cost=3,
    doc=RuleDoc(
        context="buildings (footprints)",
        default=(
            "warning; a *side* of a building is a grid holding > 1 m² (`min_split_area`) and > 1 "
            "% (`min_split_share`) of its footprint; a building with ≥ 2 sides is split (by a "
            "shared boundary or by an overlap)"
        ),
        value=(
            "share of the largest side / 1.0; `grid_id` the side with the smallest share (ties: "
            "smaller id), `other_id` the other sides, `building_id`"
        ),
        geometry="the building footprint",
    ),
)
def splits_building(
    grids: Grids,
    building_ids: np.ndarray,
    footprints: np.ndarray,
    *,
    rules: RuleSet,
    candidates: tuple[np.ndarray, np.ndarray] | None = None,
    clean: np.ndarray | None = None,
    union: shapely.Geometry | None = None,
) -> pd.DataFrame:
    """``boundary.splits_building``: building footprints shared by two or more grids.

    A *side* of a building is a grid holding more than ``min_split_area`` and
    more than ``min_split_share`` of its footprint; a building with two or
    more sides is split (whether by a shared boundary or by an overlap of
    grids).  One finding per split building.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    building_ids, footprints : ndarray
        Ids and valid polygon footprints of the buildings (points are not given).
    rules : RuleSet
        ``min_split_area`` and ``min_split_share``.
    candidates : tuple of ndarray, optional
        :func:`split_candidates`, when already computed.
    clean : ndarray of bool, optional
        Grids that overlap no other grid (e.g. ``~Coverage.marked``).
    union : Geometry, optional
        The union of the grids, prepared (``Coverage.union``).  With `clean`:
        a building that lies in the union and whose grids are all clean is
        partitioned by them, so its share in the last of them is what the
        others leave, and one intersection fewer is computed.

    Returns
    -------
    DataFrame
        Finding records: ``grid_id`` the side holding the smallest share
        (ties: the smallest id), ``other_id`` the other sides
        (comma-separated), value the largest share (limit 1.0), column
        ``building_id``; geometry the footprint.
    """
    gi, bi = candidates if candidates is not None else split_candidates(grids, footprints)
    if not len(bi):
        return empty()
    total = shapely.area(footprints)
    starts = np.flatnonzero(np.r_[True, bi[1:] != bi[:-1]])
    last = np.r_[starts[1:], len(bi)] - 1
    derived = np.zeros(len(bi), dtype=bool)
    if clean is not None and union is not None:
        partitioned = np.minimum.reduceat(clean[gi].astype(np.int8), starts) > 0
        partitioned[partitioned] = shapely.covers(union, footprints[bi[starts[partitioned]]])
        derived[last[partitioned]] = True
    measured = np.flatnonzero(~derived)
    inside = np.zeros(len(bi))
    inside[measured] = shapely.area(
        shapely.intersection(footprints[bi[measured]], grids.shapes[gi[measured]])
    )
    if derived.any():
        others = np.add.reduceat(inside, starts)  # the derived entries are still 0
        rest = np.flatnonzero(derived)
        building = np.searchsorted(starts, rest, side="right") - 1
        inside[rest] = np.maximum(total[bi[rest]] - others[building], 0.0)
    share = inside / np.maximum(total[bi], EPS)
    side = above(inside, rules.min_split_area) & above(share, rules.min_split_share)
    sides = pd.DataFrame(
        {"b": bi[side], "grid": grids.ids[gi[side]].astype(str), "share": share[side]}
    )
    sides = sides.drop_duplicates(["b", "grid"])
    count = sides.groupby("b")["grid"].transform("size")
    sides = sides[count.to_numpy() >= 2]
    if not len(sides):
        return empty()
    sides = sides.sort_values(["b", "share", "grid"], kind="stable")
    b_sorted = sides["b"].to_numpy(dtype=np.int64)
    cuts = np.flatnonzero(b_sorted[1:] != b_sorted[:-1]) + 1
    rows = b_sorted[np.r_[0, cuts]]
    grid_lists = [g.tolist() for g in np.split(sides["grid"].to_numpy(dtype=object), cuts)]
    share_lists = [v.tolist() for v in np.split(sides["share"].to_numpy(dtype=float), cuts)]
    bids = np.asarray(building_ids, dtype=object)[rows].astype(str)
    messages = [  # a loop over the findings only
        f"building {bid} is split between grids: "
        + ", ".join(f"{s:.0%} in {g}" for g, s in zip(gs[::-1], ss[::-1], strict=True))
        for bid, gs, ss in zip(bids, grid_lists, share_lists, strict=True)
    ]
    return records(
        "boundary.splits_building",
        grid_id=np.array([gs[0] for gs in grid_lists], dtype=object),
        value=np.array([max(ss) for ss in share_lists], dtype=float),
        limit=1.0,
        message=np.array(messages, dtype=object),
        geometry=np.asarray(footprints, dtype=object)[rows],
        other_id=np.array([", ".join(sorted(gs[1:])) for gs in grid_lists], dtype=object),
        building_id=bids.astype(object),
    )


def _line_parts(lines: np.ndarray) -> np.ndarray:
    parts: np.ndarray = shapely.get_parts(np.asarray(lines, dtype=object))
    keep: np.ndarray = ~shapely.is_empty(parts)
    return np.asarray(parts[keep], dtype=object)


@rule(
    "boundary.off_features",
    severity="warning",
    scope=Scope.GRID,
    description="too little of the boundary follows roads, rivers or walls",
    needs=("features",),
    cost=6,
    doc=RuleDoc(
        context="features (roads, rivers, walls)",
        default=(
            "warning when the share of a grid's boundary within 5 m (`feature_tolerance`) of a "
            "feature line is < 0.5 (`min_share_on_features`); with a jurisdiction, boundary parts"
            " within 5 m of its outer boundary are left out of both lengths"
        ),
        value="share on features / 0.5",
        geometry="the grid's boundary parts off features",
    ),
)
def off_features(
    grids: Grids,
    features: np.ndarray,
    *,
    rules: RuleSet,
    outer_edge: shapely.Geometry | None = None,
) -> pd.DataFrame:
    """``boundary.off_features``: grids whose boundary follows roads, rivers or walls too little.

    The share on features is the length of the grid's boundary lying within
    ``feature_tolerance`` of a feature line, divided by the boundary length.
    Boundary parts within the tolerance of `outer_edge` (the jurisdiction's
    outer boundary, which no feature needs to mark) are left out of both
    lengths.  The lengths are exact for straight segments: the part of a
    boundary segment within distance *r* of a feature segment is the segment's
    intersection with the feature's capsule, computed in closed form for all
    segment pairs at once (:func:`near_lengths`).

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    features : ndarray of LineString
        Feature lines.
    rules : RuleSet
        ``feature_tolerance`` and ``min_share_on_features``.
    outer_edge : Geometry, optional
        Boundary of the jurisdiction.

    Returns
    -------
    DataFrame
        Finding records: value the share on features (limit
        ``min_share_on_features``); geometry the boundary parts off features.
    """
    tol = rules.feature_tolerance
    edge = None
    if outer_edge is not None and not shapely.is_empty(outer_edge):
        edge = _line_parts(np.array([outer_edge], dtype=object))
    boundary = shapely.boundary(grids.shapes)
    lines = _line_parts(features)
    length, on_edge, on_either = near_lengths(boundary, lines, edge, tol)
    judged = length - on_edge
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(judged > EPS, (on_either - on_edge) / np.where(judged > EPS, judged, 1), 1)
    share = np.clip(share, 0.0, 1.0)
    rows = np.flatnonzero((judged > EPS) & below(share, rules.min_share_on_features))
    if not len(rows):
        return empty()
    # the drawn geometry, for the findings only: the boundary minus the tolerance zones
    drawn = boundary[rows]
    if edge is not None:
        drawn = _subtract_near(drawn, edge, tol)
    drawn = _subtract_near(drawn, lines, tol)
    notes = grids.note(rows)
    off_length = judged[rows] * (1.0 - share[rows])
    messages = [
        f"only {share[r]:.0%} of the boundary of grid {grids.ids[r]} follows a road, river or "
        f"wall (within {tol:g} m); {fmt_length(off)} of {fmt_length(judged[r])} does not{note}"
        for r, off, note in zip(rows, off_length, notes, strict=True)
    ]
    return records(
        "boundary.off_features",
        grid_id=grids.ids[rows],
        value=share[rows],
        limit=rules.min_share_on_features,
        message=np.array(messages, dtype=object),
        geometry=drawn,
    )


#: Candidate pairs per chunk of the vectorised distance arithmetic.
_CHUNK = 1 << 16
#: Consecutive boundary segments sharing one query box in :func:`near_lengths`.
_RUN = 16


def _segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start points, end points, owner (position in `lines`) and part of every segment.

    Segments come in the order of their lines' coordinates, so the segments of
    one part (counted over all lines) are consecutive.
    """
    parts, owner = shapely.get_parts(np.asarray(lines, dtype=object), return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    same = part[1:] == part[:-1]
    start, end = coords[:-1][same], coords[1:][same]
    return start, end, owner[part[:-1][same]], part[:-1][same]


def _capsule_interval(
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


def _covered(segment: np.ndarray, lo: np.ndarray, hi: np.ndarray, count: int) -> np.ndarray:
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


def _runs(part: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """First index and length of runs of at most `size` consecutive entries of one part.

    Examples
    --------
    >>> first, length = _runs(np.array([0, 0, 0, 1, 1, 2]), 2)
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


def _candidates(
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
    all_start, all_end, owner, part = _segments(lines)
    # a boundary shared by two grids is measured once: segments are deduplicated
    # (orientation ignored) and their covered fractions mapped back to every copy
    start, end, copy_of, kept = _unique_segments(all_start, all_end)
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
        c, d, _, _ = _segments(near)
        if not len(c):
            continue
        if runs is None:  # the query boxes: one per run of consecutive kept segments
            first, length = _runs(part[kept], _RUN)
            box = shapely.box(
                np.minimum.reduceat(xmin, first),
                np.minimum.reduceat(ymin, first),
                np.maximum.reduceat(xmax, first),
                np.maximum.reduceat(ymax, first),
            )
            runs = (first, length, box)
        # candidates: segments meeting a feature segment's box grown by the tolerance (a
        # bounding-box test, much cheaper than a distance predicate); the capsule does the rest
        si, fi = _candidates(
            (xmin, ymin, xmax, ymax), np.minimum(c, d) - tol, np.maximum(c, d) + tol, runs
        )
        lo, hi = np.empty(len(si)), np.empty(len(si))
        for k in range(0, len(si), _CHUNK):  # chunks: temporaries stay small and in cache
            window = slice(k, k + _CHUNK)
            s_, f_ = si[window], fi[window]
            lo[window], hi[window] = _capsule_interval(
                (ax[s_], ay[s_]), (ux[s_], uy[s_]), c[f_], d[f_], tol
            )
        pieces.append((si, lo, hi, is_edge))
    for wanted in (True, None):  # near the edge; near either
        chosen = [p for p in pieces if wanted is None or p[3] is wanted]
        if chosen:
            fraction = _covered(
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


def _unique_segments(
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
    >>> a, b, index, kept = _unique_segments(np.array([[0.0, 0], [1, 1], [1, 0]]),
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


def _subtract_near(lines: np.ndarray, near: np.ndarray, tol: float) -> np.ndarray:
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


@rule(
    "boundary.sliver",
    severity="error",
    scope=Scope.GRID,
    description="parts of a grid thinner than sliver_width",
    cost=4,
    doc=RuleDoc(
        context="—",
        default=(
            "error when the parts of a grid thinner than 1 m (`sliver_width`: what a "
            "morphological opening with radius `sliver_width/2` removes) sum to > 10 m² "
            "(`min_sliver_area`)"
        ),
        value="sliver area / 10 m²",
        geometry="the thin parts",
    ),
)
def sliver(grids: Grids, *, rules: RuleSet) -> pd.DataFrame:
    """``boundary.sliver``: parts of grids thinner than ``sliver_width``.

    The thin parts are what a morphological opening (an inward then an
    outward buffer by ``sliver_width / 2``, mitred joins so that corners
    survive) removes from the grid.  Grids whose inward offset has no
    topological event (:func:`pure_offset` is not None: no edge shrinks to
    nothing and no two fronts meet) lose nothing to the opening, which gives
    them back unchanged, and are not buffered at all; the opening is computed
    with GEOS for the others.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    rules : RuleSet
        ``sliver_width`` and ``min_sliver_area``.

    Returns
    -------
    DataFrame
        Finding records: value the area of the thin parts (limit
        ``min_sliver_area``); geometry the thin parts.
    """
    radius = rules.sliver_width / 2.0
    shapes = grids.shapes
    area = shapely.area(shapes)
    # A grid thinner than the width everywhere loses all of its area; cheap bound first:
    # the opening only removes area, so grids whose area is at most the limit cannot fail.
    candidates = np.flatnonzero(above(area, rules.min_sliver_area))
    if not len(candidates):
        return empty()
    # The opening removes nothing from a grid whose erosion has no topological event: that
    # erosion is the grid with every edge moved inwards (pure_offset, in closed form), and
    # dilating it moves every edge back.  Only the other grids are eroded and dilated.
    pure = ~shapely.is_missing(pure_offset(shapes[candidates], radius))
    removed = np.zeros(len(candidates))
    rest = np.flatnonzero(~pure)
    opened = np.array([shapely.Polygon()] * len(candidates), dtype=object)
    opened[pure] = shapes[candidates[pure]]
    if len(rest):
        with np.errstate(invalid="ignore"):  # GEOS mitres of near-duplicate vertices touch NaN
            eroded = shapely.buffer(
                shapes[candidates[rest]], -radius, join_style="mitre", mitre_limit=_MITRE
            )
            opened[rest] = shapely.buffer(eroded, radius, join_style="mitre", mitre_limit=_MITRE)
        odd = rest[~shapely.is_valid(opened[rest])]  # GEOS buffers of odd shapes can be invalid
        opened[odd] = polygonal(shapely.make_valid(opened[odd]))
        # the opening lies inside the grid (mitred joins restore convex corners exactly), so
        # what it removes is the difference of the areas
        removed[rest] = area[candidates[rest]] - shapely.area(opened[rest])
    hit = above(removed, rules.min_sliver_area)
    rows = candidates[hit]
    if not len(rows):
        return empty()
    thin = polygonal(buffer_difference(shapes[rows], opened[hit]))
    # drop the crumbs of floating-point noise along the edges from the drawn geometry
    parts, index = shapely.get_parts(thin, return_index=True)
    big = shapely.area(parts) > 1e-3
    drawn = np.array([shapely.Polygon()] * len(rows), dtype=object)
    if big.any():
        shapely.multipolygons(parts[big], indices=index[big], out=drawn)
    notes = grids.note(rows)
    messages = [
        f"grid {grids.ids[r]} has {fmt_area(v)} of parts thinner than {rules.sliver_width:g} m"
        f"{note}"
        for r, v, note in zip(rows, removed[hit], notes, strict=True)
    ]
    return records(
        "boundary.sliver",
        grid_id=grids.ids[rows],
        value=removed[hit],
        limit=rules.min_sliver_area,
        message=np.array(messages, dtype=object),
        geometry=drawn,
    )


#: Mitre limit of the opening's buffers (corners sharper than about 23 degrees lose their tip).
_MITRE = 5.0
#: Turning angles (radians) beyond which a vertex's mitre may be limited: such grids are
#: never taken for pure offsets.  The limit is reached at 2 * arccos(1 / _MITRE), 156.9 deg.
_MAX_TURN = np.radians(156.0)
#: Shortest edge of a pure offset, as a fraction of the distance (GEOS snaps and drops
#: shorter offset edges, and its opening then differs from the grid).
_MIN_EDGE = 0.1


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
    ox, oy, ring_event = _offset_rings(x, y, ring, closed - 1, is_shell=is_shell, distance=distance)
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


def _offset_rings(
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
    # |turn| > _MAX_TURN  <=>  cos(turn) < cos(_MAX_TURN)
    event = (length == 0) | (preceding(length) == 0) | (cos_turn < np.cos(_MAX_TURN))
    scale = distance / np.where(event, 1.0, 1.0 + cos_turn)
    ox, oy = x + scale * (pnx + inx), y + scale * (pny + iny)
    # every offset edge keeps its direction and a tenth of the distance
    along = ((following(ox) - ox) * ex + (following(oy) - oy) * ey) / safe
    event |= along < _MIN_EDGE * distance
    ring_event = np.bincount(ring, weights=event, minlength=len(count)) > 0
    new_signed = 0.5 * np.bincount(
        ring, weights=ox * following(oy) - following(ox) * oy, minlength=len(count)
    )
    ring_event |= (new_signed > 0) != (signed > 0)  # an inverted ring
    return ox, oy, ring_event
