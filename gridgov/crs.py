"""Coordinate reference systems: guards, metric CRS selection, web-map offsets.

This is the only module of gridgov that touches :mod:`pyproj`.  Nothing in
gridgov reprojects silently: functions that do metric work call
:func:`require_metric`, and :func:`to_metric` is the explicit way to get there.

Metric CRS
    :func:`metric_crs` picks the CGCS2000 3-degree Gauss-Krüger zone in
    central-meridian form (EPSG:4534 to EPSG:4554) for data inside China and
    the WGS 84 UTM zone elsewhere; :func:`to_metric` reprojects several frames
    to one such CRS.

Web-map offsets
    Coordinates exported from Chinese web maps are **not** WGS 84 or CGCS2000:
    Amap/Gaode (高德) and Tencent (腾讯) use GCJ-02 (国测局坐标, "Mars
    coordinates"), Baidu (百度) uses BD-09, which adds a second offset on top of
    GCJ-02.  Both are shifted by hundreds of metres from the true position -- more
    than a grid is wide -- so such data MUST be converted with
    :func:`from_gcj02` / :func:`from_bd09` (whole frames) or the array functions
    :func:`gcj02_to_wgs84`, :func:`bd09_to_wgs84` and friends before any
    analysis.  Setting a CRS label such as ``EPSG:4326`` on GCJ-02 data does
    not remove the offset.

    The forward transforms are the well-known public algorithms; the inverse
    transforms solve the forward ones iteratively to better than 1e-10 degrees
    (about 0.01 mm), at most ten iterations, all points together.  The offsets
    are applied only inside the rectangle lon 72.004–137.8347, lat
    0.8293–55.8271 (a common approximation of China); points outside it, and
    NaN coordinates, pass through unchanged.  Inside a strip a few hundred
    metres wide along the edges of that rectangle, a point and its offset image
    may fall on different sides of it, so round trips are exact only away from
    the edges (the rectangle edges lie at sea or in remote border areas).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeAlias

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from gridgov.errors import CRSError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from geopandas import GeoDataFrame, GeoSeries
    from numpy.typing import ArrayLike, NDArray

_Pair: TypeAlias = "tuple[NDArray[np.float64], NDArray[np.float64]]"
_Kernel: TypeAlias = "Callable[[NDArray[np.float64], NDArray[np.float64]], _Pair]"

__all__ = [
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_bd09",
    "from_gcj02",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "metric_crs",
    "require_crs",
    "require_metric",
    "require_same_crs",
    "to_metric",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

# The rectangle treated as "China" by the web-map offsets and by metric_crs.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

# CGCS2000 3-degree Gauss-Krüger zones, central-meridian form (no false
# easting prefix): EPSG:4534 is CM 75°E, ..., EPSG:4554 is CM 135°E.
_GK_FIRST_EPSG = 4534
_GK_FIRST_CM = 75
_GK_LAST_CM = 135

# GCJ-02: Krasovsky 1940 semi-major axis and first eccentricity squared.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
# BD-09 constant.
_X_PI = math.pi * 3000.0 / 180.0

# Iterative inverses: stop when the forward image is within _TOLERANCE degrees
# of the target for every point, or after _MAX_ITERATIONS updates.
_TOLERANCE = 1e-10
_MAX_ITERATIONS = 10


def _describe(crs: pyproj.CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else repr(crs.name)


# --------------------------------------------------------------------------
# Guards
# --------------------------------------------------------------------------


def require_crs(frame: Any, *, layer: str) -> pyproj.CRS:
    """Return the CRS of `frame`, raising :class:`CRSError` when it has none.

    Parameters
    ----------
    frame : GeoDataFrame or GeoSeries
        The layer to inspect.
    layer : str
        Name of the layer, used in the error message.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        When `frame` has no CRS.

    See Also
    --------
    require_same_crs, require_metric

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> require_crs(gpd.GeoSeries([Point(0, 0)], crs=4490), layer="households").to_epsg()
    4490
    >>> require_crs(gpd.GeoSeries([Point(0, 0)]), layer="households")
    Traceback (most recent call last):
    ...
    gridgov.errors.CRSError: layer 'households' has no CRS; ...
    """
    crs = getattr(frame, "crs", None)
    if crs is None:
        msg = (
            f"layer {layer!r} has no CRS; set the CRS the coordinates are in, "
            "e.g. frame.set_crs('EPSG:4490') for CGCS2000 longitude/latitude "
            "(web-map exports from Amap, Tencent or Baidu are offset: convert them "
            "with gg.from_gcj02 / gg.from_bd09 instead)"
        )
        raise CRSError(msg)
    return pyproj.CRS.from_user_input(crs)


def require_same_crs(layers: Mapping[str, Any]) -> pyproj.CRS:
    """Return the one CRS shared by all `layers`, raising :class:`CRSError` otherwise.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame or GeoSeries
        The layers by name; ``None`` values are ignored.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        When no layer is given, a layer has no CRS or the layers are in
        different CRSs.  Nothing is reprojected: use :func:`to_metric` (or
        ``to_crs``) explicitly first.

    See Also
    --------
    require_crs, require_metric, to_metric

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> a = gpd.GeoSeries([Point(0, 0)], crs=4549)
    >>> require_same_crs({"grids": a, "households": a}).to_epsg()
    4549
    >>> require_same_crs({"grids": a, "households": a.to_crs(4490)})
    Traceback (most recent call last):
    ...
    gridgov.errors.CRSError: layers are in different CRSs
    ('grids': EPSG:4549, 'households': EPSG:4490); ...
    """
    found: dict[str, pyproj.CRS] = {}
    for name, frame in layers.items():
        if frame is None:
            continue
        found[name] = require_crs(frame, layer=name)
    if not found:
        msg = "no layer was given"
        raise CRSError(msg)
    first_name, first = next(iter(found.items()))
    different = {name: crs for name, crs in found.items() if crs != first}
    if different:
        listing = ", ".join(f"{name!r}: {_describe(crs)}" for name, crs in found.items())
        msg = (
            f"layers are in different CRSs ({listing}); gridgov never reprojects "
            f"silently: bring them to one CRS first, e.g. gg.to_metric(...) "
            f"or frame.to_crs({_describe(first)!r}) to match {first_name!r}"
        )
        raise CRSError(msg)
    return first


def _check_metric(crs: pyproj.CRS, *, label: str, verb: str = "is") -> None:
    """Raise :class:`CRSError` unless `crs` is projected with metre axes."""
    if crs.is_geographic:
        msg = (
            f"{label} {verb} in a geographic CRS ({_describe(crs)}, degrees) but this "
            "work measures areas and distances in metres; project first with "
            "gg.to_metric(...), which picks the CGCS2000 Gauss-Kruger zone in China"
        )
        raise CRSError(msg)
    units = {axis.unit_name for axis in crs.axis_info}
    if not crs.is_projected or not units <= {"metre", "meter", "m"}:
        unit_text = ", ".join(sorted(units)) or "unknown"
        msg = (
            f"{label} {verb} in a CRS ({_describe(crs)}) whose unit is "
            f"{unit_text}, not metres; project with gg.to_metric(...)"
        )
        raise CRSError(msg)


def require_metric(layers: Mapping[str, Any]) -> pyproj.CRS:
    """Return the shared CRS of `layers`, which must be projected in metres.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame or GeoSeries
        The layers by name; ``None`` values are ignored.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        When a CRS is missing, the CRSs differ, or the shared CRS is geographic
        (degrees) or not in metres (US survey feet, for instance).

    See Also
    --------
    require_same_crs, to_metric, metric_crs

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> require_metric({"grids": gpd.GeoSeries([Point(0, 0)], crs=4549)}).to_epsg()
    4549
    >>> require_metric({"grids": gpd.GeoSeries([Point(0, 0)], crs=4326)})
    Traceback (most recent call last):
    ...
    gridgov.errors.CRSError: layer 'grids' is in a geographic CRS (EPSG:4326, degrees) ...
    """
    crs = require_same_crs(layers)
    names = [repr(name) for name, frame in layers.items() if frame is not None]
    if len(names) == 1:
        _check_metric(crs, label=f"layer {names[0]}")
    else:
        _check_metric(crs, label=f"layers {', '.join(names)}", verb="are")
    return crs


# --------------------------------------------------------------------------
# Metric CRS selection
# --------------------------------------------------------------------------


def _in_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Return whether each point lies in the China rectangle (NaN is outside)."""
    return (
        (lon >= _CHINA_LON[0])
        & (lon <= _CHINA_LON[1])
        & (lat >= _CHINA_LAT[0])
        & (lat <= _CHINA_LAT[1])
    )


