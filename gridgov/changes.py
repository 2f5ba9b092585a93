"""The changes between two editions of a grid network: the frame :func:`gridgov.compare` returns.

:class:`Changes` is a GeoDataFrame with one row per change (what became of
which grids, areas, households before and after, the reason of a plan) and the
tables behind it (the two editions, the overlapping pairs, the household
flows and loads), with its text summary, map and reports.
:func:`gridgov.compare` builds it from two editions, :func:`gridgov.propose`
for the edition it proposes.  Both :class:`Changes` and :data:`CHANGE_CLASSES`
are also importable from :mod:`gridgov.compare`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from gridgov._core.gpkg import write_layers
from gridgov._core.html import figure_html, page, pre, table_html, write_html

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.figure import Figure

__all__ = ["CHANGE_CLASSES", "Changes", "changed_rows"]

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


class Changes(gpd.GeoDataFrame):  # type: ignore[misc]
    """The changes between two editions of a grid network, one row per change.

    A change groups the old grids and the new grids that became one another:
    one old and one new grid (``unchanged``, ``renamed``, ``reshaped``), one
    old grid and several new ones (``split``), several old and one new
    (``merged``), several of each (``regrouped``), or a grid on one side only
    (``added``, ``removed``).  Built by :func:`gridgov.compare` (and by
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
        >>> from gridgov import compare
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
            Where to write the report (atomically: a failed write leaves no
            file); when omitted only the HTML is returned.
        title : str, default "gridgov changes"
            Title of the page.

        Returns
        -------
        str
            The HTML document.
        """
        sections = [("Summary", pre(self.summary())), ("Map", figure_html(self.plot()))]
        sections.append(("Changes", table_html(changed_rows(self))))
        if self.flows is not None:
            flows = self.flows
            moved = flows[flows["old_grid"].ne(flows["new_grid"]).fillna(value=True)]
            sections.append(("Households that change grid", table_html(moved)))
        document = page(title, sections, lang="zh")
        if path is not None:
            write_html(path, document)
        return document

    def to_file(self, filename: str | Path, **kwargs: Any) -> None:
        """Write the changes and the tables behind them to one GeoPackage.

        Layers: ``changes`` (this frame), ``before`` and ``after`` (the two
        editions with their change class), ``links``, and ``flows`` and
        ``loads`` when households were given.

        Parameters
        ----------
        filename : str or Path
            Path of the GeoPackage (``.gpkg``); existing layers of those names
            are replaced, other layers kept.  The file is written atomically:
            a failed write leaves it as it was (or no file).
        **kwargs
            Passed to :meth:`geopandas.GeoDataFrame.to_file`.

        Raises
        ------
        OptionError
            When `filename` does not end in ``.gpkg`` (also a ``ValueError``).
        """
        write_layers(filename, self.layers(), what="changes", **kwargs)

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


def changed_rows(changes: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of a report's change table: changes and explained rows, shown columns.

    A row is shown when its grids changed or it has a ``reason`` (a plan's
    infeasible grids are unchanged but explained); the columns are those of
    ``change``, ``old_ids``, ``new_ids``, ``households_before``,
    ``households_after``, ``area_gained``, ``area_lost`` and ``reason`` that
    `changes` has.  Used by the reports of :class:`Changes` and
    :class:`gridgov.Plan`.

    Parameters
    ----------
    changes : Changes or DataFrame
        The changes.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> old = gpd.GeoDataFrame({"grid_id": ["a", "b"]},
    ...                        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4549)
    >>> new = gpd.GeoDataFrame({"grid_id": ["a", "c"]},
    ...                        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4549)
    >>> from gridgov import compare
    >>> changed_rows(compare(old, new))[["change", "old_ids", "new_ids"]]
        change old_ids new_ids
    1  renamed       b       c
    """
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
