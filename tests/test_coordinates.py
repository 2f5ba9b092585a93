"""Coordinates in degrees are within their ranges; swapped columns are named (issue 13, item 5)."""

from __future__ import annotations

import pandas as pd
import pytest

import gridgov as gg


def _table(lon: list[float], lat: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"household_id": [f"h{k}" for k in range(len(lon))], "lng": lon, "lat": lat}
    )


def test_swapped_longitude_and_latitude_are_refused_naming_the_rows() -> None:
    table = pd.DataFrame({"household_id": ["a", "b"], "x": [32.05, 32.06], "y": [118.8, 118.81]})
    with pytest.raises(gg.CRSError, match="look swapped") as caught:
        gg.read_households(table, crs="EPSG:4490")
    message = str(caught.value)
    assert "'a'" in message
    assert "'b'" in message
    assert "outside the longitude/latitude ranges of its geographic CRS (EPSG:4490" in message
    fixed = gg.read_households(table, crs="EPSG:4490", x="y", y="x")
    assert fixed.geometry.x.tolist() == [118.8, 118.81]


def test_metres_labelled_as_degrees_are_refused() -> None:
    table = _table([500000.0, 118.8], [3500000.0, 32.05])
    with pytest.raises(gg.CRSError, match="projected metres need a projected CRS") as caught:
        gg.read_households(table, crs="EPSG:4326")
    assert "1 row " in str(caught.value)
    assert "'h0'" in str(caught.value)


def test_coordinates_within_their_ranges_pass_and_projected_layers_are_not_judged() -> None:
    assert len(gg.read_households(_table([-180.0, 180.0], [-90.0, 90.0]), crs="EPSG:4326")) == 2
    assert len(gg.read_households(_table([500000.0], [3500000.0]), crs="EPSG:4549")) == 1
