"""Every writer gridgov defines is atomic: a failed write leaves nothing under the final name.

For each ``to_html`` and ``to_file`` of gridgov's results, the inner writer is
made to write some bytes and then fail (a full disk): no file may appear under
the final name and no temporary file may stay behind; an existing file is
replaced only by a write that succeeds.
"""

from __future__ import annotations

import errno
import pathlib
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from shapely import box, points

import gridgov as gg

if TYPE_CHECKING:
    from pathlib import Path

CRS = "EPSG:4549"


def _grids(ids: list[str], boxes: list[Any]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"grid_id": ids}, geometry=boxes, crs=CRS)


@pytest.fixture(scope="module")
def changes() -> gg.Changes:
    old = _grids(["a", "b"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    new = _grids(
        ["a", "c", "d"], [box(0, 0, 100, 100), box(100, 0, 150, 100), box(150, 0, 200, 100)]
    )
    xy = np.random.default_rng(0).uniform(1, 199, (60, 2)) * [1, 0.5]
    homes = gpd.GeoDataFrame({"household_id": range(60)}, geometry=points(xy), crs=CRS)
    return gg.compare(old, new, households=homes)


@pytest.fixture(scope="module")
def plan() -> gg.Plan:
    grids = gpd.GeoDataFrame(
        {"grid_id": ["320102001001001", "320102001001002"], "parent_id": "320102001001"},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
        crs=CRS,
    )
    xy = np.random.default_rng(1).uniform(1, 99, (700, 2))
    homes = gpd.GeoDataFrame(
        {"household_id": range(1100)},
        geometry=points(np.concatenate([xy, xy[:400] + np.array([100, 0])])),
        crs=CRS,
    )
    return gg.propose(grids, homes, seed=0)


@pytest.fixture(scope="module")
def one_network() -> gg.OneNetwork:
    governance = _grids(["G1", "G2"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    party = _grids(["P1", "P2"], [box(0, 0, 160, 100), box(160, 0, 200, 100)])
    return gg.unify({"governance": governance, "party": party})


@pytest.fixture(scope="module")
def findings() -> gg.Findings:
    grids = _grids(["a", "a"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    return gg.check(grids)


def _full_disk(path: object) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", str(path))


def _failing_text_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``Path.write_text`` write the first bytes of the text, then fail."""

    def write_text(self: pathlib.Path, data: str, *args: Any, **kwargs: Any) -> int:
        with open(self, "w", encoding="utf-8") as handle:
            handle.write(data[:200])
        raise _full_disk(self)

    monkeypatch.setattr(pathlib.Path, "write_text", write_text)


def _failing_layer_writer(monkeypatch: pytest.MonkeyPatch, *, after: int) -> None:
    """Let ``pyogrio.write_dataframe`` write `after` layers, then write some bytes and fail."""
    real = pyogrio.write_dataframe
    calls = []

    def write_dataframe(df: Any, path: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(kwargs.get("layer"))
        if len(calls) <= after:
            real(df, path, *args, **kwargs)
            return
        with open(path, "ab") as handle:
            handle.write(b"partial layer")
        raise _full_disk(path)

    monkeypatch.setattr(pyogrio, "write_dataframe", write_dataframe)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


HTML_WRITERS = ["findings", "changes", "plan"]  # fixtures whose to_html(path) writes


@pytest.mark.parametrize("fixture", HTML_WRITERS)
def test_html_writer_failure_leaves_no_file(
    fixture: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("matplotlib")
    obj = request.getfixturevalue(fixture)
    target = tmp_path / "report.html"
    with monkeypatch.context() as patch:
        _failing_text_writer(patch)
        with pytest.raises(OSError, match="No space left"):
            obj.to_html(target)
    assert _names(tmp_path) == []  # no report, no temporary file


@pytest.mark.parametrize("fixture", HTML_WRITERS)
def test_html_writer_replaces_an_existing_file_only_on_success(
    fixture: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("matplotlib")
    obj = request.getfixturevalue(fixture)
    target = tmp_path / "report.html"
    target.write_text("the report of yesterday", encoding="utf-8")
    with monkeypatch.context() as patch:
        _failing_text_writer(patch)
        with pytest.raises(OSError, match="No space left"):
            obj.to_html(target)
    assert _names(tmp_path) == ["report.html"]
    assert target.read_text(encoding="utf-8") == "the report of yesterday"
    document = obj.to_html(target)
    assert target.read_text(encoding="utf-8") == document
    assert _names(tmp_path) == ["report.html"]


GPKG_WRITERS = ["changes", "plan", "one_network"]  # fixtures whose to_file(path) writes


@pytest.mark.parametrize("fixture", GPKG_WRITERS)
@pytest.mark.parametrize("after", [0, 2], ids=["first-layer", "third-layer"])
def test_gpkg_writer_failure_leaves_no_file(
    fixture: str,
    after: int,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    obj = request.getfixturevalue(fixture)
    target = tmp_path / "out.gpkg"
    with monkeypatch.context() as patch:
        _failing_layer_writer(patch, after=after)
        with pytest.raises(OSError, match="No space left"):
            obj.to_file(target)
    assert _names(tmp_path) == []


@pytest.mark.parametrize("fixture", GPKG_WRITERS)
def test_gpkg_writer_replaces_an_existing_file_only_on_success(
    fixture: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    obj = request.getfixturevalue(fixture)
    target = tmp_path / "out.gpkg"
    keep = _grids(["k"], [box(0, 0, 1, 1)])
    keep.to_file(target, layer="kept", driver="GPKG")
    before = target.read_bytes()
    with monkeypatch.context() as patch:
        _failing_layer_writer(patch, after=1)
        with pytest.raises(OSError, match="No space left"):
            obj.to_file(target)
    assert _names(tmp_path) == ["out.gpkg"]
    assert target.read_bytes() == before
    obj.to_file(target)
    assert _names(tmp_path) == ["out.gpkg"]
    layers = set(pyogrio.list_layers(target)[:, 0])
    assert "kept" in layers  # other layers of an existing file are kept, as before
    assert len(layers) > 1


@pytest.mark.parametrize("fixture", GPKG_WRITERS)
def test_gpkg_writer_refuses_other_formats_before_writing(
    fixture: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    obj = request.getfixturevalue(fixture)
    with pytest.raises(ValueError, match="GeoPackage"):
        obj.to_file(tmp_path / "out.shp")
    assert _names(tmp_path) == []
