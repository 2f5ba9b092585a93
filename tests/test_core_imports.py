"""No gridgov module imports a private name of another top-level gridgov module.

Private names (a leading underscore) flow only inside one top-level module or
package (``gridgov.unify._cells`` may import from ``gridgov.unify._base``);
what several modules share lives under public names, e.g. in ``gridgov._core``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gridgov

PACKAGE = Path(gridgov.__file__).parent


def _top(module: str) -> str:
    """The top-level module or package of a dotted gridgov module name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _own_module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(root: Path = PACKAGE) -> list[str]:
    """Return ``"importer: from module import name"`` for every private name crossing modules."""
    found = []
    for path in sorted(root.rglob("*.py")):
        own = _own_module(path, root)
        own_top = _top(own) if "." in own else ""
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:  # relative import: resolve against the importer
                base = own.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module != "gridgov" and not module.startswith("gridgov."):
                continue
            for alias in node.names:
                target_top = _top(f"{module}.{alias.name}") if module == "gridgov" else _top(module)
                if target_top == own_top:
                    continue
                # a private name, or any name of a private module (the core's are public)
                inner = module.split(".")[1:]
                private_module = any(_is_private(p) for p in inner) and inner[0] != "_core"
                if _is_private(alias.name) or private_module:
                    found.append(f"{own}: from {module} import {alias.name}")
    return found


def test_the_scan_finds_a_private_import(tmp_path: Path) -> None:
    root = tmp_path / "gridgov"
    (root / "unify").mkdir(parents=True)
    (root / "check.py").write_text("from gridgov.assign import _rows, assign\n")
    (root / "unify" / "_cells.py").write_text(
        "from gridgov.unify._base import _EPS\nfrom . import _base\nfrom .._core import _x\n"
    )
    (root / "cli.py").write_text("from gridgov import __version__, _coords\n")
    (root / "propose.py").write_text(
        "from gridgov._plan import split\nfrom gridgov._core.threads import thread_count\n"
    )
    assert private_imports(root) == [
        "gridgov.check: from gridgov.assign import _rows",
        "gridgov.cli: from gridgov import _coords",
        "gridgov.propose: from gridgov._plan import split",
        "gridgov.unify._cells: from gridgov._core import _x",
    ]


def test_no_module_imports_a_private_name_of_another() -> None:
    violations = private_imports()
    assert violations == [], "\n".join(violations)


def test_the_core_imports_nothing_above_it() -> None:
    above = []
    for path in sorted((PACKAGE / "_core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and not node.level:
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                inside = module == "gridgov.errors" or module.startswith("gridgov._core")
                if (module == "gridgov" or module.startswith("gridgov.")) and not inside:
                    above.append(f"{path.name}: {module}")
    assert above == []
