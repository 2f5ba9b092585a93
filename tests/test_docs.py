"""The documentation runs and is current: the README example and commands, docs/api.md."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    (block,) = _python_blocks(ROOT / "README.md")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    findings = namespace["findings"]
    assert not findings.ok  # type: ignore[attr-defined]
    assert (tmp_path / "report.html").stat().st_size > 10_000
    plan = namespace["plan"]
    assert "320102001001005" in plan.summary()  # type: ignore[attr-defined]


def test_user_guide_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib as mpl

    mpl.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    blocks = _python_blocks(ROOT / "docs" / "index.md")
    assert len(blocks) >= 2
    for block in blocks:
        exec(compile(block, "docs/index.md", "exec"), namespace)
    assert (tmp_path / "check.html").exists()
    assert (tmp_path / "findings.gpkg").exists()


def test_api_reference_is_current() -> None:
    render = runpy.run_path(str(ROOT / "docs" / "make_api.py"))["render"]
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert current == render(), "docs/api.md is out of date: run python docs/make_api.py"


def test_every_public_name_is_documented_in_api_md() -> None:
    import gridgov as gg

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [name for name in gg.__all__ if name != "__version__" and f"`{name}`" not in text]
    assert not missing


def test_readme_commands_are_real_subcommands() -> None:
    from gridgov.cli import _parser

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"(?:^|&& )gridgov (\w+)", text, flags=re.M))
    parser = _parser()
    known = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert commands
    assert commands <= known


def test_rules_reference_is_current() -> None:
    render = runpy.run_path(str(ROOT / "docs" / "make_rules.py"))["render"]
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == render(current), "docs/rules.md is out of date: run python docs/make_rules.py"
