"""CRS guards, metric CRS selection, to_metric and the whole-frame web-map conversions."""

from __future__ import annotations

import copy

import numpy as np
import pyproj
import pytest
import shapely
from geopandas import GeoDataFrame, GeoSeries
from geopandas.testing import assert_geodataframe_equal, assert_geoseries_equal
from shapely import LineString, MultiPolygon, Point, Polygon, box

from gridgov.crs import (
    bd09_to_wgs84,
    from_bd09,
    from_gcj02,
    gcj02_to_wgs84,
    metric_crs,
    require_crs,
    require_metric,
    require_same_crs,
    to_metric,
    wgs84_to_bd09,
)
from gridgov.errors import CRSError


def _point(lon: float, lat: float, crs_: object = "EPSG:4326") -> GeoDataFrame:
    return GeoDataFrame({"name": ["p"]}, geometry=[Point(lon, lat)], crs=crs_)


# --------------------------------------------------------------------------
# require_*
# --------------------------------------------------------------------------


def test_require_crs_missing_names_the_layer():
    with pytest.raises(CRSError, match="layer 'households' has no CRS"):
        require_crs(GeoSeries([Point(0, 0)]), layer="households")


def test_require_crs_returns_pyproj_crs():
    got = require_crs(_point(118.8, 32.0, "EPSG:4490"), layer="grids")
    assert isinstance(got, pyproj.CRS)
    assert got.to_epsg() == 4490


def test_require_same_crs_mixed_names_both_layers():
    grids = _point(500000, 3500000, "EPSG:4549")
    households = _point(118.8, 32.0, "EPSG:4490")
    with pytest.raises(CRSError, match="different CRSs") as info:
        require_same_crs({"grids": grids, "households": households})
    message = str(info.value)
    assert "'grids': EPSG:4549" in message
    assert "'households': EPSG:4490" in message


def test_require_same_crs_4490_and_4326_are_different():
    with pytest.raises(CRSError, match="EPSG:4326"):
        require_same_crs({"a": _point(118, 32, 4490), "b": _point(118, 32, 4326)})


def test_require_same_crs_missing_crs_names_the_layer():
    with pytest.raises(CRSError, match="layer 'roads' has no CRS"):
        require_same_crs({"grids": _point(0, 0, 4549), "roads": GeoSeries([Point(0, 0)])})


def test_require_same_crs_ignores_none_and_needs_one_layer():
    grids = _point(500000, 3500000, "EPSG:4549")
    assert require_same_crs({"grids": grids, "buildings": None}).to_epsg() == 4549
    with pytest.raises(CRSError, match="no layer"):
        require_same_crs({})
    with pytest.raises(CRSError, match="no layer"):
        require_same_crs({"grids": None})


def test_require_metric_accepts_projected_metres():
    grids = _point(500000, 3500000, "EPSG:4549")
    assert require_metric({"grids": grids, "households": grids}).to_epsg() == 4549


def test_require_metric_geographic_names_the_layer():
    with pytest.raises(CRSError, match=r"layer 'grids' is in a geographic CRS \(EPSG:4490"):
        require_metric({"grids": _point(118.8, 32.0, "EPSG:4490")})


def test_require_metric_geographic_names_all_layers():
    frame = _point(118.8, 32.0, "EPSG:4326")
    with pytest.raises(CRSError, match="layers 'grids', 'households' are in a geographic CRS"):
        require_metric({"grids": frame, "households": frame, "roads": None})


@pytest.mark.parametrize(
    "epsg", [2263, 2227]
)  # NAD83 / New York Long Island and California 3 (ftUS)
def test_require_metric_feet_raises(epsg):
    with pytest.raises(CRSError, match=r"layer 'grids' is in a CRS .*foot.*not metres"):
        require_metric({"grids": _point(1e6, 2e5, epsg)})


def test_require_metric_mixed_raises_before_unit_check():
    with pytest.raises(CRSError, match="different CRSs"):
        require_metric({"grids": _point(0, 0, 4549), "households": _point(0, 0, 4548)})


