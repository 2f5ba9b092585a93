"""What a worker does with one partition: the grids within its reach, and its assignment.

Part of :mod:`gridgov.distributed`; see its documentation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridgov.distributed._read import _describe_crs
from gridgov.errors import CRSError, GridgovError

if TYPE_CHECKING:
    from collections.abc import Mapping


# --------------------------------------------------------------------------
# Which grids can reach a partition
# --------------------------------------------------------------------------

#: Attribute under which a partition carries its label for error messages.
_LABEL = "gridgov_partition"
#: Column carrying the position of a grid in its layer across grid partitions.
_ORDER = "__gridgov_order"
#: Relative and absolute slack added to reach distances (rounding of bounds).
_SLACK = 1e-9


def _min_distance(bounds: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Smallest distance between each box of `bounds` (m, 4) and the box `box` (4,)."""
    dx = np.maximum(0.0, np.maximum(bounds[:, 0] - box[2], box[0] - bounds[:, 2]))
    dy = np.maximum(0.0, np.maximum(bounds[:, 1] - box[3], box[1] - bounds[:, 3]))
    out: np.ndarray = np.hypot(dx, dy)
    return out


def _max_distance(bounds: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Largest distance between a point of each box of `bounds` and a point of `box`."""
    dx = np.maximum(bounds[:, 2] - box[0], box[2] - bounds[:, 0])
    dy = np.maximum(bounds[:, 3] - box[1], box[3] - bounds[:, 1])
    out: np.ndarray = np.hypot(dx, dy)
    return out


def _reaching(bounds: np.ndarray, box: np.ndarray, reach: float | None) -> np.ndarray:
    """Positions of the boxes in `bounds` that may hold the grid of a point in `box`.

    A grid can be chosen for a point when it contains the point (its bounds
    meet `box`) or, with ``outside="nearest"``, when it lies within `reach`
    of the point.  With ``reach=None`` (no limit) the nearest grid of every
    point of `box` is no farther than the smallest *largest* distance from
    `box` to a box, so that bound is the reach.  Boxes with NaN bounds
    (empty partitions) never reach.
    """
    if len(bounds) == 0 or not np.all(np.isfinite(box)):
        return np.zeros(0, dtype=np.int64)
    finite = np.isfinite(bounds).all(axis=1)
    if reach is None:
        if not finite.any():
            return np.zeros(0, dtype=np.int64)
        reach = float(_max_distance(bounds[finite], box).min())
    near = np.full(len(bounds), np.inf)
    near[finite] = _min_distance(bounds[finite], box)
    return np.flatnonzero(near <= reach * (1.0 + _SLACK) + _SLACK)


def _bounds_of(geometry: Any) -> np.ndarray:
    """Return the total bounds of the non-missing geometries (NaN when there is none)."""
    bounds = shapely.bounds(np.asarray(geometry, dtype=object))
    finite = np.isfinite(bounds).all(axis=1) if len(bounds) else np.zeros(0, dtype=bool)
    if not finite.any():
        return np.full(4, np.nan)
    ok = bounds[finite]
    return np.array([ok[:, 0].min(), ok[:, 1].min(), ok[:, 2].max(), ok[:, 3].max()])


@dataclass(frozen=True)
class _AssignOptions:
    """The options of :func:`gridgov.assign`, carried to every partition."""

    on_boundary: str
    outside: str
    max_distance: float | None
    id_column: str
    grid_id_column: str
    building_column: str
    crs: pyproj.CRS

    @property
    def reach(self) -> float | None:
        """How far from a household its grid may lie: 0, max_distance, or None (no limit)."""
        if self.outside != "nearest":
            return 0.0
        if self.max_distance is None or math.isinf(self.max_distance):
            return None
        return float(self.max_distance)

    def keywords(self) -> dict[str, Any]:
        return {
            "on_boundary": self.on_boundary,
            "outside": self.outside,
            "max_distance": self.max_distance,
            "id_column": self.id_column,
            "grid_id_column": self.grid_id_column,
            "building_column": self.building_column,
        }


def _gather(parts: Any) -> gpd.GeoDataFrame:
    """One grid frame from a broadcast frame or a list of grid partitions, in layer order."""
    if isinstance(parts, gpd.GeoDataFrame):
        return parts
    frames = [p for p in parts if len(p)] or list(parts[:1])
    frame = pd.concat(frames) if len(frames) > 1 else frames[0]
    if _ORDER in frame.columns:
        order = np.argsort(frame[_ORDER].to_numpy(), kind="stable")
        frame = frame.iloc[order].drop(columns=_ORDER)
    return frame


def _linked_buildings(
    households: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, column: str
) -> gpd.GeoDataFrame:
    """Return the buildings the households link to (at least one: a lone one changes nothing)."""
    from gridgov._core.ids import normalise_ids

    if column not in households.columns:
        return buildings.iloc[:1]
    linked = normalise_ids(households[column]).dropna().unique()
    chosen = buildings[buildings[column].isin(linked).to_numpy()]
    return chosen if len(chosen) else buildings.iloc[:1]


def _reachable_grids(
    grids: gpd.GeoDataFrame,
    box: np.ndarray,
    reach: float | None,
    buildings: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """Return the grids that can be assigned to households in `box` (and their buildings).

    Grids out of reach can never be chosen, so leaving them out changes no
    answer; at least one grid is kept, since a grid layer cannot be empty.
    """
    bounds = shapely.bounds(grids.geometry.to_numpy())
    keep = _reaching(bounds, box, reach)
    if buildings is not None and len(buildings):
        tree = shapely.STRtree(shapely.box(*bounds.T))
        _, touching = tree.query(buildings.geometry.to_numpy())
        keep = np.union1d(keep, touching)
    if len(keep) == 0:
        keep = np.zeros(1, dtype=np.int64)
    return grids.iloc[np.sort(keep)]


def _relabel(error: GridgovError, label: str) -> GridgovError:
    """Return the same error, its message prefixed with the partition it came from."""
    return type(error)(f"{label}: {error}")


def _check_partition_crs(part: gpd.GeoDataFrame, crs: pyproj.CRS, label: str) -> None:
    given = part.crs
    if given is None:
        msg = (
            f"{label} has no CRS; every partition must carry the CRS of the data set "
            f"({_describe_crs(crs)}): set it before writing the files"
        )
        raise CRSError(msg)
    if pyproj.CRS.from_user_input(given) != crs:
        msg = (
            f"{label} is in {_describe_crs(pyproj.CRS.from_user_input(given))} but the "
            f"data set is in {_describe_crs(crs)}; every partition must be in one CRS: "
            "reproject the odd partition and write it again (gridgov never reprojects silently)"
        )
        raise CRSError(msg)


def _assign_partition(
    households: gpd.GeoDataFrame,
    grids: Mapping[str, Any],
    buildings: gpd.GeoDataFrame | None,
    options: _AssignOptions,
    *,
    number: int,
    meta: pd.DataFrame,
) -> pd.DataFrame:
    """Run :func:`gridgov.assign` on one household partition and the grids that can reach it."""
    from gridgov.assign import assign as assign_in_memory

    label = str(households.attrs.get(_LABEL, f"households partition {number}"))
    _check_partition_crs(households, options.crs, label)
    if len(households) == 0:
        return meta
    box = _bounds_of(households.geometry.to_numpy())
    linked = None
    if buildings is not None:
        linked = _linked_buildings(households, buildings, options.building_column)
    layers = {
        name: _reachable_grids(_gather(parts), box, options.reach, linked)
        for name, parts in grids.items()
    }
    try:
        return assign_in_memory(households, layers, buildings=linked, **options.keywords())
    except GridgovError as error:
        raise _relabel(error, label) from None
