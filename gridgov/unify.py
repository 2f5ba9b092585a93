"""One network (多网合一): the common refinement of several grid networks and a unified layer.

Cities run several grid networks side by side -- comprehensive governance
(``governance``), party building (``party``), services (``service``) -- drawn
by different offices at different times.  :func:`unify` lays them on top of
each other and answers, in one pass:

``cells``
    The common refinement: atomic polygons, each carrying one grid id per
    network (null where that network does not cover it).  Every combination of
    ids occurs in exactly one cell; the cells do not overlap and their area is
    the area of the union of the networks.
``crosswalk``
    Grid to grid: every pair of grids of different networks that share area,
    with the shared area, the share of each grid and, with households, the
    shared households.
``relations``
    Grid to network: whether a grid is ``equal`` to a grid of another network,
    ``nested`` in one, ``contains`` whole grids of it, lies mostly in one
    (``similar``), ``straddles`` several, or lies ``partial``-ly or wholly
    outside it (``uncovered``).
``conflicts``
    A :class:`~gridgov.findings.Findings` frame (principle ``boundary``) of the
    other networks against the base network: ``boundary.straddles_network``,
    ``boundary.unmatched_grid``, ``boundary.boundary_mismatch``.
``unified``
    A proposed single layer aligned on the base network: the base grids, each
    carrying the id of the grid of every other network it mostly lies in.

How it works.  The refinement is built network by network, the finest first,
then the others from the coarsest: the faces built so far are intersected
with the grids of the next network through one STRtree query, and a face that
a grid covers (or a grid that a face covers), decided with prepared predicates
where the bounding boxes allow it, is kept whole instead of being intersected;
the parts of faces and grids that the other side does not cover are added
with their null ids.  The intersections run in chunks on several threads
(shapely releases the GIL).  The lineage (which grid of each network) is
carried along, so nothing is looked up afterwards.  Overlaps inside a network
show in the area accounts of these steps; they are then resolved exactly and
the refinement is run again.  Then slivers -- faces thinner than
``tolerance``, left by boundaries that differ by digitising noise -- are
absorbed into the neighbour sharing the longest boundary, and faces are
dissolved by their combination of ids.  Everything else is arithmetic on the
ids and areas of the cells.  Conflicts and :meth:`OneNetwork.agreement` are
computed on first use.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm import tqdm

from gridgov.crs import require_metric
from gridgov.errors import LayerError
from gridgov.findings import Findings, make_findings
from gridgov.graph import edge_components
from gridgov.layers import validate_layer

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["RELATIONS", "UNIFY_RULES", "OneNetwork", "unify"]

#: The relations of a grid to another network, see :func:`unify`.
RELATIONS: tuple[str, ...] = (
    "equal",
    "nested",
    "contains",
    "similar",
    "straddles",
    "partial",
    "uncovered",
)
#: The rule codes of :attr:`OneNetwork.conflicts`.
UNIFY_RULES: tuple[str, ...] = (
    "boundary.straddles_network",
    "boundary.unmatched_grid",
    "boundary.boundary_mismatch",
)

# Column names of the cells that a network may not take.
_RESERVED = frozenset({"cell_id", "area", "n_networks", "geometry", "households"})
# Relative area below which the part of a face (or grid) left uncovered by the
# other side is floating-point noise, not a region.
_REL_EPS = 1e-9
# Distance (metres) under which two boundaries are the same line when measuring
# shared boundary lengths between faces (floating-point noise of intersections).
_EPS = 1e-6
# Distance (metres) a probe point is pushed off a cell boundary to find the cell
# on the other side (agreement).
_PROBE = 1e-4
# Pairs per chunk when intersections run on several threads.
_CHUNK = 4096
_SEPARATOR = ", "
_SEVERITY = "warning"
_COLOURS = {
    "boundary.straddles_network": "#e6550d",
    "boundary.unmatched_grid": "#756bb1",
    "boundary.boundary_mismatch": "#d62728",
}


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
        KeyError
            When `network` is not one of :attr:`networks`.
        """
        if network not in self.networks:
            msg = f"unknown network {network!r}; expected one of {', '.join(self.networks)}"
            raise KeyError(msg)
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
        ValueError
            When `filename` does not end in ``.gpkg``.
        """
        path = Path(filename)
        if path.suffix.lower() != ".gpkg":
            msg = (
                "a OneNetwork is written to a GeoPackage (.gpkg) with several layers; "
                f"got {str(path)!r}"
            )
            raise ValueError(msg)
        import pyogrio

        for name, frame in self.outputs().items():
            if not isinstance(frame, gpd.GeoDataFrame):
                pyogrio.write_dataframe(pd.DataFrame(frame), path, layer=name, driver="GPKG")
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
                path,
                layer=name,
                driver="GPKG",
                promote_to_multi=polygonal,
                geometry_type="MultiPolygon" if polygonal else "Unknown",
            )


# ---------------------------------------------------------------------------
# input


@dataclass
class _Network:
    """One validated network: grids sorted by id, geometry with overlaps resolved."""

    name: str
    frame: gpd.GeoDataFrame  # validated, sorted by id, fresh RangeIndex
    ids: np.ndarray  # object array of str
    original: np.ndarray  # the layer's geometry
    geoms: np.ndarray  # overlaps resolved: disjoint, polygonal or None
    overlaps: dict[tuple[int, int], tuple[float, Any]] = field(default_factory=dict)


def _check_options(tolerance: float, share_tolerance: float, straddle_share: float) -> None:
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        msg = f"tolerance is a length in metres >= 0, got {tolerance!r}"
        raise ValueError(msg)
    if not (isinstance(share_tolerance, (int, float)) and 0.0 <= share_tolerance < 0.5):
        msg = f"share_tolerance is a fraction of a grid's area in [0, 0.5), got {share_tolerance!r}"
        raise ValueError(msg)
    if not (isinstance(straddle_share, (int, float)) and share_tolerance <= straddle_share < 0.5):
        msg = (
            "straddle_share is a fraction of a grid's area in [share_tolerance, 0.5), "
            f"got {straddle_share!r}"
        )
        raise ValueError(msg)


def _check_names(layers: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    if not isinstance(layers, Mapping) or not layers:
        msg = (
            "layers must be a non-empty dict {network: GeoDataFrame}, "
            f"got {type(layers).__name__}"
        )
        raise LayerError(msg)
    names = list(layers)
    for name in names:
        if not isinstance(name, str) or not name:
            msg = f"network names must be non-empty strings, got {name!r}"
            raise LayerError(msg)
        if name in _RESERVED or name.endswith("_share"):
            msg = (
                f"network name {name!r} is taken by a column of the results; "
                f"rename it (reserved: {', '.join(sorted(_RESERVED))}, names ending in '_share')"
            )
            raise LayerError(msg)
    return names


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Return the polygonal part of each geometry (None when it has none)."""
    out = np.array(geoms, dtype=object)
    if len(out) == 0:
        return out
    types = shapely.get_type_id(out)
    out[(types != 3) & (types != 6) & (types != 7)] = None
    for i in np.flatnonzero(types == 7):
        parts = shapely.get_parts(out[i])
        parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        parts = shapely.get_parts(parts)
        out[i] = shapely.multipolygons(parts) if len(parts) else None
    empty = shapely.is_empty(out) & ~shapely.is_missing(out)
    out[empty] = None
    return out


