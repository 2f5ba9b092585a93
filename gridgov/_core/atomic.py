"""Atomic file output: a file appears under its final name only once it is complete.

Every writer of gridgov (the CLI and the ``to_*`` methods) writes to a
temporary name in the destination folder and renames it into place when the
write has finished, so an interrupted or failed run (an exception, Ctrl-C, a
kill, a full disk) never leaves a partial file under the final name.  The
rename is atomic on POSIX and on Windows within one filesystem.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["PARTIAL_PREFIX", "atomic_path", "write_bytes", "write_text"]

#: Temporary outputs are named ``.<name>.partial-<random><suffix>`` next to the
#: final file, so a leftover of a killed run is recognisable and never mistaken
#: for a result.
PARTIAL_PREFIX = "."


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` when the block succeeds.

    The temporary path keeps the suffix of `path` (writers such as GDAL
    choose the format by it).  On success it replaces `path` whole (so
    nothing of an earlier run is left); on any exception the temporary file
    or folder is removed and `path` is untouched.  A file never replaces a
    folder (:class:`IsADirectoryError`, raised before anything is written):
    only a folder output (``directory=True``) replaces an earlier folder.
    The parent folders of a folder output are created as needed.

    Parameters
    ----------
    path : path-like
        The final path.
    directory : bool, default False
        Whether the output is a folder (e.g. partitioned Parquet) rather than
        a file; the temporary path is then created as an empty folder.

    Yields
    ------
    Path
        Where to write.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "out.txt") as tmp:
    ...     _ = tmp.write_text("done")
    ...     sorted(p.name for p in folder.iterdir()) == [tmp.name]
    True
    >>> sorted(p.name for p in folder.iterdir()), (folder / "out.txt").read_text()
    (['out.txt'], 'done')
    """
    final = Path(path)
    parent = final.parent if str(final.parent) else Path()
    prefix = f"{PARTIAL_PREFIX}{final.stem}.partial-"
    if not directory and final.is_dir() and not final.is_symlink():
        msg = f"{str(final)!r} is a folder: a file output does not replace it"
        raise IsADirectoryError(msg)
    if directory:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = _new_folder(parent, prefix, final.suffix)
    else:
        handle, name = tempfile.mkstemp(prefix=prefix, suffix=final.suffix, dir=parent)
        os.close(handle)
        tmp = Path(name)
        tmp.unlink()  # writers create the file themselves (GDAL refuses some existing files)
    try:
        yield tmp
        if not tmp.exists():
            msg = f"the writer of {str(final)!r} produced no output"
            raise FileNotFoundError(msg)
        _replace(tmp, final)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def _new_folder(parent: Path, prefix: str, suffix: str) -> Path:
    """Create an empty folder of a new random name in `parent`.

    Unlike :func:`tempfile.mkdtemp` (mode 0700), the folder gets the
    permissions of any new folder (the umask's), since it becomes the output.
    """
    for _ in range(100):
        folder = parent / f"{prefix}{secrets.token_hex(4)}{suffix}"
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    msg = f"no free temporary name for an output in {str(parent)!r}"  # pragma: no cover
    raise FileExistsError(msg)  # pragma: no cover


def _replace(tmp: Path, final: Path) -> None:
    """Rename `tmp` to `final`, replacing whatever `final` is (a file, a folder, a link).

    A file over a file is one atomic rename.  Otherwise (a folder on either
    side, which a rename cannot replace) the old output is first renamed
    aside, then the new one into place, and only then is the old one
    removed: at no moment does `final` name a partial output, and when the
    second rename fails the old output is put back.
    """
    if not os.path.lexists(final) or not (final.is_dir() or tmp.is_dir()):
        os.replace(tmp, final)
        return
    handle, name = tempfile.mkstemp(
        prefix=f"{PARTIAL_PREFIX}{final.stem}.replaced-",
        dir=final.parent if str(final.parent) else None,
    )
    os.close(handle)
    aside = Path(name)
    aside.unlink()
    os.replace(final, aside)
    try:
        os.replace(tmp, final)
    except BaseException:
        os.replace(aside, final)
        raise
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink(missing_ok=True)


def write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write `text` to `path` atomically and return the path.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = write_text(pathlib.Path(tempfile.mkdtemp()) / "a.html", "<p>ok</p>")
    >>> out.read_text()
    '<p>ok</p>'
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
