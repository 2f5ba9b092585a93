"""Adjustment rules (动态调整): load drift and review age."""

from __future__ import annotations

import datetime as dt
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
A, B = "320102001001001", "320102001001002"
BOUNDS = RuleSet(
    households={"comprehensive": (3, 5)},
    disabled=("scale.too_many_households", "scale.too_few_households", "scale.unbalanced_parent"),
)


def of(findings: Findings, rule: str) -> Findings:
    return findings[findings["rule"] == rule].reset_index(drop=True)


def grids(**columns: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"grid_id": [A, B], **columns},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
        crs=CRS,
    )


def homes(in_a: int, in_b: int) -> gpd.GeoDataFrame:
    xs = np.r_[np.arange(in_a) * 5 + 10, np.arange(in_b) * 5 + 110]
    return gpd.GeoDataFrame(
        {"household_id": [f"h{i}" for i in range(len(xs))]},
        geometry=shapely.points(xs, np.full(len(xs), 50.0)),
        crs=CRS,
    )


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        ((4, 4), (6, 4), [(A, 6, 5)]),  # drifted above
        ((4, 3), (4, 2), [(B, 2, 3)]),  # drifted below
        ((6, 4), (7, 4), []),  # was already out of bounds
        ((4, 4), (5, 3), []),  # still within (boundary values)
    ],
)
def test_load_drift_from_the_households_column(before: tuple, now: tuple, expected: list) -> None:
    previous = grids(households=list(before))
    findings = check(grids(), households=homes(*now), previous=previous, rules=BOUNDS)
    hit = of(findings, "adjustment.load_drift")
    assert list(zip(hit["grid_id"], hit["value"], hit["limit"], strict=True)) == expected
    if expected:
        assert hit.loc[0, "previous_value"] == before[0 if expected[0][0] == A else 1]
        assert "within bounds" in hit.loc[0, "message"]
        assert hit.loc[0, "severity"] == "warning"


def test_load_drift_assigns_households_to_the_previous_geometry() -> None:
    # previously A reached x = 112 and held 3 households, B held 5; the boundary moved
    # west to x = 100: A holds 2 (below 3) and B 6 (above 5).
    previous = gpd.GeoDataFrame(
        {"grid_id": [A, B]}, geometry=[box(0, 0, 112, 100), box(112, 0, 200, 100)], crs=CRS
    )
    findings = check(grids(), households=homes(2, 6), previous=previous, rules=BOUNDS)
    hit = of(findings, "adjustment.load_drift")
    assert hit[["grid_id", "value", "limit", "previous_value"]].values.tolist() == [
        [A, 2, 3, 3],
        [B, 6, 5, 5],
    ]


def test_load_drift_on_an_invalid_previous_edition() -> None:
    # A's previous polygon is a bowtie; B's is valid.  With recorded loads the polygons are
    # not used; without them the households are assigned to the repaired bowtie.
    bowtie = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    shapes = [bowtie, box(100, 0, 200, 100)]
    recorded = gpd.GeoDataFrame({"grid_id": [A, B], "households": [4, 4]}, geometry=shapes, crs=CRS)
    hit = of(
        check(grids(), households=homes(6, 4), previous=recorded, rules=BOUNDS),
        "adjustment.load_drift",
    )
    assert hit[["grid_id", "value", "previous_value"]].values.tolist() == [[A, 6, 4]]
    drawn = gpd.GeoDataFrame({"grid_id": [A, B]}, geometry=shapes, crs=CRS)
    # the repaired bowtie is two triangles touching at (50, 50): it holds the 5 households
    # on y = 50 but not the one at (50, 10), which A holds now (6, above 5; before: 5)
    now = homes(5, 4)
    now.loc[len(now)] = ["extra", shapely.Point(50, 10)]
    hit = of(check(grids(), households=now, previous=drawn, rules=BOUNDS), "adjustment.load_drift")
    assert hit[["grid_id", "value", "previous_value"]].values.tolist() == [[A, 6, 5]]


def test_load_drift_ignores_new_grids_and_is_skipped_without_previous() -> None:
    previous = gpd.GeoDataFrame(
        {"grid_id": ["320102001001009"], "households": [4]}, geometry=[box(0, 0, 200, 100)], crs=CRS
    )
    findings = check(grids(), households=homes(9, 9), previous=previous, rules=BOUNDS)
    assert len(of(findings, "adjustment.load_drift")) == 0
    skipped = check(grids(), households=homes(1, 1)).skipped
    assert skipped["adjustment.load_drift"] == "no previous edition given"


@pytest.mark.parametrize(("days", "found"), [(1096, True), (1095, False), (10, False)])
def test_review_due_boundary_value(days: int, found: bool) -> None:
    as_of = dt.date(2026, 6, 30)
    since = as_of - dt.timedelta(days=days)
    layer = grids(valid_from=[since.isoformat(), None])
    hit = of(check(layer, rules=RuleSet(as_of=as_of)), "adjustment.review_due")
    assert len(hit) == int(found)
    if found:
        assert (hit.loc[0, "grid_id"], hit.loc[0, "value"], hit.loc[0, "limit"]) == (A, 1096, 1095)
        assert hit.loc[0, "severity"] == "info"
        assert since.isoformat() in hit.loc[0, "message"]


def test_review_age_is_configurable_and_skipped_without_dates() -> None:
    layer = grids(valid_from=["2025-01-01", "2020-01-01"])
    rules = RuleSet(as_of="2025-12-31", review_age_days=300)
    hit = of(check(layer, rules=rules), "adjustment.review_due")
    assert hit["grid_id"].tolist() == [A, B]
    assert check(grids()).skipped["adjustment.review_due"] == (
        "the layer has no 'valid_from' column"
    )


def test_expired_grids_are_found_from_valid_to() -> None:
    layer = grids(valid_to=["2025-06-30", None])
    rules = RuleSet(as_of=dt.date(2025, 7, 10))
    found = of(check(layer, rules=rules), "adjustment.expired")
    assert list(found["grid_id"]) == [A]
    assert (found.loc[0, "value"], found.loc[0, "limit"]) == (10.0, 0.0)
    assert found.loc[0, "severity"] == "warning"
    assert found.loc[0, "principle"] == "adjustment"
    assert "went out of force on 2025-06-30" in found.loc[0, "message"]
    assert found.loc[0, "geometry"].equals(box(0, 0, 100, 100))
    # in force through its last day
    on_the_day = check(layer, rules=RuleSet(as_of=dt.date(2025, 6, 30)))
    assert of(on_the_day, "adjustment.expired").empty


def test_expired_is_skipped_without_valid_to_and_can_be_disabled() -> None:
    assert check(grids()).skipped["adjustment.expired"] == "the layer has no 'valid_to' column"
    rules = RuleSet(as_of=dt.date(2026, 1, 1), disabled=("adjustment.expired",))
    findings = check(grids(valid_to=["2025-06-30", None]), rules=rules)
    assert of(findings, "adjustment.expired").empty
    assert findings.skipped["adjustment.expired"] == "disabled in the RuleSet"
