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

import math
import re
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from tqdm import tqdm

from gridgov.atoms import MAX_ATOMS, MIN_BLOCK_SHARE, Atoms, make_atoms
from gridgov.check import check
from gridgov.compare import (
    Changes,
    _changed_rows,
    _compare,
    _figure_html,
    _owners,
    _page,
    _pre,
    _table_html,
    _write,
)
from gridgov.crs import require_metric
from gridgov.errors import GridgovError, LayerError
from gridgov.graph import (
    BALANCE_TOLERANCE,
    SWEEP_ANGLES,
    PartitionGraph,
    adjacency,
    balanced_partition,
)
from gridgov.layers import validate_layer
from gridgov.rules import RuleSet
from gridgov.rules._base import buffer_difference

if TYPE_CHECKING:
    from collections.abc import Iterable
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
#: How many parts beyond the smallest feasible number a split may try.
EXTRA_PARTS = 2
#: How many neighbours (longest shared boundary first) a recombination considers.
NEIGHBOURS = 4
_SNAP = 0.01  # metres: neighbouring grids closer than this share a boundary
_PRECISION = 0.001  # metres: grid of the fallback overlay when GEOS fails at full precision
_CODE = re.compile(r"^\d{15}$")
_COMMUNITY = re.compile(r"^\d{12}$")


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
            Where to write the report; when omitted only the HTML is returned.
        title : str, default "gridgov plan"
            Title of the page.

        Returns
        -------
        str
            The HTML document.
        """
        sections = [
            ("Summary", _pre(self.summary())),
            ("Current and proposed edition", _figure_html(self.plot())),
            ("Changes", _table_html(_changed_rows(self.changes))),
        ]
        findings = self.findings
        if len(findings):
            table = pd.DataFrame(findings).drop(columns=findings.geometry.name)
            sections.append(("Findings on the new edition", _table_html(table)))
        return _page(title, sections, path)

    def to_file(self, filename: str | Path, **kwargs: Any) -> None:
        """Write the plan to one GeoPackage.

        Layers: ``next_edition`` (the new layer), ``findings`` (when there are
        any) and those of :meth:`Changes.to_file` (``changes``, ``before``,
        ``after``, ``links``, ``flows``, ``loads``).

        Parameters
        ----------
        filename : str or Path
            Path of the GeoPackage (``.gpkg``).
        **kwargs
            Passed to :meth:`geopandas.GeoDataFrame.to_file`.
        """
        _write(self.layer, filename, layer="next_edition", **kwargs)
        findings = gpd.GeoDataFrame(self.findings)
        if len(findings):
            _write(findings, filename, layer="findings", **kwargs)
        self.changes.to_file(filename, **kwargs)


# ---------------------------------------------------------------------------
# the grids being redesigned


@dataclass
class _Grid:
    grid_id: str
    geometry: Any
    load: int
    parent: str | None
    kind: str
    low: float
    high: float
    row: int  # position of the input row the grid inherits its attributes from
    sources: tuple[str, ...]  # the input grids it is made of
    status: str = "kept"  # kept | new | reshaped
    frozen: str | None = None  # why it cannot be redesigned (invalid geometry)

    def derive(
        self, grid_id: str, geometry: Any, load: int, *, sources: list[_Grid] | None = None
    ) -> _Grid:
        """Return a grid made from this one (and `sources`): same parent, kind, bounds, row."""
        made_of = sorted({s for grid in (sources or [self]) for s in grid.sources})
        status = "reshaped" if grid_id == self.grid_id and self.status != "new" else "new"
        return _Grid(
            grid_id, geometry, load, self.parent, self.kind, self.low, self.high, self.row,
            tuple(made_of), status,
        )  # fmt: skip


@dataclass
class _Context:
    points: np.ndarray  # household points
    owner: np.ndarray  # grid id of each household in the input layer (None: uncovered)
    units: np.ndarray | None
    roads: np.ndarray | None
    buildings: np.ndarray | None
    attempts: int
    seed: int
    sliver_width: float = 0.0  # thin parts a cut must not leave (RuleSet.sliver_width)
    min_sliver_area: float = 0.0
    cache: dict[str, Atoms] = field(default_factory=dict)

    def atoms(self, grid: _Grid) -> Atoms:
        if grid.grid_id not in self.cache:
            points = self.points[self.owner == grid.grid_id]
            self.cache[grid.grid_id] = make_atoms(
                grid.geometry, points, units=self.units, roads=self.roads, buildings=self.buildings
            )
        return self.cache[grid.grid_id]

    def redraw(self, old: list[_Grid], new: list[_Grid]) -> None:
        """Hand the households of the `old` grids to the `new` ones that cover them."""
        mask = np.isin(self.owner, [grid.grid_id for grid in old])
        for grid in old:
            self.cache.pop(grid.grid_id, None)
        geoms = np.array([grid.geometry for grid in new], dtype=object)
        ids = np.array([grid.grid_id for grid in new], dtype=object)
        point, hit = shapely.STRtree(geoms).query(self.points[mask], predicate="intersects")
        order = np.lexsort((ids[hit].astype(str), point))
        first = np.r_[True, point[order][1:] != point[order][:-1]] if len(order) else order > 0
        owner = np.full(int(mask.sum()), None, dtype=object)
        owner[point[order][first]] = ids[hit[order][first]]
        self.owner[mask] = owner

    def rng(self, grid_id: str) -> np.random.Generator:
        """Return a generator of its own for each grid: plans do not depend on row order."""
        return np.random.default_rng([self.seed, zlib.crc32(grid_id.encode())])


class _Log:
    """Why each input grid changed (notes) or could not be fixed (failures)."""

    def __init__(self) -> None:
        self.notes: dict[str, list[str]] = {}
        self.failures: dict[str, str] = {}

    def note(self, grids: Iterable[_Grid], text: str) -> None:
        for grid in grids:
            for source in grid.sources:
                notes = self.notes.setdefault(source, [])
                if text not in notes:
                    notes.append(text)

    def fail(self, grid: _Grid, text: str) -> None:
        self.failures.setdefault(grid.grid_id, text)


def _union(geoms: np.ndarray, *, coverage: bool) -> Any:
    """Unite polygons: a coverage union when they are noded alike, else an overlay union.

    A coverage union that comes out invalid falls back on the overlay union, and
    an overlay that GEOS cannot resolve at full precision is retried on a 1 mm grid.
    """
    if len(geoms) == 1:
        return geoms[0]
    if coverage:
        united = shapely.coverage_union_all(geoms)
        if shapely.is_valid(united):
            return united
    try:
        return shapely.union_all(geoms)
    except shapely.errors.GEOSException:  # pragma: no cover - depends on GEOS robustness
        return shapely.union_all(geoms, grid_size=_PRECISION)


def _is_polygon(geom: Any) -> bool:
    return bool(shapely.get_type_id(geom) == shapely.GeometryType.POLYGON)


def _counts(load: float, low: float, high: float, *, first: int) -> list[int]:
    """Numbers of parts (at least `first`, at most EXTRA_PARTS more) that can hold `load`."""
    start = max(math.ceil(load / high), first)
    return [k for k in range(start, start + EXTRA_PARTS + 1) if k * low <= load]


def _divide(
    atoms: Atoms, counts: list[int], grid: _Grid, context: _Context, key: str
) -> tuple[list[Any], list[int]] | None:
    """Partition the atoms into the first feasible number of parts of `counts`."""
    rng = context.rng(key)
    for parts in counts:
        label = balanced_partition(
            atoms.network,
            parts=parts,
            low=grid.low,
            high=grid.high,
            rng=rng,
            attempts=context.attempts,
        )
        if label is None:
            continue
        geoms = [
            _union(atoms.geoms[label == part], coverage=atoms.coverage) for part in range(parts)
        ]
        geoms = _without_thin_parts(geoms, context)
        if all(_is_polygon(geom) for geom in geoms):
            loads = np.bincount(label, weights=atoms.network.weight, minlength=parts)
            return geoms, loads.astype(int).tolist()
    return None


def _without_thin_parts(geoms: list[Any], context: _Context) -> list[Any]:
    """Give the thin parts a cut leaves in one part to the neighbour they run along.

    Cutting a grid along the edges of its atoms can leave strips thinner than
    ``sliver_width`` where a part meets the grid's boundary at a narrow angle:
    the finding ``boundary.sliver``.  Each such strip of a part whose thin area
    exceeds ``min_sliver_area`` moves to the other part sharing most of its
    boundary -- unless it holds a household, or moving it would split a part.
    Area is conserved and no household changes part, so loads are unchanged.
    A loop over the few parts of one split, not over households.
    """
    radius = context.sliver_width / 2.0
    if len(geoms) < 2 or radius <= 0:
        return geoms
    parts = np.array(geoms, dtype=object)
    eroded = shapely.buffer(parts, -radius, join_style="mitre", mitre_limit=5.0)
    opened = shapely.buffer(eroded, radius, join_style="mitre", mitre_limit=5.0)
    thin = buffer_difference(parts, opened)  # GEOS buffers of odd parts can be invalid
    homes = shapely.STRtree(context.points)
    for i in np.flatnonzero(shapely.area(thin) > context.min_sliver_area):
        for piece in shapely.get_parts(thin[i]):
            if shapely.area(piece) <= 1e-6 or len(homes.query(piece, predicate="intersects")):
                continue
            rim = shapely.boundary(piece)
            shared = np.array(
                [
                    0.0 if j == i else shapely.length(shapely.intersection(rim, parts[j]))
                    for j in range(len(parts))
                ]
            )
            j = int(np.argmax(shared))
            if shared[j] <= 0:
                continue
            losing = shapely.difference(parts[i], piece)
            gaining = shapely.union(parts[j], piece)
            if _is_polygon(losing) and _is_polygon(gaining):
                parts[i], parts[j] = losing, gaining
    return list(parts)


def _split(grid: _Grid, context: _Context) -> tuple[list[tuple[Any, int]] | None, str]:
    """Split an overloaded grid: the parts, or None and why not."""
    bound = f"{grid.low:,.0f}–{grid.high:,.0f}"
    atoms = context.atoms(grid)
    network = atoms.network
    heaviest = float(network.weight.max()) if len(network.weight) else 0.0
    if heaviest > grid.high:
        where = "building" if context.buildings is not None else "location"
        return None, f"one {where} holds {heaviest:,.0f} households, above {grid.high:,.0f}"
    if not nx.is_connected(network.graph):
        return None, "the grid is not one polygon"
    counts = _counts(grid.load, grid.low, grid.high, first=2)
    if not counts:
        return None, f"{grid.load:,} households cannot be divided into parts of {bound}"
    found = _divide(atoms, counts, grid, context, grid.grid_id)
    if found is None:
        tried = " or ".join(map(str, counts))
        return None, (
            f"no contiguous split into {tried} parts of {bound} households found "
            f"in {context.attempts} attempts"
        )
    return list(zip(*found, strict=True)), atoms.kind


def _combined(parts: list[Atoms]) -> Atoms:
    """Join the atoms of adjacent grids in one graph; old grid boundaries count as blocks."""
    geoms = np.concatenate([atoms.geoms for atoms in parts])
    offsets = np.cumsum([0] + [len(atoms.geoms) for atoms in parts])
    blocks = np.concatenate(
        [atoms.network.blocks * len(parts) + index for index, atoms in enumerate(parts)]
    )
    graph = nx.Graph()
    graph.add_nodes_from(range(len(geoms)))
    for atoms, offset in zip(parts, offsets, strict=False):
        graph.add_weighted_edges_from(
            (
                (u + offset, v + offset, d["length"])
                for u, v, d in atoms.network.graph.edges(data=True)
            ),
            weight="length",
        )
    owner = np.repeat(np.arange(len(parts)), np.diff(offsets))
    across = adjacency(geoms, tolerance=_SNAP)
    graph.add_weighted_edges_from(
        ((u, v, d["length"]) for u, v, d in across.edges(data=True) if owner[u] != owner[v]),
        weight="length",
    )
    network = PartitionGraph(
        graph,
        np.concatenate([atoms.network.weight for atoms in parts]),
        blocks,
        np.concatenate([atoms.network.xy for atoms in parts]),
    )
    kinds = {atoms.kind for atoms in parts} - {""}
    return Atoms(geoms, network, ", ".join(sorted(kinds)), coverage=False)


def _recombine(cluster: list[_Grid], context: _Context, ids: _Ids) -> list[_Grid] | None:
    """Redraw a cluster of adjacent grids into parts within bounds (a ReCom step).

    A part keeps the id of the one old grid it mostly is (at least half of
    both); other parts get new ids.
    """
    first = cluster[0]
    total = sum(grid.load for grid in cluster)
    counts = _counts(total, first.low, first.high, first=1)
    counts = sorted(set(counts) - {1}, key=lambda k: (k != len(cluster), k))
    if not counts:
        return None
    atoms = _combined([context.atoms(grid) for grid in cluster])
    if not nx.is_connected(atoms.network.graph):
        return None
    key = ">".join(sorted(grid.grid_id for grid in cluster))
    found = _divide(atoms, counts, first, context, key)
    if found is None:
        return None
    geoms, loads = found
    olds = np.array([grid.geometry for grid in cluster], dtype=object)
    parts = np.array(geoms, dtype=object)
    shared = shapely.area(shapely.intersection(parts[:, None], olds[None, :]))
    # a part continues an old grid when it holds most of that grid, that grid makes most of
    # the part, and no other old grid is mostly in it (else it is a merge: a new grid)
    mostly_old = shared >= 0.5 * shapely.area(olds)[None, :]
    mostly_part = shared >= 0.5 * shapely.area(parts)[:, None]
    heir = {
        int(p): int(np.flatnonzero(mostly_old[p])[0])
        for p in range(len(parts))
        if mostly_old[p].sum() == 1 and mostly_part[p, np.flatnonzero(mostly_old[p])[0]]
    }
    out = []
    for index in sorted(range(len(geoms)), key=lambda i: _reading_order(geoms[i])):
        if index in heir:
            old = cluster[heir[index]]
            out.append(old.derive(old.grid_id, geoms[index], loads[index]))
        else:
            source = cluster[int(np.argmax(shared[index]))]
            contributors = [
                grid for grid, area in zip(cluster, shared[index], strict=True) if area > 0
            ]
            new_id = ids.new(first.grid_id, first.parent)
            out.append(source.derive(new_id, geoms[index], loads[index], sources=contributors))
    return out


class _Ids:
    """New grid ids: 12-digit community code + the next free 3-digit sequence number."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.used = set(ids)
        self.top: dict[str, int] = {}
        for grid_id in self.used:
            if _CODE.match(grid_id):
                community = grid_id[:12]
                self.top[community] = max(self.top.get(community, 0), int(grid_id[12:]))

    def new(self, source: str, parent: str | None) -> str:
        if parent is not None and _COMMUNITY.match(parent):
            community: str | None = parent
        else:
            community = source[:12] if _CODE.match(source) else None
        if community is None:
            number = 1
            while f"{source}-{number}" in self.used:
                number += 1
            grid_id = f"{source}-{number}"
        else:
            sequence = self.top.get(community, 0) + 1
            if sequence > 999:
                msg = f"community {community} has no free grid sequence number left (001-999)"
                raise GridgovError(msg)
            self.top[community] = sequence
            grid_id = f"{community}{sequence:03d}"
        self.used.add(grid_id)
        return grid_id


