"""Propose the next edition of a grid network: split overloaded grids, merge underloaded ones.

:func:`propose` redesigns only the grids whose household load breaks the scale
bounds of the rules (规模适度) and keeps every other grid, id and geometry,
as it is: 动态调整 is an adjustment, not a redraw.

Method
------
A grid is redesigned on the graph of its *atoms*, the pieces no new boundary
may cut: the `units` clipped to the grid (building blocks, compounds), else the
faces the `roads` cut it into, else the grid itself — each refined into a
Voronoi tessellation around its buildings (or household locations), so that a
building always lies whole in one atom.  Atoms are nodes weighted by their
households; edges join atoms that share a boundary of positive length (rook
contiguity: a connected set of atoms unites into one polygon).

*Split* (load above the upper bound): a balanced contiguous partition of the
atom graph into the smallest number ``k`` of parts whose loads can all lie
within bounds (``k`` grows by at most :data:`EXTRA_PARTS` while no partition
is found).  Parts are bitten off one at a time, each the candidate piece
closest to the remaining mean load whose remainder can still make feasible
parts — gerrychain's recursive tree partition (``recursive_tree_part`` /
``bipartition_tree``).  Candidate pieces come from straight sweeps at
:data:`SWEEP_ANGLES` (atoms ordered along a direction: short, straight cuts)
and from random spanning trees (Kruskal on seeded random weights, edges between
units or road faces weighted above all edges inside one, so the tree crosses
their boundaries as rarely as the graph allows; both sides of a tree edge are
connected).  Of :data:`ATTEMPTS` seeded attempts the partition kept cuts
through the fewest units/road faces, then has all loads within
:data:`BALANCE_TOLERANCE` of the mean, then the shortest cut, then the smallest
deviation.  Every part is checked with :func:`networkx.is_connected` and must
unite into one polygon.

spopt's SKATER, max-p and AZP were considered: they optimise the homogeneity
of attributes by pruning a minimum spanning tree or by local search, with
heuristic stopping; here the objective is a household count between bounds
with even loads, which the tree bipartition targets directly, exactly about
contiguity and with a hard bound on the work: at most ``ATTEMPTS × (k - 1)``
candidate sets per number of parts.

*Merge* (load below the lower bound): greedy on the adjacency graph of the
grids weighted by shared boundary length: an underloaded grid absorbs the
adjacent grid of the same parent and kind that brings it within bounds (else
the one that brings it closest without passing the upper bound), the longest
shared boundary first, then the smallest resulting load.

*Recombine* (what is still out of bounds): the grid and one or two adjacent
grids of the same parent and kind (:data:`NEIGHBOURS` longest shared
boundaries first) are redrawn together into as many grids as they were, or as
few as fit — a step of gerrychain's ReCom — with their old boundaries counted
like unit boundaries, so that they are kept where possible.  A redrawn grid
that is mostly one old grid keeps its id.  Grids that none of this fixes are
left unchanged and reported as ``infeasible: ...`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm import tqdm

from gridgov._core.gpkg import write_layers
from gridgov._core.html import figure_html, page, pre, table_html, write_html
from gridgov._core.layerinfo import layer_info
from gridgov.atoms import MAX_ATOMS, MIN_BLOCK_SHARE
from gridgov.changes import Changes, changed_rows
from gridgov.check import check
from gridgov.compare import compare_prepared, owners
from gridgov.crs import require_metric
from gridgov.errors import OptionError
from gridgov.layers import validate_layer
from gridgov.partition import BALANCE_TOLERANCE, SWEEP_ANGLES
from gridgov.propose._grids import (
    Context,
    Grid,
    Ids,
    Log,
    household_bounds,
    parents_of,
    sorted_geometries,
    unit_geometries,
)
from gridgov.propose._merge import NEIGHBOURS, plan_merges, plan_recombinations
from gridgov.propose._split import EXTRA_PARTS, plan_splits
from gridgov.rules import RuleSet

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.figure import Figure

    from gridgov.findings import Findings

__all__ = [
    "ATTEMPTS",
    "BALANCE_TOLERANCE",
    "EXTRA_PARTS",
    "MAX_ATOMS",
    "MIN_BLOCK_SHARE",
    "NEIGHBOURS",
    "SWEEP_ANGLES",
    "Plan",
    "propose",
]

#: How many seeded spanning-tree attempts a split makes for each number of parts.
ATTEMPTS = 24


@dataclass(frozen=True)
class Plan:
    """A proposed next edition of a grid network and why it looks as it does.

    Attributes
    ----------
    layer : GeoDataFrame
        The new edition: kept grids unchanged (same row values), new grids
        with new ids (next free sequence numbers of their community).
    changes : Changes
        :func:`gridgov.compare` of the input layer and the new edition, with
        column ``reason`` saying why each grid was split, merged or reshaped,
        and ``infeasible: ...`` on grids out of bounds that could not be fixed.
    findings : Findings
        :func:`gridgov.check` of the new edition.
    """

    layer: gpd.GeoDataFrame
    changes: Changes
    findings: Findings

    def summary(self) -> str:
        """Return a text report of the plan: what changed and why, then what is left.

        Returns
        -------
        str
        """
        changes = self.changes
        explained = changes[changes["reason"].notna()]
        infeasible = explained["reason"].str.startswith("infeasible")
        counts = explained.loc[~infeasible, "change"].value_counts()
        done = ", ".join(f"{count} {name}" for name, count in counts.items()) or "no change"
        lines = [
            (
                f"plan: {len(changes.before)} grids -> {len(self.layer)} grids; {done}; "
                f"{int(infeasible.sum())} infeasible"
            )
        ]
        for row in explained.itertuples(index=False):
            old = row.old_ids if isinstance(row.old_ids, str) else "(none)"
            new = row.new_ids if isinstance(row.new_ids, str) else "(none)"
            target = "" if row.change == "unchanged" else f" -> {new}"
            lines.append(f"  {row.change:<10} {old}{target}: {row.reason}")
        findings = self.findings
        errors = findings["severity"] == "error"
        scale = int((errors & (findings["principle"] == "scale")).sum())
        lines.append(
            f"check of the new edition: {len(findings)} findings, {int(errors.sum())} errors "
            f"({scale} of scale)"
        )
        return "\n".join(lines)

    def plot(self, *, figsize: tuple[float, float] = (12.0, 6.0)) -> Figure:
        """Draw the current and the proposed edition side by side (see :meth:`Changes.plot`).

        Parameters
        ----------
        figsize : tuple of float, default (12, 6)
            Figure size in inches.

        Returns
        -------
        matplotlib.figure.Figure
        """
        return self.changes.plot(figsize=figsize)

    def to_html(self, path: str | Path | None = None, *, title: str = "gridgov plan") -> str:
        """Write a self-contained HTML report: summary, map, changes and findings.

        Parameters
        ----------
        path : path-like, optional
            Where to write the report (atomically: a failed write leaves no
            file); when omitted only the HTML is returned.
        title : str, default "gridgov plan"
            Title of the page.

        Returns
        -------
        str
            The HTML document.
        """
        sections = [
            ("Summary", pre(self.summary())),
            ("Current and proposed edition", figure_html(self.plot())),
            ("Changes", table_html(changed_rows(self.changes))),
        ]
        findings = self.findings
        if len(findings):
            table = pd.DataFrame(findings).drop(columns=findings.geometry.name)
            sections.append(("Findings on the new edition", table_html(table)))
        document = page(title, sections, lang="zh")
        if path is not None:
            write_html(path, document)
        return document

    def to_file(self, filename: str | Path, **kwargs: Any) -> None:
        """Write the plan to one GeoPackage.

        Layers: ``next_edition`` (the new layer), ``findings`` (when there are
        any) and those of :meth:`Changes.to_file` (``changes``, ``before``,
        ``after``, ``links``, ``flows``, ``loads``).

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
        layers: dict[str, pd.DataFrame] = {"next_edition": self.layer}
        findings = gpd.GeoDataFrame(self.findings)
        if len(findings):
            layers["findings"] = findings
        layers.update(self.changes.layers())
        write_layers(filename, layers, what="plans", **kwargs)


