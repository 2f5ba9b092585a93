"""Benchmark gridgov.unify against chained geopandas.overlay(how="intersection").

Target (DESIGN.md, Performance targets): ``unify`` of three layers of
10,000 / 3,000 / 1,000 grids is faster than the chained
``geopandas.overlay(how="intersection")`` of the same layers, while also
producing lineage (the grid of every network for every cell), the crosswalk
and the relations.

The layers are generated in memory, deterministically (``--seed``): each is a
Voronoi tessellation of uniform random points over the same 10 km × 10 km
square in EPSG:4549, every boundary densified to about 100 vertices and bent
by a smooth displacement field (so boundaries are irregular and the three
networks cross each other everywhere, a hard case: almost every grid
straddles the others).  Shared edges are densified from both sides, so the
layers carry the floating-point noise of real coverages.

Then it runs, side by side in one process:

1. ``gg.unify(layers)`` -- cells with lineage, slivers absorbed, crosswalk,
   relations, unified layer;
2. ``geopandas.overlay(a, b, how="intersection")`` then ``overlay(ab, c, ...)``
   -- the intersections only (no lineage beyond the joined columns, no area
   outside any layer, no slivers handled, no tables);

and prints both wall times (the best of ``--repeat`` interleaved runs, the
machine being shared) and their ratio.  The lazy parts of the result --
``.conflicts`` and ``.agreement()`` -- are timed separately after that, for
information.

Usage::

    python benchmarks/bench_unify.py                 # 10,000 / 3,000 / 1,000 grids
    python benchmarks/bench_unify.py --grids 2000 600 200
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely

import gridgov as gg
from gridgov.unify import unify

CRS = "EPSG:4549"  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
ORIGIN = (500_000.0, 3_500_000.0)
SIZE = 10_000.0  # side of the square covered by every layer (m)
VERTICES = 100  # vertices per grid boundary, about
NETWORKS = ("governance", "party", "service")


def make_layer(n_grids: int, seed: int, *, name: str) -> gpd.GeoDataFrame:
    """A coverage of `n_grids` irregular grids of about VERTICES vertices over the square."""
    rng = np.random.default_rng(seed)
    points = shapely.multipoints(rng.uniform(0.0, SIZE, (n_grids, 2)))
    square = shapely.box(0.0, 0.0, SIZE, SIZE)
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=square))
    cells = shapely.intersection(cells, square)
    perimeter = float(shapely.length(shapely.boundary(cells)).mean())
    cells = shapely.segmentize(cells, perimeter / VERTICES)
    spacing = SIZE / np.sqrt(n_grids)
    amplitude, wavelength = 0.02 * spacing, spacing / 2.5
    phase = rng.uniform(0.0, 2 * np.pi, 2)

    def bend(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0], xy[:, 1]
        edge = np.minimum(np.minimum(x, SIZE - x), np.minimum(y, SIZE - y))
        taper = np.clip(edge / (10 * amplitude), 0.0, 1.0)
        dx = amplitude * np.sin(y / wavelength + phase[0]) * np.sin(x / (1.3 * wavelength))
        dy = amplitude * np.sin(x / wavelength + phase[1]) * np.sin(y / (1.1 * wavelength))
        return np.c_[x + dx * taper + ORIGIN[0], y + dy * taper + ORIGIN[1]]

    cells = shapely.transform(cells, bend)
    ids = [f"{name[0].upper()}{i:06d}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"grid_id": ids}, geometry=cells, crs=CRS)


def overlay_chain(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    frames = [frame.rename(columns={"grid_id": name}) for name, frame in layers.items()]
    result = frames[0]
    for frame in frames[1:]:
        result = gpd.overlay(result, frame, how="intersection")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, nargs=3, default=[10_000, 3_000, 1_000])
    parser.add_argument("--seed", type=int, default=20260630)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each, interleaved; the best is compared"
    )
    args = parser.parse_args()

    start = time.perf_counter()
    layers = {
        name: make_layer(n, args.seed + i, name=name)
        for i, (name, n) in enumerate(zip(NETWORKS, args.grids, strict=True))
    }
    vertices = [
        int(shapely.get_num_coordinates(f.geometry.to_numpy()).mean()) for f in layers.values()
    ]
    versions = (
        f"gridgov {gg.__version__}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string}), geopandas {gpd.__version__}"
    )
    print(versions)
    print(
        "layers: "
        + ", ".join(f"{n} {len(f):,} grids" for n, f in layers.items())
        + f"; vertices per grid {vertices}; generated in {time.perf_counter() - start:.1f} s"
    )

    unify_times: list[float] = []
    overlay_times: list[float] = []
    for _ in range(args.repeat):  # interleaved, so that both see the same load
        start = time.perf_counter()
        one = unify(layers)
        unify_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        chained = overlay_chain(layers)
        overlay_times.append(time.perf_counter() - start)
    t_unify, t_overlay = min(unify_times), min(overlay_times)
    runs = ", ".join(f"{t:.2f}" for t in unify_times)
    print(
        f"gg.unify:                    {t_unify:7.2f} s  best of [{runs}]  ({len(one.cells):,} "
        f"cells, {len(one.slivers):,} slivers absorbed, {len(one.crosswalk):,} crosswalk rows, "
        f"{len(one.relations):,} relations)"
    )
    runs = ", ".join(f"{t:.2f}" for t in overlay_times)
    print(
        f"geopandas.overlay chain:     {t_overlay:7.2f} s  best of [{runs}]  "
        f"({len(chained):,} pieces)"
    )
    print(f"ratio overlay / unify:       {t_overlay / t_unify:7.2f}x  (target > 1)")

    area_cells = float(one.cells["area"].sum())
    area_overlay = float(chained.area.sum())
    print(
        f"check: cell area {area_cells:,.1f} m², overlay area {area_overlay:,.1f} m² "
        f"(relative difference {abs(area_cells - area_overlay) / area_overlay:.1e})"
    )

    start = time.perf_counter()
    conflicts = one.conflicts
    t_conflicts = time.perf_counter() - start
    start = time.perf_counter()
    agreement = one.agreement()
    t_agreement = time.perf_counter() - start
    print(f"then .conflicts:             {t_conflicts:7.2f} s  ({len(conflicts):,} findings)")
    print(f"then .agreement():           {t_agreement:7.2f} s")
    print(agreement.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
