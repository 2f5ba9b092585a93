"""Atoms: the pieces of a grid that no new boundary may cut (used by :func:`gridgov.propose`).

A grid is cut into atoms by the given units (blocks, compounds, tessellation
cells), by the roads, or -- without either -- by a Voronoi tessellation of its
household locations, with building footprints kept whole.  Each atom carries its
load, and the atoms with their rook adjacency form the
:class:`gridgov.graph.PartitionGraph` that a split partitions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from gridgov.graph import PartitionGraph, adjacency

__all__ = ["MAX_ATOMS", "MIN_BLOCK_SHARE", "Atoms", "make_atoms"]

#: Without buildings, households are gathered into about this many locations per grid.
MAX_ATOMS = 300

#: Road faces or unit pieces smaller than this share of the grid are absorbed by a neighbour.
MIN_BLOCK_SHARE = 0.005
_PRECISION = 0.001  # metres: grid of the fallback overlay when GEOS fails at full precision


def _clip(geoms: np.ndarray, region: shapely.Geometry) -> np.ndarray:
    hits = shapely.STRtree(geoms).query(region, predicate="intersects") if len(geoms) else []
    pieces = shapely.get_parts(shapely.intersection(geoms[np.sort(hits)], region))
    out: np.ndarray = pieces[shapely.area(pieces) > 0] if len(pieces) else pieces
    return out


def _tessellate(region: shapely.Geometry, seeds: np.ndarray) -> np.ndarray:
    """Partition `region` into one cell per seed (Voronoi of the seeds' outlines).

    Polygon seeds lie whole in their cell; the space between them goes to the
    nearest seed.  Cells are clipped to `region` and always partition it: when
    GEOS cannot build a valid Voronoi diagram of the outlines (degenerate,
    co-circular generators), one generator per seed is used, and failing that
    the space between the seeds is left in one piece.
    """
    if len(seeds) < 2:
        return np.array([region], dtype=object)
    polygonal = shapely.area(seeds) > 0
    spacing = max(math.sqrt(region.area) / 100.0, 1e-6)
    rings = shapely.segmentize(shapely.boundary(seeds[polygonal]), spacing)
    ring_xy, ring_index = shapely.get_coordinates(rings, return_index=True)
    point_xy, point_index = shapely.get_coordinates(seeds[~polygonal], return_index=True)
    outlines = (
        np.vstack([ring_xy, point_xy]),
        np.r_[np.flatnonzero(polygonal)[ring_index], np.flatnonzero(~polygonal)[point_index]],
    )
    centres = (
        shapely.get_coordinates(shapely.point_on_surface(seeds)),
        np.arange(len(seeds)),
    )
    residual = region.difference(shapely.union_all(seeds[polygonal])) if polygonal.any() else region
    for xy, owner in (outlines, centres):
        cells = _voronoi_cells(region, xy, owner, len(seeds), spacing=spacing)
        if cells is None:
            continue
        if polygonal.any():
            cells = shapely.intersection(cells, residual)
            cells[polygonal] = shapely.union(seeds[polygonal], cells[polygonal])
        if abs(shapely.area(cells).sum() - region.area) <= 1e-9 * region.area:
            return cells
    pieces = shapely.get_parts(residual)
    out: np.ndarray = np.r_[seeds[polygonal], pieces[shapely.area(pieces) > 0]]
    return out


def _voronoi_cells(
    region: shapely.Geometry, xy: np.ndarray, owner: np.ndarray, count: int, *, spacing: float
) -> np.ndarray | None:
    """Unite the Voronoi cells of the points `xy` by `owner`, clipped to `region`.

    Generators closer than the precision are merged and the others jittered by
    a thousandth of `spacing` (deterministically: the jitter depends only on
    the points), which lifts the degeneracies of collinear, evenly spaced
    outlines.  None when GEOS returns an invalid diagram.
    """
    xy, first = np.unique(np.round(xy / _PRECISION) * _PRECISION, axis=0, return_index=True)
    owner = owner[first]
    if len(np.unique(owner)) < 2:
        return None
    jitter = np.random.default_rng(len(xy)).uniform(-1e-3, 1e-3, xy.shape) * spacing
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(xy + jitter), extend_to=region, ordered=True
    )
    voronoi = shapely.get_parts(diagram)
    if len(voronoi) != len(xy) or not shapely.is_valid(voronoi).all():
        return None
    order = np.argsort(owner, kind="stable")
    starts = np.flatnonzero(np.r_[True, owner[order][1:] != owner[order][:-1]])
    cells: np.ndarray = np.array([region.difference(region)] * count, dtype=object)
    try:
        for start, end in zip(starts, np.r_[starts[1:], len(order)], strict=True):
            cells[owner[order[start]]] = shapely.union_all(voronoi[order[start:end]])
        cells = shapely.intersection(cells, region)
    except shapely.errors.GEOSException:  # pragma: no cover - depends on GEOS robustness
        return None
    return cells


def _keep_whole(cells: np.ndarray, footprints: np.ndarray) -> np.ndarray:
    """Move every footprint that several cells share wholly into the cell holding most of it."""
    if len(footprints) == 0 or len(cells) < 2:
        return cells
    fi, ci = shapely.STRtree(cells).query(footprints, predicate="intersects")
    share = shapely.area(shapely.intersection(footprints[fi], cells[ci]))
    significant = share > 1e-9 * shapely.area(footprints[fi])
    fi, ci, share = fi[significant], ci[significant], share[significant]
    split = np.bincount(fi, minlength=len(footprints)) > 1
    if not split.any():
        return cells
    order = np.lexsort((ci, -share, fi))
    first = np.r_[True, fi[order][1:] != fi[order][:-1]]
    winner = np.full(len(footprints), -1)
    winner[fi[order][first]] = ci[order][first]
    moved = np.flatnonzero(split)
    out = cells.copy()
    lost = shapely.union_all(footprints[moved])
    touched = np.unique(ci[split[fi]])
    out[touched] = shapely.difference(out[touched], lost)
    for cell in np.unique(winner[moved]):
        out[cell] = shapely.union(
            out[cell], shapely.union_all(footprints[moved[winner[moved] == cell]])
        )
    return out


def _absorb_small(cells: np.ndarray, *, min_area: float) -> np.ndarray:
    """Merge cells smaller than `min_area` into the neighbour sharing the longest boundary."""
    cells = cells[shapely.area(cells) > 0]
    while len(cells) > 1:
        area = shapely.area(cells)
        small = np.flatnonzero(area < min_area)
        if len(small) == 0:
            break
        graph = adjacency(cells)
        victim = int(small[np.argmin(area[small])])
        neighbours = sorted(graph[victim].items(), key=lambda item: (-item[1]["length"], item[0]))
        if not neighbours:
            break
        host = neighbours[0][0]
        cells[host] = shapely.union(cells[host], cells[victim])
        cells = np.delete(cells, victim)
    return cells


@dataclass(frozen=True)
class Atoms:
    """The atoms of one grid and their adjacency.

    Attributes
    ----------
    geoms : ndarray of Polygon
        The atoms; together they make up the grid.
    network : gridgov.graph.PartitionGraph
        Rook adjacency of the atoms, their loads, blocks and locations.
    kind : str
        What the cuts follow: ``"units"``, ``"roads"`` or ``""`` (no lines given).
    coverage : bool
        Whether the atoms form a clean coverage (shared edges noded alike), so
        that coverage unions apply.
    """

    geoms: np.ndarray
    network: PartitionGraph
    kind: str
    coverage: bool = True


def make_atoms(
    grid: shapely.Geometry,
    points: np.ndarray,
    *,
    units: np.ndarray | None,
    roads: np.ndarray | None,
    buildings: np.ndarray | None,
) -> Atoms:
    """Atoms of `grid`: blocks (units, road faces or the grid) tessellated around buildings."""
    kind = ""
    blocks = np.array([grid], dtype=object)
    if units is not None and len(pieces := _clip(units, grid)):
        kind = "units"
        blocks = _tessellate(grid, _disjoint(pieces))
    elif roads is not None and len(lines := _clip_lines(roads, grid)):
        kind = "roads"
        linework = shapely.union_all(np.r_[np.array([grid.boundary], dtype=object), lines])
        faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(linework)))
        blocks = faces[shapely.within(shapely.point_on_surface(faces), grid)]
    blocks = _absorb_small(blocks, min_area=MIN_BLOCK_SHARE * grid.area)
    footprints = np.array([], dtype=object)
    if buildings is not None:
        inside = buildings[shapely.intersects(buildings, grid)]
        footprints = _clip(inside[shapely.area(inside) > 0], grid) if len(inside) else inside
        blocks = _keep_whole(blocks, footprints)
        seeds_all = np.r_[footprints, inside[shapely.area(inside) == 0]]
    else:
        seeds_all = shapely.points(_locations(shapely.get_coordinates(points), grid.area))
    geoms: list[Any] = []
    labels: list[int] = []
    anchors = shapely.point_on_surface(seeds_all) if len(seeds_all) else seeds_all
    for index, block in enumerate(blocks):
        seeds = (
            np.asarray(seeds_all)[shapely.intersects(block, anchors)] if len(anchors) else anchors
        )
        seeds = shapely.intersection(seeds, block)  # a seed never reaches past its block
        seeds = seeds[~shapely.is_empty(seeds)]
        cells = shapely.get_parts(_tessellate(block, seeds))
        cells = cells[shapely.area(cells) > 0]
        geoms.extend(cells)
        labels.extend([index] * len(cells))
    atoms = shapely.coverage_clean(np.array(geoms, dtype=object))
    atoms_parts = shapely.get_parts(atoms, return_index=True)
    geom_array, source = atoms_parts
    keep = shapely.area(geom_array) > 0
    geom_array, source = geom_array[keep], source[keep]
    block_of = np.asarray(labels)[source]
    weight = np.zeros(len(geom_array))
    if len(points):
        pi, ai = shapely.STRtree(geom_array).query(points, predicate="intersects")
        first = np.full(len(points), -1)
        order = np.lexsort((ai, pi))
        head = np.r_[True, pi[order][1:] != pi[order][:-1]] if len(order) else order.astype(bool)
        first[pi[order][head]] = ai[order][head]
        missing = first < 0
        if missing.any():
            first[missing] = shapely.STRtree(geom_array).query_nearest(points[missing])[1]
        weight = np.bincount(first, minlength=len(geom_array)).astype(float)
    xy = shapely.get_coordinates(shapely.point_on_surface(geom_array))
    return Atoms(geom_array, PartitionGraph(adjacency(geom_array), weight, block_of, xy), kind)


def _locations(xy: np.ndarray, area: float) -> np.ndarray:
    """Return the household locations that seed the atoms: at most about MAX_ATOMS of them.

    Distinct locations when there are few; else the mean location of the
    households in each occupied cell of a square lattice sized for MAX_ATOMS
    cells over `area` (a tower's households stay together either way).
    """
    unique = np.unique(xy, axis=0)
    if len(unique) <= MAX_ATOMS:
        return unique
    size = math.sqrt(area / MAX_ATOMS)
    cells = np.floor(xy / size).astype(np.int64)
    _, cell = np.unique(cells, axis=0, return_inverse=True)
    cell = cell.ravel()
    counts = np.bincount(cell)
    means: np.ndarray = np.c_[np.bincount(cell, xy[:, 0]), np.bincount(cell, xy[:, 1])]
    return means / counts[:, None]


def _clip_lines(lines: np.ndarray, region: shapely.Geometry) -> np.ndarray:
    hits = np.sort(shapely.STRtree(lines).query(region, predicate="intersects"))
    clipped = shapely.intersection(lines[hits], region)
    out: np.ndarray = clipped[shapely.length(clipped) > 0]
    return out


def _disjoint(pieces: np.ndarray) -> np.ndarray:
    """Remove overlaps between `pieces` (earlier pieces keep the shared area)."""
    if shapely.area(shapely.union_all(pieces)) >= shapely.area(pieces).sum() * (1 - 1e-9):
        return pieces
    out = pieces.copy()
    for index in range(1, len(out)):
        out[index] = shapely.difference(out[index], shapely.union_all(out[:index]))
    kept: np.ndarray = out[shapely.area(out) > 0]
    return kept
