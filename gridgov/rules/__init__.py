"""The four principles as rules: the registry, :class:`RuleSet` and one module per principle.

``scale`` (规模适度), ``boundary`` (边界清晰), ``coverage`` (无缝覆盖) and
``adjustment`` (动态调整) each declare the rules of one principle with
:func:`gridgov.rules.registry.rule`, next to their code; :data:`RULES` lists
them all, and :func:`gridgov.check` runs them.  The rule codes, defaults and
semantics are documented in ``docs/rules.md``, generated from the registry.
"""

from __future__ import annotations

from gridgov.errors import RuleSetError
from gridgov.rules import adjustment, boundary, coverage, scale
from gridgov.rules.registry import RULES, RuleInfo, Scope
from gridgov.rules.ruleset import GRID_KINDS, RuleSet

__all__ = [
    "GRID_KINDS",
    "RULES",
    "RuleInfo",
    "RuleSet",
    "RuleSetError",
    "Scope",
    "adjustment",
    "boundary",
    "coverage",
    "scale",
]
