"""The ``gridgov`` command: a thin shell over the library.

One module per subcommand (:mod:`~gridgov.cli.check`, ``assign``, ``unify``,
``compare``, ``propose``, ``demo``), each registering itself with
:func:`gridgov.cli._registry.command`; the options they share are defined
once in :mod:`gridgov.cli.options`.  A command reads its layers with the
``gg.read_*`` readers, calls the library, writes its outputs atomically
(:mod:`gridgov.cli.outputs`) and returns 0 or 1; :func:`main` turns
everything else into the exit code:

* ``0`` -- done, and no finding of severity ``error``;
* ``1`` -- done, and some finding of severity ``error`` (``check``,
  ``unify``, ``propose``).  Nothing else exits 1 (``demo`` exits 0 when it
  reproduces its planted defects, whose findings are expected, and 3 when
  it does not);
* ``2`` -- usage or input error (a bad argument, a :class:`~gridgov.GridgovError`,
  an unreadable or unwritable file, a missing optional dependency): one
  line on stderr, never a traceback;
* ``3`` -- an unexpected internal error (a bug): one line saying so;
  ``--debug`` shows the traceback (of exit-2 errors too);
* ``130`` -- interrupted (Ctrl-C).

A layer argument is a path, or ``PATH::LAYER`` to pick one layer of a
multi-layer file such as a GeoPackage.  gridgov never reprojects silently:
metric work needs every layer in one projected CRS in metres, and
``--metric`` reprojects every input to one CGCS2000 Gauss-Krüger zone (or
UTM outside China) explicitly, saying which.  Notes and warnings go to
stderr through the ``logging`` logger ``gridgov`` (``-q``/``-v``); results
(summary tables) go to stdout.  Progress bars go to stderr when it is a
terminal (``--progress`` / ``--no-progress`` to force).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import textwrap
import traceback
import warnings
from typing import TYPE_CHECKING, Any, NoReturn

# The commands, in the order ``gridgov --help`` lists them; importing one registers it.
from gridgov.cli import assign, check, compare, demo, propose, unify  # noqa: F401
from gridgov.cli._registry import COMMANDS
from gridgov.cli.exits import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE
from gridgov.cli.options import layer_source, network_pair
from gridgov.errors import ArgumentError, CRSError, GridgovError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = ["main"]

try:  # errors of the file readers (a missing layer, an unreadable or corrupt file)
    from pandas.errors import EmptyDataError, ParserError
    from pyarrow import ArrowInvalid
    from pyogrio.errors import DataLayerError, DataSourceError

    _READ_ERRORS: tuple[type[Exception], ...] = (
        DataLayerError,
        DataSourceError,
        ArrowInvalid,
        ParserError,
        EmptyDataError,
        UnicodeDecodeError,
    )
except ImportError:  # pragma: no cover - they are dependencies
    _READ_ERRORS = (UnicodeDecodeError,)

#: The extra that installs an optional dependency, for the message when it is missing.
_EXTRAS = {
    "dask": "dask",
    "dask_geopandas": "dask",
    "distributed": "dask",
    "matplotlib": "plot",
    "folium": "plot",
    "mapclassify": "plot",
}

#: What ends a command with exit code 2 and one message.
_ERRORS: tuple[type[Exception], ...] = (GridgovError, OSError, ImportError, *_READ_ERRORS)

_DESCRIPTION = """\
Check, assign, unify and redesign community grids (网格).  A layer is a path,
or PATH::LAYER for one layer of a GeoPackage.