def _plan_splits(
    grids: list[_Grid], context: _Context, ids: _Ids, log: _Log, bar: tqdm[Any]
) -> list[_Grid]:
    out: list[_Grid] = []
    for grid in grids:
        if grid.load <= grid.high or grid.frozen:
            out.append(grid)
            continue
        parts, why = _split(grid, context)
        bar.update()
        if parts is None:
            log.fail(grid, why)
            out.append(grid)
            continue
        ordered = sorted(parts, key=lambda part: _reading_order(part[0]))
        new = [
            grid.derive(ids.new(grid.grid_id, grid.parent), geom, load) for geom, load in ordered
        ]
        context.redraw([grid], new)
        along = f" along {why}" if why else ""
        log.note(
            [grid],
            f"too many households: {grid.load:,} > {grid.high:,.0f}; "
            f"split into {len(parts)} contiguous parts{along}",
        )
        out.extend(new)
    return out


def _reading_order(geom: Any) -> tuple[float, float]:
    point = shapely.point_on_surface(geom)
    return (-round(point.y, 3), round(point.x, 3))


def _same_side(a: _Grid, b: _Grid) -> bool:
    """Whether two grids may be redrawn together: same parent and kind, both valid."""
    return a.parent == b.parent and a.kind == b.kind and not a.frozen and not b.frozen