def _centre_lonlat(frame: Any, crs: pyproj.CRS, *, layer: str) -> tuple[float, float]:
    """Return the centre of the total bounds of `frame` in WGS 84 lon/lat."""
    minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        msg = (
            f"layer {layer!r} has no non-empty geometry, so no metric CRS can be "
            "chosen for it; choose one and pass it as to_metric(..., crs=...)"
        )
        raise CRSError(msg)
    wgs84 = pyproj.CRS.from_epsg(4326)
    if crs != wgs84:
        transformer = pyproj.Transformer.from_crs(crs, wgs84, always_xy=True)
        minx, miny, maxx, maxy = transformer.transform_bounds(minx, miny, maxx, maxy)
    if minx > maxx:  # the bounds cross the antimeridian
        maxx += 360.0
    lon = ((minx + maxx) / 2.0 + 180.0) % 360.0 - 180.0
    return lon, (miny + maxy) / 2.0


def _metric_crs(frame: Any, *, layer: str) -> pyproj.CRS:
    crs = require_crs(frame, layer=layer)
    lon, lat = _centre_lonlat(frame, crs, layer=layer)
    if _CHINA_LON[0] <= lon <= _CHINA_LON[1] and _CHINA_LAT[0] <= lat <= _CHINA_LAT[1]:
        cm = min(max(math.floor(lon / 3.0 + 0.5) * 3, _GK_FIRST_CM), _GK_LAST_CM)
        return pyproj.CRS.from_epsg(_GK_FIRST_EPSG + (cm - _GK_FIRST_CM) // 3)
    found = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(
            west_lon_degree=lon, south_lat_degree=lat, east_lon_degree=lon, north_lat_degree=lat
        ),
    )
    if not found:
        msg = (
            f"layer {layer!r} is centred at lon {lon:.4f}, lat {lat:.4f}, outside "
            "every UTM zone (polar regions); choose a CRS and pass it as to_metric(..., crs=...)"
        )
        raise CRSError(msg)
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    standard = str((32600 if lat >= 0 else 32700) + zone)
    codes = sorted(info.code for info in found)
    code = standard if standard in codes else codes[0]
    return pyproj.CRS.from_epsg(int(code))


