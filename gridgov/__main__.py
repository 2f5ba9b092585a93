"""``python -m gridgov``: the ``gridgov`` command line (see :mod:`gridgov.cli`)."""

from __future__ import annotations

from gridgov.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