def _plan_merges(grids: list[_Grid], context: _Context, ids: _Ids, log: _Log) -> list[_Grid]:
    geoms = np.array([grid.geometry for grid in grids], dtype=object)
    graph = adjacency(geoms, tolerance=_SNAP)
    taken: set[int] = set()
    merged: list[_Grid] = []
    under = sorted(
        (
            i
            for i, grid in enumerate(grids)
            if grid.load < grid.low and grid.status == "kept" and not grid.frozen
        ),
        key=lambda i: (grids[i].load, grids[i].grid_id),
    )
    for start in under:
        if start in taken:
            continue
        first = grids[start]
        group, total = [start], first.load
        while total < first.low:
            shared: dict[int, float] = {}
            for member in group:
                for other, data in graph[member].items():
                    shared[other] = shared.get(other, 0.0) + data["length"]
            options = [
                (int(total + grids[c].load < first.low), -length, total + grids[c].load,
                 grids[c].grid_id, c)
                for c, length in shared.items()
                if c not in group and c not in taken and grids[c].status == "kept"
                and _same_side(grids[c], first) and total + grids[c].load <= first.high
            ]  # fmt: skip
            if not options:
                break
            choice = min(options)
            group.append(choice[-1])
            total += grids[choice[-1]].load
        union = shapely.union_all(geoms[group]) if len(group) > 1 else None
        if total < first.low or union is None or not _is_polygon(union):
            log.fail(
                first,
                f"no adjacent grid of the same parent and kind brings its {first.load:,} "
                f"households within {first.low:,.0f}–{first.high:,.0f}",
            )
            continue
        taken.update(group)
        members = [grids[i] for i in group]
        heir = min(members, key=lambda grid: (-grid.load, grid.grid_id))
        new = heir.derive(ids.new(first.grid_id, first.parent), union, total, sources=members)
        context.redraw(members, [new])
        others = ", ".join(sorted(grid.grid_id for grid in members if grid is not first))
        log.note(
            members,
            f"too few households in {first.grid_id}: {first.load:,} < {first.low:,.0f}; "
            f"merged with {others}",
        )
        merged.append(new)
    return [grid for i, grid in enumerate(grids) if i not in taken] + merged


