"""The products of an in-memory check, each computed once, on first use: :class:`Products`.

Rules name the data they take (:data:`gridgov.rules.registry.PRODUCTS`); for
:func:`gridgov.check`, :class:`Products` computes each of them once per
check, whichever thread asks first, and hands the same value to every rule:
the households are assigned once, the coverage analysis is computed once.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from gridgov._core.layerinfo import LayerInfo, with_layer_info
from gridgov._core.pointindex import AssignOptions, household_rows
from gridgov.rules import boundary, coverage
from gridgov.rules.base import Grids, nullable

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import geopandas as gpd

    from gridgov.checking import CheckInputs
    from gridgov.rules import RuleInfo, RuleSet

__all__ = ["CELLS", "Once", "Products"]

_NETWORK = "grids"


def _assigned(households: gpd.GeoDataFrame, grids: Grids) -> tuple[np.ndarray, np.ndarray]:
    """Assign households to the rows of `grids` with :func:`gridgov.assign`, exactly once.

    Rows get internal ids ordered like the rows (sorted by grid id, then
    geometry), so ``on_boundary="smallest_id"`` breaks ties by grid id and
    duplicated ids still count separately; invalid grids are assigned on
    their repaired shapes.

    Returns
    -------
    row : ndarray of int
        Row of each household's grid, -1 when unassigned.
    unassigned : ndarray of bool
        Households in no grid (``how == "unassigned"``).
    """
    width = max(1, len(str(len(grids))))
    keys = np.array([f"{i:0{width}d}" for i in range(len(grids))], dtype=object)
    frame = grids.frame[[]].copy()
    frame["grid_id"] = keys
    frame = frame.set_geometry(grids.shapes, crs=grids.frame.crs)
    # every layer was validated by check, and this frame holds the validated grids (their
    # repairs where invalid, which assign treats as it treats invalid grids): what
    # validate_layer would record is known, without testing validity a second time
    frame.attrs = {}
    with_layer_info(
        frame,
        LayerInfo(
            kind="grids",
            name=_NETWORK,
            id_column="grid_id",
            invalid_ids=tuple(str(k) for k in keys[grids.repaired]),
        ),
    )
    # one thread: check runs its other steps on the other cores meanwhile
    return household_rows(
        households,
        frame,
        options=AssignOptions("smallest_id", "unassigned", None),
        grid_id_column="grid_id",
    )


class Once:
    """A value computed once, by the first thread that asks; the others wait for it."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._future: Future[Any] = Future()

    @property
    def busy(self) -> bool:
        """Whether a thread is computing the value right now."""
        return self._lock.locked() and not self._future.done()

    def get(self) -> Any:
        """Return the value, computing it first when no thread has yet."""
        if not self._future.done():
            with self._lock:
                if not self._future.done():
                    try:
                        self._future.set_result(self._make())
                    except BaseException as error:  # handed to every thread that asks
                        self._future.set_exception(error)
        return self._future.result()


#: The computations behind each product (a product not listed is cheap and
#: computed on the spot); a rule is not started while a thread computes one
#: of its products.
CELLS: Mapping[str, tuple[str, ...]] = {
    "jurisdiction": ("outer",),
    "outer_edge": ("outer",),
    "candidates": ("candidates",),
    "clean": ("coverage",),
    "union": ("coverage",),
    "coverage": ("coverage",),
    "loads": ("assignment",),
    "persons": ("assignment",),
    "uncovered": ("assignment",),
    "parent_of": ("parent_of",),
    "served_ids": ("service",),
    "served_points": ("service",),
    "served_distance": ("service",),
    "served_reason": ("service",),
    "served_owner": ("service", "assignment"),
    "previous_ids": ("previous",),
    "previous_loads": ("previous", "previous_loads"),
}