# --------------------------------------------------------------------------
# metric_crs (expectations computed by hand: CM = 3 * round(lon / 3),
# EPSG = 4534 + (CM - 75) / 3; UTM zone = floor((lon + 180) / 6) + 1)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "lon", "lat", "epsg"),
    [
        ("Kashgar", 75.99, 39.47, 4534),  # 75.99/3 = 25.33 -> CM 75
        ("Urumqi", 87.62, 43.83, 4538),  # 29.21 -> CM 87
        ("Lhasa", 91.13, 29.65, 4539),  # 30.38 -> CM 90
        ("Chengdu", 104.07, 30.67, 4544),  # 34.69 -> CM 105
        ("Beijing", 116.40, 39.90, 4548),  # 38.80 -> CM 117
        ("Nanjing", 118.80, 32.06, 4549),  # 39.60 -> CM 120
        ("Shanghai", 121.47, 31.23, 4549),  # 40.49 -> CM 120 (not 123)
        ("Harbin", 126.63, 45.75, 4551),  # 42.21 -> CM 126
        ("Fuyuan", 134.29, 48.36, 4554),  # 44.76 -> CM 135
    ],
)
def test_metric_crs_china_gauss_kruger(place, lon, lat, epsg):
    for label in ("EPSG:4326", "EPSG:4490"):
        got = metric_crs(_point(lon, lat, label))
        assert got.to_epsg() == epsg, place
    assert "Gauss-Kruger CM" in got.name


def test_metric_crs_china_zone_clamped_to_4534_4554():
    # 72.5/3 = 24.17 -> CM 72, below the first zone; 137.5/3 = 45.83 -> CM 138.
    assert metric_crs(_point(72.5, 38.0)).to_epsg() == 4534
    assert metric_crs(_point(137.5, 45.0)).to_epsg() == 4554


def test_metric_crs_tie_goes_to_the_eastern_zone():
    # 118.5 / 3 = 39.5 exactly: half-way between CM 117 and CM 120.
    assert metric_crs(_point(118.5, 32.0)).to_epsg() == 4549


def test_metric_crs_uses_centre_of_total_bounds():
    # Urumqi and Beijing: bounds centre lon (87.62 + 116.40) / 2 = 102.01 -> CM 102.
    frame = GeoSeries([Point(87.62, 43.83), Point(116.40, 39.90)], crs=4326)
    assert metric_crs(frame).to_epsg() == 4543


def test_metric_crs_projected_frame_is_located_in_lon_lat():
    to_4549 = pyproj.Transformer.from_crs(4490, 4549, always_xy=True)
    x, y = to_4549.transform(126.63, 45.75)  # Harbin, expressed in the CM 120E zone
    assert metric_crs(_point(x, y, "EPSG:4549")).to_epsg() == 4551
    x, y = to_4549.transform(120.0, 31.0)
    assert metric_crs(_point(x, y, "EPSG:4549")).to_epsg() == 4549


@pytest.mark.parametrize(
    ("place", "lon", "lat", "epsg"),
    [
        ("London", -0.1276, 51.5072, 32630),  # floor(179.87/6)+1 = 30, north
        ("Sydney", 151.2093, -33.8688, 32756),  # floor(331.21/6)+1 = 56, south
        ("New York", -74.0060, 40.7128, 32618),  # floor(105.99/6)+1 = 18, north
        ("Cape Town", 18.4241, -33.9249, 32734),  # floor(198.42/6)+1 = 34, south
        ("Tokyo", 139.6917, 35.6895, 32654),  # east of the China box: floor(319.69/6)+1 = 54
    ],
)
def test_metric_crs_utm_elsewhere(place, lon, lat, epsg):
    assert metric_crs(_point(lon, lat)).to_epsg() == epsg, place


def test_metric_crs_utm_from_web_mercator():
    x, y = pyproj.Transformer.from_crs(4326, 3857, always_xy=True).transform(-0.1276, 51.5072)
    assert metric_crs(_point(x, y, "EPSG:3857")).to_epsg() == 32630


def test_metric_crs_on_utm_boundary_prefers_the_standard_zone():
    # lon 0 is the boundary of zones 30 and 31; floor(180/6)+1 = 31; lat 0 is north.
    assert metric_crs(_point(0.0, 0.0)).to_epsg() == 32631


def test_metric_crs_missing_crs_raises():
    with pytest.raises(CRSError, match="has no CRS"):
        metric_crs(GeoSeries([Point(118.8, 32.0)]))


def test_metric_crs_empty_frame_raises():
    with pytest.raises(CRSError, match="no non-empty geometry"):
        metric_crs(GeoSeries([], crs=4326))


def test_metric_crs_polar_raises():
    with pytest.raises(CRSError, match="outside every UTM zone"):
        metric_crs(_point(10.0, 89.0))