def metric_crs(frame: GeoDataFrame | GeoSeries) -> pyproj.CRS:
    """Return a projected CRS in metres suited to the extent of `frame`.

    The CRS is chosen for the centre of the total bounds of `frame`, taken in
    WGS 84 longitude/latitude (the bounds of a projected frame are transformed
    first).  When the centre lies in China -- the rectangle lon 72.004–137.8347,
    lat 0.8293–55.8271, the same approximation the web-map offsets use, which
    also covers neighbouring areas such as Korea -- the result is the CGCS2000
    3-degree Gauss-Krüger zone in central-meridian form, EPSG:4534 (CM 75°E)
    to EPSG:4554 (CM 135°E), whose central meridian is the multiple of 3°
    nearest to the centre (a centre exactly half-way goes to the eastern zone).
    Elsewhere it is the WGS 84 UTM zone of the centre, from
    :func:`pyproj.database.query_utm_crs_info` (on a zone boundary, the
    standard 6° zone of the centre is preferred, then the lowest EPSG code).

    A transverse Mercator zone is accurate to better than 1:10,000 within
    about 1.5° of its central meridian; a frame spanning several zones gets the
    zone of its centre.

    Parameters
    ----------
    frame : GeoDataFrame or GeoSeries
        Data with a CRS and at least one non-empty geometry.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        When `frame` has no CRS or no non-empty geometry, or its centre is
        outside every UTM zone (latitudes beyond 84°N or 80°S).

    See Also
    --------
    to_metric, require_metric

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> nanjing = gpd.GeoSeries([Point(118.80, 32.06)], crs="EPSG:4490")
    >>> metric_crs(nanjing).name
    'CGCS2000 / 3-degree Gauss-Kruger CM 120E'
    >>> london = gpd.GeoSeries([Point(-0.13, 51.51)], crs="EPSG:4326")
    >>> metric_crs(london).to_epsg()
    32630
    """
    return _metric_crs(frame, layer="frame")


