"""``gridgov propose``: the next edition of a layer, every grid within its bounds."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from gridgov.cli import inputs, options, outputs
from gridgov.cli._registry import command
from gridgov.cli.exits import EXIT_FINDINGS, EXIT_OK

if TYPE_CHECKING:
    import argparse

EXAMPLES = """\
examples:
  gridgov propose grids.gpkg --households households.csv -o next_edition.gpkg
  gridgov propose data.gpkg::governance --households data.gpkg::households \\
      --roads data.gpkg::roads --parents data.gpkg::communities --rules rules.toml \\
      -o next.gpkg --report plan.html

The GeoPackage holds next_edition, findings (of the new edition) and the
layers of gridgov compare.  Exit code 1 when the new edition still has a
finding of severity error."""

#: The context layers: option, reader kind, help.
CONTEXT = (
    ("units", "buildings", "indivisible units, e.g. compounds (parts follow them)"),
    ("roads", "roads", "lines new boundaries should follow"),
    ("buildings", "buildings", "buildings not to split"),
    ("parents", "jurisdiction", "parent units not to cross"),
    ("jurisdiction", "jurisdiction", "the area the next edition must cover"),
)


def arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gridgov propose``."""
    options.layer(parser, "GRIDS", "the current grid layer")
    options.layer(parser, "households", "household points (the load of each grid)", required=True)
    for name, _, help_ in CONTEXT:
        options.layer(parser, name, help_)
    options.rules(parser)
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the random choices (the same seed gives the same plan; default: 0)",
    )
    options.output(parser, "the next edition: a GeoPackage (.gpkg)", metavar="GPKG")
    options.report(parser)
    options.points(parser)
    options.common(parser)


@command(
    "propose",
    help="propose the next edition: split overloaded, merge underloaded grids",
    description=(
        "Propose a redesign of GRIDS so that every grid is within its bounds: split "
        "overloaded grids into contiguous parts and merge underloaded ones with a "
        "neighbour in the same parent."
    ),
    epilog=EXAMPLES,
    arguments=arguments,
)
def run(args: argparse.Namespace) -> int:
    """Run ``gridgov propose``."""
    import gridgov as gg

    outputs.check(args, args.output, "-o", (".gpkg",))
    outputs.check(args, args.report, "--report", options.REPORT_SUFFIXES)
    rules = inputs.ruleset(args)
    frames = inputs.metric(
        {
            "grids": inputs.read(args.grids, "grids"),
            "households": inputs.read(args.households, "households", points=inputs.points_of(args)),
            **{
                name: inputs.read(getattr(args, name), kind, points=inputs.points_of(args))
                for name, kind, _ in CONTEXT
            },
        },
        enabled=args.metric,
    )
    grids, households = frames.pop("grids"), frames.pop("households")
    assert grids is not None
    assert households is not None
    plan = gg.propose(
        grids,
        households,
        rules=rules,
        units=frames["units"],
        roads=frames["roads"],
        buildings=frames["buildings"],
        parents=frames["parents"],
        jurisdiction=frames["jurisdiction"],
        seed=args.seed,
        progress=options.progress(args),
    )
    sys.stdout.write(f"{plan.summary()}\n")
    outputs.write(args.output, plan.to_file, "next edition")
    if args.report is not None:
        outputs.write_html(args.report, plan.to_html())
    return EXIT_OK if plan.findings.ok else EXIT_FINDINGS
