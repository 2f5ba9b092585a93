"""Compare two editions of a grid network: what changed, and where households went.

Grids must follow their households (动态调整): compounds are built and
demolished, households move, and a network is redrawn edition after edition.
:func:`compare` matches the grids of two editions by id and by geometry (area
overlap) and classifies every change; :class:`Changes` is the answer, a
GeoDataFrame with one row per change and the tables behind it.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov.assign import assign
from gridgov.crs import require_metric
from gridgov.graph import edge_components
from gridgov.layers import validate_layer

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CHANGE_CLASSES", "Changes", "compare"]

#: The change classes, in the order summaries list them.
CHANGE_CLASSES: tuple[str, ...] = (
    "unchanged",
    "renamed",
    "reshaped",
    "split",
    "merged",
    "regrouped",
    "added",
    "removed",
)

_COLOURS = {
    "unchanged": "#d9d9d9",
    "renamed": "#9ecae1",
    "reshaped": "#fdae6b",
    "split": "#e6550d",
    "merged": "#31a354",
    "regrouped": "#756bb1",
    "added": "#3182bd",
    "removed": "#636363",
}

_SEPARATOR = ", "


class Changes(gpd.GeoDataFrame):  # type: ignore[misc]
    """The changes between two editions of a grid network, one row per change.

    A change groups the old grids and the new grids that became one another:
    one old and one new grid (``unchanged``, ``renamed``, ``reshaped``), one
    old grid and several new ones (``split``), several old and one new
    (``merged``), several of each (``regrouped``), or a grid on one side only
    (``added``, ``removed``).  Built by :func:`compare` (and by
    :func:`gridgov.propose` for its plan); frames derived from it (slices,
    copies) are plain GeoDataFrames.

    Columns
    -------
    change : str
        One of :data:`CHANGE_CLASSES`.
    old_ids, new_ids : str
        The grid ids of the group in each edition, sorted and joined with
        ``", "``; missing on the side a grid was added to or removed from.
    n_old, n_new : int
        How many grids of each edition the change groups.
    old_area, new_area, area_gained, area_lost : float
        Areas in square metres: of the group in each edition, of the new
        geometry outside the old one, and of the old geometry outside the new.
    households_before, households_after : int
        Households counted in the group's grids in each edition (only when
        households were given).
    reason : str
        Why the change was made; filled by :func:`gridgov.propose`, missing
        for editions compared after the fact.
    geometry
        The group in the new edition (in the old one for ``removed``).

    Attributes
    ----------
    before, after : GeoDataFrame
        The two editions, one row per grid, with the ``change`` and ``group``
        (row of this frame) each grid belongs to, and its ``households``.
    links : DataFrame
        Every overlapping old/new pair: ``old_id``, ``new_id``,
        ``shared_area``, ``share_of_old``, ``share_of_new``.
    flows : DataFrame or None
        Household flows ``old_grid`` → ``new_grid`` with ``households``
        counts (a missing grid id: the household is covered by no grid of that
        edition); the counts sum to the number of households.
    loads : DataFrame or None
        Load of every grid id before and after (missing where the id does not
        exist in that edition), indexed by ``grid_id``.
    """

    _metadata = [*gpd.GeoDataFrame._metadata, "before", "after", "links", "flows", "loads"]  # noqa: RUF012 - pandas protocol

    before: gpd.GeoDataFrame
    after: gpd.GeoDataFrame
    links: pd.DataFrame
    flows: pd.DataFrame | None
    loads: pd.DataFrame | None

    def counts(self) -> pd.Series:
        """Return the number of changes of each class, in :data:`CHANGE_CLASSES` order.

        Returns
        -------
        Series
            Indexed by change class, zero where a class does not occur.
        """
        counts = self["change"].value_counts()
        return pd.Series(
            [int(counts.get(name, 0)) for name in CHANGE_CLASSES],
            index=pd.Index(CHANGE_CLASSES, name="change"),
            name="changes",
        )

    def summary(self) -> str:
        """Return a short text report: counts per class, then one line per change.

        Returns
        -------
        str

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import box
        >>> old = gpd.GeoDataFrame({"grid_id": ["a"]}, geometry=[box(0, 0, 2, 1)], crs=4549)
        >>> new = gpd.GeoDataFrame({"grid_id": ["b", "c"]},
        ...                        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4549)
        >>> print(compare(old, new).summary())
        1 grid before, 2 after: 1 split
          split      a -> b, c
        """
        counts = self.counts()
        n_before, n_after = len(self.before), len(self.after)
        found = [f"{count} {name}" for name, count in counts.items() if count]
        grids = "grid" if n_before == 1 else "grids"
        lines = [f"{n_before} {grids} before, {n_after} after: {', '.join(found) or 'nothing'}"]
        if self.flows is not None:
            lines.append(_flow_line(self.flows))
        changed = self[self["change"] != "unchanged"]
        for row in changed.itertuples(index=False):
            old = row.old_ids if isinstance(row.old_ids, str) else "(none)"
            new = row.new_ids if isinstance(row.new_ids, str) else "(none)"
            line = f"  {row.change:<10} {old} -> {new}"
            if row.change == "reshaped":
                line += f" (+{row.area_gained:,.0f} m², -{row.area_lost:,.0f} m²)"
            if "households_before" in self.columns:
                line += f"; households {row.households_before:,} -> {row.households_after:,}"
            if isinstance(row.reason, str):
                line += f"; {row.reason}"
            lines.append(line)
        return "\n".join(lines)

    def plot(self, *, figsize: tuple[float, float] = (12.0, 6.0)) -> Figure:
        """Draw the two editions side by side, grids coloured by change class.

        Parameters
        ----------
        figsize : tuple of float, default (12, 6)
            Figure size in inches.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch

        figure, axes = plt.subplots(1, 2, figsize=figsize, sharex=True, sharey=True)
        for ax, frame, title in ((axes[0], self.before, "before"), (axes[1], self.after, "after")):
            colours = frame["change"].map(_COLOURS).to_numpy(dtype=object)
            if len(frame):
                frame.plot(ax=ax, color=colours, edgecolor="black", linewidth=0.5)
            ax.set_title(f"{title} ({len(frame)} grids)")
            ax.set_axis_off()
        present = [name for name in CHANGE_CLASSES if (self["change"] == name).any()]
        handles = [
            Patch(facecolor=_COLOURS[name], edgecolor="black", label=name) for name in present
        ]
        figure.legend(handles=handles, loc="lower center", ncol=max(len(handles), 1))
        return figure

    def to_html(self, path: str | Path | None = None, *, title: str = "gridgov changes") -> str:
        """Write a self-contained HTML report: summary, before/after map, changes, flows.

        The map is a PNG embedded in the page (needs matplotlib, the ``plot`` extra).

        Parameters
        ----------
        path : path-like, optional
            Where to write the report; when omitted only the HTML is returned.
        title : str, default "gridgov changes"
            Title of the page.

        Returns
        -------
        str
            The HTML document.
        """
        sections = [("Summary", _pre(self.summary())), ("Map", _figure_html(self.plot()))]
        sections.append(("Changes", _table_html(_changed_rows(self))))
        if self.flows is not None:
            flows = self.flows
            moved = flows[flows["old_grid"].ne(flows["new_grid"]).fillna(value=True)]
            sections.append(("Households that change grid", _table_html(moved)))
        return _page(title, sections, path)

    def to_file(self, filename: str | Path, **kwargs: Any) -> None:
        """Write the changes and the tables behind them to one GeoPackage.

        Layers: ``changes`` (this frame), ``before`` and ``after`` (the two
        editions with their change class), ``links``, and ``flows`` and
        ``loads`` when households were given.

        Parameters
        ----------
        filename : str or Path
            Path of the GeoPackage (``.gpkg``); existing layers are replaced.
        **kwargs
            Passed to :meth:`geopandas.GeoDataFrame.to_file`.
        """
        for name, frame in self.layers().items():
            _write(frame, filename, layer=name, **kwargs)

    def layers(self) -> dict[str, pd.DataFrame]:
        """Return the frames :meth:`to_file` writes, by layer name.

        Returns
        -------
        dict of str to DataFrame
        """
        out: dict[str, pd.DataFrame] = {
            "changes": gpd.GeoDataFrame(self, copy=True),
            "before": self.before,
            "after": self.after,
            "links": self.links,
        }
        if self.flows is not None:
            out["flows"] = self.flows
        if self.loads is not None:
            out["loads"] = self.loads.reset_index()
        return out