class Products:
    """The products of one in-memory check (:data:`gridgov.rules.registry.PRODUCTS`).

    Each is computed once, on first use, by the thread that first asks for
    it; :meth:`get` is safe to call from several threads.

    Parameters
    ----------
    inputs : CheckInputs
        The validated inputs.
    rules : RuleSet
        The rules.
    running : list of RuleInfo
        The rules that run (the coverage analysis is shared with
        ``boundary.splits_building`` only when a running rule computes it anyway).
    """

    def __init__(self, inputs: CheckInputs, rules: RuleSet, running: list[RuleInfo]) -> None:
        self.inputs = inputs
        self.grids = inputs.grids
        self.rules = rules
        self.running = running
        self._cells = {
            "outer": Once(self._outer),
            "candidates": Once(self._candidates),
            "coverage": Once(lambda: coverage.analyse(self.grids)),
            "assignment": Once(self._assignment),
            "parent_of": Once(self._parent_of),
            "service": Once(self._service),
            "previous": Once(self._previous),
            "previous_loads": Once(self._previous_loads),
        }
        homes = inputs.households
        empty = np.zeros(0, dtype=object)
        footprints = inputs.footprints or (empty, empty)
        units = inputs.parents
        self._plain: dict[str, Callable[[], Any]] = {
            "rules": lambda: rules,
            "grids": lambda: self.grids,
            "tile": lambda: None,
            "coverage_grids": lambda: self.grids,
            "parent_ids": lambda: empty if units is None else _ids(units, "unit_id"),
            "parent_geoms": lambda: empty if units is None else _geoms(units),
            "building_ids": lambda: footprints[0],
            "footprints": lambda: footprints[1],
            "features": lambda: empty if inputs.features is None else _geoms(inputs.features),
            "household_ids": lambda: empty if homes is None else _ids(homes, "household_id"),
            "household_points": lambda: empty if homes is None else _geoms(homes),
        }
        self.analysed = any("coverage" in info.products for info in running)

    def has(self, name: str) -> bool:
        """Whether the check provides product `name` (it provides them all)."""
        return name in self._plain or name in CELLS

    def cells(self, names: tuple[str, ...]) -> list[Once]:
        """Return the computations behind the products `names`."""
        if not self.analysed:  # clean and union are None: they wait for nothing
            names = tuple(n for n in names if n not in ("clean", "union"))
        return [self._cells[c] for n in names for c in CELLS.get(n, ())]

    def get(self, name: str) -> Any:
        """Return product `name`, computing what it needs on first use."""
        if name in self._plain:
            return self._plain[name]()
        return getattr(self, f"_product_{name}")()

    # -- the products behind computations -------------------------------------------------

    def _product_jurisdiction(self) -> Any:
        return self._cells["outer"].get()

    def _product_outer_edge(self) -> Any:
        outer = self._cells["outer"].get()
        return None if outer is None else shapely.boundary(outer)

    def _product_candidates(self) -> Any:
        return self._cells["candidates"].get()

    def _product_coverage(self) -> coverage.Coverage:
        return self._cells["coverage"].get()  # type: ignore[no-any-return]

    def _product_clean(self) -> np.ndarray | None:
        # buildings in grids free of overlaps are partitioned by them: one intersection per
        # building fewer -- when the coverage analysis is computed anyway
        return ~self._product_coverage().marked if self.analysed else None

    def _product_union(self) -> Any:
        return self._product_coverage().union if self.analysed else None

    def _product_loads(self) -> np.ndarray:
        return self._cells["assignment"].get()[1]  # type: ignore[no-any-return]

    def _product_persons(self) -> np.ndarray:
        return self._cells["assignment"].get()[2]  # type: ignore[no-any-return]

    def _product_uncovered(self) -> np.ndarray:
        return self._cells["assignment"].get()[3]  # type: ignore[no-any-return]

    def _product_parent_of(self) -> np.ndarray:
        return self._cells["parent_of"].get()  # type: ignore[no-any-return]

    def _served(self, k: int) -> np.ndarray:
        return self._cells["service"].get()[k]  # type: ignore[no-any-return]

    def _product_served_ids(self) -> np.ndarray:
        return self._served(0)

    def _product_served_points(self) -> np.ndarray:
        return self._served(1)

    def _product_served_distance(self) -> np.ndarray:
        return self._served(2)

    def _product_served_reason(self) -> np.ndarray:
        return self._served(3)

    def _product_served_owner(self) -> np.ndarray:
        measured = self._served(4)
        row = self._cells["assignment"].get()[0][measured]
        return nullable(row >= 0, self.grids.ids[np.maximum(row, 0)])

    def _product_previous_ids(self) -> np.ndarray:
        return self._cells["previous"].get()[0]  # type: ignore[no-any-return]

    def _product_previous_loads(self) -> np.ndarray:
        return self._cells["previous_loads"].get()  # type: ignore[no-any-return]

    # -- the computations -----------------------------------------------------------------

    def _outer(self) -> Any:
        units = self.inputs.jurisdiction
        return None if units is None else shapely.union_all(units.geometry.to_numpy())

    def _candidates(self) -> tuple[np.ndarray, np.ndarray]:
        return boundary.split_candidates(self.grids, self.get("footprints"))

    def _assignment(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        homes = self.inputs.households
        n = len(self.grids)
        if homes is None:
            none = np.zeros(0, dtype=np.int64)
            return none, np.zeros(n, dtype=np.int64), np.zeros(n), np.zeros(0, dtype=bool)
        row, unassigned = _assigned(homes, self.grids)
        assigned = row >= 0
        loads = np.bincount(row[assigned], minlength=n)
        persons: np.ndarray = np.zeros(n)
        if "persons" in homes.columns:
            weights = np.nan_to_num(homes["persons"].to_numpy(dtype=float))
            persons = np.bincount(row[assigned], weights=weights[assigned], minlength=n)
        return row, loads, persons, unassigned

    def _parent_of(self) -> np.ndarray:
        units = self.inputs.parents
        if units is None:
            column = self.grids.column("parent_id")
            assert column is not None
            return column
        ids = units["unit_id"].to_numpy(dtype=object)
        position, _ = boundary.parent_units(self.grids, ids, units.geometry.to_numpy())
        return nullable(position >= 0, ids[np.maximum(position, 0)])

    def _service(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Measure the service distances, as ``gg.assign_by_network`` does.

        Every household and station is snapped to its nearest road, however
        far: the snap distances count in the distance, so a household far from
        every road is a service gap with its distance rather than "off road".
        Households proved to be within the service distance are not measured.
        """
        from gridgov.service import REASONS, network_distances

        homes, stations, roads = self.inputs.households, self.inputs.stations, self.inputs.roads
        assert homes is not None
        assert stations is not None
        assert roads is not None
        points = _geoms(homes)
        distance, _, _, code = network_distances(  # the layers were validated by check
            points,
            stations,
            roads,
            max_distance=self.rules.service_distance,
            snap_tolerance=math.inf,
            station_id_column="station_id",
            prune=True,
        )
        rows = np.flatnonzero(~np.isnan(distance))  # the others are certainly served
        code = code[rows]
        reason = nullable(code >= 0, np.asarray(REASONS, dtype=object)[np.maximum(code, 0)])
        ids = _ids(homes, "household_id")
        return ids[rows], points[rows], distance[rows], reason, rows

    def _previous(self) -> tuple[np.ndarray, np.ndarray | None, Grids | None]:
        """Return the ids of the previous edition, and its recorded loads or its grids.

        With a ``households`` column (the loads recorded with that edition)
        its polygons are not used, so they are not prepared (nor tested for
        validity); else its grids are prepared, to assign the households to.
        """
        previous = self.inputs.previous
        assert previous is not None
        if "households" in previous.columns:
            recorded = pd.to_numeric(previous["households"], errors="coerce")
            ids = previous["grid_id"].to_numpy(dtype=object)
            return ids, recorded.to_numpy(dtype=float, na_value=np.nan), None
        old = Grids.from_frame(previous)
        return old.ids, None, old

    def _previous_loads(self) -> np.ndarray:
        """Return the loads of the previous edition: recorded, else the households counted."""
        _, recorded, old = self._cells["previous"].get()
        if recorded is not None:
            return recorded  # type: ignore[no-any-return]
        homes = self.inputs.households
        assert homes is not None
        assert old is not None
        old_row, _ = _assigned(homes, old)
        return np.bincount(old_row[old_row >= 0], minlength=len(old)).astype(float)


def _ids(frame: gpd.GeoDataFrame, column: str) -> np.ndarray:
    out: np.ndarray = frame[column].to_numpy(dtype=object)
    return out


def _geoms(frame: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(frame.geometry.to_numpy(), dtype=object)
