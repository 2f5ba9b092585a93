"""Road graphs and assignment along roads, against hand-checked and brute-force distances."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point

from gridgov.assign import assign_by_network
from gridgov.errors import CRSError, GridgovWarning
from gridgov.graph import (
    certainly_within,
    lexicographic_dijkstra,
    nearest_along_network,
    road_network,
    source_field,
)

CRS = "EPSG:4549"


def frame(geoms: list[shapely.Geometry], **columns: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=CRS)


# --------------------------------------------------------------------------- noding


def test_crossing_roads_are_noded() -> None:
    net = road_network([LineString([(0, 0), (100, 0)]), LineString([(50, -50), (50, 50)])])
    assert net.graph.number_of_nodes() == 5
    assert net.graph.number_of_edges() == 4
    assert sorted(dict(net.graph.degree).values()) == [1, 1, 1, 1, 4]
    assert sum(w for _, _, w in net.graph.edges(data="weight")) == pytest.approx(200)


def test_t_junction_overlap_and_loop() -> None:
    lines = [
        LineString([(0, 0), (100, 0)]),
        LineString([(50, 0), (50, 80)]),  # T-junction in the middle of the first road
        LineString([(20, 0), (70, 0)]),  # runs over the first road
        LineString([(50, 80), (60, 90), (40, 90), (50, 80)]),  # a loop at the end of the stem
    ]
    net = road_network(lines)
    # Nodes: 0, 20, 50, 70, 100 on the road and the end of the stem.
    assert net.graph.number_of_nodes() == 6
    assert nx.shortest_path_length(net.graph, *_nodes(net, (0, 0), (50, 80)), weight="weight") == (
        pytest.approx(130)
    )
    assert shapely.length(net.pieces).sum() == pytest.approx(100 + 80 + shapely.length(lines[3]))


def _nodes(net: object, *points: tuple[float, float]) -> list[int]:
    nodes = net.nodes  # type: ignore[attr-defined]
    return [int(np.flatnonzero((nodes == p).all(axis=1))[0]) for p in points]


def test_lexicographic_dijkstra_matches_networkx() -> None:
    rng = np.random.default_rng(0)
    g = nx.gnm_random_graph(60, 150, seed=1)
    for u, v in g.edges:
        g.edges[u, v]["weight"] = float(rng.integers(1, 10))
    sources = {3: (0.0, 1), 17: (0.0, 0), 42: (0.0, 2)}
    ours = lexicographic_dijkstra(g, sources)
    theirs = nx.multi_source_dijkstra_path_length(g, set(sources))
    assert {n: d for n, (d, _) in ours.items()} == theirs
    for node, (dist, label) in ours.items():
        tied = [
            sources[s][1]
            for s in sources
            if nx.has_path(g, s, node) and nx.dijkstra_path_length(g, s, node) == dist
        ]
        assert label == min(tied)


# --------------------------------------------------------------------------- hand-checked

#   A road network with a ring and a spur, and a separate road:
#
#   (0,200)----(200,200)          (1000,0)----(1100,0)   separate
#      |            |
#   (0,0)------(200,0)------(400,0)
ROADS = [
    LineString([(0, 0), (200, 0)]),
    LineString([(200, 0), (400, 0)]),
    LineString([(0, 0), (0, 200)]),
    LineString([(0, 200), (200, 200)]),
    LineString([(200, 200), (200, 0)]),
    LineString([(1000, 0), (1100, 0)]),
]


def hand_case() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    stations = frame([Point(50, -10), Point(390, 5)], station_id=["s_west", "s_east"])
    homes = frame(
        [
            Point(120, 3),  # same road as s_west: 70 along + 3 + 10
            Point(100, 205),  # top road: via (0,200): 50 + 200 + 100 = 350 + 5 + 10
            Point(300, -4),  # between (200,0) and s_east: 90 + 4 + 5 (vs 250 + 4 + 10)
            Point(200, 0),  # 150 + 10 from s_west; 190 + 5 from s_east
            Point(1050, 2),  # separate road: disconnected
            Point(600, 300),  # far from every road
            Point(10, 150),  # left road: 50 + 150 + 10 + 10 = 220
        ],
        household_id=["same_edge", "top", "east", "junction", "island", "off", "left"],
    )
    return homes, stations, frame(ROADS)


def test_hand_checked_small_network() -> None:
    homes, stations, roads = hand_case()
    result = assign_by_network(homes, stations, roads, max_distance=300, snap_tolerance=50)
    expected = {
        "same_edge": ("s_west", 83.0, 3.0, "served", None),
        "top": ("s_west", 365.0, 5.0, "unreachable", "beyond_max_distance"),
        "east": ("s_east", 99.0, 4.0, "served", None),
        "junction": ("s_west", 160.0, 0.0, "served", None),
        "island": (None, np.inf, 2.0, "unreachable", "disconnected"),
        "off": (None, np.inf, np.hypot(200, 300), "unreachable", "off_road"),
        "left": ("s_west", 220.0, 10.0, "served", None),
    }
    for household, (station, distance, snap, status, reason) in expected.items():
        row = result.loc[household]
        served = status == "served"
        assert row["station_id"] == (station if served else None), household
        assert row["distance"] == pytest.approx(distance), household
        assert row["snap_distance"] == pytest.approx(snap), household
        assert row["status"] == status, household
        assert pd.isna(row["reason"]) if reason is None else row["reason"] == reason, household
    assert result.index.tolist() == homes["household_id"].tolist()
    assert result.index.name == "household_id"


def test_ties_go_to_the_smallest_station_id() -> None:
    stations = frame([Point(0, 0), Point(100, 0)], station_id=["s9", "s10"])
    homes = frame([Point(50, 0)], household_id=["h"])
    roads = frame([LineString([(0, 0), (100, 0)])])
    result = assign_by_network(homes, stations, roads, max_distance=100)
    assert result.loc["h", "station_id"] == "s10"  # "s10" < "s9" as strings
    flipped = assign_by_network(homes, stations.iloc[::-1], roads.iloc[::-1], max_distance=100)
    pd.testing.assert_frame_equal(result, flipped)


def test_station_off_the_roads_warns() -> None:
    homes, stations, roads = hand_case()
    stations = pd.concat([stations, frame([Point(5000, 5000)], station_id=["lost"])])
    with pytest.warns(GridgovWarning, match="'lost'"):
        result = assign_by_network(homes, stations, roads, max_distance=300, snap_tolerance=50)
    assert result.loc["same_edge", "station_id"] == "s_west"


def test_no_stations() -> None:
    homes, stations, roads = hand_case()
    result = assign_by_network(homes, stations.iloc[:0], roads, max_distance=300)
    assert (result["status"] == "unreachable").all()
    assert result["station_id"].isna().all()


def test_requires_metres_and_positive_distances() -> None:
    homes, stations, roads = hand_case()
    with pytest.raises(CRSError):
        assign_by_network(
            homes.set_crs(4490, allow_override=True),
            stations.set_crs(4490, allow_override=True),
            roads.set_crs(4490, allow_override=True),
            max_distance=300,
        )
    with pytest.raises(ValueError, match="max_distance must be a positive"):
        assign_by_network(homes, stations, roads, max_distance=0)
    with pytest.raises(ValueError, match="snap_tolerance must be a positive"):
        assign_by_network(homes, stations, roads, max_distance=10, snap_tolerance=-1)


# --------------------------------------------------------------------------- brute force


def random_case(seed: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A lattice of streets with missing blocks and diagonals, households and stations."""
    rng = np.random.default_rng(seed)
    lines = []
    for i, j in itertools.product(range(6), range(6)):
        x, y = 100.0 * i, 100.0 * j
        if i < 5 and rng.random() < 0.75:
            lines.append(LineString([(x, y), (x + 100, y)]))
        if j < 5 and rng.random() < 0.75:
            lines.append(LineString([(x, y), (x, y + 100)]))
        if i < 5 and j < 5 and rng.random() < 0.15:
            lines.append(LineString([(x, y), (x + 100, y + 100)]))
    lines.append(LineString([(600, 600), (700, 600)]))  # an island
    roads = frame(lines)
    stations = frame(
        list(shapely.points(rng.uniform(0, 500, (5, 2)))),
        station_id=[f"s{k}" for k in range(5)],
    )
    xy = np.concatenate([rng.uniform(-20, 520, (80, 2)), rng.uniform(590, 710, (10, 2))])
    homes = frame(list(shapely.points(xy)), household_id=[f"h{k}" for k in range(len(xy))])
    return homes, stations, roads


