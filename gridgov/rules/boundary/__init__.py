# ruff: noqa: I001
"""Clear boundaries (边界清晰): validity, one part, unique well-formed codes, parents, buildings.

Each rule takes the prepared grid layer (:class:`~gridgov.rules.base.Grids`)
and the products it needs, and returns finding records (a DataFrame without
``principle`` and ``severity``, which :func:`gridgov.check` adds).  Geometric
rules measure invalid grids on their repair by ``shapely.make_valid`` and say
so in the message.  Rule semantics: ``docs/rules.md``.  The modules are
imported in the order their rules are listed.
"""

from __future__ import annotations

# the rules are listed in the order of these imports (their declaration order)
from gridgov.rules.boundary.shape import invalid_geometry, multipart
from gridgov.rules.boundary.codes import bad_code, duplicate_id
from gridgov.rules.boundary.parents import crosses_parent, parent_units
from gridgov.rules.boundary.buildings import split_candidates, splits_building
from gridgov.rules.boundary.features import off_features
from gridgov.rules.boundary.slivers import sliver

__all__ = [
    "bad_code",
    "crosses_parent",
    "duplicate_id",
    "invalid_geometry",
    "multipart",
    "off_features",
    "parent_units",
    "sliver",
    "split_candidates",
    "splits_building",
]
