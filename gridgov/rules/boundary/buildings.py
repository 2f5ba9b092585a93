"""Buildings not split between grids (``boundary.splits_building``).

Part of :mod:`gridgov.rules.boundary`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from gridgov.rules.base import (
    EPS,
    Grids,
    above,
    empty,
    records,
)
from gridgov.rules.registry import RuleDoc, Scope, rule

if TYPE_CHECKING:
    from gridgov.rules.ruleset import RuleSet

__all__ = ["split_candidates", "splits_building"]


def _point_buildings(rules: RuleSet, inputs: Any) -> str | None:
    geoms = inputs.buildings.geometry.to_numpy()
    if not np.isin(shapely.get_type_id(geoms), [3, 6]).any():
        return "the buildings are points, not footprints"
    return None


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
