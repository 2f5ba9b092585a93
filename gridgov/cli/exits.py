"""The exit codes of the ``gridgov`` command, one contract for every command.

Only :mod:`gridgov.cli` (``main``) maps errors to codes; a command returns
``EXIT_OK`` or ``EXIT_FINDINGS`` and raises everything else.
"""

from __future__ import annotations

__all__ = ["EXIT_FINDINGS", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE"]

#: Done, and no finding of severity ``error``.
EXIT_OK = 0
#: Done, and some finding of severity ``error`` (nothing else exits 1).
EXIT_FINDINGS = 1
#: A usage or input error: one message on stderr, no traceback.
EXIT_USAGE = 2
#: An unexpected internal error (a bug): one line, ``--debug`` for the traceback.
EXIT_INTERNAL = 3
#: Interrupted (Ctrl-C), as shells report SIGINT.
EXIT_INTERRUPTED = 130
