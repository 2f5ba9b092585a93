"""Options shared by the gridgov commands, defined once: inputs, outputs, rules, logging, dask.

A command adds what it needs with the functions here (``layer``,
``output``, ``report``, ``rules``, ``common``, ``dask``) so that the same
option has the same name, value type, check and help text everywhere.
Value types (``positive_int``, ``distance``, ``share``, ``iso_date``,
``layer_source``, ``network_pair``, ``scheduler_address``) turn a bad value
into one argparse error line (exit code 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "LAYER_SEP",
    "REPORT_SUFFIXES",
    "Source",
    "common",
    "crs_text",
    "dask",
    "distance",
    "input_file",
    "iso_date",
    "layer",
    "layer_source",
    "network_pair",
    "networks",
    "output",
    "overwrite",
    "points",
    "positive_int",
    "progress",
    "report",
    "rules",
    "scheduler_address",
    "share",
]

#: Separates a file from one of its layers in a layer argument (``PATH::LAYER``).
LAYER_SEP = "::"

#: What an HTML report may be called.
REPORT_SUFFIXES = (".html", ".htm")


# -- value types -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """An input argument: a file (or folder), and for a multi-layer file one of its layers."""

    text: str
    path: Path
    layer: str | None = None

    def __str__(self) -> str:
        return self.text


def layer_source(text: str) -> Source:
    """``PATH`` or ``PATH::LAYER`` -> :class:`Source` (the file need not exist yet)."""
    path, sep, name = text.rpartition(LAYER_SEP)
    if not sep:
        path, name = text, ""
    if not path:
        msg = f"expects PATH or PATH::LAYER, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return Source(text, Path(path), name or None)


def input_file(text: str) -> Source:
    """Parse a plain input file (no layer part), e.g. a rules file."""
    if not text:
        msg = "expects a file name, got ''"
        raise argparse.ArgumentTypeError(msg)
    return Source(text, Path(text))


def network_pair(text: str) -> tuple[str, Source]:
    """``NAME=PATH`` (or ``NAME=PATH::LAYER``) -> (name, source)."""
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        msg = f"expects NAME=PATH, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return name, layer_source(path)


def positive_int(text: str) -> int:
    """Parse a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"must be a positive integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def distance(text: str) -> float:
    """Parse a non-negative number of metres."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        msg = f"must be a non-negative number of metres, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def share(text: str) -> float:
    """Parse a share between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        msg = f"must be a share between 0 and 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def iso_date(text: str) -> dt.date:
    """Parse a date ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        msg = f"must be a date YYYY-MM-DD, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


_ADDRESS = re.compile(r"^([a-z][a-z0-9+.-]*://\S+|[\w.-]+:\d+)$", re.IGNORECASE)


def scheduler_address(text: str) -> str:
    """``local``, or a dask scheduler address (``tcp://HOST:PORT`` or ``HOST:PORT``)."""
    if text != "local" and not _ADDRESS.match(text):
        msg = f"must be 'local' or a scheduler address such as tcp://10.0.0.5:8786, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return text


# -- shared options --------------------------------------------------------------------------


def layer(
    parser: argparse.ArgumentParser,
    name: str,
    help: str,
    *,
    required: bool = False,
    nargs: str | None = None,
) -> None:
    """Add an input layer: positional when `name` is upper case (``GRIDS``), else ``--name``."""
    text = help
    if name.isupper():
        parser.add_argument(name.lower(), metavar=name, type=layer_source, nargs=nargs, help=text)
    else:
        parser.add_argument(
            f"--{name}", metavar="PATH", type=layer_source, required=required, help=text
        )


def networks(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """Add ``--network NAME=PATH`` (repeatable): a grid layer and the network it is."""
    parser.add_argument(
        "--network",
        action="append",
        type=network_pair,
        metavar="NAME=PATH",
        required=required,
        help="a grid layer and the name of its network, e.g. governance=gov.gpkg (repeat it)",
    )


def rules(parser: argparse.ArgumentParser) -> None:
    """Add ``--rules TOML`` and ``--as-of DATE``."""
    parser.add_argument(
        "--rules",
        type=input_file,
        metavar="TOML",
        help="thresholds of the rules (a RuleSet TOML file; default: gg.RuleSet())",
    )
    parser.add_argument(
        "--as-of",
        type=iso_date,
        metavar="DATE",
        help="the date review ages are counted to, YYYY-MM-DD (default: today)",
    )


def output(
    parser: argparse.ArgumentParser, what: str, *, metavar: str = "PATH", required: bool = True
) -> None:
    """Add ``-o/--output`` and ``--overwrite``."""
    parser.add_argument("-o", "--output", type=Path, metavar=metavar, required=required, help=what)
    overwrite(parser)


def overwrite(parser: argparse.ArgumentParser) -> None:
    """Add ``--overwrite`` (every command that writes has it)."""
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing outputs (whole: nothing of an earlier run is kept)",
    )


def report(parser: argparse.ArgumentParser, *, default: Path | None = None) -> None:
    """Add ``--report HTML``."""
    help_ = "write an HTML report (needs matplotlib, the plot extra)"
    if default is not None:
        help_ += " (default: %(default)s)"
    parser.add_argument("--report", type=Path, metavar="HTML", default=default, help=help_)


def common(parser: argparse.ArgumentParser, *, metric: bool = True) -> None:
    """Add the options of every command: ``--metric``, progress, ``-q/-v``, ``--debug``."""
    if metric:
        parser.add_argument(
            "--metric",
            action="store_true",
            help="reproject every input to one metric CRS first (otherwise they must be in one)",
        )
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show progress bars (default: when stderr is a terminal and not --quiet)",
    )
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="hide them")
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=0,
        help="warnings and errors only (-qq: errors only); results still go to stdout",
    )
    talk.add_argument(
        "-v", "--verbose", action="count", default=0, help="also debug messages on stderr"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the traceback of an error (for bug reports)",
    )


