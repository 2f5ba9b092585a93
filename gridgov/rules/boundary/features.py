"""Boundaries that follow roads, rivers or walls (``boundary.off_features``).

Part of :mod:`gridgov.rules.boundary`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from gridgov._core.proximity import line_parts, near_lengths, subtract_near
from gridgov.rules.base import (
    EPS,
    Grids,
    below,
    empty,
    fmt_length,
    records,
)
from gridgov.rules.registry import RuleDoc, Scope, rule

if TYPE_CHECKING:
    import pandas as pd

    from gridgov.rules.ruleset import RuleSet

__all__ = ["off_features"]


@rule(
    "boundary.off_features",
    severity="warning",
    scope=Scope.GRID,
    description="too little of the boundary follows roads, rivers or walls",
    needs=("features",),
    cost=6,
    doc=RuleDoc(
        context="features (roads, rivers, walls)",
        default=(
            "warning when the share of a grid's boundary within 5 m (`feature_tolerance`) of a "
            "feature line is < 0.5 (`min_share_on_features`); with a jurisdiction, boundary parts"
            " within 5 m of its outer boundary are left out of both lengths"
        ),
        value="share on features / 0.5",
        geometry="the grid's boundary parts off features",
    ),
)
def off_features(
    grids: Grids,
    features: np.ndarray,
    *,
    rules: RuleSet,
    outer_edge: shapely.Geometry | None = None,
) -> pd.DataFrame:
    """``boundary.off_features``: grids whose boundary follows roads, rivers or walls too little.

    The share on features is the length of the grid's boundary lying within
    ``feature_tolerance`` of a feature line, divided by the boundary length.
    Boundary parts within the tolerance of `outer_edge` (the jurisdiction's
    outer boundary, which no feature needs to mark) are left out of both
    lengths.  The lengths are exact for straight segments: the part of a
    boundary segment within distance *r* of a feature segment is the segment's
    intersection with the feature's capsule, computed in closed form for all
    segment pairs at once (:func:`near_lengths`).

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    features : ndarray of LineString
        Feature lines.
    rules : RuleSet
        ``feature_tolerance`` and ``min_share_on_features``.
    outer_edge : Geometry, optional
        Boundary of the jurisdiction.

    Returns
    -------
    DataFrame
        Finding records: value the share on features (limit
        ``min_share_on_features``); geometry the boundary parts off features.
    """
    tol = rules.feature_tolerance
    edge = None
    if outer_edge is not None and not shapely.is_empty(outer_edge):
        edge = line_parts(np.array([outer_edge], dtype=object))
    boundary = shapely.boundary(grids.shapes)
    lines = line_parts(features)
    length, on_edge, on_either = near_lengths(boundary, lines, edge, tol)
    judged = length - on_edge
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(judged > EPS, (on_either - on_edge) / np.where(judged > EPS, judged, 1), 1)
    share = np.clip(share, 0.0, 1.0)
    rows = np.flatnonzero((judged > EPS) & below(share, rules.min_share_on_features))
    if not len(rows):
        return empty()
    # the drawn geometry, for the findings only: the boundary minus the tolerance zones
    drawn = boundary[rows]
    if edge is not None:
        drawn = subtract_near(drawn, edge, tol)
    drawn = subtract_near(drawn, lines, tol)
    notes = grids.note(rows)
    off_length = judged[rows] * (1.0 - share[rows])
    messages = [
        f"only {share[r]:.0%} of the boundary of grid {grids.ids[r]} follows a road, river or "
        f"wall (within {tol:g} m); {fmt_length(off)} of {fmt_length(judged[r])} does not{note}"
        for r, off, note in zip(rows, off_length, notes, strict=True)
    ]
    return records(
        "boundary.off_features",
        grid_id=grids.ids[rows],
        value=share[rows],
        limit=rules.min_share_on_features,
        message=np.array(messages, dtype=object),
        geometry=drawn,
    )
