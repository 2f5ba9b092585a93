"""The unified layer on the base network, the redrawn networks and the agreement.

Part of :mod:`gridgov.unify`; see :func:`gridgov.unify.unify`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov.unify._base import _PROBE, _SEPARATOR, _Network
from gridgov.unify._cells import _group_starts, _ids_of

if TYPE_CHECKING:
    from gridgov.unify._result import OneNetwork
    from gridgov.unify._tables import _Relation

# ---------------------------------------------------------------------------
# unified layer


def _unified(
    networks: list[_Network],
    base: int,
    relations: dict[tuple[int, int], _Relation],
    assigned: pd.DataFrame | None,
) -> gpd.GeoDataFrame:
    net = networks[base]
    out = net.frame.copy()
    if "network" in out.columns:
        out["network"] = "unified"
    geometry_name = out.geometry.name
    out[net.name] = pd.Series(net.ids, dtype=object)
    for j, other in enumerate(networks):
        if j == base:
            continue
        rel = relations[(base, j)]
        carried = rel.largest >= 0
        out[other.name] = pd.Series(_ids_of(other, rel.largest), dtype=object)
        out[f"{other.name}_share"] = np.where(carried, rel.largest_share, 0.0)
    if assigned is not None:
        loads = assigned[net.name].value_counts()
        out["households"] = loads.reindex(net.ids, fill_value=0).to_numpy(dtype=np.int64)
    columns = [c for c in out.columns if c != geometry_name] + [geometry_name]
    return out[columns]


def _redrawn(one: OneNetwork, network: str) -> gpd.GeoDataFrame:
    layer = one._layers[network]
    ids = layer["grid_id"].to_numpy(dtype=object)
    unified = one.unified
    carrier = unified[network].to_numpy(dtype=object)
    base_ids = unified["grid_id"].to_numpy(dtype=object)
    geoms = np.asarray(unified.geometry.to_numpy(), dtype=object)
    position = pd.Series(np.arange(len(ids)), index=ids)
    has = ~pd.isna(carrier)
    index = position.reindex(carrier[has]).to_numpy(dtype=np.int64)
    shapes = np.full(len(ids), None, dtype=object)
    joined = np.full(len(ids), None, dtype=object)
    order, starts, ends = _group_starts(index)
    members_all = np.flatnonzero(has)[order]
    for start, end in zip(starts, ends, strict=True):
        g = index[order[start]]
        members = members_all[start:end]
        shapes[g] = geoms[members[0]] if len(members) == 1 else shapely.union_all(geoms[members])
        joined[g] = _SEPARATOR.join(base_ids[members])
    original = np.asarray(layer.geometry.to_numpy(), dtype=object)
    original_area = shapely.area(original)
    kept = np.zeros(len(ids))
    drawn = ~pd.isna(shapes)
    if drawn.any():
        kept[drawn] = shapely.area(shapely.intersection(original[drawn], shapes[drawn]))
    frame = pd.DataFrame(
        {
            "grid_id": pd.Series(ids, dtype=object),
            "base_ids": pd.Series(joined, dtype=object),
            "area": np.where(drawn, shapely.area(shapes), 0.0),
            "original_area": original_area,
            "kept_share": np.divide(
                kept, original_area, out=np.zeros(len(ids)), where=original_area > 0
            ),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=shapes, crs=layer.crs)


# ---------------------------------------------------------------------------
# agreement


def _cell_edges(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every boundary segment of the cells: (cell, cell on the other side or -1, length).

    Segments shared by two cells are found by their coordinates (the same two
    end points, in opposite directions); the others (T-junctions,
    floating-point noise) by a probe point pushed ``_PROBE`` off the middle
    of the segment, outwards.
    """
    parts, cell = shapely.get_parts(geoms, return_index=True)
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    start = np.flatnonzero(ring_of[1:] == ring_of[:-1])
    x0, y0 = coords[start, 0], coords[start, 1]
    x1, y1 = coords[start + 1, 0], coords[start + 1, 1]
    owner = cell[ring_part[ring_of[start]]]
    length = np.hypot(x1 - x0, y1 - y0)
    real = length > 0
    x0, y0, x1, y1, owner, length = (a[real] for a in (x0, y0, x1, y1, owner, length))
    # the same segment seen from both sides: equal once its end points are ordered
    swap = (x0 > x1) | ((x0 == x1) & (y0 > y1))
    ax, ay = np.where(swap, x1, x0), np.where(swap, y1, y0)
    bx, by = np.where(swap, x0, x1), np.where(swap, y0, y1)
    key = np.zeros(len(owner), dtype=np.uint64)
    for values, factor in ((ax, 1), (ay, 3), (bx, 5), (by, 7)):
        key = key * np.uint64(1_000_003) + pd.util.hash_array(values) * np.uint64(factor)
    order = np.argsort(key, kind="stable")
    k, o = key[order], order
    equal_next = (k[1:] == k[:-1]) & (ax[o[1:]] == ax[o[:-1]]) & (ay[o[1:]] == ay[o[:-1]])
    equal_next &= (bx[o[1:]] == bx[o[:-1]]) & (by[o[1:]] == by[o[:-1]])
    equal_next &= swap[o[1:]] != swap[o[:-1]]
    before = np.concatenate([[False], equal_next[:-1]])
    after = np.concatenate([equal_next[1:], [False]])
    pair = np.flatnonzero(equal_next & ~before & ~after)
    other = np.full(len(owner), -2, dtype=np.int64)
    other[o[pair]] = owner[o[pair + 1]]
    other[o[pair + 1]] = owner[o[pair]]
    probe = np.flatnonzero(other == -2)
    if len(probe):
        dx = (x1[probe] - x0[probe]) / length[probe]
        dy = (y1[probe] - y0[probe]) / length[probe]
        px = (x0[probe] + x1[probe]) / 2 + _PROBE * dy
        py = (y0[probe] + y1[probe]) / 2 - _PROBE * dx
        tree = shapely.STRtree(geoms)
        pi, ci = tree.query(shapely.points(px, py), predicate="intersects")
        keep = ci != owner[probe[pi]]
        pi, ci = pi[keep], ci[keep]
        found = np.full(len(probe), -1, dtype=np.int64)
        if len(pi):
            first = np.lexsort((ci, pi))
            lead = np.concatenate([[True], pi[first][1:] != pi[first][:-1]])
            found[pi[first][lead]] = ci[first][lead]
        other[probe] = found
    return owner, other, length


