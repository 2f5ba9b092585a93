"""The printable summary of a Findings frame: :class:`FindingsSummary`.

Part of :mod:`gridgov.findings`; :meth:`gridgov.Findings.summary` builds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FindingsSummary"]


@dataclass(frozen=True)
class FindingsSummary:
    """A printable summary of a :class:`Findings` frame.

    Attributes
    ----------
    counts : DataFrame
        One row per (principle, rule) with the number of findings by
        severity (columns ``error``, ``warning``, ``info``) and ``total``.
    grids : DataFrame
        One row per grid with findings, indexed by ``grid_id``: the counts by
        severity, ``total`` and ``rules`` (the rule codes, comma-separated);
        worst grids first.
    skipped : dict of str to str
        Rules that did not run, with the reason.
    total, errors, warnings, infos : int
        Number of findings, in all and by severity.
    """

    counts: pd.DataFrame
    grids: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)
    total: int = 0
    errors: int = 0
    warnings: int = 0
    infos: int = 0

    @property
    def ok(self) -> bool:
        """Whether there is no finding of severity ``error``."""
        return self.errors == 0

    @property
    def headline(self) -> str:
        """One line: OK or not, and the number of findings by severity."""
        if self.total == 0:
            return "OK: no findings"
        verdict = "OK" if self.ok else "NOT OK"
        parts = [
            _plural(self.errors, "error"),
            _plural(self.warnings, "warning"),
            _plural(self.infos, "info", "infos"),
        ]
        return f"{verdict}: {_plural(self.total, 'finding')} ({', '.join(parts)})"

    def to_text(self, *, max_grids: int = 20) -> str:
        """Return the summary as plain text (what ``print(summary)`` shows).

        Parameters
        ----------
        max_grids : int, default 20
            Number of grids listed in the per-grid table (worst first).

        Returns
        -------
        str
        """
        lines = [self.headline]
        if len(self.counts):
            lines.append("")
            lines.append("findings by rule:")
            table = self.counts.drop(columns=["principle"]).set_index("rule")
            lines.extend(("  " + line).rstrip() for line in table.to_string().splitlines())
        if len(self.grids):
            shown = self.grids.head(max_grids).copy()
            shown["rules"] = [
                r if len(r) <= 60 else r[:57] + "..." for r in shown["rules"].astype(str)
            ]
            more = len(self.grids) - len(shown)
            lines.append("")
            lines.append(f"grids with findings ({len(self.grids)}, worst first):")
            lines.extend(("  " + line).rstrip() for line in shown.to_string().splitlines())
            if more > 0:
                lines.append(f"  ... and {more} more grids")
        if self.skipped:
            lines.append("")
            lines.append("rules not run:")
            lines.extend(f"  {rule}: {reason}" for rule, reason in sorted(self.skipped.items()))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"
