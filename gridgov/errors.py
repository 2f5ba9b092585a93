"""Exceptions and warnings raised by gridgov.

Every error is a :class:`GridgovError`; the two families that users meet at the
boundary, :class:`CRSError` and :class:`LayerError`, are also :class:`ValueError`
so that generic ``except ValueError`` handlers keep working.  Violations of the
grid principles are never raised: they are returned as findings.
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "CRSError",
    "GridgovError",
    "GridgovWarning",
    "LayerError",
    "OptionError",
    "OptionTypeError",
    "OutputExistsError",
    "RegistryError",
    "RuleSetError",
    "UsageError",
]


class GridgovError(Exception):
    """Base class of every exception raised by gridgov."""


class CRSError(GridgovError, ValueError):
    """A coordinate reference system is missing, mixed, or unfit for the work.

    Raised for a layer without CRS, for several layers in different CRSs, and
    for a geographic CRS (degrees) handed to metric work (areas, distances).
    """


class LayerError(GridgovError, ValueError):
    """A layer does not fit the data model: schema, ids or geometry.

    The message names the layer, the offending row ids (the first few and a
    count) and how to fix the input.
    """


class OutputExistsError(GridgovError, FileExistsError):
    """An output exists already and replacing it was not asked for (``overwrite=``)."""


class RuleSetError(GridgovError, ValueError):
    """A rule setting is unknown or out of range (also raised for a bad rules file)."""


class OptionError(GridgovError, ValueError):
    """An argument of a public function has a value it cannot take.

    Raised for an unknown choice (``on_boundary="largest"``), a value out of
    range (a negative ``max_distance``) or options that exclude each other.
    The message names the argument, what it received and what it accepts.
    An argument of the wrong type raises :class:`OptionTypeError`.
    """


class OptionTypeError(GridgovError, TypeError):
    """An argument of a public function has the wrong type (also a :class:`TypeError`)."""


class RegistryError(GridgovError, TypeError):
    """A rule or command declaration that breaks its registry's invariants (a programming error).

    Raised by :func:`gridgov.rules.registry.rule` when a rule is declared
    twice, with an unknown principle, severity, scope or input, or with a
    parameter its scope does not provide; and when a CLI command is
    registered twice.
    """


class UsageError(GridgovError):
    """A command-line argument that cannot be used (exit code 2)."""


class ArgumentError(UsageError):
    """A command line that argparse refused, with the program it was given to (exit code 2)."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class GridgovWarning(UserWarning):
    """A warning issued by gridgov."""
