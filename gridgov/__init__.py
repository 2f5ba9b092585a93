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

from gridgov import crs, datasets, graph
from gridgov.assign import HOW, assign, assign_by_network, summarize_assignment
from gridgov.check import check
from gridgov.compare import CHANGE_CLASSES, Changes, compare
from gridgov.crs import (
    from_bd09,
    from_gcj02,
    metric_crs,
    to_metric,
)
from gridgov.errors import (
    ArgumentError,
    CRSError,
    GridgovError,
    GridgovWarning,
    LayerError,
    OptionError,
    OptionTypeError,
    OutputExistsError,
    RegistryError,
    RuleSetError,
    UsageError,
)
from gridgov.findings import (
    FINDING_COLUMNS,
    PRINCIPLES,
    SEVERITIES,
    Findings,
    FindingsSummary,
    make_findings,
)
from gridgov.layers import (
    read_buildings,
    read_households,
    read_layer,
    read_roads,
    read_stations,
    validate_layer,
)
from gridgov.propose import Plan, propose
from gridgov.rules import GRID_KINDS, RULES, RuleInfo, RuleSet
from gridgov.unify import RELATIONS, UNIFY_RULES, OneNetwork, unify
from gridgov.versions import show_versions

try:
    __version__ = version("gridgov")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "CHANGE_CLASSES",
    "FINDING_COLUMNS",
    "GRID_KINDS",
    "HOW",
    "PRINCIPLES",
    "RELATIONS",
    "RULES",
    "SEVERITIES",
    "UNIFY_RULES",
    "ArgumentError",
    "CRSError",
    "Changes",
    "Findings",
    "FindingsSummary",
    "GridgovError",
    "GridgovWarning",
    "LayerError",
    "OneNetwork",
    "OptionError",
    "OptionTypeError",
    "OutputExistsError",
    "Plan",
    "RegistryError",
    "RuleInfo",
    "RuleSet",
    "RuleSetError",
    "UsageError",
    "__version__",
    "assign",
    "assign_by_network",
    "check",
    "compare",
    "crs",
    "datasets",
    "from_bd09",
    "from_gcj02",
    "graph",
    "make_findings",
    "metric_crs",
    "propose",
    "read_buildings",
    "read_households",
    "read_layer",
    "read_roads",
    "read_stations",
    "show_versions",
    "summarize_assignment",
    "to_metric",
    "unify",
    "validate_layer",
]


def __getattr__(name: str) -> object:
    """Import :mod:`gridgov.distributed` on first use (it needs the ``dask`` extra)."""
    if name == "distributed":
        import importlib

        return importlib.import_module("gridgov.distributed")
    msg = f"module 'gridgov' has no attribute {name!r}"
    raise AttributeError(msg)
