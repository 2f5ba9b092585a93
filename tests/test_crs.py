"""CRS guards, metric CRS selection, to_metric and the GCJ-02/BD-09 web-map offsets."""

from __future__ import annotations

import copy

import numpy as np
import pyproj
import pytest
import shapely
from geopandas import GeoDataFrame, GeoSeries
from geopandas.testing import assert_geodataframe_equal, assert_geoseries_equal
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, MultiPolygon, Point, Polygon, box

from gridgov import crs
from gridgov.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_bd09,
    from_gcj02,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    metric_crs,
    require_crs,
    require_metric,
    require_same_crs,
    to_metric,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from gridgov.errors import CRSError

GEOD = pyproj.Geod(ellps="WGS84")

FORWARD = [wgs84_to_gcj02, gcj02_to_bd09, wgs84_to_bd09]
INVERSE = [gcj02_to_wgs84, bd09_to_gcj02, bd09_to_wgs84]
ALL = FORWARD + INVERSE
PAIRS = list(zip(FORWARD, INVERSE, strict=True))


def _metres(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    lon_a, lat_a, lon_b, lat_b = np.broadcast_arrays(lon_a, lat_a, lon_b, lat_b)
    return np.asarray(GEOD.inv(lon_a, lat_a, lon_b, lat_b)[2])


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
# Web-map offsets: published reference pairs
# --------------------------------------------------------------------------

# (wgs_lon, wgs_lat, gcj_lon, gcj_lat)
WGS_GCJ = [
    # wandergis/coordtransform, test/app.js: wgs84togcj02(116.404, 39.915)
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),
    # googollee/eviltransform, python/test.py, TESTS (Shanghai, Shenzhen, Beijing)
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]
# (gcj_lon, gcj_lat, bd_lon, bd_lat)
GCJ_BD = [
    # wandergis/coordtransform, test/app.js: gcj02tobd09(116.404, 39.915)
    (116.404, 39.915, 116.41036949371029, 39.92133699351021),
]
# hujiulong/gcoord, test/unit/crs/{WGS84,GCJ02}.spec.ts, at (123, 45), 8 decimals
GCOORD_WGS_GCJ = (123.0, 45.0, 123.00607541, 45.00197815)
GCOORD_GCJ_BD = (123.0, 45.0, 123.00636499, 45.00636899)
GCOORD_WGS_BD = (123.0, 45.0, 123.0124491, 45.0083293)  # 7 decimals


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), WGS_GCJ)
def test_wgs84_to_gcj02_reference(wlon, wlat, glon, glat):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert float(lon) == pytest.approx(glon, abs=1e-9)
    assert float(lat) == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), WGS_GCJ)
def test_gcj02_to_wgs84_inverts_reference(wlon, wlat, glon, glat):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert float(lon) == pytest.approx(wlon, abs=1e-9)
    assert float(lat) == pytest.approx(wlat, abs=1e-9)


@pytest.mark.parametrize(("glon", "glat", "blon", "blat"), GCJ_BD)
def test_gcj02_bd09_reference(glon, glat, blon, blat):
    lon, lat = gcj02_to_bd09(glon, glat)
    assert float(lon) == pytest.approx(blon, abs=1e-9)
    assert float(lat) == pytest.approx(blat, abs=1e-9)
    lon, lat = bd09_to_gcj02(blon, blat)
    assert float(lon) == pytest.approx(glon, abs=1e-9)
    assert float(lat) == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(
    ("func", "ref", "tol"),
    [
        (wgs84_to_gcj02, GCOORD_WGS_GCJ, 1e-8),
        (gcj02_to_bd09, GCOORD_GCJ_BD, 1e-8),
        (wgs84_to_bd09, GCOORD_WGS_BD, 1e-7),
    ],
)
def test_gcoord_reference(func, ref, tol):
    lon, lat = func(ref[0], ref[1])
    assert float(lon) == pytest.approx(ref[2], abs=tol)
    assert float(lat) == pytest.approx(ref[3], abs=tol)


@pytest.mark.parametrize(
    ("func", "source", "approximate"),
    [
        # wandergis/coordtransform test/app.js: closed-form bd09togcj02 and
        # one-step gcj02towgs84, both approximate (a few centimetres off).
        (bd09_to_gcj02, (116.404, 39.915), (116.39762729119315, 39.90865673957631)),
        (gcj02_to_wgs84, (116.404, 39.915), (116.39775550083061, 39.91359571849836)),
        # hujiulong/gcoord test/unit/crs/{GCJ02,BD09}.spec.ts at (123, 45)
        (gcj02_to_wgs84, (123.0, 45.0), (122.99395597, 44.99804071)),
        (bd09_to_gcj02, (123.0, 45.0), (122.99363304, 44.99365430)),
        (bd09_to_wgs84, (123.0, 45.0), (122.98762210, 44.99171540)),
    ],
)
def test_inverses_agree_with_published_approximations(func, source, approximate):
    lon, lat = func(*source)
    assert _metres(lon, lat, *approximate) < 0.2


def test_offsets_are_hundreds_of_metres_in_china():
    lon, lat = np.array([116.404, 121.47, 87.62]), np.array([39.915, 31.23, 43.83])
    gcj = _metres(lon, lat, *wgs84_to_gcj02(lon, lat))
    bd = _metres(lon, lat, *wgs84_to_bd09(lon, lat))
    assert np.all((gcj > 100) & (gcj < 1000))
    assert np.all((bd > 500) & (bd < 2000))


