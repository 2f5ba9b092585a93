"""Benchmark: gg.assign against geopandas.sjoin and a bare prepared STRtree query.

Generates ``--households`` points and ``--grids`` Voronoi cells densified to
about 100 vertices each, over a 100 km square.  1 % of the households fall
outside every grid (they are spread over a slightly larger square) and 0.2 %
sit exactly on a grid vertex, so that the boundary and outside semantics are
exercised.  Runs, side by side and ``--repeat`` times each (interleaved):

* ``gg.assign(households, {"governance": grids}, outside="nearest", max_distance=100)``
  (validation of both layers, the full boundary and outside semantics, the
  result frame);
* ``geopandas.sjoin(households, grids, predicate="within")``;
* a bare prepared ``shapely.STRtree`` query giving the (point, grid) pairs of
  points strictly inside grids, in both orientations (points in the tree and
  the prepared grids querying it, or the grids in the tree and the points
  querying it); the faster one is the peer.

and prints the medians, the two ratios (targets: >= 1.5x faster than sjoin,
<= 1.3x the bare query) and the peak memory of each call above the data.
Then, unless ``--no-large``, one run of ``gg.assign`` on ``--large``
households with its time and peak memory.

Usage::

    /work/venv/bin/python benchmarks/bench_assign.py [--households 1000000] [--grids 10000]
        [--repeat 3] [--large 5000000 | --no-large]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from gridgov._core.threads import thread_count
from gridgov.assign import assign
from gridgov.layers import validate_layer

if TYPE_CHECKING:
    from collections.abc import Callable

SIDE = 100_000.0
CRS = "EPSG:4549"


def make_grids(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    extent = shapely.box(0, 0, SIDE, SIDE)
    seeds = shapely.multipoints(rng.uniform(0, SIDE, size=(n, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=extent))
    cells = shapely.intersection(cells, extent)
    cells = shapely.segmentize(cells, shapely.length(cells) / 100)
    ids = [f"3201020010{i:05d}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"grid_id": ids}, geometry=cells, crs=CRS)


def make_households(n: int, grids: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    margin = SIDE * 0.0025  # about 1 % of the area lies outside every grid
    xy = rng.uniform(-margin, SIDE + margin, size=(n, 2))
    vertices = shapely.get_coordinates(grids.geometry.to_numpy())
    on_vertex = rng.choice(n, size=n // 500, replace=False)
    xy[on_vertex] = vertices[rng.integers(0, len(vertices), len(on_vertex))]
    ids = np.char.add("H", np.char.zfill(np.arange(n).astype(str), 8)).astype(object)
    return gpd.GeoDataFrame({"household_id": ids}, geometry=shapely.points(xy), crs=CRS)


def _rss() -> int:
    """Resident memory of this process in bytes (Linux), 0 elsewhere."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - not Linux
        return 0


class PeakMemory:
    """Peak resident memory above the level at entry, sampled every few milliseconds."""

    def __enter__(self) -> PeakMemory:
        gc.collect()
        self.base = _rss()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *args: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def extra_mib(self) -> float:
        return (self.peak - self.base) / 2**20


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    with PeakMemory() as memory:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
    return elapsed, memory.extra_mib, result


def _python_progress(fn: Callable[[], Any]) -> float:
    """Share of its solo speed a pure-Python thread keeps while `fn` runs.

    Near 0 when `fn` holds the GIL; near 1 when it releases it and a core is
    free (lower when other processes hold the cores).
    """
    stop = threading.Event()
    count = [0]

    def spin() -> None:
        n = 0
        while not stop.is_set():
            n += 1
        count[0] = n

    thread = threading.Thread(target=spin)
    thread.start()
    time.sleep(0.5)
    stop.set()
    thread.join()
    solo = count[0] / 0.5
    stop.clear()
    thread = threading.Thread(target=spin)
    thread.start()
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    stop.set()
    thread.join()
    return count[0] / elapsed / solo


