"""``gridgov assign``: assign every household to exactly one grid of each network."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, get_args

from gridgov.assign import HOW, BoundaryRule, OutsideRule
from gridgov.cli import inputs, options, outputs
from gridgov.cli._registry import command
from gridgov.cli.exits import EXIT_OK
from gridgov.errors import UsageError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    import pandas as pd

#: What an assignment may be written as (in memory; with --scheduler, a folder).
SUFFIXES = (".csv", ".parquet")

EXAMPLES = """\
examples:
  gridgov assign households.csv governance.gpkg -o assignment.csv
  gridgov assign households.parquet --network governance=gov.gpkg --network party=party.gpkg \\
      --outside nearest --max-distance 50 -o assignment.parquet
  gridgov assign households/ gov.gpkg --scheduler local --workers 2 -o assigned/"""


def arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gridgov assign``."""
    options.layer(parser, "HOUSEHOLDS", "household points (with --scheduler: GeoParquet files)")
    options.layer(parser, "GRIDS", "grid layers, each a network named after its file", nargs="*")
    options.networks(parser)
    parser.add_argument(
        "--outside",
        choices=get_args(OutsideRule),
        default="unassigned",
        help="what a household in no grid gets (default: %(default)s)",
    )
    parser.add_argument(
        "--max-distance",
        type=options.distance,
        metavar="METRES",
        help="farthest nearest grid, with --outside nearest (required there)",
    )
    parser.add_argument(
        "--on-boundary",
        choices=get_args(BoundaryRule),
        default="smallest_id",
        help="which grid a household on a shared boundary gets (default: %(default)s)",
    )
    options.layer(parser, "buildings", "building footprints: keep each building in one grid")
    options.output(
        parser, "the assignment: .csv or .parquet (with --scheduler: a folder of Parquet files)"
    )
    options.points(parser)
    options.common(parser)
    options.dask(parser)


def how_table(result: pd.DataFrame, networks: Sequence[str]) -> str:
    """Households per network by how they were assigned, with a total row."""
    import pandas as pd

    counts = pd.DataFrame(
        {n: result[f"{n}_how"].value_counts().reindex(list(HOW), fill_value=0) for n in networks}
    )
    counts.loc["total"] = counts.sum()
    return counts.to_string()


@command(
    "assign",
    help="assign every household to exactly one grid of each network",
    description=(
        "Assign HOUSEHOLDS to GRIDS (each a network named after its file) and/or "
        "--network NAME=PATH layers: one grid per network for every household."
    ),
    epilog=EXAMPLES,
    arguments=arguments,
)
def run(args: argparse.Namespace) -> int:
    """Run ``gridgov assign``."""
    import gridgov as gg

    sources = inputs.grid_layers(args.grids, args.network)
    if args.outside == "nearest" and args.max_distance is None:
        msg = "--outside nearest needs --max-distance METRES"
        raise UsageError(msg)
    if args.scheduler and args.output.suffix.lower() == ".csv":
        msg = "with --scheduler, -o is a directory of Parquet files (one per partition)"
        raise UsageError(msg)
    suffixes = None if args.scheduler else SUFFIXES
    outputs.check(args, args.output, "-o", suffixes, directory=bool(args.scheduler))
    choices: dict[str, Any] = {
        "outside": args.outside,
        "max_distance": args.max_distance,
        "on_boundary": args.on_boundary,
    }
    progress = options.progress(args)
    out = sys.stdout
    if args.scheduler:
        from gridgov import distributed

        inputs.exists(args.households, "households")
        frames = {n: inputs.read(s, "grids") for n, s in sources.items()}
        buildings = inputs.read(args.buildings, "buildings", points=inputs.points_of(args))
        with distributed.client_for(args.scheduler, workers=args.workers):
            lazy = distributed.assign(
                str(args.households.path),
                frames,
                buildings=buildings,
                output=args.output,
                overwrite=args.overwrite,
                progress=progress,
                **choices,
            )
            table = distributed.load_table(lazy, progress=progress)
        out.write("households per network, by how they were assigned:\n")
        out.write(table.groupby("network").sum(numeric_only=True).T.to_string() + "\n")
        outputs.log.info("assignment written to %s/ (one Parquet file per partition)", args.output)
        return EXIT_OK
    layers = inputs.metric(
        {
            "households": inputs.read(args.households, "households", points=inputs.points_of(args)),
            "buildings": inputs.read(args.buildings, "buildings", points=inputs.points_of(args)),
            **{f"grids:{n}": inputs.read(s, "grids") for n, s in sources.items()},
        },
        enabled=args.metric,
    )
    households = layers.pop("households")
    buildings = layers.pop("buildings")
    grids = {k.removeprefix("grids:"): v for k, v in layers.items()}
    result = gg.assign(households, grids, buildings=buildings, progress=progress, **choices)
    out.write(f"{len(result):,} households, {len(grids)} network(s); how they were assigned:\n")
    out.write(how_table(result, list(grids)) + "\n")
    if args.output.suffix.lower() == ".parquet":
        outputs.write(args.output, result.to_parquet, "assignment")
    else:
        outputs.write(args.output, result.to_csv, "assignment")
    return EXIT_OK
