"""Output folders that are complete or absent: written aside, marked, renamed into place.

Part of :mod:`gridgov.distributed`; see its documentation.  A result written
per partition is a folder of Parquet files.  It is written under a temporary
name beside the final one (``.<name>.partial-<random>``, which readers of
partitioned data skip), gets the empty file :data:`SUCCESS_MARKER` once
every partition is written, and is then renamed to the final name
(replacing an earlier result whole).  A folder without the marker -- the
leftover of an interrupted run, or a folder written by something else -- is
refused by :func:`require_complete`, so a partial result is never read as if
it were whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gridgov._core.atomic import atomic_path
from gridgov.errors import LayerError, OutputExistsError

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

#: The file that marks an output folder as complete (Spark's and Hadoop's name).
SUCCESS_MARKER = "_SUCCESS"


def check_target(output: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Return `output` as a Path, refusing to replace a file or, without `overwrite`, data.

    Nothing is deleted here: an earlier result is replaced only when the new
    one is complete (:func:`write_folder`).
    """
    target = Path(output)
    if target.exists() and not target.is_dir():
        msg = f"output {str(target)!r} exists and is not a directory"
        raise OutputExistsError(msg)
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        msg = (
            f"output directory {str(target)!r} is not empty; pass overwrite=True "
            "to replace it, or choose a new directory"
        )
        raise OutputExistsError(msg)
    return target


def write_folder(target: Path, write: Callable[[Path], object]) -> Path:
    """Run ``write(folder)`` on a temporary folder, mark it complete, rename it to `target`.

    On any error (or an interrupt) the temporary folder is removed and
    `target` -- an earlier result included -- is left as it was.
    """
    with atomic_path(target, directory=True) as folder:
        write(folder)
        (folder / SUCCESS_MARKER).write_bytes(b"")
    return target


def require_complete(folder: str | os.PathLike[str], *, layer: str = "assignment") -> None:
    """Raise LayerError unless `folder` is an output folder marked complete."""
    path = Path(folder)
    if not path.is_dir():
        return  # a file, a glob or a missing path: the reader says what is wrong
    if not (path / SUCCESS_MARKER).is_file():
        msg = (
            f"layer {layer!r}: folder {str(path)!r} has no {SUCCESS_MARKER} marker, so it is "
            "not a complete gridgov output (an interrupted run leaves it out); "
            "write it again with gridgov.distributed.assign(..., output=...)"
        )
        raise LayerError(msg)
