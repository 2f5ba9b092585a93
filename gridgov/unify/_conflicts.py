"""The conflicts between networks: straddles, unmatched grids, boundary mismatches.

Part of :mod:`gridgov.unify`; see :func:`gridgov.unify.unify`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from gridgov._core.geometry import missing_if_empty, polygonal
from gridgov.findings import Findings, make_findings
from gridgov.unify._base import _EPS, _SEPARATOR, _SEVERITY, _Network
from gridgov.unify._cells import _Cells, _clean, _group_starts, _is_sliver
from gridgov.unify._tables import _SLACK, _Relation

# ---------------------------------------------------------------------------
# conflicts


def _percent(share: float) -> str:
    return f"{100.0 * share:.0f}%"


def _without_slivers(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Each geometry without its polygons thinner than `tolerance` (None when none is left)."""
    geoms = missing_if_empty(polygonal(geoms))
    out = np.full(len(geoms), None, dtype=object)
    present = np.flatnonzero(~shapely.is_missing(geoms))
    if len(present) == 0:
        return out
    parts, owner = shapely.get_parts(geoms[present], return_index=True)
    keep = ~_is_sliver(parts, tolerance) & (shapely.area(parts) > 0)
    parts, owner = parts[keep], present[owner[keep]]
    counts = np.bincount(owner, minlength=len(geoms))
    single = counts[owner] == 1
    out[owner[single]] = parts[single]
    multi = np.unique(owner[~single])
    if len(multi):
        rank = np.searchsorted(multi, owner[~single])
        out[multi] = shapely.multipolygons(parts[~single], indices=rank)
    return out


def _cell_unions(
    cells: _Cells, grid_of_cell: np.ndarray, mask: np.ndarray, grids: np.ndarray
) -> np.ndarray:
    """For each of `grids` (sorted), the union of its cells selected by `mask`."""
    out = np.full(len(grids), None, dtype=object)
    chosen = np.flatnonzero(mask & np.isin(grid_of_cell, grids))
    if len(chosen) == 0:
        return out
    position = np.searchsorted(grids, grid_of_cell[chosen])
    order, starts, ends = _group_starts(position)
    for start, end in zip(starts, ends, strict=True):
        members = cells.geoms[chosen[order[start:end]]]
        merged = members[0] if len(members) == 1 else _clean(shapely.union_all(members))
        out[position[order[start]]] = merged
    return out


def _conflicts(
    networks: list[_Network],
    cells: _Cells,
    relations: dict[tuple[int, int], _Relation],
    areas: list[np.ndarray],
    base: int,
    *,
    tolerance: float,
    share_tolerance: float,
    straddle_share: float,
    crs: Any,
) -> Findings:
    frames: list[pd.DataFrame] = []
    for j in range(len(networks)):
        if j == base:
            continue
        rel = relations[(j, base)]
        frames.extend(_straddles(networks, rel, tolerance, straddle_share))
        frames.extend(_unmatched(networks, cells, rel, areas, share_tolerance))
        frames.extend(_unmatched(networks, cells, relations[(base, j)], areas, share_tolerance))
        frames.extend(_mismatches(networks, rel, tolerance, share_tolerance, straddle_share))
    return make_findings(frames, crs=crs)


def _common(networks: list[_Network], rel: _Relation, rule: str) -> dict[str, Any]:
    return {
        "principle": "boundary",
        "rule": rule,
        "severity": _SEVERITY,
        "network": networks[rel.network].name,
        "other_network": networks[rel.other].name,
    }


def _straddles(
    networks: list[_Network], rel: _Relation, tolerance: float, straddle_share: float
) -> list[pd.DataFrame]:
    net, other = networks[rel.network], networks[rel.other]
    grids = np.flatnonzero(rel.relation == "straddles")
    if len(grids) == 0:
        return []
    largest = rel.largest[grids]
    outside = _without_slivers(
        shapely.difference(net.geoms[grids], other.geoms[largest]), tolerance
    )
    other_ids = [
        _SEPARATOR.join(sorted(str(names).split(_SEPARATOR))) for names in rel.other_ids[grids]
    ]
    messages = [
        f"{net.name} grid {net.ids[g]} straddles {n} {other.name} grids ({names}): the largest, "
        f"{other.ids[h]}, holds {_percent(share)} of it, less than {_percent(1 - straddle_share)}"
        for g, h, n, names, share in zip(
            grids, largest, rel.n_other[grids], other_ids, rel.largest_share[grids], strict=True
        )
    ]
    frame = pd.DataFrame(
        {
            **_common(networks, rel, "boundary.straddles_network"),
            "grid_id": net.ids[grids],
            "other_id": other_ids,
            "value": rel.largest_share[grids],
            "limit": 1.0 - straddle_share,
            "message": messages,
            "geometry": outside,
        }
    )
    return [frame]


