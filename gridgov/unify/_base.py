"""Constants and the input networks of unify: validation, names, overlaps inside a network.

Part of :mod:`gridgov.unify`; see :func:`gridgov.unify.unify`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov._core.geometry import missing_if_empty, polygonal
from gridgov._core.layerinfo import layer_info
from gridgov.errors import LayerError, OptionError
from gridgov.layers import validate_layer

#: The relations of a grid to another network, see :func:`unify`.
RELATIONS: tuple[str, ...] = (
    "equal",
    "nested",
    "contains",
    "similar",
    "straddles",
    "partial",
    "uncovered",
)
#: The rule codes of :attr:`OneNetwork.conflicts`.
UNIFY_RULES: tuple[str, ...] = (
    "boundary.straddles_network",
    "boundary.unmatched_grid",
    "boundary.boundary_mismatch",
)

# Column names of the cells that a network may not take.
_RESERVED = frozenset({"cell_id", "area", "n_networks", "geometry", "households"})
# Relative area below which the part of a face (or grid) left uncovered by the
# other side is floating-point noise, not a region.
_REL_EPS = 1e-9
# Distance (metres) under which two boundaries are the same line when measuring
# shared boundary lengths between faces (floating-point noise of intersections).
_EPS = 1e-6
# Distance (metres) a probe point is pushed off a cell boundary to find the cell
# on the other side (agreement).
_PROBE = 1e-4
# Pairs per chunk when intersections run on several threads.
_CHUNK = 4096
_SEPARATOR = ", "
_SEVERITY = "warning"
_COLOURS = {
    "boundary.straddles_network": "#e6550d",
    "boundary.unmatched_grid": "#756bb1",
    "boundary.boundary_mismatch": "#d62728",
}


# ---------------------------------------------------------------------------
# input


@dataclass
class _Network:
    """One validated network: grids sorted by id, geometry with overlaps resolved."""

    name: str
    frame: gpd.GeoDataFrame  # validated, sorted by id, fresh RangeIndex
    ids: np.ndarray  # object array of str
    original: np.ndarray  # the layer's geometry
    geoms: np.ndarray  # overlaps resolved: disjoint, polygonal or None
    overlaps: dict[tuple[int, int], tuple[float, Any]] = field(default_factory=dict)


def _check_options(tolerance: float, share_tolerance: float, straddle_share: float) -> None:
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        msg = f"tolerance is a length in metres >= 0, got {tolerance!r}"
        raise OptionError(msg)
    if not (isinstance(share_tolerance, (int, float)) and 0.0 <= share_tolerance < 0.5):
        msg = f"share_tolerance is a fraction of a grid's area in [0, 0.5), got {share_tolerance!r}"
        raise OptionError(msg)
    if not (isinstance(straddle_share, (int, float)) and share_tolerance <= straddle_share < 0.5):
        msg = (
            "straddle_share is a fraction of a grid's area in [share_tolerance, 0.5), "
            f"got {straddle_share!r}"
        )
        raise OptionError(msg)


def _check_names(layers: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    if not isinstance(layers, Mapping) or not layers:
        msg = (
            "layers must be a non-empty dict {network: GeoDataFrame}, "
            f"got {type(layers).__name__}"
        )
        raise LayerError(msg)
    names = list(layers)
    for name in names:
        if not isinstance(name, str) or not name:
            msg = f"network names must be non-empty strings, got {name!r}"
            raise LayerError(msg)
        if name in _RESERVED or name.endswith("_share"):
            msg = (
                f"network name {name!r} is taken by a column of the results; "
                f"rename it (reserved: {', '.join(sorted(_RESERVED))}, names ending in '_share')"
            )
            raise LayerError(msg)
    return names


def _overlap_pairs(
    geoms: np.ndarray, among: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (low, high) of `geoms` overlapping by more than noise, one of them in `among`.

    Overlaps smaller than ``_REL_EPS`` of the smaller polygon are floating-point
    noise of a shared boundary and ignored.  Returns the pairs, the
    overlapping geometry and its area.
    """
    present = np.flatnonzero(~shapely.is_missing(geoms))
    query = np.intersect1d(among, present)
    empty = np.array([], dtype=np.int64)
    if len(query) == 0 or len(present) < 2:
        return empty, empty, np.array([], dtype=object), np.array([], dtype=float)
    tree = shapely.STRtree(geoms[present])
    shapely.prepare(geoms[query])
    try:
        qi, ti = tree.query(geoms[query], predicate="intersects")
    finally:
        shapely.destroy_prepared(geoms[query])
    a, b = query[qi], present[ti]
    keep = a != b
    if not keep.any():
        return empty, empty, np.array([], dtype=object), np.array([], dtype=float)
    pairs = np.unique(np.c_[np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])], axis=0)
    low, high = pairs[:, 0], pairs[:, 1]
    shared = missing_if_empty(polygonal(shapely.intersection(geoms[low], geoms[high])))
    area = np.nan_to_num(shapely.area(shared))
    smaller = np.minimum(shapely.area(geoms[low]), shapely.area(geoms[high]))
    real = area > _REL_EPS * smaller
    return low[real], high[real], shared[real], area[real]


