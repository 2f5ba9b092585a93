"""``gridgov unify``: lay several networks on one another (多网合一)."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from gridgov.cli import inputs, options, outputs
from gridgov.cli._registry import command
from gridgov.cli.exits import EXIT_FINDINGS, EXIT_OK
from gridgov.errors import UsageError

if TYPE_CHECKING:
    import argparse

    import geopandas as gpd

log = logging.getLogger("gridgov.cli")

EXAMPLES = """\
examples:
  gridgov unify --network party=p.gpkg --network governance=g.gpkg --network service=s.gpkg \\
      --base governance -o one_network.gpkg --report unify.html
  gridgov unify --network governance=data.gpkg::governance --network party=data.gpkg::party \\
      --households data.gpkg::households --make-valid -o one.gpkg

The GeoPackage holds the layers cells, crosswalk, relations and conflicts.
Exit code 1 when a conflict has severity error."""


def arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gridgov unify``."""
    options.networks(parser, required=True)
    parser.add_argument(
        "--base", metavar="NAME", help="the network whose ids the unified layer keeps"
    )
    options.layer(parser, "households", "household points (shared households per grid pair)")
    parser.add_argument(
        "--tolerance",
        type=options.distance,
        default=1.0,
        metavar="METRES",
        help="boundaries closer than this are the same line (default: %(default)s)",
    )
    parser.add_argument(
        "--share-tolerance",
        type=options.share,
        default=0.05,
        metavar="SHARE",
        help="shares of a grid's area below this are noise (default: %(default)s)",
    )
    parser.add_argument(
        "--straddle-share",
        type=options.share,
        default=0.25,
        metavar="SHARE",
        help="a grid straddles when it has this share in two others (default: %(default)s)",
    )
    parser.add_argument(
        "--make-valid", action="store_true", help="repair invalid grids (and say which)"
    )
    options.output(parser, "the result: a GeoPackage (.gpkg)", metavar="GPKG")
    options.report(parser)
    options.points(parser)
    options.common(parser)


def repair(layers: dict[str, gpd.GeoDataFrame], *, enabled: bool) -> dict[str, gpd.GeoDataFrame]:
    """Apply ``shapely.make_valid`` to invalid grids when ``--make-valid`` asks, and say so."""
    import shapely

    out = {}
    for name, frame in layers.items():
        invalid = ~shapely.is_valid(frame.geometry.to_numpy())
        if not (invalid.any() and enabled):
            out[name] = frame
            continue
        fixed = frame.copy()
        fixed.loc[invalid, fixed.geometry.name] = shapely.make_valid(
            fixed.geometry.to_numpy()[invalid], method="structure"
        )
        ids = ", ".join(map(str, fixed.loc[invalid, "grid_id"].head(5)))
        log.info("--make-valid: repaired %d invalid grid(s) of %s: %s", invalid.sum(), name, ids)
        out[name] = fixed
    return out


@command(
    "unify",
    help="unify several networks into one (多网合一)",
    description=(
        "Lay the --network layers on one another: the common cells, the grid-to-grid "
        "crosswalk, and the conflicts (grids straddling another network's boundaries)."
    ),
    epilog=EXAMPLES,
    arguments=arguments,
)
def run(args: argparse.Namespace) -> int:
    """Run ``gridgov unify``."""
    import gridgov as gg

    sources = inputs.named(args.network)
    if args.base is not None and args.base not in sources:
        msg = f"--base {args.base} is not one of the networks ({', '.join(sources)})"
        raise UsageError(msg)
    outputs.check(args, args.output, "-o", (".gpkg",))
    outputs.check(args, args.report, "--report", options.REPORT_SUFFIXES)
    frames = inputs.metric(
        {
            "households": inputs.read(args.households, "households", points=inputs.points_of(args)),
            **{f"grids:{n}": inputs.read(s, "grids") for n, s in sources.items()},
        },
        enabled=args.metric,
    )
    households = frames.pop("households")
    layers = {k.removeprefix("grids:"): v for k, v in frames.items() if v is not None}
    layers = repair(layers, enabled=args.make_valid)
    one = gg.unify(
        layers,
        base=args.base,
        tolerance=args.tolerance,
        share_tolerance=args.share_tolerance,
        straddle_share=args.straddle_share,
        households=households,
        progress=options.progress(args),
    )
    sys.stdout.write(f"{one.summary()}\n")
    outputs.write(args.output, one.to_file, "cells, crosswalk, relations and conflicts")
    if args.report is not None:
        html = one.conflicts.to_html(
            layer=one.cells, title="gridgov one network: conflicts between networks"
        )
        outputs.write_html(args.report, html)
    return EXIT_OK if one.conflicts.ok else EXIT_FINDINGS
