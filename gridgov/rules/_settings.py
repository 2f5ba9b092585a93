"""The checks of every RuleSet setting: bounds, numbers, patterns, dates, rule codes.

Part of :mod:`gridgov.rules.ruleset`: :class:`~gridgov.rules.RuleSet` checks
each field once, at construction, with these.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from gridgov._core.vocabulary import GRID_KINDS, SEVERITIES
from gridgov.errors import OptionTypeError, RuleSetError
from gridgov.rules.registry import RULES

_SEVERITIES = SEVERITIES


_Bounds = tuple[float | None, float | None]

_URBAN_HOUSEHOLDS: dict[str, _Bounds] = {
    "comprehensive": (300, 500),
    "dedicated": (None, None),
    "micro": (20, 100),
}
_RURAL_HOUSEHOLDS: dict[str, _Bounds] = {
    "comprehensive": (100, 600),
    "dedicated": (None, None),
    "micro": (20, 100),
}

# Fields that are lower / upper bounds: None means "no bound"; TOML writes 0 / inf.
_LOWER = ("min_area",)
_UPPER = ("max_persons", "max_area")
_POSITIVE = (
    "max_balance_cv",
    "feature_tolerance",
    "sliver_width",
    "service_distance",
)
_NON_NEGATIVE = (
    "min_parent_outside_area",
    "min_split_area",
    "min_split_share",
    "min_sliver_area",
    "min_gap_area",
    "min_overlap_area",
    "min_outside_area",
    "review_age_days",
)
_FRACTIONS = ("min_share_on_features", "min_split_share")


def _bound(value: Any, *, name: str, upper: bool) -> float | None:
    """Normalise a bound: None, inf (upper) and 0 (lower) mean no bound."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"RuleSet.{name} must be a number or None, got {value!r}"
        raise OptionTypeError(msg)
    if math.isnan(value) or value < 0:
        msg = f"RuleSet.{name} must be >= 0 (or None for no bound), got {value!r}"
        raise RuleSetError(msg)
    if (upper and math.isinf(value)) or (not upper and value == 0):
        return None
    if math.isinf(value):
        msg = f"RuleSet.{name} is a lower bound and cannot be infinite"
        raise RuleSetError(msg)
    return int(value) if float(value).is_integer() else float(value)


def _household_bounds(value: Any) -> dict[str, _Bounds]:
    if not hasattr(value, "items"):
        msg = (
            "RuleSet.households must map grid kinds to [lower, upper] bounds, "
            f"e.g. {{'comprehensive': (300, 500)}}, got {value!r}"
        )
        raise OptionTypeError(msg)
    unknown = sorted(set(map(str, value)) - set(GRID_KINDS))
    if unknown:
        msg = f"RuleSet.households: unknown grid kind {unknown}; expected {', '.join(GRID_KINDS)}"
        raise RuleSetError(msg)
    out = dict(_URBAN_HOUSEHOLDS)
    for kind, pair in value.items():
        if isinstance(pair, str) or not hasattr(pair, "__len__") or len(pair) != 2:
            msg = f"RuleSet.households[{kind!r}] must be a pair [lower, upper], got {pair!r}"
            raise RuleSetError(msg)
        low = _bound(pair[0], name=f"households[{kind!r}][0]", upper=False)
        high = _bound(pair[1], name=f"households[{kind!r}][1]", upper=True)
        if low is not None and high is not None and low > high:
            msg = f"RuleSet.households[{kind!r}]: lower bound {low} is above upper bound {high}"
            raise RuleSetError(msg)
        out[str(kind)] = (low, high)
    return {kind: out[kind] for kind in GRID_KINDS}


def _check_number(name: str, value: Any, *, positive: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        msg = f"RuleSet.{name} must be a number, got {value!r}"
        raise OptionTypeError(msg)
    if (positive and not value > 0) or value < 0 or math.isinf(value):
        need = "> 0" if positive else ">= 0"
        msg = f"RuleSet.{name} must be finite and {need}, got {value!r}"
        raise RuleSetError(msg)


def _check_pattern(pattern: Any) -> None:
    if not isinstance(pattern, str):
        msg = f"RuleSet.code_pattern must be a regular expression string, got {pattern!r}"
        raise OptionTypeError(msg)
    try:
        re.compile(pattern)
    except re.error as error:
        msg = f"RuleSet.code_pattern {pattern!r} is not a regular expression: {error}"
        raise RuleSetError(msg) from None


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            msg = f"RuleSet.as_of must be a date (YYYY-MM-DD), got {value!r}"
            raise RuleSetError(msg) from None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    msg = f"RuleSet.as_of must be a date or None, got {value!r}"
    raise OptionTypeError(msg)


def _severities(value: Any) -> dict[str, str]:
    if not hasattr(value, "items"):
        msg = f"RuleSet.severity must map rule codes to severities, got {value!r}"
        raise OptionTypeError(msg)
    _check_rule_codes(value, name="severity")
    bad = {k: v for k, v in value.items() if v not in _SEVERITIES}
    if bad:
        msg = f"RuleSet.severity: {bad} -- severities are {', '.join(_SEVERITIES)}"
        raise RuleSetError(msg)
    return dict(sorted(value.items()))


def _check_rule_codes(codes: Any, *, name: str) -> None:
    unknown = sorted(str(c) for c in codes if c not in RULES)
    if unknown:
        msg = (
            f"RuleSet.{name}: unknown rule code {', '.join(map(repr, unknown))}; "
            f"rule codes are {', '.join(RULES)}"
        )
        raise RuleSetError(msg)
