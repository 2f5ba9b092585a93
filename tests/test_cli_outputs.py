"""Outputs of ``gridgov`` never lose data: atomic writes, ``--overwrite``, no input as output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely import box, points

from gridgov.cli import main

CRS = "EPSG:4549"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A GeoPackage with a 3 x 3 lattice of grids and a household in each."""
    path = tmp_path / "data.gpkg"
    cells = [
        box(i * 100, j * 100, (i + 1) * 100, (j + 1) * 100) for i in range(3) for j in range(3)
    ]
    ids = [f"3201020010010{k:02d}" for k in range(len(cells))]
    gpd.GeoDataFrame({"grid_id": ids}, geometry=cells, crs=CRS).to_file(path, layer="grids")
    xy = [(50.0 + 100 * (k % 3), 50.0 + 100 * (k // 3)) for k in range(9)]
    gpd.GeoDataFrame(
        {"household_id": [f"h{k}" for k in range(9)]}, geometry=points(xy), crs=CRS
    ).to_file(path, layer="households")
    return path


def _error(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "{d}::grids", "-o", "{d}"],  # another layer of the same GeoPackage
        ["check", "{tmp}/grids.gpkg", "-o", "{tmp}/grids.gpkg"],
        ["check", "{d}::grids", "-o", "{tmp}/alias.gpkg"],  # a hard link to the input
        ["check", "{d}::grids", "--jurisdiction", "{tmp}/area.html", "--report", "{tmp}/area.html"],
        ["check", "{d}::grids", "--rules", "{tmp}/rules.html", "--report", "{tmp}/rules.html"],
        ["unify", "--network", "a={d}::grids", "-o", "{d}"],
        ["compare", "{d}::grids", "{tmp}/grids.gpkg", "-o", "{tmp}/grids.gpkg"],
        ["propose", "{d}::grids", "--households", "{d}::households", "-o", "{d}"],
        ["assign", "{tmp}/homes.csv", "{d}::grids", "-o", "{tmp}/homes.csv"],
        ["assign", "{tmp}/parts", "{d}::grids", "--scheduler", "local", "-o", "{tmp}"],
    ],
    ids=[
        "gpkg-layer",
        "same-file",
        "hard-link",
        "report",
        "rules",
        "unify",
        "compare",
        "propose",
        "assign",
        "dask-folder",
    ],
)
def test_an_output_that_is_an_input_is_refused(
    argv: list[str], data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    grids = tmp_path / "grids.gpkg"
    gpd.read_file(data, layer="grids").to_file(grids)
    os.link(data, tmp_path / "alias.gpkg")
    for name in ("area.html", "rules.html", "homes.csv"):
        (tmp_path / name).write_text("an input", encoding="utf-8")
    (tmp_path / "parts").mkdir()
    before = {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    args = [a.format(d=data, tmp=tmp_path) for a in argv]
    assert main([*args, "--overwrite"]) == 2  # even with --overwrite
    assert "would replace the input" in _error(capsys)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_an_existing_output_needs_overwrite_and_is_replaced_whole(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out, report = tmp_path / "changes.gpkg", tmp_path / "changes.html"
    gpd.GeoDataFrame({"x": [1]}, geometry=[box(0, 0, 1, 1)], crs=CRS).to_file(out, layer="stale")
    argv = ["compare", f"{data}::grids", f"{data}::grids", "-o", str(out)]
    assert main(argv) == 2
    assert f"-o {out} exists; pass --overwrite to replace it" in _error(capsys)
    assert main([*argv, "--overwrite"]) == 0
    layers = set(pyogrio.list_layers(out)[:, 0])
    assert "stale" not in layers  # nothing of the earlier file is left
    assert {"changes", "before", "after"} <= layers
    report.write_text("an earlier report", encoding="utf-8")
    assert main([*argv, "--overwrite", "--report", str(tmp_path / "new.html")]) == 0
    assert main([*argv, "--overwrite", "--report", str(report)]) == 0
    assert "<html" in report.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "changes.gpkg",
        "changes.html",
        "data.gpkg",
        "new.html",
    ]


def test_an_existing_report_needs_overwrite(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    report = tmp_path / "check.html"
    report.write_text("an earlier report", encoding="utf-8")
    assert main(["check", f"{data}::grids", "--report", str(report)]) == 2
    assert "--report" in _error(capsys)
    assert main(["demo", "--report", str(report), "--no-progress"]) == 2  # before any work
    assert "pass --overwrite" in _error(capsys)
    assert report.read_text(encoding="utf-8") == "an earlier report"


def test_a_failed_write_leaves_no_file_under_the_final_name(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def disk_full(self: pd.DataFrame, path: str, *args: object, **kwargs: object) -> None:
        Path(path).write_text("household_id,grids\nh0,", encoding="utf-8")  # half a file
        msg = "[Errno 28] No space left on device"
        raise OSError(msg)

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    out = tmp_path / "assignment.csv"
    assert main(["assign", f"{data}::households", f"{data}::grids", "-o", str(out)]) == 2
    assert "No space left on device" in _error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.gpkg"]  # no partial file either


#: Run ``python -m gridgov`` with a CSV writer that writes the real rows slowly, a chunk
#: at a time (a slow disk), so that the test can kill it in the middle of the write.
SLOW_WRITER = textwrap.dedent(
    """
    import runpy, sys, time
    import pandas as pd

    def slow_to_csv(self, path, *args, **kwargs):
        with open(path, "w", encoding="utf-8") as handle:
            for start in range(0, len(self), 2):
                handle.write(self.iloc[start : start + 2].to_string())
                handle.flush()
                time.sleep(1.0)

    pd.DataFrame.to_csv = slow_to_csv
    sys.argv = ["gridgov", *sys.argv[1:]]
    runpy.run_module("gridgov", run_name="__main__", alter_sys=True)
    """
)


def test_a_killed_write_leaves_no_file_under_the_final_name(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "assignment.csv"
    argv = ["assign", f"{data}::households", f"{data}::grids", "-o", str(out), "-q"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen([sys.executable, "-c", SLOW_WRITER, *argv], env=env) as run:
        deadline = time.monotonic() + 60
        partial: list[Path] = []
        while not partial and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            partial = [p for p in tmp_path.glob(".assignment.partial-*.csv") if p.stat().st_size]
        assert partial, "the write never started"
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait(timeout=30) == -signal.SIGKILL
    assert not out.exists()
    assert partial[0].exists()  # what was written lies under the temporary name only