# --------------------------------------------------------------------------
# Web-map offsets: round trips and edge cases
# --------------------------------------------------------------------------

# Away from the edges of the China rectangle, where a point and its image may
# fall on different sides of it (the offsets are under 0.02 degrees).
china_lon = st.floats(72.1, 137.7)
china_lat = st.floats(0.95, 55.7)
china_points = st.lists(st.tuples(china_lon, china_lat), min_size=1, max_size=50)


@pytest.mark.parametrize(("forward", "inverse"), PAIRS, ids=lambda f: f.__name__)
@settings(max_examples=200, deadline=None)
@given(points=china_points)
def test_round_trip_within_a_centimetre(forward, inverse, points):
    lon, lat = np.array(points).T
    back_lon, back_lat = inverse(*forward(lon, lat))
    assert np.max(_metres(lon, lat, back_lon, back_lat)) < 0.01
    again_lon, again_lat = forward(*inverse(lon, lat))
    assert np.max(_metres(lon, lat, again_lon, again_lat)) < 0.01


def test_round_trip_worst_case_on_a_dense_sample():
    rng = np.random.default_rng(20240501)
    lon = rng.uniform(72.1, 137.7, 200_000)
    lat = rng.uniform(0.95, 55.7, 200_000)
    for forward, inverse in PAIRS:
        back = inverse(*forward(lon, lat))
        assert np.max(_metres(lon, lat, *back)) < 1e-4, forward.__name__


outside_points = st.one_of(
    st.tuples(st.floats(-180, 72.0), st.floats(-90, 90)),
    st.tuples(st.floats(137.84, 180), st.floats(-90, 90)),
    st.tuples(st.floats(-180, 180), st.floats(-90, 0.829)),
    st.tuples(st.floats(-180, 180), st.floats(55.83, 90)),
)


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
@settings(max_examples=100, deadline=None)
@given(points=st.lists(outside_points, min_size=1, max_size=20))
def test_outside_china_unchanged(func, points):
    lon, lat = np.array(points).T
    out_lon, out_lat = func(lon, lat)
    np.testing.assert_array_equal(out_lon, lon)
    np.testing.assert_array_equal(out_lat, lat)


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
def test_nan_in_nan_out(func):
    lon = np.array([np.nan, 116.404, np.nan, 116.404, np.inf])
    lat = np.array([39.915, np.nan, np.nan, 39.915, 39.915])
    out_lon, out_lat = func(lon, lat)
    np.testing.assert_array_equal(np.isnan(out_lon), np.isnan(lon))
    np.testing.assert_array_equal(np.isnan(out_lat), np.isnan(lat))
    # a point with one NaN coordinate is not located: the other passes through
    assert out_lat[0] == 39.915
    assert out_lon[1] == 116.404
    assert out_lon[3] != 116.404  # the finite point is converted
    assert out_lon[4] == np.inf


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
def test_shapes_and_dtype(func):
    lon, lat = func(116.404, 39.915)
    assert lon.shape == lat.shape == ()
    assert lon.dtype == lat.dtype == np.float64
    lon, lat = func(np.full((2, 3), 116.404), np.full((2, 3), 39.915))
    assert lon.shape == lat.shape == (2, 3)
    np.testing.assert_array_equal(lon, np.full((2, 3), func(116.404, 39.915)[0]))
    lon, lat = func([116, 121, 200], 39)  # lists, ints, broadcasting
    assert lon.shape == lat.shape == (3,)
    assert lon.dtype == np.float64
    assert lon[2] == 200
    assert lat[2] == 39
    lon, lat = func(np.array([]), np.array([]))
    assert lon.shape == lat.shape == (0,)


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
def test_inputs_not_modified_and_outputs_writeable(func):
    lon = np.array([116.404, 121.47])
    lat = np.array([39.915, 31.23])
    out_lon, _ = func(lon, lat)
    np.testing.assert_array_equal(lon, [116.404, 121.47])
    np.testing.assert_array_equal(lat, [39.915, 31.23])
    assert out_lon.flags.writeable
    out_lon[0] = 0.0
    assert lon[0] == 116.404


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
def test_hard_points_return_finite(func):
    # the sqrt(|lon - 105|) kink, the rectangle corners and edges, duplicates
    lon = np.array([105.0, 105.0 + 1e-15, 105.0 - 1e-12, 72.004, 137.8347, 72.004, 137.8347])
    lat = np.array([35.0, 0.8293, 55.8271, 0.8293, 55.8271, 55.8271, 0.8293])
    out = func(np.tile(lon, 1000), np.tile(lat, 1000))
    assert np.all(np.isfinite(out[0]))
    assert np.all(np.isfinite(out[1]))


@pytest.mark.parametrize(
    ("kernel", "inverse"),
    [
        ("_wgs_to_gcj", gcj02_to_wgs84),
        ("_gcj_to_bd", bd09_to_gcj02),
        ("_wgs_to_bd", bd09_to_wgs84),
    ],
)
def test_iteration_is_bounded(monkeypatch, kernel, inverse):
    # A forward map that never lets the fixed-point iteration converge.
    calls = []

    def divergent(lon, lat):
        calls.append(1)
        return 3.0 * lon, 3.0 * lat

    monkeypatch.setattr(crs, kernel, divergent)
    lon, _ = inverse(np.full(100, 116.404), np.full(100, 39.915))
    assert lon.shape == (100,)
    assert 1 <= len(calls) <= 10


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
