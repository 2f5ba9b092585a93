"""Graphs: road networks, snapping and shortest network distances.

This is the only module of gridgov that builds :mod:`networkx` graphs.  A road
layer becomes a :class:`RoadNetwork`: the lines are noded at every
intersection (:func:`shapely.node`), each noded piece is an edge weighted by
its length, and points (households, stations) are snapped to the nearest
piece.  :func:`nearest_along_network` then finds, for every target point, the
nearest source point along the roads, with the snap distances included.

Every crossing of two lines becomes a node: bridges and tunnels that cross
without a junction are connected, and lines that end a few centimetres short of
each other are not.  Clean the road layer first when that matters.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import shapely

from gridgov._coords import point_xy
from gridgov.errors import GridgovError

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable, Mapping

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
class _Segments:
    """The straight segments of a network's pieces: ends, piece, length, start along the piece."""

    a: np.ndarray
    b: np.ndarray
    piece: np.ndarray
    length: np.ndarray
    start: np.ndarray


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

    def segments(self) -> _Segments:
        """Return the straight segments of the pieces (computed once)."""
        found = self._cache.get("segments")
        if found is None:
            coords, part = shapely.get_coordinates(self.pieces, return_index=True)
            same = part[1:] == part[:-1]
            a, b, piece = coords[:-1][same], coords[1:][same], part[:-1][same]
            length = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
            before = np.cumsum(length) - length  # along the piece, to each segment's start
            first = np.r_[True, piece[1:] != piece[:-1]]
            start = before - np.maximum.accumulate(np.where(first, before, 0.0))
            found = self._cache["segments"] = _Segments(a, b, piece, length, start)
        return found

    def _grown(self, radius: float) -> shapely.STRtree:
        """Tree of the segments' bounding boxes grown by `radius` (built once per radius)."""
        tree = self._cache.get(("grown", radius))
        if tree is None:
            seg = self.segments()
            low, high = np.minimum(seg.a, seg.b) - radius, np.maximum(seg.a, seg.b) + radius
            tree = shapely.STRtree(shapely.box(low[:, 0], low[:, 1], high[:, 0], high[:, 1]))
            self._cache[("grown", radius)] = tree
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
            tree = self._grown(radius) if np.isfinite(radius) else None
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
                t, distance = _project(xy[point], a[seg], b[seg], seg_len[seg])
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


def lexicographic_dijkstra(
    graph: nx.Graph,
    sources: Mapping[Hashable, tuple[float, int]],
    *,
    weight: str = "weight",
) -> dict[Hashable, tuple[float, int]]:
    """Nearest source of every node, ties broken by the smallest source label.

    A multi-source Dijkstra where each source starts at its own offset and
    carries a label: every reachable node gets the smallest ``(distance,
    label)`` pair over all sources and paths, compared lexicographically.  So
    the result never depends on the order of nodes, edges or sources, unlike
    :func:`networkx.multi_source_dijkstra`, which starts every source at 0 and
    breaks ties by insertion order.

    Parameters
    ----------
    graph : networkx.Graph
        Undirected graph with non-negative edge weights.
    sources : mapping of node to (offset, label)
        Start nodes, each with its starting distance (e.g. how far the station
        is from the road) and an integer label (e.g. the rank of the station id).
    weight : str, default "weight"
        Edge attribute holding the length.

    Returns
    -------
    dict of node to (distance, label)
        Reachable nodes only.

    Examples
    --------
    >>> g = nx.path_graph(4)
    >>> nx.set_edge_attributes(g, 10.0, "weight")
    >>> sorted(lexicographic_dijkstra(g, {0: (0.0, 7), 3: (0.0, 2)}).items())
    [(0, (0.0, 7)), (1, (10.0, 7)), (2, (10.0, 2)), (3, (0.0, 2))]
    """
    best: dict[Hashable, tuple[float, int]] = {}
    counter = itertools.count()
    heap: list[tuple[float, int, int, Hashable]] = [
        (float(offset), int(label), next(counter), node)
        for node, (offset, label) in sources.items()
    ]
    heapq.heapify(heap)
    adjacency = graph.adj
    while heap:
        dist, label, _, node = heapq.heappop(heap)
        if node in best:
            continue
        best[node] = (dist, label)
        for neighbour, data in adjacency[node].items():
            if neighbour in best:
                continue
            heapq.heappush(heap, (dist + float(data[weight]), label, next(counter), neighbour))
    return best


