"""Web-map offsets: GCJ-02 (Amap/Gaode, Tencent) and BD-09 (Baidu) on coordinate arrays.

Coordinates exported from Chinese web maps are **not** WGS 84 or CGCS2000:
Amap/Gaode (高德) and Tencent (腾讯) use GCJ-02 (国测局坐标, "Mars
coordinates"), Baidu (百度) uses BD-09, which adds a second offset on top of
GCJ-02.  Both are shifted by hundreds of metres from the true position -- more
than a grid is wide -- so such data MUST be converted with the array functions
here (:func:`gcj02_to_wgs84`, :func:`bd09_to_wgs84` and friends) or, for whole
frames, :func:`gridgov.from_gcj02` / :func:`gridgov.from_bd09` before any
analysis.  Setting a CRS label such as ``EPSG:4326`` on GCJ-02 data does not
remove the offset.  The array functions are also reachable as
``gridgov.crs.gcj02_to_wgs84`` and so on.

The forward transforms are the well-known public algorithms; the inverse
transforms solve the forward ones iteratively to better than 1e-10 degrees
(about 0.01 mm), at most ten iterations, all points together.  The offsets
are applied only inside the rectangle lon 72.004–137.8347, lat
0.8293–55.8271 (a common approximation of China, :data:`CHINA_LON` and
:data:`CHINA_LAT`); points outside it, and NaN coordinates, pass through
unchanged.  Inside a strip a few hundred metres wide along the edges of that
rectangle, a point and its offset image may fall on different sides of it, so
round trips are exact only away from the edges (the rectangle edges lie at sea
or in remote border areas).

This module is plain numpy: it knows nothing of CRSs or frames.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, NDArray

_Pair: TypeAlias = "tuple[NDArray[np.float64], NDArray[np.float64]]"
_Kernel: TypeAlias = "Callable[[NDArray[np.float64], NDArray[np.float64]], _Pair]"

__all__ = [
    "CHINA_LAT",
    "CHINA_LON",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: Longitude range (degrees) of the rectangle treated as "China" by the offsets
#: (and by :func:`gridgov.metric_crs`).
CHINA_LON: tuple[float, float] = (72.004, 137.8347)
#: Latitude range (degrees) of that rectangle.
CHINA_LAT: tuple[float, float] = (0.8293, 55.8271)

# GCJ-02: Krasovsky 1940 semi-major axis and first eccentricity squared.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
# BD-09 constant.
_X_PI = math.pi * 3000.0 / 180.0

# Iterative inverses: stop when the forward image is within _TOLERANCE degrees
# of the target for every point, or after _MAX_ITERATIONS updates.
_TOLERANCE = 1e-10
_MAX_ITERATIONS = 10


def _in_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Return whether each point lies in the China rectangle (NaN is outside)."""
    return (
        (lon >= CHINA_LON[0])
        & (lon <= CHINA_LON[1])
        & (lat >= CHINA_LAT[0])
        & (lat <= CHINA_LAT[1])
    )


# --------------------------------------------------------------------------
# Web-map offsets: kernels on in-China float64 arrays, no masking
# --------------------------------------------------------------------------


