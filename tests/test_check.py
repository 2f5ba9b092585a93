"""gg.check end to end: inputs, orchestration, determinism, the demo and real data."""

from __future__ import annotations

import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import LineString, Point, Polygon, box

from gridgov import datasets
from gridgov.check import check
from gridgov.errors import CRSError, LayerError
from gridgov.findings import Findings
from gridgov.rules import RULES, RuleSet

CRS = "EPSG:4549"
PARENT = "320102001001"


def lattice(n: int = 3) -> gpd.GeoDataFrame:
    geoms = [
        box(100 * i, 100 * j, 100 * i + 100, 100 * j + 100) for i in range(n) for j in range(n)
    ]
    ids = [f"{PARENT}{k + 1:03d}" for k in range(len(geoms))]
    return gpd.GeoDataFrame({"grid_id": ids, "parent_id": PARENT}, geometry=geoms, crs=CRS)


def homes(n: int = 60, seed: int = 0) -> gpd.GeoDataFrame:
    xy = np.random.default_rng(seed).uniform(-20, 320, (n, 2))
    return gpd.GeoDataFrame(
        {"household_id": [f"h{i:03d}" for i in range(n)], "persons": np.arange(n) % 4 + 1},
        geometry=shapely.points(xy),
        crs=CRS,
    )


STREET = gpd.GeoDataFrame({"unit_id": ["320102001"]}, geometry=[box(0, 0, 300, 300)], crs=CRS)


def messy() -> gpd.GeoDataFrame:
    """The lattice with one of each boundary/coverage defect."""
    grids = lattice()
    geoms = grids.geometry.to_numpy().copy()
    geoms[0] = Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])  # bow-tie
    geoms[4] = shapely.affinity.translate(geoms[4], 3, 0)  # overlap + gap
    geoms[8] = shapely.union(geoms[8], box(300, 250, 340, 250.4))  # sliver spilling outside
    ids = grids["grid_id"].tolist()
    ids[7] = ids[6]  # duplicate id
    ids[5] = "3201020010010"  # bad code
    return grids.assign(grid_id=ids).set_geometry(geoms)


# -- results and orchestration -------------------------------------------------------


def test_messy_layer_findings() -> None:
    findings = check(
        messy(),
        jurisdiction=STREET,
        households=homes(),
        rules=RuleSet(households={"comprehensive": (3, 10)}),
    )
    assert isinstance(findings, Findings)
    rules = set(findings["rule"])
    for rule in (
        "boundary.invalid_geometry",
        "boundary.multipart",
        "boundary.duplicate_id",
        "boundary.bad_code",
        "boundary.sliver",
        "coverage.gap",
        "coverage.overlap",
        "coverage.outside_jurisdiction",
        "coverage.uncovered_household",
    ):
        assert rule in rules, rule
    assert not findings.ok
    assert list(findings["principle"].drop_duplicates()) == ["scale", "boundary", "coverage"]


def test_skipped_rules_and_reasons() -> None:
    findings = check(lattice())
    assert findings.skipped == {
        "scale.too_many_households": "no households given",
        "scale.too_few_households": "no households given",
        "scale.too_many_persons": "no bound set (RuleSet.max_persons is None)",
        "scale.area_out_of_range": "no bounds set (RuleSet.min_area and max_area are None)",
        "scale.unbalanced_parent": "no households given",
        "boundary.crosses_parent": "no parents given",
        "boundary.splits_building": "no buildings given",
        "boundary.off_features": (
            "no features given (road, river or wall lines; e.g. features=roads)"
        ),
        "coverage.outside_jurisdiction": "no jurisdiction given",
        "coverage.uncovered_household": "no households given",
        "coverage.multiply_covered_household": "no households given",
        "coverage.service_gap": "no households given",
        "adjustment.load_drift": "no previous edition given",
        "adjustment.review_due": "the layer has no 'valid_from' column",
        "adjustment.expired": "the layer has no 'valid_to' column",
    }
    assert len(findings) == 0
    assert findings.ok


