"""The grids a plan redesigns, and the state that :func:`gridgov.propose` carries.

A private kernel module of :mod:`gridgov.propose` (its names have no
underscore because its siblings :mod:`gridgov.propose._split` and
:mod:`gridgov.propose._merge` share them): :class:`Grid` (one grid of the
edition being built), :class:`Context` (households and the layers cuts
follow), :class:`Log` (why each input grid changed), :class:`Ids` (new grid
ids), and the geometry helpers they share; and the inputs as a plan reads them
(:func:`household_bounds`, :func:`parents_of`, :func:`sorted_geometries`,
:func:`unit_geometries`).
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov.atoms import Atoms, make_atoms
from gridgov.errors import GridgovError, LayerError
from gridgov.layers import validate_layer

if TYPE_CHECKING:
    from collections.abc import Iterable

    from gridgov.rules import RuleSet

__all__ = [
    "CODE",
    "COMMUNITY",
    "PRECISION",
    "SNAP",
    "Context",
    "Grid",
    "Ids",
    "Log",
    "household_bounds",
    "is_polygon",
    "parents_of",
    "reading_order",
    "same_side",
    "sorted_geometries",
    "unit_geometries",
    "unite",
]

SNAP = 0.01  # metres: neighbouring grids closer than this share a boundary
PRECISION = 0.001  # metres: grid of the fallback overlay when GEOS fails at full precision
CODE = re.compile(r"^\d{15}$")
COMMUNITY = re.compile(r"^\d{12}$")


@dataclass
class Grid:
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
        self, grid_id: str, geometry: Any, load: int, *, sources: list[Grid] | None = None
    ) -> Grid:
        """Return a grid made from this one (and `sources`): same parent, kind, bounds, row."""
        made_of = sorted({s for grid in (sources or [self]) for s in grid.sources})
        status = "reshaped" if grid_id == self.grid_id and self.status != "new" else "new"
        return Grid(
            grid_id, geometry, load, self.parent, self.kind, self.low, self.high, self.row,
            tuple(made_of), status,
        )  # fmt: skip


@dataclass
class Context:
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

    def atoms(self, grid: Grid) -> Atoms:
        if grid.grid_id not in self.cache:
            points = self.points[self.owner == grid.grid_id]
            self.cache[grid.grid_id] = make_atoms(
                grid.geometry, points, units=self.units, roads=self.roads, buildings=self.buildings
            )
        return self.cache[grid.grid_id]

    def redraw(self, old: list[Grid], new: list[Grid]) -> None:
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


class Log:
    """Why each input grid changed (notes) or could not be fixed (failures)."""

    def __init__(self) -> None:
        self.notes: dict[str, list[str]] = {}
        self.failures: dict[str, str] = {}

    def note(self, grids: Iterable[Grid], text: str) -> None:
        for grid in grids:
            for source in grid.sources:
                notes = self.notes.setdefault(source, [])
                if text not in notes:
                    notes.append(text)

    def fail(self, grid: Grid, text: str) -> None:
        self.failures.setdefault(grid.grid_id, text)


class Ids:
    """New grid ids: 12-digit community code + the next free 3-digit sequence number."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.used = set(ids)
        self.top: dict[str, int] = {}
        for grid_id in self.used:
            if CODE.match(grid_id):
                community = grid_id[:12]
                self.top[community] = max(self.top.get(community, 0), int(grid_id[12:]))

    def new(self, source: str, parent: str | None) -> str:
        if parent is not None and COMMUNITY.match(parent):
            community: str | None = parent
        else:
            community = source[:12] if CODE.match(source) else None
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


def unite(geoms: np.ndarray, *, coverage: bool) -> Any:
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
        return shapely.union_all(geoms, grid_size=PRECISION)


def is_polygon(geom: Any) -> bool:
    return bool(shapely.get_type_id(geom) == shapely.GeometryType.POLYGON)


def reading_order(geom: Any) -> tuple[float, float]:
    point = shapely.point_on_surface(geom)
    return (-round(point.y, 3), round(point.x, 3))


def same_side(a: Grid, b: Grid) -> bool:
    """Whether two grids may be redrawn together: same parent and kind, both valid."""
    return a.parent == b.parent and a.kind == b.kind and not a.frozen and not b.frozen


# ---------------------------------------------------------------------------
# the inputs as a plan reads them


def household_bounds(rules: RuleSet, kind: str) -> tuple[float, float]:
    """Household bounds of a grid kind; a missing bound or a disabled rule is 0 or infinity."""
    low, high = rules.household_bounds(kind)
    if low is None or not rules.enabled("scale.too_few_households"):
        low = 0.0
    if high is None or not rules.enabled("scale.too_many_households"):
        high = math.inf
    return float(low), float(high)


def parents_of(grids: gpd.GeoDataFrame, parents: gpd.GeoDataFrame | None) -> np.ndarray:
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


def sorted_geometries(frame: gpd.GeoDataFrame | None, *, kind: Any, name: str) -> np.ndarray | None:
    """Validate a layer and return its geometries, in a canonical order except for roads."""
    if frame is None:
        return None
    layer = validate_layer(frame, kind=kind, name=name, allow_empty=True)
    geoms = layer.geometry.to_numpy()
    if kind != "roads":
        geoms = geoms[np.argsort(shapely.to_wkb(geoms), kind="stable")]  # row order is irrelevant
    return np.asarray(geoms)


def unit_geometries(units: gpd.GeoDataFrame | None) -> np.ndarray | None:
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
