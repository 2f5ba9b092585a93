"""Layers at the boundary: validation and the readers.

Every frame that enters gridgov is validated once, by :func:`validate_layer`
(:mod:`gridgov.validation`); afterwards the rest of the library can trust it.
The readers (:func:`read_layer`, :func:`read_households`,
:func:`read_buildings`, :func:`read_roads`, :func:`read_stations`, in
:mod:`gridgov.readers`) read GeoPackage, GeoJSON, Shapefile, GeoParquet and
CSV (or an in-memory DataFrame) with coordinate columns, and return validated
frames.

Validation never repairs and never reprojects.  Invalid polygons are *not*
an error here: they are a finding of the boundary rules, so validation lets
them through and records their ids in ``frame.attrs["gridgov"]``.
"""

from __future__ import annotations

from gridgov.readers import (
    COORDINATE_NAMES,
    read_buildings,
    read_households,
    read_layer,
    read_roads,
    read_stations,
)
from gridgov.validation import GRID_KINDS, LayerKind, named_grid_layers, validate_layer

__all__ = [
    "COORDINATE_NAMES",
    "GRID_KINDS",
    "LayerKind",
    "named_grid_layers",
    "read_buildings",
    "read_households",
    "read_layer",
    "read_roads",
    "read_stations",
    "validate_layer",
]