def test_disabled_rules_and_severity_overrides() -> None:
    rules = RuleSet(
        disabled=("coverage.overlap", "boundary.bad_code"),
        severity={"coverage.gap": "info", "boundary.invalid_geometry": "warning"},
    )
    findings = check(messy(), jurisdiction=STREET, rules=rules)
    assert "coverage.overlap" not in set(findings["rule"])
    assert findings.skipped["coverage.overlap"] == "disabled in the RuleSet"
    assert set(findings.loc[findings["rule"] == "coverage.gap", "severity"]) == {"info"}
    assert set(findings.loc[findings["rule"] == "boundary.invalid_geometry", "severity"]) == {
        "warning"
    }
    every = RuleSet(disabled=tuple(RULES))
    nothing = check(messy(), jurisdiction=STREET, households=homes(), rules=every)
    assert len(nothing) == 0
    assert set(nothing.skipped) == set(RULES)


def test_id_column_and_network_column() -> None:
    grids = messy().rename(columns={"grid_id": "code"}).assign(network="governance")
    findings = check(grids, id_column="code", jurisdiction=STREET)
    assert "grid_id" in findings.columns
    assert set(findings["network"]) == {"governance"}
    assert set(findings["grid_id"].dropna()) <= set(grids["code"])


def test_inputs_are_not_modified() -> None:
    grids, people, street = messy(), homes(), STREET.copy()
    before = grids.copy(), people.copy(), street.copy()
    check(grids, households=people, jurisdiction=street)
    for after, copy in zip((grids, people, street), before, strict=True):
        assert_geodataframe_equal(after, copy)


def test_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    check(lattice(), households=homes(), progress=True)
    assert "check" in capsys.readouterr().err


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16))
def test_findings_do_not_depend_on_row_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    grids, people = messy(), homes(80)
    rules = RuleSet(households={"comprehensive": (5, 10)})
    expected = check(grids, jurisdiction=STREET, households=people, rules=rules)
    shuffled = check(
        grids.iloc[rng.permutation(len(grids))],
        jurisdiction=STREET,
        households=people.iloc[rng.permutation(len(people))],
        rules=rules,
    )
    assert_geodataframe_equal(gpd.GeoDataFrame(expected), gpd.GeoDataFrame(shuffled))


@settings(max_examples=15, deadline=None)
@given(dx=st.floats(-30, 30), dy=st.floats(-30, 30), drop=st.integers(0, 8))
def test_area_is_accounted_for(dx: float, dy: float, drop: int) -> None:
    """Jurisdiction area = covered area + gaps, and grid area = covered area + overlaps + spill."""
    grids = lattice()
    geoms = grids.geometry.to_numpy().copy()
    geoms[4] = shapely.affinity.translate(geoms[4], dx, dy)
    grids = grids.set_geometry(geoms).drop(index=drop if drop != 4 else 0)
    tiny = RuleSet(min_gap_area=0, min_overlap_area=0, min_outside_area=0)
    findings = check(grids, jurisdiction=STREET, rules=tiny)
    union = shapely.union_all(grids.geometry.to_numpy())
    gaps = findings.loc[findings["rule"] == "coverage.gap", "value"].sum()
    overlaps = findings.loc[findings["rule"] == "coverage.overlap", "value"].sum()
    spill = findings.loc[findings["rule"] == "coverage.outside_jurisdiction", "value"].sum()
    covered = union.intersection(STREET.geometry[0]).area
    assert covered + gaps == pytest.approx(90_000, abs=1e-6)
    assert grids.area.sum() == pytest.approx(union.area + overlaps, abs=1e-6)
    assert spill == pytest.approx(union.difference(STREET.geometry[0]).area, abs=1e-6)


# -- bad inputs ----------------------------------------------------------------------


def test_mixed_crs_is_a_clear_error() -> None:
    with pytest.raises(CRSError, match="layers are in different CRSs"):
        check(lattice(), households=homes().to_crs(4490))


