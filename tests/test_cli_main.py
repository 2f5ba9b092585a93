"""The shape of the ``gridgov`` command: registered commands, help texts, versions, ``-m``."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import gridgov as gg
from gridgov.cli import _parser, main
from gridgov.cli._registry import COMMANDS, command
from gridgov.errors import RegistryError
from gridgov.versions import versions

if TYPE_CHECKING:
    import argparse

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> dict[str, argparse.ArgumentParser]:
    return _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]


def test_every_registered_command_is_a_subcommand() -> None:
    assert list(COMMANDS) == ["assign", "check", "compare", "demo", "propose", "unify"]
    assert set(_commands()) == set(COMMANDS)


def test_a_command_cannot_be_registered_twice() -> None:
    with pytest.raises(RegistryError, match="registered twice"):
        command("check", help="", description="", epilog="", arguments=lambda _: None)(lambda _: 0)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_argument_has_help_and_every_command_examples(
    name: str, capsys: pytest.CaptureFixture
) -> None:
    sub = _commands()[name]
    missing = [a.dest for a in sub._actions if not a.help]
    assert not missing
    assert main([name, "--help"]) == 0
    text = capsys.readouterr().out
    assert "examples:\n  gridgov " + name in text  # the epilog keeps its lines
    for option in ("--overwrite", "--debug", "--quiet", "--verbose"):
        assert option in text


def test_choices_come_from_the_library() -> None:
    from typing import get_args

    from gridgov.assign import BoundaryRule, OutsideRule

    actions = {a.dest: a for a in _commands()["assign"]._actions}
    assert tuple(actions["on_boundary"].choices) == get_args(BoundaryRule)
    assert tuple(actions["outside"].choices) == get_args(OutsideRule)


def test_show_versions_lists_the_libraries_below_gridgov() -> None:
    buffer = io.StringIO()
    gg.show_versions(file=buffer)
    names = [line.split()[0] for line in buffer.getvalue().splitlines()]
    for name in ("gridgov", "shapely", "GEOS", "geopandas", "pyproj", "PROJ", "pyogrio", "GDAL"):
        assert name in names
    for name in ("numpy", "pandas", "python"):
        assert name in names
    assert "show_versions" in gg.__all__


def test_python_m_gridgov_version() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "gridgov", "--version"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    info = versions()
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["gridgov", gg.__version__]
    for name in ("shapely", "GEOS", "geopandas", "pyproj", "PROJ", "pyogrio", "GDAL", "numpy"):
        assert f"{name} {info[name]}" in [" ".join(line.split()) for line in lines]
    usage = subprocess.run(
        [sys.executable, "-m", "gridgov"], capture_output=True, text=True, env=env, check=False
    )
    assert usage.returncode == 2
    assert usage.stderr.count("\n") == 1