exit codes: 0 done and no error finding, 1 error findings, 2 usage or input
error, 3 internal error (--debug shows the traceback), 130 interrupted."""

_EPILOG = """\
examples:
  gridgov demo
  gridgov check grids.gpkg --jurisdiction street.gpkg --households households.csv
  gridgov COMMAND --help"""


#: What the help of a command with layer arguments says about them.
_LAYERS = "A layer is a path, or PATH::LAYER for one layer of a GeoPackage."
_LAYER_TYPES = (layer_source, network_pair)
_WIDTH = 88


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentError(self.prog, message)


class _Versions(argparse.Action):
    """``--version``: gridgov's version and those of the libraries below it."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.pop("nargs", None)
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any, **__: Any) -> None:
        from gridgov.versions import show_versions

        show_versions()
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gridgov",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action=_Versions,
        help="show the versions of gridgov, shapely/GEOS, geopandas, pyproj/PROJ, "
        "pyogrio/GDAL, numpy, pandas and python, and exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, cmd in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=cmd.help,
            epilog=cmd.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        cmd.arguments(sub)
        description = cmd.description
        if any(action.type in _LAYER_TYPES for action in sub._actions):
            description += "  " + _LAYERS
        sub.description = textwrap.fill(description, width=_WIDTH)
        sub.set_defaults(run=cmd.run)
    return parser


class _StderrHandler(logging.StreamHandler):
    """Write to the current ``sys.stderr`` (which tests and tools may replace)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


class _Formatter(logging.Formatter):
    def __init__(self, prog: str) -> None:
        super().__init__()
        self.prog = prog

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"{self.prog}: {record.levelname.lower()}: {text}"
        return text


@contextlib.contextmanager
def _logging(prog: str, verbosity: int) -> Iterator[logging.Logger]:
    """Send the ``gridgov`` logger (and warnings) to stderr at the level of ``-q``/``-v``."""
    logger = logging.getLogger("gridgov")
    level = {-1: logging.WARNING, 0: logging.INFO}.get(verbosity)
    if level is None:
        level = logging.DEBUG if verbosity > 0 else logging.ERROR
    handler = _StderrHandler()
    handler.setFormatter(_Formatter(prog))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False

    def show(message: Warning | str, *_: Any, **__: Any) -> None:
        logger.warning("%s", message)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            yield logger
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _one_line(error: BaseException) -> str:
    text = " ".join(part.strip() for part in str(error).splitlines() if part.strip())
    return text or type(error).__name__


def _is_usage(error: Exception) -> bool:
    """Whether `error` is a usage or input error (exit 2) rather than a bug (exit 3)."""
    if isinstance(error, ImportError):  # a missing optional dependency, not gridgov itself
        return not (error.name or "").startswith("gridgov")
    return isinstance(error, _ERRORS)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gridgov`` command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        0 done without error findings, 1 error findings, 2 usage or input
        error, 3 internal error, 130 interrupted.

    Examples
    --------
    >>> main(["demo", "--no-report", "--no-progress"])  # doctest: +SKIP
    0
    >>> main(["check"])
    2
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except ArgumentError as error:
        sys.stderr.write(f"{error.prog}: error: {_one_line(error)}\n")
        return EXIT_USAGE
    except SystemExit as exit_:  # --help, --version
        return int(exit_.code or 0)
    prog = f"gridgov {args.command}"
    debug = bool(args.debug)
    with _logging(prog, args.verbose - args.quiet):
        try:
            code: int = args.run(args)
        except KeyboardInterrupt:
            sys.stderr.write(f"{prog}: interrupted\n")
            return EXIT_INTERRUPTED
        except Exception as error:
            if debug:
                traceback.print_exc(file=sys.stderr)
            if not _is_usage(error):
                sys.stderr.write(
                    f"{prog}: internal error: {type(error).__name__}: {_one_line(error)} "
                    "(a bug in gridgov; run again with --debug to see the traceback)\n"
                )
                return EXIT_INTERNAL
            hint = ""
            missing_crs = "without a CRS" in str(error) or "has no CRS" in str(error)
            if (
                isinstance(error, CRSError)
                and not getattr(args, "metric", True)
                and not missing_crs
            ):
                # --metric reprojects mixed or geographic layers; it cannot guess a missing CRS
                hint = " (or pass --metric to reproject every input to one metric CRS)"
            elif isinstance(error, ImportError) and error.name:
                extra = _EXTRAS.get(error.name.partition(".")[0])
                if extra is not None:
                    hint = f" (install it with: pip install 'gridgov[{extra}]')"
            sys.stderr.write(f"{prog}: error: {_one_line(error)}{hint}\n")
            return EXIT_USAGE
    return code
