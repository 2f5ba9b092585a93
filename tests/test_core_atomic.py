"""gridgov._core.atomic: an output appears under its final name only once complete."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gridgov._core.atomic import atomic_path, write_bytes, write_text

if TYPE_CHECKING:
    from pathlib import Path


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _fail_mid_write(final: Path, error: BaseException, *, directory: bool = False) -> None:
    """Write half of an output, then fail as a writer does on a full disk or Ctrl-C."""
    with atomic_path(final, directory=directory) as tmp:
        (tmp / "part.0.parquet" if directory else tmp).write_text("half")
        raise error


def test_a_file_appears_only_when_the_block_succeeds(tmp_path: Path) -> None:
    final = tmp_path / "out.gpkg"
    with atomic_path(final) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.suffix == ".gpkg"  # writers such as GDAL choose the format by it
        assert not tmp.exists()  # the writer creates it
        tmp.write_text("whole")
        assert not final.exists()
    assert final.read_text() == "whole"
    assert _names(tmp_path) == ["out.gpkg"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    final = write_text(tmp_path / "report.html", "old")
    with pytest.raises(OSError, match="disk full"):
        _fail_mid_write(final, OSError("disk full"))
    assert final.read_text() == "old"
    assert _names(tmp_path) == ["report.html"]


def test_an_interrupt_leaves_nothing_under_the_final_name(tmp_path: Path) -> None:
    final = tmp_path / "a.csv"
    with pytest.raises(KeyboardInterrupt):
        _fail_mid_write(final, KeyboardInterrupt())
    assert _names(tmp_path) == []


def test_a_writer_that_writes_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="produced no output"), atomic_path(tmp_path / "x"):
        pass
    assert _names(tmp_path) == []


def test_a_folder_replaces_an_earlier_folder_whole(tmp_path: Path) -> None:
    final = tmp_path / "assigned"
    final.mkdir()
    (final / "part.9.parquet").write_text("earlier run")
    with atomic_path(final, directory=True) as tmp:
        assert tmp.is_dir()
        assert not any(tmp.iterdir())
        (tmp / "part.0.parquet").write_text("new")
        assert (final / "part.9.parquet").exists()  # the old result stays until the new is whole
    assert _names(final) == ["part.0.parquet"]
    assert _names(tmp_path) == ["assigned"]


def test_a_folder_gets_the_permissions_of_any_new_folder(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with atomic_path(tmp_path / "out", directory=True) as tmp:
        (tmp / "part.0").write_text("new")
    assert (tmp_path / "out").stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_a_failed_folder_keeps_the_earlier_folder(tmp_path: Path) -> None:
    final = tmp_path / "assigned"
    final.mkdir()
    (final / "part.0.parquet").write_text("earlier run")
    with pytest.raises(RuntimeError):
        _fail_mid_write(final, RuntimeError(), directory=True)
    assert (final / "part.0.parquet").read_text() == "earlier run"
    assert _names(tmp_path) == ["assigned"]


def test_a_folder_output_replaces_a_file(tmp_path: Path) -> None:
    final = tmp_path / "out"
    final.write_text("a file")
    with atomic_path(final, directory=True) as tmp:
        (tmp / "part.0").write_text("new")
    assert final.is_dir()
    assert _names(tmp_path) == ["out"]


def test_a_file_output_never_replaces_a_folder(tmp_path: Path) -> None:
    final = tmp_path / "reports"
    final.mkdir()
    (final / "kept.html").write_text("a report")
    with pytest.raises(IsADirectoryError, match="is a folder"), atomic_path(final) as tmp:
        tmp.write_text("new")  # pragma: no cover - refused before the block runs
    assert (final / "kept.html").read_text() == "a report"
    assert _names(tmp_path) == ["reports"]


def test_a_folder_output_creates_its_parents(tmp_path: Path) -> None:
    final = tmp_path / "a" / "b" / "out"
    with atomic_path(final, directory=True) as tmp:
        (tmp / "part.0").write_text("new")
    assert (final / "part.0").read_text() == "new"


def test_write_bytes_and_text(tmp_path: Path) -> None:
    assert write_bytes(tmp_path / "a.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    assert write_text(tmp_path / "b.txt", "网格").read_text(encoding="utf-8") == "网格"
    write_text(tmp_path / "b.txt", "replaced")
    assert (tmp_path / "b.txt").read_text() == "replaced"
