"""Check a grid layer against the four principles: :func:`check`.

:func:`check` validates every layer it is given (one metric CRS for all),
assigns the households once with :func:`gridgov.assign`, runs each rule whose
context is given and returns the violations as a :class:`~gridgov.findings.Findings`
frame.  The rules, their codes and defaults are documented in
``docs/rules.md`` and :mod:`gridgov.rules`.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from gridgov._core.layerinfo import LayerInfo, layer_info, with_layer_info
from gridgov.crs import require_metric
from gridgov.errors import LayerError
from gridgov.findings import Findings, make_findings
from gridgov.layers import validate_layer
from gridgov.rules import RULES, RuleSet, adjustment, boundary, coverage, scale
from gridgov.rules._base import Grids, nullable

if TYPE_CHECKING:
    from collections.abc import Callable

    import geopandas as gpd

__all__ = ["check"]

_NETWORK = "grids"


def _reference(
    frame: gpd.GeoDataFrame | None, *, kind: Any, name: str, allow_empty: bool = False
) -> gpd.GeoDataFrame | None:
    """Validate a reference layer; its polygons must be valid (they are not under review)."""
    if frame is None:
        return None
    out = validate_layer(frame, kind=kind, name=name, allow_empty=allow_empty)
    info = layer_info(out)
    invalid = info.invalid_ids if info is not None else None
    if invalid:
        shown = ", ".join(repr(i) for i in invalid[:5])
        more = f" and {len(invalid) - 5} more" if len(invalid) > 5 else ""
        msg = (
            f"layer {name!r} ({kind}): {len(invalid)} invalid polygon(s) (ids {shown}{more}); "
            "reference layers must be valid: repair them first, e.g. "
            "frame.assign(geometry=shapely.make_valid(frame.geometry.values))"
        )
        raise LayerError(msg)
    return out


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
    from gridgov.assign import _Options, _rows

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
    return _rows(
        households,
        frame,
        options=_Options("smallest_id", "unassigned", None),
        grid_id_column="grid_id",
    )


@dataclass(frozen=True)
class _Inputs:
    """The validated layers of one check, all in one metric CRS."""

    grids: Grids
    crs: Any
    jurisdiction: gpd.GeoDataFrame | None
    parents: gpd.GeoDataFrame | None
    households: gpd.GeoDataFrame | None
    buildings: gpd.GeoDataFrame | None
    features: gpd.GeoDataFrame | None
    stations: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame | None
    previous: gpd.GeoDataFrame | None

    @property
    def footprints(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Ids and polygons of the buildings that have a footprint."""
        if self.buildings is None:
            return None
        geoms = self.buildings.geometry.to_numpy()
        polygons = np.isin(shapely.get_type_id(geoms), [3, 6])
        return (
            self.buildings["building_id"].to_numpy(dtype=object)[polygons],
            np.asarray(geoms[polygons], dtype=object),
        )

    @property
    def has_parent_column(self) -> bool:
        """Whether the grids name their parent in ``parent_id``."""
        frame = self.grids.frame
        return "parent_id" in frame.columns and bool(frame["parent_id"].notna().any())


def _renamed(frame: gpd.GeoDataFrame, id_column: str) -> gpd.GeoDataFrame:
    if id_column == "grid_id":
        return frame
    return frame.drop(columns=["grid_id"], errors="ignore").rename(columns={id_column: "grid_id"})