def test_geographic_crs_is_a_clear_error() -> None:
    grids = lattice().set_crs(4490, allow_override=True)
    with pytest.raises(CRSError, match=r"geographic CRS \(EPSG:4490, degrees\)"):
        check(grids)


def test_missing_crs_households_without_ids_and_empty_layers() -> None:
    with pytest.raises(CRSError, match="has no CRS"):
        check(lattice().set_crs(None, allow_override=True))
    with pytest.raises(LayerError, match="has no id column 'household_id'"):
        check(lattice(), households=homes().drop(columns="household_id"))
    with pytest.raises(LayerError, match="without household_id"):
        check(lattice(), households=homes().assign(household_id=None))
    with pytest.raises(LayerError, match="layer 'grids' \\(grids\\) has no rows"):
        check(lattice().iloc[:0])
    with pytest.raises(LayerError, match="layer 'jurisdiction' \\(jurisdiction\\) has no rows"):
        check(lattice(), jurisdiction=STREET.iloc[:0])
    with pytest.raises(LayerError, match="must be a GeoDataFrame, got DataFrame"):
        check(pd.DataFrame({"grid_id": ["a"]}))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"rules must be a gg\.RuleSet"):
        check(lattice(), rules={"max_area": 5})  # type: ignore[arg-type]


def test_empty_households_are_allowed() -> None:
    findings = check(lattice(), households=homes().iloc[:0])
    assert (findings["rule"] == "scale.too_few_households").sum() == 9


def test_bad_geometry_in_inputs() -> None:
    with pytest.raises(LayerError, match="with a Point geometry where Polygon or MultiPolygon"):
        check(lattice(), jurisdiction=STREET.set_geometry([Point(0, 0)]))
    bowtie = Polygon([(0, 0), (300, 300), (300, 0), (0, 300)])
    with pytest.raises(LayerError, match=r"jurisdiction.*invalid polygon"):
        check(lattice(), jurisdiction=STREET.set_geometry([bowtie]))
    with np.errstate(invalid="ignore"):
        nan_points = homes().set_geometry([Point(np.nan, 1)] * 60)
    with pytest.raises(LayerError, match="NaN or infinite coordinates"):
        check(lattice(), households=nan_points)
    with pytest.raises(LayerError, match="with a duplicated id"):
        check(lattice(), households=homes().assign(household_id="h"))


def test_features_must_be_lines() -> None:
    with pytest.raises(LayerError, match="layer 'features'"):
        check(lattice(), features=STREET)
    findings = check(
        lattice(), features=gpd.GeoDataFrame(geometry=[LineString([(0, 150), (300, 150)])], crs=CRS)
    )
    assert (findings["rule"] == "boundary.off_features").sum() == 9


# -- the embedded demo: the acceptance test --------------------------------------------


def check_demo() -> Findings:
    """Check the demo's governance network with every context layer."""
    demo = datasets.load_demo(metric=True)
    return check(
        demo.governance,
        jurisdiction=demo.street,
        parents=demo.communities,
        households=demo.households,
        buildings=demo.buildings,
        features=demo.roads,
        stations=demo.stations,
        roads=demo.roads,
        previous=demo.previous,
        rules=RuleSet(as_of=datasets.DEMO_AS_OF),
    )


@pytest.fixture(scope="module")
def demo_findings() -> Findings:
    return check_demo()


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["rule", "grid_id", "household_id", "other_id"]
    out = frame.reindex(columns=[*keys, "value"]).copy()
    for key in keys:
        values = out[key].astype(object)
        out[key] = values.where(values.notna(), "")
    return out.sort_values(keys).reset_index(drop=True)


