"""Coverage rules (无缝覆盖): gaps, overlaps, spill-over, households, service gaps."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point, Polygon, box
from shapely.affinity import translate

from gridgov.check import check
from gridgov.rules import RuleSet, analysis

if TYPE_CHECKING:
    from gridgov.findings import Findings

CRS = "EPSG:4549"


def lattice(n: int = 3, size: float = 100.0) -> list[Polygon]:
    return [
        box(i * size, j * size, (i + 1) * size, (j + 1) * size) for i in range(n) for j in range(n)
    ]


def layer(geoms: list) -> gpd.GeoDataFrame:
    ids = [f"320102001001{i + 1:03d}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"grid_id": ids}, geometry=geoms, crs=CRS)


def area(geom: shapely.Geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"unit_id": ["320102001"]}, geometry=[geom], crs=CRS)


def points(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"household_id": [f"h{i}" for i in range(len(xy))]},
        geometry=[Point(p) for p in xy],
        crs=CRS,
    )


def of(findings: Findings, rule: str) -> Findings:
    return findings[findings["rule"] == rule].reset_index(drop=True)


STREET = area(box(0, 0, 300, 300))
CELLS = lattice()
IDS = layer(CELLS)["grid_id"].tolist()


def test_clean_coverage_has_no_coverage_findings() -> None:
    findings = check(
        layer(CELLS), jurisdiction=STREET, households=points([(50, 50), (100, 100), (299, 1)])
    )
    assert len(findings[findings["principle"] == "coverage"]) == 0


# -- gap -------------------------------------------------------------------------------


def test_enclosed_gap() -> None:
    cells = CELLS[:4] + CELLS[5:]  # the centre cell is missing
    for jurisdiction in (STREET, None):
        hit = of(check(layer(cells), jurisdiction=jurisdiction), "coverage.gap")
        assert len(hit) == 1
        assert hit.loc[0, "grid_id"] is None
        assert hit.loc[0, "value"] == pytest.approx(10_000)
        assert hit.geometry[0].equals(box(100, 100, 200, 200))
        assert len(hit.loc[0, "other_id"].split(", ")) == 8
    assert "only gaps enclosed by grids are found" in hit.loc[0, "message"]


def test_gap_open_to_the_outer_edge() -> None:
    cells = CELLS[1:]  # the corner cell (0..100, 0..100) is missing
    hit = of(check(layer(cells), jurisdiction=STREET), "coverage.gap")
    assert hit["value"].tolist() == pytest.approx([10_000])
    assert hit.geometry[0].equals(box(0, 0, 100, 100))
    assert "enclosed" not in hit.loc[0, "message"]
    # GEOS's coverage validation alone does not see it; without a jurisdiction neither do we
    assert shapely.coverage_is_valid(np.array(cells))
    assert len(of(check(layer(cells)), "coverage.gap")) == 0


@pytest.mark.parametrize(("shrink", "found"), [(0.02, True), (0.01, False)])
def test_gap_boundary_value(shrink: float, found: bool) -> None:
    cells = list(CELLS)
    cells[0] = box(0, 0, 100 - shrink, 100)  # a strip of shrink x 100 m between two grids
    hit = of(check(layer(cells), jurisdiction=STREET), "coverage.gap")
    assert len(hit) == int(found)
    if found:
        assert hit.loc[0, "value"] == pytest.approx(2.0)


def test_gap_islands_holes_and_multipolygon_jurisdiction() -> None:
    island = box(400, 0, 450, 50)
    lake = box(120, 120, 180, 180)
    jurisdiction = area(shapely.union(box(0, 0, 300, 300).difference(lake), island))
    cells = list(CELLS)
    cells[4] = cells[4].difference(lake)  # the centre grid has the lake as a hole
    findings = check(layer(cells), jurisdiction=jurisdiction)
    gaps = of(findings, "coverage.gap")
    assert gaps["value"].tolist() == pytest.approx([2_500])  # the island: no grid
    assert gaps.geometry[0].equals(island)
    assert len(of(findings, "coverage.outside_jurisdiction")) == 0
    # a grid over the lake spills outside the jurisdiction
    cells[4] = CELLS[4]
    spill = of(check(layer(cells), jurisdiction=jurisdiction), "coverage.outside_jurisdiction")
    assert spill["grid_id"].tolist() == [IDS[4]]
    assert spill["value"].tolist() == pytest.approx([3_600])


def test_gap_along_a_coastline() -> None:
    coast = Polygon([(0, 0), (300, 0), (300, 220), (150, 260), (0, 240)])
    cells = [c.intersection(coast) for c in CELLS]
    cells = [c for c in cells if not c.is_empty]
    findings = check(layer(cells), jurisdiction=area(coast))
    assert len(findings[findings["principle"] == "coverage"]) == 0
    cut = box(250, 150, 300, 300)
    removed = cells[-1].intersection(cut).area  # open to the sea
    cells[-1] = cells[-1].difference(cut)
    gaps = of(check(layer(cells), jurisdiction=area(coast)), "coverage.gap")
    assert gaps["value"].tolist() == pytest.approx([removed])


# -- overlap ---------------------------------------------------------------------------


def test_shifted_grid_gives_overlap_and_gap() -> None:
    cells = list(CELLS)
    cells[4] = translate(CELLS[4], 1.0, 0)  # the centre grid moved 1 m east
    findings = check(layer(cells), jurisdiction=STREET)
    overlap = of(findings, "coverage.overlap")
    assert overlap[["grid_id", "other_id"]].values.tolist() == [[IDS[4], IDS[7]]]
    assert overlap["value"].tolist() == pytest.approx([100.0])
    assert overlap.geometry[0].equals(box(200, 100, 201, 200))
    assert "overlap by 100 m²" in overlap.loc[0, "message"]
    gaps = of(findings, "coverage.gap")
    assert gaps["value"].tolist() == pytest.approx([100.0])
    assert gaps.geometry[0].equals(box(100, 100, 101, 200))


@pytest.mark.parametrize(("shift", "found"), [(0.02, True), (0.01, False)])
def test_overlap_boundary_value(shift: float, found: bool) -> None:
    cells = list(CELLS)
    cells[0] = box(0, 0, 100 + shift, 100)
    hit = of(check(layer(cells)), "coverage.overlap")
    assert len(hit) == int(found)


def test_duplicate_and_nested_grids_overlap() -> None:
    cells = [*CELLS, box(10, 10, 20, 20), CELLS[8]]
    hit = of(check(layer(cells)), "coverage.overlap")
    pairs = hit[["grid_id", "other_id"]].values.tolist()
    assert pairs == [[IDS[0], "320102001001010"], [IDS[8], "320102001001011"]]
    assert hit["value"].tolist() == pytest.approx([100, 10_000])


# -- outside_jurisdiction ----------------------------------------------------------------


@pytest.mark.parametrize(("reach", "found"), [(300.02, True), (300.01, False)])
def test_outside_jurisdiction_boundary_value(reach: float, found: bool) -> None:
    cells = list(CELLS)
    cells[-1] = box(200, 200, reach, 300)
    hit = of(check(layer(cells), jurisdiction=STREET), "coverage.outside_jurisdiction")
    assert len(hit) == int(found)
    if found:
        assert hit.loc[0, "value"] == pytest.approx(2.0)
        assert hit.geometry[0].symmetric_difference(box(300, 200, reach, 300)).area < 1e-6


def test_outside_jurisdiction_skipped_without_jurisdiction() -> None:
    skipped = check(layer(CELLS)).skipped
    assert skipped["coverage.outside_jurisdiction"] == "no jurisdiction given"


# -- households --------------------------------------------------------------------------


def test_uncovered_household() -> None:
    cells = CELLS[:4] + CELLS[5:]
    homes = points([(150, 150), (130, 150), (100, 150), (50, 50), (-20, 50)])
    hit = of(check(layer(cells), households=homes), "coverage.uncovered_household")
    assert hit["household_id"].tolist() == ["h0", "h1", "h4"]
    assert hit["value"].tolist() == pytest.approx([50, 30, 20])
    assert hit["limit"].tolist() == [0, 0, 0]
    assert hit["grid_id"].isna().all()
    assert hit.geometry[0].equals(Point(150, 150))
    assert "lies in no grid (30.0 m from the nearest" in hit.loc[1, "message"]


def test_multiply_covered_household() -> None:
    cells = list(CELLS)
    cells[4] = box(90, 100, 200, 200)  # overlaps the west neighbour by 10 m
    homes = points([(95, 150), (90, 150), (100, 150), (150, 150)])
    findings = check(layer(cells), households=homes)
    hit = of(findings, "coverage.multiply_covered_household")
    assert hit["household_id"].tolist() == ["h0"]  # on a boundary is not inside
    assert (hit.loc[0, "grid_id"], hit.loc[0, "other_id"]) == (IDS[1], IDS[4])
    assert (hit.loc[0, "value"], hit.loc[0, "limit"]) == (2, 1)
    assert hit.loc[0, "severity"] == "warning"
    three = [*cells, box(80, 140, 99, 160)]
    hit = of(check(layer(three), households=homes), "coverage.multiply_covered_household")
    assert hit.loc[0, "value"] == 3
    assert hit.loc[0, "other_id"] == f"{IDS[4]}, 320102001001010"


# -- service_gap ---------------------------------------------------------------------------


def test_service_gap_boundary_value() -> None:
    grids = layer([box(0, -50, 1000, 50)])
    roads = gpd.GeoDataFrame(
        {"kind": ["road", "river"]},
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(0, 10), (1000, 10)])],
        crs=CRS,
    )
    stations = gpd.GeoDataFrame({"station_id": ["s1"]}, geometry=[Point(0, 0)], crs=CRS)
    homes = points([(499, 0), (500, 0), (501, 0), (800, 0)])
    findings = check(grids, households=homes, stations=stations, roads=roads)
    hit = of(findings, "coverage.service_gap")
    assert hit["household_id"].tolist() == ["h2", "h3"]
    assert hit["value"].tolist() == pytest.approx([501, 800])
    assert hit["limit"].tolist() == [500, 500]
    assert hit["grid_id"].tolist() == [IDS[0], IDS[0]]
    far = check(
        grids, households=homes, stations=stations, roads=roads, rules=RuleSet(service_distance=900)
    )
    assert len(of(far, "coverage.service_gap")) == 0


def test_service_gap_unreachable_and_skipped() -> None:
    grids = layer([box(0, -50, 1000, 50)])
    roads = gpd.GeoDataFrame(
        geometry=[LineString([(0, 0), (100, 0)]), LineString([(300, 0), (400, 0)])], crs=CRS
    )
    stations = gpd.GeoDataFrame({"station_id": ["s1"]}, geometry=[Point(0, 0)], crs=CRS)
    hit = of(
        check(grids, households=points([(350, 0)]), stations=stations, roads=roads),
        "coverage.service_gap",
    )
    assert hit["value"].tolist() == [np.inf]
    assert "reaches no station" in hit.loc[0, "message"]
    skipped = check(grids, households=points([(350, 0)]), stations=stations).skipped
    assert "no roads given" in skipped["coverage.service_gap"]


# -- the block-certified analysis against validating every grid --------------------------


def _reference_pairs(shapes: np.ndarray) -> set[tuple[int, int]]:
    """Pairs of grids overlapping by more than 1e-6 m², by brute force over every pair."""
    i, j = shapely.STRtree(shapes).query(shapes, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    shared = shapely.area(shapely.intersection(shapes[i], shapes[j]))
    return {(int(a), int(b)) for a, b, s in zip(i, j, shared, strict=True) if s > 1e-6}


def _defective_coverage(rng: np.random.Generator) -> np.ndarray:
    """Voronoi cells over a square with removed, shifted, duplicated and nested grids."""
    count = int(rng.integers(60, 400))
    seeds = shapely.multipoints(rng.uniform(0, 1000, (count, 2)))
    frame = box(0, 0, 1000, 1000)
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame
    )
    cells = cells[shapely.area(cells) > 0]
    for _ in range(int(rng.integers(0, 4))):
        kind, k = rng.integers(0, 5), int(rng.integers(0, len(cells)))
        if kind == 0:  # removed: a gap
            cells = np.delete(cells, k)
        elif kind == 1:  # shifted: overlaps and a gap
            cells[k] = translate(cells[k], *rng.uniform(-5, 5, 2))
        elif kind == 2:  # duplicated
            cells = np.append(cells, cells[k])
        elif kind == 3:  # a small grid inside another
            c = shapely.point_on_surface(cells[k])
            cells = np.append(cells, shapely.buffer(c, 3.0, quad_segs=2))
        else:  # a vertex added to one side of a shared edge (a T-junction, no overlap)
            ring = np.asarray(cells[k].exterior.coords)
            middle = (ring[0] + ring[1]) / 2
            cells[k] = Polygon(np.vstack([ring[:1], [middle], ring[1:]]))
    return cells


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), block=st.sampled_from([1, 4, 16, 64]))
def test_analyse_finds_the_pairs_and_union_of_validating_every_grid(seed: int, block: int) -> None:
    from gridgov.rules import coverage
    from gridgov.rules.base import Grids

    shapes = _defective_coverage(np.random.default_rng(seed))
    grids = Grids.from_frame(layer(list(shapes)))
    default = analysis._BLOCK
    analysis._BLOCK = block  # small blocks: more overlaps across blocks
    try:
        found = coverage.analyse(grids)
    finally:
        analysis._BLOCK = default
    pairs = {
        (int(a), int(b))
        for a, b, s in zip(found.left, found.right, found.area, strict=True)
        if s > 1e-6
    }
    assert pairs == _reference_pairs(grids.shapes)
    union = shapely.union_all(grids.shapes)
    assert shapely.is_valid(found.union)
    assert shapely.area(shapely.symmetric_difference(found.union, union)) < 1e-6
    # every overlapping grid is marked or overlaps a marked one
    for a, b in pairs:
        assert found.marked[a] or found.marked[b]


def test_analyse_finds_an_overlap_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    from gridgov.rules import coverage
    from gridgov.rules.base import Grids

    cells = lattice(8)  # with one grid per block, every block is certified on its own
    moved = 1 * 8 + 0  # cell (1, 0), moved east into cell (2, 0)
    cells[moved] = translate(cells[moved], 3.0, 0.0)
    monkeypatch.setattr(analysis, "_BLOCK", 1)
    grids = Grids.from_frame(layer(cells))
    blocks = analysis._blocks(grids.shapes)
    east = 2 * 8 + 0  # the cell it overlaps, in another block
    assert blocks[moved] != blocks[east]
    found = coverage.analyse(grids)
    assert [(int(a), int(b)) for a, b in zip(found.left, found.right, strict=True)] == [
        (moved, east)
    ]
    assert found.area.tolist() == pytest.approx([300.0])
