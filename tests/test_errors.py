"""One errors module: every exception class in gridgov.errors, every bad option a GridgovError.

Bad options of the public functions raise a :class:`gridgov.GridgovError`
subclass that is also a ``ValueError`` (a value it cannot take) or a
``TypeError`` (the wrong type), with a message naming the option.  The
library raises no bare ``ValueError``/``TypeError``/``KeyError`` of its own.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pytest
import shapely

import gridgov as gg
from gridgov import errors

if TYPE_CHECKING:
    from collections.abc import Callable

PACKAGE = Path(gg.__file__).parent
CRS = "EPSG:4549"


def test_every_exception_class_lives_in_the_errors_module() -> None:
    defined = [
        f"{path.relative_to(PACKAGE)}:{node.name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
        and any(
            isinstance(b, ast.Name) and b.id.endswith(("Error", "Warning", "Exception"))
            for b in node.bases
        )
    ]
    outside = [d for d in defined if not d.startswith("errors.py")]
    assert outside == []
    public = {name for name, obj in vars(errors).items() if inspect.isclass(obj)}
    assert {"GridgovError", "CRSError", "LayerError", "RuleSetError", "OptionError"} <= public
    assert {"OptionTypeError", "UsageError", "GridgovWarning"} <= public
    for name in errors.__all__:
        assert getattr(gg, name) is getattr(errors, name)


def test_the_library_raises_no_bare_builtin_error() -> None:
    """``raise ValueError(...)`` and friends appear nowhere but the CLI's argparse types."""
    bare = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        protocol = [  # __getitem__ raises KeyError by the mapping protocol
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "__getitem__"
        ]
        allowed = {id(r) for f in protocol for r in ast.walk(f)}
        for node in ast.walk(tree):
            if id(node) in allowed:
                continue
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else ""
                if name in ("ValueError", "TypeError", "KeyError", "RuntimeError"):
                    bare.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {name}")
    assert bare == []


def _grids() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"grid_id": ["320102001001001", "320102001001002"]},
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)],
        crs=CRS,
    )


def _homes() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"household_id": ["h1", "h2"]},
        geometry=[shapely.Point(10, 10), shapely.Point(150, 50)],
        crs=CRS,
    )


def _stations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"station_id": ["s"]}, geometry=[shapely.Point(5, 5)], crs=CRS)


def _roads() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 5), (200, 5)])], crs=CRS)


def _network() -> Any:
    return gg.unify({"a": _grids(), "b": _grids()})


BAD_VALUES: list[tuple[str, Callable[[], Any], str]] = [
    ("on_boundary", lambda: gg.assign(_homes(), {"g": _grids()}, on_boundary="big"), "on_boundary"),
    ("outside", lambda: gg.assign(_homes(), {"g": _grids()}, outside="far"), "outside"),
    (
        "max_distance alone",
        lambda: gg.assign(_homes(), {"g": _grids()}, max_distance=5),
        "max_distance",
    ),
    (
        "negative max_distance",
        lambda: gg.assign(_homes(), {"g": _grids()}, outside="nearest", max_distance=-1),
        "max_distance",
    ),
    (
        "network max_distance",
        lambda: gg.assign_by_network(_homes(), _stations(), _roads(), max_distance=0),
        "max_distance",
    ),
    ("unify tolerance", lambda: gg.unify({"a": _grids()}, tolerance=-1.0), "tolerance"),
    ("unify base", lambda: gg.unify({"a": _grids(), "b": _grids()}, base="c"), "base"),
    ("compare share", lambda: gg.compare(_grids(), _grids(), share_tolerance=0.7), "share"),
    ("propose attempts", lambda: gg.propose(_grids(), _homes(), attempts=0), "attempts"),
    ("RuleSet bound", lambda: gg.RuleSet(max_balance_cv=-1.0), "max_balance_cv"),
    ("RuleSet code", lambda: gg.RuleSet(disabled=("scale.nothing",)), "scale.nothing"),
    ("findings records", lambda: gg.make_findings([{"rule": "x"}], crs=CRS), "columns"),
    (
        "demo stage",
        lambda: gg.datasets.score_defects(gg.make_findings([], crs=CRS), stage="x"),
        "stage",
    ),
    ("redrawn network", lambda: _network().redrawn("c"), "network"),
    ("write a network", lambda: _network().to_file("network.shp"), ".gpkg"),
]


@pytest.mark.parametrize(("case", "call", "named"), BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_a_bad_option_value_is_a_gridgov_value_error(
    case: str, call: Callable[[], Any], named: str
) -> None:
    with pytest.raises(gg.GridgovError, match=None) as caught:
        call()
    assert isinstance(caught.value, ValueError)
    assert named in str(caught.value)


def test_distributed_options_are_gridgov_errors() -> None:
    pytest.importorskip("dask_geopandas")
    from gridgov import distributed as ggd

    with pytest.raises(gg.OptionError, match="tile_size"):
        ggd.check(_grids(), tile_size=-5.0)
    with pytest.raises(gg.OptionTypeError, match="tile_size"):
        ggd.check(_grids(), tile_size="big")
    with pytest.raises(gg.OptionTypeError, match="halo"):
        ggd.check(_grids(), halo="wide")
    for workers in (0, "two", 1.5):
        with (
            pytest.raises(gg.OptionError, match="workers"),
            ggd.client_for("local", workers=workers),
        ):
            pass  # pragma: no cover - refused before the cluster starts


BAD_TYPES: list[tuple[str, Callable[[], Any], str]] = [
    ("check rules", lambda: gg.check(_grids(), rules={"max_area": 5}), "RuleSet"),
    (
        "max_distance text",
        lambda: gg.assign(_homes(), {"g": _grids()}, outside="nearest", max_distance="far"),
        "max_distance",
    ),
    (
        "network distance text",
        lambda: gg.assign_by_network(_homes(), _stations(), _roads(), max_distance="5"),
        "max_distance",
    ),
    ("RuleSet number", lambda: gg.RuleSet(sliver_width="wide"), "sliver_width"),
    ("RuleSet pattern", lambda: gg.RuleSet(code_pattern=15), "code_pattern"),
    ("RuleSet date", lambda: gg.RuleSet(as_of=2025), "as_of"),
    ("findings records", lambda: gg.make_findings({"rule": "x"}, crs=CRS), "records"),
]


@pytest.mark.parametrize(("case", "call", "named"), BAD_TYPES, ids=[c[0] for c in BAD_TYPES])
def test_a_bad_option_type_is_a_gridgov_type_error(
    case: str, call: Callable[[], Any], named: str
) -> None:
    with pytest.raises(gg.GridgovError) as caught:
        call()
    assert isinstance(caught.value, TypeError)
    assert named in str(caught.value)
