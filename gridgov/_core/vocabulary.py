"""The words of the data model, defined once: principles, severities, grid kinds.

Part of the internal core; the public names are :data:`gridgov.PRINCIPLES`,
:data:`gridgov.SEVERITIES` and :data:`gridgov.GRID_KINDS`.
"""

from __future__ import annotations

__all__ = ["GRID_KINDS", "PRINCIPLES", "SEVERITIES"]

#: The four principles, in the order rules are listed, findings sorted and summarised:
#: moderate scale, clear boundaries, seamless coverage, dynamic adjustment.
PRINCIPLES: tuple[str, ...] = ("scale", "boundary", "coverage", "adjustment")
#: Severities, most severe first.
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
#: Grid kinds (column ``kind``), each with its own rules: territorial (the default),
#: dedicated grids over territorial ones, micro grids inside them.
GRID_KINDS: tuple[str, ...] = ("comprehensive", "dedicated", "micro")
