"""The versions of gridgov and of the libraries it runs on, for bug reports.

gridgov's answers depend on GEOS (geometry), PROJ (coordinate systems) and
GDAL (file formats) as much as on its own code; a bug report that names
their versions can be reproduced.  ``gridgov --version`` prints the same
table.
"""

from __future__ import annotations

import platform
import sys
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["show_versions", "versions"]

#: Optional libraries, reported when installed (by distribution name).
OPTIONAL = ("dask", "dask-geopandas", "distributed", "matplotlib", "folium", "mapclassify")


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """Return the versions of gridgov, its dependencies and the C libraries below them.

    Returns
    -------
    dict of str to str
        ``gridgov``, ``python``, ``platform``, then ``shapely`` and ``GEOS``,
        ``geopandas``, ``pyproj`` and ``PROJ``, ``pyogrio`` and ``GDAL``,
        ``numpy``, ``pandas``, ``pyarrow``, ``networkx``, and the optional
        libraries (``"not installed"`` when missing), in that order.

    See Also
    --------
    show_versions : the same as a printed table.

    Examples
    --------
    >>> info = versions()
    >>> list(info)[:9]
    ['gridgov', 'python', 'platform', 'shapely', 'GEOS', 'geopandas', 'pyproj', 'PROJ', 'pyogrio']
    """
    from gridgov import __version__

    shapely = import_module("shapely")
    pyproj = import_module("pyproj")
    pyogrio = import_module("pyogrio")
    info = {
        "gridgov": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "shapely": shapely.__version__,
        "GEOS": shapely.geos_version_string,
        "geopandas": _version("geopandas"),
        "pyproj": pyproj.__version__,
        "PROJ": pyproj.proj_version_str,
        "pyogrio": pyogrio.__version__,
        "GDAL": pyogrio.__gdal_version_string__,
    }
    for name in ("numpy", "pandas", "pyarrow", "networkx", *OPTIONAL):
        info[name] = _version(name)
    return info


def show_versions(*, file: TextIO | None = None) -> None:
    """Write the versions of gridgov and its dependencies as a table, for bug reports.

    Parameters
    ----------
    file : file-like, optional
        Where to write; defaults to ``sys.stdout``.

    See Also
    --------
    versions : the same as a dict.

    Examples
    --------
    >>> import gridgov as gg
    >>> gg.show_versions()  # doctest: +ELLIPSIS
    gridgov   ...
    python    ...
    ...
    GEOS      ...
    ...
    """
    info = versions()
    width = max(map(len, info))
    out = sys.stdout if file is None else file
    out.write("".join(f"{name:<{width}}  {value}\n" for name, value in info.items()))
