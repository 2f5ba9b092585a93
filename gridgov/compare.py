"""Compare two editions of a grid network: what changed, and where households went.

Grids must follow their households (动态调整): compounds are built and
demolished, households move, and a network is redrawn edition after edition.
:func:`compare` matches the grids of two editions by id and by geometry (area
overlap) and classifies every change; :class:`Changes` (defined in
:mod:`gridgov.changes`, re-exported here) is the answer, a GeoDataFrame with
one row per change and the tables behind it.  The array kernels of the
matching are in :mod:`gridgov.matching`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov.assign import assign
from gridgov.changes import CHANGE_CLASSES, Changes, changed_rows
from gridgov.crs import require_metric
from gridgov.errors import OptionError
from gridgov.layers import validate_layer
from gridgov.matching import (
    change_groups,
    classify,
    joined_ids,
    measurable,
    overlaps,
    unions,
)

__all__ = [
    "CHANGE_CLASSES",
    "Changes",
    "changed_rows",
    "compare",
    "compare_prepared",
    "owners",
]


def _prepare(frame: gpd.GeoDataFrame, *, name: str, id_column: str) -> gpd.GeoDataFrame:
    layer = validate_layer(frame, kind="grids", id_column=id_column, name=name, allow_empty=True)
    order = np.argsort(layer[id_column].to_numpy(dtype=str), kind="stable")
    return layer.iloc[order].reset_index(drop=True)


def compare(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    households: gpd.GeoDataFrame | None = None,
    share_tolerance: float = 0.01,
    id_column: str = "grid_id",
) -> Changes:
    """Match the grids of two editions of a network and classify every change.

    Two grids of different editions are *linked* when their shared area is at
    least `share_tolerance` of either grid's area (smaller overlaps are
    digitising noise).  Each new grid descends from its linked old grid of
    largest shared area, and each old grid continues into its linked new grid
    of largest shared area — the grid with the same id when it is linked, ties
    broken by the smaller id.  These descents group old and new grids into
    changes:

    - one old, one new: ``unchanged`` (same id) or ``renamed`` (new id) when
      the shared area is at least ``1 - share_tolerance`` of both areas,
      otherwise ``reshaped`` (``area_gained``, ``area_lost``);
    - one old, several new: ``split``; several old, one new: ``merged``;
      several of each: ``regrouped`` (e.g. one grid split and a part merged);
    - new grids linked to no old grid: ``added``; old grids linked to no new
      grid: ``removed``.

    Parameters
    ----------
    old, new : GeoDataFrame
        The two editions (grid layers), in the same projected CRS (metres).
        Invalid polygons are measured as :func:`shapely.make_valid` repairs
        them (and reported by :func:`gridgov.check`); the outputs keep them
        as they are.
    households : GeoDataFrame, optional
        Household points.  When given, every household is assigned to one
        grid of each edition (:func:`gridgov.assign`, defaults) and the result
        gains ``households_before``/``households_after`` and the tables
        ``flows`` and ``loads``.
    share_tolerance : float, default 0.01
        Fraction of a grid's area: overlaps below it are ignored, and a grid
        whose shared area with its counterpart is at least ``1 - share_tolerance``
        of both areas is the same grid.  Must be in [0, 0.5).
    id_column : str, default "grid_id"
        Grid id column of both editions.

    Returns
    -------
    Changes
        One row per change, sorted by the smallest grid id of the change.

    Raises
    ------
    CRSError
        When the layers are not in one projected CRS in metres.
    LayerError
        When a layer is not a grid layer.

    See Also
    --------
    gridgov.propose : proposes the next edition and reports it as changes.
    gridgov.unify : aligns different networks of the same edition.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> old = gpd.GeoDataFrame({"grid_id": ["a", "b", "c"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs=4549)
    >>> new = gpd.GeoDataFrame({"grid_id": ["a", "d", "e"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1.5)], crs=4549)
    >>> compare(old, new)[["change", "old_ids", "new_ids", "area_gained"]]
          change old_ids new_ids  area_gained
    0  unchanged       a       a          0.0
    1    renamed       b       d          0.0
    2   reshaped       c       e          0.5
    """
    if not 0.0 <= share_tolerance < 0.5:
        msg = f"share_tolerance is a fraction of a grid's area in [0, 0.5), got {share_tolerance!r}"
        raise OptionError(msg)
    require_metric({"old": old, "new": new, "households": households})
    before = _prepare(old, name="old", id_column=id_column)
    after = _prepare(new, name="new", id_column=id_column)
    if households is not None:
        households = validate_layer(households, kind="households", allow_empty=True)
    return compare_prepared(
        before, after, households, share_tolerance=share_tolerance, id_column=id_column
    )


def compare_prepared(
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame | None,
    *,
    share_tolerance: float,
    id_column: str,
) -> Changes:
    """Compare two editions already validated and sorted by id: :func:`compare` without the checks.

    :func:`gridgov.propose` compares its input with the edition it builds
    through this function: both are known to be valid grid layers in one
    metric CRS, sorted by `id_column`, and the households validated.

    Parameters
    ----------
    before, after : GeoDataFrame
        The two editions, validated grid layers sorted by `id_column`
        (positional index).
    households : GeoDataFrame or None
        Validated household points, or None.
    share_tolerance : float
        As for :func:`compare`.
    id_column : str
        Grid id column of both editions.

    Returns
    -------
    Changes
    """
    old_ids = before[id_column].to_numpy(dtype=object)
    new_ids = after[id_column].to_numpy(dtype=object)
    old_geoms = measurable(before.geometry.to_numpy())
    new_geoms = measurable(after.geometry.to_numpy())
    pairs = overlaps(old_geoms, new_geoms)
    group = change_groups(pairs, old_ids, new_ids, share_tolerance)
    old_group, new_group = group[: len(old_ids)], group[len(old_ids) :]
    n_groups = int(group.max()) + 1 if len(group) else 0
    same_id = old_ids[pairs.old] == new_ids[pairs.new]
    change = classify(pairs, old_group, new_group, same_id, share_tolerance)

    count_old = np.bincount(old_group, minlength=n_groups)
    count_new = np.bincount(new_group, minlength=n_groups)
    old_union = unions(old_geoms, old_group, n_groups)
    new_union = unions(new_geoms, new_group, n_groups)
    area_before = np.bincount(old_group, weights=shapely.area(old_geoms), minlength=n_groups)
    area_after = np.bincount(new_group, weights=shapely.area(new_geoms), minlength=n_groups)
    gained = shapely.area(shapely.difference(new_union, old_union))
    lost = shapely.area(shapely.difference(old_union, new_union))
    frame = pd.DataFrame(
        {
            "change": change,
            "old_ids": joined_ids(old_ids, old_group, n_groups),
            "new_ids": joined_ids(new_ids, new_group, n_groups),
            "n_old": count_old,
            "n_new": count_new,
            "old_area": area_before,
            "new_area": area_after,
            "area_gained": np.where(count_old == 0, area_after, np.nan_to_num(gained)),
            "area_lost": np.where(count_new == 0, area_before, np.nan_to_num(lost)),
        }
    )
    out_before = before.assign(change=change[old_group], group=old_group)
    out_after = after.assign(change=change[new_group], group=new_group)
    flows = loads = None
    if households is not None:
        flows, loads = _household_tables(households, before, after, id_column)
        out_before["households"] = loads["before"].reindex(old_ids).to_numpy(dtype=np.int64)
        out_after["households"] = loads["after"].reindex(new_ids).to_numpy(dtype=np.int64)
        for column, side, where in (
            ("households_before", out_before, old_group),
            ("households_after", out_after, new_group),
        ):
            weights = side["households"].to_numpy(dtype=float)
            frame[column] = np.bincount(where, weights=weights, minlength=n_groups).astype(int)
    frame["reason"] = pd.Series([None] * n_groups, dtype="str")
    crs = before.crs if before.crs is not None else after.crs
    out = Changes(frame, geometry=np.where(count_new > 0, new_union, old_union), crs=crs)
    out.before = gpd.GeoDataFrame(out_before)
    out.after = gpd.GeoDataFrame(out_after)
    out.links = pd.DataFrame(
        {
            "old_id": old_ids[pairs.old],
            "new_id": new_ids[pairs.new],
            "shared_area": pairs.shared,
            "share_of_old": pairs.share_old,
            "share_of_new": pairs.share_new,
        }
    )
    out.flows = flows
    out.loads = loads
    return out


def owners(households: gpd.GeoDataFrame, layer: gpd.GeoDataFrame, *, id_column: str) -> np.ndarray:
    """Return the grid of every household (None: in no grid), by :func:`gridgov.assign` defaults.

    Parameters
    ----------
    households : GeoDataFrame
        Validated household points.
    layer : GeoDataFrame
        A validated grid layer in the CRS of the households.
    id_column : str
        Grid id column of `layer`.

    Returns
    -------
    ndarray of object
        The grid id of each household, in the order of `households`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box, points
    >>> grids = gpd.GeoDataFrame({"grid_id": ["a"]}, geometry=[box(0, 0, 10, 10)], crs=4549)
    >>> homes = gpd.GeoDataFrame({"household_id": ["h1", "h2"]},
    ...                          geometry=points([(5, 5), (50, 5)]), crs=4549)
    >>> owners(homes, grids, id_column="grid_id").tolist()
    ['a', None]
    """
    if len(layer) == 0 or len(households) == 0:
        return np.full(len(households), None, dtype=object)
    result = assign(households, {"grids": layer}, grid_id_column=id_column)
    return np.array(result["grids"].to_numpy(dtype=object), dtype=object)


def _household_tables(
    households: gpd.GeoDataFrame, before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, id_column: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Count the flows old grid -> new grid and the load of every grid id before and after."""
    old_of = owners(households, before, id_column=id_column)
    new_of = owners(households, after, id_column=id_column)
    flows = (
        pd.DataFrame({"old_grid": old_of, "new_grid": new_of})
        .groupby(["old_grid", "new_grid"], dropna=False, sort=True)
        .size()
        .rename("households")
        .reset_index()
    )
    old_ids = before[id_column].to_numpy(dtype=object)
    new_ids = after[id_column].to_numpy(dtype=object)
    load_before = pd.Series(old_of).value_counts().reindex(old_ids, fill_value=0)
    load_after = pd.Series(new_of).value_counts().reindex(new_ids, fill_value=0)
    return flows, _loads(old_ids, load_before.to_numpy(), new_ids, load_after.to_numpy())


def _loads(
    old_ids: np.ndarray, hh_before: np.ndarray, new_ids: np.ndarray, hh_after: np.ndarray
) -> pd.DataFrame:
    before = pd.Series(hh_before, index=pd.Index(old_ids, dtype=object), dtype="Int64")
    after = pd.Series(hh_after, index=pd.Index(new_ids, dtype=object), dtype="Int64")
    index = pd.Index(sorted(set(old_ids) | set(new_ids)), dtype=object, name="grid_id")
    return pd.DataFrame({"before": before.reindex(index), "after": after.reindex(index)})