def _overlap_pairs(
    geoms: np.ndarray, among: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (low, high) of `geoms` overlapping by more than noise, one of them in `among`.

    Overlaps smaller than ``_REL_EPS`` of the smaller polygon are floating-point
    noise of a shared boundary and ignored.  Returns the pairs, the
    overlapping geometry and its area.
    """
    present = np.flatnonzero(~shapely.is_missing(geoms))
    query = np.intersect1d(among, present)
    empty = np.array([], dtype=np.int64)
    if len(query) == 0 or len(present) < 2:
        return empty, empty, np.array([], dtype=object), np.array([], dtype=float)
    tree = shapely.STRtree(geoms[present])
    shapely.prepare(geoms[query])
    try:
        qi, ti = tree.query(geoms[query], predicate="intersects")
    finally:
        shapely.destroy_prepared(geoms[query])
    a, b = query[qi], present[ti]
    keep = a != b
    if not keep.any():
        return empty, empty, np.array([], dtype=object), np.array([], dtype=float)
    pairs = np.unique(np.c_[np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])], axis=0)
    low, high = pairs[:, 0], pairs[:, 1]
    shared = _polygonal(shapely.intersection(geoms[low], geoms[high]))
    area = np.nan_to_num(shapely.area(shared))
    smaller = np.minimum(shapely.area(geoms[low]), shapely.area(geoms[high]))
    real = area > _REL_EPS * smaller
    return low[real], high[real], shared[real], area[real]


def _resolve(net: _Network, among: np.ndarray) -> bool:
    """Find the overlaps of `net` that involve the grids `among` and resolve them.

    The grid with the smaller id keeps the overlapping area.  Returns whether
    a new overlap was found (the geometry of `net` then changed).
    """
    low, high, shared, area = _overlap_pairs(net.original, among)
    new = [
        (int(i), int(j))
        for i, j in zip(low, high, strict=True)
        if (int(i), int(j)) not in net.overlaps
    ]
    if not new:
        return False
    for i, j, geom, size in zip(low, high, shared, area, strict=True):
        net.overlaps[(int(i), int(j))] = (float(size), geom)
    losers = sorted({j for _, j in new})
    winners: dict[int, list[int]] = {}
    for i, j in net.overlaps:
        winners.setdefault(j, []).append(i)
    resolved = net.geoms.copy()
    for j in losers:
        cut = shapely.union_all(net.original[winners[j]])
        resolved[j] = shapely.difference(net.original[j], cut)
    net.geoms = _polygonal(resolved)
    return True


def _prepare(name: str, frame: gpd.GeoDataFrame, id_column: str) -> _Network:
    layer = validate_layer(frame, kind="grids", id_column=id_column, name=name)
    invalid = layer.attrs["gridgov"]["invalid_ids"]
    if invalid:
        shown = ", ".join(repr(i) for i in invalid[:5])
        msg = (
            f"layer {name!r} (grids): {len(invalid)} invalid polygons (ids {shown}); "
            "unify needs valid geometry: repair them (shapely.make_valid) after reading "
            "gg.check's boundary.invalid_geometry findings"
        )
        raise LayerError(msg)
    order = np.argsort(layer[id_column].to_numpy(dtype=str), kind="stable")
    layer = layer.iloc[order].reset_index(drop=True)
    if id_column != "grid_id":
        layer = layer.rename(columns={id_column: "grid_id"})
    ids = layer["grid_id"].to_numpy(dtype=object)
    geoms = np.asarray(layer.geometry.to_numpy(), dtype=object)
    return _Network(name, layer, ids, geoms, geoms.copy())


def _overlaps_frame(networks: list[_Network], crs: Any) -> gpd.GeoDataFrame:
    rows = [
        {
            "network": net.name,
            "grid_id": net.ids[i],
            "other_id": net.ids[j],
            "area": size,
            "geometry": geom,
        }
        for net in networks
        for (i, j), (size, geom) in sorted(net.overlaps.items())
    ]
    frame = pd.DataFrame(rows, columns=["network", "grid_id", "other_id", "area", "geometry"])
    frame = frame.astype({"network": object, "grid_id": object, "other_id": object, "area": float})
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)


# ---------------------------------------------------------------------------
# the common refinement


def _group_starts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order of `keys` and the start/end of each run of equal keys in that order."""
    order = np.argsort(keys, kind="stable")
    if len(keys) == 0:
        empty = np.array([], dtype=np.int64)
        return order, empty, empty
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(keys)].astype(np.int64)
    return order, starts, ends