def _agreement(one: OneNetwork) -> pd.DataFrame:
    columns = [
        "network_a", "network_b", "boundary_a", "boundary_b", "coincident",
        "boundary_share", "nested_share", "agreement",
    ]  # fmt: skip
    names = list(one.networks)
    if len(names) < 2:
        return pd.DataFrame(
            {c: pd.Series(dtype=object if c.startswith("network") else float) for c in columns}
        )
    state = one._state
    labels = state.cells.labels
    area = state.cells.area
    owner, other, length = _cell_edges(state.cells.geoms)
    weight = np.where(other >= 0, 0.5, 1.0) * length
    outside = np.full((1, labels.shape[1]), -1, dtype=np.int64)
    across = np.concatenate([labels, outside])[np.where(other >= 0, other, len(labels))]
    changes = labels[owner] != across
    rows = []
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            b = names[j]
            length_a = float(weight[changes[:, i]].sum())
            length_b = float(weight[changes[:, j]].sum())
            both = float(weight[changes[:, i] & changes[:, j]].sum())
            shorter = min(length_a, length_b)
            boundary_share = min(both / shorter, 1.0) if shorter > 0 else 1.0
            la, lb = labels[:, i], labels[:, j]
            in_pair = np.zeros(len(labels), dtype=bool)
            for mine, theirs, rel in (
                (la, lb, state.relations[(i, j)]),
                (lb, la, state.relations[(j, i)]),
            ):
                inside = (rel.relation == "equal") | (rel.relation == "nested")
                has = (mine >= 0) & (theirs >= 0)
                at = np.where(has, mine, 0)
                in_pair |= has & inside[at] & (rel.largest[at] == theirs)
            covered = (la >= 0) | (lb >= 0)
            total = float(area[covered].sum())
            nested_share = min(float(area[in_pair].sum()) / total, 1.0) if total > 0 else 1.0
            rows.append(
                {
                    "network_a": a,
                    "network_b": b,
                    "boundary_a": length_a,
                    "boundary_b": length_b,
                    "coincident": both,
                    "boundary_share": boundary_share,
                    "nested_share": nested_share,
                    "agreement": (boundary_share + nested_share) / 2.0,
                }
            )
    return pd.DataFrame(rows, columns=columns)
