"""Seamless coverage (无缝覆盖): gaps, overlaps, spill-over, households covered zero or two times.

Method.  Overlapping grids are found without validating every grid: the
grids are split into spatial blocks, and a block whose GEOS coverage union
(:func:`shapely.coverage_union_all`) is valid and has the area of its grids
holds no overlap; so does a set of such blocks whose unions pass the same
test together.  GEOS's coverage validation (:func:`shapely.coverage_invalid_edges`)
then runs only on the other grids (and their neighbours), and the overlap
pairs are computed for the grids it marks (an STRtree query, then the
intersections).  The union of the grids is that of the certified blocks plus
the robust :func:`shapely.union_all` of the marked grids.  Gaps are the
jurisdiction minus that union, exploded into polygons -- so gaps open to the
jurisdiction's outer edge, which coverage validation cannot see, are found
like enclosed ones, and holes, islands, multipolygon jurisdictions and
coastlines need no special case.

Each function returns finding records (see :mod:`gridgov.rules.boundary`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from gridgov.rules.analysis import Coverage, analyse
from gridgov.rules.base import EPS, Grids, above, empty, fmt_area, fmt_length, polygonal, records
from gridgov.rules.registry import RuleDoc, Scope, owned, rule

if TYPE_CHECKING:
    from gridgov.rules.ruleset import RuleSet

__all__ = [
    "Coverage",
    "analyse",
    "gap",
    "multiply_covered_household",
    "outside_jurisdiction",
    "overlap",
    "service_gap",
    "uncovered_household",
]


@rule(
    "coverage.gap",
    severity="error",
    scope=Scope.TILE,
    description="area of the jurisdiction covered by no grid",
    merge="regions",
    threshold="min_gap_area",
    cost=5,
    doc=RuleDoc(
        context="jurisdiction (see below without it)",
        default=(
            "error; one finding per connected area of the jurisdiction covered by no grid with "
            "area > 1 m² (`min_gap_area`) — gaps open to the jurisdiction's outer edge included; "
            "`grid_id` null"
        ),
        value="gap area / 1 m²; `other_id` the grids around it (within 1 cm)",
        geometry="the gap polygon",
    ),
)
def gap(
    grids: Grids,
    coverage: Coverage,
    jurisdiction: shapely.Geometry | None,
    *,
    rules: RuleSet,
) -> pd.DataFrame:
    """``coverage.gap``: connected areas of the jurisdiction covered by no grid.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    coverage : Coverage
        From :func:`analyse`.
    jurisdiction : Geometry, optional
        The union of the jurisdiction units.  Without it the jurisdiction is
        taken as the grids' union with its holes filled, so only gaps enclosed
        by grids are found (the message says so).
    rules : RuleSet
        ``min_gap_area``.

    Returns
    -------
    DataFrame
        Finding records, ``grid_id`` null: value the gap area (limit
        ``min_gap_area``); geometry the gap polygon; ``other_id`` the grids
        around it (within 1 cm, comma-separated).
    """
    union = coverage.union
    enclosed_only = jurisdiction is None
    if jurisdiction is None:
        outer = shapely.get_parts(union)
        shells = shapely.polygons(shapely.get_exterior_ring(outer))
        jurisdiction = shapely.union_all(shells) if len(shells) else shapely.Polygon()
    uncovered = polygonal(np.array([shapely.difference(jurisdiction, union)], dtype=object))[0]
    parts = shapely.get_parts(uncovered)
    area = shapely.area(parts)
    big = above(area, rules.min_gap_area)
    parts, area = parts[big], area[big]
    if not len(parts):
        return empty()
    gi, gj = shapely.STRtree(grids.shapes).query(parts, predicate="dwithin", distance=0.01)
    around = pd.Series(grids.ids[gj].astype(str)).groupby(gi).agg(lambda s: sorted(set(s)))
    messages = []
    for k, a in enumerate(area):
        names = around.get(k, [])
        where = (
            f" next to grid{'s' if len(names) > 1 else ''} "
            + ", ".join(names[:6])
            + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            if names
            else " away from every grid"
        )
        kind = "enclosed gap" if enclosed_only else "gap"
        tail = (
            " (no jurisdiction given: only gaps enclosed by grids are found)"
            if enclosed_only
            else ""
        )
        messages.append(f"{kind} of {fmt_area(a)} covered by no grid{where}{tail}")
    near = np.array([", ".join(around.get(k, [])) or None for k in range(len(parts))], dtype=object)
    return records(
        "coverage.gap",
        value=area,
        limit=rules.min_gap_area,
        message=np.array(messages, dtype=object),
        geometry=parts,
        other_id=near,
    )


@rule(
    "coverage.overlap",
    severity="error",
    scope=Scope.TILE,
    description="area covered by two grids",
    cost=5,
    doc=RuleDoc(
        context="—",
        default=(
            "error; one finding per pair of grids whose intersection area > 1 m² "
            "(`min_overlap_area`); `grid_id` = the smaller id, `other_id` the other"
        ),
        value="overlap area / 1 m²",
        geometry="the intersection",
    ),
)
def overlap(
    grids: Grids,
    coverage: Coverage,
    *,
    rules: RuleSet,
    tile: tuple[float, float, float, float] | None = None,
) -> pd.DataFrame:
    """``coverage.overlap``: one finding per pair of grids sharing more than ``min_overlap_area``.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    coverage : Coverage
        From :func:`analyse`.
    rules : RuleSet
        ``min_overlap_area``.
    tile : tuple of float, optional
        Report only the overlaps whose bounds' lower-left corner the tile
        owns (:func:`gridgov.rules.registry.owned`); None: every overlap.

    Returns
    -------
    DataFrame
        Finding records: ``grid_id`` the smaller id of the pair, ``other_id``
        the other; value the shared area; geometry the intersection.
    """
    keep = above(coverage.area, rules.min_overlap_area)
    if tile is not None and keep.any():
        keep[keep] = owned(shapely.bounds(coverage.shared[keep])[:, :2], tile)
    if not keep.any():
        return empty()
    a, b = coverage.left[keep], coverage.right[keep]
    ia, ib = grids.ids[a].astype(str), grids.ids[b].astype(str)
    first = np.where(ia <= ib, ia, ib).astype(object)
    second = np.where(ia <= ib, ib, ia).astype(object)
    area = coverage.area[keep]
    notes = np.where(
        grids.repaired[a] | grids.repaired[b],
        " (measured on shapely.make_valid of the invalid geometry)",
        "",
    )
    messages = [
        f"grids {x} and {y} overlap by {fmt_area(v)}{note}"
        for x, y, v, note in zip(first, second, area, notes, strict=True)
    ]
    return records(
        "coverage.overlap",
        grid_id=first,
        value=area,
        limit=rules.min_overlap_area,
        message=np.array(messages, dtype=object),
        geometry=coverage.shared[keep],
        other_id=second,
    )


@rule(
    "coverage.outside_jurisdiction",
    severity="error",
    scope=Scope.GRID,
    description="grid area outside the jurisdiction",
    needs=("jurisdiction",),
    cost=2,
    doc=RuleDoc(
        context="jurisdiction",
        default="error when a grid's area outside the jurisdiction > 1 m² (`min_outside_area`)",
        value="area outside / 1 m²",
        geometry="the part outside",
    ),
)
def outside_jurisdiction(
    grids: Grids, jurisdiction: shapely.Geometry, *, rules: RuleSet
) -> pd.DataFrame:
    """``coverage.outside_jurisdiction``: grid area spilling outside the jurisdiction.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    jurisdiction : Geometry
        The union of the jurisdiction units.
    rules : RuleSet
        ``min_outside_area``.

    Returns
    -------
    DataFrame
        Finding records: value the area outside; geometry that area.
    """
    shapes = grids.shapes
    shapely.prepare(jurisdiction)
    inside = shapely.covers(jurisdiction, shapes)
    rows = np.flatnonzero(~inside)
    if not len(rows):
        return empty()
    spill = polygonal(shapely.difference(shapes[rows], jurisdiction))
    area = shapely.area(spill)
    hit = above(area, rules.min_outside_area)
    rows, spill, area = rows[hit], spill[hit], area[hit]
    if not len(rows):
        return empty()
    notes = grids.note(rows)
    total = shapely.area(shapes[rows])
    messages = [
        f"grid {grids.ids[r]} extends {fmt_area(a)} ({a / max(t, EPS):.0%}) outside the "
        f"jurisdiction{note}"
        for r, a, t, note in zip(rows, area, total, notes, strict=True)
    ]
    return records(
        "coverage.outside_jurisdiction",
        grid_id=grids.ids[rows],
        value=area,
        limit=rules.min_outside_area,
        message=np.array(messages, dtype=object),
        geometry=spill,
    )


@rule(
    "coverage.uncovered_household",
    severity="error",
    scope=Scope.HOUSEHOLD,
    description="household inside no grid",
    needs=("households",),
    shows="point",
    doc=RuleDoc(
        context="households",
        default=(
            "error; one finding per household inside no grid and on no grid boundary (`gg.assign`"
            " leaves it `unassigned`); `grid_id` null, `household_id`"
        ),
        value="distance to the nearest grid (m) / 0",
        geometry="the household point",
    ),
)
def uncovered_household(
    grids: Grids, household_ids: np.ndarray, household_points: np.ndarray, uncovered: np.ndarray
) -> pd.DataFrame:
    """``coverage.uncovered_household``: households inside no grid.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    household_ids, household_points : ndarray
        Household ids and points.
    uncovered : ndarray of bool
        Households the assignment left ``unassigned`` (in no grid, not on a boundary).

    Returns
    -------
    DataFrame
        Finding records, ``grid_id`` null, column ``household_id``: value
        the distance to the nearest grid (limit 0); geometry the point.
    """
    rows = np.flatnonzero(uncovered)
    if not len(rows):
        return empty()
    tree = shapely.STRtree(grids.shapes)
    pi_gi, dist = tree.query_nearest(household_points[rows], return_distance=True, all_matches=True)
    pi, gi = pi_gi
    order = np.lexsort((grids.ids[gi].astype(str), pi))
    pi, gi, dist = pi[order], gi[order], dist[order]
    head = np.r_[True, pi[1:] != pi[:-1]]
    nearest = np.full(len(rows), None, dtype=object)
    distance = np.full(len(rows), np.inf)
    nearest[pi[head]] = grids.ids[gi[head]]
    distance[pi[head]] = dist[head]
    messages = [
        f"household {h} lies in no grid ({fmt_length(d)} from the nearest, {g})"
        for h, d, g in zip(household_ids[rows], distance, nearest, strict=True)
    ]
    return records(
        "coverage.uncovered_household",
        value=distance,
        limit=0.0,
        message=np.array(messages, dtype=object),
        geometry=household_points[rows],
        household_id=household_ids[rows],
    )


@rule(
    "coverage.multiply_covered_household",
    severity="warning",
    scope=Scope.HOUSEHOLD,
    description="household inside two or more grids",
    needs=("households",),
    shows="point",
    doc=RuleDoc(
        context="households",
        default=(
            "warning; one finding per household inside ≥ 2 grids (on a shared boundary does not "
            "count: the point must be in the interior of two); `grid_id` the smallest of those "
            "ids, `other_id` the others"
        ),
        value="number of grids / 1",
        geometry="the household point",
    ),
)
def multiply_covered_household(
    coverage_grids: Grids,
    coverage: Coverage,
    household_ids: np.ndarray,
    household_points: np.ndarray,
) -> pd.DataFrame:
    """``coverage.multiply_covered_household``: households in the interior of two or more grids.

    A point in the interior of two grids is in the interior of their
    intersection, so only the overlap regions of :func:`analyse` are searched.

    Parameters
    ----------
    coverage_grids : Grids
        The prepared grid layer.
    coverage : Coverage
        From :func:`analyse`.
    household_ids, household_points : ndarray
        Household ids and points.

    Returns
    -------
    DataFrame
        Finding records, column ``household_id``: ``grid_id`` the smallest
        id of the grids holding the household, ``other_id`` the others
        (comma-separated); value the number of grids (limit 1); geometry the point.
    """
    if not len(coverage.shared) or not len(household_points):
        return empty()
    tree = shapely.STRtree(coverage.shared)
    pi, ri = tree.query(household_points, predicate="within")
    if not len(pi):
        return empty()
    holder = np.concatenate([coverage.left[ri], coverage.right[ri]])
    who = np.concatenate([pi, pi])
    table = pd.DataFrame(
        {"p": who, "grid": coverage_grids.ids[holder].astype(str)}
    ).drop_duplicates()
    table = table.sort_values(["p", "grid"], kind="stable")
    grouped = table.groupby("p", sort=True)["grid"].agg(list)
    rows = grouped.index.to_numpy(dtype=np.int64)
    lists = grouped.to_list()
    first = np.array([g[0] for g in lists], dtype=object)
    others = np.array([", ".join(g[1:]) for g in lists], dtype=object)
    count = np.array([len(g) for g in lists], dtype=float)
    messages = [
        f"household {h} lies inside {int(c)} grids: {', '.join(g)}"
        for h, c, g in zip(household_ids[rows], count, lists, strict=True)
    ]
    return records(
        "coverage.multiply_covered_household",
        grid_id=first,
        value=count,
        limit=1.0,
        message=np.array(messages, dtype=object),
        geometry=household_points[rows],
        household_id=household_ids[rows],
        other_id=others,
    )


@rule(
    "coverage.service_gap",
    severity="warning",
    scope=Scope.HOUSEHOLD,
    description="household farther than service_distance along the roads from every station",
    needs=("households", "stations", "roads"),
    cost=8,
    shows="point",
    doc=RuleDoc(
        context="households, stations, roads",
        default=(
            "warning; one finding per household whose network distance to the nearest station is "
            "> 500 m (`service_distance`; rural 2000 m) or that reaches no station; `grid_id` the"
            " household's grid, `household_id`"
        ),
        value="distance (inf when no station is reachable) / 500",
        geometry="the household point",
    ),
)
def service_gap(
    served_ids: np.ndarray,
    served_points: np.ndarray,
    served_distance: np.ndarray,
    served_reason: np.ndarray,
    served_owner: np.ndarray,
    *,
    rules: RuleSet,
) -> pd.DataFrame:
    """``coverage.service_gap``: households farther than ``service_distance`` from every station.

    Parameters
    ----------
    served_ids, served_points : ndarray
        Household ids and points (the households measured).
    served_distance : ndarray of float
        Network distance to the nearest station (inf when unreachable), from
        :func:`gridgov.assign_by_network`.
    served_reason : ndarray
        Why a household is unreachable (``off_road``, ``disconnected``,
        ``beyond_max_distance``) or None.
    served_owner : ndarray
        The grid each household is assigned to (None when in no grid).
    rules : RuleSet
        ``service_distance``.

    Returns
    -------
    DataFrame
        Finding records, column ``household_id``: ``grid_id`` the household's
        grid; value the distance (inf when unreachable); geometry the point.
    """
    rows = np.flatnonzero(
        ~np.isfinite(served_distance) | above(served_distance, rules.service_distance)
    )
    if not len(rows):
        return empty()
    why = {
        "off_road": "is farther than the snap tolerance from every road",
        "disconnected": "reaches no station along the roads",
    }
    messages = [
        f"household {h} "
        + (
            f"is {fmt_length(d)} along the roads from the nearest station "
            f"(more than {rules.service_distance:g} m)"
            if np.isfinite(d)
            else why.get(str(r), "reaches no station along the roads")
        )
        for h, d, r in zip(
            served_ids[rows], served_distance[rows], served_reason[rows], strict=True
        )
    ]
    return records(
        "coverage.service_gap",
        grid_id=served_owner[rows],
        value=served_distance[rows],
        limit=rules.service_distance,
        message=np.array(messages, dtype=object),
        geometry=served_points[rows],
        household_id=served_ids[rows],
    )
