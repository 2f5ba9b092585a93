"""gridgov: check, assign, unify and redesign community grids (网格).

Grids partition a community, a street or a district so that every household
has exactly one responsible grid worker.  gridgov checks grid layers against
the four principles — moderate scale, clear boundaries, seamless coverage,
dynamic adjustment (规模适度、边界清晰、无缝覆盖、动态调整) — assigns households
to grids exactly once, unifies several networks into one and proposes
redesigns.  Import it as ``import gridgov as gg``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from gridgov import crs, datasets
from gridgov.crs import (
    from_bd09,
    from_gcj02,
    metric_crs,
    to_metric,
)
from gridgov.errors import CRSError, GridgovError, GridgovWarning, LayerError
from gridgov.layers import (
    read_buildings,
    read_households,
    read_layer,
    read_roads,
    read_stations,
    validate_layer,
)

try:
    __version__ = version("gridgov")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "CRSError",
    "GridgovError",
    "GridgovWarning",
    "LayerError",
    "__version__",
    "crs",
    "datasets",
    "from_bd09",
    "from_gcj02",
    "metric_crs",
    "read_buildings",
    "read_households",
    "read_layer",
    "read_roads",
    "read_stations",
    "to_metric",
    "validate_layer",
]