def _remainders(
    sources: np.ndarray, others: np.ndarray, of_source: np.ndarray, of_other: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parts of `sources` outside the `others` they intersect (pairs `of_source`, `of_other`).

    Returns the polygonal parts, the source of each part, and the area left
    outside per source (all sources, 0 where none was computed); parts
    smaller than ``_REL_EPS`` of their source are noise and dropped.
    """
    left = np.zeros(len(sources))
    order, starts, ends = _group_starts(of_source)
    if len(starts) == 0:
        return np.array([], dtype=object), np.array([], dtype=np.int64), left
    which = of_source[order[starts]]
    cut = np.empty(len(starts), dtype=object)
    for position, (start, end) in enumerate(zip(starts, ends, strict=True)):
        members = others[of_other[order[start:end]]]
        cut[position] = members[0] if len(members) == 1 else shapely.union_all(members)
    rest = _polygonal(shapely.difference(sources[which], cut))
    left[which] = np.nan_to_num(shapely.area(rest))
    pieces, owner = shapely.get_parts(rest, return_index=True)
    owner = which[owner]
    big = shapely.area(pieces) > _REL_EPS * shapely.area(sources[owner])
    return pieces[big], owner[big], left


def _overlapping_owners(parts: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Owners of `parts` whose parts overlap the part of another owner by more than noise."""
    if len(parts) < 2:
        return np.array([], dtype=np.int64)
    tree = shapely.STRtree(parts)
    shapely.prepare(parts)
    try:
        a, b = tree.query(parts, predicate="intersects")
    finally:
        shapely.destroy_prepared(parts)
    keep = (a < b) & (owner[a] != owner[b])
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return np.array([], dtype=np.int64)
    area = np.nan_to_num(shapely.area(shapely.intersection(parts[a], parts[b])))
    real = area > _REL_EPS * np.minimum(shapely.area(parts[a]), shapely.area(parts[b]))
    return np.unique(np.r_[owner[a[real]], owner[b[real]]])


@dataclass
class _Step:
    """One network added to the refinement: the new faces and what looked like overlaps."""

    faces: np.ndarray
    labels: np.ndarray
    suspect_grids: np.ndarray  # grids of the added network that seem to overlap
    suspect_faces: np.ndarray  # faces (before the step) that seem to overlap


def _within_box(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """Whether each box of `inner` lies in the matching box of `outer` (minx, miny, maxx, maxy)."""
    return (
        (inner[:, 0] >= outer[:, 0])
        & (inner[:, 1] >= outer[:, 1])
        & (inner[:, 2] <= outer[:, 2])
        & (inner[:, 3] <= outer[:, 3])
    )


def _pieces(faces: np.ndarray, grids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every face cut by every grid it intersects: the pieces and their (face, grid) pairs.

    A face that a grid covers is kept whole, and so is a grid that a face
    covers; both are tested (with prepared geometry) only where the bounding
    box of one lies in the other's, the other pairs are intersected.
    """
    tree = shapely.STRtree(faces)
    shapely.prepare(grids)
    try:
        gq, fq = tree.query(grids, predicate="intersects")
        face_box = shapely.bounds(faces)[fq]
        grid_box = shapely.bounds(grids)[gq]
        covered = np.zeros(len(gq), dtype=bool)
        test = np.flatnonzero(_within_box(face_box, grid_box))
        covered[test] = shapely.covers(grids[gq[test]], faces[fq[test]])
    finally:
        shapely.destroy_prepared(grids)
    inside = np.zeros(len(gq), dtype=bool)
    test = np.flatnonzero(~covered & _within_box(grid_box, face_box))
    candidates = faces[np.unique(fq[test])]
    shapely.prepare(candidates)
    try:
        inside[test] = shapely.covers(faces[fq[test]], grids[gq[test]])
    finally:
        shapely.destroy_prepared(candidates)
    pieces = np.empty(len(gq), dtype=object)
    pieces[covered] = faces[fq[covered]]
    pieces[inside] = grids[gq[inside]]
    cut = ~(covered | inside)
    pieces[cut] = _polygonal(_intersection(faces[fq[cut]], grids[gq[cut]]))
    return pieces, fq, gq


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``shapely.intersection(a, b)``, in chunks on several threads for large inputs.

    shapely releases the GIL in its vectorised functions, so the chunks run in
    parallel; every element is computed exactly as in one call.
    """
    threads = max(1, min(4, os.cpu_count() or 1))
    if threads == 1 or len(a) < 2 * _CHUNK:
        return np.asarray(shapely.intersection(a, b), dtype=object)
    parts = [(start, min(start + _CHUNK, len(a))) for start in range(0, len(a), _CHUNK)]
    with ThreadPoolExecutor(threads) as pool:
        done = list(pool.map(lambda p: shapely.intersection(a[p[0] : p[1]], b[p[0] : p[1]]), parts))
    return np.concatenate(done) if done else np.array([], dtype=object)


def _add_network(faces: np.ndarray, labels: np.ndarray, grids: np.ndarray) -> _Step:
    """Refine `faces` (with `labels`, one column per network so far) by `grids`.

    Overlaps among the grids (or among the faces) show in the area accounts:
    the pieces of a face, plus its part outside every grid, add up to more
    than the face.  Such grids and faces are returned as suspects.
    """
    present = np.flatnonzero(~shapely.is_missing(grids))
    g_geoms = grids[present]
    n_faces, n_grids = len(faces), len(g_geoms)
    pieces, fq, gq = _pieces(faces, g_geoms)
    area = np.nan_to_num(shapely.area(pieces))
    face_area = shapely.area(faces)
    grid_area = shapely.area(g_geoms)
    real = area > _REL_EPS * np.minimum(face_area[fq], grid_area[gq])
    pieces, fq, gq, area = pieces[real], fq[real], gq[real], area[real]

    face_sum = np.bincount(fq, weights=area, minlength=n_faces)
    grid_sum = np.bincount(gq, weights=area, minlength=n_grids)
    face_short = face_area - face_sum > _REL_EPS * face_area
    grid_short = grid_area - grid_sum > _REL_EPS * grid_area
    pick = face_short[fq]
    face_rest, face_owner, face_left = _remainders(faces, g_geoms, fq[pick], gq[pick])
    untouched = np.flatnonzero(face_short & (np.bincount(fq, minlength=n_faces) == 0))
    face_left[untouched] = face_area[untouched]
    pick = grid_short[gq]
    grid_rest, grid_owner, grid_left = _remainders(g_geoms, faces, gq[pick], fq[pick])
    lonely = np.flatnonzero(grid_short & (np.bincount(gq, minlength=n_grids) == 0))
    grid_left[lonely] = grid_area[lonely]

    # overlaps: inside a face (grids overlap), inside a grid (faces overlap), outside both
    grids_over = face_sum + face_left - face_area > _REL_EPS * face_area
    faces_over = grid_sum + grid_left - grid_area > _REL_EPS * grid_area
    suspect_grids = np.unique(
        np.r_[
            present[gq[grids_over[fq]]],
            present[
                _overlapping_owners(np.r_[grid_rest, g_geoms[lonely]], np.r_[grid_owner, lonely])
            ],
        ]
    ).astype(np.int64)
    suspect_faces = np.unique(
        np.r_[
            fq[faces_over[gq]],
            _overlapping_owners(np.r_[face_rest, faces[untouched]], np.r_[face_owner, untouched]),
        ]
    ).astype(np.int64)

    k = labels.shape[1]
    none = np.full((1, k), -1, dtype=np.int64)
    new_faces = np.concatenate([pieces, face_rest, faces[untouched], grid_rest, g_geoms[lonely]])
    new_labels = np.concatenate(
        [
            np.c_[labels[fq], present[gq]],
            np.c_[labels[face_owner], np.full(len(face_owner), -1)],
            np.c_[labels[untouched], np.full(len(untouched), -1)],
            np.c_[np.repeat(none, len(grid_owner), axis=0), present[grid_owner]],
            np.c_[np.repeat(none, len(lonely), axis=0), present[lonely]],
        ]
    ).astype(np.int64)
    return _Step(new_faces, new_labels, suspect_grids, suspect_faces)


def _refine(
    networks: list[_Network], order: list[int], bar: tqdm
) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """Faces of the common refinement, their labels (grid index per network, -1 none), suspects.

    Networks are added in `order`.  Suspects are, per network, the grids that
    seem to overlap another grid of their network: :func:`_resolve` checks
    them exactly, and the refinement is run again when an overlap was resolved.
    """
    first = networks[order[0]].geoms
    present = np.flatnonzero(~shapely.is_missing(first))
    faces = first[present]
    labels = present[:, None].astype(np.int64)
    suspects: dict[int, list[np.ndarray]] = {j: [] for j in range(len(networks))}
    bar.update(1)
    for step, position in enumerate(order[1:], start=1):
        result = _add_network(faces, labels, networks[position].geoms)
        suspects[position].append(result.suspect_grids)
        for column, earlier in enumerate(order[:step]):
            grids = labels[result.suspect_faces, column]
            suspects[earlier].append(grids[grids >= 0])
        faces, labels = result.faces, result.labels
        bar.update(1)
    out = np.full((len(faces), len(networks)), -1, dtype=np.int64)
    out[:, order] = labels
    found = {
        j: np.unique(np.concatenate(parts)).astype(np.int64)
        for j, parts in suspects.items()
        if parts and sum(len(p) for p in parts)
    }
    return faces, out, found


# ---------------------------------------------------------------------------
# slivers


def _combination_rank(labels: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Rank of each row of `labels` by its ids (networks in order, nulls last)."""
    keys = [np.where(labels[:, j] < 0, sizes[j], labels[:, j]) for j in range(labels.shape[1])]
    order = np.lexsort(keys[::-1])
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    return rank


def _is_sliver(parts: np.ndarray, tolerance: float) -> np.ndarray:
    """Whether each polygon is thinner than `tolerance` everywhere.

    A polygon is a sliver when an inward buffer of ``tolerance / 2`` empties
    it: its largest inscribed circle has a diameter below `tolerance`.  Only
    polygons that can be that thin are buffered: a polygon with ``h`` holes
    whose inscribed circles all have a radius below ``r`` has an area below
    ``r * perimeter + pi * r² * h`` (the inner parallel curves at distance
    ``s`` are no longer than ``perimeter + 2 pi s (h - 1)``).
    """
    sliver = np.zeros(len(parts), dtype=bool)
    if tolerance <= 0 or len(parts) == 0:
        return sliver
    area = shapely.area(parts)
    bound = 0.5 * tolerance * shapely.length(parts) + 0.25 * math.pi * tolerance**2 * (
        shapely.get_num_interior_rings(parts) + 1
    )
    candidate = np.flatnonzero(area <= bound)
    if len(candidate):
        eroded = shapely.buffer(parts[candidate], -tolerance / 2.0)
        sliver[candidate] = shapely.is_empty(eroded) | (shapely.area(eroded) <= 0)
    return sliver


def _absorb(
    parts: np.ndarray, labels: np.ndarray, rank: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Absorb slivers into the neighbour sharing the longest boundary.

    Returns the group of every part (parts merged together share a group,
    numbered by a member) and whether the part was an absorbed sliver.
    """
    n = len(parts)
    group = np.arange(n)
    absorbed = np.zeros(n, dtype=bool)
    sliver = _is_sliver(parts, tolerance)
    if not sliver.any():
        return group, absorbed
    # a grid made of slivers only stays: absorbing it would erase the grid
    protected = np.zeros(n, dtype=bool)
    for j in range(labels.shape[1]):
        column = labels[:, j]
        has = column >= 0
        size = int(column.max()) + 1 if has.any() else 0
        solid = np.bincount(column[has & ~sliver], minlength=size) > 0
        protected |= has & ~solid[np.where(has, column, 0)]
    movers = np.flatnonzero(sliver & ~protected)
    if len(movers) == 0:
        return group, absorbed
    tree = shapely.STRtree(parts)
    si, ni = tree.query(parts[movers], predicate="dwithin", distance=_EPS)
    si = movers[si]
    other = si != ni
    si, ni = si[other], ni[other]
    unique_s, inverse = np.unique(si, return_inverse=True)
    grown = shapely.buffer(parts[unique_s], _EPS, quad_segs=1)
    shared = np.nan_to_num(
        shapely.length(shapely.intersection(shapely.boundary(parts[ni]), grown[inverse]))
    )
    real = shared > 0
    si, ni, shared = si[real], ni[real], shared[real]
    if len(si) == 0:
        return group, absorbed
    # best neighbour per sliver: longest shared boundary, ties by combination rank
    order = np.lexsort((rank[ni], -shared, si))
    first = np.r_[True, si[order][1:] != si[order][:-1]]
    src = si[order][first]
    dst = ni[order][first]
    component = edge_components(n, src, dst)
    # the component takes the labels of its solid member, else of its largest sliver
    area = shapely.area(parts)
    members = np.flatnonzero(np.bincount(component, minlength=n)[component] > 1)
    movable = sliver & ~protected
    key_order = np.lexsort((rank[members], -area[members], movable[members], component[members]))
    ordered = members[key_order]
    lead = np.r_[True, component[ordered][1:] != component[ordered][:-1]]
    leader = np.arange(n)
    leader[component[ordered][lead]] = ordered[lead]
    group = leader[component]
    absorbed = group != np.arange(n)
    return group, absorbed


# ---------------------------------------------------------------------------
# cells


def _union_groups(parts: np.ndarray, group: np.ndarray, merged: np.ndarray) -> np.ndarray:
    """One geometry per group: multipolygon of disjoint parts, union where slivers merged."""
    order, starts, ends = _group_starts(group)
    out = np.empty(len(starts), dtype=object)
    sizes = ends - starts
    single = sizes == 1
    out[single] = parts[order[starts[single]]]
    for g in np.flatnonzero(~single):
        members = order[starts[g] : ends[g]]
        if merged[members].any():
            out[g] = _clean(shapely.union_all(parts[members]))
        else:
            out[g] = shapely.multipolygons(parts[members])
    return out


def _clean(geom: Any) -> Any:
    """Polygonal part of a union, without holes of no width (floating-point slits)."""
    geom = _polygonal(np.array([geom], dtype=object))[0]
    if geom is None or not shapely.get_num_interior_rings(shapely.get_parts(geom)).any():
        return geom
    cleaned = []
    for polygon in shapely.get_parts(geom):
        holes = [
            ring
            for ring in polygon.interiors
            if shapely.area(shapely.polygons(ring)) > _EPS * shapely.length(ring)
        ]
        cleaned.append(shapely.polygons(polygon.exterior, holes=holes or None))
    return cleaned[0] if len(cleaned) == 1 else shapely.multipolygons(cleaned)


@dataclass
class _Cells:
    """The cells as arrays: labels (grid index per network, -1 none), area, geometry."""

    labels: np.ndarray
    area: np.ndarray
    geoms: np.ndarray
    slivers: gpd.GeoDataFrame


def _build_cells(
    faces: np.ndarray,
    labels: np.ndarray,
    networks: list[_Network],
    tolerance: float,
    crs: Any,
) -> _Cells:
    sizes = [len(net.ids) for net in networks]
    parts, owner = shapely.get_parts(faces, return_index=True)
    part_labels = labels[owner]
    rank = _combination_rank(part_labels, sizes)
    group, absorbed = _absorb(parts, part_labels, rank, tolerance)
    final = part_labels[group]
    keyed = np.where(final < 0, np.asarray(sizes)[None, :], final)
    if len(keyed):
        unique, cell_of = np.unique(keyed, axis=0, return_inverse=True)
        cell_of = cell_of.reshape(-1)
    else:
        unique = np.empty((0, len(networks)), dtype=np.int64)
        cell_of = np.empty(0, dtype=np.int64)
    cell_labels = np.where(unique >= np.asarray(sizes)[None, :], -1, unique).astype(np.int64)
    geoms = _union_groups(parts, cell_of, absorbed)
    area = shapely.area(geoms) if len(geoms) else np.empty(0)
    sliver_rows: dict[str, Any] = {
        net.name: _ids_of(net, part_labels[absorbed, j]) for j, net in enumerate(networks)
    }
    sliver_rows["cell_id"] = cell_of[absorbed]
    sliver_rows["area"] = shapely.area(parts[absorbed])
    slivers = gpd.GeoDataFrame(
        pd.DataFrame(sliver_rows), geometry=np.asarray(parts[absorbed], dtype=object), crs=crs
    )
    slivers = slivers.sort_values(["cell_id", "area"], ascending=[True, False], kind="stable")
    return _Cells(cell_labels, area, geoms, slivers.reset_index(drop=True))


def _ids_of(net: _Network, index: np.ndarray) -> np.ndarray:
    """Grid ids for grid indices (None for -1), as an object array."""
    ids = np.concatenate([net.ids, np.array([None], dtype=object)])
    return np.asarray(ids[np.where(index < 0, len(net.ids), index)], dtype=object)


def _cells_frame(cells: _Cells, networks: list[_Network], crs: Any) -> gpd.GeoDataFrame:
    data: dict[str, Any] = {"cell_id": np.arange(len(cells.area), dtype=np.int64)}
    for j, net in enumerate(networks):
        data[net.name] = pd.Series(_ids_of(net, cells.labels[:, j]), dtype=object)
    data["n_networks"] = (cells.labels >= 0).sum(axis=1).astype(np.int64)
    data["area"] = cells.area
    return gpd.GeoDataFrame(
        pd.DataFrame(data), geometry=np.asarray(cells.geoms, dtype=object), crs=crs
    )


# ---------------------------------------------------------------------------
# tables


_SLACK = 1e-9


@dataclass
class _Pairs:
    """Shared areas between the grids of two networks (indices into each)."""

    a: np.ndarray
    b: np.ndarray
    shared: np.ndarray


def _grid_areas(cells: _Cells, j: int, size: int) -> np.ndarray:
    column = cells.labels[:, j]
    has = column >= 0
    return np.bincount(column[has], weights=cells.area[has], minlength=size)


def _pairs(cells: _Cells, i: int, j: int, size_j: int) -> _Pairs:
    both = (cells.labels[:, i] >= 0) & (cells.labels[:, j] >= 0)
    key = cells.labels[both, i] * size_j + cells.labels[both, j]
    unique, inverse = np.unique(key, return_inverse=True)
    shared = np.bincount(inverse, weights=cells.area[both], minlength=len(unique))
    real = shared > 0
    unique, shared = unique[real], shared[real]
    return _Pairs(unique // size_j, unique % size_j, shared)


def _crosswalk(
    networks: list[_Network],
    cells: _Cells,
    areas: list[np.ndarray],
    assigned: pd.DataFrame | None,
) -> pd.DataFrame:
    frames = []
    for i, net_a in enumerate(networks):
        for j in range(i + 1, len(networks)):
            net_b = networks[j]
            pairs = _pairs(cells, i, j, len(net_b.ids))
            frame = pd.DataFrame(
                {
                    "network_a": net_a.name,
                    "grid_a": pd.Series(net_a.ids[pairs.a], dtype=object),
                    "network_b": net_b.name,
                    "grid_b": pd.Series(net_b.ids[pairs.b], dtype=object),
                    "shared_area": pairs.shared,
                    "share_of_a": pairs.shared / areas[i][pairs.a],
                    "share_of_b": pairs.shared / areas[j][pairs.b],
                }
            )
            if assigned is not None:
                frame = _with_households(frame, assigned, net_a, net_b)
            frames.append(frame)
    columns = [
        "network_a",
        "grid_a",
        "network_b",
        "grid_b",
        "shared_area",
        "share_of_a",
        "share_of_b",
    ]
    if assigned is not None:
        columns.append("shared_households")
    if not frames:
        empty = pd.DataFrame(
            {
                c: pd.Series(dtype=object if c.startswith(("network", "grid")) else float)
                for c in columns
            }
        )
        if assigned is not None:
            empty["shared_households"] = empty["shared_households"].astype(np.int64)
        return empty
    return pd.concat(frames, ignore_index=True)[columns]


def _with_households(
    frame: pd.DataFrame, assigned: pd.DataFrame, net_a: _Network, net_b: _Network
) -> pd.DataFrame:
    ga = assigned[net_a.name].to_numpy(dtype=object)
    gb = assigned[net_b.name].to_numpy(dtype=object)
    both = ~pd.isna(ga) & ~pd.isna(gb)
    counts = (
        pd.DataFrame({"grid_a": ga[both], "grid_b": gb[both]}, dtype=object)
        .groupby(["grid_a", "grid_b"], sort=False)
        .size()
        .rename("shared_households")
        .reset_index()
    )
    out = frame.merge(counts, on=["grid_a", "grid_b"], how="outer")
    out["network_a"] = net_a.name
    out["network_b"] = net_b.name
    for column in ("shared_area", "share_of_a", "share_of_b"):
        out[column] = out[column].fillna(0.0)
    out["shared_households"] = out["shared_households"].fillna(0).astype(np.int64)
    rank_a = pd.Series(np.arange(len(net_a.ids)), index=net_a.ids)
    rank_b = pd.Series(np.arange(len(net_b.ids)), index=net_b.ids)
    order = np.lexsort(
        (rank_b.reindex(out["grid_b"]).to_numpy(), rank_a.reindex(out["grid_a"]).to_numpy())
    )
    out = out.iloc[order].reset_index(drop=True)
    out["grid_a"] = out["grid_a"].astype(object)
    out["grid_b"] = out["grid_b"].astype(object)
    return out


@dataclass
class _Relation:
    """The relation of every grid of one network to another network (arrays by grid)."""

    network: int
    other: int
    relation: np.ndarray  # object, None for grids without area
    largest: np.ndarray  # grid index in the other network, -1 none
    largest_share: np.ndarray
    largest_share_of_other: np.ndarray
    covered: np.ndarray
    other_ids: np.ndarray  # object: comma-joined ids
    n_other: np.ndarray


@dataclass
class _State:
    """What the lazy parts of a :class:`OneNetwork` are computed from."""

    networks: list[_Network]
    cells: _Cells
    relations: dict[tuple[int, int], _Relation]
    areas: list[np.ndarray]
    base: int


def _relation(
    networks: list[_Network],
    cells: _Cells,
    areas: list[np.ndarray],
    i: int,
    j: int,
    *,
    share_tolerance: float,
    straddle_share: float,
) -> _Relation:
    size_i, size_j = len(networks[i].ids), len(networks[j].ids)
    pairs = _pairs(cells, i, j, size_j)
    ga, gb, shared = pairs.a, pairs.b, pairs.shared
    share_g = shared / areas[i][ga]
    share_h = shared / areas[j][gb]
    covered = np.bincount(ga, weights=share_g, minlength=size_i)
    high = 1.0 - share_tolerance - _SLACK
    best = np.full(size_i, -1, dtype=np.int64)
    best_share = np.zeros(size_i)
    best_share_h = np.zeros(size_i)
    if len(ga):
        order = np.lexsort((gb, -shared, ga))
        first = np.r_[True, ga[order][1:] != ga[order][:-1]]
        pick = order[first]
        best[ga[pick]] = gb[pick]
        best_share[ga[pick]] = share_g[pick]
        best_share_h[ga[pick]] = share_h[pick]
    partner = (share_g >= share_tolerance) | (share_h >= share_tolerance)
    n_partners = np.bincount(ga[partner], minlength=size_i)
    partner_nested = np.bincount(ga[partner & (share_h >= high)], minlength=size_i)
    significant = share_g >= share_tolerance
    n_other = np.bincount(ga[significant], minlength=size_i)

    relation = np.full(size_i, "straddles", dtype=object)
    relation[best_share >= 1.0 - straddle_share - _SLACK] = "similar"
    uncovered = 1.0 - covered >= share_tolerance - _SLACK
    relation[(n_partners == 1) & uncovered & (best_share_h < high)] = "partial"
    relation[(n_partners >= 1) & (partner_nested == n_partners)] = "contains"
    relation[best_share >= high] = "nested"
    relation[(best_share >= high) & (best_share_h >= high)] = "equal"
    relation[(covered < share_tolerance - _SLACK) | (covered <= 0)] = "uncovered"
    relation[areas[i] <= 0] = None

    other_ids = np.full(size_i, None, dtype=object)
    sig = np.flatnonzero(significant)
    if len(sig):
        order = sig[np.lexsort((gb[sig], -share_g[sig], ga[sig]))]
        keys = ga[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], len(keys)]
        names = networks[j].ids[gb[order]]
        for start, end in zip(starts, ends, strict=True):
            other_ids[keys[start]] = _SEPARATOR.join(names[start:end])
    return _Relation(i, j, relation, best, best_share, best_share_h, covered, other_ids, n_other)


def _relations_frame(
    networks: list[_Network], relations: list[_Relation], areas: list[np.ndarray]
) -> pd.DataFrame:
    frames = []
    for rel in relations:
        net, other = networks[rel.network], networks[rel.other]
        keep = rel.relation != None  # noqa: E711 - elementwise on an object array
        frames.append(
            pd.DataFrame(
                {
                    "network": net.name,
                    "grid_id": pd.Series(net.ids[keep], dtype=object),
                    "other_network": other.name,
                    "relation": pd.Series(rel.relation[keep], dtype=object),
                    "other_ids": pd.Series(rel.other_ids[keep], dtype=object),
                    "n_other": rel.n_other[keep].astype(np.int64),
                    "largest_id": pd.Series(_ids_of(other, rel.largest[keep]), dtype=object),
                    "largest_share": rel.largest_share[keep],
                    "covered_share": np.minimum(rel.covered[keep], 1.0),
                    "area": areas[rel.network][keep],
                }
            )
        )
    columns = [
        "network", "grid_id", "other_network", "relation", "other_ids", "n_other",
        "largest_id", "largest_share", "covered_share", "area",
    ]  # fmt: skip
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    out = pd.concat(frames, ignore_index=True)[columns]
    for column in ("network", "other_network"):
        out[column] = out[column].astype(object)
    return out


# ---------------------------------------------------------------------------
# conflicts


def _percent(share: float) -> str:
    return f"{100.0 * share:.0f}%"


def _without_slivers(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Each geometry without its polygons thinner than `tolerance` (None when none is left)."""
    geoms = _polygonal(geoms)
    out = np.full(len(geoms), None, dtype=object)
    present = np.flatnonzero(~shapely.is_missing(geoms))
    if len(present) == 0:
        return out
    parts, owner = shapely.get_parts(geoms[present], return_index=True)
    keep = ~_is_sliver(parts, tolerance) & (shapely.area(parts) > 0)
    parts, owner = parts[keep], present[owner[keep]]
    counts = np.bincount(owner, minlength=len(geoms))
    single = counts[owner] == 1
    out[owner[single]] = parts[single]
    multi = np.unique(owner[~single])
    if len(multi):
        rank = np.searchsorted(multi, owner[~single])
        out[multi] = shapely.multipolygons(parts[~single], indices=rank)
    return out


def _cell_unions(
    cells: _Cells, grid_of_cell: np.ndarray, mask: np.ndarray, grids: np.ndarray
) -> np.ndarray:
    """For each of `grids` (sorted), the union of its cells selected by `mask`."""
    out = np.full(len(grids), None, dtype=object)
    chosen = np.flatnonzero(mask & np.isin(grid_of_cell, grids))
    if len(chosen) == 0:
        return out
    position = np.searchsorted(grids, grid_of_cell[chosen])
    order, starts, ends = _group_starts(position)
    for start, end in zip(starts, ends, strict=True):
        members = cells.geoms[chosen[order[start:end]]]
        merged = members[0] if len(members) == 1 else _clean(shapely.union_all(members))
        out[position[order[start]]] = merged
    return out


def _conflicts(
    networks: list[_Network],
    cells: _Cells,
    relations: dict[tuple[int, int], _Relation],
    areas: list[np.ndarray],
    base: int,
    *,
    tolerance: float,
    share_tolerance: float,
    straddle_share: float,
    crs: Any,
) -> Findings:
    frames: list[pd.DataFrame] = []
    for j in range(len(networks)):
        if j == base:
            continue
        rel = relations[(j, base)]
        frames.extend(_straddles(networks, rel, tolerance, straddle_share))
        frames.extend(_unmatched(networks, cells, rel, areas, share_tolerance))
        frames.extend(_unmatched(networks, cells, relations[(base, j)], areas, share_tolerance))
        frames.extend(_mismatches(networks, rel, tolerance, share_tolerance, straddle_share))
    return make_findings(frames, crs=crs)


def _common(networks: list[_Network], rel: _Relation, rule: str) -> dict[str, Any]:
    return {
        "principle": "boundary",
        "rule": rule,
        "severity": _SEVERITY,
        "network": networks[rel.network].name,
        "other_network": networks[rel.other].name,
    }


def _straddles(
    networks: list[_Network], rel: _Relation, tolerance: float, straddle_share: float
) -> list[pd.DataFrame]:
    net, other = networks[rel.network], networks[rel.other]
    grids = np.flatnonzero(rel.relation == "straddles")
    if len(grids) == 0:
        return []
    largest = rel.largest[grids]
    outside = _without_slivers(
        shapely.difference(net.geoms[grids], other.geoms[largest]), tolerance
    )
    other_ids = [
        _SEPARATOR.join(sorted(str(names).split(_SEPARATOR))) for names in rel.other_ids[grids]
    ]
    messages = [
        f"{net.name} grid {net.ids[g]} straddles {n} {other.name} grids ({names}): the largest, "
        f"{other.ids[h]}, holds {_percent(share)} of it, less than {_percent(1 - straddle_share)}"
        for g, h, n, names, share in zip(
            grids, largest, rel.n_other[grids], other_ids, rel.largest_share[grids], strict=True
        )
    ]
    frame = pd.DataFrame(
        {
            **_common(networks, rel, "boundary.straddles_network"),
            "grid_id": net.ids[grids],
            "other_id": other_ids,
            "value": rel.largest_share[grids],
            "limit": 1.0 - straddle_share,
            "message": messages,
            "geometry": outside,
        }
    )
    return [frame]


def _unmatched(
    networks: list[_Network],
    cells: _Cells,
    rel: _Relation,
    areas: list[np.ndarray],
    share_tolerance: float,
) -> list[pd.DataFrame]:
    net, other = networks[rel.network], networks[rel.other]
    uncovered = 1.0 - np.minimum(rel.covered, 1.0)
    grids = np.flatnonzero((uncovered > share_tolerance + _SLACK) & (areas[rel.network] > 0))
    if len(grids) == 0:
        return []
    where = _cell_unions(cells, cells.labels[:, rel.network], cells.labels[:, rel.other] < 0, grids)
    messages = [
        f"{_percent(u)} of {net.name} grid {net.ids[g]} ({u * areas[rel.network][g]:,.0f} m²) "
        f"is covered by no {other.name} grid"
        for g, u in zip(grids, uncovered[grids], strict=True)
    ]
    frame = pd.DataFrame(
        {
            **_common(networks, rel, "boundary.unmatched_grid"),
            "grid_id": net.ids[grids],
            "other_id": rel.other_ids[grids],
            "value": uncovered[grids],
            "limit": share_tolerance,
            "message": messages,
            "geometry": where,
        }
    )
    return [frame]


def _mismatches(
    networks: list[_Network],
    rel: _Relation,
    tolerance: float,
    share_tolerance: float,
    straddle_share: float,
) -> list[pd.DataFrame]:
    """boundary_mismatch: boundaries that part from the other network's by more than `tolerance`.

    The counterpart of a grid is the grid of the other network sharing most
    area with it when that area is at least ``1 - straddle_share`` of both:
    the two are meant to be one grid.  Counterparts that are ``equal`` (within
    `share_tolerance`) match; for the others, the parts of the grid's
    boundary farther than `tolerance` from the counterpart's boundary are the
    mismatch.  A ``similar`` grid without a counterpart (it lies mostly in a
    much larger grid) spills out of that grid: the parts of its boundary
    farther than `tolerance` outside it are the mismatch.  Parts running
    along a grid of the same network that straddles the other network are
    left out (that cut is reported as the straddle).
    """
    net, other = networks[rel.network], networks[rel.other]
    low = 1.0 - straddle_share - _SLACK
    high = 1.0 - share_tolerance - _SLACK
    has = rel.largest >= 0
    counterpart = has & (rel.largest_share >= low) & (rel.largest_share_of_other >= low)
    equal = (rel.largest_share >= high) & (rel.largest_share_of_other >= high)
    spills = has & ~counterpart & (rel.relation == "similar")
    grids = np.flatnonzero((counterpart & ~equal) | spills)
    if len(grids) == 0:
        return []
    h = rel.largest[grids]
    edge = shapely.boundary(other.geoms[h])
    reach = max(tolerance, _EPS)
    near = np.where(
        spills[grids],
        shapely.buffer(other.geoms[h], reach),
        shapely.buffer(edge, reach),
    )
    lines = shapely.difference(shapely.boundary(net.geoms[grids]), near)
    straddling = np.flatnonzero(rel.relation == "straddles")
    if len(straddling):
        cuts = shapely.buffer(shapely.boundary(net.geoms[straddling]), reach)
        tree = shapely.STRtree(cuts)
        li, ci = tree.query(lines, predicate="intersects")
        if len(li):
            order, starts, ends = _group_starts(li)
            which = li[order[starts]]
            near = np.array(
                [
                    shapely.union_all(cuts[ci[order[a:b]]])
                    for a, b in zip(starts, ends, strict=True)
                ],
                dtype=object,
            )
            lines[which] = shapely.difference(lines[which], near)
    lines = shapely.line_merge(lines)
    length = np.nan_to_num(shapely.length(lines))
    keep = length > tolerance
    grids, h, lines, length, edge = grids[keep], h[keep], lines[keep], length[keep], edge[keep]
    if len(grids) == 0:
        return []
    distance = np.array(
        [
            float(shapely.distance(shapely.points(shapely.get_coordinates(line)), e).max())
            for line, e in zip(shapely.segmentize(lines, max(tolerance, 1.0)), edge, strict=True)
        ]
    )
    messages = [
        (
            f"{net.name} grid {net.ids[g]} lies mostly in {other.name} grid {other.ids[k]} but "
            f"{value:,.0f} m of its boundary run outside it, farther than {tolerance:g} m "
            f"(up to {far:,.0f} m)"
        )
        if spill
        else (
            f"{net.name} grid {net.ids[g]} and {other.name} grid {other.ids[k]} are meant to be "
            f"one grid but {value:,.0f} m of the boundary of {net.ids[g]} lie farther than "
            f"{tolerance:g} m from that of {other.ids[k]} (up to {far:,.0f} m)"
        )
        for g, k, value, far, spill in zip(grids, h, length, distance, spills[grids], strict=True)
    ]
    frame = pd.DataFrame(
        {
            **_common(networks, rel, "boundary.boundary_mismatch"),
            "grid_id": net.ids[grids],
            "other_id": other.ids[h],
            "value": length,
            "limit": tolerance,
            "message": messages,
            "geometry": lines,
            "distance": distance,
        }
    )
    return [frame]


# ---------------------------------------------------------------------------
# unified layer


def _unified(
    networks: list[_Network],
    base: int,
    relations: dict[tuple[int, int], _Relation],
    assigned: pd.DataFrame | None,
) -> gpd.GeoDataFrame:
    net = networks[base]
    out = net.frame.copy()
    if "network" in out.columns:
        out["network"] = "unified"
    geometry_name = out.geometry.name
    out[net.name] = pd.Series(net.ids, dtype=object)
    for j, other in enumerate(networks):
        if j == base:
            continue
        rel = relations[(base, j)]
        carried = rel.largest >= 0
        out[other.name] = pd.Series(_ids_of(other, rel.largest), dtype=object)
        out[f"{other.name}_share"] = np.where(carried, rel.largest_share, 0.0)
    if assigned is not None:
        loads = assigned[net.name].value_counts()
        out["households"] = loads.reindex(net.ids, fill_value=0).to_numpy(dtype=np.int64)
    columns = [c for c in out.columns if c != geometry_name] + [geometry_name]
    return out[columns]


def _redrawn(one: OneNetwork, network: str) -> gpd.GeoDataFrame:
    layer = one._layers[network]
    ids = layer["grid_id"].to_numpy(dtype=object)
    unified = one.unified
    carrier = unified[network].to_numpy(dtype=object)
    base_ids = unified["grid_id"].to_numpy(dtype=object)
    geoms = np.asarray(unified.geometry.to_numpy(), dtype=object)
    position = pd.Series(np.arange(len(ids)), index=ids)
    has = ~pd.isna(carrier)
    index = position.reindex(carrier[has]).to_numpy(dtype=np.int64)
    shapes = np.full(len(ids), None, dtype=object)
    joined = np.full(len(ids), None, dtype=object)
    order, starts, ends = _group_starts(index)
    members_all = np.flatnonzero(has)[order]
    for start, end in zip(starts, ends, strict=True):
        g = index[order[start]]
        members = members_all[start:end]
        shapes[g] = geoms[members[0]] if len(members) == 1 else shapely.union_all(geoms[members])
        joined[g] = _SEPARATOR.join(base_ids[members])
    original = np.asarray(layer.geometry.to_numpy(), dtype=object)
    original_area = shapely.area(original)
    kept = np.zeros(len(ids))
    drawn = ~pd.isna(shapes)
    if drawn.any():
        kept[drawn] = shapely.area(shapely.intersection(original[drawn], shapes[drawn]))
    frame = pd.DataFrame(
        {
            "grid_id": pd.Series(ids, dtype=object),
            "base_ids": pd.Series(joined, dtype=object),
            "area": np.where(drawn, shapely.area(shapes), 0.0),
            "original_area": original_area,
            "kept_share": np.divide(
                kept, original_area, out=np.zeros(len(ids)), where=original_area > 0
            ),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=shapes, crs=layer.crs)


# ---------------------------------------------------------------------------
# agreement


def _cell_edges(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every boundary segment of the cells: (cell, cell on the other side or -1, length).

    Segments shared by two cells are found by their coordinates (the same two
    end points, in opposite directions); the others (T-junctions,
    floating-point noise) by a probe point pushed ``_PROBE`` off the middle
    of the segment, outwards.
    """
    parts, cell = shapely.get_parts(geoms, return_index=True)
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    start = np.flatnonzero(ring_of[1:] == ring_of[:-1])
    x0, y0 = coords[start, 0], coords[start, 1]
    x1, y1 = coords[start + 1, 0], coords[start + 1, 1]
    owner = cell[ring_part[ring_of[start]]]
    length = np.hypot(x1 - x0, y1 - y0)
    real = length > 0
    x0, y0, x1, y1, owner, length = (a[real] for a in (x0, y0, x1, y1, owner, length))
    # the same segment seen from both sides: equal once its end points are ordered
    swap = (x0 > x1) | ((x0 == x1) & (y0 > y1))
    ax, ay = np.where(swap, x1, x0), np.where(swap, y1, y0)
    bx, by = np.where(swap, x0, x1), np.where(swap, y0, y1)
    key = np.zeros(len(owner), dtype=np.uint64)
    for values, factor in ((ax, 1), (ay, 3), (bx, 5), (by, 7)):
        key = key * np.uint64(1_000_003) + pd.util.hash_array(values) * np.uint64(factor)
    order = np.argsort(key, kind="stable")
    k, o = key[order], order
    equal_next = (k[1:] == k[:-1]) & (ax[o[1:]] == ax[o[:-1]]) & (ay[o[1:]] == ay[o[:-1]])
    equal_next &= (bx[o[1:]] == bx[o[:-1]]) & (by[o[1:]] == by[o[:-1]])
    equal_next &= swap[o[1:]] != swap[o[:-1]]
    before = np.concatenate([[False], equal_next[:-1]])
    after = np.concatenate([equal_next[1:], [False]])
    pair = np.flatnonzero(equal_next & ~before & ~after)
    other = np.full(len(owner), -2, dtype=np.int64)
    other[o[pair]] = owner[o[pair + 1]]
    other[o[pair + 1]] = owner[o[pair]]
    probe = np.flatnonzero(other == -2)
    if len(probe):
        dx = (x1[probe] - x0[probe]) / length[probe]
        dy = (y1[probe] - y0[probe]) / length[probe]
        px = (x0[probe] + x1[probe]) / 2 + _PROBE * dy
        py = (y0[probe] + y1[probe]) / 2 - _PROBE * dx
        tree = shapely.STRtree(geoms)
        pi, ci = tree.query(shapely.points(px, py), predicate="intersects")
        keep = ci != owner[probe[pi]]
        pi, ci = pi[keep], ci[keep]
        found = np.full(len(probe), -1, dtype=np.int64)
        if len(pi):
            first = np.lexsort((ci, pi))
            lead = np.concatenate([[True], pi[first][1:] != pi[first][:-1]])
            found[pi[first][lead]] = ci[first][lead]
        other[probe] = found
    return owner, other, length


def _agreement(one: OneNetwork) -> pd.DataFrame:
    columns = [
        "network_a", "network_b", "boundary_a", "boundary_b", "coincident",
        "boundary_share", "nested_share", "agreement",
    ]  # fmt: skip
    names = list(one.networks)
    if len(names) < 2:
        return pd.DataFrame(
            {c: pd.Series(dtype=object if c.startswith("network") else float) for c in columns}
        )
    state = one._state
    labels = state.cells.labels
    area = state.cells.area
    owner, other, length = _cell_edges(state.cells.geoms)
    weight = np.where(other >= 0, 0.5, 1.0) * length
    outside = np.full((1, labels.shape[1]), -1, dtype=np.int64)
    across = np.concatenate([labels, outside])[np.where(other >= 0, other, len(labels))]
    changes = labels[owner] != across
    rows = []
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            b = names[j]
            length_a = float(weight[changes[:, i]].sum())
            length_b = float(weight[changes[:, j]].sum())
            both = float(weight[changes[:, i] & changes[:, j]].sum())
            shorter = min(length_a, length_b)
            boundary_share = min(both / shorter, 1.0) if shorter > 0 else 1.0
            la, lb = labels[:, i], labels[:, j]
            in_pair = np.zeros(len(labels), dtype=bool)
            for mine, theirs, rel in (
                (la, lb, state.relations[(i, j)]),
                (lb, la, state.relations[(j, i)]),
            ):
                inside = (rel.relation == "equal") | (rel.relation == "nested")
                has = (mine >= 0) & (theirs >= 0)
                at = np.where(has, mine, 0)
                in_pair |= has & inside[at] & (rel.largest[at] == theirs)
            covered = (la >= 0) | (lb >= 0)
            total = float(area[covered].sum())
            nested_share = min(float(area[in_pair].sum()) / total, 1.0) if total > 0 else 1.0
            rows.append(
                {
                    "network_a": a,
                    "network_b": b,
                    "boundary_a": length_a,
                    "boundary_b": length_b,
                    "coincident": both,
                    "boundary_share": boundary_share,
                    "nested_share": nested_share,
                    "agreement": (boundary_share + nested_share) / 2.0,
                }
            )
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------
# unify


def _assign(households: gpd.GeoDataFrame, networks: list[_Network]) -> pd.DataFrame:
    from gridgov.assign import assign

    return assign(households, {net.name: net.frame for net in networks})


def unify(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    base: str | None = None,
    tolerance: float = 1.0,
    share_tolerance: float = 0.05,
    straddle_share: float = 0.25,
    households: gpd.GeoDataFrame | None = None,
    id_column: str = "grid_id",
    progress: bool = False,
) -> OneNetwork:
    """Lay several grid networks on one another and propose one network (多网合一).

    The **cells** are the common refinement of the layers: the polygons cut by
    every grid boundary of every network, each carrying one grid id per
    network (null where the network does not cover it), dissolved so that each
    combination of ids is one cell.  The cells do not overlap, their total area
    is the area of the union of the layers, and -- but for absorbed slivers --
    the cells of a grid add up to the grid.

    **Slivers.**  Boundaries that should coincide but were digitised apart
    leave thin faces between them.  A face is a sliver when it is thinner than
    `tolerance` everywhere: an inward buffer of ``tolerance / 2`` empties it
    (its largest inscribed circle is narrower than `tolerance`).  A sliver is
    absorbed into the neighbouring face with which it shares the longest
    boundary (ties: the neighbour whose ids sort first), chains of slivers
    included; the absorbed area takes the ids of that neighbour.  This is the
    only place where ids of an area change, and total area is still conserved.
    Slivers that make up the whole of a grid are kept (absorbing them would
    erase the grid).  :attr:`OneNetwork.slivers` lists every absorbed face.

    **Overlaps inside one network** are resolved first: the grid with the
    smaller id keeps the overlapping area (the rule of
    ``gg.assign(on_boundary="smallest_id")``), so every cell carries exactly
    one id per network; :attr:`OneNetwork.overlaps` lists them.

    **Relations.**  For a grid *g* of one network and another network, with
    *s* = `share_tolerance`, *t* = `straddle_share` and shares taken of the
    areas in the cells, *g* is, in this order of precedence:

    - ``uncovered`` when less than *s* of it is covered by the other network;
    - ``equal`` to a grid *h* holding at least 1 - *s* of it and at least
      1 - *s* of which lies in *g*; ``nested`` in *h* when only the first
      holds;
    - ``contains`` when every *partner* -- a grid of the other network holding
      at least *s* of *g*, or at least *s* of which lies in *g* -- lies in *g*
      for at least 1 - *s* of its area (*g* is a union of whole grids);
    - ``partial`` when it has a single partner, which is not inside it, and
      at least *s* of it is covered by no grid;
    - ``similar`` when one grid holds at least 1 - *t* of it (the rest spills
      over into other grids);
    - ``straddles`` otherwise: it is split across several grids whose
      boundaries cut it, none holding 1 - *t* of it.

    **Conflicts** are reported for the grids of every other network against
    the base network, which the unified layer is aligned on (principle
    ``boundary``, severity ``warning``, extra columns ``network``,
    ``other_network``, ``other_id``):

    - ``boundary.straddles_network``: a grid that ``straddles`` the base
      network; value its largest share in one base grid, limit 1 - *t*;
      ``other_id`` the base grids holding at least *s* of it (sorted);
      geometry the part of the grid outside its largest base grid (slivers
      dropped).
    - ``boundary.unmatched_grid``: more than *s* of a grid is covered by no
      grid of the base network -- or, for a base grid (``network`` the
      base), by no grid of the other network; value the uncovered share,
      limit *s*; geometry the uncovered cells.
    - ``boundary.boundary_mismatch``: a grid and its *counterpart* -- the base
      grid sharing most area with it, when that area is at least 1 - *t* of
      both, so the two are meant to be one grid -- that are not ``equal``, and
      whose boundaries part: the grid's boundary lies farther than
      `tolerance` from the counterpart's over a length greater than
      `tolerance`; or a ``similar`` grid without counterpart (mostly inside a
      much larger base grid) whose boundary runs outside that grid, farther
      than `tolerance`, over such a length.  Parts running along a grid of the
      same network that straddles the base network are left out (that cut is
      the straddle).
      Value that length (m), limit `tolerance`, ``other_id`` the
      counterpart, extra column ``distance`` the largest distance (m) from
      the counterpart's boundary; geometry those boundary lines.

    **Unified layer.**  The base network (default: the one with the most
    grids, ties by the order of `layers`) keeps its grids and geometry; each
    base grid carries, for every other network, the grid holding the largest
    share of its area (ties: the smaller id), so each grid of another network
    is redrawn as the union of the base grids that lie mostly in it
    (:meth:`OneNetwork.redrawn`).  The geometry being the base geometry, the
    unified layer passes the coverage rules of :func:`gridgov.check` whenever
    the base layer does.

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        ``{network: grid layer}``, all in one projected CRS in metres.  The
        order of the dict is the order of the networks in the results.
        Geometry must be valid.
    base : str, optional
        The network the unified layer is aligned on.
    tolerance : float, default 1.0
        Digitising noise, in metres: faces thinner than this are slivers,
        and boundaries closer than this coincide.  ``0`` keeps every face.
    share_tolerance : float, default 0.05
        A fraction of a grid's area, in [0, 0.5): shares below it are noise,
        shares of at least ``1 - share_tolerance`` are whole (see Relations).
    straddle_share : float, default 0.25
        A fraction of a grid's area, in [`share_tolerance`, 0.5): a grid with
        at least ``1 - straddle_share`` of its area in one grid of the other
        network is ``similar`` to it (a boundary mismatch at most), with less
        it ``straddles`` (see Relations and Conflicts).
    households : GeoDataFrame, optional
        Household points (``household_id``).  Assigned to one grid of each
        network with :func:`gridgov.assign` (defaults), they add
        ``shared_households`` to the crosswalk and ``households`` to the
        unified layer.
    id_column : str, default "grid_id"
        Grid id column of every layer (results always call it ``grid_id``).
    progress : bool, default False
        Show a progress bar over the steps.

    Returns
    -------
    OneNetwork
        ``cells``, ``crosswalk``, ``relations``, ``conflicts``, ``unified``,
        ``slivers``, ``overlaps``; ``agreement()``, ``redrawn()``,
        ``summary()``, ``plot()``, ``to_file()``.

    Raises
    ------
    CRSError
        When the layers (and households) are not in one projected CRS in metres.
    LayerError
        When a layer is not a valid grid layer (duplicated ids, invalid
        polygons) or a network name collides with a result column.
    ValueError
        When `base` is not a network or an option is out of range.

    See Also
    --------
    gridgov.compare : matches two editions of the same network.
    gridgov.check : the rules a single layer is checked against.

    Examples
    --------
    A governance network of four grids and a party network of two whose
    common boundary was digitised 0.4 m off:

    >>> import geopandas as gpd
    >>> from shapely import box
    >>> governance = gpd.GeoDataFrame({"grid_id": ["G1", "G2", "G3", "G4"]}, geometry=[
    ...     box(0, 0, 100, 100), box(100, 0, 200, 100),
    ...     box(0, 100, 100, 200), box(100, 100, 200, 200)], crs=4549)
    >>> party = gpd.GeoDataFrame({"grid_id": ["P1", "P2"]}, geometry=[
    ...     box(0, 0, 200, 100.4), box(0, 100.4, 200, 200)], crs=4549)
    >>> one = unify({"governance": governance, "party": party})
    >>> one.cells[["governance", "party", "area"]]
      governance party     area
    0         G1    P1  10040.0
    1         G2    P1  10040.0
    2         G3    P2   9960.0
    3         G4    P2   9960.0

    The two strips 0.4 m wide were absorbed (each shares 100 m with the cells
    on both sides; the tie goes to the ids that sort first):

    >>> one.slivers[["governance", "party", "area", "cell_id"]]
      governance party  area  cell_id
    0         G3    P1  40.0        0
    1         G4    P1  40.0        1
    >>> one.relations[["network", "grid_id", "relation", "other_ids"]]
          network grid_id  relation other_ids
    0  governance      G1    nested        P1
    1  governance      G2    nested        P1
    2  governance      G3    nested        P2
    3  governance      G4    nested        P2
    4       party      P1  contains    G1, G2
    5       party      P2  contains    G3, G4
    >>> len(one.conflicts), one.agreement()["agreement"].item()
    (0, 1.0)
    >>> one.unified[["grid_id", "party", "party_share"]]
      grid_id party  party_share
    0      G1    P1          1.0
    1      G2    P1          1.0
    2      G3    P2          1.0
    3      G4    P2          1.0
    """
    _check_options(tolerance, share_tolerance, straddle_share)
    names = _check_names(layers)
    if base is not None and base not in names:
        msg = f"base {base!r} is not one of the networks ({', '.join(names)})"
        raise ValueError(msg)
    crs = require_metric({**{name: layers[name] for name in names}, "households": households})
    tolerance = float(tolerance)
    share_tolerance = float(share_tolerance)
    steps = len(names) * 2 + 3 + (households is not None)
    with tqdm(total=steps, disable=not progress, unit="step", desc="unify") as bar:
        networks: list[_Network] = []
        for name in names:
            bar.set_postfix_str(f"validate {name}")
            networks.append(_prepare(name, layers[name], id_column))
            bar.update(1)
        sizes = [len(net.ids) for net in networks]
        # the finest network first, then the coarsest: faces are then most often
        # covered whole by a grid, which saves an intersection
        by_size = sorted(range(len(networks)), key=lambda j: (-sizes[j], j))
        order = by_size[:1] + sorted(by_size[1:], key=lambda j: (sizes[j], j))
        base_default = by_size[0]
        base_index = base_default if base is None else names.index(base)
        bar.set_postfix_str("refine")
        if len(networks) == 1:
            _resolve(networks[0], np.arange(sizes[0]))
        for _attempt in range(len(networks) + 1):
            faces, labels, suspects = _refine(networks, order, bar)
            changed = [_resolve(networks[j], grids) for j, grids in suspects.items()]
            if not any(changed):
                break
            bar.total += len(networks)
        bar.set_postfix_str("slivers and cells")
        cells = _build_cells(faces, labels, networks, tolerance, crs)
        bar.update(1)
        areas = [_grid_areas(cells, j, size) for j, size in enumerate(sizes)]
        assigned = None
        if households is not None:
            bar.set_postfix_str("households")
            assigned = _assign(households, networks)
            bar.update(1)
        bar.set_postfix_str("tables")
        crosswalk = _crosswalk(networks, cells, areas, assigned)
        relation_list = [
            _relation(
                networks,
                cells,
                areas,
                i,
                j,
                share_tolerance=share_tolerance,
                straddle_share=straddle_share,
            )
            for i in range(len(networks))
            for j in range(len(networks))
            if i != j
        ]
        relations = _relations_frame(networks, relation_list, areas)
        bar.update(1)
        by_pair = {(rel.network, rel.other): rel for rel in relation_list}
        unified = _unified(networks, base_index, by_pair, assigned)
        bar.update(1)
    overlaps = _overlaps_frame(networks, crs)
    return OneNetwork(
        cells=_cells_frame(cells, networks, crs),
        crosswalk=crosswalk,
        relations=relations,
        unified=unified,
        slivers=cells.slivers,
        overlaps=overlaps,
        networks=tuple(names),
        base=names[base_index],
        tolerance=tolerance,
        share_tolerance=share_tolerance,
        straddle_share=straddle_share,
        _layers={net.name: net.frame for net in networks},
        _state=_State(networks, cells, by_pair, areas, base_index),
    )