def _neighbours(grids: list[_Grid], index: int) -> list[int]:
    """Adjacent grids of the same parent and kind, longest shared boundary first."""
    geoms = np.array([grid.geometry for grid in grids], dtype=object)
    grid = grids[index]
    near = shapely.STRtree(geoms).query(grid.geometry, predicate="dwithin", distance=_SNAP)
    near = np.array([i for i in near if i != index and _same_side(grids[i], grid)], dtype=int)
    if len(near) == 0:
        return []
    ring = shapely.boundary(grid.geometry)
    length = shapely.length(shapely.intersection(ring, shapely.buffer(geoms[near], _SNAP)))
    order = sorted(
        (i for i in range(len(near)) if length[i] > 10 * _SNAP),
        key=lambda i: (-length[i], grids[near[i]].grid_id),
    )
    return [int(near[i]) for i in order[:NEIGHBOURS]]


def _plan_recombinations(
    grids: list[_Grid], context: _Context, ids: _Ids, log: _Log
) -> list[_Grid]:
    """Fix what splits and merges left out of bounds by redrawing it with its neighbours."""
    current = list(grids)
    pending = sorted(
        grid.grid_id
        for grid in grids
        if grid.status == "kept" and not grid.frozen and not grid.low <= grid.load <= grid.high
    )
    for grid_id in pending:
        index = next((i for i, grid in enumerate(current) if grid.grid_id == grid_id), None)
        if index is None or current[index].status != "kept":
            continue  # already redrawn with another grid
        grid = current[index]
        near = _neighbours(current, index)
        clusters = [[index, other] for other in near]
        clusters += [[index, a, b] for i, a in enumerate(near) for b in near[i + 1 :]]
        for cluster in clusters:
            members = [current[i] for i in cluster]
            redrawn = _recombine(members, context, ids)
            if redrawn is None:
                continue
            context.redraw(members, redrawn)
            why = (
                f"{grid.load:,} > {grid.high:,.0f}"
                if grid.load > grid.high
                else f"{grid.load:,} < {grid.low:,.0f}"
            )
            together = ", ".join(sorted(member.grid_id for member in members))
            log.note(
                members,
                f"households in {grid.grid_id}: {why}; adjacent grids {together} "
                f"redrawn as {len(redrawn)}",
            )
            current = [g for i, g in enumerate(current) if i not in cluster] + redrawn
            break
    return current


