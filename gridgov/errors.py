"""Exceptions and warnings raised by gridgov.

Every error is a :class:`GridgovError`; the two families that users meet at the
boundary, :class:`CRSError` and :class:`LayerError`, are also :class:`ValueError`
so that generic ``except ValueError`` handlers keep working.  Violations of the
grid principles are never raised: they are returned as findings.
"""

from __future__ import annotations

__all__ = ["CRSError", "GridgovError", "GridgovWarning", "LayerError"]


class GridgovError(Exception):
    """Base class of every exception raised by gridgov."""


class CRSError(GridgovError, ValueError):
    """A coordinate reference system is missing, mixed, or unfit for the work.

    Raised for a layer without CRS, for several layers in different CRSs, and
    for a geographic CRS (degrees) handed to metric work (areas, distances).
    """


class LayerError(GridgovError, ValueError):
    """A layer does not fit the data model: schema, ids or geometry.

    The message names the layer, the offending row ids (the first few and a
    count) and how to fix the input.
    """


class GridgovWarning(UserWarning):
    """A warning issued by gridgov."""
