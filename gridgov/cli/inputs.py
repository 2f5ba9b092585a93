"""Reading the inputs of a command: layers by kind, ``--network`` pairs, ``--metric``, rules."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridgov.errors import UsageError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    import geopandas as gpd

    from gridgov.cli.options import Source

__all__ = ["exists", "grid_layers", "metric", "named", "points_of", "read", "ruleset"]

log = logging.getLogger("gridgov.cli")


def exists(source: Source, what: str) -> None:
    """Refuse a missing input file (UsageError naming it)."""
    if not source.path.exists():
        msg = f"{what}: no such file: {source.path}"
        raise UsageError(msg)


def points_of(args: argparse.Namespace) -> dict[str, Any]:
    """Return the point-table options of a command (``--crs``, ``--x``, ``--y``, ``--offset``)."""
    return {name: getattr(args, name, None) for name in ("crs", "x", "y", "offset")}


def read(
    source: Source | None,
    kind: str,
    *,
    id_column: str | None = None,
    under_review: bool = False,
    points: dict[str, Any] | None = None,
) -> gpd.GeoDataFrame | None:
    """Read one layer with the reader of its kind (``None`` passes through).

    A grid layer `under_review` may hold duplicated ids: the check reports
    them.  `points` (:func:`points_of`) are the readers' ``crs``, ``x``,
    ``y`` and ``offset`` for the point kinds (households, stations, buildings).
    """
    if source is None:
        return None
    exists(source, kind)
    from pandas.errors import EmptyDataError, ParserError
    from pyarrow import ArrowInvalid

    try:
        return _read(
            source, kind, id_column=id_column, under_review=under_review, points=points or {}
        )
    except (ArrowInvalid, ParserError, EmptyDataError, UnicodeDecodeError) as error:
        # readers of Parquet and CSV that do not name the file: say which input it is
        msg = f"{kind}: cannot read {source.text}: {error}"
        raise UsageError(msg) from error


def _read(
    source: Source,
    kind: str,
    *,
    id_column: str | None,
    under_review: bool,
    points: dict[str, Any],
) -> gpd.GeoDataFrame:
    import gridgov as gg

    path, layer = str(source.path), source.layer
    given = {k: v for k, v in points.items() if v is not None}
    if kind == "households":
        return gg.read_households(path, layer=layer, id_column=id_column or "household_id", **given)
    if kind == "buildings":
        return gg.read_buildings(path, layer=layer, id_column=id_column or "building_id", **given)
    if kind == "stations":
        return gg.read_stations(path, layer=layer, id_column=id_column or "station_id", **given)
    if kind == "roads":
        return gg.read_roads(path, layer=layer, id_column=id_column)
    return gg.read_layer(
        path,
        layer=layer,
        kind=kind,  # type: ignore[arg-type]
        id_column=id_column,
        allow_duplicate_ids=under_review,
    )


def named(pairs: Sequence[tuple[str, Source]] | None) -> dict[str, Source]:
    """``--network NAME=PATH`` values -> {name: source}, refusing a name given twice."""
    out: dict[str, Source] = {}
    for name, source in pairs or []:
        if name in out:
            msg = f"--network {name} given twice"
            raise UsageError(msg)
        out[name] = source
    return out


def grid_layers(
    positional: Sequence[Source], pairs: Sequence[tuple[str, Source]] | None
) -> dict[str, Source]:
    """Grid layers given as ``GRIDS`` (named after the file) and as ``--network NAME=PATH``."""
    out = named(pairs)
    for source in positional:
        name = Path(source.path).stem
        if name in out:
            msg = (
                f"two grid layers would both be called {name!r}; name them with --network NAME=PATH"
            )
            raise UsageError(msg)
        out[name] = source
    if not out:
        msg = "give at least one grid layer (GRIDS or --network NAME=PATH)"
        raise UsageError(msg)
    return out


def metric(
    frames: dict[str, gpd.GeoDataFrame | None], *, enabled: bool
) -> dict[str, gpd.GeoDataFrame | None]:
    """Reproject every present frame to one metric CRS when ``--metric`` asks for it."""
    if not enabled:
        return frames
    import gridgov as gg

    present = {k: v for k, v in frames.items() if v is not None}
    reprojected = gg.to_metric(*present.values())
    crs = reprojected[0].crs
    log.info("--metric: every layer reprojected to EPSG:%s (%s)", crs.to_epsg(), crs.name)
    out = dict(frames)
    out.update(zip(present, reprojected, strict=True))
    return out


def ruleset(args: argparse.Namespace) -> Any:
    """Return the RuleSet of ``--rules`` (the defaults without it), dated ``--as-of``."""
    from gridgov.rules import RuleSet

    rules = RuleSet.from_toml(args.rules.path) if args.rules else RuleSet()
    if getattr(args, "as_of", None) is not None:
        rules = rules.replace(as_of=args.as_of)
    return rules
