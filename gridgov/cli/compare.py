"""``gridgov compare``: match two editions of a network and classify the changes."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from gridgov.cli import inputs, options, outputs
from gridgov.cli._registry import command
from gridgov.cli.exits import EXIT_OK
from gridgov.compare import CHANGE_CLASSES

if TYPE_CHECKING:
    import argparse

EXAMPLES = """\
examples:
  gridgov compare grids_2024.gpkg grids_2025.gpkg -o changes.gpkg
  gridgov compare data.gpkg::previous data.gpkg::governance \\
      --households data.gpkg::households -o changes.gpkg --report changes.html

The GeoPackage holds the layers changes, before, after, links (and flows and
loads with --households)."""


def arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gridgov compare``."""
    options.layer(parser, "OLD", "the earlier edition of the grid layer")
    options.layer(parser, "NEW", "the later edition")
    options.layer(parser, "households", "household points (household flows between grids)")
    options.output(parser, "the changes: a GeoPackage (.gpkg)", metavar="GPKG")
    options.report(parser)
    options.points(parser)
    options.common(parser)


@command(
    "compare",
    help="match two editions of a network and classify the changes",
    description=(
        "Compare the OLD and NEW editions of a grid layer: every grid is one of "
        f"{', '.join(CHANGE_CLASSES)}; with --households, the flows between grids."
    ),
    epilog=EXAMPLES,
    arguments=arguments,
)
def run(args: argparse.Namespace) -> int:
    """Run ``gridgov compare``."""
    import gridgov as gg

    outputs.check(args, args.output, "-o", (".gpkg",))
    outputs.check(args, args.report, "--report", options.REPORT_SUFFIXES)
    frames = inputs.metric(
        {
            "old": inputs.read(args.old, "grids"),
            "new": inputs.read(args.new, "grids"),
            "households": inputs.read(args.households, "households", points=inputs.points_of(args)),
        },
        enabled=args.metric,
    )
    old, new = frames["old"], frames["new"]
    assert old is not None
    assert new is not None
    # invalid grids are measured as shapely.make_valid repairs them; the outputs keep them
    changes = gg.compare(old, new, households=frames["households"])
    sys.stdout.write(f"{changes.summary()}\n")
    outputs.write(args.output, changes.to_file, "changes")
    if args.report is not None:
        outputs.write_html(args.report, changes.to_html())
    return EXIT_OK