def brute_force(
    homes: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, tolerance: float
) -> dict[str, dict[str, float]]:
    """Network distance from every station to every household, by plain networkx.

    Every snapped point becomes a node splitting its road piece; a station's
    snap distance is an edge from a private source node.
    """
    net = road_network(roads.geometry.to_numpy())
    g = nx.Graph()
    cuts: dict[int, list[tuple[float, object]]] = {}
    snaps: dict[str, float] = {}
    for kind, layer, id_column in (
        ("station", stations, "station_id"),
        ("home", homes, "household_id"),
    ):
        for ident, point in zip(layer[id_column], layer.geometry, strict=True):
            distances = shapely.distance(net.pieces, point)
            piece = int(np.argmin(distances))
            snaps[ident] = float(distances[piece])
            if distances[piece] <= tolerance:
                along = float(shapely.line_locate_point(net.pieces[piece], point))
                cuts.setdefault(piece, []).append((along, (kind, ident)))
    for piece, (u, v, length) in enumerate(zip(net.start, net.end, net.length, strict=True)):
        chain = [(0.0, int(u)), *sorted(cuts.get(piece, []), key=lambda c: c[0]), (length, int(v))]
        for (a0, n0), (a1, n1) in itertools.pairwise(chain):
            if n0 != n1:
                weight = a1 - a0
                if not g.has_edge(n0, n1) or g.edges[n0, n1]["weight"] > weight:
                    g.add_edge(n0, n1, weight=weight)
    table: dict[str, dict[str, float]] = {}
    for station in stations["station_id"]:
        node = ("station", station)
        lengths = nx.single_source_dijkstra_path_length(g, node) if node in g else {}
        table[station] = {
            home: snaps[station] + lengths[("home", home)] + snaps[home]
            for home in homes["household_id"]
            if ("home", home) in lengths
        }
    return table


