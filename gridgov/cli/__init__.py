"""The ``gridgov`` command: a thin shell over the library.

Each subcommand parses its arguments, reads its layers with the
``gg.read_*`` readers, calls the library, writes the outputs and returns an
exit code:

* ``0`` -- done, and no finding of severity ``error``;
* ``1`` -- done, and some finding of severity ``error`` (``check``,
  ``unify``, ``propose``); for ``demo``, the run did not reproduce the
  planted defects;
* ``2`` -- usage or input error, printed as one message, never a traceback.

A layer argument is a path, or ``PATH::LAYER`` to pick one layer of a
multi-layer file such as a GeoPackage.  gridgov never reprojects silently:
metric work needs every layer in one projected CRS in metres, and
``--metric`` reprojects every input to one CGCS2000 Gauss-Krüger zone (or
UTM outside China) explicitly, saying which.  Progress bars go to stderr
when it is a terminal (``--progress`` / ``--no-progress`` to force).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridgov.errors import CRSError, GridgovError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import geopandas as gpd
    import pandas as pd

__all__ = ["main"]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

_LAYER_SEP = "::"


try:  # errors of the file reader (a missing layer, an unreadable file)
    from pyogrio.errors import DataLayerError, DataSourceError

    _READ_ERRORS: tuple[type[Exception], ...] = (DataLayerError, DataSourceError)
except ImportError:  # pragma: no cover - pyogrio is a dependency
    _READ_ERRORS = ()


#: What ends a command with exit code 2 and one message.
_ERRORS: tuple[type[Exception], ...] = (GridgovError, OSError, ImportError, *_READ_ERRORS)


def _print(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _note(text: str) -> None:
    sys.stderr.write(text + "\n")


# -- reading ---------------------------------------------------------------------------------


def _split(source: str) -> tuple[str, str | None]:
    """``PATH::LAYER`` -> (PATH, LAYER); a plain path has no layer."""
    if _LAYER_SEP in source:
        path, layer = source.rsplit(_LAYER_SEP, 1)
        return path, layer or None
    return source, None


def _exists(path: str, what: str) -> None:
    if not Path(path).exists():
        msg = f"{what}: no such file: {path}"
        raise UsageError(msg)


def _read(
    source: str | None, kind: str, *, id_column: str | None = None, under_review: bool = False
) -> gpd.GeoDataFrame | None:
    """Read one layer with the reader of its kind (``None`` passes through).

    A grid layer `under_review` may hold duplicated ids: the check reports them.
    """
    if source is None:
        return None
    import gridgov as gg

    path, layer = _split(source)
    _exists(path, kind)
    if kind == "households":
        return gg.read_households(path, layer=layer, id_column=id_column or "household_id")
    if kind == "buildings":
        return gg.read_buildings(path, layer=layer, id_column=id_column or "building_id")
    if kind == "stations":
        return gg.read_stations(path, layer=layer, id_column=id_column or "station_id")
    if kind == "roads":
        return gg.read_roads(path, layer=layer, id_column=id_column)
    return gg.read_layer(
        path,
        layer=layer,
        kind=kind,  # type: ignore[arg-type]
        id_column=id_column,
        allow_duplicate_ids=under_review,
    )


def _network_pairs(values: Sequence[str] | None) -> dict[str, str]:
    """``NAME=PATH`` options -> {name: path}, refusing repeats and malformed pairs."""
    out: dict[str, str] = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            msg = f"--network expects NAME=PATH, got {value!r}"
            raise UsageError(msg)
        if name in out:
            msg = f"--network {name} given twice"
            raise UsageError(msg)
        out[name] = path
    return out


def _metric(
    frames: dict[str, gpd.GeoDataFrame | None], *, enabled: bool
) -> dict[str, gpd.GeoDataFrame | None]:
    """Reproject every present frame to one metric CRS when ``--metric`` asks for it."""
    if not enabled:
        return frames
    import gridgov as gg

    present = {k: v for k, v in frames.items() if v is not None}
    reprojected = gg.to_metric(*present.values())
    crs = reprojected[0].crs
    _note(f"--metric: every layer reprojected to EPSG:{crs.to_epsg()} ({crs.name})")
    out = dict(frames)
    out.update(zip(present, reprojected, strict=True))
    return out


def _progress(args: argparse.Namespace) -> bool:
    if args.progress is None:
        return sys.stderr.isatty()
    return bool(args.progress)


def _rules(args: argparse.Namespace) -> Any:
    from gridgov.rules import RuleSet

    rules = RuleSet.from_toml(args.rules) if args.rules else RuleSet()
    if getattr(args, "as_of", None) is not None:
        rules = rules.replace(as_of=args.as_of)
    return rules


def _output(path: Path, allowed: tuple[str, ...], what: str) -> Path:
    if path.suffix.lower() not in allowed:
        msg = f"{what} must end in {' or '.join(allowed)}, got {path.name!r}"
        raise UsageError(msg)
    if path.parent and not path.parent.exists():
        msg = f"{what}: directory does not exist: {path.parent}"
        raise UsageError(msg)
    return path


def _write_frame(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write findings-like frames by the output's extension."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix in {".geojson", ".json"}:
        frame.to_file(path, driver="GeoJSON")
    elif suffix == ".csv":
        import pandas as pd

        name = frame.geometry.name
        table = pd.DataFrame(frame.drop(columns=[name]))
        table["geometry_wkt"] = frame.geometry.to_wkt().to_numpy()
        table.to_csv(path, index=False)
    else:
        frame.to_file(path, driver="GPKG", layer="findings")


# -- subcommands -----------------------------------------------------------------------------


def _cmd_check(args: argparse.Namespace) -> int:
    from gridgov.check import check

    if args.output is not None:
        _output(args.output, (".gpkg", ".geojson", ".json", ".parquet", ".csv"), "-o")
    if args.report is not None:
        _output(args.report, (".html", ".htm"), "--report")
    rules = _rules(args)
    layers = _metric(
        {
            "grids": _read(args.grids, "grids", id_column=args.id_column, under_review=True),
            "jurisdiction": _read(args.jurisdiction, "jurisdiction"),
            "households": None if args.scheduler else _read(args.households, "households"),
            "buildings": _read(args.buildings, "buildings"),
            "parents": _read(args.parents, "jurisdiction"),
            "features": _read(args.features, "roads"),
            "stations": _read(args.stations, "stations"),
            "roads": _read(args.roads, "roads"),
            "previous": _read(args.previous, "grids", id_column=args.id_column),
        },
        enabled=args.metric,
    )
    grids = layers.pop("grids")
    assert grids is not None
    progress = _progress(args)
    id_column = args.id_column or "grid_id"
    if args.scheduler:
        from gridgov import distributed

        if args.households is not None:
            _exists(args.households, "households")
        with distributed.client_for(args.scheduler, workers=args.workers):
            findings = distributed.check(
                grids,
                households=args.households,
                rules=rules,
                id_column=id_column,
                tile_size=args.tile_size,
                progress=progress,
                **{k: v for k, v in layers.items() if k != "households"},
            )
    else:
        findings = check(grids, rules=rules, id_column=id_column, progress=progress, **layers)
    _print(findings.summary().to_text())
    if args.output is not None:
        _write_frame(findings, args.output)
        _print(f"\nfindings written to {args.output}")
    if args.report is not None:
        findings.to_html(args.report, layer=grids)
        _print(f"report written to {args.report}")
    return EXIT_OK if findings.ok else EXIT_FINDINGS


def _grid_layers(args: argparse.Namespace) -> dict[str, str]:
    named = _network_pairs(args.network)
    for source in args.grids:
        name = Path(_split(source)[0]).stem
        if name in named:
            msg = (
                f"two grid layers would both be called {name!r}; name them with --network NAME=PATH"
            )
            raise UsageError(msg)
        named[name] = source
    if not named:
        msg = "give at least one grid layer (GRIDS or --network NAME=PATH)"
        raise UsageError(msg)
    return named


def _how_table(result: pd.DataFrame, networks: Sequence[str]) -> str:
    import pandas as pd

    from gridgov.assign import HOW

    counts = pd.DataFrame(
        {n: result[f"{n}_how"].value_counts().reindex(list(HOW), fill_value=0) for n in networks}
    )
    counts.loc["total"] = counts.sum()
    return counts.to_string()


def _cmd_assign(args: argparse.Namespace) -> int:
    import gridgov as gg

    sources = _grid_layers(args)
    if args.outside == "nearest" and args.max_distance is None:
        msg = "--outside nearest needs --max-distance METRES"
        raise UsageError(msg)
    options: dict[str, Any] = {
        "outside": args.outside,
        "max_distance": args.max_distance,
        "on_boundary": args.on_boundary,
    }
    progress = _progress(args)
    if args.scheduler:
        from gridgov import distributed

        if args.output.suffix.lower() == ".csv":
            msg = "with --scheduler, -o is a directory of Parquet files (one per partition)"
            raise UsageError(msg)
        _exists(args.households, "households")
        frames = {n: _read(s, "grids") for n, s in sources.items()}
        buildings = _read(args.buildings, "buildings")
        with distributed.client_for(args.scheduler, workers=args.workers):
            lazy = distributed.assign(
                args.households,
                frames,
                buildings=buildings,
                output=args.output,
                overwrite=args.overwrite,
                progress=progress,
                **options,
            )
            table = distributed.load_table(lazy, progress=progress)
        _print("households per network, by how they were assigned:")
        _print(table.groupby("network").sum(numeric_only=True).T.to_string())
        _print(f"\nassignment written to {args.output}/ (one Parquet file per partition)")
        return EXIT_OK
    _output(args.output, (".csv", ".parquet"), "-o")
    if args.output.exists() and not args.overwrite:
        msg = f"{args.output} exists; pass --overwrite to replace it"
        raise UsageError(msg)
    layers = _metric(
        {
            "households": _read(args.households, "households"),
            "buildings": _read(args.buildings, "buildings"),
            **{f"grids:{n}": _read(s, "grids") for n, s in sources.items()},
        },
        enabled=args.metric,
    )
    households = layers.pop("households")
    buildings = layers.pop("buildings")
    grids = {k.removeprefix("grids:"): v for k, v in layers.items()}
    result = gg.assign(households, grids, buildings=buildings, progress=progress, **options)
    if args.output.suffix.lower() == ".parquet":
        result.to_parquet(args.output)
    else:
        result.to_csv(args.output)
    _print(f"{len(result):,} households, {len(grids)} network(s); how they were assigned:")
    _print(_how_table(result, list(grids)))
    _print(f"\nassignment written to {args.output}")
    return EXIT_OK


def _repair(layers: dict[str, gpd.GeoDataFrame], *, enabled: bool) -> dict[str, gpd.GeoDataFrame]:
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
        _note(f"--make-valid: repaired {int(invalid.sum())} invalid grid(s) of {name}: {ids}")
        out[name] = fixed
    return out


def _cmd_unify(args: argparse.Namespace) -> int:
    import gridgov as gg

    sources = _network_pairs(args.network)
    if len(sources) < 1:
        msg = "give the networks to unify with --network NAME=PATH (at least one)"
        raise UsageError(msg)
    _output(args.output, (".gpkg",), "-o")
    if args.report is not None:
        _output(args.report, (".html", ".htm"), "--report")
    frames = _metric(
        {
            "households": _read(args.households, "households"),
            **{f"grids:{n}": _read(s, "grids") for n, s in sources.items()},
        },
        enabled=args.metric,
    )
    households = frames.pop("households")
    layers = {k.removeprefix("grids:"): v for k, v in frames.items() if v is not None}
    layers = _repair(layers, enabled=args.make_valid)
    one = gg.unify(
        layers,
        base=args.base,
        tolerance=args.tolerance,
        share_tolerance=args.share_tolerance,
        straddle_share=args.straddle_share,
        households=households,
        progress=_progress(args),
    )
    _print(one.summary())
    one.to_file(args.output)
    _print(f"\ncells, crosswalk, relations and conflicts written to {args.output}")
    if args.report is not None:
        one.conflicts.to_html(
            args.report,
            layer=one.cells,
            title="gridgov one network: conflicts between networks",
        )
        _print(f"report written to {args.report}")
    return EXIT_OK if one.conflicts.ok else EXIT_FINDINGS


def _cmd_compare(args: argparse.Namespace) -> int:
    import gridgov as gg

    _output(args.output, (".gpkg",), "-o")
    if args.report is not None:
        _output(args.report, (".html", ".htm"), "--report")
    frames = _metric(
        {
            "old": _read(args.old, "grids"),
            "new": _read(args.new, "grids"),
            "households": _read(args.households, "households"),
        },
        enabled=args.metric,
    )
    old, new = frames["old"], frames["new"]
    assert old is not None
    assert new is not None
    # invalid grids are measured as shapely.make_valid repairs them; the outputs keep them
    changes = gg.compare(old, new, households=frames["households"])
    _print(changes.summary())
    changes.to_file(args.output)
    _print(f"\nchanges written to {args.output}")
    if args.report is not None:
        changes.to_html(args.report)
        _print(f"report written to {args.report}")
    return EXIT_OK


def _cmd_propose(args: argparse.Namespace) -> int:
    import gridgov as gg

    _output(args.output, (".gpkg",), "-o")
    if args.report is not None:
        _output(args.report, (".html", ".htm"), "--report")
    frames = _metric(
        {
            "grids": _read(args.grids, "grids"),
            "households": _read(args.households, "households"),
            "units": _read(args.units, "buildings"),
            "roads": _read(args.roads, "roads"),
            "buildings": _read(args.buildings, "buildings"),
            "parents": _read(args.parents, "jurisdiction"),
            "jurisdiction": _read(args.jurisdiction, "jurisdiction"),
        },
        enabled=args.metric,
    )
    grids, households = frames.pop("grids"), frames.pop("households")
    assert grids is not None
    assert households is not None
    plan = gg.propose(
        grids,
        households,
        rules=_rules(args),
        units=frames["units"],
        roads=frames["roads"],
        buildings=frames["buildings"],
        parents=frames["parents"],
        jurisdiction=frames["jurisdiction"],
        seed=args.seed,
        progress=_progress(args),
    )
    _print(plan.summary())
    plan.to_file(args.output)
    _print(f"\nnext edition written to {args.output}")
    if args.report is not None:
        plan.to_html(args.report)
        _print(f"report written to {args.report}")
    return EXIT_OK if plan.findings.ok else EXIT_FINDINGS


def _cmd_demo(args: argparse.Namespace) -> int:
    import gridgov as gg
    from gridgov import datasets
    from gridgov.rules import RuleSet

    demo = datasets.load_demo(metric=True)
    street = demo.street.iloc[0]
    _print(
        f"gridgov demo: {street['name']} ({street['unit_id']}), EPSG:{demo.street.crs.to_epsg()}: "
        f"{len(demo.communities)} communities, {len(demo.buildings):,} buildings, "
        f"{len(demo.households):,} households, {len(demo.stations)} service stations"
    )
    _print("networks: " + ", ".join(f"{n} {len(g)} grids" for n, g in demo.networks.items()))
    progress = _progress(args)

    _print("\n1. assign every household to one grid of each network")
    result = gg.assign(demo.households, demo.networks, progress=progress)
    _print(_how_table(result, list(demo.networks)))

    _print("\n2. check the governance network against the four principles")
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
    _print(findings.summary().to_text(max_grids=10))

    score = datasets.score_defects(findings, stage="check")
    found = int((score["status"] == "found").sum())
    missed = int((score["status"] == "missed").sum())
    unexpected = int((score["status"] == "unexpected").sum())
    _print(
        f"\nplanted defects (gg.datasets.demo_defects): {found} found, {missed} missed, "
        f"{unexpected} unexpected findings"
    )
    if args.report is not None:
        findings.to_html(
            args.report, layer=demo.governance, title="gridgov demo: 玄清街道 governance grids"
        )
        _print(f"report written to {args.report}")
    return EXIT_OK if missed == 0 and unexpected == 0 else EXIT_FINDINGS


# -- the parser ------------------------------------------------------------------------------


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"must be a positive integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _distance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        msg = f"must be a non-negative number of metres, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        msg = f"must be a share between 0 and 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        msg = f"must be a date YYYY-MM-DD, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _common(parser: argparse.ArgumentParser, *, metric: bool = True) -> None:
    if metric:
        parser.add_argument(
            "--metric",
            action="store_true",
            help="reproject every input to one metric CRS first (otherwise they must be in one)",
        )
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress", dest="progress", action="store_true", default=None, help="show progress bars"
    )
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="hide them")


def _dask_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("dask (needs the [dask] extra)")
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS|local",
        help="run on a dask cluster: a scheduler address, or 'local' for a LocalCluster",
    )
    group.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="workers of the LocalCluster (with --scheduler local)",
    )


def _report_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report", type=Path, metavar="HTML", help="write an HTML report")


def _add_check(commands: Any) -> None:
    check = commands.add_parser(
        "check",
        help="check a grid layer against the four principles",
        description=(
            "Check GRIDS against the four principles; rules run when their context is given."
        ),
    )
    check.add_argument("grids", metavar="GRIDS", help="the grid layer")
    for name, help_ in (
        ("jurisdiction", "the area the grids must cover (gaps, spill)"),
        ("households", "household points (loads, uncovered households)"),
        ("buildings", "building footprints (split buildings)"),
        ("parents", "parent units, e.g. communities (crossing, balance)"),
        ("features", "road/river/wall lines that boundaries should follow"),
        ("stations", "service stations (service gaps, with --roads)"),
        ("roads", "the road network for walking distances"),
        ("previous", "the previous edition of the layer (load drift)"),
    ):
        check.add_argument(f"--{name}", metavar="PATH", help=help_)
    check.add_argument("--rules", type=Path, metavar="TOML", help="thresholds (RuleSet TOML)")
    check.add_argument("--as-of", type=_date, metavar="DATE", help="date for review ages")
    check.add_argument("--id-column", metavar="NAME", help="grid id column (default grid_id)")
    check.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="PATH",
        help="findings: .gpkg, .geojson, .parquet or .csv (geometry as WKT)",
    )
    check.add_argument(
        "--tile-size", type=_distance, metavar="METRES", help="tile side with --scheduler"
    )
    _report_option(check)
    _common(check)
    _dask_options(check)
    check.set_defaults(run=_cmd_check)


def _add_assign(commands: Any) -> None:
    assign = commands.add_parser(
        "assign",
        help="assign every household to exactly one grid of each network",
        description=(
            "Assign HOUSEHOLDS to GRIDS (each a network named after its file) and/or "
            "--network NAME=PATH layers."
        ),
    )
    assign.add_argument("households", metavar="HOUSEHOLDS")
    assign.add_argument("grids", metavar="GRIDS", nargs="*")
    assign.add_argument("--network", action="append", metavar="NAME=PATH")
    assign.add_argument("--outside", choices=["unassigned", "nearest"], default="unassigned")
    assign.add_argument("--max-distance", type=_distance, metavar="METRES")
    assign.add_argument(
        "--on-boundary",
        choices=["smallest_id", "first_in_layer", "largest_overlap_building"],
        default="smallest_id",
    )
    assign.add_argument("--buildings", metavar="PATH", help="keep each building in one grid")
    assign.add_argument(
        "-o", "--output", type=Path, required=True, metavar="PATH", help=".csv or .parquet"
    )
    assign.add_argument("--overwrite", action="store_true", help="replace an existing output")
    _common(assign)
    _dask_options(assign)
    assign.set_defaults(run=_cmd_assign)


def _add_unify(commands: Any) -> None:
    unify = commands.add_parser(
        "unify",
        help="unify several networks into one (多网合一)",
        description="Lay the --network layers on one another: cells, crosswalk, conflicts.",
    )
    unify.add_argument("--network", action="append", metavar="NAME=PATH", required=True)
    unify.add_argument("--base", metavar="NAME", help="the network whose ids the result keeps")
    unify.add_argument("--households", metavar="PATH")
    unify.add_argument(
        "--tolerance",
        type=_distance,
        default=1.0,
        metavar="METRES",
        help="boundaries closer than this are the same line (default: %(default)s)",
    )
    unify.add_argument(
        "--share-tolerance",
        type=_share,
        default=0.05,
        metavar="SHARE",
        help="shares of a grid's area below this are noise (default: %(default)s)",
    )
    unify.add_argument(
        "--straddle-share",
        type=_share,
        default=0.25,
        metavar="SHARE",
        help="a grid straddles when it has this share in two others (default: %(default)s)",
    )
    unify.add_argument(
        "--make-valid", action="store_true", help="repair invalid grids (and say which)"
    )
    unify.add_argument("-o", "--output", type=Path, required=True, metavar="GPKG")
    _report_option(unify)
    _common(unify)
    unify.set_defaults(run=_cmd_unify)


def _add_compare(commands: Any) -> None:
    compare = commands.add_parser(
        "compare",
        help="match two editions of a network and classify the changes",
        description=(
            "Compare OLD and NEW editions: unchanged, renamed, reshaped, split, merged, "
            "regrouped, added, removed grids, and household flows."
        ),
    )
    compare.add_argument("old", metavar="OLD")
    compare.add_argument("new", metavar="NEW")
    compare.add_argument("--households", metavar="PATH", help="household flows between grids")
    compare.add_argument("-o", "--output", type=Path, required=True, metavar="GPKG")
    _report_option(compare)
    _common(compare)
    compare.set_defaults(run=_cmd_compare)


def _add_propose(commands: Any) -> None:
    propose = commands.add_parser(
        "propose",
        help="propose the next edition: split overloaded, merge underloaded grids",
        description="Propose a redesign of GRIDS so that every grid is within its bounds.",
    )
    propose.add_argument("grids", metavar="GRIDS")
    propose.add_argument("--households", metavar="PATH", required=True)
    propose.add_argument("--units", metavar="PATH", help="indivisible units (e.g. compounds)")
    propose.add_argument("--roads", metavar="PATH", help="lines new boundaries should follow")
    propose.add_argument("--buildings", metavar="PATH", help="buildings not to split")
    propose.add_argument("--parents", metavar="PATH", help="parent units not to cross")
    propose.add_argument("--jurisdiction", metavar="PATH")
    propose.add_argument("--rules", type=Path, metavar="TOML")
    propose.add_argument("--as-of", type=_date, metavar="DATE")
    propose.add_argument("--seed", type=int, default=0)
    propose.add_argument("-o", "--output", type=Path, required=True, metavar="GPKG")
    _report_option(propose)
    _common(propose)
    propose.set_defaults(run=_cmd_propose)


def _add_demo(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="the main job on the embedded demo street: assign, check, report",
        description=(
            "Assign the demo households to the three networks, check the governance "
            "network with its full context, print the summary and write the HTML report.  "
            "Exit code 0 when the check finds exactly the planted defects."
        ),
    )
    demo.add_argument(
        "--report",
        type=Path,
        default=Path("gridgov-demo-report.html"),
        metavar="HTML",
        help="where to write the HTML report (default: %(default)s)",
    )
    demo.add_argument("--no-report", dest="report", action="store_const", const=None)
    _common(demo, metric=False)
    demo.set_defaults(run=_cmd_demo)


def _parser() -> argparse.ArgumentParser:
    from gridgov import __version__

    parser = argparse.ArgumentParser(
        prog="gridgov",
        description=(
            "Check, assign, unify and redesign community grids (网格).  A layer is a "
            "path, or PATH::LAYER for one layer of a GeoPackage.  Exit codes: 0 done and "
            "no error finding, 1 error findings, 2 usage or input error."
        ),
    )
    parser.add_argument("--version", action="version", version=f"gridgov {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    _add_check(commands)
    _add_assign(commands)
    _add_unify(commands)
    _add_compare(commands)
    _add_propose(commands)
    _add_demo(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gridgov`` command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        0 done without error findings, 1 error findings, 2 usage or input error.

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
    except SystemExit as exit_:  # argparse exits 2 on usage errors, 0 on --help
        return int(exit_.code or 0)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except CRSError as error:
        hint = ""
        if hasattr(args, "metric") and not args.metric:
            hint = " (or pass --metric to reproject every input to one metric CRS)"
        sys.stderr.write(f"gridgov {args.command}: error: {error}{hint}\n")
        return EXIT_USAGE
    except _ERRORS as error:
        sys.stderr.write(f"gridgov {args.command}: error: {error}\n")
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
