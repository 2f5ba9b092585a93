"""Coordinates of point arrays, read without holding the GIL."""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["point_xy"]


def point_xy(points: np.ndarray) -> np.ndarray:
    """Return the ``(n, 2)`` coordinates of an array of points, one row per point.

    The same as :func:`shapely.get_coordinates` on non-empty points, read with
    :func:`shapely.get_x` and :func:`shapely.get_y`, which release the GIL
    (``get_coordinates`` holds it): on a million households this lets the
    other threads of :func:`gridgov.check` work meanwhile.  Arrays holding
    anything but non-empty points fall back to ``get_coordinates``.

    Examples
    --------
    >>> point_xy(shapely.points([[0.0, 1.0], [2.0, 3.0]])).tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """
    points = np.asarray(points, dtype=object)
    if not len(points):
        return np.zeros((0, 2))
    single = shapely.get_type_id(points) == int(shapely.GeometryType.POINT)
    if not bool(np.all(single)) or bool(np.any(shapely.is_empty(points))):
        coords: np.ndarray = shapely.get_coordinates(points)
        return coords
    out = np.empty((len(points), 2))
    out[:, 0] = shapely.get_x(points)
    out[:, 1] = shapely.get_y(points)
    return out
