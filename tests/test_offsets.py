"""The GCJ-02/BD-09 web-map offsets on coordinate arrays (gridgov.offsets)."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov import crs, offsets
from gridgov.offsets import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")

FORWARD = [wgs84_to_gcj02, gcj02_to_bd09, wgs84_to_bd09]
INVERSE = [gcj02_to_wgs84, bd09_to_gcj02, bd09_to_wgs84]
ALL = FORWARD + INVERSE
PAIRS = list(zip(FORWARD, INVERSE, strict=True))


def _metres(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    lon_a, lat_a, lon_b, lat_b = np.broadcast_arrays(lon_a, lat_a, lon_b, lat_b)
    return np.asarray(GEOD.inv(lon_a, lat_a, lon_b, lat_b)[2])


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
def test_reachable_from_gridgov_crs(func):
    # DESIGN.md promises gg.crs.gcj02_to_wgs84 and friends: the same functions.
    assert getattr(crs, func.__name__) is func
    assert func.__name__ in crs.__all__
    assert func.__name__ in offsets.__all__


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

    monkeypatch.setattr(offsets, kernel, divergent)
    lon, _ = inverse(np.full(100, 116.404), np.full(100, 39.915))
    assert lon.shape == (100,)
    assert 1 <= len(calls) <= 10