# ---------------------------------------------------------------------------
# the public function


def _bounds(rules: RuleSet, kind: str) -> tuple[float, float]:
    """Household bounds of a grid kind; a missing bound or a disabled rule is 0 or infinity."""
    low, high = rules.household_bounds(kind)
    if low is None or not rules.enabled("scale.too_few_households"):
        low = 0.0
    if high is None or not rules.enabled("scale.too_many_households"):
        high = math.inf
    return float(low), float(high)


def _parents(grids: gpd.GeoDataFrame, parents: gpd.GeoDataFrame | None) -> np.ndarray:
    """Parent of every grid: ``parent_id``, else the parent unit of largest overlap."""
    out = np.full(len(grids), None, dtype=object)
    if "parent_id" in grids.columns:
        out = grids["parent_id"].to_numpy(dtype=object).copy()
        out[pd.isna(out)] = None
    missing = np.flatnonzero(pd.isna(out))
    if parents is not None and len(missing):
        geoms = grids.geometry.to_numpy()[missing]
        units = parents.geometry.to_numpy()
        gi, ui = shapely.STRtree(units).query(geoms, predicate="intersects")
        area = shapely.area(shapely.intersection(geoms[gi], units[ui]))
        unit_ids = parents["unit_id"].to_numpy(dtype=object)
        order = np.lexsort((unit_ids[ui].astype(str), -area, gi))
        head = np.r_[True, gi[order][1:] != gi[order][:-1]] if len(order) else order.astype(bool)
        out[missing[gi[order][head]]] = unit_ids[ui[order][head]]
    return out