def to_metric(
    *frames: GeoDataFrame | GeoSeries, crs: pyproj.CRS | str | int | None = None
) -> tuple[GeoDataFrame | GeoSeries, ...]:
    """Reproject `frames` to one projected CRS in metres.

    This is the explicit step that metric work (areas, distances, gaps)
    requires; gridgov never reprojects silently.  Frames may come in
    different CRSs, including EPSG:4490 (CGCS2000) and EPSG:4326 (WGS 84),
    which are kept distinct and transformed by :mod:`pyproj`.

    Parameters
    ----------
    *frames : GeoDataFrame or GeoSeries
        The layers to reproject; each must have a CRS.
    crs : pyproj.CRS, str or int, optional
        The target CRS, projected in metres.  By default
        ``metric_crs(frames[0])``.

    Returns
    -------
    tuple of GeoDataFrame or GeoSeries
        Reprojected copies, in the order given -- always a tuple, even for one
        frame: ``grids, households = to_metric(grids, households)`` and
        ``(grids,) = to_metric(grids)``.  The inputs are never modified.

    Raises
    ------
    CRSError
        When no frame is given, a frame has no CRS (the message names its
        position, ``frames[i]`` counting from 0), or `crs` is geographic or not
        in metres.

    See Also
    --------
    metric_crs, require_metric

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> grids = gpd.GeoSeries([Point(118.80, 32.06)], crs="EPSG:4490")
    >>> households = gpd.GeoSeries([Point(118.81, 32.07)], crs="EPSG:4326")
    >>> grids_m, households_m = to_metric(grids, households)
    >>> grids_m.crs.to_epsg(), households_m.crs.to_epsg()
    (4549, 4549)
    >>> (only,) = to_metric(grids, crs=32650)
    >>> only.crs.to_epsg()
    32650
    """
    if not frames:
        msg = "to_metric() needs at least one frame"
        raise CRSError(msg)
    for position, frame in enumerate(frames):
        require_crs(frame, layer=f"frames[{position}]")
    if crs is None:
        target = _metric_crs(frames[0], layer="frames[0]")
    else:
        target = pyproj.CRS.from_user_input(crs)
        _check_metric(target, label="the target crs=", verb="is")
    return tuple(
        frame.copy() if pyproj.CRS.from_user_input(frame.crs) == target else frame.to_crs(target)
        for frame in frames
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


# --------------------------------------------------------------------------
# Web-map offsets: whole frames
# --------------------------------------------------------------------------


def _convert_frame(
    frame: GeoDataFrame | GeoSeries, kernel: _Kernel, *, source: str, layer: str
) -> GeoDataFrame | GeoSeries:
    crs = getattr(frame, "crs", None)
    if crs is not None:
        crs = pyproj.CRS.from_user_input(crs)
        if not crs.is_geographic:
            msg = (
                f"{layer} is in {_describe(crs)}, which is not a longitude/latitude "
                f"CRS; {source} web-map coordinates are longitude/latitude, so "
                f"convert the frame before projecting it (or drop the wrong label "
                "with frame.set_crs(None, allow_override=True))"
            )
            raise CRSError(msg)

    def transformation(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        out = coords.copy()
        out[:, 0], out[:, 1] = _apply_in_china(kernel, coords[:, 0], coords[:, 1])
        return out

    geometry = frame.geometry
    converted = shapely.transform(np.asarray(geometry.array), transformation, include_z=None)
    series = gpd.GeoSeries(converted, index=geometry.index, name=geometry.name, crs="EPSG:4326")
    if isinstance(frame, gpd.GeoDataFrame):
        result = frame.copy()
        result[geometry.name] = series
        return result.set_crs("EPSG:4326", allow_override=True)
    return series


def from_gcj02(frame: GeoDataFrame | GeoSeries) -> GeoDataFrame | GeoSeries:
    """Convert a frame of GCJ-02 coordinates (Amap/Gaode, Tencent) to WGS 84.

    Web maps in China publish GCJ-02 coordinates, offset by hundreds of
    metres from the true position; data exported from Amap/Gaode (高德) or
    Tencent (腾讯) -- API results, digitised grids, POIs -- MUST be converted
    before any analysis, even when the file already carries an ``EPSG:4326``
    or ``EPSG:4490`` label.  Every coordinate of the active geometry column
    (points, lines, polygons, multi-part geometries; Z values are kept) goes
    through :func:`gcj02_to_wgs84`; points outside China are unchanged.

    Parameters
    ----------
    frame : GeoDataFrame or GeoSeries
        GCJ-02 longitude/latitude, with no CRS or a geographic CRS label.

    Returns
    -------
    GeoDataFrame or GeoSeries
        A copy in EPSG:4326 (WGS 84); the input is not modified.  Use
        ``to_crs("EPSG:4490")`` for CGCS2000 or :func:`to_metric` next.

    Raises
    ------
    CRSError
        When `frame` carries a projected CRS: web-map coordinates are
        longitude/latitude.

    See Also
    --------
    gcj02_to_wgs84, from_bd09, to_metric

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> amap = gpd.GeoSeries([Point(116.41024449916938, 39.91640428150164)])
    >>> wgs = from_gcj02(amap)
    >>> wgs.crs.to_epsg(), round(float(wgs.x.iloc[0]), 9), round(float(wgs.y.iloc[0]), 9)
    (4326, 116.404, 39.915)
    """
    return _convert_frame(frame, _gcj_to_wgs, source="GCJ-02", layer="the frame")


def from_bd09(frame: GeoDataFrame | GeoSeries) -> GeoDataFrame | GeoSeries:
    """Convert a frame of BD-09 coordinates (Baidu) to WGS 84.

    Baidu maps publish BD-09 coordinates, a second offset on top of GCJ-02,
    several hundred metres from the true position in total; data exported
    from Baidu (百度) MUST be converted before any analysis, whatever CRS
    label the file carries.  Every coordinate of the active geometry column
    (points, lines, polygons, multi-part geometries; Z values are kept) goes
    through :func:`bd09_to_wgs84`; points outside China are unchanged.  This
    is for BD-09 longitude/latitude, not Baidu's Mercator metres (BD-09MC).

    Parameters
    ----------
    frame : GeoDataFrame or GeoSeries
        BD-09 longitude/latitude, with no CRS or a geographic CRS label.

    Returns
    -------
    GeoDataFrame or GeoSeries
        A copy in EPSG:4326 (WGS 84); the input is not modified.

    Raises
    ------
    CRSError
        When `frame` carries a projected CRS.

    See Also
    --------
    bd09_to_wgs84, from_gcj02, to_metric

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> baidu = gpd.GeoDataFrame({"grid_id": ["a"]}, geometry=[box(116.41, 39.92, 116.42, 39.93)])
    >>> wgs = from_bd09(baidu)
    >>> wgs.crs.to_epsg(), wgs.geometry.iloc[0].geom_type
    (4326, 'Polygon')
    >>> baidu.crs is None
    True
    """
    return _convert_frame(frame, _bd_to_wgs, source="BD-09", layer="the frame")