# ---------------------------------------------------------------------------
# the public function


def propose(
    layer: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
    *,
    rules: RuleSet | None = None,
    parents: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    jurisdiction: gpd.GeoDataFrame | None = None,
    seed: int = 0,
    attempts: int = ATTEMPTS,
    id_column: str = "grid_id",
    progress: bool = False,
) -> Plan:
    """Propose the next edition of a grid layer: every grid within its household bounds.

    Grids above the upper bound of their kind are split into the smallest
    number of contiguous parts within bounds, as even as possible, along the
    `units` (or the `roads`) and never through a building; grids below the
    lower bound are merged with adjacent grids of the same parent and kind
    (longest shared boundary first, then the smallest resulting load) while
    the result stays within bounds.  What neither fixes is fixed by moving a
    contiguous piece between two adjacent grids of the same parent, or left
    unchanged and reported as infeasible.  Every other grid keeps its id and
    geometry; new grids take the next free sequence numbers of their
    community (``parent_id`` + 3 digits).  Parts of a split partition the
    grid and merges are unions, so area and households are conserved.  See
    the module documentation for the method.

    Parameters
    ----------
    layer : GeoDataFrame
        The current edition (a grid layer) in a projected CRS in metres, with
        valid geometry.  Optional columns ``kind`` (bounds per kind) and
        ``parent_id`` (community code).
    households : GeoDataFrame
        Household points; loads are counted with :func:`gridgov.assign`.
    rules : RuleSet, optional
        Household bounds per grid kind (default ``RuleSet()``, urban).
    parents : GeoDataFrame, optional
        Parent units (``unit_id``) for grids without ``parent_id``; checked in
        the findings (``boundary.crosses_parent``).
    units : GeoDataFrame, optional
        Polygons grids are made of (building blocks, compounds, tessellation
        cells): splits follow their boundaries where bounds allow.
    roads : GeoDataFrame, optional
        Lines splits follow where no `units` are given.
    buildings : GeoDataFrame, optional
        Building footprints (or points): never split between grids.
    jurisdiction : GeoDataFrame, optional
        Passed to :func:`gridgov.check` for the coverage findings.
    seed : int, default 0
        Seed of the random spanning trees; the same seed gives the same plan.
    attempts : int, default 24
        Spanning-tree attempts per split (bounds the running time).
    id_column : str, default "grid_id"
        Grid id column.
    progress : bool, default False
        Show a progress bar over the grids being redesigned.

    Returns
    -------
    Plan
        ``layer`` (the new edition, sorted by id), ``changes`` (with the
        reasons) and ``findings`` (``gg.check`` of the new edition).

    Raises
    ------
    CRSError
        When the layers are not in one projected CRS in metres.
    LayerError
        When a layer does not fit the data model.  Invalid polygons are no
        error: those grids are left unchanged (and reported when out of bounds).

    See Also
    --------
    gridgov.compare : the changes between two editions.
    gridgov.check : the findings a plan fixes.

    Examples
    --------
    >>> import geopandas as gpd
    >>> import numpy as np
    >>> from shapely import box, points
    >>> grids = gpd.GeoDataFrame(
    ...     {"grid_id": ["320102001001001", "320102001001002"], "parent_id": "320102001001"},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=4549)
    >>> xy = np.random.default_rng(1).uniform(1, 99, (700, 2))
    >>> households = gpd.GeoDataFrame({"household_id": range(1100)}, crs=4549,
    ...     geometry=points(np.r_[xy, xy[:400] + [100, 0]]))
    >>> plan = propose(grids, households, seed=0)
    >>> plan.layer["grid_id"].tolist()
    ['320102001001002', '320102001001003', '320102001001004']
    >>> plan.changes[["change", "old_ids", "new_ids"]]
          change          old_ids                           new_ids
    0      split  320102001001001  320102001001003, 320102001001004
    1  unchanged  320102001001002                   320102001001002
    """
    rules = RuleSet() if rules is None else rules
    if attempts < 1:
        msg = f"attempts must be a positive number of spanning trees, got {attempts!r}"
        raise OptionError(msg)
    require_metric(
        {
            "grids": layer,
            "households": households,
            "parents": parents,
            "units": units,
            "roads": roads,
            "buildings": buildings,
            "jurisdiction": jurisdiction,
        }
    )
    grids = validate_layer(layer, kind="grids", id_column=id_column, name="grids")
    info = layer_info(grids)
    invalid = set(info.invalid_ids or ()) if info is not None else set()
    grids = grids.iloc[np.argsort(grids[id_column].to_numpy(dtype=str), kind="stable")]
    grids = grids.reset_index(drop=True)
    households = validate_layer(households, kind="households", allow_empty=True)
    if parents is not None:
        parents = validate_layer(parents, kind="jurisdiction", name="parents")
    owner = owners(households, grids, id_column=id_column)
    ids_in = grids[id_column].to_numpy(dtype=object)
    loads = pd.Series(owner).value_counts().reindex(ids_in, fill_value=0).to_numpy()
    kinds = (
        grids["kind"].fillna("comprehensive").to_numpy(dtype=object)
        if "kind" in grids.columns
        else np.full(len(grids), "comprehensive", dtype=object)
    )
    parent_of = parents_of(grids, parents)
    current = []
    for row, grid_id in enumerate(ids_in):
        low, high = household_bounds(rules, str(kinds[row]))
        current.append(
            Grid(
                str(grid_id),
                grids.geometry.iloc[row],
                int(loads[row]),
                parent_of[row],
                str(kinds[row]),
                low,
                high,
                row,
                (str(grid_id),),
                frozen="its geometry is invalid (boundary.invalid_geometry): repair it first"
                if str(grid_id) in invalid
                else None,
            )
        )
    context = Context(
        points=households.geometry.to_numpy(),
        owner=owner,
        units=unit_geometries(units),
        roads=sorted_geometries(roads, kind="roads", name="roads"),
        buildings=sorted_geometries(buildings, kind="buildings", name="buildings"),
        attempts=attempts,
        seed=seed,
        sliver_width=rules.sliver_width if rules.enabled("boundary.sliver") else 0.0,
        min_sliver_area=rules.min_sliver_area,
    )
    ids = Ids(str(i) for i in ids_in)
    log = Log()
    out_of_bounds = sum(not grid.low <= grid.load <= grid.high for grid in current)
    with tqdm(total=out_of_bounds, disable=not progress, desc="propose", unit="grid") as bar:
        current = plan_splits(current, context, ids, log, bar)
        current = plan_merges(current, context, ids, log)
        current = plan_recombinations(current, context, ids, log)
        bar.update(bar.total - bar.n)
    new_layer = _assemble(grids, current, id_column=id_column)
    changes = compare_prepared(
        grids, new_layer, households, share_tolerance=0.01, id_column=id_column
    )
    _explain(changes, current, log)
    findings = check(
        new_layer.rename(columns={id_column: "grid_id"}) if id_column != "grid_id" else new_layer,
        jurisdiction=jurisdiction,
        households=households,
        buildings=buildings,
        parents=parents,
        features=roads,
        rules=rules,
    )
    return Plan(layer=new_layer, changes=changes, findings=findings)


