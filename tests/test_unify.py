"""Tests of gridgov.unify: cells, crosswalk, relations, conflicts, unified layer."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import box

from gridgov.errors import CRSError, LayerError
from gridgov.unify import RELATIONS, UNIFY_RULES, OneNetwork, unify

CRS = "EPSG:4549"


def layer(ids: list[str], geoms: list[shapely.Geometry], **columns: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"grid_id": ids, **columns}, geometry=geoms, crs=CRS)


def quad(x0: float = 0.0, y0: float = 0.0, size: float = 100.0) -> gpd.GeoDataFrame:
    """Four square grids A-D of `size` in a 2 x 2 block."""
    s = size
    return layer(
        ["A", "B", "C", "D"],
        [
            box(x0, y0, x0 + s, y0 + s),
            box(x0 + s, y0, x0 + 2 * s, y0 + s),
            box(x0, y0 + s, x0 + s, y0 + 2 * s),
            box(x0 + s, y0 + s, x0 + 2 * s, y0 + 2 * s),
        ],
    )


def relation_of(one: OneNetwork, network: str, grid_id: str, other: str) -> pd.Series:
    rows = one.relations[
        (one.relations["network"] == network)
        & (one.relations["grid_id"] == grid_id)
        & (one.relations["other_network"] == other)
    ]
    assert len(rows) == 1
    return rows.iloc[0]


def union_area(layers: dict[str, gpd.GeoDataFrame]) -> float:
    return float(
        shapely.union_all(np.concatenate([f.geometry.to_numpy() for f in layers.values()])).area
    )


# --------------------------------------------------------------------------- hand-drawn


def test_identical_networks_are_equal_with_agreement_one() -> None:
    governance = quad()
    party = quad().assign(grid_id=["P1", "P2", "P3", "P4"])
    one = unify({"governance": governance, "party": party})
    assert one.cells[["governance", "party"]].to_numpy().tolist() == [
        ["A", "P1"],
        ["B", "P2"],
        ["C", "P3"],
        ["D", "P4"],
    ]
    assert set(one.relations["relation"]) == {"equal"}
    assert len(one.relations) == 8
    assert (one.crosswalk[["share_of_a", "share_of_b"]] == 1.0).all().all()
    assert len(one.conflicts) == 0
    assert len(one.slivers) == 0
    row = one.agreement().iloc[0]
    assert row["boundary_share"] == pytest.approx(1.0)
    assert row["nested_share"] == pytest.approx(1.0)
    assert row["agreement"] == pytest.approx(1.0)


def test_nested_network() -> None:
    governance = quad()
    party = layer(["P1", "P2"], [box(0, 0, 200, 100), box(0, 100, 200, 200)])
    one = unify({"governance": governance, "party": party})
    assert len(one.cells) == 4
    for grid, parent in zip("ABCD", ["P1", "P1", "P2", "P2"], strict=True):
        row = relation_of(one, "governance", grid, "party")
        assert row["relation"] == "nested"
        assert row["largest_id"] == parent
    p1 = relation_of(one, "party", "P1", "governance")
    assert p1["relation"] == "contains"
    assert p1["other_ids"] == "A, B"
    assert len(one.conflicts) == 0
    agreement = one.agreement().iloc[0]
    assert agreement["boundary_share"] == pytest.approx(1.0)
    assert agreement["nested_share"] == pytest.approx(1.0)
    assert one.base == "governance"
    assert one.unified["party"].tolist() == ["P1", "P1", "P2", "P2"]
    redrawn = one.redrawn("party")
    assert redrawn["base_ids"].tolist() == ["A, B", "C, D"]
    assert redrawn.geometry.area.tolist() == pytest.approx([20_000.0, 20_000.0])


def test_network_shifted_by_less_than_tolerance_leaves_no_crumbs() -> None:
    governance = quad()
    shifted = quad().assign(grid_id=["P1", "P2", "P3", "P4"])
    shifted["geometry"] = shifted.translate(0.4, -0.3)
    layers = {"governance": governance, "party": shifted}
    one = unify(layers, tolerance=1.0)
    assert len(one.cells) == 4
    assert one.cells[["governance", "party"]].to_numpy().tolist() == [
        ["A", "P1"],
        ["B", "P2"],
        ["C", "P3"],
        ["D", "P4"],
    ]
    assert set(one.relations["relation"]) == {"equal"}
    assert len(one.conflicts) == 0
    assert len(one.slivers) > 0
    assert one.slivers["area"].max() < 200 * 1.0
    assert one.cells["area"].sum() == pytest.approx(union_area(layers), rel=1e-9)
    assert one.agreement()["boundary_share"].iloc[0] == pytest.approx(1.0)
    # with a tolerance below the shift the crumbs stay
    crumbs = unify(layers, tolerance=0.1)
    assert len(crumbs.cells) > 4
    assert len(crumbs.slivers) == 0
    assert crumbs.cells["area"].sum() == pytest.approx(union_area(layers), rel=1e-9)


def test_grid_straddling_two_grids_is_reported_with_shares() -> None:
    governance = layer(["G1", "G2"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    party = layer(["P1", "P2"], [box(0, 0, 160, 100), box(160, 0, 200, 100)])
    one = unify({"governance": governance, "party": party})
    p1 = relation_of(one, "party", "P1", "governance")
    assert p1["relation"] == "straddles"
    assert p1["other_ids"] == "G1, G2"
    assert p1["largest_id"] == "G1"
    assert p1["largest_share"] == pytest.approx(100 / 160)
    assert relation_of(one, "party", "P2", "governance")["relation"] == "nested"
    assert relation_of(one, "governance", "G1", "party")["relation"] == "nested"
    assert relation_of(one, "governance", "G2", "party")["relation"] == "straddles"
    crosswalk = one.crosswalk.set_index(["grid_a", "grid_b"])
    assert crosswalk.loc[("G1", "P1"), "shared_area"] == pytest.approx(10_000.0)
    assert crosswalk.loc[("G2", "P1"), "share_of_a"] == pytest.approx(0.6)
    assert crosswalk.loc[("G2", "P1"), "share_of_b"] == pytest.approx(60 / 160)
    assert crosswalk.loc[("G2", "P2"), "share_of_a"] == pytest.approx(0.4)
    conflicts = one.conflicts
    assert conflicts["rule"].tolist() == ["boundary.straddles_network"]
    finding = conflicts.iloc[0]
    assert (finding["grid_id"], finding["network"], finding["other_network"]) == (
        "P1",
        "party",
        "governance",
    )
    assert finding["other_id"] == "G1, G2"
    assert finding["value"] == pytest.approx(0.625)
    assert finding["limit"] == pytest.approx(0.75)
    assert finding["principle"] == "boundary"
    assert finding.geometry.equals(box(100, 0, 160, 100))
    assert one.unified["party"].tolist() == ["P1", "P1"]
    assert one.unified["party_share"].tolist() == pytest.approx([1.0, 0.6])


def test_relations_take_share_tolerance() -> None:
    governance = layer(["G1", "G2"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    party = layer(["P1", "P2"], [box(0, 0, 103, 100), box(103, 0, 200, 100)])
    loose = unify({"governance": governance, "party": party}, share_tolerance=0.05)
    assert set(loose.relations["relation"]) == {"equal"}
    strict = unify({"governance": governance, "party": party}, share_tolerance=0.01)
    assert relation_of(strict, "party", "P1", "governance")["relation"] == "similar"
    assert relation_of(strict, "governance", "G1", "party")["relation"] == "nested"
    mismatch = strict.conflicts
    assert mismatch["rule"].unique().tolist() == ["boundary.boundary_mismatch"]
    assert set(mismatch["grid_id"]) == {"P1", "P2"}
    row = mismatch[mismatch["grid_id"] == "P1"].iloc[0]
    assert row["other_id"] == "G1"
    # the edge at x = 103 and the 2 m of the top and bottom edges beyond 1 m of G1
    assert row["value"] == pytest.approx(104.0)
    assert row["distance"] == pytest.approx(3.0)
    assert row.geometry.equals(shapely.LineString([(101, 0), (103, 0), (103, 100), (101, 100)]))


def test_spilling_and_counterpart_mismatches() -> None:
    governance = layer(["G1", "G2"], [box(0, 0, 200, 100), box(200, 0, 300, 100)])
    party = layer(
        ["P0", "P1", "P2"], [box(0, 0, 120, 100), box(120, 0, 220, 100), box(220, 0, 300, 100)]
    )
    one = unify({"governance": governance, "party": party}, base="governance", share_tolerance=0.01)
    assert relation_of(one, "party", "P0", "governance")["relation"] == "nested"
    assert relation_of(one, "party", "P1", "governance")["relation"] == "similar"
    assert relation_of(one, "party", "P2", "governance")["relation"] == "nested"
    conflicts = one.conflicts.set_index("grid_id")
    assert conflicts["rule"].to_dict() == {
        "P1": "boundary.boundary_mismatch",
        "P2": "boundary.boundary_mismatch",
    }
    # P1 (80 % in G1, which it covers for 40 %) spills 20 m into G2
    assert conflicts.loc["P1", "other_id"] == "G1"
    assert conflicts.loc["P1", "value"] == pytest.approx(19 + 100 + 19)
    assert conflicts.loc["P1", "distance"] == pytest.approx(20.0)
    # P2 is G2's counterpart (80 % of it) but misses its part west of x = 220
    assert conflicts.loc["P2", "other_id"] == "G2"
    assert conflicts.loc["P2", "value"] == pytest.approx(98.0)  # 1 m at each end is near G2
    assert conflicts.loc["P2", "distance"] == pytest.approx(20.0)


def test_unmatched_and_partial_grids() -> None:
    governance = layer(["G1"], [box(0, 0, 100, 100)])
    service = layer(["S1", "S2"], [box(50, 0, 150, 100), box(300, 0, 400, 100)])
    one = unify({"governance": governance, "service": service})
    assert relation_of(one, "service", "S1", "governance")["relation"] == "partial"
    assert relation_of(one, "service", "S2", "governance")["relation"] == "uncovered"
    assert relation_of(one, "governance", "G1", "service")["relation"] == "partial"
    conflicts = one.conflicts
    unmatched = conflicts[conflicts["rule"] == "boundary.unmatched_grid"]
    assert sorted(zip(unmatched["network"], unmatched["grid_id"], strict=True)) == [
        ("governance", "G1"),
        ("service", "S1"),
        ("service", "S2"),
    ]
    s1 = unmatched[unmatched["grid_id"] == "S1"].iloc[0]
    assert s1["value"] == pytest.approx(0.5)
    assert s1.geometry.equals(box(100, 0, 150, 100))
    assert one.cells["governance"].tolist() == ["G1", "G1", None, None]
    assert one.cells["service"].tolist() == ["S1", None, "S1", "S2"]
    assert one.cells["n_networks"].tolist() == [2, 1, 1, 1]


def test_overlap_inside_a_network_goes_to_the_smaller_id() -> None:
    governance = layer(["G2", "G1"], [box(80, 0, 200, 100), box(0, 0, 100, 100)])
    party = layer(["P1"], [box(0, 0, 200, 100)])
    one = unify({"governance": governance, "party": party})
    assert one.overlaps[["network", "grid_id", "other_id"]].to_numpy().tolist() == [
        ["governance", "G1", "G2"]
    ]
    assert one.overlaps["area"].iloc[0] == pytest.approx(2_000.0)
    cells = one.cells.set_index("governance")
    assert cells.loc["G1", "area"] == pytest.approx(10_000.0)
    assert cells.loc["G2", "area"] == pytest.approx(10_000.0)
    assert one.cells["area"].sum() == pytest.approx(20_000.0)
    # single network: overlaps are resolved too
    alone = unify({"governance": governance})
    assert alone.cells["area"].tolist() == pytest.approx([10_000.0, 10_000.0])
    assert len(alone.overlaps) == 1


def test_slivers_are_absorbed_into_the_longest_boundary() -> None:
    governance = layer(["G1", "G2"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    # P1 ends 0.5 m past G1: the strip 100..100.5 goes to the cell (G2, P2)
    party = layer(["P1", "P2"], [box(0, 0, 100.5, 100), box(100.5, 0, 200, 100)])
    one = unify({"governance": governance, "party": party}, tolerance=1.0)
    assert len(one.slivers) == 1
    sliver = one.slivers.iloc[0]
    assert (sliver["governance"], sliver["party"]) == ("G2", "P1")
    assert sliver["area"] == pytest.approx(50.0)
    # it shares 100 m with (G1, P1) and with (G2, P2): the tie goes to the ids sorting first
    assert one.cells.loc[sliver["cell_id"], ["governance", "party"]].tolist() == ["G1", "P1"]
    assert one.cells["area"].tolist() == pytest.approx([10_050.0, 9_950.0])
    # a longer boundary wins: P1 reaches 0.5 m into G2 along half of its side only
    party = layer(
        ["P1", "P2"],
        [
            shapely.union_all([box(0, 0, 100, 100), box(100, 0, 100.5, 50)]),
            shapely.difference(box(100, 0, 200, 100), box(100, 0, 100.5, 50)),
        ],
    )
    one = unify({"governance": governance, "party": party}, tolerance=1.0)
    sliver = one.slivers.iloc[0]
    assert (sliver["governance"], sliver["party"]) == ("G2", "P1")
    assert one.cells.loc[sliver["cell_id"], ["governance", "party"]].tolist() == ["G2", "P2"]


def test_thin_grid_of_its_own_is_kept() -> None:
    governance = layer(["G1", "G2"], [box(0, 0, 100, 100), box(100, 0, 100.5, 100)])
    one = unify({"governance": governance}, tolerance=1.0)
    assert one.cells["governance"].tolist() == ["G1", "G2"]
    assert len(one.slivers) == 0


def test_households_add_shared_counts() -> None:
    governance = layer(["G1", "G2"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    party = layer(["P1"], [box(0, 0, 200, 100)])
    homes = gpd.GeoDataFrame(
        {"household_id": ["h1", "h2", "h3", "h4"]},
        geometry=[shapely.Point(10, 10), shapely.Point(20, 10), shapely.Point(150, 50),
                  shapely.Point(500, 500)],
        crs=CRS,
    )  # fmt: skip
    one = unify({"governance": governance, "party": party}, households=homes)
    assert one.crosswalk[["grid_a", "grid_b", "shared_households"]].to_numpy().tolist() == [
        ["G1", "P1", 2],
        ["G2", "P1", 1],
    ]
    assert one.unified["households"].tolist() == [2, 1]


def test_base_defaults_to_the_network_with_most_grids() -> None:
    governance = layer(["G1", "G2"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    party = quad(size=50).assign(grid_id=["P1", "P2", "P3", "P4"])
    assert unify({"governance": governance, "party": party}).base == "party"
    one = unify({"governance": governance, "party": party}, base="governance")
    assert one.base == "governance"
    assert one.unified["grid_id"].tolist() == ["G1", "G2"]


def test_options_and_inputs_are_checked() -> None:
    grids = quad()
    with pytest.raises(ValueError, match="tolerance"):
        unify({"a": grids}, tolerance=-1)
    with pytest.raises(ValueError, match="share_tolerance"):
        unify({"a": grids}, share_tolerance=0.5)
    with pytest.raises(ValueError, match="straddle_share"):
        unify({"a": grids}, straddle_share=0.01, share_tolerance=0.05)
    with pytest.raises(ValueError, match="base 'b'"):
        unify({"a": grids}, base="b")
    with pytest.raises(LayerError, match="non-empty dict"):
        unify({})
    with pytest.raises(LayerError, match="taken by a column"):
        unify({"area": grids})
    with pytest.raises(CRSError, match="different CRSs"):
        unify({"a": grids, "b": grids.to_crs(4490)})
    with pytest.raises(CRSError, match="geographic"):
        unify({"a": grids.set_crs(4490, allow_override=True)})
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    with pytest.raises(LayerError, match="invalid polygons"):
        unify({"a": layer(["x"], [bowtie])})


def test_inputs_are_not_modified() -> None:
    governance = quad()
    before = governance.copy()
    unify({"governance": governance, "party": quad(x0=30).assign(grid_id=list("PQRS"))})
    pd.testing.assert_frame_equal(governance, before)


def test_id_column_and_progress(capsys: pytest.CaptureFixture[str]) -> None:
    grids = quad().rename(columns={"grid_id": "code"})
    one = unify({"a": grids}, id_column="code", progress=True)
    assert one.cells["a"].tolist() == ["A", "B", "C", "D"]
    assert "unify" in capsys.readouterr().err


def test_to_file_writes_every_layer(tmp_path: pytest.TempPathFactory) -> None:
    import pyogrio

    governance = layer(["G1", "G2"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    party = layer(["P1", "P2"], [box(0, 0, 160, 100), box(160, 0, 200, 100)])
    one = unify({"governance": governance, "party": party})
    path = tmp_path / "one.gpkg"  # type: ignore[operator]
    one.to_file(path)
    names = {name for name, _ in pyogrio.list_layers(path)}
    assert names == set(one.outputs())
    cells = gpd.read_file(path, layer="cells")
    assert cells["governance"].tolist() == one.cells["governance"].tolist()
    assert gpd.read_file(path, layer="conflicts")["rule"].tolist() == ["boundary.straddles_network"]
    with pytest.raises(ValueError, match="GeoPackage"):
        one.to_file(tmp_path / "one.shp")  # type: ignore[operator]


def test_plot_and_summary() -> None:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    governance = layer(["G1", "G2"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    party = layer(["P1", "P2"], [box(0, 0, 160, 100), box(160, 0, 200, 100)])
    one = unify({"governance": governance, "party": party})
    figure = one.plot()
    assert figure.axes
    plt.close(figure)
    text = one.summary()
    assert "1 boundary.straddles_network" in text
    assert "OneNetwork" in repr(one)
    assert set(one.relations["relation"]) <= set(RELATIONS)
    assert set(one.conflicts["rule"]) <= set(UNIFY_RULES)


def test_crossing_networks_have_partial_agreement() -> None:
    governance = quad()
    party = quad(x0=50).assign(grid_id=["P1", "P2", "P3", "P4"])
    one = unify({"governance": governance, "party": party})
    row = one.agreement().iloc[0]
    # the horizontal lines coincide where both networks are: y = 0, 100, 200 from x = 50 to 200
    assert row["coincident"] == pytest.approx(450.0)
    assert row["boundary_a"] == pytest.approx(1_200.0)
    assert 0.0 < row["boundary_share"] < 1.0
    assert 0.0 <= row["nested_share"] < 1.0
    assert row["agreement"] == pytest.approx((row["boundary_share"] + row["nested_share"]) / 2)


def test_single_layer_agreement_is_empty() -> None:
    assert len(unify({"a": quad()}).agreement()) == 0


# --------------------------------------------------------------------------- property tests


def random_layer(
    seed: int, n: int, *, size: float = 1_000.0, prefix: str = "G"
) -> gpd.GeoDataFrame:
    """A Voronoi coverage of `n` grids over a square, with irregular boundaries."""
    rng = np.random.default_rng(seed)
    points = shapely.multipoints(rng.uniform(0, size, (n, 2)))
    square = box(0, 0, size, size)
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=square))
    cells = shapely.intersection(cells, square)
    cells = shapely.segmentize(cells, size / 20)
    ids = [f"{prefix}{i:03d}" for i in range(len(cells))]
    return layer(ids, list(cells))


def canonical(cells: gpd.GeoDataFrame, names: list[str]) -> list[tuple[object, ...]]:
    """Cells as sorted tuples of (ids..., rounded area, normalised WKT)."""
    rows = []
    for row in cells.itertuples(index=False):
        ids = tuple(getattr(row, name) for name in names)
        geom = shapely.normalize(shapely.set_precision(row.geometry, 1e-6))
        rows.append((*ids, round(row.area, 3), geom.wkt))
    return sorted(rows, key=lambda r: tuple("" if v is None else str(v) for v in r))


property_settings = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@property_settings
@given(
    seeds=st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)),
    sizes=st.tuples(st.integers(2, 12), st.integers(1, 8)),
    shift=st.floats(-300, 300),
    tolerance=st.sampled_from([0.0, 1.0, 5.0]),
)
def test_area_is_conserved(
    seeds: tuple[int, int], sizes: tuple[int, int], shift: float, tolerance: float
) -> None:
    a = random_layer(seeds[0], sizes[0])
    b = random_layer(seeds[1], sizes[1], prefix="P")
    b["geometry"] = b.translate(shift, shift / 3)
    layers = {"a": a, "b": b}
    one = unify(layers, tolerance=tolerance)
    total = union_area(layers)
    assert one.cells["area"].sum() == pytest.approx(total, rel=1e-6)
    assert shapely.area(one.cells.geometry.to_numpy()).sum() == pytest.approx(total, rel=1e-6)
    # every cell is one combination, the cells do not overlap
    assert not one.cells[["a", "b"]].duplicated().any()
    assert shapely.union_all(one.cells.geometry.to_numpy()).area == pytest.approx(total, rel=1e-6)
    if tolerance == 0.0:
        for name, frame in layers.items():
            by_grid = one.cells.groupby(name)["area"].sum()
            expected = frame.set_index("grid_id").area
            pd.testing.assert_series_equal(
                by_grid.reindex(expected.index), expected, check_names=False, rtol=1e-6
            )


@property_settings
@given(
    seeds=st.tuples(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000)),
    sizes=st.tuples(st.integers(2, 10), st.integers(1, 6)),
)
def test_row_order_and_network_names_do_not_change_cells(
    seeds: tuple[int, int, int], sizes: tuple[int, int]
) -> None:
    a = random_layer(seeds[0], sizes[0])
    b = random_layer(seeds[1], sizes[1], prefix="P")
    b["geometry"] = b.translate(37.0, -11.0)
    reference = unify({"governance": a, "party": b})
    rng = np.random.default_rng(seeds[2])
    shuffled = {
        "governance": a.iloc[rng.permutation(len(a))],
        "party": b.iloc[rng.permutation(len(b))],
    }
    permuted = unify(shuffled)
    pd.testing.assert_frame_equal(
        reference.cells.drop(columns="geometry"), permuted.cells.drop(columns="geometry")
    )
    assert shapely.equals(
        reference.cells.geometry.to_numpy(), permuted.cells.geometry.to_numpy()
    ).all()
    pd.testing.assert_frame_equal(reference.crosswalk, permuted.crosswalk)
    pd.testing.assert_frame_equal(reference.relations, permuted.relations)
    renamed = unify({"x": a, "y": b})
    assert canonical(renamed.cells.rename(columns={"x": "governance", "y": "party"}), [
        "governance", "party"
    ]) == canonical(reference.cells, ["governance", "party"])  # fmt: skip


@property_settings
@given(seed=st.integers(0, 10_000), n=st.integers(1, 15), tolerance=st.sampled_from([0.0, 1.0]))
def test_single_layer_is_returned_unchanged(seed: int, n: int, tolerance: float) -> None:
    grids = random_layer(seed, n)
    one = unify({"governance": grids}, tolerance=tolerance)
    ordered = grids.sort_values("grid_id").reset_index(drop=True)
    assert one.cells["governance"].tolist() == ordered["grid_id"].tolist()
    assert shapely.equals(one.cells.geometry.to_numpy(), ordered.geometry.to_numpy()).all()
    assert one.cells["area"].to_numpy() == pytest.approx(ordered.area.to_numpy())
    assert len(one.slivers) == 0
    assert len(one.crosswalk) == 0
    assert len(one.relations) == 0
    assert len(one.conflicts) == 0
    assert shapely.equals(one.unified.geometry.to_numpy(), ordered.geometry.to_numpy()).all()


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo_unified() -> tuple[OneNetwork, pd.DataFrame, object]:
    from gridgov import datasets

    demo = datasets.load_demo(metric=True)
    networks = {}
    for name, frame in demo.networks.items():
        repaired = frame.copy()
        repaired["geometry"] = shapely.make_valid(frame.geometry.to_numpy())
        networks[name] = repaired
    one = unify(networks, base="governance", share_tolerance=0.01, households=demo.households)
    truth = datasets.demo_defects()
    return one, truth[truth["stage"] == "unify"], demo


def test_demo_planted_conflicts_are_found_exactly(
    demo_unified: tuple[OneNetwork, pd.DataFrame, object],
) -> None:
    one, truth, _ = demo_unified
    expected = truth[truth["rule"] != "nested"]
    found = one.conflicts
    assert sorted(
        zip(found["rule"], found["network"], found["grid_id"], found["other_id"], strict=True)
    ) == sorted(
        zip(expected["rule"], expected["network"], expected["grid_id"], expected["other_id"],
            strict=True)
    )  # fmt: skip
    assert set(found["other_network"]) == {"governance"}
    for row in expected.itertuples():
        match = found[(found["rule"] == row.rule) & (found["grid_id"] == row.grid_id)].iloc[0]
        assert match["value"] == pytest.approx(row.value, rel=0.02)


def test_demo_planted_nesting_is_found_exactly(
    demo_unified: tuple[OneNetwork, pd.DataFrame, object],
) -> None:
    one, truth, _ = demo_unified
    nested = one.relations[one.relations["relation"] == "nested"]
    pairs = set()
    for row in nested.itertuples():
        if row.network != "governance" and row.other_network == "governance":
            pairs.add((row.network, row.grid_id, row.largest_id))
        elif row.network == "governance" and row.other_network != "governance":
            pairs.add((row.other_network, row.largest_id, row.grid_id))
    expected = truth[truth["rule"] == "nested"]
    assert pairs == set(zip(expected["network"], expected["grid_id"], expected["other_id"],
                            strict=True))  # fmt: skip


def test_demo_cells_conserve_area_and_households(
    demo_unified: tuple[OneNetwork, pd.DataFrame, object],
) -> None:
    one, _, demo = demo_unified
    layers = {name: one._layers[name] for name in one.networks}
    assert one.cells["area"].sum() == pytest.approx(union_area(layers), rel=1e-9)
    assert one.cells.geometry.is_valid.all()
    from gridgov.assign import assign

    loads = assign(demo.households, layers)  # type: ignore[attr-defined]
    crosswalk = one.crosswalk
    for network in ("party", "service"):
        part = crosswalk[
            (crosswalk["network_a"] == "governance") & (crosswalk["network_b"] == network)
        ]
        assert (
            part["shared_households"].sum()
            == (loads["governance"].notna() & loads[network].notna()).sum()
        )


def test_demo_unified_layer_passes_coverage_rules_like_the_base(
    demo_unified: tuple[OneNetwork, pd.DataFrame, object],
) -> None:
    from gridgov.check import check

    one, _, demo = demo_unified
    base = one._layers["governance"]
    street = demo.street  # type: ignore[attr-defined]

    def coverage(frame: gpd.GeoDataFrame) -> list[tuple[str, object]]:
        findings = check(frame, jurisdiction=street)
        rows = findings[findings["principle"] == "coverage"]
        return sorted(zip(rows["rule"], rows["grid_id"], strict=True), key=str)

    assert coverage(one.unified) == coverage(base)
    assert one.unified["service"].notna().all()
