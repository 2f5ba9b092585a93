"""Redesign a grid network for its next edition (动态调整).

A planner's starting point: see what changed between the last two editions of
the comprehensive governance grid, then let gridgov propose the next edition —
overloaded grids split along roads without cutting a building, underloaded
grids merged with a neighbour of the same community — and review the plan
before adopting it.

Run it on the embedded demo street::

    python examples/redesign.py --out redesign-output

or on your own data (any format GDAL reads; households may be a CSV with
coordinates)::

    python examples/redesign.py --grids grids.gpkg --previous grids-2023.gpkg \\
        --households households.csv --roads roads.gpkg --buildings buildings.gpkg \\
        --out redesign-output

Outputs in ``--out``: ``changes.gpkg`` / ``changes.html`` (what changed since
the previous edition) and ``next_edition.gpkg`` / ``plan.html`` (the proposed
edition, the changes it makes and why, and its check).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import gridgov as gg
from gridgov import datasets
from gridgov.compare import compare
from gridgov.propose import propose
from gridgov.rules import RuleSet

if TYPE_CHECKING:
    import geopandas as gpd


def load(args: argparse.Namespace) -> dict[str, gpd.GeoDataFrame | None]:
    """The layers to work on, all in one projected CRS (metres)."""
    if args.grids is None:
        demo = datasets.load_demo(metric=True)
        return {
            "grids": demo.governance,
            "previous": demo.previous,
            "households": demo.households,
            "roads": demo.roads,
            "buildings": demo.buildings,
            "parents": demo.communities,
        }
    layers: dict[str, gpd.GeoDataFrame | None] = {
        "grids": gg.read_layer(args.grids, network="governance"),
        "previous": None if args.previous is None else gg.read_layer(args.previous),
        "households": gg.read_households(args.households, crs=args.crs),
        "roads": None if args.roads is None else gg.read_roads(args.roads),
        "buildings": None if args.buildings is None else gg.read_buildings(args.buildings),
        "parents": None,
    }
    present = {name: frame for name, frame in layers.items() if frame is not None}
    projected = gg.to_metric(*present.values())  # explicit: gridgov never reprojects silently
    return {**layers, **dict(zip(present, projected, strict=True))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=Path, help="current edition (default: the demo)")
    parser.add_argument("--previous", type=Path, help="previous edition, to compare with")
    parser.add_argument("--households", type=Path, help="household points or CSV")
    parser.add_argument("--crs", default="EPSG:4490", help="CRS of CSV coordinates")
    parser.add_argument("--roads", type=Path, help="road lines: splits follow them")
    parser.add_argument("--buildings", type=Path, help="building footprints: never split")
    parser.add_argument("--seed", type=int, default=0, help="seed of the plan (default 0)")
    parser.add_argument("--out", type=Path, default=Path("redesign-output"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    layers = load(args)
    grids, households = layers["grids"], layers["households"]
    if grids is None or households is None:
        parser.error("--grids needs --households")

    # 1. What changed since the previous edition, and where did households go?
    if layers["previous"] is not None:
        changes = compare(layers["previous"], grids, households=households)
        print(changes.summary(), end="\n\n")
        changes.to_file(args.out / "changes.gpkg")
        changes.to_html(args.out / "changes.html", title="Changes since the previous edition")

    # 2. A plan for the next edition: only grids out of bounds change, and it says why.
    #    Local bounds: RuleSet.from_toml("rules.toml"), or e.g. RuleSet.rural().
    rules = RuleSet()
    plan = propose(
        grids,
        households,
        rules=rules,
        parents=layers["parents"],
        roads=layers["roads"],
        buildings=layers["buildings"],
        seed=args.seed,
        progress=True,
    )
    print(plan.summary())
    plan.to_file(args.out / "next_edition.gpkg")
    plan.to_html(args.out / "plan.html", title="Proposed next edition")
    print(f"\nwritten to {args.out}/: next_edition.gpkg, plan.html (and changes.* when compared)")


if __name__ == "__main__":
    main()
