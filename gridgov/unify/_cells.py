"""The common refinement of the networks, sliver absorption and the cells.

Part of :mod:`gridgov.unify`; see :func:`gridgov.unify.unify`.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov._core.geometry import missing_if_empty, polygonal
from gridgov._core.threads import thread_count
from gridgov.graph import edge_components
from gridgov.unify._base import _CHUNK, _EPS, _REL_EPS, _Network

if TYPE_CHECKING:
    from tqdm import tqdm

# ---------------------------------------------------------------------------
# the common refinement


def _group_starts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order of `keys` and the start/end of each run of equal keys in that order."""
    order = np.argsort(keys, kind="stable")
    if len(keys) == 0:
        empty = np.array([], dtype=np.int64)
        return order, empty, empty
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(keys)].astype(np.int64)
    return order, starts, ends


def _remainders(
    sources: np.ndarray, others: np.ndarray, of_source: np.ndarray, of_other: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parts of `sources` outside the `others` they intersect (pairs `of_source`, `of_other`).

    Returns the polygonal parts, the source of each part, and the area left
    outside per source (all sources, 0 where none was computed); parts
    smaller than ``_REL_EPS`` of their source are noise and dropped.
    """
    left = np.zeros(len(sources))
    order, starts, ends = _group_starts(of_source)
    if len(starts) == 0:
        return np.array([], dtype=object), np.array([], dtype=np.int64), left
    which = of_source[order[starts]]
    cut = np.empty(len(starts), dtype=object)
    for position, (start, end) in enumerate(zip(starts, ends, strict=True)):
        members = others[of_other[order[start:end]]]
        cut[position] = members[0] if len(members) == 1 else shapely.union_all(members)
    rest = missing_if_empty(polygonal(shapely.difference(sources[which], cut)))
    left[which] = np.nan_to_num(shapely.area(rest))
    pieces, owner = shapely.get_parts(rest, return_index=True)
    owner = which[owner]
    big = shapely.area(pieces) > _REL_EPS * shapely.area(sources[owner])
    return pieces[big], owner[big], left


def _overlapping_owners(parts: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Owners of `parts` whose parts overlap the part of another owner by more than noise."""
    if len(parts) < 2:
        return np.array([], dtype=np.int64)
    tree = shapely.STRtree(parts)
    shapely.prepare(parts)
    try:
        a, b = tree.query(parts, predicate="intersects")
    finally:
        shapely.destroy_prepared(parts)
    keep = (a < b) & (owner[a] != owner[b])
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return np.array([], dtype=np.int64)
    area = np.nan_to_num(shapely.area(shapely.intersection(parts[a], parts[b])))
    real = area > _REL_EPS * np.minimum(shapely.area(parts[a]), shapely.area(parts[b]))
    return np.unique(np.r_[owner[a[real]], owner[b[real]]])


@dataclass
class _Step:
    """One network added to the refinement: the new faces and what looked like overlaps."""

    faces: np.ndarray
    labels: np.ndarray
    suspect_grids: np.ndarray  # grids of the added network that seem to overlap
    suspect_faces: np.ndarray  # faces (before the step) that seem to overlap


def _within_box(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """Whether each box of `inner` lies in the matching box of `outer` (minx, miny, maxx, maxy)."""
    return (
        (inner[:, 0] >= outer[:, 0])
        & (inner[:, 1] >= outer[:, 1])
        & (inner[:, 2] <= outer[:, 2])
        & (inner[:, 3] <= outer[:, 3])
    )


def _pieces(faces: np.ndarray, grids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every face cut by every grid it intersects: the pieces and their (face, grid) pairs.

    A face that a grid covers is kept whole, and so is a grid that a face
    covers; both are tested (with prepared geometry) only where the bounding
    box of one lies in the other's, the other pairs are intersected.
    """
    tree = shapely.STRtree(faces)
    shapely.prepare(grids)
    try:
        gq, fq = tree.query(grids, predicate="intersects")
        face_box = shapely.bounds(faces)[fq]
        grid_box = shapely.bounds(grids)[gq]
        covered = np.zeros(len(gq), dtype=bool)
        test = np.flatnonzero(_within_box(face_box, grid_box))
        covered[test] = shapely.covers(grids[gq[test]], faces[fq[test]])
    finally:
        shapely.destroy_prepared(grids)
    inside = np.zeros(len(gq), dtype=bool)
    test = np.flatnonzero(~covered & _within_box(grid_box, face_box))
    candidates = faces[np.unique(fq[test])]
    shapely.prepare(candidates)
    try:
        inside[test] = shapely.covers(faces[fq[test]], grids[gq[test]])
    finally:
        shapely.destroy_prepared(candidates)
    pieces = np.empty(len(gq), dtype=object)
    pieces[covered] = faces[fq[covered]]
    pieces[inside] = grids[gq[inside]]
    cut = ~(covered | inside)
    pieces[cut] = missing_if_empty(polygonal(_intersection(faces[fq[cut]], grids[gq[cut]])))
    return pieces, fq, gq


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``shapely.intersection(a, b)``, in chunks on several threads for large inputs.

    shapely releases the GIL in its vectorised functions, so the chunks run in
    parallel; every element is computed exactly as in one call.
    """
    threads = thread_count()
    if threads == 1 or len(a) < 2 * _CHUNK:
        return np.asarray(shapely.intersection(a, b), dtype=object)
    parts = [(start, min(start + _CHUNK, len(a))) for start in range(0, len(a), _CHUNK)]
    with ThreadPoolExecutor(threads) as pool:
        done = list(pool.map(lambda p: shapely.intersection(a[p[0] : p[1]], b[p[0] : p[1]]), parts))
    return np.concatenate(done) if done else np.array([], dtype=object)


def _add_network(faces: np.ndarray, labels: np.ndarray, grids: np.ndarray) -> _Step:
    """Refine `faces` (with `labels`, one column per network so far) by `grids`.

    Overlaps among the grids (or among the faces) show in the area accounts:
    the pieces of a face, plus its part outside every grid, add up to more
    than the face.  Such grids and faces are returned as suspects.
    """
    present = np.flatnonzero(~shapely.is_missing(grids))
    g_geoms = grids[present]
    n_faces, n_grids = len(faces), len(g_geoms)
    pieces, fq, gq = _pieces(faces, g_geoms)
    area = np.nan_to_num(shapely.area(pieces))
    face_area = shapely.area(faces)
    grid_area = shapely.area(g_geoms)
    real = area > _REL_EPS * np.minimum(face_area[fq], grid_area[gq])
    pieces, fq, gq, area = pieces[real], fq[real], gq[real], area[real]

    face_sum = np.bincount(fq, weights=area, minlength=n_faces)
    grid_sum = np.bincount(gq, weights=area, minlength=n_grids)
    face_short = face_area - face_sum > _REL_EPS * face_area
    grid_short = grid_area - grid_sum > _REL_EPS * grid_area
    pick = face_short[fq]
    face_rest, face_owner, face_left = _remainders(faces, g_geoms, fq[pick], gq[pick])
    untouched = np.flatnonzero(face_short & (np.bincount(fq, minlength=n_faces) == 0))
    face_left[untouched] = face_area[untouched]
    pick = grid_short[gq]
    grid_rest, grid_owner, grid_left = _remainders(g_geoms, faces, gq[pick], fq[pick])
    lonely = np.flatnonzero(grid_short & (np.bincount(gq, minlength=n_grids) == 0))
    grid_left[lonely] = grid_area[lonely]

    # overlaps: inside a face (grids overlap), inside a grid (faces overlap), outside both
    grids_over = face_sum + face_left - face_area > _REL_EPS * face_area
    faces_over = grid_sum + grid_left - grid_area > _REL_EPS * grid_area
    suspect_grids = np.unique(
        np.r_[
            present[gq[grids_over[fq]]],
            present[
                _overlapping_owners(np.r_[grid_rest, g_geoms[lonely]], np.r_[grid_owner, lonely])
            ],
        ]
    ).astype(np.int64)
    suspect_faces = np.unique(
        np.r_[
            fq[faces_over[gq]],
            _overlapping_owners(np.r_[face_rest, faces[untouched]], np.r_[face_owner, untouched]),
        ]
    ).astype(np.int64)

    k = labels.shape[1]
    none = np.full((1, k), -1, dtype=np.int64)
    new_faces = np.concatenate([pieces, face_rest, faces[untouched], grid_rest, g_geoms[lonely]])
    new_labels = np.concatenate(
        [
            np.c_[labels[fq], present[gq]],
            np.c_[labels[face_owner], np.full(len(face_owner), -1)],
            np.c_[labels[untouched], np.full(len(untouched), -1)],
            np.c_[np.repeat(none, len(grid_owner), axis=0), present[grid_owner]],
            np.c_[np.repeat(none, len(lonely), axis=0), present[lonely]],
        ]
    ).astype(np.int64)
    return _Step(new_faces, new_labels, suspect_grids, suspect_faces)


def _refine(
    networks: list[_Network], order: list[int], bar: tqdm
) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """Faces of the common refinement, their labels (grid index per network, -1 none), suspects.

    Networks are added in `order`.  Suspects are, per network, the grids that
    seem to overlap another grid of their network: :func:`_resolve` checks
    them exactly, and the refinement is run again when an overlap was resolved.
    """
    first = networks[order[0]].geoms
    present = np.flatnonzero(~shapely.is_missing(first))
    faces = first[present]
    labels = present[:, None].astype(np.int64)
    suspects: dict[int, list[np.ndarray]] = {j: [] for j in range(len(networks))}
    bar.update(1)
    for step, position in enumerate(order[1:], start=1):
        result = _add_network(faces, labels, networks[position].geoms)
        suspects[position].append(result.suspect_grids)
        for column, earlier in enumerate(order[:step]):
            grids = labels[result.suspect_faces, column]
            suspects[earlier].append(grids[grids >= 0])
        faces, labels = result.faces, result.labels
        bar.update(1)
    out = np.full((len(faces), len(networks)), -1, dtype=np.int64)
    out[:, order] = labels
    found = {
        j: np.unique(np.concatenate(parts)).astype(np.int64)
        for j, parts in suspects.items()
        if parts and sum(len(p) for p in parts)
    }
    return faces, out, found


# ---------------------------------------------------------------------------
# slivers


def _combination_rank(labels: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Rank of each row of `labels` by its ids (networks in order, nulls last)."""
    keys = [np.where(labels[:, j] < 0, sizes[j], labels[:, j]) for j in range(labels.shape[1])]
    order = np.lexsort(keys[::-1])
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    return rank


def _is_sliver(parts: np.ndarray, tolerance: float) -> np.ndarray:
    """Whether each polygon is thinner than `tolerance` everywhere.

    A polygon is a sliver when an inward buffer of ``tolerance / 2`` empties
    it: its largest inscribed circle has a diameter below `tolerance`.  Only
    polygons that can be that thin are buffered: a polygon with ``h`` holes
    whose inscribed circles all have a radius below ``r`` has an area below
    ``r * perimeter + pi * r² * h`` (the inner parallel curves at distance
    ``s`` are no longer than ``perimeter + 2 pi s (h - 1)``).
    """
    sliver = np.zeros(len(parts), dtype=bool)
    if tolerance <= 0 or len(parts) == 0:
        return sliver
    area = shapely.area(parts)
    bound = 0.5 * tolerance * shapely.length(parts) + 0.25 * math.pi * tolerance**2 * (
        shapely.get_num_interior_rings(parts) + 1
    )
    candidate = np.flatnonzero(area <= bound)
    if len(candidate):
        eroded = shapely.buffer(parts[candidate], -tolerance / 2.0)
        sliver[candidate] = shapely.is_empty(eroded) | (shapely.area(eroded) <= 0)
    return sliver


def _absorb(
    parts: np.ndarray, labels: np.ndarray, rank: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Absorb slivers into the neighbour sharing the longest boundary.

    Returns the group of every part (parts merged together share a group,
    numbered by a member) and whether the part was an absorbed sliver.
    """
    n = len(parts)
    group = np.arange(n)
    absorbed = np.zeros(n, dtype=bool)
    sliver = _is_sliver(parts, tolerance)
    if not sliver.any():
        return group, absorbed
    # a grid made of slivers only stays: absorbing it would erase the grid
    protected = np.zeros(n, dtype=bool)
    for j in range(labels.shape[1]):
        column = labels[:, j]
        has = column >= 0
        size = int(column.max()) + 1 if has.any() else 0
        solid = np.bincount(column[has & ~sliver], minlength=size) > 0
        protected |= has & ~solid[np.where(has, column, 0)]
    movers = np.flatnonzero(sliver & ~protected)
    if len(movers) == 0:
        return group, absorbed
    tree = shapely.STRtree(parts)
    si, ni = tree.query(parts[movers], predicate="dwithin", distance=_EPS)
    si = movers[si]
    other = si != ni
    si, ni = si[other], ni[other]
    unique_s, inverse = np.unique(si, return_inverse=True)
    grown = shapely.buffer(parts[unique_s], _EPS, quad_segs=1)
    shared = np.nan_to_num(
        shapely.length(shapely.intersection(shapely.boundary(parts[ni]), grown[inverse]))
    )
    real = shared > 0
    si, ni, shared = si[real], ni[real], shared[real]
    if len(si) == 0:
        return group, absorbed
    # best neighbour per sliver: longest shared boundary, ties by combination rank
    order = np.lexsort((rank[ni], -shared, si))
    first = np.r_[True, si[order][1:] != si[order][:-1]]
    src = si[order][first]
    dst = ni[order][first]
    component = edge_components(n, src, dst)
    # the component takes the labels of its solid member, else of its largest sliver
    area = shapely.area(parts)
    members = np.flatnonzero(np.bincount(component, minlength=n)[component] > 1)
    movable = sliver & ~protected
    key_order = np.lexsort((rank[members], -area[members], movable[members], component[members]))
    ordered = members[key_order]
    lead = np.r_[True, component[ordered][1:] != component[ordered][:-1]]
    leader = np.arange(n)
    leader[component[ordered][lead]] = ordered[lead]
    group = leader[component]
    absorbed = group != np.arange(n)
    return group, absorbed


# ---------------------------------------------------------------------------
# cells


def _union_groups(parts: np.ndarray, group: np.ndarray, merged: np.ndarray) -> np.ndarray:
    """One geometry per group: multipolygon of disjoint parts, union where slivers merged."""
    order, starts, ends = _group_starts(group)
    out = np.empty(len(starts), dtype=object)
    sizes = ends - starts
    single = sizes == 1
    out[single] = parts[order[starts[single]]]
    for g in np.flatnonzero(~single):
        members = order[starts[g] : ends[g]]
        if merged[members].any():
            out[g] = _clean(shapely.union_all(parts[members]))
        else:
            out[g] = shapely.multipolygons(parts[members])
    return out


def _clean(geom: Any) -> Any:
    """Polygonal part of a union, without holes of no width (floating-point slits)."""
    geom = missing_if_empty(polygonal(np.array([geom], dtype=object)))[0]
    if geom is None or not shapely.get_num_interior_rings(shapely.get_parts(geom)).any():
        return geom
    cleaned = []
    for polygon in shapely.get_parts(geom):
        holes = [
            ring
            for ring in polygon.interiors
            if shapely.area(shapely.polygons(ring)) > _EPS * shapely.length(ring)
        ]
        cleaned.append(shapely.polygons(polygon.exterior, holes=holes or None))
    return cleaned[0] if len(cleaned) == 1 else shapely.multipolygons(cleaned)


@dataclass
class _Cells:
    """The cells as arrays: labels (grid index per network, -1 none), area, geometry."""

    labels: np.ndarray
    area: np.ndarray
    geoms: np.ndarray
    slivers: gpd.GeoDataFrame


def _build_cells(
    faces: np.ndarray,
    labels: np.ndarray,
    networks: list[_Network],
    tolerance: float,
    crs: Any,
) -> _Cells:
    sizes = [len(net.ids) for net in networks]
    parts, owner = shapely.get_parts(faces, return_index=True)
    part_labels = labels[owner]
    rank = _combination_rank(part_labels, sizes)
    group, absorbed = _absorb(parts, part_labels, rank, tolerance)
    final = part_labels[group]
    keyed = np.where(final < 0, np.asarray(sizes)[None, :], final)
    if len(keyed):
        unique, cell_of = np.unique(keyed, axis=0, return_inverse=True)
        cell_of = cell_of.reshape(-1)
    else:
        unique = np.empty((0, len(networks)), dtype=np.int64)
        cell_of = np.empty(0, dtype=np.int64)
    cell_labels = np.where(unique >= np.asarray(sizes)[None, :], -1, unique).astype(np.int64)
    geoms = _union_groups(parts, cell_of, absorbed)
    area = shapely.area(geoms) if len(geoms) else np.empty(0)
    sliver_rows: dict[str, Any] = {
        net.name: _ids_of(net, part_labels[absorbed, j]) for j, net in enumerate(networks)
    }
    sliver_rows["cell_id"] = cell_of[absorbed]
    sliver_rows["area"] = shapely.area(parts[absorbed])
    slivers = gpd.GeoDataFrame(
        pd.DataFrame(sliver_rows), geometry=np.asarray(parts[absorbed], dtype=object), crs=crs
    )
    slivers = slivers.sort_values(["cell_id", "area"], ascending=[True, False], kind="stable")
    return _Cells(cell_labels, area, geoms, slivers.reset_index(drop=True))


def _ids_of(net: _Network, index: np.ndarray) -> np.ndarray:
    """Grid ids for grid indices (None for -1), as an object array."""
    ids = np.concatenate([net.ids, np.array([None], dtype=object)])
    return np.asarray(ids[np.where(index < 0, len(net.ids), index)], dtype=object)


def _cells_frame(cells: _Cells, networks: list[_Network], crs: Any) -> gpd.GeoDataFrame:
    data: dict[str, Any] = {"cell_id": np.arange(len(cells.area), dtype=np.int64)}
    for j, net in enumerate(networks):
        data[net.name] = pd.Series(_ids_of(net, cells.labels[:, j]), dtype=object)
    data["n_networks"] = (cells.labels >= 0).sum(axis=1).astype(np.int64)
    data["area"] = cells.area
    return gpd.GeoDataFrame(
        pd.DataFrame(data), geometry=np.asarray(cells.geoms, dtype=object), crs=crs
    )
