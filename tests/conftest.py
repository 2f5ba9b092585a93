"""Test configuration: hypothesis explores the same examples on every CI run.

Locally, hypothesis draws new examples on each run (and replays the failures
it found from its database); on CI (``CI`` set, as ``.ci/run`` runs) the
examples are derived from each test's name, so a run of main can only fail
for a change of the code, not for an example drawn that day.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
