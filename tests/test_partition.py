"""Grid adjacency and balanced contiguous partitions (gridgov.partition)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import box

from gridgov import graph, partition
from gridgov.partition import PartitionGraph, adjacency, balanced_partition


@pytest.mark.parametrize("name", partition.__all__)
def test_names_stay_reachable_from_gridgov_graph(name: str) -> None:
    assert getattr(graph, name) is getattr(partition, name)
    assert name in graph.__all__


def test_adjacency_rook_not_queen() -> None:
    # a 2 x 2 block: diagonal neighbours meet at a corner only
    cells = np.array([box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2), box(1, 1, 2, 2)])
    edges = sorted(adjacency(cells).edges(data="length"))
    assert edges == [(0, 1, 1.0), (0, 2, 1.0), (1, 3, 1.0), (2, 3, 1.0)]


def test_adjacency_tolerance_bridges_digitising_gaps() -> None:
    cells = np.array([box(0, 0, 10, 10), box(10.05, 0, 20, 10)])
    assert adjacency(cells).number_of_edges() == 0
    (edge,) = adjacency(cells, tolerance=0.1).edges(data="length")
    assert edge[:2] == (0, 1)
    assert edge[2] == pytest.approx(10.0, abs=0.3)


def test_partition_graph_arrays() -> None:
    cells = np.array([box(i, 0, i + 1, 1) for i in range(4)])
    xy = shapely.get_coordinates(shapely.centroid(cells))
    network = PartitionGraph(adjacency(cells), np.ones(4), np.array([0, 0, 1, 1]), xy)
    assert network.source.tolist() == [0, 1, 2]
    assert network.target.tolist() == [1, 2, 3]
    assert network.connected(np.array([True, True, False, False]))
    assert not network.connected(np.array([True, False, True, False]))
    label = np.array([0, 0, 1, 1])
    assert network.cut_length(label) == pytest.approx(1.0)
    assert network.blocks_cut(label) == 0
    assert network.blocks_cut(np.array([0, 1, 1, 1])) == 1


@pytest.mark.parametrize("parts", [2, 3, 4])
def test_balanced_partition_is_contiguous_and_within_bounds(parts: int) -> None:
    cells = np.array([box(i, j, i + 1, j + 1) for i in range(6) for j in range(4)])
    weight = np.full(len(cells), 10.0)
    xy = shapely.get_coordinates(shapely.centroid(cells))
    network = PartitionGraph(adjacency(cells), weight, np.zeros(len(cells), dtype=int), xy)
    mean = weight.sum() / parts
    label = balanced_partition(
        network,
        parts=parts,
        low=0.8 * mean,
        high=1.2 * mean,
        rng=np.random.default_rng(0),
        attempts=12,
    )
    assert label is not None
    loads = np.bincount(label, weights=weight, minlength=parts)
    assert np.all((loads >= 0.8 * mean) & (loads <= 1.2 * mean))
    for part in range(parts):
        assert network.connected(label == part)


def test_balanced_partition_impossible_bounds_give_none() -> None:
    cells = np.array([box(i, 0, i + 1, 1) for i in range(3)])
    network = PartitionGraph(
        adjacency(cells),
        np.array([10.0, 100.0, 10.0]),
        np.zeros(3, dtype=int),
        shapely.get_coordinates(shapely.centroid(cells)),
    )
    rng = np.random.default_rng(0)
    assert balanced_partition(network, parts=2, low=55, high=65, rng=rng, attempts=10) is None