def _changed_rows(changes: pd.DataFrame) -> pd.DataFrame:
    shown = [column for column in _SHOWN_COLUMNS if column in changes.columns]
    explained = changes["reason"].notna() | (changes["change"] != "unchanged")
    return pd.DataFrame(changes.loc[explained, shown])


_SHOWN_COLUMNS = (
    "change",
    "old_ids",
    "new_ids",
    "households_before",
    "households_after",
    "area_gained",
    "area_lost",
    "reason",
)


def _pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def _table_html(frame: pd.DataFrame) -> str:
    if not len(frame):
        return "<p>none</p>"
    return str(frame.to_html(index=False, na_rep="", float_format=lambda v: f"{v:,.0f}"))


def _figure_html(figure: Figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="map" src="data:image/png;base64,{data}">'


def _page(title: str, sections: list[tuple[str, str]], path: str | Path | None) -> str:
    body = "\n".join(f"<h2>{html.escape(name)}</h2>\n{content}" for name, content in sections)
    document = (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}img{max-width:100%}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )
    if path is not None:
        Path(path).write_text(document, encoding="utf-8")
    return document


def _write(frame: pd.DataFrame, filename: str | Path, *, layer: str, **kwargs: Any) -> None:
    path = Path(filename)
    if path.suffix.lower() != ".gpkg":
        msg = f"changes are written to a GeoPackage with several layers; got {str(path)!r}"
        raise ValueError(msg)
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_file(path, layer=layer, driver="GPKG", **kwargs)
        return
    import pyogrio

    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")


