"""``gridgov check``: check a grid layer against the four principles."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from gridgov.cli import inputs, options, outputs
from gridgov.cli._registry import command
from gridgov.cli.exits import EXIT_FINDINGS, EXIT_OK

if TYPE_CHECKING:
    import argparse

#: The context layers: option, reader kind, help.
CONTEXT = (
    ("jurisdiction", "jurisdiction", "the area the grids must cover (gaps, spill)"),
    ("households", "households", "household points (loads, uncovered households)"),
    ("buildings", "buildings", "building footprints (split buildings)"),
    ("parents", "jurisdiction", "parent units, e.g. communities (crossing, balance)"),
    ("features", "roads", "road/river/wall lines that boundaries should follow"),
    ("stations", "stations", "service stations (service gaps, with --roads)"),
    ("roads", "roads", "the road network for walking distances"),
    ("previous", "grids", "the previous edition of the layer (load drift)"),
)

EXAMPLES = """\
examples:
  gridgov check grids.gpkg --jurisdiction street.gpkg --households households.csv \\
      --parents communities.gpkg --report check.html -o findings.gpkg
  gridgov check data.gpkg::governance --jurisdiction data.gpkg::street --metric
  gridgov check grids.gpkg --households households/ --scheduler local --workers 2 \\
      -o findings.parquet

exit code 0 when no finding has severity error, 1 when some has."""


def arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gridgov check``."""
    options.layer(parser, "GRIDS", "the grid layer to check")
    for name, _, help_ in CONTEXT:
        options.layer(parser, name, help_)
    options.rules(parser)
    parser.add_argument("--id-column", metavar="NAME", help="grid id column (default: grid_id)")
    options.output(
        parser,
        "findings: .gpkg, .geojson, .parquet or .csv (geometry as WKT)",
        required=False,
    )
    options.report(parser)
    parser.add_argument(
        "--tile-size",
        type=options.distance,
        metavar="METRES",
        help="side of the square tiles the checks run on, with --scheduler",
    )
    options.points(parser)
    options.common(parser)
    options.dask(parser)


@command(
    "check",
    help="check a grid layer against the four principles",
    description=(
        "Check GRIDS against the four principles (scale, boundary, coverage, adjustment); "
        "each rule runs when the context it needs is given."
    ),
    epilog=EXAMPLES,
    arguments=arguments,
)
def run(args: argparse.Namespace) -> int:
    """Run ``gridgov check``."""
    from gridgov.check import check

    outputs.check(args, args.output, "-o", outputs.FRAME_SUFFIXES)
    outputs.check(args, args.report, "--report", options.REPORT_SUFFIXES)
    outputs.distinct(args.output, args.report)
    rules = inputs.ruleset(args)
    frames = {
        "grids": inputs.read(args.grids, "grids", id_column=args.id_column, under_review=True)
    }
    for name, kind, _ in CONTEXT:
        source = getattr(args, name)
        if name == "households" and args.scheduler:
            frames[name] = None  # read by the workers
        elif name == "previous":
            frames[name] = inputs.read(
                source, kind, id_column=args.id_column, points=inputs.points_of(args)
            )
        else:
            frames[name] = inputs.read(source, kind, points=inputs.points_of(args))
    layers = inputs.metric(frames, enabled=args.metric)
    grids = layers.pop("grids")
    assert grids is not None
    progress = options.progress(args)
    id_column = args.id_column or "grid_id"
    if args.scheduler:
        from gridgov import distributed

        if args.households is not None:
            inputs.exists(args.households, "households")
        with distributed.client_for(args.scheduler, workers=args.workers):
            findings = distributed.check(
                grids,
                households=None if args.households is None else str(args.households.path),
                rules=rules,
                id_column=id_column,
                tile_size=args.tile_size,
                progress=progress,
                **{k: v for k, v in layers.items() if k != "households"},
            )
    else:
        findings = check(grids, rules=rules, id_column=id_column, progress=progress, **layers)
    sys.stdout.write(findings.summary().to_text() + "\n")
    if args.output is not None:
        outputs.write_frame(findings, args.output)
    if args.report is not None:
        outputs.write_html(args.report, findings.to_html(layer=grids))
    return EXIT_OK if findings.ok else EXIT_FINDINGS
