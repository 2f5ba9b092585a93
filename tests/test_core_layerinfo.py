"""The typed layer information that validation attaches to a frame."""

from __future__ import annotations

import copy
import pickle

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Polygon, box

import gridgov as gg
from gridgov._core.layerinfo import ATTRS_KEY, LayerInfo, layer_info, with_layer_info

CRS = "EPSG:4549"


@pytest.fixture
def layer() -> gpd.GeoDataFrame:
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    grids = gpd.GeoDataFrame(
        {"grid_id": ["a", "b", "c"], "network": ["party"] * 3},
        geometry=[box(0, 0, 1, 1), bowtie, box(2, 0, 3, 1)],
        crs=CRS,
    )
    return gg.validate_layer(grids, kind="grids", name="party")


def test_validation_records_typed_information(layer: gpd.GeoDataFrame) -> None:
    assert layer_info(layer) == LayerInfo("grids", "party", "grid_id", ("b",))
    unchecked = gg.validate_layer(layer, kind="grids", find_invalid=False)
    assert layer_info(unchecked) == LayerInfo("grids", "grids", "grid_id", None)
    roads = gpd.GeoDataFrame(geometry=gpd.GeoSeries.from_wkt(["LINESTRING (0 0, 1 1)"]), crs=CRS)
    assert layer_info(gg.validate_layer(roads, kind="roads")).id_column is None


def test_the_input_keeps_its_attrs(layer: gpd.GeoDataFrame) -> None:
    raw = gpd.GeoDataFrame({"grid_id": ["x"]}, geometry=[box(0, 0, 1, 1)], crs=CRS)
    raw.attrs["mine"] = 1
    out = gg.validate_layer(raw, kind="grids")
    assert raw.attrs == {"mine": 1}
    assert out.attrs["mine"] == 1
    assert layer_info(raw) is None


def test_round_trip_and_immutability() -> None:
    info = LayerInfo("grids", "g", "grid_id", ["a", "b"])  # type: ignore[arg-type]
    assert info.invalid_ids == ("a", "b")  # lists become tuples
    frame = with_layer_info(pd.DataFrame({"x": [1]}), info)
    assert layer_info(frame) is info
    assert frame.attrs[ATTRS_KEY] is info
    with pytest.raises(AttributeError):
        info.name = "other"  # type: ignore[misc]
    assert hash(info) == hash(LayerInfo("grids", "g", "grid_id", ("a", "b")))
    assert pickle.loads(pickle.dumps(info)) == info


def test_copies_are_the_same_value(layer: gpd.GeoDataFrame) -> None:
    info = layer_info(layer)
    assert copy.copy(info) is info
    assert copy.deepcopy(info) is info
    assert copy.deepcopy({"k": info})["k"] is info


@pytest.mark.parametrize(
    "operation",
    [
        lambda f: f.copy(),
        lambda f: f.copy(deep=False),
        copy.deepcopy,
        lambda f: f[f["grid_id"] != "c"],
        lambda f: f.iloc[[2, 0]],
        lambda f: f.loc[f.index[:1]],
        lambda f: f.reset_index(drop=True),
        lambda f: f.sort_values("grid_id", ascending=False),
        lambda f: f.assign(extra=1),
        lambda f: f.rename(columns={"network": "net"}),
        lambda f: f.to_crs(4490),
        lambda f: pd.concat([f, f]),
    ],
    ids=[
        "copy",
        "shallow",
        "deepcopy",
        "mask",
        "iloc",
        "loc",
        "reset_index",
        "sort",
        "assign",
        "rename",
        "to_crs",
        "concat",
    ],
)
def test_information_survives_frame_operations(layer: gpd.GeoDataFrame, operation) -> None:
    assert layer_info(operation(layer)) == layer_info(layer)


def test_the_old_dict_reads_still_work(layer: gpd.GeoDataFrame) -> None:
    legacy = layer.attrs["gridgov"]
    assert legacy["invalid_ids"] == ["b"]
    assert legacy["kind"] == "grids"
    assert legacy.get("id_column") == "grid_id"
    assert legacy.get("nothing", 5) == 5
    with pytest.raises(KeyError):
        legacy["nothing"]


def test_frames_without_information() -> None:
    assert layer_info(pd.DataFrame()) is None
    frame = pd.DataFrame()
    frame.attrs[ATTRS_KEY] = {"kind": "grids"}  # an old-style dict is not information
    assert layer_info(frame) is None
