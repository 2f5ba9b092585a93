"""Every reader error is a LayerError naming the layer kind, the source and the problem.

Issue 13, item 4: corrupt, empty, wrong-format files and missing layers, in
every supported format, raise :class:`gridgov.LayerError` (not the reader's
own exception), with the reader's message after the problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pytest
import shapely

import gridgov as gg
from gridgov.cli import main

if TYPE_CHECKING:
    from pathlib import Path

CRS = "EPSG:4549"


def _grids() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"grid_id": ["320102001001001"]}, geometry=[shapely.box(0, 0, 100, 100)], crs=CRS
    )


CASES = [
    ("garbage.gpkg", b"this is not a geopackage", "layer", "not in a format GDAL reads"),
    ("empty.gpkg", b"", "layer", "not in a format GDAL reads"),
    ("garbage.geojson", b"{ not json", "layer", "not in a format GDAL reads"),
    ("garbage.parquet", b"PAR1 nothing PAR1", "layer", "not GeoParquet"),
    ("empty.parquet", b"", "layer", "GeoParquet"),
    ("empty.csv", b"", "households", "the file is empty"),
    ("binary.csv", b"household_id,x,y\n\xff\xfe\xfd,1,2\n", "households", "encoding"),
    ("ragged.csv", b'household_id,x,y\n"a,1,2\n', "households", "cannot be parsed"),
]


@pytest.mark.parametrize(("name", "content", "reader", "problem"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_file_is_a_layer_error_naming_the_source_and_problem(
    tmp_path: Path, name: str, content: bytes, reader: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    read = gg.read_layer if reader == "layer" else gg.read_households
    with pytest.raises(gg.LayerError) as caught:
        read(path, crs=CRS) if reader == "households" else read(path)
    message = str(caught.value)
    assert str(path) in message
    assert problem in message
    assert message.startswith("layer '")


def test_a_missing_layer_of_a_geopackage_is_named(tmp_path: Path) -> None:
    path = tmp_path / "grids.gpkg"
    _grids().to_file(path, layer="governance")
    with pytest.raises(gg.LayerError, match="the layer is missing") as caught:
        gg.read_layer(path, layer="party")
    assert "party" in str(caught.value)


@pytest.mark.parametrize(("name", "content"), [(c[0], c[1]) for c in CASES[:4]])
def test_the_cli_says_it_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code = main(["check", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert str(path) in err