# --------------------------------------------------------------------------
# to_metric
# --------------------------------------------------------------------------


@pytest.fixture
def mixed() -> tuple[GeoDataFrame, GeoSeries]:
    grids = GeoDataFrame(
        {"grid_id": ["320102001001001"]},
        geometry=[box(118.79, 32.05, 118.81, 32.07)],
        crs="EPSG:4490",
    )
    households = GeoSeries([Point(118.80, 32.06), Point(120.0, 32.0)], crs="EPSG:4326")
    return grids, households


def test_to_metric_mixed_4490_4326(mixed):
    grids, households = mixed
    grids_m, households_m = to_metric(grids, households)
    assert grids_m.crs.to_epsg() == 4549
    assert households_m.crs.to_epsg() == 4549
    assert isinstance(grids_m, GeoDataFrame)
    assert isinstance(households_m, GeoSeries)
    assert list(grids_m["grid_id"]) == ["320102001001001"]
    # On the central meridian the Gauss-Kruger easting is 500 000 m (no false
    # easting prefix in the CM form), and 0.01° of latitude is about 1 109 m.
    assert households_m.x.iloc[1] == pytest.approx(500_000.0, abs=0.01)
    _, miny, _, maxy = grids_m.total_bounds
    assert maxy - miny == pytest.approx(2 * 1109.0, rel=0.01)
    # each frame transformed from its own datum, as pyproj does it directly
    to_gk = pyproj.Transformer.from_crs(4326, 4549, always_xy=True)
    x, y = to_gk.transform(118.80, 32.06)
    assert households_m.x.iloc[0] == pytest.approx(x, abs=1e-6)
    assert households_m.y.iloc[0] == pytest.approx(y, abs=1e-6)


def test_to_metric_4490_and_4326_labels_land_within_a_metre():
    a, b = to_metric(_point(118.8, 32.06, 4490), _point(118.8, 32.06, 4326))
    assert a.distance(b).iloc[0] < 1.0


def test_to_metric_does_not_mutate(mixed):
    grids, households = mixed
    grids_before, households_before = copy.deepcopy(grids), copy.deepcopy(households)
    grids_m, households_m = to_metric(grids, households)
    assert_geodataframe_equal(grids, grids_before)
    assert_geoseries_equal(households, households_before)
    assert grids.crs.to_epsg() == 4490
    assert grids_m is not grids
    assert households_m is not households


def test_to_metric_returns_copies_even_when_already_in_target():
    grids = GeoDataFrame({"grid_id": ["a"]}, geometry=[box(0, 0, 10, 10)], crs=4549)
    (got,) = to_metric(grids, crs=4549)
    assert got is not grids
    assert_geodataframe_equal(got, grids)
    got.loc[0, "grid_id"] = "b"
    assert grids.loc[0, "grid_id"] == "a"


def test_to_metric_single_frame_is_a_tuple(mixed):
    grids, _ = mixed
    result = to_metric(grids)
    assert isinstance(result, tuple)
    assert len(result) == 1
    assert result[0].crs.to_epsg() == 4549


def test_to_metric_explicit_crs(mixed):
    grids, households = mixed
    grids_m, households_m = to_metric(grids, households, crs="EPSG:32650")
    assert grids_m.crs.to_epsg() == households_m.crs.to_epsg() == 32650


def test_to_metric_missing_crs_names_position(mixed):
    grids, _ = mixed
    with pytest.raises(CRSError, match=r"frames\[1\]"):
        to_metric(grids, GeoSeries([Point(118.8, 32.06)]))
    with pytest.raises(CRSError, match=r"frames\[0\]"):
        to_metric(GeoSeries([Point(118.8, 32.06)]), grids, crs=4549)


@pytest.mark.parametrize(("target", "match"), [(4326, "geographic"), (2263, "foot")])
def test_to_metric_rejects_non_metric_target(mixed, target, match):
    with pytest.raises(CRSError, match=match):
        to_metric(*mixed, crs=target)


def test_to_metric_needs_a_frame():
    with pytest.raises(CRSError, match="at least one frame"):
        to_metric()


# --------------------------------------------------------------------------
# from_gcj02 / from_bd09
# --------------------------------------------------------------------------


