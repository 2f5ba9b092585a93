"""Dynamic adjustment (动态调整): load drift since the previous edition, reviews due.

Each function returns finding records (see :mod:`gridgov.rules.boundary`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridgov.rules.base import Grids, empty, fmt_count, records
from gridgov.rules.registry import RuleDoc, Scope, rule
from gridgov.rules.scale import bounds_of

if TYPE_CHECKING:
    from gridgov.rules.ruleset import RuleSet

__all__ = ["expired", "load_drift", "review_due"]


def _days_since(
    grids: Grids, column: str, rules: RuleSet
) -> tuple[np.ndarray, np.ndarray, pd.Timestamp]:
    """Return the days from each grid's date in `column` to ``as_of`` (NaN without a date).

    Also the dates as ``YYYY-MM-DD`` text and ``as_of``; times of day and
    time zones are dropped (a date is a whole day).
    """
    dates = pd.to_datetime(grids.frame[column])
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    as_of = pd.Timestamp(rules.today())
    days = (as_of - dates.dt.normalize()).dt.days.to_numpy(dtype=float, na_value=np.nan)
    return days, dates.dt.strftime("%Y-%m-%d").to_numpy(dtype=object), as_of


def _no_valid_to(rules: RuleSet, inputs: Any) -> str | None:
    if "valid_to" not in inputs.grids.frame.columns:
        return "the layer has no 'valid_to' column"
    return None


def _no_valid_from(rules: RuleSet, inputs: Any) -> str | None:
    if "valid_from" not in inputs.grids.frame.columns:
        return "the layer has no 'valid_from' column"
    return None


@rule(
    "adjustment.load_drift",
    severity="warning",
    scope=Scope.LAYER,
    description="load within bounds in the previous edition, out of bounds now",
    needs=("previous", "households"),
    shows="grid",
    doc=RuleDoc(
        context="households, previous edition",
        default=(
            "warning; a grid (same `grid_id`) whose previous load was within the bounds of its "
            "current kind and whose current load is out of bounds; the previous load is the "
            "previous layer's `households` column when present, else the same households assigned"
            " to the previous geometry"
        ),
        value=(
            "current load / bound broken; `previous_value` the previous load; the message gives "
            "both"
        ),
        geometry="the grid",
    ),
)
def load_drift(
    grids: Grids,
    loads: np.ndarray,
    previous_ids: np.ndarray,
    previous_loads: np.ndarray,
    *,
    rules: RuleSet,
) -> pd.DataFrame:
    """``adjustment.load_drift``: grids within bounds in the previous edition, out of bounds now.

    Grids are matched by ``grid_id``; the bounds are those of the grid's
    current kind.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    loads : ndarray of int
        Current households of each row.
    previous_ids, previous_loads : ndarray
        Grid ids of the previous edition and their loads.
    rules : RuleSet
        ``households`` bounds.

    Returns
    -------
    DataFrame
        Finding records: value the current load, limit the bound broken
        now; the message gives both loads; column ``previous_value``.
    """
    low, high = bounds_of(grids, rules)
    before = pd.Series(
        np.asarray(previous_loads, dtype=float), index=pd.Index(np.asarray(previous_ids, dtype=str))
    )
    before = before[~before.index.duplicated(keep="first")]
    prev = before.reindex(grids.ids.astype(str)).to_numpy(dtype=float)
    lo = np.where(np.isnan(low), -np.inf, low)
    hi = np.where(np.isnan(high), np.inf, high)
    was_in = ~np.isnan(prev) & (prev >= lo) & (prev <= hi)
    now = np.asarray(loads, dtype=float)
    over, under = now > hi, now < lo
    rows = np.flatnonzero(was_in & (over | under))
    if not len(rows):
        return empty()
    limit = np.where(over[rows], hi[rows], lo[rows])
    messages = [
        f"grid {grids.ids[r]} went from {fmt_count(prev[r])} households (within bounds) to "
        f"{fmt_count(now[r])}, " + ("above " if over[r] else "below ") + fmt_count(b)
        for r, b in zip(rows, limit, strict=True)
    ]
    return records(
        "adjustment.load_drift",
        grid_id=grids.ids[rows],
        value=now[rows],
        limit=limit,
        message=np.array(messages, dtype=object),
        geometry=grids.geometry[rows],
        previous_value=prev[rows],
    )


@rule(
    "adjustment.review_due",
    severity="info",
    scope=Scope.GRID,
    description="valid_from older than review_age_days",
    skip=_no_valid_from,
    shows="grid",
    doc=RuleDoc(
        context="column `valid_from`",
        default=(
            "info; `valid_from` older than 3 years (`review_age_days=1095`) before "
            "`RuleSet.as_of` (default: today); grids without a date are not judged"
        ),
        value="age in days / 1095",
        geometry="the grid",
    ),
)
def review_due(grids: Grids, *, rules: RuleSet) -> pd.DataFrame:
    """``adjustment.review_due``: grids whose ``valid_from`` is older than ``review_age_days``.

    Grids without a ``valid_from`` date are not judged.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer (column ``valid_from``, parsed to datetimes).
    rules : RuleSet
        ``review_age_days`` and ``as_of`` (today when None).

    Returns
    -------
    DataFrame
        Finding records: value the age in days (limit ``review_age_days``).
    """
    if "valid_from" not in grids.frame.columns:
        return empty()
    age, dates, as_of = _days_since(grids, "valid_from", rules)
    rows = np.flatnonzero(~np.isnan(age) & (age > rules.review_age_days))
    if not len(rows):
        return empty()
    messages = [
        f"grid {grids.ids[r]} has been in force since {dates[r]}, {age[r]:.0f} days before "
        f"{as_of.date().isoformat()}: due for review (every {rules.review_age_days} days)"
        for r in rows
    ]
    return records(
        "adjustment.review_due",
        grid_id=grids.ids[rows],
        value=age[rows],
        limit=float(rules.review_age_days),
        message=np.array(messages, dtype=object),
        geometry=grids.geometry[rows],
    )


@rule(
    "adjustment.expired",
    severity="warning",
    scope=Scope.GRID,
    description="valid_to before as_of: the grid is no longer in force but still in the layer",
    skip=_no_valid_to,
    shows="grid",
    doc=RuleDoc(
        context="column `valid_to`",
        default=(
            "warning; `valid_to` before `RuleSet.as_of` (default: today): an edition "
            "that retired the grid left it in the layer; grids without a date are not judged"
        ),
        value="days since `valid_to` / 0",
        geometry="the grid",
    ),
)
def expired(grids: Grids, *, rules: RuleSet) -> pd.DataFrame:
    """``adjustment.expired``: grids whose ``valid_to`` lies before ``as_of``.

    A grid is in force until the end of its ``valid_to`` day; grids without
    a ``valid_to`` date are in force.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer (column ``valid_to``, parsed to datetimes).
    rules : RuleSet
        ``as_of`` (today when None).

    Returns
    -------
    DataFrame
        Finding records: value the days since ``valid_to`` (limit 0).
    """
    days, dates, as_of = _days_since(grids, "valid_to", rules)
    rows = np.flatnonzero(~np.isnan(days) & (days > 0))
    if not len(rows):
        return empty()
    messages = [
        f"grid {grids.ids[r]} went out of force on {dates[r]} ({days[r]:.0f} days before "
        f"{as_of.date().isoformat()}) but is still in the layer"
        for r in rows
    ]
    return records(
        "adjustment.expired",
        grid_id=grids.ids[rows],
        value=days[rows],
        limit=0.0,
        message=np.array(messages, dtype=object),
        geometry=grids.geometry[rows],
    )
