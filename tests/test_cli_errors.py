"""The exit-code contract of ``gridgov``: 2 usage or input error, 3 internal error, 130 Ctrl-C.

Every option of every command that takes a value is given an invalid value
here (a test fails when a new option is not), and each run must exit 2 with
exactly one line on stderr and no traceback.
"""

from __future__ import annotations

import sys
import warnings
from typing import TYPE_CHECKING

import geopandas as gpd
import pytest
from shapely import LineString, box, points

import gridgov as gg
from gridgov.cli import _parser, main

if TYPE_CHECKING:
    from pathlib import Path

CRS = "EPSG:4549"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small GeoPackage: a 3 x 3 lattice of grids, its street, households and roads."""
    path = tmp_path_factory.mktemp("cli_errors") / "data.gpkg"
    cells = [
        box(i * 100, j * 100, (i + 1) * 100, (j + 1) * 100) for i in range(3) for j in range(3)
    ]
    ids = [f"3201020010010{k:02d}" for k in range(len(cells))]
    gpd.GeoDataFrame({"grid_id": ids}, geometry=cells, crs=CRS).to_file(path, layer="grids")
    gpd.GeoDataFrame({"unit_id": ["s"]}, geometry=[box(0, 0, 300, 300)], crs=CRS).to_file(
        path, layer="street"
    )
    xy = [(50.0 + 100 * (k % 3), 50.0 + 100 * (k // 3)) for k in range(9)]
    gpd.GeoDataFrame(
        {"household_id": [f"h{k}" for k in range(9)]},
        geometry=points(xy),
        crs=CRS,
    ).to_file(path, layer="households")
    gpd.GeoDataFrame(
        {"kind": ["road"]}, geometry=[LineString([(0, 150), (300, 150)])], crs=CRS
    ).to_file(path, layer="roads")
    return path


#: (command, dest of the option, arguments, part of the message).  ``{d}`` is the
#: GeoPackage above, ``{tmp}`` a fresh folder, ``{missing}`` a file that does not exist.
CHECK = ["check", "{d}::grids"]
ASSIGN = ["assign", "{d}::households", "{d}::grids", "-o", "{tmp}/a.csv"]
UNIFY = ["unify", "--network", "a={d}::grids", "-o", "{tmp}/u.gpkg"]
COMPARE = ["compare", "{d}::grids", "{d}::grids", "-o", "{tmp}/c.gpkg"]
PROPOSE = ["propose", "{d}::grids", "--households", "{d}::households", "-o", "{tmp}/p.gpkg"]
NO_FILE = "no such file"
INVALID = [
    ("check", "grids", ["check", "{missing}"], NO_FILE),
    *(
        ("check", name, [*CHECK, f"--{name}", "{missing}"], NO_FILE)
        for name in (
            "jurisdiction",
            "households",
            "buildings",
            "parents",
            "features",
            "stations",
            "roads",
            "previous",
        )
    ),
    ("check", "rules", [*CHECK, "--rules", "{missing}"], "No such file"),
    ("check", "as_of", [*CHECK, "--as-of", "2026-02-30"], "must be a date"),
    ("check", "id_column", [*CHECK, "--id-column", "code"], "no id column 'code'"),
    ("check", "output", [*CHECK, "-o", "{tmp}/f.txt"], "-o must end in"),
    ("check", "report", [*CHECK, "--report", "{tmp}/r.txt"], "--report must end in"),
    ("check", "tile_size", [*CHECK, "--tile-size", "-100"], "non-negative number"),
    ("check", "scheduler", [*CHECK, "--scheduler", "my laptop"], "scheduler address"),
    ("check", "workers", [*CHECK, "--scheduler", "local", "--workers", "0"], "positive integer"),
    ("assign", "households", ["assign", "{missing}", "{d}::grids", "-o", "{tmp}/a.csv"], NO_FILE),
    ("assign", "grids", ["assign", "{d}::households", "{missing}", "-o", "{tmp}/a.csv"], NO_FILE),
    ("assign", "network", [*ASSIGN, "--network", "governance"], "expects NAME=PATH"),
    ("assign", "outside", [*ASSIGN, "--outside", "sideways"], "invalid choice: 'sideways'"),
    ("assign", "max_distance", [*ASSIGN, "--max-distance", "far"], "non-negative number"),
    ("assign", "on_boundary", [*ASSIGN, "--on-boundary", "largest"], "invalid choice"),
    ("assign", "buildings", [*ASSIGN, "--buildings", "{missing}"], NO_FILE),
    ("assign", "output", [*ASSIGN[:-2], "-o", "{tmp}/a.txt"], "-o must end in .csv or .parquet"),
    ("assign", "scheduler", [*ASSIGN, "--scheduler", "tcp//x"], "scheduler address"),
    ("assign", "workers", [*ASSIGN, "--scheduler", "local", "--workers", "two"], "positive"),
    ("unify", "network", ["unify", "--network", "a", "-o", "{tmp}/u.gpkg"], "expects NAME=PATH"),
    ("unify", "base", [*UNIFY, "--base", "party"], "--base party is not one of the networks (a)"),
    ("unify", "households", [*UNIFY, "--households", "{missing}"], NO_FILE),
    ("unify", "tolerance", [*UNIFY, "--tolerance", "-1"], "non-negative number"),
    ("unify", "share_tolerance", [*UNIFY, "--share-tolerance", "5%"], "share between 0 and 1"),
    ("unify", "straddle_share", [*UNIFY, "--straddle-share", "1.5"], "share between 0 and 1"),
    ("unify", "output", [*UNIFY[:-2], "-o", "{tmp}/u.shp"], "-o must end in .gpkg"),
    ("unify", "report", [*UNIFY, "--report", "{tmp}/u.pdf"], "--report must end in"),
    ("compare", "old", ["compare", "{missing}", *COMPARE[2:]], NO_FILE),
    ("compare", "new", ["compare", "{d}::grids", "{missing}", *COMPARE[3:]], NO_FILE),
    ("compare", "households", [*COMPARE, "--households", "{missing}"], NO_FILE),
    ("compare", "output", [*COMPARE[:-2], "-o", "{tmp}/c.csv"], "-o must end in .gpkg"),
    ("compare", "report", [*COMPARE, "--report", "{tmp}/c.gpkg"], "--report must end in"),
    ("propose", "grids", ["propose", "{missing}", *PROPOSE[2:]], NO_FILE),
    ("propose", "households", [*PROPOSE[:2], "--households", "{missing}", *PROPOSE[4:]], NO_FILE),
    *(
        ("propose", name, [*PROPOSE, f"--{name}", "{missing}"], NO_FILE)
        for name in ("units", "roads", "buildings", "parents", "jurisdiction")
    ),
    ("propose", "rules", [*PROPOSE, "--rules", "{toml}"], "is not valid TOML"),
    ("propose", "as_of", [*PROPOSE, "--as-of", "yesterday"], "must be a date"),
    ("propose", "seed", [*PROPOSE, "--seed", "0.5"], "invalid int value"),
    ("propose", "output", [*PROPOSE[:-2], "-o", "{tmp}/p"], "-o must end in .gpkg"),
    ("propose", "report", [*PROPOSE, "--report", "{tmp}/p.md"], "--report must end in"),
    ("demo", "report", ["demo", "--report", "{tmp}/demo.txt"], "--report must end in"),
    # point tables: --crs, --x, --y, --offset on every command that reads points
    *(
        case
        for cmd, base, homes in (
            ("check", CHECK, [*CHECK, "--households", "{csv}"]),
            ("assign", ASSIGN, ["assign", "{csv}", *ASSIGN[2:]]),
            ("unify", UNIFY, [*UNIFY, "--households", "{csv}"]),
            ("compare", COMPARE, [*COMPARE, "--households", "{csv}"]),
            ("propose", PROPOSE, [*PROPOSE[:2], "--households", "{csv}", *PROPOSE[4:]]),
        )
        for case in (
            (cmd, "crs", [*base, "--crs", "EPSG:999999"], "not a CRS pyproj knows"),
            (cmd, "offset", [*base, "--offset", "wgs84"], "invalid choice: 'wgs84'"),
            (
                cmd,
                "x",
                [*homes, "--crs", "EPSG:4549", "--x", "east", "--y", "y"],
                "column 'east' not found",
            ),
            (cmd, "y", [*homes, "--crs", "EPSG:4549", "--y", "north"], "pass both"),
        )
    ),
]


def _one_line_error(err: str) -> None:
    assert err.count("\n") == 1, err
    assert err.endswith("\n")
    assert "Traceback" not in err


def _format(argv: list[str], data: Path, tmp_path: Path) -> list[str]:
    toml = tmp_path / "broken.toml"
    toml.write_text("max_area = [", encoding="utf-8")
    csv = tmp_path / "homes.csv"
    csv.write_text("household_id,x,y\nh1,50,50\nh2,150,50\n", encoding="utf-8")
    fill = {
        "d": data,
        "tmp": tmp_path,
        "missing": tmp_path / "missing.gpkg",
        "toml": toml,
        "csv": csv,
    }
    return [a.format(**fill) for a in argv]


@pytest.mark.parametrize(
    ("argv", "message"),
    [pytest.param(argv, message, id=f"{cmd}-{dest}") for cmd, dest, argv, message in INVALID],
)
def test_an_invalid_value_exits_2_with_one_line(
    argv: list[str], message: str, data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(_format(argv, data, tmp_path)) == 2
    captured = capsys.readouterr()
    _one_line_error(captured.err)
    assert captured.err.startswith(f"gridgov {argv[0]}: error: ")
    assert message in captured.err


def test_every_option_with_a_value_has_an_invalid_value_test() -> None:
    parser = _parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    wanted = {
        (name, action.dest)
        for name, sub in commands.items()
        for action in sub._actions
        if action.nargs != 0 and action.dest != "help"
    }
    assert wanted == {(cmd, dest) for cmd, dest, _, _ in INVALID}


@pytest.mark.parametrize("base", [CHECK, ASSIGN, UNIFY, COMPARE, PROPOSE], ids=lambda a: a[0])
def test_the_baselines_of_the_invalid_values_run(
    base: list[str], data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Each invalid value above is the only thing wrong with its command line."""
    assert main(_format(base, data, tmp_path)) in (0, 1)
    assert "error" not in capsys.readouterr().err


