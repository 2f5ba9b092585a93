"""Splitting an overloaded grid, and redrawing adjacent grids together (kernels of propose).

A private kernel module of :mod:`gridgov.propose`: a grid is split by a
balanced contiguous partition of its atoms (:func:`split_grid`,
:func:`plan_splits`); a cluster of adjacent grids is redrawn on the joined
graph of their atoms (:func:`combined`, :func:`recombine`), a step of
gerrychain's ReCom.  See the documentation of :mod:`gridgov.propose` for the method.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import shapely

from gridgov._core.geometry import buffer_difference
from gridgov.atoms import Atoms
from gridgov.partition import PartitionGraph, adjacency, balanced_partition
from gridgov.propose._grids import SNAP, is_polygon, reading_order, unite

if TYPE_CHECKING:
    from tqdm import tqdm

    from gridgov.propose._grids import Context, Grid, Ids, Log

__all__ = [
    "EXTRA_PARTS",
    "combined",
    "divide_atoms",
    "part_counts",
    "plan_splits",
    "recombine",
    "split_grid",
    "without_thin_parts",
]

#: How many parts beyond the smallest feasible number a split may try.
EXTRA_PARTS = 2


def part_counts(load: float, low: float, high: float, *, first: int) -> list[int]:
    """Numbers of parts (at least `first`, at most EXTRA_PARTS more) that can hold `load`."""
    start = max(math.ceil(load / high), first)
    return [k for k in range(start, start + EXTRA_PARTS + 1) if k * low <= load]


def divide_atoms(
    atoms: Atoms, counts: list[int], grid: Grid, context: Context, key: str
) -> tuple[list[Any], list[int]] | None:
    """Partition the atoms into the first feasible number of parts of `counts`."""
    rng = context.rng(key)
    for parts in counts:
        label = balanced_partition(
            atoms.network,
            parts=parts,
            low=grid.low,
            high=grid.high,
            rng=rng,
            attempts=context.attempts,
        )
        if label is None:
            continue
        geoms = [
            unite(atoms.geoms[label == part], coverage=atoms.coverage) for part in range(parts)
        ]
        geoms = without_thin_parts(geoms, context)
        if all(is_polygon(geom) for geom in geoms):
            loads = np.bincount(label, weights=atoms.network.weight, minlength=parts)
            return geoms, loads.astype(int).tolist()
    return None


def without_thin_parts(geoms: list[Any], context: Context) -> list[Any]:
    """Give the thin parts a cut leaves in one part to the neighbour they run along.

    Cutting a grid along the edges of its atoms can leave strips thinner than
    ``sliver_width`` where a part meets the grid's boundary at a narrow angle:
    the finding ``boundary.sliver``.  Each such strip of a part whose thin area
    exceeds ``min_sliver_area`` moves to the other part sharing most of its
    boundary -- unless it holds a household, or moving it would split a part.
    Area is conserved and no household changes part, so loads are unchanged.
    A loop over the few parts of one split, not over households.
    """
    radius = context.sliver_width / 2.0
    if len(geoms) < 2 or radius <= 0:
        return geoms
    parts = np.array(geoms, dtype=object)
    eroded = shapely.buffer(parts, -radius, join_style="mitre", mitre_limit=5.0)
    opened = shapely.buffer(eroded, radius, join_style="mitre", mitre_limit=5.0)
    thin = buffer_difference(parts, opened)  # GEOS buffers of odd parts can be invalid
    homes = shapely.STRtree(context.points)
    for i in np.flatnonzero(shapely.area(thin) > context.min_sliver_area):
        for piece in shapely.get_parts(thin[i]):
            if shapely.area(piece) <= 1e-6 or len(homes.query(piece, predicate="intersects")):
                continue
            rim = shapely.boundary(piece)
            shared = np.array(
                [
                    0.0 if j == i else shapely.length(shapely.intersection(rim, parts[j]))
                    for j in range(len(parts))
                ]
            )
            j = int(np.argmax(shared))
            if shared[j] <= 0:
                continue
            losing = shapely.difference(parts[i], piece)
            gaining = shapely.union(parts[j], piece)
            if is_polygon(losing) and is_polygon(gaining):
                parts[i], parts[j] = losing, gaining
    return list(parts)


def split_grid(grid: Grid, context: Context) -> tuple[list[tuple[Any, int]] | None, str]:
    """Split an overloaded grid: the parts, or None and why not."""
    bound = f"{grid.low:,.0f}–{grid.high:,.0f}"
    atoms = context.atoms(grid)
    network = atoms.network
    heaviest = float(network.weight.max()) if len(network.weight) else 0.0
    if heaviest > grid.high:
        where = "building" if context.buildings is not None else "location"
        return None, f"one {where} holds {heaviest:,.0f} households, above {grid.high:,.0f}"
    if not nx.is_connected(network.graph):
        return None, "the grid is not one polygon"
    counts = part_counts(grid.load, grid.low, grid.high, first=2)
    if not counts:
        return None, f"{grid.load:,} households cannot be divided into parts of {bound}"
    found = divide_atoms(atoms, counts, grid, context, grid.grid_id)
    if found is None:
        tried = " or ".join(map(str, counts))
        return None, (
            f"no contiguous split into {tried} parts of {bound} households found "
            f"in {context.attempts} attempts"
        )
    return list(zip(*found, strict=True)), atoms.kind


def plan_splits(
    grids: list[Grid], context: Context, ids: Ids, log: Log, bar: tqdm[Any]
) -> list[Grid]:
    out: list[Grid] = []
    for grid in grids:
        if grid.load <= grid.high or grid.frozen:
            out.append(grid)
            continue
        parts, why = split_grid(grid, context)
        bar.update()
        if parts is None:
            log.fail(grid, why)
            out.append(grid)
            continue
        ordered = sorted(parts, key=lambda part: reading_order(part[0]))
        new = [
            grid.derive(ids.new(grid.grid_id, grid.parent), geom, load) for geom, load in ordered
        ]
        context.redraw([grid], new)
        along = f" along {why}" if why else ""
        log.note(
            [grid],
            f"too many households: {grid.load:,} > {grid.high:,.0f}; "
            f"split into {len(parts)} contiguous parts{along}",
        )
        out.extend(new)
    return out


def combined(parts: list[Atoms]) -> Atoms:
    """Join the atoms of adjacent grids in one graph; old grid boundaries count as blocks."""
    geoms = np.concatenate([atoms.geoms for atoms in parts])
    offsets = np.cumsum([0] + [len(atoms.geoms) for atoms in parts])
    blocks = np.concatenate(
        [atoms.network.blocks * len(parts) + index for index, atoms in enumerate(parts)]
    )
    graph = nx.Graph()
    graph.add_nodes_from(range(len(geoms)))
    for atoms, offset in zip(parts, offsets, strict=False):
        graph.add_weighted_edges_from(
            (
                (u + offset, v + offset, d["length"])
                for u, v, d in atoms.network.graph.edges(data=True)
            ),
            weight="length",
        )
    owner = np.repeat(np.arange(len(parts)), np.diff(offsets))
    across = adjacency(geoms, tolerance=SNAP)
    graph.add_weighted_edges_from(
        ((u, v, d["length"]) for u, v, d in across.edges(data=True) if owner[u] != owner[v]),
        weight="length",
    )
    network = PartitionGraph(
        graph,
        np.concatenate([atoms.network.weight for atoms in parts]),
        blocks,
        np.concatenate([atoms.network.xy for atoms in parts]),
    )
    kinds = {atoms.kind for atoms in parts} - {""}
    return Atoms(geoms, network, ", ".join(sorted(kinds)), coverage=False)


def recombine(cluster: list[Grid], context: Context, ids: Ids) -> list[Grid] | None:
    """Redraw a cluster of adjacent grids into parts within bounds (a ReCom step).

    A part keeps the id of the one old grid it mostly is (at least half of
    both); other parts get new ids.
    """
    first = cluster[0]
    total = sum(grid.load for grid in cluster)
    counts = part_counts(total, first.low, first.high, first=1)
    counts = sorted(set(counts) - {1}, key=lambda k: (k != len(cluster), k))
    if not counts:
        return None
    atoms = combined([context.atoms(grid) for grid in cluster])
    if not nx.is_connected(atoms.network.graph):
        return None
    key = ">".join(sorted(grid.grid_id for grid in cluster))
    found = divide_atoms(atoms, counts, first, context, key)
    if found is None:
        return None
    geoms, loads = found
    olds = np.array([grid.geometry for grid in cluster], dtype=object)
    parts = np.array(geoms, dtype=object)
    shared = shapely.area(shapely.intersection(parts[:, None], olds[None, :]))
    # a part continues an old grid when it holds most of that grid, that grid makes most of
    # the part, and no other old grid is mostly in it (else it is a merge: a new grid)
    mostly_old = shared >= 0.5 * shapely.area(olds)[None, :]
    mostly_part = shared >= 0.5 * shapely.area(parts)[:, None]
    heir = {
        int(p): int(np.flatnonzero(mostly_old[p])[0])
        for p in range(len(parts))
        if mostly_old[p].sum() == 1 and mostly_part[p, np.flatnonzero(mostly_old[p])[0]]
    }
    out = []
    for index in sorted(range(len(geoms)), key=lambda i: reading_order(geoms[i])):
        if index in heir:
            old = cluster[heir[index]]
            out.append(old.derive(old.grid_id, geoms[index], loads[index]))
        else:
            source = cluster[int(np.argmax(shared[index]))]
            contributors = [
                grid for grid, area in zip(cluster, shared[index], strict=True) if area > 0
            ]
            new_id = ids.new(first.grid_id, first.parent)
            out.append(source.derive(new_id, geoms[index], loads[index], sources=contributors))
    return out
