"""Real data shipped in a PyPI package: momepy's Bubeneč (Prague) tessellation, plots, streets.

The tessellation (144 cells around 144 buildings) is a clean coverage; the cadastral
plots (407) are a second, independently drawn partition of nearly the same area;
the streets are a real road network.  Households are synthetic points inside the real
building footprints (a few per building), the way an address register places them.
"""

from __future__ import annotations

import os

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from gridgov.assign import assign, assign_by_network, summarize_assignment
from gridgov.check import check
from gridgov.compare import compare
from gridgov.propose import propose
from gridgov.rules import RuleSet
from gridgov.unify import unify

momepy = pytest.importorskip("momepy")
CRS = 32633  # UTM 33N, metres
PATH = os.path.join(os.path.dirname(momepy.__file__), "datasets", "bubenec.gpkg")


@pytest.fixture(scope="module")
def cells() -> gpd.GeoDataFrame:
    frame = gpd.read_file(PATH, layer="tessellation").to_crs(CRS)
    frame["grid_id"] = frame["uID"].astype(int).astype(str).str.zfill(3)
    return frame[["grid_id", "geometry"]]


@pytest.fixture(scope="module")
def buildings() -> gpd.GeoDataFrame:
    frame = gpd.read_file(PATH, layer="buildings").to_crs(CRS)
    frame["building_id"] = "b" + frame["uID"].astype(int).astype(str)
    return frame[["building_id", "geometry"]]