#: Values the command line lets through and the library rejects: (arguments, the word the
#: message must hold -- the argument it names).
LIBRARY_ERRORS = [
    ([*CHECK, "--rules", "{tmp}/rules.toml"], "max_area"),
    ([*PROPOSE, "--rules", "{tmp}/rules.toml"], "max_area"),
    ([*CHECK, "--id-column", "code"], "'code'"),
    ([*ASSIGN, "--max-distance", "5"], "max_distance"),
    ([*ASSIGN, "--outside", "nearest", "--max-distance", "0"], "max_distance"),
    ([*ASSIGN, "--on-boundary", "largest_overlap_building"], "buildings"),
    ([*UNIFY, "--share-tolerance", "0.5"], "share_tolerance"),
    ([*UNIFY, "--straddle-share", "0.01", "--share-tolerance", "0.05"], "straddle_share"),
]
LIBRARY_IDS = [
    "check-rules",
    "propose-rules",
    "check-id-column",
    "assign-max-distance-alone",
    "assign-max-distance-0",
    "assign-on-boundary-without-buildings",
    "unify-share-tolerance",
    "unify-straddle-share",
]


@pytest.mark.parametrize(("argv", "word"), LIBRARY_ERRORS, ids=LIBRARY_IDS)
def test_a_value_the_library_rejects_exits_2_with_one_line(
    argv: list[str], word: str, data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "rules.toml").write_text("max_area = -1\n", encoding="utf-8")
    code = main(_format(argv, data, tmp_path))
    err = capsys.readouterr().err
    _one_line_error(err)
    assert code == 2
    assert err.startswith(f"gridgov {argv[0]}: error: ")
    assert word in err