def _assemble(grids: gpd.GeoDataFrame, current: list[Grid], *, id_column: str) -> gpd.GeoDataFrame:
    """Build the new edition: kept rows as they were, new and reshaped rows from a source row."""
    kept_ids = {grid.grid_id for grid in current if grid.status == "kept"}
    kept = grids[grids[id_column].isin(kept_ids)]
    changed = [grid for grid in current if grid.status != "kept"]
    rows = grids.iloc[[grid.row for grid in changed]].copy()
    rows[id_column] = [grid.grid_id for grid in changed]
    rows = rows.set_geometry(
        gpd.GeoSeries([grid.geometry for grid in changed], index=rows.index, crs=grids.crs),
    )
    new = [grid.status == "new" for grid in changed]
    for column in ("name", "valid_from", "valid_to"):
        if column in rows.columns:
            rows[column] = rows[column].where(~np.asarray(new, dtype=bool))
    if "households" in rows.columns:
        rows["households"] = [grid.load for grid in changed]
    out = pd.concat([kept, rows], ignore_index=True)
    out = out.iloc[np.argsort(out[id_column].to_numpy(dtype=str), kind="stable")]
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry=grids.geometry.name, crs=grids.crs)


def _explain(changes: Changes, current: list[Grid], log: Log) -> None:
    """Write the reasons into ``changes.reason``, with the loads the new edition really has."""
    after = changes.loads["after"] if changes.loads is not None else None
    unfixed = {
        grid.grid_id: grid
        for grid in current
        if grid.status == "kept" and not grid.low <= grid.load <= grid.high
    }
    reasons: list[str | None] = []
    for row in changes.itertuples(index=False):
        old = row.old_ids.split(", ") if isinstance(row.old_ids, str) else []
        new = row.new_ids.split(", ") if isinstance(row.new_ids, str) else []
        if row.change == "unchanged" and old[0] in unfixed:
            grid = unfixed[old[0]]
            why = log.failures.get(old[0], "no fix found")
            tail = "" if grid.frozen else "; nor can it be redrawn with its neighbours"
            reasons.append(f"infeasible: {grid.frozen or why}{tail}")
            continue
        texts = list(dict.fromkeys(text for grid_id in old for text in log.notes.get(grid_id, [])))
        if row.change == "unchanged" or not texts:
            reasons.append(None)
            continue
        text = "; then ".join(texts)
        if after is not None and new:
            text += " -> " + ", ".join(f"{after[grid_id]:,}" for grid_id in new)
        reasons.append(text)
    changes["reason"] = pd.Series(reasons, index=changes.index, dtype="str")