def _resolve(net: _Network, among: np.ndarray) -> bool:
    """Find the overlaps of `net` that involve the grids `among` and resolve them.

    The grid with the smaller id keeps the overlapping area.  Returns whether
    a new overlap was found (the geometry of `net` then changed).
    """
    low, high, shared, area = _overlap_pairs(net.original, among)
    new = [
        (int(i), int(j))
        for i, j in zip(low, high, strict=True)
        if (int(i), int(j)) not in net.overlaps
    ]
    if not new:
        return False
    for i, j, geom, size in zip(low, high, shared, area, strict=True):
        net.overlaps[(int(i), int(j))] = (float(size), geom)
    losers = sorted({j for _, j in new})
    winners: dict[int, list[int]] = {}
    for i, j in net.overlaps:
        winners.setdefault(j, []).append(i)
    resolved = net.geoms.copy()
    for j in losers:
        cut = shapely.union_all(net.original[winners[j]])
        resolved[j] = shapely.difference(net.original[j], cut)
    net.geoms = missing_if_empty(polygonal(resolved))
    return True


def _prepare(name: str, frame: gpd.GeoDataFrame, id_column: str) -> _Network:
    layer = validate_layer(frame, kind="grids", id_column=id_column, name=name)
    info = layer_info(layer)
    invalid = info.invalid_ids if info is not None else None
    if invalid:
        shown = ", ".join(repr(i) for i in invalid[:5])
        msg = (
            f"layer {name!r} (grids): {len(invalid)} invalid polygons (ids {shown}); "
            "unify needs valid geometry: repair them (shapely.make_valid) after reading "
            "gg.check's boundary.invalid_geometry findings"
        )
        raise LayerError(msg)
    order = np.argsort(layer[id_column].to_numpy(dtype=str), kind="stable")
    layer = layer.iloc[order].reset_index(drop=True)
    if id_column != "grid_id":
        layer = layer.rename(columns={id_column: "grid_id"})
    ids = layer["grid_id"].to_numpy(dtype=object)
    geoms = np.asarray(layer.geometry.to_numpy(), dtype=object)
    return _Network(name, layer, ids, geoms, geoms.copy())


def _overlaps_frame(networks: list[_Network], crs: Any) -> gpd.GeoDataFrame:
    rows = [
        {
            "network": net.name,
            "grid_id": net.ids[i],
            "other_id": net.ids[j],
            "area": size,
            "geometry": geom,
        }
        for net in networks
        for (i, j), (size, geom) in sorted(net.overlaps.items())
    ]
    frame = pd.DataFrame(rows, columns=["network", "grid_id", "other_id", "area", "geometry"])
    frame = frame.astype({"network": object, "grid_id": object, "other_id": object, "area": float})
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)
