"""No thin parts (``boundary.sliver``).

Part of :mod:`gridgov.rules.boundary`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from gridgov._core.offset import MITRE, pure_offset
from gridgov.rules.base import (
    Grids,
    above,
    buffer_difference,
    empty,
    fmt_area,
    polygonal,
    records,
)
from gridgov.rules.registry import RuleDoc, Scope, rule

if TYPE_CHECKING:
    import pandas as pd

    from gridgov.rules.ruleset import RuleSet

__all__ = ["sliver"]


@rule(
    "boundary.sliver",
    severity="error",
    scope=Scope.GRID,
    description="parts of a grid thinner than sliver_width",
    cost=4,
    doc=RuleDoc(
        context="—",
        default=(
            "error when the parts of a grid thinner than 1 m (`sliver_width`: what a "
            "morphological opening with radius `sliver_width/2` removes) sum to > 10 m² "
            "(`min_sliver_area`)"
        ),
        value="sliver area / 10 m²",
        geometry="the thin parts",
    ),
)
def sliver(grids: Grids, *, rules: RuleSet) -> pd.DataFrame:
    """``boundary.sliver``: parts of grids thinner than ``sliver_width``.

    The thin parts are what a morphological opening (an inward then an
    outward buffer by ``sliver_width / 2``, mitred joins so that corners
    survive) removes from the grid.  Grids whose inward offset has no
    topological event (:func:`pure_offset` is not None: no edge shrinks to
    nothing and no two fronts meet) lose nothing to the opening, which gives
    them back unchanged, and are not buffered at all; the opening is computed
    with GEOS for the others.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.
    rules : RuleSet
        ``sliver_width`` and ``min_sliver_area``.

    Returns
    -------
    DataFrame
        Finding records: value the area of the thin parts (limit
        ``min_sliver_area``); geometry the thin parts.
    """
    radius = rules.sliver_width / 2.0
    shapes = grids.shapes
    area = shapely.area(shapes)
    # A grid thinner than the width everywhere loses all of its area; cheap bound first:
    # the opening only removes area, so grids whose area is at most the limit cannot fail.
    candidates = np.flatnonzero(above(area, rules.min_sliver_area))
    if not len(candidates):
        return empty()
    # The opening removes nothing from a grid whose erosion has no topological event: that
    # erosion is the grid with every edge moved inwards (pure_offset, in closed form), and
    # dilating it moves every edge back.  Only the other grids are eroded and dilated.
    pure = ~shapely.is_missing(pure_offset(shapes[candidates], radius))
    removed = np.zeros(len(candidates))
    rest = np.flatnonzero(~pure)
    opened = np.array([shapely.Polygon()] * len(candidates), dtype=object)
    opened[pure] = shapes[candidates[pure]]
    if len(rest):
        with np.errstate(invalid="ignore"):  # GEOS mitres of near-duplicate vertices touch NaN
            eroded = shapely.buffer(
                shapes[candidates[rest]], -radius, join_style="mitre", mitre_limit=MITRE
            )
            opened[rest] = shapely.buffer(eroded, radius, join_style="mitre", mitre_limit=MITRE)
        odd = rest[~shapely.is_valid(opened[rest])]  # GEOS buffers of odd shapes can be invalid
        opened[odd] = polygonal(shapely.make_valid(opened[odd]))
        # the opening lies inside the grid (mitred joins restore convex corners exactly), so
        # what it removes is the difference of the areas
        removed[rest] = area[candidates[rest]] - shapely.area(opened[rest])
    hit = above(removed, rules.min_sliver_area)
    rows = candidates[hit]
    if not len(rows):
        return empty()
    thin = polygonal(buffer_difference(shapes[rows], opened[hit]))
    # drop the crumbs of floating-point noise along the edges from the drawn geometry
    parts, index = shapely.get_parts(thin, return_index=True)
    big = shapely.area(parts) > 1e-3
    drawn = np.array([shapely.Polygon()] * len(rows), dtype=object)
    if big.any():
        shapely.multipolygons(parts[big], indices=index[big], out=drawn)
    notes = grids.note(rows)
    messages = [
        f"grid {grids.ids[r]} has {fmt_area(v)} of parts thinner than {rules.sliver_width:g} m"
        f"{note}"
        for r, v, note in zip(rows, removed[hit], notes, strict=True)
    ]
    return records(
        "boundary.sliver",
        grid_id=grids.ids[rows],
        value=removed[hit],
        limit=rules.min_sliver_area,
        message=np.array(messages, dtype=object),
        geometry=drawn,
    )
