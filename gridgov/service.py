"""Households to service stations along the roads: :func:`assign_by_network`.

Each household gets the station nearest along the road graph
(:func:`gridgov.graph.road_network`) and is ``served`` when it is within a
walking distance, else ``unreachable`` with the reason (:data:`REASONS`).
This measures the service gaps of the coverage principle.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridgov import graph
from gridgov._core.numbers import as_number
from gridgov._core.pointindex import ranks, with_null
from gridgov.crs import require_metric
from gridgov.errors import GridgovWarning, OptionError
from gridgov.layers import validate_layer

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["REASONS", "STATUS", "assign_by_network", "network_distances"]

#: The values of the ``status`` column of :func:`assign_by_network`.
STATUS: tuple[str, ...] = ("served", "unreachable")
#: The values of the ``reason`` column: why a household is not served.
REASONS: tuple[str, ...] = ("off_road", "disconnected", "beyond_max_distance")
_STATUS_DTYPE = pd.CategoricalDtype(list(STATUS))
_REASON_DTYPE = pd.CategoricalDtype(list(REASONS))


def assign_by_network(
    households: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    max_distance: float,
    snap_tolerance: float = 100.0,
    id_column: str = "household_id",
    station_id_column: str = "station_id",
) -> pd.DataFrame:
    """Nearest service station of every household along the roads, and whether it is served.

    The road lines are noded at every intersection into a graph weighted by
    length (:func:`gridgov.graph.road_network`).  Households and stations are
    snapped to the nearest road; a station becomes a node splitting its road,
    so a household on the same road is measured along it.  Each household
    gets the station with the smallest network distance, snap distances of
    both ends included (ties: the smallest station id, compared as strings).
    It is ``served`` when that distance is at most `max_distance`, else
    ``unreachable`` with the reason.  This measures the service gaps:
    households farther than `max_distance` of walking from every station.

    Parameters
    ----------
    households : GeoDataFrame
        Household points.
    stations : GeoDataFrame
        Service station points with a unique `station_id_column` (may be empty).
    roads : GeoDataFrame
        Road or path lines.
    max_distance : float
        Largest walking distance in metres for a household to count as served.
    snap_tolerance : float, default 100.0
        Largest distance in metres from a household or station to the nearest
        road.  Farther households are ``unreachable`` (reason ``off_road``);
        farther stations serve no one (a :class:`~gridgov.GridgovWarning` names them).
    id_column, station_id_column : str
        Id columns of households and stations.

    Returns
    -------
    DataFrame
        Indexed by household id in input order, with columns ``station_id``
        (``None`` when unreachable), ``distance`` (network metres including
        both snap distances; ``inf`` off the roads or with no station in the
        connected part of the network), ``snap_distance`` (household to road),
        ``status`` (categorical: ``served``, ``unreachable``) and ``reason``
        (categorical: ``off_road``, ``disconnected``, ``beyond_max_distance``;
        NaN when served).

    Raises
    ------
    CRSError
        When the layers are not all in the same metric CRS.
    ValueError
        When `max_distance` or `snap_tolerance` is not a positive number.

    See Also
    --------
    assign : households to grids by geometry.
    gridgov.graph.road_network : the road graph.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> roads = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1000, 0)]),
    ...                                    LineString([(500, 0), (500, 400)])], crs="EPSG:4549")
    >>> stations = gpd.GeoDataFrame({"station_id": ["s1"]}, geometry=[Point(100, 10)],
    ...                             crs="EPSG:4549")
    >>> homes = gpd.GeoDataFrame({"household_id": ["h1", "h2", "h3"]},
    ...                          geometry=[Point(300, -5), Point(510, 300), Point(900, 300)],
    ...                          crs="EPSG:4549")
    >>> assign_by_network(homes, stations, roads, max_distance=800)
                 station_id  distance  snap_distance       status    reason
    household_id
    h1                   s1     215.0            5.0       served       NaN
    h2                   s1     720.0           10.0       served       NaN
    h3                 None       inf          300.0  unreachable  off_road
    """
    for option, value in (("max_distance", max_distance), ("snap_tolerance", snap_tolerance)):
        if not as_number(value, name=option) > 0:
            msg = f"{option} must be a positive number of metres, got {value!r}"
            raise OptionError(msg)
    homes = validate_layer(households, kind="households", id_column=id_column, allow_empty=True)
    posts = validate_layer(stations, kind="stations", id_column=station_id_column, allow_empty=True)
    lines = validate_layer(roads, kind="roads", allow_empty=True)
    require_metric({"households": homes, "stations": posts, "roads": lines})
    return _by_network_valid(
        homes,
        posts,
        lines,
        max_distance=max_distance,
        snap_tolerance=snap_tolerance,
        id_column=id_column,
        station_id_column=station_id_column,
    )


def _by_network_valid(
    homes: gpd.GeoDataFrame,
    posts: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    *,
    max_distance: float,
    snap_tolerance: float,
    id_column: str,
    station_id_column: str,
) -> pd.DataFrame:
    """:func:`assign_by_network` on layers that ``validate_layer`` returned, in metres."""
    station_ids = posts[station_id_column].to_numpy(dtype=object)
    found = network_distances(
        homes.geometry.to_numpy(),
        posts,
        lines,
        max_distance=max_distance,
        snap_tolerance=snap_tolerance,
        station_id_column=station_id_column,
    )
    # station of each rank (the labels of the network distances), then null
    by_rank = with_null(station_ids[np.argsort(station_ids.astype(str), kind="stable")])
    distance, snapped, label, reason = found
    served = reason < 0
    index = pd.Index(homes[id_column].to_numpy(dtype=object), dtype=object, name=id_column)
    return pd.DataFrame(
        {
            "station_id": pd.Series(
                by_rank[np.where(served, label, -1)], index=index, dtype=object
            ),
            "distance": pd.Series(distance, index=index),
            "snap_distance": pd.Series(snapped, index=index),
            "status": pd.Series(
                pd.Categorical.from_codes(np.where(served, 0, 1), dtype=_STATUS_DTYPE),
                index=index,
            ),
            "reason": pd.Series(
                pd.Categorical.from_codes(reason, dtype=_REASON_DTYPE), index=index
            ),
        },
        index=index,
    )


def network_distances(
    points: np.ndarray,
    posts: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    *,
    max_distance: float,
    snap_tolerance: float,
    station_id_column: str,
    prune: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Compute the arrays of :func:`assign_by_network` for household `points` (valid layers).

    With `prune`, households that :func:`gridgov.graph.certainly_within`
    proves to be within `max_distance` (and within `snap_tolerance` of a
    road) are not snapped: their distances are NaN, their label -1 and their
    reason -1 (served).  ``check`` uses this: it reports only the others.

    Returns
    -------
    distance : ndarray of float
        Network distance to the nearest station, snap distance included (inf
        when unreachable).
    snap_distance : ndarray of float
        Distance to the nearest road.
    label : ndarray of int
        Rank (by station id) of the nearest station.
    reason : ndarray of int8
        Position in ``REASONS`` of why the household is not served, -1 when
        it is.
    """
    network = graph.road_network(lines.geometry.to_numpy())
    station_ids = posts[station_id_column].to_numpy(dtype=object)
    rank = ranks(station_ids)
    at_station = network.snap(posts.geometry.to_numpy())
    off_road = at_station.distance > snap_tolerance
    if off_road.any():
        far = station_ids[off_road].tolist()
        warnings.warn(
            f"{len(far)} station(s) farther than snap_tolerance={snap_tolerance} m from every "
            f"road serve no household (ids {', '.join(map(repr, far[:5]))}); "
            "check their positions or raise snap_tolerance",
            GridgovWarning,
            stacklevel=4,
        )
    sources = graph.Snap(
        np.where(off_road, -1, at_station.piece), at_station.along, at_station.distance
    )
    field = graph.source_field(network, sources, offsets=at_station.distance, labels=rank)
    n = len(points)
    distance, snapped = np.full(n, np.nan), np.full(n, np.nan)
    label = np.full(n, -1, dtype=np.int64)
    reason = np.full(n, -1, dtype=np.int8)
    rows = np.arange(n)
    if prune and field is not None:
        rows = np.flatnonzero(
            ~graph.certainly_within(field, points, min(max_distance, snap_tolerance))
        )
    at_home = network.snap(np.asarray(points, dtype=object)[rows])
    home_off = at_home.distance > snap_tolerance
    targets = graph.Snap(np.where(home_off, -1, at_home.piece), at_home.along, at_home.distance)
    if field is None:
        along, nearest = np.full(len(rows), np.inf), np.full(len(rows), -1, dtype=np.int64)
    else:
        along, nearest = field.evaluate(targets)
    far_away = along + at_home.distance
    far_away[home_off] = np.inf
    reachable = np.isfinite(far_away)
    served = reachable & (far_away <= max_distance)
    why = np.full(len(rows), -1, dtype=np.int8)
    why[~reachable] = REASONS.index("disconnected")
    why[home_off] = REASONS.index("off_road")
    why[reachable & ~served] = REASONS.index("beyond_max_distance")
    distance[rows], snapped[rows], label[rows], reason[rows] = (
        far_away,
        at_home.distance,
        nearest,
        why,
    )
    return distance, snapped, label, reason