def _gcj_offset(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> _Pair:
    """Return the GCJ-02 offset (dlon, dlat) in degrees at WGS 84 (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    wave = (20.0 * np.sin(6.0 * np.pi * x) + 20.0 * np.sin(2.0 * np.pi * x)) * 2.0 / 3.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + wave
        + (20.0 * np.sin(np.pi * y) + 40.0 * np.sin(np.pi * y / 3.0)) * 2.0 / 3.0
        + (160.0 * np.sin(np.pi * y / 12.0) + 320.0 * np.sin(np.pi * y / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + wave
        + (20.0 * np.sin(np.pi * x) + 40.0 * np.sin(np.pi * x / 3.0)) * 2.0 / 3.0
        + (150.0 * np.sin(np.pi * x / 12.0) + 300.0 * np.sin(np.pi * x / 30.0)) * 2.0 / 3.0
    )
    rad_lat = np.radians(lat)
    magic = 1.0 - _GCJ_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_GCJ_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _wgs_to_gcj(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> _Pair:
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _gcj_to_bd(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> _Pair:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj_closed(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> _Pair:
    """Return the published closed-form approximate inverse of :func:`_gcj_to_bd`."""
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _wgs_to_bd(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> _Pair:
    return _gcj_to_bd(*_wgs_to_gcj(lon, lat))


def _invert(
    forward: _Kernel,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    start: _Pair,
    *,
    max_iterations: int = _MAX_ITERATIONS,
    tolerance: float = _TOLERANCE,
) -> _Pair:
    """Solve ``forward(x, y) == (lon, lat)`` by fixed-point iteration from `start`.

    ``x <- x - (forward(x) - target)`` converges because the offsets vary
    slowly (their Jacobian is within about 0.01 of the identity).  All points
    are iterated together; the loop stops when the largest residual is below
    `tolerance` degrees or after `max_iterations` updates, whichever comes first.
    """
    x, y = start[0].copy(), start[1].copy()
    for _ in range(max_iterations):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        if ex.size == 0 or max(np.max(np.abs(ex)), np.max(np.abs(ey))) < tolerance:
            break
        x -= ex
        y -= ey
    return x, y


def _gcj_to_wgs(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> _Pair:
    dlon, dlat = _gcj_offset(lon, lat)
    return _invert(_wgs_to_gcj, lon, lat, (lon - dlon, lat - dlat))


def _bd_to_gcj(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> _Pair:
    return _invert(_gcj_to_bd, lon, lat, _bd_to_gcj_closed(lon, lat))


def _bd_to_wgs(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> _Pair:
    gcj_lon, gcj_lat = _bd_to_gcj_closed(lon, lat)
    dlon, dlat = _gcj_offset(gcj_lon, gcj_lat)
    return _invert(_wgs_to_bd, lon, lat, (gcj_lon - dlon, gcj_lat - dlat))


def _apply_in_china(kernel: _Kernel, lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Broadcast, copy to float64 and apply `kernel` to the points inside China."""
    lon_b, lat_b = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    out_lon = np.array(lon_b, dtype=np.float64, copy=True)
    out_lat = np.array(lat_b, dtype=np.float64, copy=True)
    inside = _in_china(out_lon, out_lat)
    if inside.any():
        new_lon, new_lat = kernel(out_lon[inside], out_lat[inside])
        out_lon[inside] = new_lon
        out_lat[inside] = new_lat
    return out_lon, out_lat


# --------------------------------------------------------------------------
# Web-map offsets: public array functions
# --------------------------------------------------------------------------


def wgs84_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Offset WGS 84 longitude/latitude to GCJ-02 (Amap/Gaode, Tencent).

    GCJ-02 is the obfuscated datum mandated for web maps in China; it is the
    public algorithm on the Krasovsky ellipsoid (a = 6378245 m).  Points
    outside China (lon 72.004–137.8347, lat 0.8293–55.8271) and NaN
    coordinates are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS 84 longitude and latitude in degrees; scalars or arrays that
        broadcast together.

    Returns
    -------
    lon, lat : ndarray of float64
        GCJ-02 coordinates, in the broadcast shape of the inputs (0-d for
        scalars).

    See Also
    --------
    gcj02_to_wgs84, wgs84_to_bd09

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
    >>> print(f"{lon:.8f} {lat:.8f}")
    116.41024450 39.91640428
    >>> wgs84_to_gcj02([-0.1276, 116.404], [51.5072, 39.915])[0]
    array([ -0.1276    , 116.4102445...])
    """
    return _apply_in_china(_wgs_to_gcj, lon, lat)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Remove the GCJ-02 offset (Amap/Gaode, Tencent) to get WGS 84 lon/lat.

    The inverse of :func:`wgs84_to_gcj02` has no closed form: it is solved by
    fixed-point iteration on the forward function, all points together,
    until every point maps back to within 1e-10 degrees of its input, at
    most ten iterations (three or four in practice).  The round trip is
    accurate to far better than 0.01 m.  Points outside China and NaN
    coordinates are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees; scalars or arrays that
        broadcast together.

    Returns
    -------
    lon, lat : ndarray of float64
        WGS 84 coordinates, in the broadcast shape of the inputs.

    See Also
    --------
    wgs84_to_gcj02, from_gcj02, bd09_to_wgs84

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    >>> print(f"{lon:.8f} {lat:.8f}")
    116.40400000 39.91500000
    """
    return _apply_in_china(_gcj_to_wgs, lon, lat)


def gcj02_to_bd09(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Offset GCJ-02 longitude/latitude to BD-09 (Baidu).

    The published Baidu formula with ``x_pi = pi * 3000 / 180``.  Points
    outside China and NaN coordinates are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : ndarray of float64
        BD-09 coordinates, in the broadcast shape of the inputs.

    See Also
    --------
    bd09_to_gcj02, wgs84_to_bd09

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(116.404, 39.915)
    >>> print(f"{lon:.8f} {lat:.8f}")
    116.41036949 39.92133699
    """
    return _apply_in_china(_gcj_to_bd, lon, lat)


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Remove the BD-09 offset (Baidu) to get GCJ-02 longitude/latitude.

    The widely copied closed-form inverse is off by up to about 0.2 m, so it
    is only the starting point: the result is refined by fixed-point
    iteration on :func:`gcj02_to_bd09` to within 1e-10 degrees, at most ten
    iterations.  Points outside China and NaN coordinates are returned
    unchanged.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : ndarray of float64
        GCJ-02 coordinates, in the broadcast shape of the inputs.

    See Also
    --------
    gcj02_to_bd09, bd09_to_wgs84

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(116.41036949371029, 39.92133699351021)
    >>> print(f"{lon:.8f} {lat:.8f}")
    116.40400000 39.91500000
    """
    return _apply_in_china(_bd_to_gcj, lon, lat)


def wgs84_to_bd09(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Offset WGS 84 longitude/latitude to BD-09 (Baidu), through GCJ-02.

    Points outside China (tested on the WGS 84 input) and NaN coordinates are
    returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS 84 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : ndarray of float64
        BD-09 coordinates, in the broadcast shape of the inputs.

    See Also
    --------
    bd09_to_wgs84, wgs84_to_gcj02, gcj02_to_bd09

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09([116.404, 200.0], [39.915, 39.915])
    >>> lon
    array([116.4166..., 200. ...])
    """
    return _apply_in_china(_wgs_to_bd, lon, lat)


def bd09_to_wgs84(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Remove the BD-09 offset (Baidu) to get WGS 84 longitude/latitude.

    Solved by fixed-point iteration on :func:`wgs84_to_bd09` to within 1e-10
    degrees, at most ten iterations.  Points outside China (tested on the
    BD-09 input) and NaN coordinates are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : ndarray of float64
        WGS 84 coordinates, in the broadcast shape of the inputs.

    See Also
    --------
    wgs84_to_bd09, from_bd09

    Examples
    --------
    >>> import numpy as np
    >>> lon, lat = bd09_to_wgs84(*wgs84_to_bd09(np.array([[116.404]]), 39.915))
    >>> lon.shape, round(float(lon[0, 0]), 9), round(float(lat[0, 0]), 9)
    ((1, 1), 116.404, 39.915)
    """
    return _apply_in_china(_bd_to_wgs, lon, lat)
