"""Moved to :mod:`gridgov._core.coords`; kept for the modules that still import it here."""

from __future__ import annotations

from gridgov._core.coords import point_xy

__all__ = ["point_xy"]