@pytest.mark.filterwarnings("ignore::gridgov.errors.GridgovWarning")  # stations off the roads
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_against_brute_force_networkx(seed: int) -> None:
    homes, stations, roads = random_case(seed)
    tolerance = 30.0
    result = assign_by_network(homes, stations, roads, max_distance=1e9, snap_tolerance=tolerance)
    table = brute_force(homes, stations, roads, tolerance)
    for home in homes["household_id"]:
        candidates = {s: d[home] for s, d in table.items() if home in d}
        row = result.loc[home]
        if row["snap_distance"] > tolerance:
            assert row["reason"] == "off_road"
            continue
        if not candidates:
            assert row["reason"] == "disconnected", home
            assert np.isinf(row["distance"])
            continue
        best = min(candidates.values())
        assert row["distance"] == pytest.approx(best, abs=1e-6), home
        assert candidates[row["station_id"]] == pytest.approx(best, abs=1e-6), home


# --------------------------------------------------------------------------- the demo


def test_demo_service_gaps() -> None:
    from gridgov.datasets import demo_defects, load_demo

    demo = load_demo(metric=True)
    truth = demo_defects()
    gaps = truth[truth["rule"] == "coverage.service_gap"].set_index("household_id")["value"]
    roads = demo.roads[demo.roads["kind"] == "road"]
    result = assign_by_network(
        demo.households, demo.stations, roads, max_distance=500, snap_tolerance=1000
    )
    unreachable = result.index[result["status"] == "unreachable"]
    assert sorted(unreachable) == sorted(gaps.index)
    np.testing.assert_allclose(result.loc[gaps.index, "distance"], gaps, rtol=1e-9)
    assert (result.loc[gaps.index, "reason"] == "beyond_max_distance").all()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_snap_is_the_exact_nearest_piece_near_and_far(seed: int) -> None:
    """The range-query fast path and the far fallback both give the brute-force nearest."""
    rng = np.random.default_rng(seed)
    lines = [LineString(rng.uniform(0, 400, size=(rng.integers(2, 5), 2))) for _ in range(25)]
    lines.append(LineString([(0, 0), (400, 0)]))  # a duplicate-distance partner below
    lines.append(LineString([(0, 0), (400, 0)]))
    net = road_network(lines)
    # near points, far points (beyond SNAP_RADII from everything) and exact ties
    points = shapely.points(
        np.vstack([rng.uniform(-50, 450, size=(300, 2)), [[200, -900], [5000, 5000], [10, 0]]])
    )
    snap = net.snap(points)
    every = shapely.distance(points[:, None], net.pieces[None, :])
    best = every.min(axis=1)
    # numpy point-segment distances agree with GEOS's to rounding
    np.testing.assert_allclose(snap.distance, best, rtol=1e-12, atol=1e-9)
    # the chosen piece is a nearest one, and the lowest of those at (numerically) the same distance
    at_best = every <= best[:, None] + 1e-9
    np.testing.assert_array_equal(snap.piece, np.argmax(at_best, axis=1))
    # the snapped position lies on the chosen piece, at the snap distance from the point
    foot = shapely.line_interpolate_point(net.pieces[snap.piece], snap.along)
    np.testing.assert_allclose(shapely.distance(foot, points), snap.distance, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    quantile=st.floats(0.05, 0.95),
    cell=st.sampled_from([None, 3.0, 17.0, 60.0]),
)
def test_certainly_within_never_certifies_a_point_beyond(
    seed: int, quantile: float, cell: float | None
) -> None:
    """Every certified point is within the limit by the exact, point-by-point computation."""
    rng = np.random.default_rng(seed)
    _, stations, roads = random_case(seed)
    bends = [LineString(rng.uniform(0, 500, size=(rng.integers(3, 6), 2))) for _ in range(3)]
    net = road_network(np.concatenate([roads.geometry.to_numpy(), bends]))
    at = net.snap(stations.geometry.to_numpy())
    offsets = rng.uniform(0, 40, len(at.piece))  # stations some way off the roads
    labels = np.arange(len(at.piece))
    field = source_field(net, at, offsets=offsets, labels=labels)
    assert field is not None
    points = shapely.points(rng.uniform(-100, 800, (3000, 2)))
    snapped = net.snap(points)
    along, _ = nearest_along_network(net, at, snapped, offsets=offsets, labels=labels)
    exact = along + snapped.distance
    limit = float(np.quantile(exact[np.isfinite(exact)], quantile))  # many points near it
    certified = certainly_within(field, points, limit, cell=cell)
    assert np.all(exact[certified] <= limit + 1e-9)


