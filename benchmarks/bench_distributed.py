"""Benchmark gridgov.distributed.assign: 20,000,000 households, 50,000 grids, 2 workers.

Target (DESIGN.md, Performance targets): assignment of 20,000,000 households
from partitioned GeoParquet on a 2-worker LocalCluster with peak memory per
worker under 2 GiB.

The data is generated once, in chunks (never all households in memory), under
``benchmarks/data/`` (git-ignored) and reused when present:

* ``grids_<G>.parquet``: G grids, a Voronoi tessellation of a jittered lattice
  of 200 m cells (EPSG:4549), each boundary densified to about 100 vertices;
* ``households_<N>_<G>/part.NNN.parquet``: N household points, one file per
  5 km × 5 km block (spatially compact partitions), uniformly spread.

Then it runs, side by side:

1. ``gridgov.distributed.assign`` on a LocalCluster (``--workers`` processes,
   one thread each), writing the result per partition (``output=``);
2. in-process ``gridgov.assign`` on a subset of ``--subset`` households
   (whole partitions) with the same grids, scaled linearly to N;

and prints wall time, throughput, the ratio of (1) to the scaled (2), and the
peak resident memory of each worker process (``ru_maxrss``).

Usage::

    python benchmarks/bench_distributed.py                    # the full target
    python benchmarks/bench_distributed.py --households 2000000 --grids 5000   # smaller
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
CRS = "EPSG:4549"  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
ORIGIN = (500_000.0, 3_500_000.0)
CELL = 200.0  # grid spacing (m)
BLOCK = 5_000.0  # side of a household partition (m)
VERTICES = 100  # vertices per grid boundary, about


def _lattice(n_grids: int) -> tuple[int, int]:
    """Columns and rows of a lattice of about `n_grids` cells, 5:4 aspect."""
    rows = max(1, round(math.sqrt(n_grids * 4 / 5)))
    cols = max(1, math.ceil(n_grids / rows))
    return cols, rows


def make_grids(n_grids: int, *, seed: int = 7) -> gpd.GeoDataFrame:
    """A Voronoi tessellation of a jittered lattice: `n_grids` grids covering a rectangle.

    The shared edges are densified once, so neighbours share every vertex (a
    valid coverage, as a topologically clean grid layer is) and each grid has
    about :data:`VERTICES` vertices.
    """
    rng = np.random.default_rng(seed)
    cols, rows = _lattice(n_grids)
    x0, y0 = ORIGIN
    gx, gy = np.meshgrid(np.arange(cols) * CELL + CELL / 2, np.arange(rows) * CELL + CELL / 2)
    px = x0 + gx.ravel() + rng.uniform(-0.3 * CELL, 0.3 * CELL, gx.size)
    py = y0 + gy.ravel() + rng.uniform(-0.3 * CELL, 0.3 * CELL, gx.size)
    extent = shapely.box(x0, y0, x0 + cols * CELL, y0 + rows * CELL)
    cells = shapely.voronoi_polygons(
        shapely.multipoints(np.c_[px, py]), extend_to=extent, ordered=True
    )
    cells = shapely.intersection(shapely.get_parts(cells), extent)
    edges = shapely.line_merge(shapely.union_all(shapely.boundary(cells)))  # each edge once
    edges = shapely.segmentize(shapely.get_parts(edges), 4 * CELL / VERTICES)
    cells = shapely.get_parts(shapely.polygonize(edges))
    centre = shapely.get_coordinates(shapely.point_on_surface(cells))
    cells = cells[np.lexsort((centre[:, 0], centre[:, 1]))]
    ids = [f"{320102001000000 + i:015d}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"grid_id": ids, "kind": "comprehensive"}, geometry=cells, crs=CRS)


def grids_path(data: Path, n_grids: int) -> Path:
    path = data / f"grids_{n_grids}.parquet"
    if not path.exists():
        t0 = time.perf_counter()
        data.mkdir(parents=True, exist_ok=True)
        make_grids(n_grids).to_parquet(path)
        print(f"generated {n_grids:,} grids in {time.perf_counter() - t0:.1f} s -> {path}")
    return path


def households_path(data: Path, n_households: int, grids: gpd.GeoDataFrame) -> Path:
    """Write `n_households` points as one GeoParquet file per block (once)."""
    n_grids = len(grids)
    folder = data / f"households_{n_households}_{n_grids}"
    done = folder / "_SUCCESS"
    if done.exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    xmin, ymin, xmax, ymax = grids.total_bounds
    nbx = max(1, math.ceil((xmax - xmin) / BLOCK))
    nby = max(1, math.ceil((ymax - ymin) / BLOCK))
    blocks = [
        (
            xmin + i * BLOCK,
            ymin + j * BLOCK,
            min(xmax, xmin + (i + 1) * BLOCK),
            min(ymax, ymin + (j + 1) * BLOCK),
        )
        for j in range(nby)
        for i in range(nbx)
    ]
    areas = np.array([(b[2] - b[0]) * (b[3] - b[1]) for b in blocks])
    counts = np.floor(areas / areas.sum() * n_households).astype(np.int64)
    counts[: n_households - counts.sum()] += 1
    start = 0
    for k, ((bx0, by0, bx1, by1), count) in enumerate(zip(blocks, counts, strict=True)):
        rng = np.random.default_rng([11, k])
        xs = rng.uniform(bx0, bx1, count)
        ys = rng.uniform(by0, by1, count)
        ids = np.char.add("H", np.char.zfill(np.arange(start, start + count).astype(str), 10))
        part = gpd.GeoDataFrame(
            {
                "household_id": pd.array(ids, dtype="str"),
                "persons": rng.integers(1, 6, count).astype(np.int16),
            },
            geometry=shapely.points(xs, ys),
            crs=CRS,
        )
        part.to_parquet(folder / f"part.{k:03d}.parquet", row_group_size=100_000)
        start += count
    done.touch()
    print(
        f"generated {n_households:,} households in {len(blocks)} partitions "
        f"in {time.perf_counter() - t0:.1f} s -> {folder}"
    )
    return folder


def _peak_rss() -> int:
    """Peak resident set size of this process, in bytes (Linux: ru_maxrss is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000_000)
    parser.add_argument("--grids", type=int, default=50_000)
    parser.add_argument("--subset", type=int, default=2_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GiB", help="per worker (default: %(default)s)")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--skip-inprocess", action="store_true")
    args = parser.parse_args(argv)

    grids_file = grids_path(args.data, args.grids)
    grids = gpd.read_parquet(grids_file)
    folder = households_path(args.data, args.households, grids)
    if args.generate_only:
        return 0

    from gridgov import distributed as ggd
    from gridgov.assign import assign as assign_in_memory

    files = sorted(folder.glob("part.*.parquet"))
    out = args.data / f"assigned_{args.households}_{args.grids}"
    if out.exists():
        shutil.rmtree(out)
    layers = {"governance": grids}

    vertices = int(shapely.get_num_coordinates(grids.geometry.to_numpy()).mean())
    print(
        f"gridgov.distributed.assign: {args.households:,} households ({len(files)} partitions) "
        f"x {len(grids):,} grids (~{vertices} vertices) on a LocalCluster of "
        f"{args.workers} workers x 1 thread"
    )
    with ggd.client_for("local", workers=args.workers, memory_limit=args.memory_limit) as client:
        t0 = time.perf_counter()
        result = ggd.assign(str(folder), layers, output=str(out), progress=False)
        wall = time.perf_counter() - t0
        peaks = client.run(_peak_rss)
        rows = result.shape[0].compute()
    print(f"  wall time         {wall:10.1f} s")
    print(f"  throughput        {args.households / wall:12,.0f} households/s")
    print(f"  rows written      {rows:12,} ({out})")
    for address, peak in sorted(peaks.items()):
        print(f"  peak RSS worker   {peak / 2**30:10.2f} GiB  ({address})")
    worst = max(peaks.values()) / 2**30
    print(f"  target < 2 GiB per worker: {'met' if worst < 2 else 'NOT met'} ({worst:.2f} GiB)")

    if args.skip_inprocess:
        return 0
    # In-process baseline: whole partitions up to --subset households.
    subset: list[gpd.GeoDataFrame] = []
    n = 0
    for path in files:
        if n >= args.subset:
            break
        part = gpd.read_parquet(path)
        subset.append(part)
        n += len(part)
    households = pd.concat(subset, ignore_index=True)
    del subset
    t0 = time.perf_counter()
    local = assign_in_memory(households, layers)
    local_wall = time.perf_counter() - t0
    scaled = local_wall * args.households / len(households)
    print(
        f"in-process gridgov.assign on {len(households):,} households: {local_wall:.1f} s "
        f"({len(households) / local_wall:,.0f} households/s; scaled to "
        f"{args.households:,}: {scaled:.1f} s); peak RSS {_peak_rss() / 2**30:.2f} GiB"
    )
    print(f"  ratio distributed / scaled in-process: {wall / scaled:.2f}")
    assert len(local) == len(households)
    return 0


if __name__ == "__main__":
    sys.exit(main())