def test_demo_findings_are_exactly_the_planted_defects(demo_findings: Findings) -> None:
    truth = datasets.demo_defects()
    truth = truth[truth["stage"] == "check"]
    got, want = _keyed(demo_findings), _keyed(truth)
    keys = ["rule", "grid_id", "household_id", "other_id"]
    merged = got.merge(want, on=keys, how="outer", suffixes=("", "_truth"), indicator=True)
    missed = merged[merged["_merge"] == "right_only"]
    extra = merged[merged["_merge"] == "left_only"]
    assert missed.empty, f"missed planted defects:\n{missed[keys].to_string()}"
    assert extra.empty, f"false positives:\n{extra[keys].to_string()}"
    both = merged.dropna(subset=["value_truth"])
    # areas, shares and distances within 2 % (the sliver's truth used round joins, +1 %)
    np.testing.assert_allclose(both["value"], both["value_truth"], rtol=0.02)
    assert set(demo_findings["network"]) == {"governance"}


def test_demo_findings_do_not_depend_on_the_worker_count(
    demo_findings: Findings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one worker (the documented setting): rules waiting for a product must still finish
    monkeypatch.setenv("GRIDGOV_THREADS", "1")
    alone = check_demo()
    pd.testing.assert_frame_equal(
        pd.DataFrame(alone.drop(columns="geometry")),
        pd.DataFrame(demo_findings.drop(columns="geometry")),
    )


def test_demo_summary_and_skipped(demo_findings: Findings) -> None:
    assert demo_findings.skipped == {
        "scale.too_many_persons": "no bound set (RuleSet.max_persons is None)",
        "scale.area_out_of_range": "no bounds set (RuleSet.min_area and max_area are None)",
    }
    text = str(demo_findings.summary())
    assert text.startswith("NOT OK: ")
    assert "coverage.gap" in text


def test_demo_other_networks_run() -> None:
    demo = datasets.load_demo(metric=True)
    for network in ("party", "service"):
        findings = check(
            demo.networks[network],
            jurisdiction=demo.street,
            households=demo.households,
            parents=demo.communities,
        )
        assert set(findings["network"]) == {network}


# -- real data shipped in a PyPI package: momepy's Bubeneč tessellation -------------------


@pytest.fixture(scope="module")
def bubenec() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    momepy = pytest.importorskip("momepy")
    path = os.path.join(os.path.dirname(momepy.__file__), "datasets", "bubenec.gpkg")
    cells = gpd.read_file(path, layer="tessellation").to_crs(32633)
    buildings = gpd.read_file(path, layer="buildings").to_crs(32633)
    cells["grid_id"] = cells["uID"].astype(int).astype(str).str.zfill(3)
    buildings["building_id"] = buildings["uID"].astype(int).astype(str)
    return cells[["grid_id", "geometry"]], buildings[["building_id", "geometry"]]


def test_real_clean_coverage_has_no_coverage_findings(bubenec: tuple) -> None:
    cells, buildings = bubenec
    area = gpd.GeoDataFrame(
        {"unit_id": ["bubenec"]},
        geometry=[shapely.union_all(cells.geometry.to_numpy())],
        crs=cells.crs,
    )
    findings = check(
        cells, jurisdiction=area, buildings=buildings, rules=RuleSet(code_pattern=r"^\d{3}$")
    )
    assert len(findings[findings["principle"] == "coverage"]) == 0
    assert (findings["rule"] == "boundary.splits_building").sum() == 0


def test_real_coverage_with_a_removed_and_a_shifted_cell(bubenec: tuple) -> None:
    cells, _ = bubenec
    area = gpd.GeoDataFrame(
        {"unit_id": ["bubenec"]},
        geometry=[shapely.union_all(cells.geometry.to_numpy())],
        crs=cells.crs,
    )
    removed_id, shifted_id = "010", "050"
    removed = cells.loc[cells["grid_id"] == removed_id].geometry.iloc[0]
    original = cells.loc[cells["grid_id"] == shifted_id].geometry.iloc[0]
    shifted = shapely.affinity.translate(original, 2.0, 1.0)
    broken = cells[cells["grid_id"] != removed_id].copy()
    broken.loc[broken["grid_id"] == shifted_id, "geometry"] = shifted
    findings = check(broken, jurisdiction=area)
    coverage = findings[findings["principle"] == "coverage"]
    # independent reference: plain shapely overlay of the broken layer
    others = cells[~cells["grid_id"].isin([removed_id, shifted_id])]
    expected_pairs = {
        (min(shifted_id, gid), max(shifted_id, gid)): shifted.intersection(geom).area
        for gid, geom in zip(others["grid_id"], others.geometry, strict=True)
        if shifted.intersection(geom).area > 1.0
    }
    overlaps = coverage[coverage["rule"] == "coverage.overlap"]
    got_pairs = dict(
        zip(
            zip(overlaps["grid_id"], overlaps["other_id"], strict=True),
            overlaps["value"],
            strict=True,
        )
    )
    assert got_pairs.keys() == expected_pairs.keys()
    for pair, value in expected_pairs.items():
        assert got_pairs[pair] == pytest.approx(value, rel=1e-6)
    uncovered = area.geometry[0].difference(shapely.union_all(broken.geometry.to_numpy()))
    expected_gaps = sorted(p.area for p in shapely.get_parts(uncovered) if p.area > 1.0)
    gaps = coverage[coverage["rule"] == "coverage.gap"]
    assert sorted(gaps["value"]) == pytest.approx(expected_gaps, rel=1e-6)
    assert max(gaps["value"]) == pytest.approx(removed.area, rel=1e-3)
    assert set(coverage["rule"]) == {"coverage.gap", "coverage.overlap"} | (
        {"coverage.outside_jurisdiction"}
        if (coverage["rule"] == "coverage.outside_jurisdiction").any()
        else set()
    )
    spill = coverage[coverage["rule"] == "coverage.outside_jurisdiction"]
    assert set(spill["grid_id"]) <= {shifted_id}


@pytest.mark.parametrize("where", ["_assignment", "_service", "coverage"])
def test_an_error_in_a_product_surfaces(where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error computing a product, in the main thread or a worker, is raised."""

    from gridgov.check_products import Products
    from gridgov.rules import coverage

    def fail(*args: object) -> None:
        msg = f"boom in {where}"
        raise RuntimeError(msg)

    if where == "coverage":
        monkeypatch.setattr(coverage, "analyse", fail)
    else:
        monkeypatch.setattr(Products, where, fail)
    with pytest.raises(RuntimeError, match=f"boom in {where}"):
        check_demo()


@pytest.mark.parametrize("code", ["boundary.sliver", "coverage.gap", "scale.too_few_households"])
def test_an_error_in_a_rule_surfaces(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error inside a registered rule is raised by check, whichever thread ran it."""
    import dataclasses

    from gridgov.rules import registry

    def fail(**products: object) -> None:
        msg = f"boom in {code}"
        raise RuntimeError(msg)

    broken = dataclasses.replace(registry.RULES[code], function=fail)
    monkeypatch.setitem(registry._REGISTRY, code, broken)
    with pytest.raises(RuntimeError, match=f"boom in {code}"):
        check_demo()


def test_an_interrupt_in_a_rule_stops_the_check_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C inside a rule ends the check: no further rule starts, the interrupt surfaces."""
    import dataclasses

    from gridgov.rules import registry

    monkeypatch.setenv("GRIDGOV_THREADS", "1")  # one thread: the rules run in queue order
    started: list[str] = []
    first = max(registry.RULES.values(), key=lambda info: info.cost)  # the queue starts with it
    for code, info in list(registry.RULES.items()):

        def spy(*, _code: str = code, _function: Any = info.function, **products: Any) -> Any:
            started.append(_code)
            if _code == first.code:
                raise KeyboardInterrupt
            return _function(**products)

        monkeypatch.setitem(registry._REGISTRY, code, dataclasses.replace(info, function=spy))
    with pytest.raises(KeyboardInterrupt):
        check_demo()
    assert started == [first.code]