def crs_text(text: str) -> str:
    """``--crs``: a CRS pyproj understands (``EPSG:4490``, ``4326``, a WKT or PROJ string)."""
    import pyproj

    try:
        pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        msg = f"not a CRS pyproj knows: {text!r} (e.g. EPSG:4490 for CGCS2000, EPSG:4326)"
        raise argparse.ArgumentTypeError(msg) from None
    return text


def points(parser: argparse.ArgumentParser) -> None:
    """Add ``--crs``, ``--x``, ``--y`` and ``--offset``: how point tables are read.

    They apply to every point input of the command read from a table
    (households, stations, point buildings: CSV, TSV): the readers'
    keywords of the same names.
    """
    from gridgov.readers import OFFSETS

    group = parser.add_argument_group("point tables (households, stations, buildings as CSV)")
    group.add_argument(
        "--crs",
        type=crs_text,
        metavar="CRS",
        help="CRS of the coordinates of point tables, e.g. EPSG:4490 (CGCS2000) or EPSG:4326",
    )
    group.add_argument(
        "--x", metavar="COLUMN", help="column of the x / longitude (default: found by name)"
    )
    group.add_argument(
        "--y", metavar="COLUMN", help="column of the y / latitude (default: found by name)"
    )
    group.add_argument(
        "--offset",
        choices=OFFSETS,
        help=(
            "the points come from a Chinese web map: gcj02 (Amap/Gaode, Tencent) or bd09 "
            "(Baidu) longitude/latitude, converted to WGS 84 on reading"
        ),
    )


def dask(parser: argparse.ArgumentParser) -> None:
    """Add ``--scheduler`` and ``--workers`` (the ``dask`` extra)."""
    group = parser.add_argument_group("dask (needs the [dask] extra)")
    group.add_argument(
        "--scheduler",
        type=scheduler_address,
        metavar="ADDRESS|local",
        help="run on a dask cluster: a scheduler address, or 'local' for a LocalCluster",
    )
    group.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="workers of the LocalCluster (with --scheduler local)",
    )


def progress(args: argparse.Namespace) -> bool:
    """Whether to show progress bars: ``--progress``/``--no-progress``, else on a terminal."""
    import sys

    if args.progress is None:
        return sys.stderr.isatty() and not getattr(args, "quiet", 0)
    return bool(args.progress)
