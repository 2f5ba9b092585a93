"""Validation matrix and I/O round trips of gridgov.layers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas import GeoDataFrame
from geopandas.testing import assert_geodataframe_equal
from shapely import LineString, MultiPolygon, Point, Polygon, box

import gridgov as gg
from gridgov.errors import CRSError, LayerError
from gridgov.layers import validate_layer


def _nan_polygon() -> Polygon:
    with np.errstate(invalid="ignore"):
        return Polygon([(0, 0), (1, np.nan), (1, 1)])


@pytest.fixture
def grids() -> GeoDataFrame:
    return GeoDataFrame(
        {
            "grid_id": ["320102001001001", "320102001001002", "320102001001003"],
            "parent_id": ["320102001001"] * 3,
            "kind": ["comprehensive", "micro", None],
            "valid_from": ["2024-01-01", "2025-06-30", None],
        },
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)],
        crs="EPSG:4549",
    )


@pytest.fixture
def households() -> GeoDataFrame:
    return GeoDataFrame(
        {"household_id": [f"H{i}" for i in range(8)], "persons": [1, 2, 3, 4, 1, 2, 3, 4]},
        geometry=shapely.points(np.arange(8) * 30.0 + 5, np.full(8, 50.0)),
        crs="EPSG:4549",
    )


def test_valid_layer_passes_and_is_a_copy(grids: GeoDataFrame) -> None:
    before = grids.copy(deep=True)
    out = validate_layer(grids, kind="grids")
    assert out is not grids
    assert_geodataframe_equal(grids, before)
    assert out["grid_id"].tolist() == before["grid_id"].tolist()
    assert out.attrs["gridgov"].invalid_ids == ()
    assert out.attrs["gridgov"]["invalid_ids"] == []  # the dict-style read still works
    assert str(out["valid_from"].dtype).startswith("datetime64")


def test_numeric_ids_are_normalised_to_strings(grids: GeoDataFrame) -> None:
    frame = grids.assign(grid_id=[320102001001001.0, 320102001001002.0, 3.0])
    out = validate_layer(frame, kind="grids")
    assert out["grid_id"].tolist() == ["320102001001001", "320102001001002", "3"]
    out = validate_layer(grids.assign(grid_id=[7, 8, 9]), kind="grids")
    assert out["grid_id"].tolist() == ["7", "8", "9"]


@pytest.mark.parametrize(
    ("mutate", "error", "fragment"),
    [
        (lambda f: f.drop(columns="grid_id"), LayerError, "no id column 'grid_id'"),
        (lambda f: f.assign(grid_id=["a", None, "c"]), LayerError, "without grid_id (ids 'row 1')"),
        (lambda f: f.assign(grid_id=["a", "b", "a"]), LayerError, "duplicated id (ids 'a', 'a')"),
        (
            lambda f: f.set_geometry([box(0, 0, 1, 1), None, box(2, 2, 3, 3)]),
            LayerError,
            "without geometry (ids '320102001001002')",
        ),
        (
            lambda f: f.set_geometry([box(0, 0, 1, 1), Polygon(), box(2, 2, 3, 3)]),
            LayerError,
            "empty geometry (ids '320102001001002')",
        ),
        (
            lambda f: f.set_geometry([box(0, 0, 1, 1), Point(1, 1), box(2, 2, 3, 3)]),
            LayerError,
            "Point geometry where Polygon or MultiPolygon is expected (ids '320102001001002')",
        ),
        (
            lambda f: f.set_geometry([box(0, 0, 1, 1), _nan_polygon(), box(2, 2, 3, 3)]),
            LayerError,
            "NaN",
        ),
        (lambda f: f.assign(kind=["comprehensive", "huge", None]), LayerError, "unknown grid kind"),
        (
            lambda f: f.assign(valid_from=["2024-01-01", "yesterday-ish", None]),
            LayerError,
            "unreadable date",
        ),
        (lambda f: f.set_crs(None, allow_override=True), CRSError, "has no CRS"),
        (lambda f: f.iloc[:0], LayerError, "has no rows"),
    ],
    ids=[
        "no-id-column",
        "null-id",
        "duplicate-id",
        "null-geometry",
        "empty-geometry",
        "wrong-type",
        "nan-coordinate",
        "unknown-kind",
        "bad-date",
        "no-crs",
        "empty-layer",
    ],
)
def test_grid_validation_matrix(grids, mutate, error, fragment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as info:
        validate_layer(mutate(grids), kind="grids", name="governance")
    message = str(info.value)
    assert fragment in message
    if error is LayerError and "no rows" not in message and "id column" not in message:
        assert message.startswith("layer 'governance' (grids): 1 row") or "2 rows" in message


def test_errors_are_value_errors() -> None:
    assert issubclass(LayerError, ValueError)
    assert issubclass(CRSError, ValueError)
    assert issubclass(LayerError, gg.GridgovError)


def test_many_bad_ids_are_counted(households: GeoDataFrame) -> None:
    frame = households.assign(household_id=["x"] * 8)
    with pytest.raises(LayerError, match=r"8 rows with a duplicated id .* and 3 more"):
        validate_layer(frame, kind="households")


def test_duplicates_can_be_allowed_for_check(grids: GeoDataFrame) -> None:
    out = validate_layer(
        grids.assign(grid_id=["a", "a", "b"]), kind="grids", allow_duplicate_ids=True
    )
    assert out["grid_id"].tolist() == ["a", "a", "b"]


def test_invalid_polygon_is_recorded_not_raised(grids: GeoDataFrame) -> None:
    bowtie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    out = validate_layer(
        grids.set_geometry([bowtie, box(1, 1, 2, 2), box(3, 3, 4, 4)]), kind="grids"
    )
    assert out.attrs["gridgov"]["invalid_ids"] == ["320102001001001"]
    assert out.geometry.iloc[0].equals(bowtie)  # not repaired
    unchecked = validate_layer(
        grids.set_geometry([bowtie, box(1, 1, 2, 2), box(3, 3, 4, 4)]),
        kind="grids",
        find_invalid=False,
    )
    assert unchecked.attrs["gridgov"]["invalid_ids"] is None
    with pytest.raises(LayerError, match="empty geometry"):  # the other checks still run
        validate_layer(
            grids.set_geometry([Polygon(), box(1, 1, 2, 2), box(3, 3, 4, 4)]),
            kind="grids",
            find_invalid=False,
        )


@pytest.mark.parametrize(
    ("kind", "geometry", "ok"),
    [
        ("grids", MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3, 3)]), True),
        ("households", Point(0, 0), True),
        ("households", box(0, 0, 1, 1), False),
        ("buildings", Point(0, 0), True),
        ("buildings", box(0, 0, 1, 1), True),
        ("roads", LineString([(0, 0), (1, 1)]), True),
        ("roads", Point(0, 0), False),
        ("stations", Point(0, 0), True),
        ("jurisdiction", LineString([(0, 0), (1, 1)]), False),
    ],
)
def test_geometry_type_per_kind(kind, geometry, ok) -> None:  # type: ignore[no-untyped-def]
    id_column = {
        "grids": "grid_id",
        "households": "household_id",
        "buildings": "building_id",
        "roads": "feature_id",
        "stations": "station_id",
        "jurisdiction": "unit_id",
    }[kind]
    frame = GeoDataFrame({id_column: ["1"]}, geometry=[geometry], crs=4549)
    if ok:
        assert len(validate_layer(frame, kind=kind)) == 1
    else:
        with pytest.raises(LayerError, match="geometry where"):
            validate_layer(frame, kind=kind)


def test_non_frame_and_unknown_kind() -> None:
    with pytest.raises(LayerError, match="must be a GeoDataFrame"):
        validate_layer(pd.DataFrame({"grid_id": [1]}), kind="grids")  # type: ignore[arg-type]
    frame = GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4549)
    with pytest.raises(LayerError, match="unknown layer kind"):
        validate_layer(frame, kind="parcels")  # type: ignore[arg-type]


def test_negative_persons_rejected(households: GeoDataFrame) -> None:
    with pytest.raises(LayerError, match="'persons'"):
        validate_layer(households.assign(persons=[1, 2, -3, 4, 1, 2, 3, 4]), kind="households")


def test_custom_id_column(households: GeoDataFrame) -> None:
    frame = households.rename(columns={"household_id": "hh"})
    assert validate_layer(frame, kind="households", id_column="hh")["hh"].iloc[0] == "H0"
    with pytest.raises(LayerError, match="no id column 'household_id'"):
        validate_layer(frame, kind="households")


# ---------------------------------------------------------------- I/O round trips


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp", ".parquet"])
def test_read_layer_round_trip(tmp_path, grids, suffix) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"grids{suffix}"
    frame = grids.drop(columns="valid_from")
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_file(path, engine="pyogrio")
    out = gg.read_layer(path, network="governance")
    assert out["grid_id"].tolist() == grids["grid_id"].tolist()
    assert (out["network"] == "governance").all()
    assert out.crs == grids.crs
    assert shapely.equals(out.geometry.to_numpy(), grids.geometry.to_numpy()).all()


def test_read_layer_from_geopackage_layer(tmp_path, grids, households) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "street.gpkg"
    grids.to_file(path, layer="party")
    households.to_file(path, layer="households")
    assert len(gg.read_layer(path, layer="party")) == 3
    assert len(gg.read_households(path, layer="households")) == 8


def test_shapefile_numeric_codes_come_back_as_strings(tmp_path, grids) -> None:  # type: ignore[no-untyped-def]
    frame = grids.drop(columns="valid_from").assign(
        grid_id=[320102001001001, 320102001001002, 320102001001003]
    )
    path = tmp_path / "codes.shp"
    frame.to_file(path)
    assert gg.read_layer(path)["grid_id"].tolist() == grids["grid_id"].tolist()


@pytest.mark.parametrize(
    ("xname", "yname"),
    [("lon", "lat"), ("lng", "lat"), ("X", "Y"), ("经度", "纬度"), ("Longitude", "Latitude")],
)
def test_read_households_csv_autodetects(tmp_path, xname, yname) -> None:  # type: ignore[no-untyped-def]
    table = pd.DataFrame(
        {
            "household_id": ["007", "008"],
            xname: [118.8, 118.9],
            yname: [32.0, 32.1],
            "persons": [3, 2],
        }
    )
    path = tmp_path / "hh.csv"
    table.to_csv(path, index=False, encoding="utf-8")
    out = gg.read_households(path, crs="EPSG:4490")
    assert out["household_id"].tolist() == ["007", "008"]  # leading zeros kept
    assert out.geometry.x.tolist() == [118.8, 118.9]
    assert out.crs.to_epsg() == 4490


def test_read_households_explicit_columns_and_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = pd.DataFrame({"household_id": ["a"], "east": [500.0], "north": [10.0]})
    assert gg.read_households(table, x="east", y="north", crs=4549).geometry.y.iloc[0] == 10.0
    with pytest.raises(LayerError, match="no coordinate columns"):
        gg.read_households(table, crs=4549)
    with pytest.raises(CRSError, match="without a CRS"):
        gg.read_households(table, x="east", y="north")
    with pytest.raises(LayerError, match="no such file"):
        gg.read_households(tmp_path / "missing.csv", crs=4549)
    bad = pd.DataFrame({"household_id": ["a", "b"], "x": [1.0, None], "y": [1.0, 2.0]})
    with pytest.raises(LayerError, match=r"NaN or infinite coordinates \(ids 'b'\)"):
        gg.read_households(bad, crs=4549)


def test_read_stations_buildings_roads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    stations = GeoDataFrame(
        {"station_id": [1, 2], "capacity": [10, 20]}, geometry=[Point(0, 0), Point(5, 5)], crs=4549
    )
    buildings = GeoDataFrame(
        {"building_id": ["b1"], "households": [12]}, geometry=[box(0, 0, 10, 10)], crs=4549
    )
    roads = GeoDataFrame(
        {"kind": ["road", "river"]},
        geometry=[LineString([(0, 0), (9, 0)]), LineString([(0, 5), (9, 5)])],
        crs=4549,
    )
    for frame, name in [(stations, "s.gpkg"), (buildings, "b.gpkg"), (roads, "r.gpkg")]:
        frame.to_file(tmp_path / name)
    assert gg.read_stations(tmp_path / "s.gpkg")["station_id"].tolist() == ["1", "2"]
    assert gg.read_buildings(tmp_path / "b.gpkg")["households"].tolist() == [12]
    assert gg.read_roads(tmp_path / "r.gpkg")["kind"].tolist() == ["road", "river"]


def test_readers_do_not_mutate_frames(households: GeoDataFrame) -> None:
    before = households.copy(deep=True)
    gg.read_households(households)
    validate_layer(households, kind="households")
    assert_geodataframe_equal(households, before)


def test_point_xy_equals_get_coordinates() -> None:
    import numpy as np
    import shapely

    from gridgov._core.coords import point_xy

    rng = np.random.default_rng(0)
    points = shapely.points(rng.uniform(-1e6, 1e6, (1000, 2)))
    np.testing.assert_array_equal(point_xy(points), shapely.get_coordinates(points))
    assert point_xy(np.array([], dtype=object)).shape == (0, 2)
