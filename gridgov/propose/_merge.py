"""Merging underloaded grids, and redrawing what is still out of bounds (kernels of propose).

A private kernel module of :mod:`gridgov.propose`: :func:`plan_merges` lets
an underloaded grid absorb adjacent grids of the same parent and kind;
:func:`plan_recombinations` redraws a grid still out of bounds with one or two
of its :data:`NEIGHBOURS` (:func:`gridgov.propose._split.recombine`).  See the
documentation of :mod:`gridgov.propose` for the method.
"""

from __future__ import annotations

import numpy as np
import shapely

from gridgov.partition import adjacency
from gridgov.propose._grids import SNAP, Context, Grid, Ids, Log, is_polygon, same_side
from gridgov.propose._split import recombine

__all__ = ["NEIGHBOURS", "neighbours", "plan_merges", "plan_recombinations"]

#: How many neighbours (longest shared boundary first) a recombination considers.
NEIGHBOURS = 4


def plan_merges(grids: list[Grid], context: Context, ids: Ids, log: Log) -> list[Grid]:
    geoms = np.array([grid.geometry for grid in grids], dtype=object)
    graph = adjacency(geoms, tolerance=SNAP)
    taken: set[int] = set()
    merged: list[Grid] = []
    under = sorted(
        (
            i
            for i, grid in enumerate(grids)
            if grid.load < grid.low and grid.status == "kept" and not grid.frozen
        ),
        key=lambda i: (grids[i].load, grids[i].grid_id),
    )
    for start in under:
        if start in taken:
            continue
        first = grids[start]
        group, total = [start], first.load
        while total < first.low:
            shared: dict[int, float] = {}
            for member in group:
                for other, data in graph[member].items():
                    shared[other] = shared.get(other, 0.0) + data["length"]
            options = [
                (int(total + grids[c].load < first.low), -length, total + grids[c].load,
                 grids[c].grid_id, c)
                for c, length in shared.items()
                if c not in group and c not in taken and grids[c].status == "kept"
                and same_side(grids[c], first) and total + grids[c].load <= first.high
            ]  # fmt: skip
            if not options:
                break
            choice = min(options)
            group.append(choice[-1])
            total += grids[choice[-1]].load
        union = shapely.union_all(geoms[group]) if len(group) > 1 else None
        if total < first.low or union is None or not is_polygon(union):
            log.fail(
                first,
                f"no adjacent grid of the same parent and kind brings its {first.load:,} "
                f"households within {first.low:,.0f}–{first.high:,.0f}",
            )
            continue
        taken.update(group)
        members = [grids[i] for i in group]
        heir = min(members, key=lambda grid: (-grid.load, grid.grid_id))
        new = heir.derive(ids.new(first.grid_id, first.parent), union, total, sources=members)
        context.redraw(members, [new])
        others = ", ".join(sorted(grid.grid_id for grid in members if grid is not first))
        log.note(
            members,
            f"too few households in {first.grid_id}: {first.load:,} < {first.low:,.0f}; "
            f"merged with {others}",
        )
        merged.append(new)
    return [grid for i, grid in enumerate(grids) if i not in taken] + merged


def neighbours(grids: list[Grid], index: int) -> list[int]:
    """Adjacent grids of the same parent and kind, longest shared boundary first."""
    geoms = np.array([grid.geometry for grid in grids], dtype=object)
    grid = grids[index]
    near = shapely.STRtree(geoms).query(grid.geometry, predicate="dwithin", distance=SNAP)
    near = np.array([i for i in near if i != index and same_side(grids[i], grid)], dtype=int)
    if len(near) == 0:
        return []
    ring = shapely.boundary(grid.geometry)
    length = shapely.length(shapely.intersection(ring, shapely.buffer(geoms[near], SNAP)))
    order = sorted(
        (i for i in range(len(near)) if length[i] > 10 * SNAP),
        key=lambda i: (-length[i], grids[near[i]].grid_id),
    )
    return [int(near[i]) for i in order[:NEIGHBOURS]]


def plan_recombinations(grids: list[Grid], context: Context, ids: Ids, log: Log) -> list[Grid]:
    """Fix what splits and merges left out of bounds by redrawing it with its neighbours."""
    current = list(grids)
    pending = sorted(
        grid.grid_id
        for grid in grids
        if grid.status == "kept" and not grid.frozen and not grid.low <= grid.load <= grid.high
    )
    for grid_id in pending:
        index = next((i for i, grid in enumerate(current) if grid.grid_id == grid_id), None)
        if index is None or current[index].status != "kept":
            continue  # already redrawn with another grid
        grid = current[index]
        near = neighbours(current, index)
        clusters = [[index, other] for other in near]
        clusters += [[index, a, b] for i, a in enumerate(near) for b in near[i + 1 :]]
        for cluster in clusters:
            members = [current[i] for i in cluster]
            redrawn = recombine(members, context, ids)
            if redrawn is None:
                continue
            context.redraw(members, redrawn)
            why = (
                f"{grid.load:,} > {grid.high:,.0f}"
                if grid.load > grid.high
                else f"{grid.load:,} < {grid.low:,.0f}"
            )
            together = ", ".join(sorted(member.grid_id for member in members))
            log.note(
                members,
                f"households in {grid.grid_id}: {why}; adjacent grids {together} "
                f"redrawn as {len(redrawn)}",
            )
            current = [g for i, g in enumerate(current) if i not in cluster] + redrawn
            break
    return current