def _unmatched(
    networks: list[_Network],
    cells: _Cells,
    rel: _Relation,
    areas: list[np.ndarray],
    share_tolerance: float,
) -> list[pd.DataFrame]:
    net, other = networks[rel.network], networks[rel.other]
    uncovered = 1.0 - np.minimum(rel.covered, 1.0)
    grids = np.flatnonzero((uncovered > share_tolerance + _SLACK) & (areas[rel.network] > 0))
    if len(grids) == 0:
        return []
    where = _cell_unions(cells, cells.labels[:, rel.network], cells.labels[:, rel.other] < 0, grids)
    messages = [
        f"{_percent(u)} of {net.name} grid {net.ids[g]} ({u * areas[rel.network][g]:,.0f} m²) "
        f"is covered by no {other.name} grid"
        for g, u in zip(grids, uncovered[grids], strict=True)
    ]
    frame = pd.DataFrame(
        {
            **_common(networks, rel, "boundary.unmatched_grid"),
            "grid_id": net.ids[grids],
            "other_id": rel.other_ids[grids],
            "value": uncovered[grids],
            "limit": share_tolerance,
            "message": messages,
            "geometry": where,
        }
    )
    return [frame]


def _mismatches(
    networks: list[_Network],
    rel: _Relation,
    tolerance: float,
    share_tolerance: float,
    straddle_share: float,
) -> list[pd.DataFrame]:
    """boundary_mismatch: boundaries that part from the other network's by more than `tolerance`.

    The counterpart of a grid is the grid of the other network sharing most
    area with it when that area is at least ``1 - straddle_share`` of both:
    the two are meant to be one grid.  Counterparts that are ``equal`` (within
    `share_tolerance`) match; for the others, the parts of the grid's
    boundary farther than `tolerance` from the counterpart's boundary are the
    mismatch.  A ``similar`` grid without a counterpart (it lies mostly in a
    much larger grid) spills out of that grid: the parts of its boundary
    farther than `tolerance` outside it are the mismatch.  Parts running
    along a grid of the same network that straddles the other network are
    left out (that cut is reported as the straddle).
    """
    net, other = networks[rel.network], networks[rel.other]
    low = 1.0 - straddle_share - _SLACK
    high = 1.0 - share_tolerance - _SLACK
    has = rel.largest >= 0
    counterpart = has & (rel.largest_share >= low) & (rel.largest_share_of_other >= low)
    equal = (rel.largest_share >= high) & (rel.largest_share_of_other >= high)
    spills = has & ~counterpart & (rel.relation == "similar")
    grids = np.flatnonzero((counterpart & ~equal) | spills)
    if len(grids) == 0:
        return []
    h = rel.largest[grids]
    edge = shapely.boundary(other.geoms[h])
    reach = max(tolerance, _EPS)
    near = np.where(
        spills[grids],
        shapely.buffer(other.geoms[h], reach),
        shapely.buffer(edge, reach),
    )
    lines = shapely.difference(shapely.boundary(net.geoms[grids]), near)
    straddling = np.flatnonzero(rel.relation == "straddles")
    if len(straddling):
        cuts = shapely.buffer(shapely.boundary(net.geoms[straddling]), reach)
        tree = shapely.STRtree(cuts)
        li, ci = tree.query(lines, predicate="intersects")
        if len(li):
            order, starts, ends = _group_starts(li)
            which = li[order[starts]]
            near = np.array(
                [
                    shapely.union_all(cuts[ci[order[a:b]]])
                    for a, b in zip(starts, ends, strict=True)
                ],
                dtype=object,
            )
            lines[which] = shapely.difference(lines[which], near)
    lines = shapely.line_merge(lines)
    length = np.nan_to_num(shapely.length(lines))
    keep = length > tolerance
    grids, h, lines, length, edge = grids[keep], h[keep], lines[keep], length[keep], edge[keep]
    if len(grids) == 0:
        return []
    distance = np.array(
        [
            float(shapely.distance(shapely.points(shapely.get_coordinates(line)), e).max())
            for line, e in zip(shapely.segmentize(lines, max(tolerance, 1.0)), edge, strict=True)
        ]
    )
    messages = [
        (
            f"{net.name} grid {net.ids[g]} lies mostly in {other.name} grid {other.ids[k]} but "
            f"{value:,.0f} m of its boundary run outside it, farther than {tolerance:g} m "
            f"(up to {far:,.0f} m)"
        )
        if spill
        else (
            f"{net.name} grid {net.ids[g]} and {other.name} grid {other.ids[k]} are meant to be "
            f"one grid but {value:,.0f} m of the boundary of {net.ids[g]} lie farther than "
            f"{tolerance:g} m from that of {other.ids[k]} (up to {far:,.0f} m)"
        )
        for g, k, value, far, spill in zip(grids, h, length, distance, spills[grids], strict=True)
    ]
    frame = pd.DataFrame(
        {
            **_common(networks, rel, "boundary.boundary_mismatch"),
            "grid_id": net.ids[grids],
            "other_id": other.ids[h],
            "value": length,
            "limit": tolerance,
            "message": messages,
            "geometry": lines,
            "distance": distance,
        }
    )
    return [frame]
