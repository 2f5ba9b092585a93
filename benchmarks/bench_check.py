"""Benchmark: gg.check with every rule on, against gg.assign alone and GEOS coverage validation.

Target (DESIGN.md): ``check`` on 10,000 grids (~100 vertices each) and
1,000,000 households in under 3x the time of ``assign`` alone.  Also printed:
the ratio to :func:`shapely.coverage_invalid_edges` on the same grids (GEOS's
own coverage validation, which finds neither gaps open to the outer edge nor
any of the other rules).

The layer is a lattice of 100 m cells whose shared edges are wiggly polylines
(each cell has 100 vertices, shared exactly with its neighbours), grouped
into communities of 10 x 10 cells, with one cell removed and one shifted by
2 m (so the overlap path runs).  Every rule has its context: the street,
the communities, households with persons, 50,000 building footprints, the
straight lattice lines as roads and features, 400 stations, a previous
edition with recorded loads, ``valid_from`` dates, persons and area bounds.

Run::

    /work/venv/bin/python benchmarks/bench_check.py              # 10,000 x 1,000,000
    /work/venv/bin/python benchmarks/bench_check.py --side 30 --households 100000
    /work/venv/bin/python benchmarks/bench_check.py --steps   # and where the time goes

Each of ``coverage_invalid_edges``, ``assign`` and ``check`` runs once to warm
up (printed, not counted), then ``--repeat`` times interleaved, so that the
machine's noise falls on all three alike; the ratios are of the medians.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely
from shapely.affinity import translate

from gridgov.assign import assign, assign_by_network
from gridgov.check import check
from gridgov.rules import RuleSet

CRS = "EPSG:4549"
SIZE = 100.0  # cell side in metres
VERTICES = 25  # vertices per cell side (100 per cell)
AMPLITUDE = 6.0  # wiggle of the shared edges in metres
#: The context layers given to check.
CONTEXT = (
    "jurisdiction",
    "households",
    "buildings",
    "parents",
    "features",
    "stations",
    "roads",
    "previous",
)


def lattice(side: int, seed: int = 0) -> np.ndarray:
    """Cells of a side x side lattice whose shared edges are identical wiggly polylines."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, VERTICES + 1)[1:-1]
    taper = np.sin(np.pi * t)
    # edge h[i, j] runs from node (i, j) to (i + 1, j), edge v[i, j] from (i, j) to (i, j + 1)
    inner_h = (np.arange(side + 1) % side != 0)[None, :, None]
    inner_v = (np.arange(side + 1) % side != 0)[:, None, None]
    hx = np.broadcast_to((np.arange(side)[:, None, None] + t) * SIZE, (side, side + 1, len(t)))
    hy = np.arange(side + 1)[None, :, None] * SIZE + AMPLITUDE * taper * inner_h * rng.uniform(
        -1, 1, (side, side + 1, len(t))
    )
    vy = np.broadcast_to((np.arange(side)[None, :, None] + t) * SIZE, (side + 1, side, len(t)))
    vx = np.arange(side + 1)[:, None, None] * SIZE + AMPLITUDE * taper * inner_v * rng.uniform(
        -1, 1, (side + 1, side, len(t))
    )
    rings = []
    for i in range(side):
        for j in range(side):
            x0, x1, y0, y1 = i * SIZE, (i + 1) * SIZE, j * SIZE, (j + 1) * SIZE
            xs = np.concatenate(
                [[x0], hx[i, j], [x1], vx[i + 1, j], [x1], hx[i, j + 1][::-1], [x0], vx[i, j][::-1]]
            )
            ys = np.concatenate(
                [[y0], hy[i, j], [y0], vy[i + 1, j], [y1], hy[i, j + 1][::-1], [y1], vy[i, j][::-1]]
            )
            rings.append(np.column_stack([xs, ys]))
    return np.asarray(shapely.polygons(rings))


