"""Network distances: the nearest source of every point along a road network.

Sources (stations) are snapped to a :class:`gridgov.graph.RoadNetwork` and
inserted into its graph as nodes splitting their pieces; a multi-source
Dijkstra with ties broken by the smallest source label
(:func:`lexicographic_dijkstra`, on arrays in :func:`source_field`) gives the
nearest source of every node, and :meth:`SourceField.evaluate` that of every
snapped target.  :func:`certainly_within` certifies, cell by cell, points that
are within a distance without snapping them one by one.  All of these are
re-exported by :mod:`gridgov.graph`.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from gridgov._core.coords import point_xy
from gridgov._core.segments import project

if TYPE_CHECKING:
    from collections.abc import Hashable, Mapping

    import networkx as nx

    from gridgov.graph import RoadNetwork, Snap

__all__ = [
    "SourceField",
    "certainly_within",
    "lexicographic_dijkstra",
    "nearest_along_network",
    "source_field",
]


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
    >>> import networkx as nx
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
    >>> from gridgov.graph import road_network
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
        >>> from gridgov.graph import road_network
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
    >>> from gridgov.graph import road_network
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
    ci, si = network.segment_tree(0.0).query(
        shapely.box(
            centre[:, 0] - reach, centre[:, 1] - reach, centre[:, 0] + reach, centre[:, 1] + reach
        )
    )
    t, gap = project(centre[ci], seg.a[si], seg.b[si], seg.length[si])
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
