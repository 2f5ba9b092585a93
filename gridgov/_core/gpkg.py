"""GeoPackages of several layers, written atomically.

The ``to_file`` writers of gridgov's results (:class:`gridgov.Changes`,
:class:`gridgov.Plan`, :class:`gridgov.OneNetwork`) put several layers into
one GeoPackage, replacing the layers of those names and keeping the others.
:func:`atomic_update` makes that one atomic step: the layers are written into
a temporary copy of the file beside it (or a new temporary file), which
replaces the file only once every layer is written.  A failed write leaves the
file as it was (or no file), and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridgov._core.atomic import atomic_path
from gridgov.errors import OptionError

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator, Mapping

    import pandas as pd

__all__ = ["atomic_update", "write_layer", "write_layers"]


@contextlib.contextmanager
def atomic_update(path: str | os.PathLike[str], *, replace: bool = False) -> Iterator[Path]:
    """Yield a temporary copy of `path` to write layers into; it replaces `path` on success.

    When `path` does not exist, or with `replace`, the temporary path does not
    exist (the first writer creates it): the result then holds only the layers
    written now.  On any exception the temporary file is removed and `path` is
    untouched.

    Parameters
    ----------
    path : path-like
        The GeoPackage.
    replace : bool, default False
        Replace the file whole instead of updating it (no layer of an earlier
        file is kept).

    Yields
    ------
    Path
        Where to write, with the suffix of `path`.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.gpkg"
    >>> with atomic_update(target) as tmp:
    ...     _ = tmp.write_bytes(b"layers")
    ...     target.exists()
    False
    >>> target.read_bytes()
    b'layers'
    """
    final = Path(path)
    with atomic_path(final) as tmp:
        if final.is_file() and not replace:
            shutil.copy2(final, tmp)
        yield tmp


def write_layer(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, layer: str, **kwargs: Any
) -> None:
    """Write one layer into the GeoPackage `path` (replacing a layer of that name).

    A GeoDataFrame goes through :meth:`geopandas.GeoDataFrame.to_file` (with
    `kwargs`); a frame without geometry is written by :mod:`pyogrio` as an
    attribute-only layer.  Not atomic by itself: call it inside
    :func:`atomic_update`.
    """
    import geopandas as gpd

    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_file(path, layer=layer, driver="GPKG", **kwargs)
        return
    import pyogrio

    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")


def write_layers(
    path: str | os.PathLike[str],
    layers: Mapping[str, pd.DataFrame],
    *,
    what: str,
    replace: bool = False,
    **kwargs: Any,
) -> None:
    """Write `layers` (name to frame, in order) into the GeoPackage `path` in one atomic step.

    Layers of those names are replaced, other layers of an existing file
    are kept (unless `replace`); nothing changes under `path` unless every
    layer is written.

    Parameters
    ----------
    path : path-like
        The GeoPackage; must end in ``.gpkg``.
    layers : mapping of str to DataFrame
        The layers, written in order by :func:`write_layer`.
    what : str
        What is written (plural), for the error message.
    replace : bool, default False
        Replace an existing file whole (see :func:`atomic_update`).
    **kwargs
        Passed to :meth:`geopandas.GeoDataFrame.to_file` for every layer with geometry.

    Raises
    ------
    OptionError
        When `path` does not end in ``.gpkg``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import geopandas as gpd, pandas as pd, pyogrio
    >>> from shapely import box
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.gpkg"
    >>> grids = gpd.GeoDataFrame({"grid_id": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=4549)
    >>> write_layers(target, {"grids": grids, "table": pd.DataFrame({"n": [1]})}, what="tests")
    >>> sorted(pyogrio.list_layers(target)[:, 0].tolist())
    ['grids', 'table']
    """
    if Path(path).suffix.lower() != ".gpkg":
        msg = f"{what} are written to a GeoPackage with several layers; got {str(path)!r}"
        raise OptionError(msg)
    with atomic_update(path, replace=replace) as tmp:
        for name, frame in layers.items():
            write_layer(frame, tmp, layer=name, **kwargs)
