"""The result of unify: :class:`OneNetwork`.

Part of :mod:`gridgov.unify`; see :func:`gridgov.unify.unify`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import pandas as pd

from gridgov.errors import OptionError
from gridgov.unify._base import _COLOURS, RELATIONS, UNIFY_RULES
from gridgov.unify._conflicts import _conflicts
from gridgov.unify._unified import _agreement, _redrawn

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from gridgov.findings import Findings
    from gridgov.unify._tables import _State

# ---------------------------------------------------------------------------
# result


@dataclass(frozen=True, eq=False)
class OneNetwork:
    """Several grid networks laid on one another: cells, crosswalk, relations, conflicts.

    Built by :func:`unify`.  Everything but :attr:`conflicts` and
    :meth:`agreement` is computed at construction; those two are computed on
    first use and kept.

    Attributes
    ----------
    cells : GeoDataFrame
        The common refinement, one row per combination of grid ids: ``cell_id``
        (0, 1, ... in row order), one column per network with the grid id
        (``None`` where the network does not cover the cell), ``n_networks``
        (how many networks cover it), ``area`` (m²) and ``geometry``.  Rows
        are sorted by the ids, networks in the order of `networks`, nulls last.
    crosswalk : DataFrame
        One row per pair of grids of two networks that share area:
        ``network_a``, ``grid_a``, ``network_b``, ``grid_b`` (``network_a``
        comes before ``network_b`` in `networks`), ``shared_area`` (m²),
        ``share_of_a``, ``share_of_b`` (of each grid's area in the cells) and,
        with households, ``shared_households`` (pairs that share households
        but no area then appear with a shared area of 0).
    relations : DataFrame
        One row per grid and other network (both directions of every pair):
        ``network``, ``grid_id``, ``other_network``, ``relation`` (one of
        :data:`RELATIONS`), ``other_ids`` (the grids of the other network
        holding at least `share_tolerance` of the grid, largest share first),
        ``largest_id``, ``largest_share``, ``covered_share`` and ``area``.
    conflicts : Findings
        Findings of the rules :data:`UNIFY_RULES` for the grids of every other
        network against the base network (and for base grids that another
        network leaves uncovered), with the extra columns ``network``,
        ``other_network``, ``other_id`` and, for boundary mismatches,
        ``distance``.
    unified : GeoDataFrame
        The base layer (its columns and geometry; ``network`` set to
        ``"unified"`` when present) with one column per network giving the
        grid each base grid carries (the base network's column repeats
        ``grid_id``), ``<network>_share`` for the other networks (the share of
        the base grid's area in that grid) and, with households,
        ``households`` (the base grid's load).
    slivers : GeoDataFrame
        The faces absorbed into a neighbour: their ids per network before
        absorption, ``cell_id`` (the cell they went into), ``area``, geometry.
    overlaps : GeoDataFrame
        Overlaps between grids of one network, resolved in favour of the
        smaller grid id: ``network``, ``grid_id`` (kept the area),
        ``other_id`` (lost it), ``area``, geometry.
    networks : tuple of str
        The network names, in the order the layers were given.
    base : str
        The network the unified layer is aligned on.
    tolerance, share_tolerance, straddle_share : float
        The options :func:`unify` ran with.
    """

    cells: gpd.GeoDataFrame
    crosswalk: pd.DataFrame
    relations: pd.DataFrame
    unified: gpd.GeoDataFrame
    slivers: gpd.GeoDataFrame
    overlaps: gpd.GeoDataFrame
    networks: tuple[str, ...]
    base: str
    tolerance: float
    share_tolerance: float
    straddle_share: float
    _layers: dict[str, gpd.GeoDataFrame] = field(repr=False)
    _state: _State = field(repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def conflicts(self) -> Findings:
        """The conflicts between the networks, a :class:`~gridgov.findings.Findings` frame.

        Computed on first access (it draws the geometry of every conflict)
        and kept; see :func:`unify` for the rules.
        """
        if "conflicts" not in self._cache:
            state = self._state
            self._cache["conflicts"] = _conflicts(
                state.networks,
                state.cells,
                state.relations,
                state.areas,
                state.base,
                tolerance=self.tolerance,
                share_tolerance=self.share_tolerance,
                straddle_share=self.straddle_share,
                crs=self.cells.crs,
            )
        return self._cache["conflicts"]  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        networks = ", ".join(f"{name}: {len(self._layers[name])} grids" for name in self.networks)
        return f"<OneNetwork of {networks}; {len(self.cells)} cells, base {self.base!r}>"

    # -- measures ---------------------------------------------------------

    def agreement(self) -> pd.DataFrame:
        """Return how well each pair of networks agrees, as shares between 0 and 1.

        For every pair of networks (in the order of :attr:`networks`):

        ``boundary_a``, ``boundary_b``
            Length (m) of the boundaries of each network inside the cells: the
            cell edges across which its grid id changes (edges to no grid of it
            included).
        ``coincident``
            Length of the edges across which both networks change grid.
            Boundaries closer than `tolerance` count as coinciding, because
            the sliver between them was absorbed, so they are one cell edge.
        ``boundary_share``
            ``coincident`` over the shorter of the two boundary lengths: 1 when
            every boundary of the coarser network lies on the finer one.
        ``nested_share``
            Share of the area covered by either network that lies in a pair of
            grids one of which is ``equal`` to or ``nested`` in the other (see
            :attr:`relations`); area covered by one network only counts against.
        ``agreement``
            The mean of ``boundary_share`` and ``nested_share``: 1.0 for
            identical networks and for a network whose grids are unions of the
            other's, lower as boundaries cross.  One number to track over time.

        Returns
        -------
        DataFrame
            One row per pair of networks; empty for a single network.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import box
        >>> from gridgov import unify
        >>> fine = gpd.GeoDataFrame({"grid_id": ["a", "b", "c", "d"]}, geometry=[
        ...     box(0, 0, 100, 100), box(100, 0, 200, 100),
        ...     box(200, 0, 300, 100), box(300, 0, 400, 100)], crs=4549)
        >>> coarse = gpd.GeoDataFrame({"grid_id": ["P1", "P2"]},
        ...     geometry=[box(0, 0, 200, 100), box(200, 0, 400, 100)], crs=4549)
        >>> one = unify({"governance": fine, "party": coarse})
        >>> one.agreement()[["network_a", "network_b", "boundary_share", "nested_share"]]
            network_a network_b  boundary_share  nested_share
        0  governance     party             1.0           1.0
        """
        if "agreement" not in self._cache:
            self._cache["agreement"] = _agreement(self)
        return self._cache["agreement"].copy()  # type: ignore[no-any-return]

    def redrawn(self, network: str) -> gpd.GeoDataFrame:
        """Return `network` redrawn on the base grids, as the unified layer proposes it.

        Each grid of `network` becomes the union of the base grids that carry
        it in :attr:`unified` (the base grids that lie mostly in it).

        Parameters
        ----------
        network : str
            One of :attr:`networks`.

        Returns
        -------
        GeoDataFrame
            One row per grid of `network` (sorted by id): ``grid_id``,
            ``base_ids`` (comma-separated; ``None`` for a grid no base grid
            carries, whose geometry is then ``None``), ``area`` (after),
            ``original_area`` and ``kept_share`` (the share of the original
            grid inside its redrawn shape).

        Raises
        ------
        OptionError
            When `network` is not one of :attr:`networks` (a ``ValueError``).
        """
        if network not in self.networks:
            msg = f"unknown network {network!r}; expected one of {', '.join(self.networks)}"
            raise OptionError(msg)
        return _redrawn(self, network)

    # -- text and pictures ------------------------------------------------

    def summary(self) -> str:
        """Return a short text report: cells, slivers, relations and conflicts.

        Returns
        -------
        str
        """
        sizes = ", ".join(f"{n}: {len(self._layers[n])} grids" for n in self.networks)
        lines = [
            (
                f"{len(self.networks)} networks ({sizes}), base {self.base!r}, "
                f"tolerance {self.tolerance:g} m, share tolerance {self.share_tolerance:g}, "
                f"straddle share {self.straddle_share:g}"
            ),
            (
                f"{len(self.cells)} cells, {len(self.slivers)} slivers absorbed, "
                f"{len(self.overlaps)} overlaps inside networks resolved"
            ),
        ]
        if len(self.relations):
            table = pd.crosstab(
                [self.relations["network"], self.relations["other_network"]],
                self.relations["relation"],
            ).reindex(columns=list(RELATIONS), fill_value=0)
            lines.append("relations (grids of network to other network):")
            lines.extend("  " + line for line in table.to_string().splitlines())
        counts = self.conflicts["rule"].value_counts()
        found = [f"{int(counts.get(rule, 0))} {rule}" for rule in UNIFY_RULES]
        lines.append(f"conflicts: {len(self.conflicts)} ({', '.join(found)})")
        return "\n".join(lines)

    def plot(self, *, ax: Axes | None = None, figsize: tuple[float, float] = (10.0, 8.0)) -> Figure:
        """Draw a map of the conflicts over the cells.

        Cells are outlined in grey, the base grids in black; conflicts are
        coloured by rule (lines for boundary mismatches).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure is made when omitted.
        figsize : tuple of float, default (10, 8)
            Size of a new figure, in inches.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        if ax is None:
            figure, ax = plt.subplots(figsize=figsize)
        else:
            figure = cast("Figure", ax.get_figure())
        if len(self.cells):
            self.cells.boundary.plot(ax=ax, color="#bdbdbd", linewidth=0.4)
            self.unified.boundary.plot(ax=ax, color="black", linewidth=0.8)
        handles: list[Any] = []
        for rule in UNIFY_RULES:
            rows = gpd.GeoDataFrame(
                self.conflicts[(self.conflicts["rule"] == rule).to_numpy(dtype=bool)]
            )
            rows = rows[~rows.geometry.isna().to_numpy() & ~rows.geometry.is_empty.to_numpy()]
            if not len(rows):
                continue
            colour = _COLOURS[rule]
            if rule == "boundary.boundary_mismatch":
                rows.plot(ax=ax, color=colour, linewidth=2.0)
                handles.append(Line2D([0], [0], color=colour, linewidth=2.0, label=rule))
            else:
                rows.plot(ax=ax, color=colour, alpha=0.55, edgecolor=colour, linewidth=0.8)
                handles.append(Patch(facecolor=colour, alpha=0.55, label=rule))
        if handles:
            ax.legend(
                handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small"
            )
        ax.set_title(f"{' / '.join(self.networks)}: {len(self.conflicts)} conflicts")
        ax.set_axis_off()
        return figure

    # -- output -----------------------------------------------------------

    def outputs(self) -> dict[str, pd.DataFrame]:
        """Return the frames :meth:`to_file` writes, by layer name.

        Returns
        -------
        dict of str to DataFrame
            ``cells``, ``crosswalk``, ``relations``, ``conflicts``,
            ``unified``, ``slivers``, ``overlaps`` and ``agreement``.
        """
        return {
            "cells": self.cells,
            "crosswalk": self.crosswalk,
            "relations": self.relations,
            "conflicts": gpd.GeoDataFrame(self.conflicts, copy=True),
            "unified": self.unified,
            "slivers": self.slivers,
            "overlaps": self.overlaps,
            "agreement": self.agreement(),
        }

    def to_file(self, filename: str | Path) -> None:
        """Write every output as a layer of one GeoPackage.

        Layers as in :meth:`outputs`; tables without geometry are written as
        attribute-only layers.  Existing layers of those names are replaced.

        Parameters
        ----------
        filename : str or Path
            Path of the GeoPackage (``.gpkg``).

        Raises
        ------
        OptionError
            When `filename` does not end in ``.gpkg`` (also a ``ValueError``).
        """
        path = Path(filename)
        if path.suffix.lower() != ".gpkg":
            msg = (
                "a OneNetwork is written to a GeoPackage (.gpkg) with several layers; "
                f"got {str(path)!r}"
            )
            raise OptionError(msg)
        import pyogrio

        from gridgov._core.gpkg import atomic_update

        with atomic_update(path) as tmp:  # atomic: a failed write leaves the file as it was
            for name, frame in self.outputs().items():
                if not isinstance(frame, gpd.GeoDataFrame):
                    pyogrio.write_dataframe(pd.DataFrame(frame), tmp, layer=name, driver="GPKG")
                    continue
                out = gpd.GeoDataFrame(frame, copy=True)
                for column in out.columns:
                    if column != out.geometry.name and out[column].dtype == object:
                        text = out[column].map(lambda v: None if v is None else str(v))
                        out[column] = text.astype(object)
                types = set(out.geometry.dropna().geom_type)
                polygonal = bool(types) and types <= {"Polygon", "MultiPolygon"}
                pyogrio.write_dataframe(
                    out,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    promote_to_multi=polygonal,
                    geometry_type="MultiPolygon" if polygonal else "Unknown",
                )