def test_certainly_within_certifies_most_points_near_a_station() -> None:
    net = road_network([LineString([(0, 0), (2000, 0)]), LineString([(1000, -500), (1000, 500)])])
    at = net.snap(np.array([Point(1000, 0)]))
    field = source_field(net, at, offsets=np.zeros(1), labels=np.zeros(1, dtype=np.int64))
    rng = np.random.default_rng(0)
    points = shapely.points(rng.uniform([700, -100], [1300, 100], (2000, 2)))
    certified = certainly_within(field, points, 500.0)
    # every point is within 300 + 100 of the station; most cells prove it
    assert certified.mean() > 0.9
    assert not certainly_within(field, shapely.points([[1900.0, 90.0]]), 500.0)[0]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_array_dijkstra_is_lexicographic_dijkstra(seed: int) -> None:
    """The array Dijkstra of source_field gives exactly the networkx-graph version's results."""
    from gridgov.graph_distances import _array_dijkstra

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 80))
    m = int(rng.integers(1, 3 * n))
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.integers(0, 6, m).astype(float)  # small integers: many exact ties
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for u, v, weight in zip(a.tolist(), b.tolist(), w.tolist(), strict=True):
        if u != v and (not g.has_edge(u, v) or g.edges[u, v]["weight"] > weight):
            g.add_edge(u, v, weight=weight)
    keep = a != b
    sources = rng.choice(n, size=int(rng.integers(1, min(n, 6) + 1)), replace=False)
    offsets = rng.integers(0, 4, len(sources)).astype(float)
    labels = rng.permutation(len(sources)).astype(np.int64)
    starts = zip(sources.tolist(), offsets.tolist(), labels.tolist(), strict=True)
    expected = lexicographic_dijkstra(g, {s: (o, lab) for s, o, lab in starts})
    distance, label = _array_dijkstra(n, (a[keep], b[keep], w[keep]), sources, offsets, labels)
    for node in range(n):
        if node in expected:
            assert (distance[node], label[node]) == expected[node]
        else:
            assert np.isinf(distance[node])