def _flow_line(flows: pd.DataFrame) -> str:
    total = int(flows["households"].sum())
    old = flows["old_grid"]
    new = flows["new_grid"]
    moved = int(flows.loc[old.notna() & new.notna() & (old != new), "households"].sum())
    lost = int(flows.loc[old.notna() & new.isna(), "households"].sum())
    gained = int(flows.loc[old.isna() & new.notna(), "households"].sum())
    share = moved / total if total else 0.0
    return (
        f"households: {total:,}; {moved:,} ({share:.1%}) change grid id, "
        f"{lost:,} lose their grid, {gained:,} gain one"
    )


# ---------------------------------------------------------------------------
# matching


def _best(
    keys: list[np.ndarray], groups: np.ndarray, values: np.ndarray, n_groups: int
) -> np.ndarray:
    """Per group, the value of its first pair after sorting by `keys` (most significant first).

    Groups without pairs get -1.
    """
    best = np.full(n_groups, -1, dtype=np.int64)
    if len(groups) == 0:
        return best
    order = np.lexsort([*keys[::-1], groups])
    first = np.ones(len(order), dtype=bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    best[groups[order][first]] = values[order][first]
    return best


def _joined(ids: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Join the ids of each label, sorted, with ", " (None where a label has none)."""
    out = np.full(n, None, dtype=object)
    if len(ids) == 0:
        return out
    order = np.lexsort((ids.astype(str), labels))
    sorted_labels, sorted_ids = labels[order], ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], len(order)], strict=True):
        out[sorted_labels[start]] = _SEPARATOR.join(sorted_ids[start:end])
    return out


def _unions(geoms: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Return the union of `geoms` per label (None where a label has none).

    Loops only over the labels with several members.
    """
    out = np.full(n, None, dtype=object)
    if len(geoms) == 0:
        return out
    counts = np.bincount(labels, minlength=n)
    single = counts[labels] == 1
    out[labels[single]] = geoms[single]
    for label in np.flatnonzero(counts > 1):
        out[label] = shapely.union_all(geoms[labels == label])
    return out


def _prepare(frame: gpd.GeoDataFrame, *, name: str, id_column: str) -> gpd.GeoDataFrame:
    layer = validate_layer(frame, kind="grids", id_column=id_column, name=name, allow_empty=True)
    order = np.argsort(layer[id_column].to_numpy(dtype=str), kind="stable")
    return layer.iloc[order].reset_index(drop=True)


def _measurable(geoms: np.ndarray) -> np.ndarray:
    """Return the geometries to measure: invalid polygons as `shapely.make_valid` repairs them.

    The layers themselves are never repaired: invalid grids stay in the
    outputs as they are, and :func:`gridgov.check` reports them.
    """
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    out = geoms.copy()
    out[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    return out


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
        raise ValueError(msg)
    require_metric({"old": old, "new": new, "households": households})
    before = _prepare(old, name="old", id_column=id_column)
    after = _prepare(new, name="new", id_column=id_column)
    if households is not None:
        households = validate_layer(households, kind="households", allow_empty=True)
    return _compare(before, after, households, share_tolerance=share_tolerance, id_column=id_column)


@dataclass(frozen=True)
class _Overlaps:
    """Every overlapping (old, new) pair: positions, shared area and its share of each grid."""

    old: np.ndarray
    new: np.ndarray
    shared: np.ndarray
    share_old: np.ndarray
    share_new: np.ndarray


def _overlaps(old_geoms: np.ndarray, new_geoms: np.ndarray) -> _Overlaps:
    oi, ni = shapely.STRtree(new_geoms).query(old_geoms, predicate="intersects")
    shared = shapely.area(shapely.intersection(old_geoms[oi], new_geoms[ni]))
    keep = shared > 0
    oi, ni, shared = oi[keep], ni[keep], shared[keep]
    old_area, new_area = shapely.area(old_geoms)[oi], shapely.area(new_geoms)[ni]
    share_old = np.divide(shared, old_area, out=np.zeros_like(shared), where=old_area > 0)
    share_new = np.divide(shared, new_area, out=np.zeros_like(shared), where=new_area > 0)
    return _Overlaps(oi, ni, shared, share_old, share_new)


def _groups(
    pairs: _Overlaps, old_ids: np.ndarray, new_ids: np.ndarray, tolerance: float
) -> np.ndarray:
    """Change group of every old grid, then every new grid (one array, old first)."""
    n_old, n_new = len(old_ids), len(new_ids)
    same_id = (old_ids[pairs.old] == new_ids[pairs.new]).astype(np.int8)
    # descent: each new grid from its largest old contributor, each old grid into its largest
    # heir; the grid with the same id first, ties to the smaller id (the layers are sorted)
    from_old = pairs.share_new >= tolerance
    into_new = pairs.share_old >= tolerance
    old, new = pairs.old[from_old], pairs.new[from_old]
    pred = _best([-same_id[from_old], -pairs.shared[from_old], old], new, old, n_new)
    old, new = pairs.old[into_new], pairs.new[into_new]
    succ = _best([-same_id[into_new], -pairs.shared[into_new], new], old, new, n_old)
    has_pred, has_succ = pred >= 0, succ >= 0
    edges_a = np.r_[pred[has_pred], np.flatnonzero(has_succ)]
    edges_b = np.r_[np.flatnonzero(has_pred) + n_old, succ[has_succ] + n_old]
    labels = edge_components(n_old + n_new, edges_a, edges_b)
    group: np.ndarray = np.unique(labels, return_inverse=True)[1]
    # groups in order of their smallest grid id
    ids = np.r_[old_ids, new_ids].astype(str)
    n_groups = int(group.max()) + 1 if len(group) else 0
    smallest = np.full(n_groups, "", dtype=object)
    by_id = np.argsort(ids, kind="stable")[::-1]  # the smallest id is written last
    smallest[group[by_id]] = ids[by_id]
    rank = np.empty(n_groups, dtype=np.int64)
    rank[np.argsort(smallest.astype(str), kind="stable")] = np.arange(n_groups)
    out: np.ndarray = rank[group]
    return out


def _classify(
    pairs: _Overlaps,
    old_group: np.ndarray,
    new_group: np.ndarray,
    same_id: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    n_groups = int(max(old_group.max(initial=-1), new_group.max(initial=-1))) + 1
    count_old = np.bincount(old_group, minlength=n_groups)
    count_new = np.bincount(new_group, minlength=n_groups)
    change = np.full(n_groups, "regrouped", dtype=object)
    change[(count_old == 1) & (count_new > 1)] = "split"
    change[(count_old > 1) & (count_new == 1)] = "merged"
    change[count_old == 0] = "added"
    change[count_new == 0] = "removed"
    inside = old_group[pairs.old] == new_group[pairs.new]
    one_to_one = ((count_old == 1) & (count_new == 1))[old_group[pairs.old]] & inside
    same_shape = (pairs.share_old >= 1 - tolerance) & (pairs.share_new >= 1 - tolerance)
    groups = old_group[pairs.old[one_to_one]]
    change[groups] = "reshaped"
    change[groups[same_shape[one_to_one]]] = "renamed"
    change[groups[same_shape[one_to_one] & same_id[one_to_one]]] = "unchanged"
    return change


def _compare(
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame | None,
    *,
    share_tolerance: float,
    id_column: str,
) -> Changes:
    old_ids = before[id_column].to_numpy(dtype=object)
    new_ids = after[id_column].to_numpy(dtype=object)
    old_geoms = _measurable(before.geometry.to_numpy())
    new_geoms = _measurable(after.geometry.to_numpy())
    pairs = _overlaps(old_geoms, new_geoms)
    group = _groups(pairs, old_ids, new_ids, share_tolerance)
    old_group, new_group = group[: len(old_ids)], group[len(old_ids) :]
    n_groups = int(group.max()) + 1 if len(group) else 0
    same_id = old_ids[pairs.old] == new_ids[pairs.new]
    change = _classify(pairs, old_group, new_group, same_id, share_tolerance)

    count_old = np.bincount(old_group, minlength=n_groups)
    count_new = np.bincount(new_group, minlength=n_groups)
    old_union = _unions(old_geoms, old_group, n_groups)
    new_union = _unions(new_geoms, new_group, n_groups)
    area_before = np.bincount(old_group, weights=shapely.area(old_geoms), minlength=n_groups)
    area_after = np.bincount(new_group, weights=shapely.area(new_geoms), minlength=n_groups)
    gained = shapely.area(shapely.difference(new_union, old_union))
    lost = shapely.area(shapely.difference(old_union, new_union))
    frame = pd.DataFrame(
        {
            "change": change,
            "old_ids": _joined(old_ids, old_group, n_groups),
            "new_ids": _joined(new_ids, new_group, n_groups),
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


def _owners(households: gpd.GeoDataFrame, layer: gpd.GeoDataFrame, *, id_column: str) -> np.ndarray:
    """Return the grid of every household (None: in no grid), by :func:`gridgov.assign` defaults."""
    if len(layer) == 0 or len(households) == 0:
        return np.full(len(households), None, dtype=object)
    result = assign(households, {"grids": layer}, grid_id_column=id_column)
    return np.array(result["grids"].to_numpy(dtype=object), dtype=object)


def _household_tables(
    households: gpd.GeoDataFrame, before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, id_column: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Count the flows old grid -> new grid and the load of every grid id before and after."""
    old_of = _owners(households, before, id_column=id_column)
    new_of = _owners(households, after, id_column=id_column)
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
