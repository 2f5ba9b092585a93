"""Grid adjacency and balanced contiguous partitions (used by :func:`gridgov.propose`).

:func:`adjacency` gives the rook adjacency of polygons (edges where boundaries
share length); a :class:`PartitionGraph` holds such a graph with a load, a
block and a point per node; :func:`balanced_partition` cuts it into a given
number of contiguous parts whose loads lie within bounds, by straight sweeps
at :data:`SWEEP_ANGLES` then random spanning trees (gerrychain's recursive
tree partition).  These names are re-exported by :mod:`gridgov.graph`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import shapely

from gridgov.errors import GridgovError

__all__ = [
    "BALANCE_TOLERANCE",
    "SWEEP_ANGLES",
    "PartitionGraph",
    "adjacency",
    "balanced_partition",
]


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
