"""The ``gridgov`` command line: every subcommand end to end, exit codes and error messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely import box

import gridgov as gg
from gridgov import datasets
from gridgov.cli import main

if TYPE_CHECKING:
    from pathlib import Path

CRS = "EPSG:4549"


@pytest.fixture(scope="module")
def demo() -> datasets.DemoData:
    return datasets.load_demo(metric=True)


@pytest.fixture(scope="module")
def demo_gpkg(tmp_path_factory: pytest.TempPathFactory, demo: datasets.DemoData) -> Path:
    """The demo layers in EPSG:4549 as one GeoPackage, with the road-only network apart."""
    path = tmp_path_factory.mktemp("cli") / "demo.gpkg"
    for name in (
        "street",
        "communities",
        "roads",
        "buildings",
        "households",
        "stations",
        "governance",
        "party",
        "service",
        "previous",
    ):
        getattr(demo, name).to_file(path, layer=name)
    demo.roads[demo.roads["kind"] == "road"].to_file(path, layer="walkways")
    return path


def _lattice(n: int = 3, side: float = 100.0) -> gpd.GeoDataFrame:
    cells = [
        box(i * side, j * side, (i + 1) * side, (j + 1) * side) for i in range(n) for j in range(n)
    ]
    ids = [f"3201020010010{k:02d}" for k in range(len(cells))]
    return gpd.GeoDataFrame({"grid_id": ids}, geometry=cells, crs=CRS)


def test_demo_reproduces_the_planted_defects(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    report = tmp_path / "demo.html"
    code = main(["demo", "--report", str(report), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    truth = datasets.demo_defects().query("stage == 'check'")
    assert f"{len(truth)} found, 0 missed, 0 unexpected" in out
    assert "NOT OK" in out
    assert "coverage.gap" in out
    html = report.read_text(encoding="utf-8")
    assert "<html" in html
    assert "320102001001005" in html


def test_check_matches_the_api_and_exits_1_on_errors(
    tmp_path: Path, demo_gpkg: Path, demo: datasets.DemoData, capsys: pytest.CaptureFixture
) -> None:
    out_path, report = tmp_path / "findings.gpkg", tmp_path / "check.html"
    g = str(demo_gpkg)
    code = main(
        [
            "check",
            f"{g}::governance",
            "--jurisdiction",
            f"{g}::street",
            "--households",
            f"{g}::households",
            "--parents",
            f"{g}::communities",
            "--as-of",
            "2026-06-30",
            "-o",
            str(out_path),
            "--report",
            str(report),
            "--no-progress",
        ]
    )
    assert code == 1
    expected = gg.check(
        demo.governance,
        jurisdiction=demo.street,
        households=demo.households,
        parents=demo.communities,
        rules=gg.RuleSet(as_of=datasets.DEMO_AS_OF),
    )
    written = gpd.read_file(out_path, layer="findings")
    assert len(written) == len(expected)
    assert sorted(written["rule"]) == sorted(expected["rule"])
    assert report.exists()
    assert expected.summary().headline in capsys.readouterr().out


def test_check_clean_layer_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    grids = _lattice()
    path = tmp_path / "grids.geojson"
    grids.to_file(path, driver="GeoJSON")
    area = tmp_path / "area.gpkg"
    gpd.GeoDataFrame({"unit_id": ["s"]}, geometry=[box(0, 0, 300, 300)], crs=CRS).to_file(area)
    assert main(["check", str(path), "--jurisdiction", str(area), "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("OK")


def test_check_geographic_crs_needs_metric(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    stored = str(datasets.demo_path())
    argv = ["check", f"{stored}::governance", "--jurisdiction", f"{stored}::street"]
    assert main([*argv, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gridgov check: error:")
    assert "--metric" in err
    assert "Traceback" not in err
    # explicit reprojection: the same findings as the metric demo
    assert main([*argv, "--metric", "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "EPSG:4549" in captured.err
    assert "coverage.gap" in captured.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "nowhere.gpkg"], "no such file: nowhere.gpkg"),
        (["check", "{demo}::no_such_layer"], "no_such_layer"),
        (["check", "{demo}::governance", "--report", "r.txt"], "--report must end in"),
        (["assign", "{demo}::households", "{demo}::governance", "-o", "x.txt"], "-o must end in"),
        (
            [
                "assign",
                "{demo}::households",
                "{demo}::governance",
                "-o",
                "{tmp}/a.csv",
                "--outside",
                "nearest",
            ],
            "--max-distance",
        ),
        (["assign", "{demo}::households", "-o", "{tmp}/a.csv"], "at least one grid layer"),
        (
            ["assign", "{demo}::households", "--network", "governance", "-o", "{tmp}/a.csv"],
            "NAME=PATH",
        ),
        (["unify", "--network", "a={demo}::governance", "-o", "{tmp}/u.gpkg"], "invalid"),
    ],
)
def test_usage_and_input_errors_exit_2(
    argv: list[str], message: str, demo_gpkg: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    argv = [a.format(demo=demo_gpkg, tmp=tmp_path) for a in argv]
    assert main([*argv, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_bad_workers_is_a_usage_error(workers: str, capsys: pytest.CaptureFixture) -> None:
    assert (
        main(
            [
                "assign",
                "h.parquet",
                "g.gpkg",
                "-o",
                "out",
                "--scheduler",
                "local",
                "--workers",
                workers,
            ]
        )
        == 2
    )
    assert "--workers: must be a positive integer" in capsys.readouterr().err


def test_assign_writes_what_the_api_computes(
    tmp_path: Path, demo_gpkg: Path, demo: datasets.DemoData, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "assignment.csv"
    g = str(demo_gpkg)
    argv = [
        "assign",
        f"{g}::households",
        "--network",
        f"governance={g}::governance",
        "--network",
        f"party={g}::party",
        "--outside",
        "nearest",
        "--max-distance",
        "800",
        "-o",
        str(out),
        "--no-progress",
    ]
    assert main(argv) == 0
    got = pd.read_csv(out, dtype={"household_id": str, "governance": str, "party": str})
    want = gg.assign(
        demo.households,
        {"governance": demo.governance, "party": demo.party},
        outside="nearest",
        max_distance=800,
    )
    assert got["household_id"].tolist() == want.index.tolist()
    for network in ("governance", "party"):
        assert got[network].fillna("").tolist() == want[network].fillna("").tolist()
        assert got[f"{network}_how"].tolist() == want[f"{network}_how"].astype(str).tolist()
    assert "12448" in capsys.readouterr().out.replace(",", "")
    # an existing output is not replaced without --overwrite
    assert main(argv) == 2
    assert main([*argv, "--overwrite"]) == 0


def test_assign_parquet_and_positional_layer_names(tmp_path: Path, demo_gpkg: Path) -> None:
    grids = tmp_path / "service.gpkg"
    gpd.read_file(demo_gpkg, layer="service").to_file(grids)
    out = tmp_path / "a.parquet"
    assert (
        main(["assign", f"{demo_gpkg}::households", str(grids), "-o", str(out), "--no-progress"])
        == 0
    )
    result = pd.read_parquet(out)
    assert {"service", "service_how", "service_distance"} <= set(result.columns)
    assert result.index.is_unique
    assert len(result) == 12448


def test_unify_with_make_valid(
    tmp_path: Path, demo_gpkg: Path, capsys: pytest.CaptureFixture
) -> None:
    out, report = tmp_path / "one.gpkg", tmp_path / "one.html"
    g = str(demo_gpkg)
    code = main(
        [
            "unify",
            *("--network", f"party={g}::party"),
            *("--network", f"governance={g}::governance"),
            *("--network", f"service={g}::service"),
            *("--base", "governance", "--make-valid", "--share-tolerance", "0.01"),
            *("-o", str(out), "--report", str(report), "--no-progress"),
        ]
    )
    captured = capsys.readouterr()
    assert "--make-valid: repaired 1 invalid grid(s) of governance: 320102001003001" in captured.err
    layers = set(pyogrio.list_layers(out)[:, 0])
    assert {"cells", "crosswalk", "conflicts"} <= layers
    conflicts = gpd.read_file(out, layer="conflicts")
    assert code == (1 if (conflicts["severity"] == "error").any() else 0)
    truth = datasets.demo_defects().query("stage == 'unify' and rule != 'nested'")
    assert sorted(zip(conflicts["rule"], conflicts["grid_id"], strict=True)) == sorted(
        zip(truth["rule"], truth["grid_id"], strict=True)
    )
    assert report.exists()


def test_compare_previous_and_current(
    tmp_path: Path, demo_gpkg: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "changes.gpkg"
    g = str(demo_gpkg)
    argv = ["compare", f"{g}::previous", f"{g}::governance", "-o", str(out), "--no-progress"]
    assert main([*argv, "--households", f"{g}::households"]) == 0
    text = capsys.readouterr().out
    assert "split" in text
    assert "merged" in text
    assert out.exists()


def test_propose_fixes_the_demo(
    tmp_path: Path, demo_gpkg: Path, capsys: pytest.CaptureFixture
) -> None:
    valid = tmp_path / "governance.gpkg"
    layer = gpd.read_file(demo_gpkg, layer="governance")
    layer["geometry"] = layer.geometry.make_valid()
    layer.to_file(valid)
    out, report = tmp_path / "next.gpkg", tmp_path / "plan.html"
    code = main(
        [
            "propose",
            str(valid),
            *("--households", f"{demo_gpkg}::households"),
            *("-o", str(out), "--report", str(report), "--no-progress"),
        ]
    )
    assert code in (0, 1)
    text = capsys.readouterr().out
    assert "320102001001005" in text
    grids = gpd.read_file(out, layer="next_edition")
    assert "320102001001005" not in set(grids["grid_id"])  # the overloaded grid was split
    assert report.exists()


@pytest.mark.slow
def test_assign_on_a_local_dask_cluster(tmp_path: Path, demo: datasets.DemoData) -> None:
    pytest.importorskip("dask_geopandas")
    households = tmp_path / "households"
    households.mkdir()
    ordered = demo.households.sort_values("household_id")
    for k, part in enumerate((ordered.iloc[:6000], ordered.iloc[6000:])):
        part.to_parquet(households / f"part.{k}.parquet")
    grids = tmp_path / "governance.gpkg"
    demo.governance.to_file(grids)
    out = tmp_path / "result"
    code = main(
        [
            "assign",
            str(households),
            str(grids),
            *("-o", str(out), "--scheduler", "local", "--workers", "1", "--no-progress"),
        ]
    )
    assert code == 0
    got = pd.read_parquet(out).sort_index()
    want = gg.assign(demo.households, {"governance": demo.governance}).sort_index()
    assert got["governance"].fillna("").tolist() == want["governance"].fillna("").tolist()


@pytest.mark.slow
def test_check_on_a_local_dask_cluster(
    tmp_path: Path, demo_gpkg: Path, demo: datasets.DemoData, capsys: pytest.CaptureFixture
) -> None:
    pytest.importorskip("dask_geopandas")
    households = tmp_path / "households"
    households.mkdir()
    ordered = demo.households.sort_values("household_id")
    for k, part in enumerate((ordered.iloc[:5000], ordered.iloc[5000:])):
        part.to_parquet(households / f"part.{k}.parquet")
    g = str(demo_gpkg)
    out = tmp_path / "findings.parquet"
    code = main(
        [
            "check",
            f"{g}::governance",
            *("--jurisdiction", f"{g}::street", "--parents", f"{g}::communities"),
            *("--households", str(households), "--as-of", "2026-06-30"),
            *("-o", str(out), "--scheduler", "local", "--workers", "2", "--no-progress"),
        ]
    )
    assert code == 1
    expected = gg.check(
        demo.governance,
        jurisdiction=demo.street,
        households=demo.households,
        parents=demo.communities,
        rules=gg.RuleSet(as_of=datasets.DEMO_AS_OF),
    )
    got = gpd.read_parquet(out)
    assert sorted(zip(got["rule"], got["grid_id"].fillna(""), strict=True)) == sorted(
        zip(expected["rule"], expected["grid_id"].fillna(""), strict=True)
    )
    assert expected.summary().headline in capsys.readouterr().out


def test_check_reports_duplicate_ids_and_invalid_grids_as_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from shapely import Polygon

    grids = _lattice()
    grids.loc[1, "grid_id"] = grids.loc[0, "grid_id"]  # a duplicated id
    grids.loc[2, "geometry"] = Polygon([(0, 200), (100, 300), (100, 200), (0, 300)])  # bow-tie
    path = tmp_path / "grids.gpkg"
    grids.to_file(path)
    out = tmp_path / "findings.csv"
    assert main(["check", str(path), "-o", str(out), "--no-progress"]) == 1
    rules = set(pd.read_csv(out)["rule"])
    assert {"boundary.duplicate_id", "boundary.invalid_geometry"} <= rules
    assert "boundary.duplicate_id" in capsys.readouterr().out


def test_bad_input_files_exit_2_naming_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    grids = _lattice()
    metric = tmp_path / "grids.gpkg"
    grids.to_file(metric)
    # mixed CRSs: households in degrees next to grids in metres
    homes = tmp_path / "homes.csv"
    pd.DataFrame(
        {"household_id": ["h1", "h2"], "lon": [118.8, 118.81], "lat": [32.0, 32.01]}
    ).to_csv(homes, index=False)
    assign_out = str(tmp_path / "a.csv")
    assert main(["assign", f"{homes}", str(metric), "-o", assign_out, "--no-progress"]) == 2
    assert "CRS" in capsys.readouterr().err  # the CSV has no CRS: say so
    # NaN coordinates, named by household id
    nan_homes = tmp_path / "nan.gpkg"
    gpd.GeoDataFrame(
        {"household_id": ["ok", "broken"]},
        geometry=gpd.points_from_xy([50.0, float("nan")], [50.0, 50.0]),
        crs=CRS,
    ).to_file(nan_homes)
    assert main(["assign", str(nan_homes), str(metric), "-o", assign_out, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "NaN" in err
    assert "broken" in err
    # a grid without geometry
    empty = grids.copy()
    empty.loc[4, "geometry"] = None
    no_geom = tmp_path / "empty.parquet"
    empty.to_parquet(no_geom)
    assert main(["check", str(no_geom), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert grids.loc[4, "grid_id"] in err
    assert "Traceback" not in err


def test_demo_not_reproducing_its_defects_is_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Exit 1 is for error findings only: a demo that misses a planted defect is a bug (3)."""
    import gridgov as gg

    real = gg.datasets.score_defects

    def missing_one(findings: Any, *, stage: str = "check") -> Any:
        score = real(findings, stage=stage)
        score.loc[score.index[0], "status"] = "missed"
        return score

    monkeypatch.setattr(gg.datasets, "score_defects", missing_one)
    code = main(["demo", "--no-report", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 3
    assert "did not reproduce the demo's planted defects (1 missed, 0 unexpected)" in err