def scene(side: int, households: int, seed: int = 0) -> dict[str, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    cells = lattice(side, seed)
    i, j = np.divmod(np.arange(side * side), side)
    community = (i // 10) * ((side + 9) // 10) + j // 10
    parent = np.array([f"320102{c + 1:06d}" for c in community], dtype=object)
    seq = np.zeros(len(cells), dtype=int)
    for c in np.unique(community):
        members = np.flatnonzero(community == c)
        seq[members] = np.arange(1, len(members) + 1)
    ids = np.array([f"{p}{s:03d}" for p, s in zip(parent, seq, strict=True)], dtype=object)
    extent = side * SIZE
    grids = gpd.GeoDataFrame(
        {
            "grid_id": ids,
            "parent_id": parent,
            "kind": "comprehensive",
            "valid_from": np.datetime64("2022-01-01") + rng.integers(0, 1500, len(cells)),
        },
        geometry=cells,
        crs=CRS,
    )
    communities = gpd.GeoDataFrame(
        {"unit_id": [f"320102{c + 1:06d}" for c in np.unique(community)]},
        geometry=[shapely.coverage_union_all(cells[community == c]) for c in np.unique(community)],
        crs=CRS,
    )
    previous = grids[["grid_id", "geometry"]].assign(households=rng.integers(60, 140, len(cells)))
    # defects: one cell removed, one shifted 2 m east
    grids = grids.drop(index=len(cells) // 3)
    grids.loc[len(cells) // 2, "geometry"] = translate(cells[len(cells) // 2], 2.0, 0.0)
    street = gpd.GeoDataFrame(
        {"unit_id": ["320102000000"]}, geometry=[shapely.box(0, 0, extent, extent)], crs=CRS
    )
    xy = rng.uniform(0, extent, (households, 2))
    homes = gpd.GeoDataFrame(
        {
            "household_id": np.char.add("H", np.arange(households).astype(str)).astype(object),
            "persons": rng.integers(1, 5, households),
        },
        geometry=shapely.points(xy),
        crs=CRS,
    )
    n_buildings = max(100, households // 20)
    corner = rng.uniform(0, extent - 12, (n_buildings, 2))
    buildings = gpd.GeoDataFrame(
        {"building_id": np.char.add("B", np.arange(n_buildings).astype(str)).astype(object)},
        geometry=shapely.box(corner[:, 0], corner[:, 1], corner[:, 0] + 12, corner[:, 1] + 12),
        crs=CRS,
    )
    # roads along the lattice lines, split at every junction (as road layers come)
    a, b = np.meshgrid(np.arange(side + 1) * SIZE, np.arange(side) * SIZE, indexing="ij")
    a, b = a.ravel(), b.ravel()
    lines = np.concatenate(
        [
            shapely.linestrings(np.stack([np.c_[a, b], np.c_[a, b + SIZE]], axis=1)),
            shapely.linestrings(np.stack([np.c_[b, a], np.c_[b + SIZE, a]], axis=1)),
        ]
    )
    roads = gpd.GeoDataFrame({"kind": ["road"] * len(lines)}, geometry=lines, crs=CRS)
    sx, sy = np.meshgrid(np.arange(250, extent, 500), np.arange(250, extent, 500))
    stations = gpd.GeoDataFrame(
        {"station_id": [f"S{k}" for k in range(sx.size)]},
        geometry=shapely.points(sx.ravel(), sy.ravel() + 3.0),
        crs=CRS,
    )
    return {
        "grids": grids,
        "jurisdiction": street,
        "parents": communities,
        "households": homes,
        "buildings": buildings,
        "features": roads,
        "roads": roads,
        "stations": stations,
        "previous": previous,
    }


def timed(label: str, func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"  {label:<34} {seconds:8.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=100, help="cells per side (default 100)")
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs of each, after a warm-up (default 3)"
    )
    parser.add_argument(
        "--steps",
        action="store_true",
        help="also time each step of check one after the other, on one thread",
    )
    args = parser.parse_args()
    print(f"building the scene: {args.side**2:,} grids, {args.households:,} households ...")
    data = scene(args.side, args.households)
    grids = data["grids"]
    vertices = shapely.get_num_coordinates(grids.geometry.to_numpy()).mean()
    print(
        f"  {len(grids):,} grids ({vertices:.0f} vertices on average), "
        f"{len(data['households']):,} households, {len(data['buildings']):,} buildings, "
        f"{len(data['roads']):,} road lines, {len(data['stations']):,} stations"
    )
    rules = RuleSet(
        households={"comprehensive": (50, 150)},
        max_persons=400,
        min_area=5_000,
        max_area=15_000,
        as_of="2026-06-30",
    )
    inputs = {k: data[k] for k in CONTEXT}
    runs: dict[str, list[float]] = {"cov": [], "assign": [], "check": []}
    findings = None
    print(
        f"timings: one warm-up run of each (not counted: the first run of a process pays "
        f"for fresh memory), then {args.repeat} interleaved runs; medians (min-max):"
    )
    for k in range(args.repeat + 1):
        for name, func in (
            ("cov", lambda: shapely.coverage_invalid_edges(grids.geometry.to_numpy())),
            ("assign", lambda: assign(data["households"], {"grids": grids})),
            ("check", lambda: check(grids, **inputs, rules=rules)),
        ):
            start = time.perf_counter()
            result = func()
            seconds = time.perf_counter() - start
            if k == 0:
                print(f"  warm-up {name:<8} {seconds:6.2f} s")
            else:
                runs[name].append(seconds)
            if name == "check":
                findings = result
    for label, name in (
        ("shapely.coverage_invalid_edges", "cov"),
        ("gg.assign", "assign"),
        ("gg.check (every rule on)", "check"),
    ):
        values = runs[name]
        print(f"  {label:<34} {np.median(values):8.2f} s   ({min(values):.2f}-{max(values):.2f})")
    assert findings is not None
    t_cov, t_assign, t_check = (float(np.median(runs[n])) for n in ("cov", "assign", "check"))
    ran = sorted(set(findings["rule"]))
    print(
        f"  {len(findings):,} findings from {len(ran)} rules; skipped: {findings.skipped or 'none'}"
    )
    # the service rule's network distances are gg.assign_by_network's work: shown apart
    timed(
        "gg.assign_by_network (for reference)",
        assign_by_network,
        data["households"],
        data["stations"],
        data["roads"],
        max_distance=rules.service_distance,
        snap_tolerance=float("inf"),
    )
    print(f"check / assign                         {t_check / t_assign:6.2f}x   (target < 3x)")
    print(f"check / coverage_invalid_edges         {t_check / t_cov:6.2f}x")

    if args.steps:
        steps(data, rules)


def steps(data: dict, rules: RuleSet) -> None:
    """Time the steps of ``check`` one after the other (no concurrency): where the time goes."""
    import importlib

    internals = importlib.import_module("gridgov.check")  # the module; gg.check is the function
    layers = {k: data[k] for k in CONTEXT}
    print("check step by step (one thread, sequential; sums to more than the concurrent run):")
    inputs, _ = timed("validate every layer", internals._validate, data["grids"], layers, "grid_id")
    checker = internals._Checker(inputs, internals._Plan(rules, inputs))
    timed("assign households", checker.assign)
    timed("boundary rules", checker.boundary)
    timed("boundary.off_features", checker.features)
    timed("coverage analysis and rules", checker.coverage)
    served, _ = timed("service network distances", checker.service_distances)
    timed("service, scale, households, adjustment", lambda: (
        checker.service(served), checker.scale(), checker.households(), checker.adjustment()
    ))  # fmt: skip


if __name__ == "__main__":
    main()
