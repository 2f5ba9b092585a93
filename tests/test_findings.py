"""The Findings frame: construction, order, selections, summary, I/O."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, Point, box

from gridgov.errors import CRSError
from gridgov.findings import FINDING_COLUMNS, Findings, make_findings

if TYPE_CHECKING:
    from pathlib import Path


def _record(rule: str, grid_id: str | None, severity: str = "error", **extra: object) -> dict:
    principle = rule.split(".", maxsplit=1)[0]
    return {
        "principle": principle,
        "rule": rule,
        "severity": severity,
        "grid_id": grid_id,
        "value": extra.pop("value", 1.0),
        "limit": extra.pop("limit", 0.5),
        "message": f"{rule} on {grid_id}",
        "geometry": extra.pop("geometry", Point(0, 0)),
        **extra,
    }


RECORDS = [
    _record("coverage.overlap", "B", other_id="C", geometry=box(0, 0, 1, 1)),
    _record("adjustment.review_due", "A", severity="info"),
    _record("coverage.gap", None, geometry=box(5, 5, 6, 6)),
    _record("coverage.overlap", "A", other_id="C"),
    _record("coverage.overlap", "A", other_id="B"),
    _record("scale.too_many_households", "B", value=600, limit=500),
    _record(
        "boundary.off_features", "A", severity="warning", geometry=LineString([(0, 0), (1, 0)])
    ),
    _record("coverage.uncovered_household", None, household_id="h2"),
    _record("coverage.uncovered_household", None, household_id="h10"),
]


def test_columns_and_order() -> None:
    findings = make_findings(RECORDS, crs=4549)
    assert isinstance(findings, Findings)
    assert isinstance(findings, gpd.GeoDataFrame)
    assert findings.columns.tolist() == [*FINDING_COLUMNS, "household_id", "other_id"]
    assert findings.index.equals(pd.RangeIndex(len(RECORDS)))
    assert findings.crs.to_epsg() == 4549
    rows = list(
        zip(
            findings["rule"],
            findings["grid_id"],
            findings["other_id"],
            findings["household_id"],
            strict=True,
        )
    )
    assert rows == [
        ("scale.too_many_households", "B", None, None),
        ("boundary.off_features", "A", None, None),
        ("coverage.gap", None, None, None),
        ("coverage.overlap", "A", "B", None),
        ("coverage.overlap", "A", "C", None),
        ("coverage.overlap", "B", "C", None),
        ("coverage.uncovered_household", None, None, "h10"),
        ("coverage.uncovered_household", None, None, "h2"),
        ("adjustment.review_due", "A", None, None),
    ]
    assert findings["value"].dtype == float
    assert findings["grid_id"].dtype == object


def test_order_does_not_depend_on_input_order() -> None:
    first = make_findings(RECORDS, crs=4549)
    for seed in range(5):
        shuffled = [RECORDS[i] for i in np.random.default_rng(seed).permutation(len(RECORDS))]
        again = make_findings(shuffled, crs=4549)
        pd.testing.assert_frame_equal(pd.DataFrame(first), pd.DataFrame(again))


def test_from_a_frame_and_from_frames() -> None:
    frame = pd.DataFrame(RECORDS)
    a = make_findings(frame, crs=4549)
    b = make_findings([frame.iloc[:4], frame.iloc[4:]], crs=4549)
    c = make_findings(gpd.GeoDataFrame(frame, crs=4549), crs=4549)
    for other in (b, c):
        pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(other))
    with pytest.raises(CRSError, match="records are in"):
        make_findings(gpd.GeoDataFrame(frame, crs=4549), crs=4326)


def test_empty() -> None:
    findings = make_findings([], crs=4549, skipped={"coverage.gap": "no jurisdiction"})
    assert len(findings) == 0
    assert findings.columns.tolist() == list(FINDING_COLUMNS)
    assert findings.ok
    assert len(findings.errors) == 0
    assert findings.skipped == {"coverage.gap": "no jurisdiction"}
    assert str(findings.summary()).startswith("OK: no findings")


def test_bad_records() -> None:
    with pytest.raises(ValueError, match="lack the columns severity"):
        make_findings([{k: v for k, v in RECORDS[0].items() if k != "severity"}], crs=4549)
    with pytest.raises(ValueError, match="unknown principle"):
        make_findings([{**RECORDS[0], "principle": "beauty"}], crs=4549)
    with pytest.raises(ValueError, match="unknown severity"):
        make_findings([{**RECORDS[0], "severity": "fatal"}], crs=4549)
    with pytest.raises(ValueError, match="shapely geometries or None"):
        make_findings([{**RECORDS[0], "geometry": "POINT (0 0)"}], crs=4549)
    with pytest.raises(TypeError, match="single mapping"):
        make_findings(RECORDS[0], crs=4549)  # type: ignore[arg-type]


def test_ok_errors_and_slicing_keep_the_class() -> None:
    findings = make_findings(RECORDS, crs=4549, skipped={"x.y": "why"})
    assert not findings.ok
    errors = findings.errors
    assert isinstance(errors, Findings)
    assert set(errors["severity"]) == {"error"}
    assert len(errors) == 7
    assert errors.skipped == {"x.y": "why"}
    assert len(findings.warnings) == 1
    sliced = findings[findings["principle"] == "coverage"]
    assert isinstance(sliced, Findings)
    assert sliced.skipped == {"x.y": "why"}
    assert isinstance(findings.iloc[:2], Findings)
    assert isinstance(findings.copy(), Findings)
    assert findings[findings["severity"] == "info"].ok
    assert not isinstance(findings[["rule", "grid_id"]], gpd.GeoDataFrame)
    assert isinstance(pd.concat([findings, findings]), Findings)


def test_summary_counts_and_grid_table() -> None:
    summary = make_findings(RECORDS, crs=4549, skipped={"coverage.service_gap": "no stations"})
    summary = summary.summary()
    assert (summary.total, summary.errors, summary.warnings, summary.infos) == (9, 7, 1, 1)
    assert not summary.ok
    counts = summary.counts.set_index("rule")
    assert counts.loc["coverage.overlap", "error"] == 3
    assert counts.loc["coverage.uncovered_household", "total"] == 2
    assert summary.counts["principle"].tolist() == [
        "scale",
        "boundary",
        "coverage",
        "coverage",
        "coverage",
        "adjustment",
    ]
    grids = summary.grids
    assert grids.index.tolist() == ["A", "B"]
    assert grids.loc["A"].to_dict() == {
        "error": 2,
        "warning": 1,
        "info": 1,
        "total": 4,
        "rules": "adjustment.review_due, boundary.off_features, coverage.overlap",
    }
    text = str(summary)
    assert text.splitlines()[0] == "NOT OK: 9 findings (7 errors, 1 warning, 1 info)"
    assert "coverage.service_gap: no stations" in text
    assert "grids with findings (2, worst first)" in text


def test_writes_like_a_geodataframe(tmp_path: Path) -> None:
    findings = make_findings(RECORDS, crs=4549)
    gpkg = tmp_path / "findings.gpkg"
    findings.to_file(gpkg, layer="findings")
    back = gpd.read_file(gpkg, layer="findings")
    assert back["rule"].tolist() == findings["rule"].tolist()
    assert back.crs.to_epsg() == 4549
    parquet = tmp_path / "findings.parquet"
    findings.to_parquet(parquet)
    back = gpd.read_parquet(parquet)
    assert back["value"].tolist() == findings["value"].tolist()
    assert back.geometry.equals(findings.geometry)