@pytest.fixture
def web_frame() -> GeoDataFrame:
    ring = [(116.40, 39.91), (116.41, 39.91), (116.41, 39.92), (116.40, 39.92)]
    hole = [(116.403, 39.913), (116.405, 39.913), (116.405, 39.915)]
    return GeoDataFrame(
        {"name": ["point", "line", "polygon", "multipolygon", "outside", "missing"]},
        geometry=[
            Point(116.404, 39.915),
            LineString([(121.47, 31.23), (121.48, 31.24), (121.49, 31.22)]),
            Polygon(ring, [hole]),
            MultiPolygon([box(113.9, 22.5, 113.91, 22.51), box(113.92, 22.5, 113.93, 22.51)]),
            Point(-0.1276, 51.5072),
            None,
        ],
        crs="EPSG:4490",
    )


CONVERTERS = [(from_gcj02, gcj02_to_wgs84), (from_bd09, bd09_to_wgs84)]


@pytest.mark.parametrize(("convert", "array_func"), CONVERTERS, ids=["gcj02", "bd09"])
def test_from_web_converts_every_coordinate(web_frame, convert, array_func):
    out = convert(web_frame)
    assert isinstance(out, GeoDataFrame)
    assert out.crs.to_epsg() == 4326
    assert list(out["name"]) == list(web_frame["name"])
    assert list(out.geom_type) == list(web_frame.geom_type)
    assert out.geometry.iloc[5] is None
    coords_in = shapely.get_coordinates(web_frame.geometry.array)
    coords_out = shapely.get_coordinates(out.geometry.array)
    expected = np.column_stack(array_func(coords_in[:, 0], coords_in[:, 1]))
    np.testing.assert_array_equal(coords_out, expected)
    assert out.geometry.iloc[4].equals(web_frame.geometry.iloc[4])  # outside China
    assert out.geometry.iloc[0].distance(web_frame.geometry.iloc[0]) > 0.001  # ~hundreds of m
    assert (
        out.geometry.iloc[2].interiors[0].coords[0]
        != web_frame.geometry.iloc[2].interiors[0].coords[0]
    )


@pytest.mark.parametrize(("convert", "array_func"), CONVERTERS, ids=["gcj02", "bd09"])
def test_from_web_does_not_mutate(web_frame, convert, array_func):
    before = copy.deepcopy(web_frame)
    out = convert(web_frame)
    assert_geodataframe_equal(web_frame, before)
    assert web_frame.crs.to_epsg() == 4490
    assert out is not web_frame


@pytest.mark.parametrize(("convert", "array_func"), CONVERTERS, ids=["gcj02", "bd09"])
@pytest.mark.parametrize("label", [None, "EPSG:4326", "EPSG:4490"])
def test_from_web_accepts_no_or_geographic_crs(convert, array_func, label):
    out = convert(GeoSeries([Point(116.404, 39.915)], crs=label, name="where", index=[7]))
    assert isinstance(out, GeoSeries)
    assert out.crs.to_epsg() == 4326
    assert out.name == "where"
    assert list(out.index) == [7]


@pytest.mark.parametrize(("convert", "array_func"), CONVERTERS, ids=["gcj02", "bd09"])
def test_from_web_projected_raises(convert, array_func):
    with pytest.raises(CRSError, match=r"EPSG:4549.*not a longitude/latitude CRS"):
        convert(_point(500000, 3500000, "EPSG:4549"))


def test_from_web_round_trip_and_custom_geometry_column():
    truth = GeoDataFrame(
        {"grid_id": ["a"]}, geometry=[box(118.79, 32.05, 118.81, 32.07)], crs=4326
    ).rename_geometry("geom")

    def offset(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(wgs84_to_bd09(coords[:, 0], coords[:, 1]))

    baidu = truth.set_geometry(shapely.transform(truth.geometry.array, offset), crs=None)
    back = from_bd09(baidu)
    assert back.geometry.name == "geom"
    assert back.crs.to_epsg() == 4326
    np.testing.assert_allclose(
        shapely.get_coordinates(back.geometry.array),
        shapely.get_coordinates(truth.geometry.array),
        atol=1e-9,
    )


def test_from_gcj02_keeps_z():
    out = from_gcj02(GeoSeries([Point(116.404, 39.915, 42.0), Point(116.404, 39.915)]))
    assert out.iloc[0].has_z
    assert out.iloc[0].z == 42.0
    assert not out.iloc[1].has_z
    assert out.iloc[0].x == pytest.approx(out.iloc[1].x)
