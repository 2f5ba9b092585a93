"""The crosswalk and the relations between the grids of two networks.

Part of :mod:`gridgov.unify`; see :func:`gridgov.unify.unify`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridgov.unify._base import _SEPARATOR, _Network
from gridgov.unify._cells import _Cells, _ids_of

# ---------------------------------------------------------------------------
# tables


_SLACK = 1e-9


@dataclass
class _Pairs:
    """Shared areas between the grids of two networks (indices into each)."""

    a: np.ndarray
    b: np.ndarray
    shared: np.ndarray


def _grid_areas(cells: _Cells, j: int, size: int) -> np.ndarray:
    column = cells.labels[:, j]
    has = column >= 0
    return np.bincount(column[has], weights=cells.area[has], minlength=size)


def _pairs(cells: _Cells, i: int, j: int, size_j: int) -> _Pairs:
    both = (cells.labels[:, i] >= 0) & (cells.labels[:, j] >= 0)
    key = cells.labels[both, i] * size_j + cells.labels[both, j]
    unique, inverse = np.unique(key, return_inverse=True)
    shared = np.bincount(inverse, weights=cells.area[both], minlength=len(unique))
    real = shared > 0
    unique, shared = unique[real], shared[real]
    return _Pairs(unique // size_j, unique % size_j, shared)


def _crosswalk(
    networks: list[_Network],
    cells: _Cells,
    areas: list[np.ndarray],
    assigned: pd.DataFrame | None,
) -> pd.DataFrame:
    frames = []
    for i, net_a in enumerate(networks):
        for j in range(i + 1, len(networks)):
            net_b = networks[j]
            pairs = _pairs(cells, i, j, len(net_b.ids))
            frame = pd.DataFrame(
                {
                    "network_a": net_a.name,
                    "grid_a": pd.Series(net_a.ids[pairs.a], dtype=object),
                    "network_b": net_b.name,
                    "grid_b": pd.Series(net_b.ids[pairs.b], dtype=object),
                    "shared_area": pairs.shared,
                    "share_of_a": pairs.shared / areas[i][pairs.a],
                    "share_of_b": pairs.shared / areas[j][pairs.b],
                }
            )
            if assigned is not None:
                frame = _with_households(frame, assigned, net_a, net_b)
            frames.append(frame)
    columns = [
        "network_a",
        "grid_a",
        "network_b",
        "grid_b",
        "shared_area",
        "share_of_a",
        "share_of_b",
    ]
    if assigned is not None:
        columns.append("shared_households")
    if not frames:
        empty = pd.DataFrame(
            {
                c: pd.Series(dtype=object if c.startswith(("network", "grid")) else float)
                for c in columns
            }
        )
        if assigned is not None:
            empty["shared_households"] = empty["shared_households"].astype(np.int64)
        return empty
    return pd.concat(frames, ignore_index=True)[columns]


def _with_households(
    frame: pd.DataFrame, assigned: pd.DataFrame, net_a: _Network, net_b: _Network
) -> pd.DataFrame:
    ga = assigned[net_a.name].to_numpy(dtype=object)
    gb = assigned[net_b.name].to_numpy(dtype=object)
    both = ~pd.isna(ga) & ~pd.isna(gb)
    counts = (
        pd.DataFrame({"grid_a": ga[both], "grid_b": gb[both]}, dtype=object)
        .groupby(["grid_a", "grid_b"], sort=False)
        .size()
        .rename("shared_households")
        .reset_index()
    )
    out = frame.merge(counts, on=["grid_a", "grid_b"], how="outer")
    out["network_a"] = net_a.name
    out["network_b"] = net_b.name
    for column in ("shared_area", "share_of_a", "share_of_b"):
        out[column] = out[column].fillna(0.0)
    out["shared_households"] = out["shared_households"].fillna(0).astype(np.int64)
    rank_a = pd.Series(np.arange(len(net_a.ids)), index=net_a.ids)
    rank_b = pd.Series(np.arange(len(net_b.ids)), index=net_b.ids)
    order = np.lexsort(
        (rank_b.reindex(out["grid_b"]).to_numpy(), rank_a.reindex(out["grid_a"]).to_numpy())
    )
    out = out.iloc[order].reset_index(drop=True)
    out["grid_a"] = out["grid_a"].astype(object)
    out["grid_b"] = out["grid_b"].astype(object)
    return out


@dataclass
class _Relation:
    """The relation of every grid of one network to another network (arrays by grid)."""

    network: int
    other: int
    relation: np.ndarray  # object, None for grids without area
    largest: np.ndarray  # grid index in the other network, -1 none
    largest_share: np.ndarray
    largest_share_of_other: np.ndarray
    covered: np.ndarray
    other_ids: np.ndarray  # object: comma-joined ids
    n_other: np.ndarray


@dataclass
class _State:
    """What the lazy parts of a :class:`OneNetwork` are computed from."""

    networks: list[_Network]
    cells: _Cells
    relations: dict[tuple[int, int], _Relation]
    areas: list[np.ndarray]
    base: int


def _relation(
    networks: list[_Network],
    cells: _Cells,
    areas: list[np.ndarray],
    i: int,
    j: int,
    *,
    share_tolerance: float,
    straddle_share: float,
) -> _Relation:
    size_i, size_j = len(networks[i].ids), len(networks[j].ids)
    pairs = _pairs(cells, i, j, size_j)
    ga, gb, shared = pairs.a, pairs.b, pairs.shared
    share_g = shared / areas[i][ga]
    share_h = shared / areas[j][gb]
    covered = np.bincount(ga, weights=share_g, minlength=size_i)
    high = 1.0 - share_tolerance - _SLACK
    best = np.full(size_i, -1, dtype=np.int64)
    best_share = np.zeros(size_i)
    best_share_h = np.zeros(size_i)
    if len(ga):
        order = np.lexsort((gb, -shared, ga))
        first = np.r_[True, ga[order][1:] != ga[order][:-1]]
        pick = order[first]
        best[ga[pick]] = gb[pick]
        best_share[ga[pick]] = share_g[pick]
        best_share_h[ga[pick]] = share_h[pick]
    partner = (share_g >= share_tolerance) | (share_h >= share_tolerance)
    n_partners = np.bincount(ga[partner], minlength=size_i)
    partner_nested = np.bincount(ga[partner & (share_h >= high)], minlength=size_i)
    significant = share_g >= share_tolerance
    n_other = np.bincount(ga[significant], minlength=size_i)

    relation = np.full(size_i, "straddles", dtype=object)
    relation[best_share >= 1.0 - straddle_share - _SLACK] = "similar"
    uncovered = 1.0 - covered >= share_tolerance - _SLACK
    relation[(n_partners == 1) & uncovered & (best_share_h < high)] = "partial"
    relation[(n_partners >= 1) & (partner_nested == n_partners)] = "contains"
    relation[best_share >= high] = "nested"
    relation[(best_share >= high) & (best_share_h >= high)] = "equal"
    relation[(covered < share_tolerance - _SLACK) | (covered <= 0)] = "uncovered"
    relation[areas[i] <= 0] = None

    other_ids = np.full(size_i, None, dtype=object)
    sig = np.flatnonzero(significant)
    if len(sig):
        order = sig[np.lexsort((gb[sig], -share_g[sig], ga[sig]))]
        keys = ga[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], len(keys)]
        names = networks[j].ids[gb[order]]
        for start, end in zip(starts, ends, strict=True):
            other_ids[keys[start]] = _SEPARATOR.join(names[start:end])
    return _Relation(i, j, relation, best, best_share, best_share_h, covered, other_ids, n_other)


def _relations_frame(
    networks: list[_Network], relations: list[_Relation], areas: list[np.ndarray]
) -> pd.DataFrame:
    frames = []
    for rel in relations:
        net, other = networks[rel.network], networks[rel.other]
        keep = rel.relation != None  # noqa: E711 - elementwise on an object array
        frames.append(
            pd.DataFrame(
                {
                    "network": net.name,
                    "grid_id": pd.Series(net.ids[keep], dtype=object),
                    "other_network": other.name,
                    "relation": pd.Series(rel.relation[keep], dtype=object),
                    "other_ids": pd.Series(rel.other_ids[keep], dtype=object),
                    "n_other": rel.n_other[keep].astype(np.int64),
                    "largest_id": pd.Series(_ids_of(other, rel.largest[keep]), dtype=object),
                    "largest_share": rel.largest_share[keep],
                    "covered_share": np.minimum(rel.covered[keep], 1.0),
                    "area": areas[rel.network][keep],
                }
            )
        )
    columns = [
        "network", "grid_id", "other_network", "relation", "other_ids", "n_other",
        "largest_id", "largest_share", "covered_share", "area",
    ]  # fmt: skip
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    out = pd.concat(frames, ignore_index=True)[columns]
    for column in ("network", "other_network"):
        out[column] = out[column].astype(object)
    return out
