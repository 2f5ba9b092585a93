"""``gridgov demo``: the main job on the embedded demo street: assign, check, report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from gridgov.cli import options, outputs
from gridgov.cli._registry import command
from gridgov.cli.assign import how_table
from gridgov.cli.exits import EXIT_INTERNAL, EXIT_OK

if TYPE_CHECKING:
    import argparse

#: Where the demo writes its report unless told otherwise.
DEFAULT_REPORT = Path("gridgov-demo-report.html")

EXAMPLES = """\
examples:
  gridgov demo
  gridgov demo --report demo.html --overwrite
  gridgov demo --no-report

Exit code 0 when the check finds exactly the planted defects
(gg.datasets.demo_defects), whose findings are expected; 3 (an internal
error) otherwise."""


def arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gridgov demo``."""
    options.report(parser, default=DEFAULT_REPORT)
    parser.add_argument(
        "--no-report", dest="report", action="store_const", const=None, help="write no report"
    )
    options.overwrite(parser)
    options.common(parser, metric=False)


@command(
    "demo",
    help="the main job on the embedded demo street: assign, check, report",
    description=(
        "Assign the demo households to the three networks, check the governance "
        "network with its full context, print the summary and write the HTML report."
    ),
    epilog=EXAMPLES,
    arguments=arguments,
)
def run(args: argparse.Namespace) -> int:
    """Run ``gridgov demo``."""
    import sys

    import gridgov as gg
    from gridgov import datasets
    from gridgov.rules import RuleSet

    outputs.check(args, args.report, "--report", options.REPORT_SUFFIXES)
    out = sys.stdout
    demo = datasets.load_demo(metric=True)
    street = demo.street.iloc[0]
    out.write(
        f"gridgov demo: {street['name']} ({street['unit_id']}), EPSG:{demo.street.crs.to_epsg()}: "
        f"{len(demo.communities)} communities, {len(demo.buildings):,} buildings, "
        f"{len(demo.households):,} households, {len(demo.stations)} service stations\n"
    )
    out.write("networks: " + ", ".join(f"{n} {len(g)} grids" for n, g in demo.networks.items()))
    progress = options.progress(args)

    out.write("\n\n1. assign every household to one grid of each network\n")
    result = gg.assign(demo.households, demo.networks, progress=progress)
    out.write(how_table(result, list(demo.networks)) + "\n")

    out.write("\n2. check the governance network against the four principles\n")
    findings = gg.check(
        demo.governance,
        jurisdiction=demo.street,
        households=demo.households,
        buildings=demo.buildings,
        parents=demo.communities,
        features=demo.roads,
        stations=demo.stations,
        roads=demo.roads[demo.roads["kind"] == "road"],
        previous=demo.previous,
        rules=RuleSet(as_of=datasets.DEMO_AS_OF),
        progress=progress,
    )
    out.write(findings.summary().to_text(max_grids=10) + "\n")

    score = datasets.score_defects(findings, stage="check")
    found = int((score["status"] == "found").sum())
    missed = int((score["status"] == "missed").sum())
    unexpected = int((score["status"] == "unexpected").sum())
    out.write(
        f"\nplanted defects (gg.datasets.demo_defects): {found} found, {missed} missed, "
        f"{unexpected} unexpected findings\n"
    )
    if args.report is not None:
        html = findings.to_html(
            layer=demo.governance, title="gridgov demo: 玄清街道 governance grids"
        )
        outputs.write_html(args.report, html)
    if missed or unexpected:  # the demo's findings are planted: not reproducing them is a bug
        logging.getLogger("gridgov.cli").error(
            "internal error: the check did not reproduce the demo's planted defects "
            "(%d missed, %d unexpected); please report it",
            missed,
            unexpected,
        )
        return EXIT_INTERNAL
    return EXIT_OK
