"""Scale rules (规模适度): each rule triggers, does not, and its boundary value."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import box

from gridgov.check import check
from gridgov.rules import RuleSet

if TYPE_CHECKING:
    from gridgov.findings import Findings

CRS = "EPSG:4549"
PARENT = "320102001001"


def grids(n: int = 2, **columns: object) -> gpd.GeoDataFrame:
    ids = [f"{PARENT}{i + 1:03d}" for i in range(n)]
    return gpd.GeoDataFrame(
        {"grid_id": ids, "parent_id": PARENT, **columns},
        geometry=[box(100 * i, 0, 100 * (i + 1), 100) for i in range(n)],
        crs=CRS,
    )


def homes(counts: list[int], persons: list[float] | None = None) -> gpd.GeoDataFrame:
    """`counts[i]` households strictly inside grid i, spread on a lattice."""
    xs: list[float] = []
    ys: list[float] = []
    for i, count in enumerate(counts):
        k = np.arange(count)
        xs.extend(100 * i + 5 + (k % 30) * 3.0)
        ys.extend(5 + (k // 30) * 3.0)
    frame = gpd.GeoDataFrame(
        {"household_id": [f"h{i}" for i in range(len(xs))]},
        geometry=shapely.points(xs, ys),
        crs=CRS,
    )
    if persons is not None:
        frame["persons"] = persons
    return frame


def run(layer: gpd.GeoDataFrame, people: gpd.GeoDataFrame, **rules: object) -> Findings:
    return check(layer, households=people, rules=RuleSet(**rules))


def of(findings: Findings, rule: str) -> Findings:
    return findings[findings["rule"] == rule].reset_index(drop=True)


@pytest.mark.parametrize(("load", "found"), [(501, True), (500, False), (400, False)])
def test_too_many_households_default_bounds(load: int, found: bool) -> None:
    hit = of(run(grids(1), homes([load])), "scale.too_many_households")
    assert len(hit) == int(found)
    if found:
        assert hit.loc[0, "grid_id"] == f"{PARENT}001"
        assert (hit.loc[0, "value"], hit.loc[0, "limit"]) == (501, 500)
        assert hit.loc[0, "severity"] == "error"
        assert hit.loc[0, "message"] == f"grid {PARENT}001 has 501 households, more than 500"
        assert hit.geometry[0].equals(box(0, 0, 100, 100))


@pytest.mark.parametrize(("load", "found"), [(299, True), (300, False), (0, True)])
def test_too_few_households_default_bounds(load: int, found: bool) -> None:
    hit = of(run(grids(1), homes([load])), "scale.too_few_households")
    assert len(hit) == int(found)
    if found:
        assert (hit.loc[0, "value"], hit.loc[0, "limit"]) == (load, 300)


def test_bounds_per_kind() -> None:
    layer = grids(3, kind=["micro", "dedicated", None])
    findings = run(layer, homes([101, 5, 20]), households={"comprehensive": (10, 30)})
    many = of(findings, "scale.too_many_households")
    few = of(findings, "scale.too_few_households")
    assert many[["grid_id", "value", "limit"]].values.tolist() == [[f"{PARENT}001", 101, 100]]
    assert "(micro grid)" in many.loc[0, "message"]
    assert len(few) == 0  # dedicated grids have no bounds


def test_households_on_a_shared_edge_count_once() -> None:
    layer = grids(2)
    edge = gpd.GeoDataFrame(
        {"household_id": ["a", "b"]}, geometry=shapely.points([100, 100], [50, 60]), crs=CRS
    )
    findings = run(layer, edge, households={"comprehensive": (1, 1)})
    many = of(findings, "scale.too_many_households")
    few = of(findings, "scale.too_few_households")
    # smallest id takes both households: 2 > 1 there, 0 < 1 in the other
    assert many["grid_id"].tolist() == [f"{PARENT}001"]
    assert few["grid_id"].tolist() == [f"{PARENT}002"]


@pytest.mark.parametrize(("persons", "found"), [(11.0, True), (10.0, False), (9.0, False)])
def test_too_many_persons(persons: float, found: bool) -> None:
    people = [persons / 2, persons / 2, 0.0]
    hit = of(
        run(
            grids(2),
            homes([2, 1], people),
            max_persons=10,
            households={"comprehensive": (None, None)},
        ),
        "scale.too_many_persons",
    )
    assert len(hit) == int(found)
    if found:
        assert (hit.loc[0, "value"], hit.loc[0, "limit"]) == (persons, 10)
        assert hit.loc[0, "severity"] == "warning"


def test_too_many_persons_skipped_without_bound_or_column() -> None:
    findings = run(grids(1), homes([3]))
    assert "RuleSet.max_persons is None" in findings.skipped["scale.too_many_persons"]
    findings = run(grids(1), homes([3]), max_persons=2)
    assert findings.skipped["scale.too_many_persons"] == "the households have no 'persons' column"


@pytest.mark.parametrize(
    ("width", "bounds", "expected"),
    [
        (100.5, {"max_area": 10_000}, (10_050.0, 10_000.0)),
        (100.0, {"max_area": 10_000}, None),
        (99.0, {"min_area": 10_000}, (9_900.0, 10_000.0)),
        (100.0, {"min_area": 10_000}, None),
    ],
)
def test_area_out_of_range(width: float, bounds: dict, expected: tuple | None) -> None:
    layer = gpd.GeoDataFrame(
        {"grid_id": [f"{PARENT}001"]}, geometry=[box(0, 0, width, 100)], crs=CRS
    )
    findings = check(layer, rules=RuleSet(**bounds))
    hit = of(findings, "scale.area_out_of_range")
    if expected is None:
        assert len(hit) == 0
    else:
        assert hit.loc[0, "value"] == pytest.approx(expected[0])
        assert hit.loc[0, "limit"] == expected[1]
    assert "scale.area_out_of_range" in check(layer).skipped


@pytest.mark.parametrize(
    ("loads", "cv"),
    [([10, 30], 0.5), ([30, 50], 0.25), ([40, 40], 0.0), ([3, 5], 0.25), ([2, 6], 0.5)],
)
def test_unbalanced_parent(loads: list[int], cv: float) -> None:
    findings = run(grids(2), homes(loads), households={"comprehensive": (None, None)})
    hit = of(findings, "scale.unbalanced_parent")
    if cv > 0.25:
        assert len(hit) == 1
        assert hit.loc[0, "grid_id"] is None
        assert hit.loc[0, "parent_id"] == PARENT
        assert hit.loc[0, "other_id"] == PARENT
        assert hit.loc[0, "value"] == pytest.approx(cv)
        assert hit.loc[0, "limit"] == 0.25
        assert hit.loc[0, "severity"] == "warning"
        assert hit.geometry[0].equals(box(0, 0, 200, 100))
    else:
        assert len(hit) == 0


def test_unbalanced_parent_ignores_other_kinds_and_lone_grids() -> None:
    layer = grids(3, kind=[None, None, "micro"], parent_id=[PARENT, "320102001002", PARENT])
    findings = run(layer, homes([10, 40, 90]), households={"comprehensive": (None, None)})
    assert len(of(findings, "scale.unbalanced_parent")) == 0


def test_unbalanced_parent_from_parent_units() -> None:
    layer = grids(2).drop(columns="parent_id")
    parents = gpd.GeoDataFrame({"unit_id": [PARENT]}, geometry=[box(0, 0, 200, 100)], crs=CRS)
    findings = check(
        layer,
        households=homes([10, 30]),
        parents=parents,
        rules=RuleSet(households={"comprehensive": (None, None)}),
    )
    assert of(findings, "scale.unbalanced_parent")["parent_id"].tolist() == [PARENT]
    skipped = check(layer, households=homes([10, 30])).skipped
    assert "no parents given" in skipped["scale.unbalanced_parent"]
