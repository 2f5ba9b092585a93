"""Boundary rules (边界清晰): each rule triggers, does not, and its boundary value."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, MultiPolygon, Point, Polygon, box

from gridgov._core import proximity
from gridgov._core.offset import pure_offset
from gridgov._core.proximity import near_lengths
from gridgov.check import check
from gridgov.rules import RuleSet, boundary
from gridgov.rules.base import Grids, polygonal
from gridgov.rules.boundary import sliver

if TYPE_CHECKING:
    from gridgov.findings import Findings

CRS = "EPSG:4549"
PARENT = "320102001001"
A, B, C = (f"{PARENT}00{i}" for i in (1, 2, 3))


def layer(geoms: list, ids: list[str] | None = None, **columns: object) -> gpd.GeoDataFrame:
    ids = ids or [f"{PARENT}{i + 1:03d}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"grid_id": ids, **columns}, geometry=geoms, crs=CRS)


def of(findings: Findings, rule: str) -> Findings:
    return findings[findings["rule"] == rule].reset_index(drop=True)


def two_cells(width: float = 100.0) -> list[Polygon]:
    return [box(0, 0, width, 100), box(width, 0, 2 * width, 100)]


# -- invalid_geometry ----------------------------------------------------------------

BOWTIE = Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])


def test_invalid_geometry_reports_reason_and_location() -> None:
    findings = check(layer([BOWTIE, box(20, 0, 30, 10)]))
    hit = of(findings, "boundary.invalid_geometry")
    assert hit["grid_id"].tolist() == [A]
    assert "Self-intersection[5 5]" in hit.loc[0, "message"]
    assert "shapely.make_valid" in hit.loc[0, "message"]
    assert hit.geometry[0].equals(Point(5, 5))
    assert hit.loc[0, "severity"] == "error"
    # the repaired bow-tie has two triangles: the other rules say they measured the repair
    multi = of(findings, "boundary.multipart")
    assert multi["grid_id"].tolist() == [A]
    assert "measured on shapely.make_valid" in multi.loc[0, "message"]


def test_valid_geometry_is_not_reported() -> None:
    assert len(of(check(layer(two_cells())), "boundary.invalid_geometry")) == 0


# -- multipart ----------------------------------------------------------------------


def test_multipart_lists_parts_and_draws_the_smaller() -> None:
    pieces = MultiPolygon([box(0, 0, 100, 100), box(200, 0, 210, 10), box(300, 0, 305, 10)])
    hit = of(check(layer([pieces])), "boundary.multipart")
    assert (hit.loc[0, "value"], hit.loc[0, "limit"]) == (3, 1)
    assert "3 disconnected parts (10,000 m², 100 m², 50.0 m²)" in hit.loc[0, "message"]
    assert hit.geometry[0].area == pytest.approx(150)


def test_single_part_multipolygon_is_fine() -> None:
    one = MultiPolygon([box(0, 0, 100, 100)])
    assert len(of(check(layer([one])), "boundary.multipart")) == 0


def test_parts_touching_at_a_point_are_two_parts() -> None:
    pieces = MultiPolygon([box(0, 0, 10, 10), box(10, 10, 20, 20)])
    assert of(check(layer([pieces])), "boundary.multipart")["value"].tolist() == [2]


# -- duplicate_id --------------------------------------------------------------------


def test_duplicate_id_is_a_finding_not_an_error() -> None:
    findings = check(layer([*two_cells(), box(0, 100, 100, 200)], ids=[A, A, B]))
    hit = of(findings, "boundary.duplicate_id")
    assert hit["grid_id"].tolist() == [A]
    assert hit.loc[0, "value"] == 2
    assert hit.geometry[0].area == pytest.approx(20_000)
    assert len(of(check(layer(two_cells())), "boundary.duplicate_id")) == 0


# -- bad_code -----------------------------------------------------------------------


def test_bad_code_pattern_and_parent_prefix() -> None:
    ids = [A, "32010200100", "320102009001001"]
    findings = check(
        layer([box(i * 10, 0, i * 10 + 10, 10) for i in range(3)], ids=ids, parent_id=PARENT)
    )
    hit = of(findings, "boundary.bad_code")
    assert hit["grid_id"].tolist() == ["32010200100", "320102009001001"]
    assert "does not match the code pattern" in hit.loc[0, "message"]
    assert f"does not start with its parent code {PARENT}" in hit.loc[1, "message"]
    assert "does not match" not in hit.loc[1, "message"]
    assert set(hit["severity"]) == {"warning"}


def test_bad_code_configurable() -> None:
    grids = layer([box(0, 0, 10, 10)], ids=["G-1"], parent_id="X")
    rules = RuleSet(code_pattern=r"^G-\d+$", code_starts_with_parent=False)
    assert len(of(check(grids, rules=rules), "boundary.bad_code")) == 0
    assert len(of(check(grids), "boundary.bad_code")) == 1


# -- crosses_parent -----------------------------------------------------------------

PARENTS = gpd.GeoDataFrame(
    {"unit_id": [PARENT, "320102001002"]},
    geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
    crs=CRS,
)


@pytest.mark.parametrize(("reach", "found"), [(100.02, True), (100.01, False), (100.0, False)])
def test_crosses_parent_boundary_value(reach: float, found: bool) -> None:
    grids = layer([box(0, 0, reach, 100)], parent_id=PARENT)
    hit = of(check(grids, parents=PARENTS), "boundary.crosses_parent")
    assert len(hit) == int(found)
    if found:
        assert hit.loc[0, "value"] == pytest.approx(2.0)
        assert hit.loc[0, "limit"] == 1.0
        assert hit.loc[0, "parent_id"] == PARENT
        assert hit.loc[0, "other_id"] == "320102001002"
        assert hit.geometry[0].equals_exact(box(100, 0, reach, 100).normalize(), 1e-6) or (
            hit.geometry[0].symmetric_difference(box(100, 0, reach, 100)).area < 1e-6
        )


def test_crosses_parent_by_largest_overlap() -> None:
    grids = layer([box(60, 0, 140, 100), box(0, 0, 30, 100)])
    hit = of(check(grids, parents=PARENTS), "boundary.crosses_parent")
    assert hit["grid_id"].tolist() == [A]
    # equal overlap on both sides: the smaller unit id is the parent
    assert hit.loc[0, "parent_id"] == PARENT
    assert hit.loc[0, "value"] == pytest.approx(4000)
    assert "the parent unit it overlaps most" in hit.loc[0, "message"]


def test_crosses_parent_skipped_without_parents() -> None:
    assert check(layer(two_cells())).skipped["boundary.crosses_parent"] == "no parents given"


# -- splits_building ----------------------------------------------------------------


def buildings(*geoms: Polygon | Point) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"building_id": [f"b{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=CRS
    )


def test_splits_building_shares() -> None:
    blds = buildings(box(90, 10, 120, 20), box(10, 10, 20, 20))
    hit = of(check(layer(two_cells()), buildings=blds), "boundary.splits_building")
    assert hit["building_id"].tolist() == ["b0"]
    assert hit.loc[0, "grid_id"] == A  # the smaller share (1/3)
    assert hit.loc[0, "other_id"] == B
    assert hit.loc[0, "value"] == pytest.approx(2 / 3)
    assert hit.loc[0, "limit"] == 1.0
    assert hit.loc[0, "message"] == f"building b0 is split between grids: 67% in {B}, 33% in {A}"
    assert hit.geometry[0].equals(box(90, 10, 120, 20))


@pytest.mark.parametrize(
    ("building", "found"),
    [
        (box(99.9, 0, 109.9, 10), False),  # 1.0 m² and 1 % on one side: exactly the limits
        (box(99.8, 0, 109.8, 10), True),  # 2 m², 2 %
        (box(99.95, 0, 159.95, 10), False),  # 0.5 m² on one side
        (box(99.0, 0, 299.0, 100), False),  # 100 m² but 0.5 % of 20,000 m²
    ],
)
def test_splits_building_thresholds(building: Polygon, found: bool) -> None:
    grids = layer([box(0, 0, 100, 100), box(100, 0, 300, 100)])
    hit = of(check(grids, buildings=buildings(building)), "boundary.splits_building")
    assert len(hit) == int(found)


def test_point_buildings_cannot_be_split() -> None:
    findings = check(layer(two_cells()), buildings=buildings(Point(100, 50)))
    assert (
        findings.skipped["boundary.splits_building"] == "the buildings are points, not footprints"
    )


# -- off_features -------------------------------------------------------------------


def features(*lines: LineString) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"kind": ["road"] * len(lines)}, geometry=list(lines), crs=CRS)


BOTTOM = LineString([(0, 0), (100, 0)])  # covers the bottom and 5 m of each side
TOP = LineString([(10, 100), (90, 100)])  # covers x 5..95 of the top (round caps)
TOP_SHORT = LineString([(11, 100), (89, 100)])


@pytest.mark.parametrize(
    ("lines", "share"),
    [
        ((BOTTOM,), 110 / 400),
        ((BOTTOM, TOP_SHORT), 198 / 400),
        ((BOTTOM, TOP), 0.5),  # the boundary value: not a finding
        ((BOTTOM, TOP, LineString([(-3, -10), (-3, 110)])), None),
        ((), 0.0),
    ],
)
def test_off_features_share(lines: tuple, share: float | None) -> None:
    grids = layer([box(0, 0, 100, 100)])
    hit = of(check(grids, features=features(*lines)), "boundary.off_features")
    if share is not None and share < 0.5:
        assert hit.loc[0, "value"] == pytest.approx(share, abs=1e-9)
        assert hit.loc[0, "limit"] == 0.5
        assert hit.geometry[0].length == pytest.approx(400 * (1 - share))
        assert hit.loc[0, "severity"] == "warning"
    else:
        assert len(hit) == 0


def test_off_features_tolerance_is_in_metres() -> None:
    grids = layer([box(0, 0, 100, 100)])
    near = features(LineString([(-20, 5.5), (120, 5.5)]), LineString([(-5.5, -20), (-5.5, 120)]))
    assert len(of(check(grids, features=near), "boundary.off_features")) == 1
    rules = RuleSet(feature_tolerance=6.0)
    assert len(of(check(grids, features=near, rules=rules), "boundary.off_features")) == 0


def test_off_features_leaves_out_the_jurisdiction_edge() -> None:
    # a corner grid: its west and south sides are the street's outer edge
    grids = layer([box(0, 0, 100, 100), box(100, 0, 200, 100)])
    street = gpd.GeoDataFrame({"unit_id": ["s"]}, geometry=[box(0, 0, 200, 100)], crs=CRS)
    road = features(LineString([(100, -10), (100, 110)]))
    with_edge = of(check(grids, features=road), "boundary.off_features")
    assert with_edge["value"].round(6).tolist() == [0.275, 0.275]
    hit = of(check(grids, features=road, jurisdiction=street), "boundary.off_features")
    # left out: west, south and north sides; the east side (on the road) is all that remains
    assert len(hit) == 0


# -- sliver -------------------------------------------------------------------------


def spiked(length: float, width: float = 0.4) -> Polygon:
    return shapely.union(box(0, 0, 100, 100), box(100, 50, 100 + length, 50 + width))


@pytest.mark.parametrize(("length", "found"), [(50.0, True), (25.0, False), (20.0, False)])
def test_sliver_boundary_value(length: float, found: bool) -> None:
    hit = of(check(layer([spiked(length)])), "boundary.sliver")
    assert len(hit) == int(found)
    if found:
        assert hit.loc[0, "value"] == pytest.approx(0.4 * length, rel=1e-6)
        assert hit.loc[0, "limit"] == 10.0
        assert hit.geometry[0].area == pytest.approx(0.4 * length, rel=1e-6)


def test_sliver_needs_thinner_than_the_width() -> None:
    wide = spiked(50.0, width=1.2)
    assert len(of(check(layer([wide])), "boundary.sliver")) == 0
    assert len(of(check(layer([wide]), rules=RuleSet(sliver_width=1.5)), "boundary.sliver")) == 1


def test_pure_offset_is_the_erosion_of_polygons_without_events() -> None:
    # a rotated rectangle, an L (one reflex corner), a square with a hole, a reversed L and
    # two parts, eroded by 1 m
    rect = shapely.affinity.rotate(box(0, 0, 30, 10), 33.0)
    ell = Polygon([(0, 0), (20, 0), (20, 8), (8, 8), (8, 20), (0, 20)])
    holed = Polygon(box(0, 0, 40, 40).exterior.coords, [box(15, 15, 25, 25).exterior.coords[::-1]])
    two = MultiPolygon([box(0, 0, 10, 10), box(20, 0, 30, 10)])
    shapes = np.array([rect, ell, holed, shapely.reverse(ell), two], dtype=object)
    eroded = shapely.buffer(shapes, -1.0, join_style="mitre", mitre_limit=5.0)
    offset = pure_offset(shapes, 1.0)
    assert shapely.area(shapely.symmetric_difference(offset, eroded)) == pytest.approx(0, abs=1e-9)
    assert shapely.area(offset) == pytest.approx(shapely.area(eroded), rel=1e-12)
    assert shapely.area(offset[1]) == pytest.approx(18 * 6 + 6 * 12)
    assert shapely.get_num_interior_rings(offset[2]) == 1
    assert shapely.get_num_geometries(offset[4]) == 2


def test_pure_offset_is_none_after_an_event() -> None:
    # two squares joined by a 4 m wide corridor: its fronts meet at 2 m, so at 3 m the
    # erosion is split in two
    bar = shapely.union_all([box(0, 0, 20, 20), box(20, 8, 60, 12), box(60, 0, 80, 20)])
    assert pure_offset(np.array([bar]), 3.0)[0] is None
    assert pure_offset(np.array([bar]), 1.5)[0] is not None
    # a 4 m wide arm: the edge at its end shrinks to nothing at 2 m
    arm = shapely.union(box(0, 0, 20, 20), box(20, 8, 60, 12))
    assert pure_offset(np.array([arm]), 3.0)[0] is None
    assert pure_offset(np.array([arm]), 1.5)[0] is not None
    # a spike sharper than the mitre limit is never taken for a pure offset
    spike = Polygon([(0, 0), (50, 1), (0, 2)])
    assert pure_offset(np.array([spike]), 0.1)[0] is None
    # a hole growing into the shell: the fronts of the hole and the shell meet
    near_edge = Polygon(box(0, 0, 40, 40).exterior.coords, [box(2, 15, 10, 25).exterior.coords])
    assert pure_offset(np.array([near_edge]), 0.5)[0] is not None
    assert pure_offset(np.array([near_edge]), 1.5)[0] is None
    # an hourglass with a 1 m waist (no edge vanishes, the fronts meet at 0.4 m, then cross)
    waist = Polygon(
        [
            (0, 0),
            (10, 0),
            (10, 4),
            (5.5, 10),
            (10, 16),
            (10, 20),
            (0, 20),
            (0, 16),
            (4.5, 10),
            (0, 4),
        ]
    )
    assert pure_offset(np.array([waist]), 0.3)[0] is not None
    assert pure_offset(np.array([waist]), 0.5)[0] is None
    eroded = shapely.buffer(waist, -0.5, join_style="mitre", mitre_limit=5.0)
    assert shapely.get_num_geometries(eroded) == 2  # GEOS splits it in two


def _random_polygon(rng: np.random.Generator) -> shapely.Geometry:
    """A star polygon, with a thin arm, a hole or a notch now and then."""
    n = int(rng.integers(5, 40))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    low = rng.choice([5.0, 25.0])  # jagged or nearly round
    radii = rng.uniform(low, 30, n) * rng.choice([1.0, 0.2], n, p=[0.9, 0.1])
    shape = Polygon(np.c_[radii * np.cos(angles), radii * np.sin(angles)])
    shape = shapely.make_valid(shape)
    kind = rng.integers(0, 4)
    width = float(rng.uniform(0.2, 2.5))
    turn = float(rng.uniform(0, 360))
    if kind == 1:  # a thin arm
        arm = shapely.affinity.rotate(box(0, -width / 2, 45, width / 2), turn, (0, 0))
        shape = shapely.union(shape, arm)
    elif kind == 2:  # a hole
        shape = shapely.difference(shape, box(-2, -2, 2, 2 + 4 * rng.uniform()))
    elif kind == 3:  # a narrow notch
        notch = shapely.affinity.rotate(box(-50, -width / 2, 0, width / 2), turn, (0, 0))
        shape = shapely.difference(shape, notch)
    return shapely.get_parts(shape)[np.argmax(shapely.area(shapely.get_parts(shape)))]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), width=st.floats(0.5, 3.0))
def test_sliver_screen_agrees_with_the_full_opening(seed: int, width: float) -> None:
    """Grids taken for pure offsets are their erosion and lose nothing to the opening."""
    rng = np.random.default_rng(seed)
    shapes = np.array([_random_polygon(rng) for _ in range(20)], dtype=object)
    shapes = shapes[shapely.is_valid(shapes) & (shapely.area(shapes) > 0)]
    radius = width / 2
    with np.errstate(invalid="ignore"):  # GEOS mitres of near-duplicate vertices touch NaN
        eroded = shapely.buffer(shapes, -radius, join_style="mitre", mitre_limit=5.0)
        opened = shapely.buffer(eroded, radius, join_style="mitre", mitre_limit=5.0)
    odd = ~shapely.is_valid(opened)  # GEOS buffers of odd shapes can be invalid: measured repaired
    opened[odd] = polygonal(shapely.make_valid(opened[odd]))
    removed = shapely.area(shapes) - shapely.area(opened)
    offset = pure_offset(shapes, radius)
    pure = ~shapely.is_missing(offset)
    scale = np.maximum(shapely.area(shapes), 1.0)
    assert np.all(removed[pure] <= 1e-6 * scale[pure])
    assert np.all(
        np.abs(shapely.area(offset[pure]) - shapely.area(eroded[pure])) <= 1e-6 * scale[pure]
    )
    rules = RuleSet(sliver_width=width, min_sliver_area=1.0)
    frame = layer(list(shapes))
    found = sliver(Grids.from_frame(frame), rules=rules)
    expected = np.flatnonzero((removed > 1.0) & ~pure)
    assert sorted(found["grid_id"]) == sorted(frame["grid_id"].to_numpy()[expected])
    by_id = dict(zip(frame["grid_id"], removed, strict=True))
    assert found["value"].to_numpy() == pytest.approx([by_id[g] for g in found["grid_id"]])


def test_clean_squares_have_no_boundary_findings() -> None:
    grids = layer(
        [box(100 * i, 100 * j, 100 * i + 100, 100 * j + 100) for i in range(3) for j in range(3)],
        parent_id=PARENT,
    )
    findings = check(grids)
    assert len(findings[findings["principle"] == "boundary"]) == 0


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), tol=st.floats(0.5, 20.0))
def test_near_lengths_match_geos_buffers(seed: int, tol: float) -> None:
    """The closed-form capsule lengths agree with GEOS (fine buffers) on random lines."""
    rng = np.random.default_rng(seed)
    lines = np.array(
        [LineString(rng.uniform(0, 100, (rng.integers(2, 8), 2))) for _ in range(5)], dtype=object
    )
    near = np.array(
        [LineString(rng.uniform(0, 100, (rng.integers(2, 5), 2))) for _ in range(4)], dtype=object
    )
    edge = np.array([LineString(rng.uniform(0, 100, (3, 2)))], dtype=object)
    length, on_edge, on_either = near_lengths(lines, near, edge, tol)
    segs = 256
    zone_edge = shapely.buffer(edge[0], tol, quad_segs=segs)
    zone_all = shapely.union(
        shapely.buffer(shapely.union_all(near), tol, quad_segs=segs), zone_edge
    )
    # GEOS's round ends are inscribed polygons, short of the circle by the sagitta; a line
    # crossing an end near its tangent loses up to 2 sqrt(2 tol sagitta) there
    sagitta = tol * (1 - np.cos(np.pi / (4 * segs)))
    atol = 4 * np.sqrt(2 * tol * sagitta) + 1e-6
    np.testing.assert_allclose(length, shapely.length(lines))
    np.testing.assert_allclose(
        on_edge, shapely.length(shapely.intersection(lines, zone_edge)), atol=atol
    )
    np.testing.assert_allclose(
        on_either, shapely.length(shapely.intersection(lines, zone_all)), atol=atol
    )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 20))
def test_run_candidates_equal_a_query_by_every_segment(seed: int, size: int) -> None:
    """Querying in runs of segments, then narrowing, gives the pairs of one query per segment."""
    rng = np.random.default_rng(seed)
    lines = np.array(
        [LineString(rng.uniform(0, 100, (rng.integers(2, 40), 2))) for _ in range(6)], dtype=object
    )
    lines = np.concatenate([lines, shapely.reverse(lines[:2])])  # shared copies are deduplicated
    start, end, _, part = proximity.segments(lines)
    a, b, _, kept = proximity.unique_segments(start, end)
    c = rng.uniform(0, 100, (30, 2))
    d = c + rng.uniform(-15, 15, (30, 2))
    low, high = np.minimum(c, d) - 2.0, np.maximum(c, d) + 2.0
    first, length = proximity.segment_runs(part[kept], size)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    runs = (
        first,
        length,
        shapely.box(
            *(
                f.reduceat(v, first)
                for f, v in zip(
                    (np.minimum, np.minimum, np.maximum, np.maximum),
                    (lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]),
                    strict=True,
                )
            )
        ),
    )
    seg, other = proximity.run_candidates((lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]), low, high, runs)
    tree = shapely.STRtree(shapely.box(low[:, 0], low[:, 1], high[:, 0], high[:, 1]))
    want_seg, want_other = tree.query(shapely.linestrings(np.stack([a, b], axis=1)))
    assert sorted(zip(seg.tolist(), other.tolist(), strict=True)) == sorted(
        zip(want_seg.tolist(), want_other.tolist(), strict=True)
    )
    assert len(a) < len(start)  # the reversed copies were merged


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), tol=st.floats(0.5, 20.0))
def test_near_lengths_of_shared_boundaries_equal_separate_measures(seed: int, tol: float) -> None:
    """Shared edges are measured once; each grid still gets exactly its own measure."""
    rng = np.random.default_rng(seed)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(
            shapely.multipoints(rng.uniform(0, 300, (8, 2))), extend_to=box(0, 0, 300, 300)
        )
    )
    cells = shapely.intersection(cells, box(0, 0, 300, 300))
    lines = shapely.boundary(cells)
    features = np.array([LineString(rng.uniform(0, 300, (4, 2))) for _ in range(3)])
    edge = np.array([shapely.boundary(box(0, 0, 300, 300))])
    together = near_lengths(lines, features, edge, tol)
    apart = [near_lengths(lines[i : i + 1], features, edge, tol) for i in range(len(lines))]
    for k in range(3):
        np.testing.assert_allclose(together[k], [a[k][0] for a in apart], rtol=1e-9, atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_splits_building_derived_shares_match_measured_ones(seed: int) -> None:
    """Shares left over in a partition equal the measured ones, next to gaps and overlaps."""
    from gridgov.rules import coverage

    rng = np.random.default_rng(seed)
    seeds = shapely.multipoints(rng.uniform(0, 300, (40, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box(0, 0, 300, 300)))
    cells = shapely.intersection(cells, box(0, 0, 300, 300))
    cells = np.delete(cells, 3)  # a gap
    cells = np.append(cells, shapely.affinity.translate(cells[5], 3.0, 1.0))  # overlaps
    grids = Grids.from_frame(layer(list(cells)))
    corner = rng.uniform(0, 290, (400, 2))
    angle = rng.uniform(0, 90, 400)
    footprints = np.array(
        [
            shapely.affinity.rotate(box(x, y, x + 12, y + 8), a)
            for (x, y), a in zip(corner, angle, strict=True)
        ],
        dtype=object,
    )
    ids = np.array([f"B{i}" for i in range(len(footprints))], dtype=object)
    rules = RuleSet(min_split_share=0.0, min_split_area=0.0)
    analysed = coverage.analyse(grids)
    assert analysed.marked.any()  # the copy (GEOS marks one grid of an overlapping pair)
    measured = boundary.splits_building(grids, ids, footprints, rules=rules)
    derived = boundary.splits_building(
        grids, ids, footprints, rules=rules, clean=~analysed.marked, union=analysed.union
    )
    assert len(measured) > 20
    assert derived["building_id"].tolist() == measured["building_id"].tolist()
    assert derived["other_id"].tolist() == measured["other_id"].tolist()
    np.testing.assert_allclose(derived["value"], measured["value"], rtol=1e-9, atol=1e-9)
