"""Check a grid layer against the four principles: :func:`check`.

:func:`check` validates every layer it is given (one metric CRS for all),
then runs every registered rule (:mod:`gridgov.rules.registry`) whose inputs
are given, and returns the violations as a :class:`~gridgov.findings.Findings`
frame.  Each rule names the products it takes (the grids, the loads, the
coverage analysis...); :class:`~gridgov.check_products.Products` computes each product once, when a
rule first asks for it, so the households are assigned once, with
:func:`gridgov.assign`, and every rule counting them shares the same loads.

The rules run on a few threads (shapely and numpy release the GIL): the
calling thread assigns the households first, while the workers start the
costliest rules that do not need the assignment, then every thread takes
the next rule none of whose products another thread is computing.
Results are gathered in the registry's order, so they do not depend on
timing.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from gridgov._core.threads import thread_count
from gridgov.check_products import CELLS, Products
from gridgov.checking import as_ruleset, finish, validate_inputs
from gridgov.rules import RULES
from gridgov.rules.registry import call, plan

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from gridgov.findings import Findings
    from gridgov.rules import RuleInfo, RuleSet

__all__ = ["check"]


class _Queue:
    """Rules taken by whichever thread is free: the first whose products no thread computes."""

    def __init__(self, products: Products, rules: list[RuleInfo]) -> None:
        self.products = products
        self.pending = sorted(range(len(rules)), key=lambda k: -rules[k].cost)  # stable
        self.rules = rules
        self.results: list[Future[Any]] = [Future() for _ in rules]
        self._lock = threading.Lock()

    def cancel(self, error: BaseException) -> None:
        """Start no further rule (those running finish); the others end with `error`."""
        with self._lock:
            pending, self.pending = self.pending, []
        for k in pending:
            self.results[k].set_exception(error)

    def _take(self) -> int | None:
        with self._lock:
            if not self.pending:
                return None
            for position, k in enumerate(self.pending):
                info = self.rules[k]
                cells = self.products.cells(info.products + info.optional)
                if not any(cell.busy for cell in cells):
                    return self.pending.pop(position)
            return self.pending.pop(0)  # every rule waits for a product: wait for one

    def work(self) -> None:
        """Run the rules not started yet, one after the other, until none is left.

        A failing rule (or Ctrl-C) stops the queue at once: no thread starts
        another rule, and the error is handed to whoever reads its result; an
        interrupt or exit is raised again in the thread it happened in.
        """
        products = self.products
        while (k := self._take()) is not None:
            try:
                self.results[k].set_result(call(self.rules[k], products.get, products.has))
            except BaseException as error:  # handed to whoever reads the result
                self.results[k].set_exception(error)
                self.cancel(error)
                if not isinstance(error, Exception):  # KeyboardInterrupt, SystemExit
                    raise


def _run(products: Products, rules: list[RuleInfo], *, progress: bool) -> list[pd.DataFrame]:
    """Run `rules` on a few threads and return their records, in the order of `rules`.

    The calling thread first assigns the households (when a rule needs the
    loads) while the workers start the costliest rules; then it takes rules
    too.  The threads, the calling one included, are
    :func:`gridgov._core.threads.thread_count` (``GRIDGOV_THREADS``): more
    threads than cores cost more than they give.
    """
    from tqdm import tqdm

    assigning = products.inputs.households is not None and any(
        any(CELLS.get(p) == ("assignment",) for p in r.products) for r in rules
    )
    queue = _Queue(products, rules)
    parts: list[pd.DataFrame] = []
    workers = thread_count() - 1  # and the calling thread
    with (
        tqdm(
            total=len(rules) + int(assigning), desc="check", unit="rule", disable=not progress
        ) as bar,
        ThreadPoolExecutor(max_workers=max(workers, 1)) as pool,
    ):
        running = [pool.submit(queue.work) for _ in range(workers)]
        try:
            if assigning:
                bar.set_postfix_str("assign households")
                products.get("loads")
                bar.update()
            queue.work()
            for info, result in zip(rules, queue.results, strict=True):
                bar.set_postfix_str(info.code)
                parts.append(result.result())
                bar.update()
            for worker in running:  # an error outside any rule is not lost either
                worker.result()
        except BaseException as error:
            queue.cancel(error)  # the workers start no further rule: the error surfaces now
            raise
    return parts


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

    Every registered rule (:data:`gridgov.RULES`) whose context is given runs
    (see ``docs/rules.md`` for each rule's definition and defaults); the
    others are listed in ``Findings.skipped`` with the reason.  Households are assigned once with
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
    rules = as_ruleset(rules)
    inputs = validate_inputs(
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
    run, skipped = plan(rules, inputs)
    running = [RULES[code] for code in RULES if run[code]]
    parts = _run(Products(inputs, rules, running), running, progress=progress)
    return finish(parts, inputs.grids, rules=rules, crs=inputs.crs, skipped=skipped)