def test_usage_errors_of_the_top_level_exit_2_with_one_line(capsys: pytest.CaptureFixture) -> None:
    for argv in ([], ["frobnicate"], ["check", "a.gpkg", "--no-such-option"]):
        assert main(argv) == 2
        _one_line_error(capsys.readouterr().err)


def _boom(*_: object, **__: object) -> None:
    msg = "the kernel lost its way"
    raise RuntimeError(msg)


def test_an_internal_error_exits_3_with_one_line(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(gg, "assign", _boom)
    assert main(_format(ASSIGN, data, tmp_path)) == 3
    err = capsys.readouterr().err
    _one_line_error(err)
    assert err.startswith("gridgov assign: internal error: RuntimeError: the kernel lost its way")
    assert "--debug" in err
    assert not (tmp_path / "a.csv").exists()


def test_debug_shows_the_traceback(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(gg, "assign", _boom)
    assert main([*_format(ASSIGN, data, tmp_path), "--debug"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last)")
    assert "in _boom" in err
    assert err.splitlines()[-1].startswith("gridgov assign: internal error: RuntimeError")
    # and for a usage or input error (exit 2) too
    assert main([*_format(CHECK, data, tmp_path), "--id-column", "code", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "LayerError" in err
    assert err.splitlines()[-1].startswith("gridgov check: error: layer 'grids'")


def test_ctrl_c_exits_130_with_one_line(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(gg, "unify", interrupted)
    assert main(_format(UNIFY, data, tmp_path)) == 130
    captured = capsys.readouterr()
    assert captured.err == "gridgov unify: interrupted\n"
    assert not (tmp_path / "u.gpkg").exists()


def test_a_missing_optional_dependency_exits_2(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    for name in ("dask", "distributed", "dask_geopandas"):  # as if the dask extra were missing
        monkeypatch.setitem(sys.modules, name, None)
    argv = [*_format(ASSIGN, data, tmp_path)[:-2], "-o", str(tmp_path / "out")]
    assert main([*argv, "--scheduler", "local"]) == 2
    err = capsys.readouterr().err
    _one_line_error(err)
    assert "pip install 'gridgov[dask]'" in err


def test_notes_and_warnings_go_through_the_gridgov_logger(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    assign = gg.assign

    def warning_assign(*args: object, **kwargs: object) -> object:
        warnings.warn("2 station(s) serve no household", gg.GridgovWarning, stacklevel=2)
        return assign(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gg, "assign", warning_assign)
    argv = _format(ASSIGN, data, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("always", gg.GridgovWarning)
        assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "gridgov assign: warning: 2 station(s) serve no household",
        f"assignment written to {tmp_path / 'a.csv'}",
    ]
    assert "how they were assigned" in captured.out  # the result goes to stdout
    with warnings.catch_warnings():
        warnings.simplefilter("always", gg.GridgovWarning)
        assert main([*argv, "--overwrite", "-q"]) == 0
    assert capsys.readouterr().err == "gridgov assign: warning: 2 station(s) serve no household\n"
    with warnings.catch_warnings():
        warnings.simplefilter("always", gg.GridgovWarning)
        assert main([*argv, "--overwrite", "-qq"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("homes.parquet", b"not parquet"),
        ("homes.csv", bytes(range(128, 256))),  # not text
        ("homes.csv", b""),
        ("homes.gpkg", b"not a GeoPackage"),
        ("homes.geojson", b'{"type": "Feature'),
    ],
    ids=["parquet", "binary-csv", "empty-csv", "gpkg", "geojson"],
)
def test_a_corrupt_input_exits_2_naming_it(
    name: str, content: bytes, data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["assign", str(path), f"{data}::grids", "-o", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    _one_line_error(err)
    assert name in err


def test_a_missing_crs_is_not_answered_with_metric(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    homes = tmp_path / "homes.csv"
    homes.write_text("household_id,x,y\nh1,50,50\n", encoding="utf-8")
    assert main(["assign", str(homes), f"{data}::grids", "-o", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    _one_line_error(err)
    assert "without a CRS" in err
    assert "--metric" not in err  # it reprojects; it cannot guess a CRS