def _geometries(frame: gpd.GeoDataFrame | None, *, kind: Any, name: str) -> np.ndarray | None:
    if frame is None:
        return None
    layer = validate_layer(frame, kind=kind, name=name, allow_empty=True)
    geoms = layer.geometry.to_numpy()
    if kind != "roads":
        geoms = geoms[np.argsort(shapely.to_wkb(geoms), kind="stable")]  # row order is irrelevant
    return np.asarray(geoms)


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
        raise ValueError(msg)
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
    invalid = set(grids.attrs["gridgov"]["invalid_ids"])
    grids = grids.iloc[np.argsort(grids[id_column].to_numpy(dtype=str), kind="stable")]
    grids = grids.reset_index(drop=True)
    households = validate_layer(households, kind="households", allow_empty=True)
    if parents is not None:
        parents = validate_layer(parents, kind="jurisdiction", name="parents")
    owner = _owners(households, grids, id_column=id_column)
    ids_in = grids[id_column].to_numpy(dtype=object)
    loads = pd.Series(owner).value_counts().reindex(ids_in, fill_value=0).to_numpy()
    kinds = (
        grids["kind"].fillna("comprehensive").to_numpy(dtype=object)
        if "kind" in grids.columns
        else np.full(len(grids), "comprehensive", dtype=object)
    )
    parent_of = _parents(grids, parents)
    current = []
    for row, grid_id in enumerate(ids_in):
        low, high = _bounds(rules, str(kinds[row]))
        current.append(
            _Grid(
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
    context = _Context(
        points=households.geometry.to_numpy(),
        owner=owner,
        units=_unit_geometries(units),
        roads=_geometries(roads, kind="roads", name="roads"),
        buildings=_geometries(buildings, kind="buildings", name="buildings"),
        attempts=attempts,
        seed=seed,
        sliver_width=rules.sliver_width if rules.enabled("boundary.sliver") else 0.0,
        min_sliver_area=rules.min_sliver_area,
    )
    ids = _Ids(str(i) for i in ids_in)
    log = _Log()
    out_of_bounds = sum(not grid.low <= grid.load <= grid.high for grid in current)
    with tqdm(total=out_of_bounds, disable=not progress, desc="propose", unit="grid") as bar:
        current = _plan_splits(current, context, ids, log, bar)
        current = _plan_merges(current, context, ids, log)
        current = _plan_recombinations(current, context, ids, log)
        bar.update(bar.total - bar.n)
    new_layer = _assemble(grids, current, id_column=id_column)
    changes = _compare(grids, new_layer, households, share_tolerance=0.01, id_column=id_column)
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


def _unit_geometries(units: gpd.GeoDataFrame | None) -> np.ndarray | None:
    """Polygons of the units (any id), in a canonical order."""
    if units is None:
        return None
    if not isinstance(units, gpd.GeoDataFrame):
        msg = f"layer 'units' must be a GeoDataFrame of polygons, got {type(units).__name__}"
        raise LayerError(msg)
    geoms = units.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6])
    if not polygonal.all():
        msg = (
            f"layer 'units': {int((~polygonal).sum())} rows are not polygons; units are the "
            "polygons grids are made of (building blocks, compounds, tessellation cells)"
        )
        raise LayerError(msg)
    geoms = geoms[~shapely.is_empty(geoms)]
    return np.asarray(geoms[np.argsort(shapely.to_wkb(geoms), kind="stable")])


def _assemble(grids: gpd.GeoDataFrame, current: list[_Grid], *, id_column: str) -> gpd.GeoDataFrame:
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


def _explain(changes: Changes, current: list[_Grid], log: _Log) -> None:
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