@pytest.fixture(scope="module")
def households(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Two to eight households per building, at random points inside its footprint."""
    rng = np.random.default_rng(7)
    ids, owner, points = [], [], []
    for building_id, footprint in zip(buildings["building_id"], buildings.geometry, strict=True):
        count = int(rng.integers(2, 9))
        xmin, ymin, xmax, ymax = footprint.bounds
        xy = rng.uniform((xmin, ymin), (xmax, ymax), size=(400, 2))
        xy = xy[shapely.contains_xy(footprint, xy[:, 0], xy[:, 1])][:count]
        for k, (x, y) in enumerate(xy):
            ids.append(f"{building_id}-{k}")
            owner.append(building_id)
            points.append(shapely.Point(x, y))
    return gpd.GeoDataFrame(
        {"household_id": ids, "building_id": owner, "persons": rng.integers(1, 5, len(ids))},
        geometry=points,
        crs=CRS,
    )


@pytest.fixture(scope="module")
def grids(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Grids made of whole tessellation cells: 12 contiguous groups (by cell order)."""
    geoms = shapely.make_valid(cells.geometry.to_numpy())
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    )
    graph = nx.Graph()
    graph.add_nodes_from(range(len(geoms)))
    edges = shared > 1.0  # rook neighbours: a shared edge, not a corner
    graph.add_edges_from(zip(left[edges].tolist(), right[edges].tolist(), strict=True))
    # grow 12 regions breadth-first from evenly spread seeds: contiguous by construction
    seeds = list(range(0, len(geoms), len(geoms) // 12))[:12]
    label = np.full(len(geoms), -1)
    frontier = {k: [s] for k, s in enumerate(seeds)}
    for k, s in enumerate(seeds):
        label[s] = k
    while (label < 0).any():
        grown = False
        for k in range(len(seeds)):
            step = [o for n in frontier[k] for o in graph.neighbors(n) if label[o] < 0]
            for other in step:
                if label[other] < 0:
                    label[other] = k
                    grown = True
            frontier[k] = [o for o in step if label[o] == k] or frontier[k]
        assert grown, "the tessellation is connected"
    frame = gpd.GeoDataFrame({"label": label}, geometry=geoms, crs=cells.crs).dissolve("label")
    frame["grid_id"] = [f"3201020010010{k + 1:02d}" for k in range(len(frame))]
    frame["parent_id"] = "320102001001"
    return frame.reset_index(drop=True)[["grid_id", "parent_id", "geometry"]]


def test_every_household_once_and_sjoin_agrees_inside(
    cells: gpd.GeoDataFrame, households: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> None:
    plain = assign(households, {"cells": cells})
    assert plain.index.tolist() == households["household_id"].tolist()
    assert plain["cells"].notna().all()
    joined = gpd.sjoin(households, cells, predicate="within", how="inner")
    inside = plain.loc[joined["household_id"].to_numpy()]
    np.testing.assert_array_equal(inside["cells"].to_numpy(), joined["grid_id"].to_numpy())
    # with the footprints: no building is split between grids, and the households that
    # moved are exactly those whose point lies outside the cell holding most of the building
    result = assign(households, {"cells": cells}, buildings=buildings)
    moved = result["cells"].to_numpy() != plain["cells"].to_numpy()
    assert (result["cells_how"].to_numpy()[moved] == "building").all()
    per_building = result.assign(b=households["building_id"].to_numpy()).groupby("b")["cells"]
    assert per_building.nunique().max() == 1
    table = summarize_assignment(result)
    assert table["households"].sum() == len(households)


def test_walking_distances_on_real_streets(households: gpd.GeoDataFrame) -> None:
    streets = gpd.read_file(PATH, layer="streets").to_crs(CRS)
    stations = households.iloc[[0, 200, 400]][["geometry"]].assign(station_id=["s1", "s2", "s3"])
    served = assign_by_network(households, stations, streets, max_distance=400)
    assert len(served) == len(households)
    reachable = (served["status"] == "served").to_numpy()
    assert reachable.mean() > 0.5
    # a walk is never shorter than the straight line to the station it reaches
    targets = stations.set_index("station_id").geometry
    reached = served[reachable]
    straight = shapely.distance(
        households.set_index("household_id").geometry.loc[reached.index].to_numpy(),
        targets.loc[reached["station_id"]].to_numpy(),
    )
    assert (reached["distance"].to_numpy() >= straight - 1e-6).all()
    assert set(served["status"]) <= {"served", "unreachable"}


def test_unify_tessellation_and_cadastral_plots(
    cells: gpd.GeoDataFrame, households: gpd.GeoDataFrame
) -> None:
    plots = gpd.read_file(PATH, layer="plots").to_crs(CRS)
    plots["grid_id"] = plots["ID"].astype(str)
    plots = plots.drop_duplicates("grid_id")[["grid_id", "geometry"]]
    plots["geometry"] = shapely.make_valid(plots.geometry.to_numpy())
    plots = plots[shapely.get_type_id(plots.geometry.to_numpy()) != 7]  # no collections
    layers = {"cells": cells.assign(geometry=shapely.make_valid(cells.geometry.to_numpy())),
              "plots": plots}  # fmt: skip
    union = shapely.union_all(np.concatenate([f.geometry.to_numpy() for f in layers.values()]))
    # without sliver absorption every grid of both networks is exactly the sum of its cells
    exact = unify(layers, base="cells", tolerance=0)
    # (a plot overlapping a neighbour cedes the shared area to the smaller id, which
    # one.overlaps records: what it ceded plus its cells is its area)
    for network, frame in layers.items():
        by_grid = exact.cells.groupby(network)["area"].sum()
        own = frame.set_index("grid_id").geometry.area
        lost = exact.overlaps[exact.overlaps["network"] == network]
        ceded = lost.groupby("other_id")["area"].sum().reindex(own.index, fill_value=0.0)
        np.testing.assert_allclose(by_grid.reindex(own.index, fill_value=0.0) + ceded, own,
                                   rtol=1e-6, atol=1e-6)  # fmt: skip
    assert (exact.overlaps["network"] == "plots").any()  # the cadastre does overlap
    # with it (1 m: digitising noise between cadastre and tessellation), the total is kept
    one = unify(layers, base="cells", households=households)
    assert one.cells["area"].sum() == pytest.approx(shapely.area(union), rel=1e-6)
    assert exact.cells["area"].sum() == pytest.approx(shapely.area(union), rel=1e-6)
    assert len(one.cells) < len(exact.cells)  # the crumbs were absorbed
    assert one.crosswalk["shared_households"].sum() <= len(households)
    assert set(one.relations["relation"]) <= {
        "equal", "nested", "contains", "similar", "straddles", "partial", "uncovered",
    }  # fmt: skip


def test_propose_and_compare_on_real_grids(
    grids: gpd.GeoDataFrame, households: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> None:
    rules = RuleSet(households={"comprehensive": (40, 80)})
    before = check(grids, households=households, buildings=buildings, rules=rules)
    assert {"scale.too_many_households", "scale.too_few_households"} <= set(before["rule"])
    plan = propose(grids, households, rules=rules, buildings=buildings, seed=0)
    new = plan.layer
    assert pd.Index(new["grid_id"]).is_unique
    # area and households are conserved
    assert new.geometry.area.sum() == pytest.approx(grids.geometry.area.sum(), rel=1e-9)
    assert assign(households, new)["grid"].notna().sum() == len(households)
    # the new edition fixes every scale error and brings no new kind of error
    after = plan.findings
    assert not (after["principle"] == "scale").any(), after[["rule", "grid_id"]]
    errors = set(after.loc[after["severity"] == "error", "rule"])
    assert errors <= set(before.loc[before["severity"] == "error", "rule"]), errors
    # grids within bounds and untouched keep their id and geometry
    unchanged = plan.changes[plan.changes["change"] == "unchanged"]
    for grid_id in unchanged["old_ids"]:
        old = grids.set_index("grid_id").geometry.loc[grid_id]
        assert shapely.equals(old, new.set_index("grid_id").geometry.loc[grid_id])
    # compare sees the same edition change, and its flows add up to the households
    changes = compare(grids, new, households=households)
    assert changes.layers()["flows"]["households"].sum() == len(households)
    assert set(changes["change"]) >= {"split"}
