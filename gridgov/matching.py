"""Matching the grids of two editions: overlaps, descent groups and change classes.

The array kernels of :func:`gridgov.compare`: every overlapping (old, new)
pair of grids with its shared area (:func:`overlaps`), the change group of
every grid from the descents old -> new (:func:`change_groups`), and the class
of every group (:func:`classify`).  No frames, no CRS: positions, ids and
geometries in arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from gridgov.graph import edge_components

__all__ = [
    "SEPARATOR",
    "Overlaps",
    "best_per_group",
    "change_groups",
    "classify",
    "joined_ids",
    "measurable",
    "overlaps",
    "unions",
]

#: Separator of the grid ids of one change (``"a, b"``).
SEPARATOR = ", "


def best_per_group(
    keys: list[np.ndarray], groups: np.ndarray, values: np.ndarray, n_groups: int
) -> np.ndarray:
    """Per group, the value of its first pair after sorting by `keys` (most significant first).

    Groups without pairs get -1.
    """
    best = np.full(n_groups, -1, dtype=np.int64)
    if len(groups) == 0:
        return best
    order = np.lexsort([*keys[::-1], groups])
    first = np.ones(len(order), dtype=bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    best[groups[order][first]] = values[order][first]
    return best


def joined_ids(ids: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Join the ids of each label, sorted, with ", " (None where a label has none)."""
    out = np.full(n, None, dtype=object)
    if len(ids) == 0:
        return out
    order = np.lexsort((ids.astype(str), labels))
    sorted_labels, sorted_ids = labels[order], ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], len(order)], strict=True):
        out[sorted_labels[start]] = SEPARATOR.join(sorted_ids[start:end])
    return out


def unions(geoms: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Return the union of `geoms` per label (None where a label has none).

    Loops only over the labels with several members.
    """
    out = np.full(n, None, dtype=object)
    if len(geoms) == 0:
        return out
    counts = np.bincount(labels, minlength=n)
    single = counts[labels] == 1
    out[labels[single]] = geoms[single]
    for label in np.flatnonzero(counts > 1):
        out[label] = shapely.union_all(geoms[labels == label])
    return out


def measurable(geoms: np.ndarray) -> np.ndarray:
    """Return the geometries to measure: invalid polygons as `shapely.make_valid` repairs them.

    The layers themselves are never repaired: invalid grids stay in the
    outputs as they are, and :func:`gridgov.check` reports them.
    """
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    out = geoms.copy()
    out[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    return out


@dataclass(frozen=True)
class Overlaps:
    """Every overlapping (old, new) pair: positions, shared area and its share of each grid."""

    old: np.ndarray
    new: np.ndarray
    shared: np.ndarray
    share_old: np.ndarray
    share_new: np.ndarray


def overlaps(old_geoms: np.ndarray, new_geoms: np.ndarray) -> Overlaps:
    """Return the pairs of an old and a new grid sharing area, with the shares of each."""
    oi, ni = shapely.STRtree(new_geoms).query(old_geoms, predicate="intersects")
    shared = shapely.area(shapely.intersection(old_geoms[oi], new_geoms[ni]))
    keep = shared > 0
    oi, ni, shared = oi[keep], ni[keep], shared[keep]
    old_area, new_area = shapely.area(old_geoms)[oi], shapely.area(new_geoms)[ni]
    share_old = np.divide(shared, old_area, out=np.zeros_like(shared), where=old_area > 0)
    share_new = np.divide(shared, new_area, out=np.zeros_like(shared), where=new_area > 0)
    return Overlaps(oi, ni, shared, share_old, share_new)


def change_groups(
    pairs: Overlaps, old_ids: np.ndarray, new_ids: np.ndarray, tolerance: float
) -> np.ndarray:
    """Change group of every old grid, then every new grid (one array, old first)."""
    n_old, n_new = len(old_ids), len(new_ids)
    same_id = (old_ids[pairs.old] == new_ids[pairs.new]).astype(np.int8)
    # descent: each new grid from its largest old contributor, each old grid into its largest
    # heir; the grid with the same id first, ties to the smaller id (the layers are sorted)
    from_old = pairs.share_new >= tolerance
    into_new = pairs.share_old >= tolerance
    old, new = pairs.old[from_old], pairs.new[from_old]
    pred = best_per_group([-same_id[from_old], -pairs.shared[from_old], old], new, old, n_new)
    old, new = pairs.old[into_new], pairs.new[into_new]
    succ = best_per_group([-same_id[into_new], -pairs.shared[into_new], new], old, new, n_old)
    has_pred, has_succ = pred >= 0, succ >= 0
    edges_a = np.r_[pred[has_pred], np.flatnonzero(has_succ)]
    edges_b = np.r_[np.flatnonzero(has_pred) + n_old, succ[has_succ] + n_old]
    labels = edge_components(n_old + n_new, edges_a, edges_b)
    group: np.ndarray = np.unique(labels, return_inverse=True)[1]
    # groups in order of their smallest grid id
    ids = np.r_[old_ids, new_ids].astype(str)
    n_groups = int(group.max()) + 1 if len(group) else 0
    smallest = np.full(n_groups, "", dtype=object)
    by_id = np.argsort(ids, kind="stable")[::-1]  # the smallest id is written last
    smallest[group[by_id]] = ids[by_id]
    rank = np.empty(n_groups, dtype=np.int64)
    rank[np.argsort(smallest.astype(str), kind="stable")] = np.arange(n_groups)
    out: np.ndarray = rank[group]
    return out


def classify(
    pairs: Overlaps,
    old_group: np.ndarray,
    new_group: np.ndarray,
    same_id: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """Return the change class of each group of old and new grids that overlap each other."""
    n_groups = int(max(old_group.max(initial=-1), new_group.max(initial=-1))) + 1
    count_old = np.bincount(old_group, minlength=n_groups)
    count_new = np.bincount(new_group, minlength=n_groups)
    change = np.full(n_groups, "regrouped", dtype=object)
    change[(count_old == 1) & (count_new > 1)] = "split"
    change[(count_old > 1) & (count_new == 1)] = "merged"
    change[count_old == 0] = "added"
    change[count_new == 0] = "removed"
    inside = old_group[pairs.old] == new_group[pairs.new]
    one_to_one = ((count_old == 1) & (count_new == 1))[old_group[pairs.old]] & inside
    same_shape = (pairs.share_old >= 1 - tolerance) & (pairs.share_new >= 1 - tolerance)
    groups = old_group[pairs.old[one_to_one]]
    change[groups] = "reshaped"
    change[groups[same_shape[one_to_one]]] = "renamed"
    change[groups[same_shape[one_to_one] & same_id[one_to_one]]] = "unchanged"
    return change
