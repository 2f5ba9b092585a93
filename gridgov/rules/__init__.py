"""The four principles as rules: :class:`RuleSet` and one module per principle.

``scale`` (规模适度), ``boundary`` (边界清晰), ``coverage`` (无缝覆盖) and
``adjustment`` (动态调整) each hold the rules of one principle as functions
that return finding records; :func:`gridgov.check` runs them.  The rule codes,
defaults and semantics are documented in ``docs/rules.md`` and :data:`RULES`.
"""

from __future__ import annotations

from gridgov.errors import RuleSetError
from gridgov.rules.ruleset import GRID_KINDS, RULES, RuleInfo, RuleSet

__all__ = ["GRID_KINDS", "RULES", "RuleInfo", "RuleSet", "RuleSetError"]
