"""Valid geometry and one connected part (``boundary.invalid_geometry``, ``boundary.multipart``).

Part of :mod:`gridgov.rules.boundary`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from gridgov.rules.base import (
    Grids,
    empty,
    fmt_area,
    location,
    records,
)
from gridgov.rules.registry import RuleDoc, Scope, rule

__all__ = ["invalid_geometry", "multipart"]


@rule(
    "boundary.invalid_geometry",
    severity="error",
    scope=Scope.GRID,
    description="polygon not valid in the GEOS sense",
    shows="point",
    doc=RuleDoc(
        context="—",
        default="error",
        value="— ; message carries GEOS's reason (`shapely.is_valid_reason`)",
        geometry="the location GEOS reports (point; the grid when the reason has none)",
    ),
)
def invalid_geometry(grids: Grids) -> pd.DataFrame:
    """``boundary.invalid_geometry``: polygons that are not valid, with GEOS's reason and location.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.

    Returns
    -------
    DataFrame
        Finding records; the geometry is the point GEOS reports (the grid
        when the reason names no point).
    """
    rows = np.flatnonzero(grids.repaired)
    if not len(rows):
        return empty()
    reasons = shapely.is_valid_reason(grids.geometry[rows])
    points = [location(str(r)) for r in reasons]
    geometry = np.array(
        [p if p is not None else g for p, g in zip(points, grids.geometry[rows], strict=True)],
        dtype=object,
    )
    messages = [
        f"grid {gid} is not a valid polygon: {reason}; the geometric rules measure its "
        "repair by shapely.make_valid"
        for gid, reason in zip(grids.ids[rows], reasons, strict=True)
    ]
    return records(
        "boundary.invalid_geometry",
        grid_id=grids.ids[rows],
        message=np.array(messages, dtype=object),
        geometry=geometry,
    )


@rule(
    "boundary.multipart",
    severity="error",
    scope=Scope.GRID,
    description="grid made of several disconnected parts",
    doc=RuleDoc(
        context="—",
        default=(
            "error; one finding per grid with > 1 polygon part (parts touching at a single point "
            "are separate parts)"
        ),
        value="number of parts / 1; message lists each part's area",
        geometry="the smaller parts (all parts but the largest)",
    ),
)
def multipart(grids: Grids) -> pd.DataFrame:
    """``boundary.multipart``: grids made of several disconnected polygons.

    Parameters
    ----------
    grids : Grids
        The prepared grid layer.

    Returns
    -------
    DataFrame
        Finding records: value the number of parts (limit 1); the geometry is
        every part but the largest; the message lists each part's area.
    """
    counts = shapely.get_num_geometries(grids.shapes)
    rows = np.flatnonzero(counts > 1)
    if not len(rows):
        return empty()
    out = []
    notes = grids.note(rows)
    for row, note in zip(rows, notes, strict=True):  # loop over the findings only
        parts = shapely.get_parts(grids.shapes[row])
        areas = shapely.area(parts)
        order = np.lexsort((shapely.to_wkb(parts, hex=True).astype(str), -areas))
        parts, areas = parts[order], areas[order]
        listing = ", ".join(fmt_area(a) for a in areas)
        out.append(
            {
                "grid_id": grids.ids[row],
                "value": float(len(parts)),
                "message": f"grid {grids.ids[row]} has {len(parts)} disconnected parts "
                f"({listing}); the smaller parts are shown{note}",
                "geometry": shapely.multipolygons(parts[1:]),
            }
        )
    frame = pd.DataFrame(out)
    return records(
        "boundary.multipart",
        grid_id=frame["grid_id"].to_numpy(),
        value=frame["value"].to_numpy(),
        limit=1.0,
        message=frame["message"].to_numpy(),
        geometry=frame["geometry"].to_numpy(),
    )
