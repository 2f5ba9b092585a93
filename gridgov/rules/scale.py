"""Moderate scale (规模适度): households, persons and area per grid; balance inside a parent.

Loads come from :func:`gridgov.assign` (each household counted in exactly one
grid), computed once by :func:`gridgov.check`.  Each function returns finding
records (see :mod:`gridgov.rules.boundary`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from gridgov.rules.base import (
    Grids,
    above,
    below,
    empty,
    fmt_area,
    fmt_count,
    present,
    records,
)
from gridgov.rules.registry import RuleDoc, Scope, rule

if TYPE_CHECKING:
    from gridgov.rules.ruleset import RuleSet

__all__ = [
    "area_out_of_range",
    "bounds_of",
    "too_few_households",
    "too_many_households",
    "too_many_persons",
    "unbalanced_parent",
]


def _no_persons_bound(rules: RuleSet) -> str | None:
    return "no bound set (RuleSet.max_persons is None)" if rules.max_persons is None else None


def _no_persons_column(rules: RuleSet, inputs: Any) -> str | None:
    if "persons" not in inputs.households.columns:
        return "the households have no 'persons' column"
    return None


def _no_area_bounds(rules: RuleSet) -> str | None:
    if rules.min_area is None and rules.max_area is None:
        return "no bounds set (RuleSet.min_area and max_area are None)"
    return None


def _no_parents(rules: RuleSet, inputs: Any) -> str | None:
    frame = inputs.grids.frame
    declared = "parent_id" in frame.columns and bool(frame["parent_id"].notna().any())
    if inputs.parents is None and not declared:
        return "no parents given and the layer has no 'parent_id' column"
    return None


def bounds_of(grids: Grids, rules: RuleSet) -> tuple[np.ndarray, np.ndarray]:
    """Return the lower and upper household bounds of every grid (NaN: no bound).

    Parameters
    ----------
    grids : Grids
        The prepared grid layer (``kind`` per row).
    rules : RuleSet
        Household bounds per kind.

    Returns
    -------
    tuple of ndarray
    """
    low = np.full(len(grids), np.nan)
    high = np.full(len(grids), np.nan)
    for kind in np.unique(grids.kinds.astype(str)):
        lo, hi = rules.household_bounds(kind)
        rows = grids.kinds == kind
        low[rows] = np.nan if lo is None else lo
        high[rows] = np.nan if hi is None else hi
    return low, high


def _kind_text(kind: str) -> str:
    return "" if kind == "comprehensive" else f" ({kind} grid)"


@rule(
    "scale.too_many_households",
    severity="error",
    scope=Scope.LAYER,
    description="more households than the upper bound of the kind",
    needs=("households",),
    shows="grid",
    doc=RuleDoc(
        context="households",
        default=(
            "error; households per grid by `kind`: comprehensive 300–500, `micro` 20–100, "
            "`dedicated` unbounded (rural: comprehensive 100–600) — `RuleSet.households`"
        ),
        value="load / upper bound",
        geometry="the grid",
    ),
)
def too_many_households(grids: Grids, loads: np.ndarray, *, rules: RuleSet) -> pd.DataFrame:
    """``scale.too_many_households``: grids above the upper household bound of their kind.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    loads : ndarray of int
        Households assigned to each row.
    rules : RuleSet
        ``households`` bounds.

    Returns
    -------
    DataFrame
        Finding records: value the load, limit the upper bound; geometry the grid.
    """
    _, high = bounds_of(grids, rules)
    return _out_of_bound(grids, loads, high, above=True, rule="scale.too_many_households")


@rule(
    "scale.too_few_households",
    severity="error",
    scope=Scope.LAYER,
    description="fewer households than the lower bound of the kind",
    needs=("households",),
    shows="grid",
    doc=RuleDoc(
        context="households",
        default="error; same bounds",
        value="load / lower bound",
        geometry="the grid",
    ),
)
def too_few_households(grids: Grids, loads: np.ndarray, *, rules: RuleSet) -> pd.DataFrame:
    """``scale.too_few_households``: grids below the lower household bound of their kind.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    loads : ndarray of int
        Households assigned to each row.
    rules : RuleSet
        ``households`` bounds.

    Returns
    -------
    DataFrame
        Finding records: value the load, limit the lower bound; geometry the grid.
    """
    low, _ = bounds_of(grids, rules)
    return _out_of_bound(grids, loads, low, above=False, rule="scale.too_few_households")


def _out_of_bound(
    grids: Grids, loads: np.ndarray, bound: np.ndarray, *, above: bool, rule: str
) -> pd.DataFrame:
    """Return records of the grids whose load is beyond their bound (NaN: no bound)."""
    has = ~np.isnan(bound)
    beyond = loads > bound if above else loads < bound
    rows = np.flatnonzero(has & beyond)
    if not len(rows):
        return empty()
    word = "more" if above else "fewer"
    messages = [
        f"grid {grids.ids[r]} has {fmt_count(loads[r])} households, {word} than "
        f"{fmt_count(bound[r])}{_kind_text(grids.kinds[r])}"
        for r in rows
    ]
    return records(
        rule,
        grid_id=grids.ids[rows],
        value=loads[rows].astype(float),
        limit=bound[rows],
        message=np.array(messages, dtype=object),
        geometry=grids.geometry[rows],
    )


@rule(
    "scale.too_many_persons",
    severity="warning",
    scope=Scope.LAYER,
    description="more persons than max_persons",
    needs=("households",),
    setting=_no_persons_bound,
    skip=_no_persons_column,
    shows="grid",
    doc=RuleDoc(
        context="households with `persons`",
        default="warning; no bound by default (`max_persons=None` → skipped)",
        value="persons / bound",
        geometry="the grid",
    ),
)
def too_many_persons(grids: Grids, persons: np.ndarray, *, rules: RuleSet) -> pd.DataFrame:
    """``scale.too_many_persons``: grids with more persons than ``max_persons``.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    persons : ndarray of float
        Persons of the households assigned to each row.
    rules : RuleSet
        ``max_persons`` (not None).

    Returns
    -------
    DataFrame
        Finding records: value the persons, limit ``max_persons``.
    """
    limit = rules.max_persons
    if limit is None:
        return empty()
    rows = np.flatnonzero(above(persons, limit))
    if not len(rows):
        return empty()
    messages = [
        f"grid {grids.ids[r]} has {fmt_count(persons[r])} persons, more than {fmt_count(limit)}"
        for r in rows
    ]
    return records(
        "scale.too_many_persons",
        grid_id=grids.ids[rows],
        value=persons[rows],
        limit=float(limit),
        message=np.array(messages, dtype=object),
        geometry=grids.geometry[rows],
    )


@rule(
    "scale.area_out_of_range",
    severity="warning",
    scope=Scope.GRID,
    description="grid area outside [min_area, max_area]",
    setting=_no_area_bounds,
    shows="grid",
    doc=RuleDoc(
        context="—",
        default="warning; no bound by default (`min_area`, `max_area` both None → skipped)",
        value="area / violated bound",
        geometry="the grid",
    ),
)
def area_out_of_range(grids: Grids, *, rules: RuleSet) -> pd.DataFrame:
    """``scale.area_out_of_range``: grids whose area is outside [``min_area``, ``max_area``].

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    rules : RuleSet
        ``min_area`` and ``max_area`` (m²).

    Returns
    -------
    DataFrame
        Finding records: value the area, limit the violated bound.
    """
    area = shapely.area(grids.shapes)
    low = -np.inf if rules.min_area is None else float(rules.min_area)
    high = np.inf if rules.max_area is None else float(rules.max_area)
    small = below(area, low) if np.isfinite(low) else np.zeros(len(area), dtype=bool)
    large = above(area, high) if np.isfinite(high) else np.zeros(len(area), dtype=bool)
    rows = np.flatnonzero(small | large)
    if not len(rows):
        return empty()
    notes = grids.note(rows)
    limit = np.where(small[rows], low, high)
    messages = [
        f"grid {grids.ids[r]} covers {fmt_area(area[r])}, "
        + (f"less than {fmt_area(low)}" if small[r] else f"more than {fmt_area(high)}")
        + note
        for r, note in zip(rows, notes, strict=True)
    ]
    return records(
        "scale.area_out_of_range",
        grid_id=grids.ids[rows],
        value=area[rows],
        limit=limit,
        message=np.array(messages, dtype=object),
        geometry=grids.geometry[rows],
    )


@rule(
    "scale.unbalanced_parent",
    severity="warning",
    scope=Scope.LAYER,
    description="coefficient of variation of the loads inside a parent unit above max_balance_cv",
    needs=("households",),
    skip=_no_parents,
    shows="grids",
    doc=RuleDoc(
        context="households, and parents or a `parent_id` column",
        default=(
            "warning; coefficient of variation of the loads of the grids of one parent "
            "(population std / mean, grids of kind `comprehensive` only, parents with ≥ 2 such "
            "grids and a positive mean) > 0.25 (`max_balance_cv`)"
        ),
        value="CV / 0.25; `grid_id` null, `parent_id` and `other_id` the parent",
        geometry="union of the parent's grids",
    ),
)
def unbalanced_parent(
    grids: Grids, loads: np.ndarray, parent_of: np.ndarray, *, rules: RuleSet
) -> pd.DataFrame:
    """``scale.unbalanced_parent``: parents whose comprehensive grids have uneven loads.

    The coefficient of variation is the population standard deviation of the
    loads over their mean, over the ``comprehensive`` grids of one parent;
    parents with fewer than two such grids, or no households, are not judged.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    loads : ndarray of int
        Households assigned to each row.
    parent_of : ndarray
        Parent unit id of each row (None when unknown).
    rules : RuleSet
        ``max_balance_cv``.

    Returns
    -------
    DataFrame
        Finding records, ``grid_id`` null, columns ``parent_id`` and
        ``other_id`` the parent: value the CV; geometry the union of the
        parent's comprehensive grids.
    """
    keep = (grids.kinds == "comprehensive") & present(parent_of)
    if not keep.any():
        return empty()
    table = pd.DataFrame(
        {
            "parent": parent_of[keep].astype(str),
            "load": loads[keep].astype(float),
            "row": np.flatnonzero(keep),
        }
    )
    stats = table.groupby("parent", sort=True)["load"].agg(["count", "mean", "std", "min", "max"])
    stats["std"] = table.groupby("parent", sort=True)["load"].std(ddof=0)
    stats = stats[(stats["count"] >= 2) & (stats["mean"] > 0)]
    cv = (stats["std"] / stats["mean"]).to_numpy()
    bad = above(cv, rules.max_balance_cv)
    if not bad.any():
        return empty()
    chosen = stats.index.to_numpy(dtype=object)[bad]
    rows_of = table.groupby("parent", sort=True)["row"].agg(list)
    geoms = [shapely.union_all(grids.shapes[rows_of[p]]) for p in chosen]
    picked = stats[bad]
    messages = [
        f"the {int(s['count'])} comprehensive grids of parent {p} are unbalanced: loads from "
        f"{s['min']:.0f} to {s['max']:.0f} households (mean {s['mean']:.0f}, CV {c:.2f})"
        for p, (_, s), c in zip(chosen, picked.iterrows(), cv[bad], strict=True)
    ]
    return records(
        "scale.unbalanced_parent",
        value=cv[bad],
        limit=rules.max_balance_cv,
        message=np.array(messages, dtype=object),
        geometry=np.array(geoms, dtype=object),
        parent_id=chosen,
        other_id=chosen,
    )
