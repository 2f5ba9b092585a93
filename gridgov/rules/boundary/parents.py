"""Grids inside their parent unit (``boundary.crosses_parent``) and the parent of each grid.

Part of :mod:`gridgov.rules.boundary`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from gridgov.rules.base import (
    EPS,
    Grids,
    above,
    empty,
    fmt_area,
    polygonal,
    present,
    records,
)
from gridgov.rules.registry import RuleDoc, Scope, rule

if TYPE_CHECKING:
    from gridgov.rules.ruleset import RuleSet

__all__ = ["crosses_parent", "parent_units"]


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
        # the caller's polygons are not prepared (nothing of an input changes): their copies are
        used = np.unique(position[rows])
        copies = np.asarray(parent_geoms, dtype=object).copy()
        copies[used] = shapely.from_wkb(shapely.to_wkb(copies[used]))
        shapely.prepare(copies[used])
        parent = copies[position[rows]]
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