def _walkable(roads: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Walk roads, not rivers or walls: rows whose ``kind`` is missing or ``"road"``."""
    if roads is None or "kind" not in roads.columns:
        return roads
    walkable = roads["kind"].isna() | (roads["kind"].astype(object) == "road")
    return roads[walkable.to_numpy(dtype=bool)]


def _optional(frame: gpd.GeoDataFrame | None, **options: Any) -> gpd.GeoDataFrame | None:
    return None if frame is None else validate_layer(frame, allow_empty=True, **options)


def _validate(
    layer: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame | None], id_column: str
) -> _Inputs:
    """Validate every layer at the boundary, then require one metric CRS for all.

    The layers are validated concurrently (GEOS validity checks release the
    GIL); when several are bad, the error raised is the first in the fixed
    order grids, roads, jurisdiction, households, buildings, parents,
    features, stations, previous.
    """
    previous = layers["previous"]
    tasks: dict[str, Callable[[], Any]] = {
        "grids": lambda: validate_layer(
            layer, kind="grids", id_column=id_column, name="grids", allow_duplicate_ids=True
        ),
        "roads": lambda: _walkable(_optional(layers["roads"], kind="roads")),
        "jurisdiction": lambda: _reference(
            layers["jurisdiction"], kind="jurisdiction", name="jurisdiction"
        ),
        "households": lambda: _optional(layers["households"], kind="households"),
        "buildings": lambda: _reference(
            layers["buildings"], kind="buildings", name="buildings", allow_empty=True
        ),
        "parents": lambda: _reference(layers["parents"], kind="jurisdiction", name="parents"),
        "features": lambda: _optional(layers["features"], kind="roads", name="features"),
        "stations": lambda: _optional(layers["stations"], kind="stations"),
        "previous": lambda: (
            None
            if previous is None
            else _renamed(
                validate_layer(
                    previous,
                    kind="grids",
                    id_column=id_column,
                    name="previous",
                    # with recorded loads its polygons are not used: their validity is only
                    # tested (by Grids.from_frame) when households are assigned to them
                    find_invalid="households" not in previous.columns,
                ),
                id_column,
            )
        ),
    }
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        futures = {name: pool.submit(task) for name, task in tasks.items()}
        frames: dict[str, Any] = {name: future.result() for name, future in futures.items()}
    grid_frame = frames["grids"]
    crs = require_metric(frames)
    return _Inputs(
        grids=Grids.from_frame(_renamed(grid_frame, id_column)),
        crs=crs,
        **{name: frame for name, frame in frames.items() if name != "grids"},
    )


class _Plan:
    """Which rules run, and why the others do not."""

    def __init__(self, rules: RuleSet, inputs: _Inputs) -> None:
        self.rules = rules
        self.skipped: dict[str, str] = {}
        homes = inputs.households
        no_homes = (homes is None, "no households given")
        footprints = inputs.footprints
        needs: dict[str, tuple[tuple[bool, str], ...]] = {
            "scale.too_many_persons": (
                (rules.max_persons is None, "no bound set (RuleSet.max_persons is None)"),
                no_homes,
                (
                    homes is not None and "persons" not in homes.columns,
                    "the households have no 'persons' column",
                ),
            ),
            "scale.area_out_of_range": (
                (
                    rules.min_area is None and rules.max_area is None,
                    "no bounds set (RuleSet.min_area and max_area are None)",
                ),
            ),
            "scale.unbalanced_parent": (
                no_homes,
                (
                    inputs.parents is None and not inputs.has_parent_column,
                    "no parents given and the layer has no 'parent_id' column",
                ),
            ),
            "boundary.crosses_parent": ((inputs.parents is None, "no parents given"),),
            "boundary.splits_building": (
                (inputs.buildings is None, "no buildings given"),
                (
                    footprints is not None and not len(footprints[1]),
                    "the buildings are points, not footprints",
                ),
            ),
            "boundary.off_features": (
                (
                    inputs.features is None,
                    "no features given (road, river or wall lines; e.g. features=roads)",
                ),
            ),
            "coverage.outside_jurisdiction": (
                (inputs.jurisdiction is None, "no jurisdiction given"),
            ),
            "coverage.service_gap": (
                no_homes,
                (inputs.stations is None, "no stations given"),
                (inputs.roads is None, "no roads given (the network distance walks along them)"),
            ),
            "adjustment.load_drift": (
                (inputs.previous is None, "no previous edition given"),
                no_homes,
            ),
            "adjustment.review_due": (
                (
                    "valid_from" not in inputs.grids.frame.columns,
                    "the layer has no 'valid_from' column",
                ),
            ),
        }
        self.run: dict[str, bool] = {}
        for rule, info in RULES.items():
            missing = needs.get(rule, (no_homes,) if "households" in info.context else ())
            self.run[rule] = self._wants(rule, missing)

    def _wants(self, rule: str, missing: tuple[tuple[bool, str], ...]) -> bool:
        if not self.rules.enabled(rule):
            self.skipped[rule] = "disabled in the RuleSet"
            return False
        for absent, reason in missing:
            if absent:
                self.skipped[rule] = reason
                return False
        return True

    def any(self, *rules: str) -> bool:
        """Whether any of `rules` runs."""
        return any(self.run[r] for r in rules)


class _Queue:
    """Steps taken in order by whichever thread is free; each result is a Future."""

    def __init__(self, steps: list[Callable[[], Any]]) -> None:
        self.steps = steps
        self.results: list[Future[Any]] = [Future() for _ in steps]
        self._next = 0
        self._lock = threading.Lock()

    def cancel(self) -> None:
        """Start no further step (those running finish)."""
        with self._lock:
            self._next = len(self.steps)

    def work(self) -> None:
        """Run the steps not started yet, one after the other, until none is left."""
        while True:
            with self._lock:
                if self._next >= len(self.steps):
                    return
                k = self._next
                self._next += 1
            try:
                self.results[k].set_result(self.steps[k]())
            except BaseException as error:  # handed to whoever reads the result
                self.results[k].set_exception(error)


def _workers() -> int:
    """Worker threads for the independent steps: the cores, at least two, at most eight."""
    return min(8, max(2, os.cpu_count() or 2))


class _Checker:
    """The steps of one check; each returns finding records."""

    def __init__(self, inputs: _Inputs, plan: _Plan) -> None:
        self.inputs = inputs
        self.grids = inputs.grids
        self.plan = plan
        self.run = plan.run
        self.rules = plan.rules
        self.outer = (
            None
            if inputs.jurisdiction is None
            else shapely.union_all(inputs.jurisdiction.geometry.to_numpy())
        )
        self.row = np.zeros(0, dtype=np.int64)
        self.unassigned = np.zeros(0, dtype=bool)
        self.loads: np.ndarray = np.zeros(len(self.grids), dtype=np.int64)
        self.persons: np.ndarray = np.zeros(len(self.grids))
        self.analysed: coverage.Coverage | None = None
        # the coverage analysis, for the steps running concurrently with the coverage step
        self._analysis: Future[coverage.Coverage | None] = Future()
        self._analysis_runs = False  # whether the coverage step will set it
        self._assigned = threading.Event()  # set once the households are assigned

    def run_all(self, *, progress: bool) -> list[pd.DataFrame]:
        """Run every step and return the finding records.

        Steps that do not need the assignment -- the boundary and area-coverage
        rules, and the network distances of the service rule -- are queued
        (longest first) and taken by one worker thread per core while this
        thread assigns the households, after which it takes steps too:
        shapely and numpy release the GIL, so every core works.  More threads
        than cores cost more than they give (memory arenas, GIL hand-offs).
        The coverage step is queued before splits_building, which waits for
        its analysis, so the wait always ends.  Results are gathered in a
        fixed order, so they do not depend on timing.
        """
        from tqdm import tqdm

        household_rules = [r for r in RULES if "households" in RULES[r].context]
        assigning = self.inputs.households is not None and self.plan.any(*household_rules)
        serving = self.run["coverage.service_gap"]
        geometric: list[tuple[str, Callable[[], list[pd.DataFrame]]]] = [
            ("boundary.off_features", self.features),
            ("coverage", self._coverage_step),  # before splits, which waits for its analysis
            ("boundary.sliver", self.slivers),
            ("boundary.splits_building", self.splits),
            ("boundary", self.boundary_light),
        ]
        if not self.run["boundary.off_features"]:
            geometric = [g for g in geometric if g[0] != "boundary.off_features"]
        # the coverage step is queued before splits: splits may wait for its analysis
        self._analysis_runs = True
        steps: list[tuple[str, Callable[[], Any]]] = [
            *([("coverage.service_gap", self.service_gaps)] if serving else []),
            *geometric,
        ]
        total = len(geometric) + 3 + int(assigning) + int(serving)
        parts: list[pd.DataFrame] = []
        queue = _Queue([step for _, step in steps])
        with (
            tqdm(total=total, desc="check", unit="step", disable=not progress) as bar,
            ThreadPoolExecutor(max_workers=_workers()) as pool,
        ):
            for _ in range(_workers()):
                pool.submit(queue.work)
            try:
                try:
                    if assigning:
                        bar.set_postfix_str("assign households")
                        self.assign()
                        bar.update()
                finally:
                    self._assigned.set()  # the service step waits for the assignment
                early = []  # the steps needing only the loads, while the workers are busy
                for name, step in (("scale", self.scale), ("adjustment", self.adjustment)):
                    bar.set_postfix_str(name)
                    early.extend(step())
                    bar.update()
                queue.work()  # then this thread takes the steps no worker has started
                for (name, _), result in zip(steps, queue.results, strict=True):
                    bar.set_postfix_str(name)
                    parts.extend(result.result())
                    bar.update()
            except BaseException:
                queue.cancel()  # the workers start no further step: the error surfaces now
                raise
            bar.set_postfix_str("households")
            parts.extend(self.households())  # needs the coverage analysis too
            parts.extend(early)
            bar.update()
        return parts

    def assign(self) -> None:
        homes = self.inputs.households
        assert homes is not None
        self.row, self.unassigned = _assigned(homes, self.grids)
        assigned = self.row >= 0
        self.loads = np.bincount(self.row[assigned], minlength=len(self.grids))
        if "persons" in homes.columns:
            weights = np.nan_to_num(homes["persons"].to_numpy(dtype=float))
            self.persons = np.bincount(
                self.row[assigned], weights=weights[assigned], minlength=len(self.grids)
            )

    def parent_of(self) -> np.ndarray:
        """Parent unit id of every grid row (None when unknown)."""
        units = self.inputs.parents
        if units is None:
            column = self.grids.column("parent_id")
            assert column is not None
            return column
        ids = units["unit_id"].to_numpy(dtype=object)
        position, _ = boundary.parent_units(self.grids, ids, units.geometry.to_numpy())
        return nullable(position >= 0, ids[np.maximum(position, 0)])

    def scale(self) -> list[pd.DataFrame]:
        grids, rules, run = self.grids, self.rules, self.run
        out = []
        if run["scale.too_many_households"]:
            out.append(scale.too_many_households(grids, self.loads, rules=rules))
        if run["scale.too_few_households"]:
            out.append(scale.too_few_households(grids, self.loads, rules=rules))
        if run["scale.too_many_persons"]:
            out.append(scale.too_many_persons(grids, self.persons, rules=rules))
        if run["scale.area_out_of_range"]:
            out.append(scale.area_out_of_range(grids, rules=rules))
        if run["scale.unbalanced_parent"]:
            out.append(scale.unbalanced_parent(grids, self.loads, self.parent_of(), rules=rules))
        return out

    def boundary(self) -> list[pd.DataFrame]:
        """Every boundary rule but ``off_features`` (one after the other)."""
        return [*self.boundary_light(), *self.splits(), *self.slivers()]

    def boundary_light(self) -> list[pd.DataFrame]:
        grids, rules, run = self.grids, self.rules, self.run
        out = []
        if run["boundary.invalid_geometry"]:
            out.append(boundary.invalid_geometry(grids))
        if run["boundary.multipart"]:
            out.append(boundary.multipart(grids))
        if run["boundary.duplicate_id"]:
            out.append(boundary.duplicate_id(grids))
        if run["boundary.bad_code"]:
            out.append(boundary.bad_code(grids, rules=rules))
        if run["boundary.crosses_parent"]:
            units = self.inputs.parents
            assert units is not None
            ids = units["unit_id"].to_numpy(dtype=object)
            geoms = np.asarray(units.geometry.to_numpy(), dtype=object)
            out.append(boundary.crosses_parent(grids, ids, geoms, rules=rules))
        return out

    def splits(self) -> list[pd.DataFrame]:
        if not self.run["boundary.splits_building"]:
            return []
        footprints = self.inputs.footprints
        assert footprints is not None
        candidates = boundary.split_candidates(self.grids, footprints[1])
        # with the coverage analysis (computed concurrently), buildings in clean grids are
        # partitioned by them: one intersection per building fewer
        analysed = self._analysis.result() if self._analysis_runs else None
        return [
            boundary.splits_building(
                self.grids,
                *footprints,
                rules=self.rules,
                candidates=candidates,
                clean=None if analysed is None else ~analysed.marked,
                union=None if analysed is None else analysed.union,
            )
        ]

    def slivers(self) -> list[pd.DataFrame]:
        if not self.run["boundary.sliver"]:
            return []
        return [boundary.sliver(self.grids, rules=self.rules)]

    def features(self) -> list[pd.DataFrame]:
        lines = self.inputs.features
        assert lines is not None
        edge = None if self.outer is None else shapely.boundary(self.outer)
        geoms = np.asarray(lines.geometry.to_numpy(), dtype=object)
        return [boundary.off_features(self.grids, geoms, rules=self.rules, outer_edge=edge)]

    def coverage(self) -> list[pd.DataFrame]:
        grids, rules, run = self.grids, self.rules, self.run
        out = []
        try:
            if self.plan.any(
                "coverage.gap", "coverage.overlap", "coverage.multiply_covered_household"
            ):
                self.analysed = coverage.analyse(grids)
        except BaseException as error:
            self._analysis.set_exception(error)
            raise
        self._analysis.set_result(self.analysed)
        if run["coverage.gap"]:
            assert self.analysed is not None
            out.append(coverage.gap(grids, self.analysed, self.outer, rules=rules))
        if run["coverage.overlap"]:
            assert self.analysed is not None
            out.append(coverage.overlap(grids, self.analysed, rules=rules))
        if run["coverage.outside_jurisdiction"]:
            out.append(coverage.outside_jurisdiction(grids, self.outer, rules=rules))
        return out

    def _coverage_step(self) -> list[pd.DataFrame]:
        """Run the coverage step, always settling the analysis splits_building waits for."""
        try:
            return self.coverage()
        finally:
            if not self._analysis.done():  # the step failed before its analysis
                self._analysis.set_result(None)

    def households(self) -> list[pd.DataFrame]:
        homes = self.inputs.households
        if homes is None:
            return []
        out = []
        ids = homes["household_id"].to_numpy(dtype=object)
        points = np.asarray(homes.geometry.to_numpy(), dtype=object)
        if self.run["coverage.uncovered_household"]:
            out.append(coverage.uncovered_household(self.grids, ids, points, self.unassigned))
        if self.run["coverage.multiply_covered_household"]:
            assert self.analysed is not None
            out.append(coverage.multiply_covered_household(self.grids, self.analysed, ids, points))
        return out

    def service_distances(self) -> tuple[np.ndarray, np.ndarray]:
        """Network distance of every household to its nearest station, and why it is not served.

        The arrays of ``gg.assign_by_network`` (the reasons as positions in
        its reason categories, -1 when served), in household order.
        """
        from gridgov.assign import _network_distances

        homes, stations, roads = self.inputs.households, self.inputs.stations, self.inputs.roads
        assert stations is not None
        assert roads is not None
        assert homes is not None
        # every household and station is snapped to its nearest road, however far: the snap
        # distances count in the distance, so a household far from every road is a service
        # gap with its distance rather than "off road"
        # households proved to be within the service distance are not measured (NaN)
        distance, _, _, reason = _network_distances(  # the layers were validated by check
            np.asarray(homes.geometry.to_numpy(), dtype=object),
            stations,
            roads,
            max_distance=self.rules.service_distance,
            snap_tolerance=math.inf,
            station_id_column="station_id",
            prune=True,
        )
        return distance, reason

    def service_gaps(self) -> list[pd.DataFrame]:
        """Compute the network distances, then (once the households are assigned) the findings."""
        served = self.service_distances()
        self._assigned.wait()
        return self.service(served)

    def service(self, served: tuple[np.ndarray, np.ndarray]) -> list[pd.DataFrame]:
        from gridgov.assign import _REASONS

        homes = self.inputs.households
        assert homes is not None
        distance, code = served
        rows = np.flatnonzero(~np.isnan(distance))  # the others are certainly served
        owner = nullable(self.row[rows] >= 0, self.grids.ids[np.maximum(self.row[rows], 0)])
        code = code[rows]
        reason = nullable(code >= 0, np.asarray(_REASONS, dtype=object)[np.maximum(code, 0)])
        return [
            coverage.service_gap(
                homes["household_id"].to_numpy(dtype=object)[rows],
                np.asarray(homes.geometry.to_numpy(), dtype=object)[rows],
                distance[rows],
                reason,
                owner,
                rules=self.rules,
            )
        ]

    def adjustment(self) -> list[pd.DataFrame]:
        out = []
        if self.run["adjustment.load_drift"]:
            homes, previous = self.inputs.households, self.inputs.previous
            assert homes is not None
            assert previous is not None
            if "households" in previous.columns:  # the loads recorded with that edition
                old_ids = previous["grid_id"].to_numpy(dtype=object)
                recorded = pd.to_numeric(previous["households"], errors="coerce")
                old_loads = recorded.to_numpy(dtype=float, na_value=np.nan)
            else:
                old = Grids.from_frame(previous)
                old_row, _ = _assigned(homes, old)
                old_ids = old.ids
                old_loads = np.bincount(old_row[old_row >= 0], minlength=len(old)).astype(float)
            out.append(
                adjustment.load_drift(self.grids, self.loads, old_ids, old_loads, rules=self.rules)
            )
        if self.run["adjustment.review_due"]:
            out.append(adjustment.review_due(self.grids, rules=self.rules))
        return out


def check(
    layer: gpd.GeoDataFrame,
    *,
    jurisdiction: gpd.GeoDataFrame | None = None,
    households: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    parents: gpd.GeoDataFrame | None = None,
    features: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    previous: gpd.GeoDataFrame | None = None,
    rules: RuleSet | None = None,
    id_column: str = "grid_id",
    progress: bool = False,
) -> Findings:
    """Check a grid layer against the four principles and return the findings.

    Every rule whose context is given runs (see ``docs/rules.md`` for each
    rule's definition and defaults); the others are listed in
    ``Findings.skipped`` with the reason.  Households are assigned once with
    :func:`gridgov.assign` (``on_boundary="smallest_id"``,
    ``outside="unassigned"``), so each is counted in exactly one grid and the
    scale, coverage and adjustment rules share the same loads.  Invalid grid
    polygons are reported (``boundary.invalid_geometry``) and measured by the
    other rules on their repair by ``shapely.make_valid``, which those
    findings' messages say.  The result does not depend on the row order of
    any input, and no input is modified.

    Parameters
    ----------
    layer : GeoDataFrame
        The grid layer of one network (``grid_id``; optional ``kind``,
        ``parent_id``, ``network``, ``valid_from``).  Duplicated ids are a
        finding, not an error.
    jurisdiction : GeoDataFrame, optional
        The area the grids must cover (``unit_id``; several units are
        united).  Without it, ``coverage.gap`` finds only gaps enclosed by
        grids and ``coverage.outside_jurisdiction`` does not run.
    households : GeoDataFrame, optional
        Household points (``household_id``; optional ``persons``).
    buildings : GeoDataFrame, optional
        Building footprints (``building_id``), for ``boundary.splits_building``.
    parents : GeoDataFrame, optional
        Parent units, e.g. communities (``unit_id``), for
        ``boundary.crosses_parent`` and ``scale.unbalanced_parent``.
    features : GeoDataFrame, optional
        Road, river and wall lines grid boundaries should follow
        (``boundary.off_features``).
    stations, roads : GeoDataFrame, optional
        Service stations (``station_id``) and the road lines walked to them,
        for ``coverage.service_gap``.
    previous : GeoDataFrame, optional
        The previous edition of the layer, for ``adjustment.load_drift``; its
        loads are its ``households`` column when present, else the same
        households assigned to it.
    rules : RuleSet, optional
        Thresholds, disabled rules and severities; default ``RuleSet()`` (urban).
    id_column : str, default "grid_id"
        Id column of `layer` (findings always call it ``grid_id``).
    progress : bool, default False
        Show a progress bar over the steps.

    Returns
    -------
    Findings
        One row per violation, sorted by principle, rule and grid id.

    Raises
    ------
    CRSError
        When the layers are not all in one projected CRS in metres.
    LayerError
        When a layer does not fit the data model (missing ids, wrong
        geometry types, empty layer...), or a reference layer
        (jurisdiction, parents, buildings) has invalid polygons.

    See Also
    --------
    gridgov.rules.RuleSet : the thresholds.
    gridgov.assign : the household assignment behind the loads.

    Examples
    --------
    >>> import geopandas as gpd
    >>> import numpy as np
    >>> from shapely import box, points
    >>> grids = gpd.GeoDataFrame(
    ...     {"grid_id": ["320102001001001", "320102001001002"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 190, 100)], crs="EPSG:4549")
    >>> street = gpd.GeoDataFrame({"unit_id": ["320102001"]},
    ...                           geometry=[box(0, 0, 200, 100)], crs="EPSG:4549")
    >>> xy = np.random.default_rng(0).uniform(1, 89, (920, 2))
    >>> xy[400:, 0] += 100  # 400 households in the first grid, 520 in the second
    >>> homes = gpd.GeoDataFrame({"household_id": range(920)}, geometry=points(xy),
    ...                          crs="EPSG:4549")
    >>> findings = check(grids, jurisdiction=street, households=homes)
    >>> findings[["rule", "grid_id", "value", "limit"]]
                            rule          grid_id   value  limit
    0  scale.too_many_households  320102001001002   520.0  500.0
    1               coverage.gap             None  1000.0    1.0
    >>> findings.ok, findings.loc[1, "message"]
    (False, 'gap of 1,000 m² covered by no grid next to grid 320102001001002')
    """
    rules = _ruleset(rules)
    inputs = _validate(
        layer,
        {
            "jurisdiction": jurisdiction,
            "households": households,
            "buildings": buildings,
            "parents": parents,
            "features": features,
            "stations": stations,
            "roads": roads,
            "previous": previous,
        },
        id_column,
    )
    plan = _Plan(rules, inputs)
    checker = _Checker(inputs, plan)
    parts = checker.run_all(progress=progress)
    return _finish(parts, inputs.grids, rules=rules, crs=inputs.crs, skipped=plan.skipped)


def _ruleset(rules: object) -> RuleSet:
    """Return the rules to check with: ``RuleSet()`` for None, TypeError for others."""
    if rules is None:
        return RuleSet()
    if not isinstance(rules, RuleSet):
        msg = f"rules must be a gg.RuleSet, got {type(rules).__name__}"
        raise TypeError(msg)
    return rules


def _finish(
    parts: list[pd.DataFrame], grids: Grids, *, rules: RuleSet, crs: Any, skipped: dict[str, str]
) -> Findings:
    parts = [p for p in parts if len(p)]
    if not parts:
        return make_findings([], crs=crs, skipped=skipped)
    frame = pd.concat(parts, ignore_index=True)
    frame["principle"] = frame["rule"].map({c: info.principle for c, info in RULES.items()})
    frame["severity"] = frame["rule"].map({c: rules.severity_of(c) for c in RULES})
    networks = grids.column("network")
    if networks is not None:
        by_id = pd.Series(networks, index=pd.Index(grids.ids.astype(str)))
        by_id = by_id[~by_id.index.duplicated(keep="first")]
        names = sorted({str(n) for n in networks if n is not None})
        default = names[0] if len(names) == 1 else None
        gid = frame["grid_id"].to_numpy(dtype=object)
        has = pd.notna(gid)
        network = np.full(len(frame), default, dtype=object)
        network[has] = by_id.reindex(gid[has].astype(str)).to_numpy(dtype=object)
        network[pd.isna(network)] = default
        frame["network"] = network
    return make_findings(frame, crs=crs, skipped=skipped)
