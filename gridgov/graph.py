"""Graphs: road networks and snapping; network distances and grid partitions re-exported.

This is the module of gridgov that builds road graphs.  A road layer becomes a
:class:`RoadNetwork`: the lines are noded at every intersection
(:func:`shapely.node`), each noded piece is an edge weighted by its length,
and points (households, stations) are snapped to the nearest piece.
:func:`nearest_along_network` then finds, for every target point, the nearest
source point along the roads, with the snap distances included.

Every crossing of two lines becomes a node: bridges and tunnels that cross
without a junction are connected, and lines that end a few centimetres short of
each other are not.  Clean the road layer first when that matters.

The network distances (:func:`nearest_along_network`, :func:`source_field`,
:func:`certainly_within`, :func:`lexicographic_dijkstra`) live in
:mod:`gridgov.graph_distances`, the grid adjacency and balanced partitions
used by :func:`gridgov.propose` (:func:`adjacency`, :class:`PartitionGraph`,
:func:`balanced_partition`) in :mod:`gridgov.partition`; both are re-exported
here, so every name of ``gridgov.graph`` keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import shapely

from gridgov._core.coords import point_xy
from gridgov._core.segments import Segments, project, segment_boxes
from gridgov.graph_distances import (
    SourceField,
    certainly_within,
    lexicographic_dijkstra,
    nearest_along_network,
    source_field,
)
from gridgov.partition import (
    BALANCE_TOLERANCE,
    SWEEP_ANGLES,
    PartitionGraph,
    adjacency,
    balanced_partition,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "BALANCE_TOLERANCE",
    "SWEEP_ANGLES",
    "PartitionGraph",
    "RoadNetwork",
    "Snap",
    "SourceField",
    "adjacency",
    "balanced_partition",
    "certainly_within",
    "edge_components",
    "lexicographic_dijkstra",
    "nearest_along_network",
    "road_network",
    "source_field",
]


#: Radii (metres) of the bounding-box queries that find the candidate roads of a
#: point before their exact distances, tried in turn for the points not yet snapped;
#: points farther from every road fall back to the (slower) nearest-neighbour
#: search.  They change speed only, never results.
SNAP_RADII: tuple[float, ...] = (32.0, 128.0)


_SNAP_CHUNK = 1 << 15  # points per chunk of the snapping arithmetic


@dataclass(frozen=True)
class Snap:
    """Points snapped to the pieces of a :class:`RoadNetwork`.

    Attributes
    ----------
    piece : ndarray of int64
        Position of the nearest piece of each point.
    along : ndarray of float64
        Distance from the start of that piece to the snapped point, along the piece.
    distance : ndarray of float64
        Straight-line distance from the point to the piece (the snap distance).
    """

    piece: np.ndarray
    along: np.ndarray
    distance: np.ndarray


@dataclass(frozen=True)
class RoadNetwork:
    """Road lines noded at intersections, as pieces between nodes and as a graph.

    Build it with :func:`road_network`.

    Attributes
    ----------
    pieces : ndarray of LineString
        The noded pieces; no piece crosses another except at its ends.
    start, end : ndarray of int64
        Node of the first and of the last point of each piece.
    length : ndarray of float64
        Length of each piece.
    nodes : ndarray of float64, shape (n, 2)
        Coordinates of the nodes.
    graph : networkx.Graph
        Nodes ``0 .. n - 1``; one edge per pair of nodes joined by a piece,
        with ``weight`` the length of the shortest such piece.  Loops (a piece
        from a node back to itself) are left out: they never shorten a path.
        Built on first use (a property): the network distances of
        :func:`nearest_along_network` run on arrays and do not need it.
    """

    pieces: np.ndarray
    start: np.ndarray
    end: np.ndarray
    length: np.ndarray
    nodes: np.ndarray
    _tree: shapely.STRtree = field(repr=False, compare=False)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def graph(self) -> nx.Graph:
        """The networkx graph (built on first use; the distances do not need it)."""
        found = self._cache.get("graph")
        if found is None:
            found = nx.Graph()
            found.add_nodes_from(range(len(self.nodes)))
            head = self.edges()
            found.add_weighted_edges_from(
                zip(
                    self.start[head].tolist(),
                    self.end[head].tolist(),
                    self.length[head].tolist(),
                    strict=True,
                )
            )
            self._cache["graph"] = found
        return found

    def edges(self) -> np.ndarray:
        """Return the pieces that are graph edges: the shortest per pair of nodes, no loops."""
        found = self._cache.get("edges")
        if found is None:
            found = self._cache["edges"] = _edges(self.start, self.end, self.length)
        return found

    def segments(self) -> Segments:
        """Return the straight segments of the pieces (computed once)."""
        found = self._cache.get("segments")
        if found is None:
            found = self._cache["segments"] = Segments.of(self.pieces)
        return found

    def segment_tree(self, radius: float) -> shapely.STRtree:
        """Return a tree of the segments' bounding boxes grown by `radius` (built once per radius).

        The candidates of a point within `radius` of the roads are the
        segments whose grown box holds it; used by :meth:`snap` and
        :func:`certainly_within`.
        """
        tree = self._cache.get(("grown", radius))
        if tree is None:
            tree = self._cache[("grown", radius)] = segment_boxes(self.segments(), radius)
        return tree

    def snap(self, points: np.ndarray) -> Snap:
        """Snap `points` to their nearest piece.

        Parameters
        ----------
        points : ndarray of Point
            The points (non-empty), in the CRS of the roads.

        Returns
        -------
        Snap
            For each point, the nearest piece (the lowest piece position among
            pieces at exactly the same distance), the position along it and the
            snap distance.

        Examples
        --------
        >>> from shapely import LineString, Point
        >>> net = road_network([LineString([(0, 0), (100, 0)])])
        >>> snap = net.snap(np.array([Point(30, 4)]))
        >>> snap.along.tolist(), snap.distance.tolist()
        ([30.0], [4.0])
        """
        n = len(points)
        if n == 0 or len(self.pieces) == 0:
            return Snap(np.full(n, -1, dtype=np.int64), np.full(n, np.nan), np.full(n, np.inf))
        chosen = np.full(n, -1, dtype=np.int64)
        snapped = np.full(n, np.inf)
        along = np.full(n, np.nan)
        xy = point_xy(points)
        segments = self.segments()
        a, b, seg_piece = segments.a, segments.b, segments.piece
        seg_len, seg_start = segments.length, segments.start
        # Most points lie near a road.  For a radius r, the segments whose bounding box
        # grown by r holds a point are a superset of the segments within r of it: when the
        # nearest of those candidates is within r, it is the nearest of all.  A bounding-box
        # query and numpy point-segment distances are far cheaper than GEOS distances or
        # its nearest-neighbour search; the points far from every road go on to a larger r.
        far = np.arange(n)
        radii = [*SNAP_RADII, np.inf]
        for k, radius in enumerate(radii):
            tree = self.segment_tree(radius) if np.isfinite(radius) else None
            # chunks of points: the temporaries of the arithmetic stay small and in cache
            for first in range(0, len(far), _SNAP_CHUNK):
                some = far[first : first + _SNAP_CHUNK]
                if tree is not None:
                    # the grown boxes in the tree and the points querying it: the answers
                    # come grouped by point, in order, so no sort is needed to reduce them
                    point, seg = tree.query(points[some])
                    point = some[point]
                else:  # the last points: every segment of the pieces nearest by GEOS
                    (q, piece), _ = self._tree.query_nearest(
                        points[some], return_distance=True, all_matches=True
                    )
                    starts = np.searchsorted(seg_piece, piece, side="left")
                    stops = np.searchsorted(seg_piece, piece, side="right")
                    counts = stops - starts
                    point = np.repeat(some[q], counts)
                    seg = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(
                        counts.sum()
                    )
                t, distance = project(xy[point], a[seg], b[seg], seg_len[seg])
                pick = _nearest_candidate(point, seg_piece[seg], distance, seg)
                who, seg = point[pick], seg[pick]
                chosen[who], snapped[who] = seg_piece[seg], distance[pick]
                along[who] = seg_start[seg] + t[pick] * seg_len[seg]
            undecided = far[snapped[far] > radius]
            if k < len(radii) - 1:
                chosen[undecided], snapped[undecided], along[undecided] = -1, np.inf, np.nan
            far = undecided
            if not len(far):
                break
        return Snap(chosen, np.clip(along, 0.0, self.length[chosen]), snapped)


def _project(
    p: np.ndarray, a: np.ndarray, b: np.ndarray, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Parameter (0..1) of the point of segment [a, b] nearest to p, and the distance."""
    ab = b - a
    squared = length * length
    t = np.einsum("ij,ij->i", p - a, ab) / np.where(squared > 0, squared, 1.0)
    t = np.clip(np.where(squared > 0, t, 0.0), 0.0, 1.0)
    # the ends exactly, so that a point nearest to a node is equally far from its pieces
    foot = np.where((t >= 1.0)[:, None], b, a + t[:, None] * ab)
    return t, np.hypot(p[:, 0] - foot[:, 0], p[:, 1] - foot[:, 1])


