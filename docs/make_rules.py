"""Write the generated parts of ``docs/rules.md`` from the rule registry.

The tables of the rules of each principle and the index of every rule are
generated from :data:`gridgov.RULES` (what each rule declares with
``@rule(...)`` next to its code); the prose around them is written by hand.
Each generated part sits between ``<!-- BEGIN generated: NAME -->`` and
``<!-- END generated: NAME -->``.  Run ``python docs/make_rules.py`` after
adding or changing a rule; ``tests/test_docs.py`` fails while the file is
out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TARGET = Path(__file__).with_name("rules.md")
_PART = re.compile(
    r"(<!-- BEGIN generated: (?P<name>[a-z]+) -->\n)(?P<body>.*?)"
    r"(<!-- END generated: (?P=name) -->)",
    re.S,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip() or "—"


def table(principle: str) -> str:
    """Return the table of the rules of `principle`."""
    from gridgov.rules import RULES

    lines = [
        "| rule | context | default | value / limit | geometry |",
        "|---|---|---|---|---|",
    ]
    for code, info in RULES.items():
        if info.principle != principle:
            continue
        context = info.doc.context or ", ".join(info.context)
        lines.append(
            f"| `{code}` | {_cell(context)} | {_cell(info.doc.default or info.severity)} "
            f"| {_cell(info.doc.value)} | {_cell(info.doc.geometry)} |"
        )
    return "\n".join(lines) + "\n"


def index() -> str:
    """Return the index of every rule: code, default severity, scope, inputs, description."""
    from gridgov.rules import RULES

    lines = [
        "| rule | severity | scope | needs | finds |",
        "|---|---|---|---|---|",
    ]
    lines.extend(
        f"| `{code}` | {info.severity} | {info.scope.value} "
        f"| {_cell(', '.join(info.context))} | {_cell(info.description)} |"
        for code, info in RULES.items()
    )
    return "\n".join(lines) + "\n"


def render(text: str | None = None) -> str:
    """Return ``docs/rules.md`` with every generated part written anew."""
    from gridgov.rules.registry import PRINCIPLE_ORDER

    text = TARGET.read_text(encoding="utf-8") if text is None else text
    parts = {p: table(p) for p in PRINCIPLE_ORDER} | {"index": index()}
    found: set[str] = set()

    def fill(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in parts:
            msg = f"docs/rules.md: unknown generated part {name!r}"
            raise SystemExit(msg)
        found.add(name)
        return match.group(1) + parts[name] + match.group(4)

    out = _PART.sub(fill, text)
    missing = sorted(set(parts) - found)
    if missing:
        msg = f"docs/rules.md lacks the generated part(s) {missing}"
        raise SystemExit(msg)
    return out


def main() -> int:
    """Write the file."""
    TARGET.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
