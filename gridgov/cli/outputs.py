"""Writing the outputs of a command so that no data is ever lost.

* An output must not be one of the inputs (the same file, also as another
  layer of the same GeoPackage, or a folder holding an input), nor exist
  already unless ``--overwrite`` is given (:func:`check`).  These checks run
  before any input is read.
* Every file is written to a temporary name beside the final one and
  renamed into place when complete (:func:`write`,
  :func:`gridgov._core.atomic.atomic_path`): an interrupted or failed run
  leaves nothing under the final name, and a replaced GeoPackage keeps no
  layer of an earlier run.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from gridgov._core.atomic import atomic_path, write_text
from gridgov.cli.options import Source
from gridgov.errors import UsageError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator
    from pathlib import Path

    import geopandas as gpd

__all__ = ["FRAME_SUFFIXES", "check", "distinct", "inputs", "write", "write_frame", "write_html"]

log = logging.getLogger("gridgov.cli")

#: What a findings-like frame may be written as (the format follows the suffix).
FRAME_SUFFIXES = (".gpkg", ".geojson", ".json", ".parquet", ".csv")


def inputs(args: argparse.Namespace) -> Iterator[Source]:
    """Every input of the parsed command line (layers, ``--network`` pairs, rules files)."""
    for value in vars(args).values():
        items: list[Any] = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Source):
                yield item
            elif isinstance(item, tuple) and item and isinstance(item[-1], Source):
                yield item[-1]


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return a.resolve() == b.resolve()


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def check(
    args: argparse.Namespace,
    path: Path | None,
    option: str,
    suffixes: tuple[str, ...] | None,
    *,
    directory: bool = False,
) -> None:
    """Refuse an output that cannot be written without losing data (UsageError, exit 2).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (its inputs and ``--overwrite``).
    path : Path or None
        The output; nothing to check when None.
    option : str
        The option that names it, for the message (``-o``, ``--report``).
    suffixes : tuple of str or None
        The suffixes the output may have (any when None).
    directory : bool, default False
        Whether the output is a folder (an existing empty folder is no loss).
    """
    if path is None:
        return
    if suffixes is not None and path.suffix.lower() not in suffixes:
        msg = f"{option} must end in {' or '.join(suffixes)}, got {path.name!r}"
        raise UsageError(msg)
    parent = path.parent
    if str(parent) and not parent.is_dir():
        msg = f"{option}: directory does not exist: {parent}"
        raise UsageError(msg)
    for source in inputs(args):
        if not source.path.exists():
            continue  # reported when the input is read
        if _same(source.path, path) or (path.is_dir() and _inside(source.path, path)):
            msg = f"{option} {path} would replace the input {source.text}; write to another file"
            raise UsageError(msg)
    if not path.exists() or getattr(args, "overwrite", False):
        return
    if directory and path.is_dir() and not any(path.iterdir()):
        return
    msg = f"{option} {path} exists; pass --overwrite to replace it"
    raise UsageError(msg)


def write(path: Path, writer: Callable[[Path], object], what: str) -> None:
    """Write `path` atomically with ``writer(tmp)`` and say so (an INFO note)."""
    with atomic_path(path) as tmp:
        writer(tmp)
    log.info("%s written to %s", what, path)


def write_html(path: Path, html: str, what: str = "report") -> None:
    """Write an HTML report atomically and say so."""
    write_text(path, html)
    log.info("%s written to %s", what, path)


def write_frame(frame: gpd.GeoDataFrame, path: Path, what: str = "findings") -> None:
    """Write a findings-like frame by the suffix of `path`, atomically."""

    def writer(tmp: Path) -> None:
        suffix = tmp.suffix.lower()
        if suffix == ".parquet":
            frame.to_parquet(tmp)
        elif suffix in {".geojson", ".json"}:
            frame.to_file(tmp, driver="GeoJSON")
        elif suffix == ".csv":
            import pandas as pd

            name = frame.geometry.name
            table = pd.DataFrame(frame.drop(columns=[name]))
            table["geometry_wkt"] = frame.geometry.to_wkt().to_numpy()
            table.to_csv(tmp, index=False)
        else:
            frame.to_file(tmp, driver="GPKG", layer="findings")

    write(path, writer, what)


def distinct(*paths: Path | None) -> None:
    """Refuse two outputs of one command that are the same file."""
    given = [p for p in paths if p is not None]
    for i, a in enumerate(given):
        for b in given[i + 1 :]:
            if _same(a, b):
                msg = f"{a} is given as two outputs; write them to different files"
                raise UsageError(msg)