def _nearest_candidate(
    point: np.ndarray, piece: np.ndarray, distance: np.ndarray, seg: np.ndarray
) -> np.ndarray:
    """Position of each point's nearest candidate (lowest piece, then segment, on ties).

    Linear in the number of candidates once they are grouped by point (STRtree
    answers come grouped by query; they are sorted stably otherwise).
    """
    if len(point) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.arange(len(point))
    if np.any(point[1:] < point[:-1]):
        order = np.argsort(point, kind="stable")
        point, piece, distance, seg = point[order], piece[order], distance[order], seg[order]
    new_group = np.r_[True, point[1:] != point[:-1]]
    starts = np.flatnonzero(new_group)
    group = np.cumsum(new_group) - 1
    big = np.iinfo(np.int64).max
    best = distance == np.minimum.reduceat(distance, starts)[group]
    best &= piece == np.minimum.reduceat(np.where(best, piece, big), starts)[group]
    best &= seg == np.minimum.reduceat(np.where(best, seg, big), starts)[group]
    picked: np.ndarray = order[best]  # one per point: a (point, segment) pair is unique
    return picked


def road_network(lines: Iterable[Any]) -> RoadNetwork:
    """Node road lines at their intersections and build the weighted road graph.

    Parameters
    ----------
    lines : array-like of LineString or MultiLineString, or GeoSeries
        The road (or path) lines, in a metric CRS.

    Returns
    -------
    RoadNetwork
        Pieces, nodes and the :mod:`networkx` graph weighted by length.

    See Also
    --------
    nearest_along_network : nearest source along the network.

    Examples
    --------
    Two roads crossing make four pieces around one junction:

    >>> from shapely import LineString
    >>> net = road_network([LineString([(0, 0), (100, 0)]), LineString([(50, -50), (50, 50)])])
    >>> net.graph.number_of_nodes(), net.graph.number_of_edges(), sorted(net.length.tolist())
    (5, 4, [50.0, 50.0, 50.0, 50.0])
    """
    geoms = np.asarray(getattr(lines, "values", lines), dtype=object)
    parts = shapely.get_parts(geoms[~shapely.is_missing(geoms)])
    parts = parts[~shapely.is_empty(parts) & (shapely.length(parts) > 0)]
    if len(parts):
        noded = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
        pieces = noded[shapely.length(noded) > 0]
    else:
        pieces = np.zeros(0, dtype=object)
    coords = shapely.get_coordinates(pieces)
    stop = np.cumsum(shapely.get_num_coordinates(pieces))
    first, last = coords[stop - shapely.get_num_coordinates(pieces)], coords[stop - 1]
    ends = np.concatenate([first, last]).reshape(-1, 2)
    nodes, inverse = np.unique(ends, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    start, end = inverse[: len(pieces)], inverse[len(pieces) :]
    length = shapely.length(pieces).astype(np.float64)
    return RoadNetwork(pieces, start, end, length, nodes, shapely.STRtree(pieces))


def _edges(start: np.ndarray, end: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Pieces that are graph edges: the shortest per pair of nodes, loops left out."""
    low, high = np.minimum(start, end), np.maximum(start, end)
    order: np.ndarray = np.lexsort((length, high, low))
    order = order[low[order] != high[order]]
    if not len(order):
        return order
    pair = np.stack([low[order], high[order]], axis=1)
    head: np.ndarray = order[np.r_[True, np.any(pair[1:] != pair[:-1], axis=1)]]
    return head


def edge_components(n_nodes: int, edges_a: np.ndarray, edges_b: np.ndarray) -> np.ndarray:
    """Label the connected components of an edge list by their smallest node.

    Vectorised label propagation with pointer jumping, for graphs given as
    arrays (no networkx graph is built).

    Examples
    --------
    >>> edge_components(5, np.array([0, 3]), np.array([1, 4])).tolist()
    [0, 0, 2, 3, 3]
    """
    labels = np.arange(n_nodes)
    if len(edges_a) == 0:
        return labels
    while True:
        low = np.minimum(labels[edges_a], labels[edges_b])
        updated = labels.copy()
        np.minimum.at(updated, edges_a, low)
        np.minimum.at(updated, edges_b, low)
        updated = updated[updated]  # pointer jumping
        if np.array_equal(updated, labels):
            return labels
        labels = updated