def gil_check(points: np.ndarray, polygons: np.ndarray, repeat: int) -> None:
    """Show whether STRtree.query releases the GIL, and what two threads gain."""
    tree = shapely.STRtree(points)
    tree.query(polygons[:1])
    halves = [polygons[: len(polygons) // 2], polygons[len(polygons) // 2 :]]

    def query(part: np.ndarray) -> Any:
        return tree.query(part, predicate="contains")

    share = _python_progress(lambda: query(polygons))
    one, two = [], []
    with ThreadPoolExecutor(2) as pool:
        for _ in range(repeat):
            start = time.perf_counter()
            list(map(query, halves))
            one.append(time.perf_counter() - start)
            start = time.perf_counter()
            list(pool.map(query, halves))
            two.append(time.perf_counter() - start)
    a, b = statistics.median(one), statistics.median(two)
    print(
        f"GIL: during STRtree.query a pure-Python thread kept {share:.0%} of its solo speed "
        f"(0% if the query held the GIL); the same queries on 1 thread {a:.2f} s, "
        f"on 2 threads {b:.2f} s ({a / b:.2f}x; 2x needs a free second core)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large", type=int, default=5_000_000)
    parser.add_argument("--no-large", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    grids = make_grids(args.grids, seed=0)
    homes = make_households(args.households, grids, seed=1)
    vertices = shapely.get_num_coordinates(grids.geometry.to_numpy()).mean()
    print(
        f"data: {len(homes):,} households, {len(grids):,} grids "
        f"({vertices:.0f} vertices on average), generated in {time.perf_counter() - start:.1f} s; "
        f"{os.cpu_count()} cores, gg.assign uses {thread_count()} threads; "
        f"process RSS {_rss() / 2**20:.0f} MiB"
    )
    points = homes.geometry.to_numpy()
    polygons = grids.geometry.to_numpy()

    # Every run gets fresh copies made outside the timing, so that no run profits
    # from a spatial index cached on a frame by an earlier one (geopandas caches
    # ``frame.sindex``; sjoin(predicate="within") builds it on the households).
    def run_assign(h: gpd.GeoDataFrame, g: gpd.GeoDataFrame) -> Any:
        return assign(h, {"governance": g}, outside="nearest", max_distance=100.0)

    def run_validate(h: gpd.GeoDataFrame, g: gpd.GeoDataFrame) -> Any:
        return validate_layer(h, kind="households"), validate_layer(g, kind="grids")

    def run_sjoin(h: gpd.GeoDataFrame, g: gpd.GeoDataFrame) -> Any:
        return gpd.sjoin(h, g, predicate="within")

    def run_bare_points_tree(h: gpd.GeoDataFrame, g: gpd.GeoDataFrame) -> Any:
        return shapely.STRtree(h.geometry.to_numpy()).query(
            g.geometry.to_numpy(), predicate="contains"
        )

    def run_bare_grids_tree(h: gpd.GeoDataFrame, g: gpd.GeoDataFrame) -> Any:
        return shapely.STRtree(g.geometry.to_numpy()).query(
            h.geometry.to_numpy(), predicate="within"
        )

    runs: dict[str, Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], Any]] = {
        "gg.assign": run_assign,
        "  of which validate_layer (both layers)": run_validate,
        "geopandas.sjoin(within)": run_sjoin,
        "STRtree(points).query(grids, contains)": run_bare_points_tree,
        "STRtree(grids).query(points, within)": run_bare_grids_tree,
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    memory: dict[str, float] = dict.fromkeys(runs, 0.0)
    for _ in range(args.repeat):
        for name, fn in runs.items():
            h, g = homes.copy(), grids.copy()
            elapsed, extra, result = timed(lambda fn=fn, h=h, g=g: fn(h, g))
            times[name].append(elapsed)
            memory[name] = max(memory[name], extra)
            del result, h, g
    gil_check(points, polygons, args.repeat)
    result = run_assign(homes, grids)
    how = result["governance_how"].value_counts().to_dict()
    print(f"gg.assign result: {how}")

    print(f"\nmedian of {args.repeat} runs (peak memory above the data):")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"  {name:42s} {median:7.3f} s   {memory[name]:7.0f} MiB")
    bare_name = min(
        ("STRtree(points).query(grids, contains)", "STRtree(grids).query(points, within)"),
        key=medians.__getitem__,
    )
    ours, sjoin, bare = medians["gg.assign"], medians["geopandas.sjoin(within)"], medians[bare_name]
    print(f"\nsjoin / gg.assign = {sjoin / ours:.2f}x faster (target >= 1.5)")
    print(
        f"gg.assign / bare  = {ours / bare:.2f}x the bare query (target <= 1.3; bare = {bare_name})"
    )
    rest = ours - medians["  of which validate_layer (both layers)"]
    print(
        f"(gg.assign minus validate_layer: {rest:.3f} s, {sjoin / rest:.2f}x faster than sjoin, "
        f"{rest / bare:.2f}x the bare query)"
    )

    if not args.no_large:
        del homes, result, points
        gc.collect()
        large = make_households(args.large, grids, seed=2)
        elapsed, extra, result = timed(
            lambda: assign(large, {"governance": grids}, outside="nearest", max_distance=100.0)
        )
        print(
            f"\n{len(large):,} households: gg.assign {elapsed:.2f} s, peak memory "
            f"{extra:.0f} MiB above the data (process peak {_rss() / 2**20:.0f} MiB now)"
        )


if __name__ == "__main__":
    main()
