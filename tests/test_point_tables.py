"""Point layers from tables: ``crs=``, ``x=``, ``y=`` and ``offset=`` in the readers and the CLI.

Issue 13, item 1: web-map exports (GCJ-02, BD-09) are converted on reading,
then used; the same options on every command that reads points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
import shapely

import gridgov as gg
from gridgov.cli import main

if TYPE_CHECKING:
    from pathlib import Path


def _wgs84_households() -> pd.DataFrame:
    demo = gg.datasets.load_demo()
    homes = demo.households.to_crs("EPSG:4326")
    return homes.set_index("household_id")


def test_reading_the_demo_gcj02_export_with_offset_recovers_the_true_positions() -> None:
    read = gg.read_households(gg.datasets.demo_gcj02_csv_path(), offset="gcj02")
    assert read.crs.to_epsg() == 4326
    truth = _wgs84_households().loc[read["household_id"]]
    # inside the street (the five geocoding errors far outside are offset too)
    gap = shapely.distance(read.geometry.values, truth.geometry.values)
    assert np.quantile(gap, 0.99) < 1e-7  # degrees: about 1 cm
    raw = gg.read_households(gg.datasets.demo_gcj02_csv_path(), crs="EPSG:4326")
    assert np.median(shapely.distance(raw.geometry.values, truth.geometry.values)) > 1e-3


def test_bd09_round_trip_through_a_table(tmp_path: Path) -> None:
    lon, lat = np.array([118.80, 118.81]), np.array([32.05, 32.06])
    glon, glat = gg.crs.wgs84_to_gcj02(lon, lat)
    blon, blat = gg.crs.gcj02_to_bd09(glon, glat)
    table = pd.DataFrame({"household_id": ["a", "b"], "bd_lng": blon, "bd_lat": blat})
    read = gg.read_households(table, x="bd_lng", y="bd_lat", offset="bd09")
    np.testing.assert_allclose(read.geometry.x, lon, atol=1e-7)
    np.testing.assert_allclose(read.geometry.y, lat, atol=1e-7)


def test_an_unknown_offset_is_an_option_error() -> None:
    table = pd.DataFrame({"household_id": ["a"], "lng": [118.8], "lat": [32.05]})
    with pytest.raises(gg.OptionError, match="offset='wgs'"):
        gg.read_households(table, offset="wgs")


def test_the_cli_reads_a_web_map_export_with_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    demo = gg.datasets.load_demo()
    grids = tmp_path / "grids.gpkg"
    demo.governance.to_file(grids, layer="governance")
    out = tmp_path / "a.csv"
    code = main(
        [
            "assign",
            str(gg.datasets.demo_gcj02_csv_path()),
            f"{grids}::governance",
            "--offset",
            "gcj02",
            "--metric",
            "-o",
            str(out),
            "--no-progress",
        ]
    )
    capsys.readouterr()
    assert code == 0
    got = pd.read_csv(out, dtype={"household_id": str, "grids": str}).set_index("household_id")
    homes, layer = gg.to_metric(demo.households, demo.governance)
    want = gg.assign(homes, {"grids": layer})
    same = got["grids"].reindex(want.index).fillna("-") == want["grids"].fillna("-")
    assert len(got) == len(want)
    assert same.mean() > 0.999  # the same grids, to the centimetre of the inverse offset
