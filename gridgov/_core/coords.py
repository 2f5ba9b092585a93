"""Coordinates of point arrays, read without holding the GIL."""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["point_xy"]


def point_xy(points: np.ndarray) -> np.ndarray:
    """Return the ``(n, 2)`` coordinates of an array of non-empty points, one row per point.

    The same as :func:`shapely.get_coordinates` on non-empty points, read with
    :func:`shapely.get_x` and :func:`shapely.get_y`, which release the GIL
    (``get_coordinates`` holds it): on a million households this lets the
    other threads of :func:`gridgov.check` work meanwhile.  The points are
    not checked (callers pass layers that :func:`gridgov.validate_layer`
    accepted as points): anything else gets NaN.

    Examples
    --------
    >>> point_xy(shapely.points([[0.0, 1.0], [2.0, 3.0]])).tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """
    points = np.asarray(points, dtype=object)
    out = np.empty((len(points), 2))
    out[:, 0] = shapely.get_x(points)
    out[:, 1] = shapely.get_y(points)
    return out
