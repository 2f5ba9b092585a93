"""The point index and its raster screen against shapely's own predicates."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING
from unittest import mock

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from tqdm import tqdm

import gridgov as gg
from gridgov._core import raster as raster_module
from gridgov._core.assignment import BOUNDARY, INSIDE, NEAREST, UNASSIGNED
from gridgov._core.pointindex import AssignOptions, GridIndex, classify, household_rows, ranks

if TYPE_CHECKING:
    from collections.abc import Iterator

CRS = "EPSG:4549"


@contextmanager
def screen(enabled: bool) -> Iterator[None]:
    """Force the raster screen on (for any size) or off."""
    with (
        mock.patch.object(raster_module, "_RASTER_MIN_POINTS", 0 if enabled else 10**12),
        mock.patch.object(raster_module, "_RASTER_POINTS_PER_VERTEX", 0),
    ):
        yield


def voronoi_grids(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    seeds = shapely.multipoints(rng.uniform(0, 1000, (n, 2)))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(seeds, extend_to=shapely.box(0, 0, 1000, 1000))
    )
    cells = shapely.intersection(cells, shapely.box(0, 0, 1000, 1000))
    ids = [f"g{k:03d}" for k in rng.permutation(len(cells))]
    grids = gpd.GeoDataFrame({"grid_id": ids}, geometry=cells, crs=CRS)
    return gg.validate_layer(grids, kind="grids")


def tricky_points(grids: gpd.GeoDataFrame, n: int, seed: int) -> np.ndarray:
    """Random points, plus grid vertices, points on edges and points outside the layer."""
    rng = np.random.default_rng(seed)
    coords = shapely.get_coordinates(grids.geometry.to_numpy())
    vertices = coords[rng.integers(0, len(coords), n // 4)]
    a = rng.integers(0, len(coords) - 1, n // 4)
    t = rng.choice([0.5, 0.25, 0.0], len(a))[:, None]
    on_edges = coords[a] + t * (coords[a + 1] - coords[a])
    inside = rng.uniform(0, 1000, (n // 4, 2))
    outside = rng.uniform(-200, 1200, (n - 3 * (n // 4), 2))
    return shapely.points(np.concatenate([vertices, on_edges, inside, outside]))


def expected(grids: gpd.GeoDataFrame, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid and how of each point from ``shapely.intersects`` and ``shapely.contains``."""
    geoms = grids.geometry.to_numpy()
    rank = ranks(grids["grid_id"].to_numpy(dtype=object))
    grid = np.full(len(points), -1)
    how = np.full(len(points), UNASSIGNED)
    for i, point in enumerate(points):
        hits = np.flatnonzero(shapely.intersects(geoms, point))
        if len(hits) == 0:
            continue
        grid[i] = hits[np.argmin(rank[hits])]
        strict = len(hits) == 1 and bool(shapely.contains(geoms[hits[0]], point))
        how[i] = INSIDE if strict else BOUNDARY
    return grid, how


def run_index(
    grids: gpd.GeoDataFrame, points: np.ndarray, *, enabled: bool, options: AssignOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray, GridIndex]:
    from gridgov._core.threads import Runner

    with screen(enabled), tqdm(disable=True) as bar:
        run = Runner(None, bar)
        index = GridIndex.build(grids, "grid_id", points=len(points), run=run)
        xy = shapely.get_coordinates(points)
        grid, how, distance = classify(index, points, xy, options, footprint=None, run=run)
    return grid, how, distance, index


@pytest.mark.parametrize("enabled", [False, True], ids=["exact", "raster"])
def test_index_agrees_with_shapely(enabled: bool) -> None:
    grids = voronoi_grids(40, seed=1)
    points = tricky_points(grids, 4000, seed=2)
    options = AssignOptions("smallest_id", "unassigned", None)
    grid, how, distance, index = run_index(grids, points, enabled=enabled, options=options)
    assert (index.raster is not None) == enabled
    want_grid, want_how = expected(grids, points)
    np.testing.assert_array_equal(how, want_how)
    np.testing.assert_array_equal(grid, want_grid)
    assert set(how.tolist()) == {INSIDE, BOUNDARY, UNASSIGNED}
    assert np.isnan(distance[how == UNASSIGNED]).all()
    assert (distance[how != UNASSIGNED] == 0).all()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30))
def test_raster_screen_never_changes_an_answer(seed: int, n: int) -> None:
    grids = voronoi_grids(n, seed=seed)
    points = tricky_points(grids, 400, seed=seed + 1)
    options = AssignOptions("first_in_layer", "nearest", 50.0)
    exact = run_index(grids, points, enabled=False, options=options)
    fast = run_index(grids, points, enabled=True, options=options)
    for a, b in zip(exact[:3], fast[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    assert fast[3].raster is not None


def test_nearest_within_max_distance() -> None:
    grids = gg.validate_layer(
        gpd.GeoDataFrame(
            {"grid_id": ["b", "a"]},
            geometry=[shapely.box(100, 0, 200, 100), shapely.box(0, 0, 100, 100)],
            crs=CRS,
        ),
        kind="grids",
    )
    points = shapely.points([(250, 50), (100, 150), (900, 900)])
    options = AssignOptions("smallest_id", "nearest", 60.0)
    grid, how, distance, _ = run_index(grids, points, enabled=False, options=options)
    assert grid.tolist() == [0, 1, -1]  # the tie at (100, 150) goes to the smallest id, "a"
    assert how.tolist() == [NEAREST, NEAREST, UNASSIGNED]
    assert distance[:2].tolist() == [50.0, 50.0]


def test_household_rows() -> None:
    grids = voronoi_grids(10, seed=5)
    homes = gpd.GeoDataFrame(
        {"household_id": ["h1", "h2"]}, geometry=shapely.points([(500, 500), (-5, -5)]), crs=CRS
    )
    rows, unassigned = household_rows(
        homes,
        grids,
        options=AssignOptions("smallest_id", "unassigned", None),
        grid_id_column="grid_id",
    )
    assert rows[1] == -1
    assert unassigned.tolist() == [False, True]
    assert shapely.intersects(grids.geometry.to_numpy()[rows[0]], homes.geometry.iloc[0])
