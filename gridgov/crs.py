"""Coordinate reference systems: guards, metric CRS selection, web-map frames.

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
    Amap/Gaode (高德) and Tencent (腾讯) use GCJ-02, Baidu (百度) uses BD-09,
    both shifted by hundreds of metres from the true position.  Whole frames
    are converted here, by :func:`from_gcj02` / :func:`from_bd09`, which check
    the CRS label and set EPSG:4326.  The array math lives in
    :mod:`gridgov.offsets` (plain numpy, no CRS); its functions
    :func:`gcj02_to_wgs84`, :func:`wgs84_to_gcj02`, :func:`bd09_to_gcj02`,
    :func:`gcj02_to_bd09`, :func:`bd09_to_wgs84` and :func:`wgs84_to_bd09` are
    re-exported here, so ``gg.crs.gcj02_to_wgs84`` is
    ``gridgov.offsets.gcj02_to_wgs84``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from gridgov.errors import CRSError
from gridgov.offsets import (
    CHINA_LAT,
    CHINA_LON,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from geopandas import GeoDataFrame, GeoSeries
    from numpy.typing import ArrayLike, NDArray

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

# CGCS2000 3-degree Gauss-Krüger zones, central-meridian form (no false
# easting prefix): EPSG:4534 is CM 75°E, ..., EPSG:4554 is CM 135°E.
_GK_FIRST_EPSG = 4534
_GK_FIRST_CM = 75
_GK_LAST_CM = 135


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
    if CHINA_LON[0] <= lon <= CHINA_LON[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]:
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
# Web-map offsets: whole frames (the array math is gridgov.offsets)
# --------------------------------------------------------------------------


def _convert_frame(
    frame: GeoDataFrame | GeoSeries,
    convert: Callable[[ArrayLike, ArrayLike], tuple[NDArray[np.float64], NDArray[np.float64]]],
    *,
    source: str,
    layer: str,
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
        out[:, 0], out[:, 1] = convert(coords[:, 0], coords[:, 1])
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
    return _convert_frame(frame, gcj02_to_wgs84, source="GCJ-02", layer="the frame")


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
    return _convert_frame(frame, bd09_to_wgs84, source="BD-09", layer="the frame")