def _split_edges(
    network: RoadNetwork, piece: np.ndarray, along: np.ndarray, node: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges of the road graph plus those of the nodes splitting the pieces.

    The split nodes are sorted by piece, then along; each piece they split
    becomes a chain from its start through them to its end (its direct edge
    stays: it is never shorter than the chain).
    """
    head = network.edges()
    chain_start = np.ones(len(piece), dtype=bool)
    chain_start[1:] = piece[1:] != piece[:-1]
    chain_end = np.ones(len(piece), dtype=bool)
    chain_end[:-1] = chain_start[1:]
    previous = np.where(chain_start, network.start[piece], np.roll(node, 1))
    previous_along = np.where(chain_start, 0.0, np.roll(along, 1))
    tail = np.flatnonzero(chain_end)
    a = np.concatenate([network.start[head], previous, node[tail]])
    b = np.concatenate([network.end[head], node, network.end[piece[tail]]])
    w = np.concatenate(
        [network.length[head], along - previous_along, network.length[piece[tail]] - along[tail]]
    )
    return a, b, w


def _array_dijkstra(
    n_nodes: int,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray],
    sources: np.ndarray,
    offsets: np.ndarray,
    labels: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`lexicographic_dijkstra` on an undirected edge list, with array results.

    The same relaxations in the same arithmetic, so the same results, without
    building a networkx graph: the adjacency is a CSR of Python lists.

    Returns
    -------
    distance : ndarray of float64
        Per node, ``inf`` when unreachable.
    label : ndarray of int64
        Per node, the largest int64 when unreachable.
    """
    a, b, w = edges
    tails = np.concatenate([a, b])
    order = np.argsort(tails, kind="stable")
    heads = np.concatenate([b, a])[order].tolist()
    weights = np.concatenate([w, w])[order].tolist()
    indptr = np.r_[0, np.cumsum(np.bincount(tails, minlength=n_nodes))].tolist()
    best_dist = [math.inf] * n_nodes
    best_label = [-1] * n_nodes
    done = [False] * n_nodes
    counter = itertools.count()
    heap = [
        (float(o), int(lab), next(counter), int(n))
        for n, o, lab in zip(sources.tolist(), offsets.tolist(), labels.tolist(), strict=True)
    ]
    heapq.heapify(heap)
    while heap:
        dist, label, _, node = heapq.heappop(heap)
        if done[node]:
            continue
        done[node] = True
        best_dist[node], best_label[node] = dist, label
        for k in range(indptr[node], indptr[node + 1]):
            neighbour = heads[k]
            if not done[neighbour]:
                heapq.heappush(heap, (dist + weights[k], label, next(counter), neighbour))
    distance = np.array(best_dist, dtype=np.float64)
    found = np.array(best_label, dtype=np.int64)
    found[~np.isfinite(distance)] = np.iinfo(np.int64).max
    return distance, found


def _bracket(
    network: RoadNetwork, piece: np.ndarray, along: np.ndarray, node: np.ndarray, targets: Snap
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each target, the nodes just before and just after it on its piece, and their places."""
    t_piece = np.where(targets.piece >= 0, targets.piece, 0)
    t_along = np.where(targets.piece >= 0, targets.along, 0.0)
    piece_offset = np.concatenate([[0.0], np.cumsum(network.length + 1.0)])
    s_key = piece_offset[piece] + along
    t_key = piece_offset[t_piece] + t_along
    before = np.searchsorted(s_key, t_key, side="right") - 1
    before_ok = before >= 0
    before_ok[before_ok] = piece[before[before_ok]] == t_piece[before_ok]
    after = np.searchsorted(s_key, t_key, side="left")
    after_ok = after < len(s_key)
    after_ok[after_ok] = piece[after[after_ok]] == t_piece[after_ok]
    before = np.clip(before, 0, None)
    after = np.clip(after, 0, len(node) - 1)
    return (
        np.where(before_ok, node[before], network.start[t_piece]),
        np.where(before_ok, along[before], 0.0),
        np.where(after_ok, node[after], network.end[t_piece]),
        np.where(after_ok, along[after], network.length[t_piece]),
    )


def nearest_along_network(
    network: RoadNetwork,
    sources: Snap,
    targets: Snap,
    *,
    offsets: np.ndarray,
    labels: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest source of every target along the road network.

    Sources are inserted into the graph as nodes splitting their piece, so
    that a target on the same piece as a source is measured along the piece.
    The distance of a target is the smallest, over sources, of the source's
    offset plus the network distance between the two snapped positions; the
    target's own snap distance is *not* added.  A target gets the smaller of
    the two ways out of its piece (or of its stretch between two sources).

    Parameters
    ----------
    network : RoadNetwork
        The roads.
    sources : Snap
        Snapped sources (pieces ``-1`` are ignored).
    targets : Snap
        Snapped targets (pieces ``-1`` get no source).
    offsets : ndarray of float64
        Starting distance of each source (typically its snap distance).
    labels : ndarray of int64
        Label of each source; among sources at exactly the same distance the
        smallest label wins.

    Returns
    -------
    distance : ndarray of float64
        Network distance to the nearest source, ``inf`` when none is reachable.
    label : ndarray of int64
        Label of that source, ``-1`` when none is reachable.

    Examples
    --------
    >>> from shapely import LineString, Point
    >>> net = road_network([LineString([(0, 0), (100, 0)])])
    >>> stations = net.snap(np.array([Point(10, 0), Point(90, 0)]))
    >>> homes = net.snap(np.array([Point(40, 0), Point(60, 0)]))
    >>> nearest_along_network(net, stations, homes, offsets=np.zeros(2), labels=np.array([0, 1]))
    (array([30., 30.]), array([0, 1]))
    """
    field = source_field(network, sources, offsets=offsets, labels=labels)
    if field is None:
        n_targets = len(targets.piece)
        return np.full(n_targets, np.inf), np.full(n_targets, -1, dtype=np.int64)
    return field.evaluate(targets)


@dataclass(frozen=True)
class SourceField:
    """The nearest source of every node of a road network: build it with :func:`source_field`.

    Attributes
    ----------
    network : RoadNetwork
        The roads.
    piece, along : ndarray
        Piece and position of each source, sorted by piece then position.
    node : ndarray of int64
        The node each source adds to the graph (numbered after the network's).
    distance : ndarray of float64
        Distance to the nearest source of every node (the network's, then the
        sources'), ``inf`` when none is reachable.
    label : ndarray of int64
        Label of that source (the largest int64 when none).
    """

    network: RoadNetwork
    piece: np.ndarray
    along: np.ndarray
    node: np.ndarray
    distance: np.ndarray
    label: np.ndarray

    def evaluate(self, targets: Snap) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the nearest source and its label for snapped `targets`.

        See :func:`nearest_along_network`.
        """
        p_node, p_along, q_node, q_along = _bracket(
            self.network, self.piece, self.along, self.node, targets
        )
        d1 = self.distance[p_node] + (targets.along - p_along)
        d2 = self.distance[q_node] + (q_along - targets.along)
        l1, l2 = self.label[p_node], self.label[q_node]
        take_first = (d1 < d2) | ((d1 == d2) & (l1 <= l2))
        distance = np.where(take_first, d1, d2)
        label = np.where(take_first, l1, l2)
        unreached = (targets.piece < 0) | ~np.isfinite(distance)
        distance[unreached] = np.inf
        label[unreached] = -1
        return distance, label

    def piece_bound(self) -> np.ndarray:
        """Return an upper bound of the distance of every point of each piece.

        A point at *t* along a piece from node *u* to node *v* is at most
        ``min(d(u) + t, d(v) + length - t)`` from a source (sources on the
        piece only bring it nearer), whose largest value over the piece is
        ``(d(u) + d(v) + length) / 2``.

        Examples
        --------
        >>> from shapely import LineString, Point
        >>> net = road_network([LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 60)])])
        >>> s = net.snap(np.array([Point(0, 0)]))
        >>> field = source_field(net, s, offsets=np.zeros(1), labels=np.zeros(1, dtype=np.int64))
        >>> field.piece_bound().tolist()  # the farthest point of each piece
        [100.0, 160.0]
        """
        net = self.network
        bound: np.ndarray = (self.distance[net.start] + self.distance[net.end] + net.length) / 2.0
        return bound


def source_field(
    network: RoadNetwork, sources: Snap, *, offsets: np.ndarray, labels: np.ndarray
) -> SourceField | None:
    """Run the multi-source Dijkstra of :func:`nearest_along_network` (None: no source or road).

    Parameters
    ----------
    network, sources, offsets, labels
        As for :func:`nearest_along_network`.

    Returns
    -------
    SourceField or None
    """
    keep = np.flatnonzero(sources.piece >= 0)
    if len(keep) == 0 or len(network.pieces) == 0:
        return None
    n_nodes = len(network.nodes)
    order = keep[np.lexsort((sources.along[keep], sources.piece[keep]))]
    piece, along = sources.piece[order], sources.along[order]
    node = n_nodes + np.arange(len(order), dtype=np.int64)
    node_dist, node_label = _array_dijkstra(
        n_nodes + len(order),
        _split_edges(network, piece, along, node),
        node,
        offsets[order].astype(np.float64),
        labels[order].astype(np.int64),
    )
    return SourceField(network, piece, along, node, node_dist, node_label)


def certainly_within(
    field: SourceField, points: np.ndarray, limit: float, *, cell: float | None = None
) -> np.ndarray:
    """Points whose snapped network distance to the nearest source is certainly at most `limit`.

    The points are binned into square cells; a cell of centre *c* and
    half-diagonal *h* is certified when a bound of the distance of every point
    *p* in it is at most `limit`, without snapping the points one by one:

    - *p* is within ``rho = dist(c, road) + h`` of a road, so its nearest
      segment *s* lies within ``rho + h`` of *c* (these are the candidates);
    - its snap distance is at most ``min(rho, dist(c, s) + h)``;
    - projecting onto a straight segment moves by no more than the point
      moves, so *p* snaps within *h* of where *c* projects on *s*; along the
      piece, a point at *t* from its start node *u* (end node *v*) is at most
      ``min(d(u) + t, d(v) + length - t)`` from a source, which has a
      closed-form maximum over that stretch.

    The bound of the cell is the largest, over its candidates, of the two
    terms' sum.  The test is one-sided: points not certified may or may not
    be within `limit`.

    Parameters
    ----------
    field : SourceField
        The sources and the network.
    points : ndarray of Point
        The points (e.g. households), in the CRS of the roads.
    limit : float
        The distance.
    cell : float, optional
        Side of the cells; by default such that the points' bounding box has
        about 16 points per cell, between 5 m and 200 m (speed only, never results).

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> from shapely import LineString, Point
    >>> net = road_network([LineString([(0, 0), (1000, 0)])])
    >>> s = net.snap(np.array([Point(0, 0)]))
    >>> field = source_field(net, s, offsets=np.zeros(1), labels=np.zeros(1, dtype=np.int64))
    >>> homes = shapely.points([(100, 5), (101, 6), (700, 5)])
    >>> certainly_within(field, homes, 500.0, cell=10.0).tolist()
    [True, True, False]
    """
    n = len(points)
    out = np.zeros(n, dtype=bool)
    if n == 0 or not np.isfinite(limit) or not len(field.network.pieces):
        return out
    xy = point_xy(points)
    low = xy.min(axis=0)
    if cell is None:
        extent = float(np.prod(np.maximum(xy.max(axis=0) - low, 1.0)))
        cell = float(np.clip(math.sqrt(16.0 * extent / n), 5.0, 200.0))
    index = np.floor((xy - low) / cell).astype(np.int64)
    width = int(index[:, 1].max()) + 1
    key = index[:, 0] * width + index[:, 1]
    span = (int(index[:, 0].max()) + 1) * width
    if span <= 4 * n:  # the occupied cells by counting, in linear time
        occupied = np.bincount(key, minlength=span) > 0
        cells = np.flatnonzero(occupied)
        inverse = (np.cumsum(occupied) - 1)[key]
    else:
        cells, inverse = np.unique(key, return_inverse=True)
    centre = low + (np.column_stack([cells // width, cells % width]) + 0.5) * cell
    bound = _cell_bounds(field, centre, cell * math.sqrt(2.0) / 2.0)
    return np.asarray((bound <= limit)[inverse.reshape(-1)], dtype=bool)


def _cell_bounds(field: SourceField, centre: np.ndarray, half: float) -> np.ndarray:
    """Bound of the network distance of every point within `half` of each centre."""
    network = field.network
    seg = network.segments()
    rho = network.snap(shapely.points(centre)).distance + half
    reach = rho + half
    # candidates: segments within reach of the centre (their boxes, then exact distances)
    ci, si = network._grown(0.0).query(
        shapely.box(
            centre[:, 0] - reach, centre[:, 1] - reach, centre[:, 0] + reach, centre[:, 1] + reach
        )
    )
    t, gap = _project(centre[ci], seg.a[si], seg.b[si], seg.length[si])
    near = gap <= reach[ci]
    ci, si, t, gap = ci[near], si[near], t[near], gap[near]
    # where the points of the cell snap on the segment, as distances along its piece
    at = seg.start[si] + t * seg.length[si]
    lo = np.maximum(at - half, seg.start[si])
    hi = np.minimum(at + half, seg.start[si] + seg.length[si])
    piece = seg.piece[si]
    du = field.distance[network.start[piece]]
    dv = field.distance[network.end[piece]]
    total = network.length[piece]
    with np.errstate(invalid="ignore"):  # inf - inf where neither end is reached
        peak = np.clip((dv + total - du) / 2.0, lo, hi)  # min(du + x, dv + total - x) is largest
    along = np.minimum(du + peak, dv + total - peak)
    along = np.where(np.isnan(along), np.inf, along)
    worst = np.minimum(rho[ci], gap + half) + along
    bound = np.full(len(centre), np.inf)
    order = np.argsort(ci, kind="stable")
    ci, worst = ci[order], worst[order]
    if len(ci):
        starts = np.flatnonzero(np.r_[True, ci[1:] != ci[:-1]])
        bound[ci[starts]] = np.maximum.reduceat(worst, starts)
    return bound


# -- balanced contiguous partition of polygons (used by gridgov.propose) ------------------

#: Sweep directions tried before random spanning trees: straight cuts at these angles.
SWEEP_ANGLES = tuple(math.pi * k / 4 for k in range(8))

#: Parts whose loads all lie within this fraction of the mean load count as even.
BALANCE_TOLERANCE = 0.05


def adjacency(geoms: np.ndarray, *, tolerance: float = 0.0) -> nx.Graph:
    """Rook adjacency of polygons: nodes ``0..n-1``, edges where boundaries share length.

    Edge attribute ``length`` is the shared boundary length (metres).  With
    ``tolerance > 0`` a boundary counts as shared where it lies within that
    distance of the other polygon (digitising noise between neighbours), and
    must be longer than ten times the tolerance (corners meeting are no edge).

    Examples
    --------
    >>> from shapely import box
    >>> cells = np.array([box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 1, 3, 2)])
    >>> sorted(adjacency(cells).edges(data="length"))
    [(0, 1, 1.0)]
    """
    graph = nx.Graph()
    graph.add_nodes_from(range(len(geoms)))
    if len(geoms) < 2:
        return graph
    tree = shapely.STRtree(geoms)
    if tolerance > 0:
        left, right = tree.query(geoms, predicate="dwithin", distance=tolerance)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    rings = shapely.boundary(geoms)
    if tolerance > 0:
        shared = shapely.intersection(rings[left], shapely.buffer(geoms[right], tolerance))
    else:
        shared = shapely.intersection(rings[left], rings[right])
    length = shapely.length(shared)
    edge = length > 10 * tolerance  # polygons meeting at a corner share no boundary
    graph.add_weighted_edges_from(
        zip(left[edge].tolist(), right[edge].tolist(), length[edge].tolist(), strict=True),
        weight="length",
    )
    return graph


@dataclass(frozen=True)
class PartitionGraph:
    """A node-weighted graph in array form, for the partition search."""

    graph: nx.Graph  # nodes 0..n-1, edge attribute "length"
    weight: np.ndarray  # households per node
    blocks: np.ndarray  # block (unit, road face) of each node
    xy: np.ndarray  # a point of each node, for sweeps
    source: np.ndarray = field(init=False)  # edges (source < target), sorted
    target: np.ndarray = field(init=False)
    length: np.ndarray = field(init=False)
    neighbours: list[list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        edges = sorted(
            (min(u, v), max(u, v), d["length"]) for u, v, d in self.graph.edges(data=True)
        )
        array = np.array(edges, dtype=float).reshape(-1, 3)
        source, target = array[:, 0].astype(np.int64), array[:, 1].astype(np.int64)
        neighbours: list[list[int]] = [[] for _ in range(len(self.weight))]
        for u, v in zip(source.tolist(), target.tolist(), strict=True):
            neighbours[u].append(v)
            neighbours[v].append(u)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "length", array[:, 2])
        object.__setattr__(self, "neighbours", neighbours)

    def connected(self, mask: np.ndarray) -> bool:
        """Whether the nodes in `mask` induce a connected subgraph (breadth-first search)."""
        nodes = np.flatnonzero(mask)
        if len(nodes) == 0:
            return False
        neighbours = self.neighbours
        seen = {int(nodes[0])}
        frontier = [int(nodes[0])]
        while frontier:
            node = frontier.pop()
            for other in neighbours[node]:
                if mask[other] and other not in seen:
                    seen.add(other)
                    frontier.append(other)
        return len(seen) == len(nodes)

    def cut_length(self, label: np.ndarray) -> float:
        """Total length of the edges between nodes with different labels."""
        return float(self.length[label[self.source] != label[self.target]].sum())

    def blocks_cut(self, label: np.ndarray) -> int:
        """Count the blocks whose nodes lie in several parts (label -1: ignored)."""
        valid = label >= 0
        if not valid.any():
            return 0
        width = int(label.max()) + 1
        codes = np.unique(self.blocks[valid] * width + label[valid])
        return int((np.bincount(codes // width) > 1).sum())


def _spanning_tree(
    network: PartitionGraph, alive: np.ndarray, rng: np.random.Generator
) -> list[list[int]]:
    """Random spanning tree of the alive nodes (Kruskal), as adjacency lists.

    Edges between blocks weigh more than every edge inside one, so the tree
    crosses block boundaries as rarely as the graph allows.
    """
    noise = rng.random(len(network.source))
    weights = noise + (network.blocks[network.source] != network.blocks[network.target])
    usable = np.flatnonzero(alive[network.source] & alive[network.target])
    root = list(range(len(alive)))

    def find(node: int) -> int:
        while root[node] != node:
            root[node] = root[root[node]]
            node = root[node]
        return node

    adjacency: list[list[int]] = [[] for _ in range(len(alive))]
    for edge in usable[np.argsort(weights[usable], kind="stable")]:
        u, v = int(network.source[edge]), int(network.target[edge])
        ru, rv = find(u), find(v)
        if ru != rv:
            root[ru] = rv
            adjacency[u].append(v)
            adjacency[v].append(u)
    return adjacency


class _Cuts:
    """Candidate pieces of the alive nodes: their loads, and their node masks on demand."""

    def __init__(
        self,
        loads: np.ndarray,
        order: np.ndarray,
        spans: np.ndarray,
        alive: np.ndarray,
        complement: np.ndarray,
        *,
        connected: bool,
    ) -> None:
        self.loads = loads
        self.connected = connected  # every piece and its remainder are known to be connected
        self._order = order  # node order in which each piece is a contiguous slice
        self._spans = spans  # (start, stop) of each piece's slice
        self._alive = alive
        self._complement = complement  # the piece is the alive nodes outside the slice

    def mask(self, index: int) -> np.ndarray:
        start, stop = self._spans[index]
        inside = np.zeros(len(self._alive), dtype=bool)
        inside[self._order[start:stop]] = True
        return self._alive & ~inside if self._complement[index] else inside


def _tree_cuts(adjacency: list[list[int]], alive: np.ndarray, weight: np.ndarray) -> _Cuts:
    """Both sides of every edge of a spanning tree (subtrees are slices of a preorder)."""
    start = int(np.flatnonzero(alive)[0])
    order, parent, stack = [], {start: -1}, [start]
    while stack:
        node = stack.pop()
        order.append(node)
        for other in adjacency[node]:
            if other != parent[node]:
                parent[other] = node
                stack.append(other)
    size = dict.fromkeys(order, 1)
    load = {node: float(weight[node]) for node in order}
    for node in reversed(order[1:]):
        size[parent[node]] += size[node]
        load[parent[node]] += load[node]
    total = load[start]
    below = np.array([load[node] for node in order[1:]])
    starts = np.arange(1, len(order))
    stops = starts + np.array([size[node] for node in order[1:]], dtype=np.int64)
    spans = np.repeat(np.c_[starts, stops], 2, axis=0)
    loads = np.c_[below, total - below].ravel()
    complement = np.tile([False, True], len(starts))
    return _Cuts(loads, np.asarray(order), spans, alive, complement, connected=True)


def _sweep_cuts(network: PartitionGraph, alive: np.ndarray, angle: float) -> _Cuts:
    """List the pieces a straight line at `angle` sweeps off, node by node."""
    nodes = np.flatnonzero(alive)
    direction = np.array([math.cos(angle), math.sin(angle)])
    order = nodes[np.argsort(network.xy[nodes] @ direction, kind="stable")]
    loads = np.cumsum(network.weight[order])[:-1]
    spans = np.c_[np.zeros(len(loads), dtype=np.int64), np.arange(1, len(order))]
    return _Cuts(loads, order, spans, alive, np.zeros(len(loads), dtype=bool), connected=False)


def _bite(
    network: PartitionGraph,
    cuts: _Cuts,
    *,
    alive: np.ndarray,
    target: float,
    low: float,
    high: float,
    checked: int = 8,
) -> np.ndarray | None:
    """Pick the candidate piece with load in [low, high] closest to `target`, or None.

    Pieces cutting fewer blocks come first.  A piece and its remainder must be
    connected (known for tree cuts, checked on the `checked` best sweep cuts).
    """
    fits = np.flatnonzero((cuts.loads >= low) & (cuts.loads <= high))
    masks = {int(i): cuts.mask(int(i)) for i in fits}
    if not masks:
        return None
    size = int(network.blocks.max()) + 1
    in_alive = np.bincount(network.blocks[alive], minlength=size)
    ranked = []
    for i, mask in masks.items():
        in_piece = np.bincount(network.blocks[mask], minlength=size)
        split = int(((in_piece > 0) & (in_piece < in_alive)).sum())
        ranked.append((split, abs(float(cuts.loads[i]) - target), i))
    ranked.sort()
    for _, _, i in ranked if cuts.connected else ranked[:checked]:
        piece = masks[i]
        if cuts.connected or (network.connected(piece) and network.connected(alive & ~piece)):
            return piece
    return None


def balanced_partition(
    network: PartitionGraph,
    *,
    parts: int,
    low: float,
    high: float,
    rng: np.random.Generator,
    attempts: int,
) -> np.ndarray | None:
    """Balanced contiguous partition of the network into `parts` parts within [low, high].

    Attempt ``i`` bites parts off one at a time, each the candidate closest to
    the remaining mean: the first attempts with straight sweeps at
    :data:`SWEEP_ANGLES`, the rest with random spanning trees (gerrychain's
    recursive tree partition).  Of all successful attempts the partition kept
    cuts the fewest blocks, then is even (within :data:`BALANCE_TOLERANCE`),
    then has the shortest cut, then the smallest deviation.  Returns the part
    label of every node, or None.

    Examples
    --------
    >>> from shapely import box
    >>> cells = np.array([box(i, 0, i + 1, 1) for i in range(6)])
    >>> network = PartitionGraph(adjacency(cells), np.full(6, 10.0), np.zeros(6, dtype=int),
    ...                          shapely.get_coordinates(shapely.centroid(cells)))
    >>> label = balanced_partition(network, parts=2, low=25, high=35,
    ...                            rng=np.random.default_rng(0), attempts=4)
    >>> np.bincount(label).tolist(), network.connected(label == 0)
    ([3, 3], True)
    """
    count = len(network.weight)
    mean = float(network.weight.sum()) / parts
    best: tuple[tuple[int, bool, float, float, int], np.ndarray] | None = None
    for attempt in range(attempts):
        alive = np.ones(count, dtype=bool)
        label = np.full(count, parts - 1)
        for made in range(parts - 1):
            left = parts - made
            rest = float(network.weight[alive].sum())
            lo = max(low, rest - (left - 1) * high)
            hi = min(high, rest - (left - 1) * low)
            if attempt < len(SWEEP_ANGLES):
                cuts = _sweep_cuts(network, alive, SWEEP_ANGLES[attempt])
            else:
                cuts = _tree_cuts(_spanning_tree(network, alive, rng), alive, network.weight)
            piece = _bite(network, cuts, alive=alive, target=rest / left, low=lo, high=hi)
            if piece is None:
                break
            label[piece] = made
            alive &= ~piece
        else:
            loads = np.bincount(label, weights=network.weight, minlength=parts)
            deviation = float(np.abs(loads - mean).max())
            key = (
                network.blocks_cut(label),
                deviation > BALANCE_TOLERANCE * mean,
                round(network.cut_length(label), 6),
                deviation,
                attempt,
            )
            if best is None or key < best[0]:
                best = (key, label)
    if best is None:
        return None
    graph = network.graph
    for part in range(parts):
        nodes = np.flatnonzero(best[1] == part).tolist()
        if not nx.is_connected(graph.subgraph(nodes)):  # pragma: no cover - guaranteed above
            msg = "internal error: a part of a split is not contiguous"
            raise GridgovError(msg)
    return best[1]
