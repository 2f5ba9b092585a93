"""Unique, well-formed grid codes (``boundary.duplicate_id``, ``boundary.bad_code``).

Part of :mod:`gridgov.rules.boundary`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from gridgov.rules.base import (
    Grids,
    empty,
    present,
    records,
)
from gridgov.rules.registry import RuleDoc, Scope, rule

if TYPE_CHECKING:
    from gridgov.rules.ruleset import RuleSet

__all__ = ["bad_code", "duplicate_id"]


@rule(
    "boundary.duplicate_id",
    severity="error",
    scope=Scope.LAYER,
    description="grid id used by several rows",
    shows="grid",
    doc=RuleDoc(
        context="—",
        default="error; one finding per duplicated id",
        value="number of rows / 1",
        geometry="union of the rows",
    ),
)
def duplicate_id(grids: Grids) -> pd.DataFrame:
    """``boundary.duplicate_id``: one finding per grid id used by several rows.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.

    Returns
    -------
    DataFrame
        Finding records: value the number of rows (limit 1), geometry their union.
    """
    ids = pd.Series(grids.ids, dtype=object)
    counts = ids.value_counts(sort=False)
    dup = sorted(str(i) for i in counts.index[counts.to_numpy() > 1])
    if not dup:
        return empty()
    geoms, values, messages = [], [], []
    for gid in dup:
        rows = np.flatnonzero(grids.ids == gid)
        geoms.append(shapely.union_all(grids.shapes[rows]))
        values.append(float(len(rows)))
        messages.append(f"grid id {gid} is used by {len(rows)} rows; give each grid its own id")
    return records(
        "boundary.duplicate_id",
        grid_id=np.array(dup, dtype=object),
        value=np.array(values),
        limit=1.0,
        message=np.array(messages, dtype=object),
        geometry=np.array(geoms, dtype=object),
    )


@rule(
    "boundary.bad_code",
    severity="warning",
    scope=Scope.GRID,
    description="grid id not matching code_pattern or its parent code",
    shows="grid",
    doc=RuleDoc(
        context="—",
        default=(
            "warning; `grid_id` must match `^\\d{15}$` (`code_pattern`), and start with the grid's"
            " `parent_id` when that column is given (`code_starts_with_parent`)"
        ),
        value="—",
        geometry="the grid",
    ),
)
def bad_code(grids: Grids, *, rules: RuleSet) -> pd.DataFrame:
    """``boundary.bad_code``: ids not matching the code pattern or not starting with the parent.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer (``parent_id`` is used when present).
    rules : RuleSet
        ``code_pattern`` and ``code_starts_with_parent``.

    Returns
    -------
    DataFrame
        Finding records (no value or limit); geometry the grid.
    """
    ids = pd.Series(grids.ids, dtype=object).astype(str)
    matches = ids.str.contains(rules.code_pattern, regex=True).to_numpy(dtype=bool)
    parents = grids.column("parent_id")
    prefix_ok = np.ones(len(grids), dtype=bool)
    if rules.code_starts_with_parent and parents is not None:
        has = present(parents)
        starts = np.asarray(
            np.char.startswith(ids.to_numpy(dtype=str), np.where(has, parents, "").astype(str)),
            dtype=bool,
        )
        prefix_ok = ~has | starts
    rows = np.flatnonzero(~matches | ~prefix_ok)
    if not len(rows):
        return empty()
    messages = []
    for row in rows:
        problems = []
        if not matches[row]:
            problems.append(f"does not match the code pattern {rules.code_pattern}")
        if not prefix_ok[row]:
            problems.append(f"does not start with its parent code {parents[row]}")  # type: ignore[index]
        messages.append(f"grid id {grids.ids[row]} " + " and ".join(problems))
    return records(
        "boundary.bad_code",
        grid_id=grids.ids[rows],
        message=np.array(messages, dtype=object),
        geometry=grids.geometry[rows],
    )
