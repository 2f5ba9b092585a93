"""The thread policy of gridgov, and a runner for independent steps on a thread pool.

Every gridgov function that runs steps on threads (those where shapely
releases the GIL: ``gg.assign``, ``gg.unify``, ``gg.check``) takes its number
of threads from :func:`thread_count`: the environment variable
``GRIDGOV_THREADS`` when it is set, else the cores available to the process.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, TypeVar

from gridgov.errors import OptionError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

__all__ = ["CHUNK_SIZE", "ENVIRONMENT_VARIABLE", "Runner", "batches", "thread_count"]

#: The environment variable that sets the number of threads.
ENVIRONMENT_VARIABLE = "GRIDGOV_THREADS"
#: Households per chunk (the unit of threading and of the progress bar).
CHUNK_SIZE = 65_536

_T = TypeVar("_T")
_R = TypeVar("_R")


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def thread_count(*, limit: int | None = None) -> int:
    """Return the number of worker threads gridgov may use.

    The value of the environment variable ``GRIDGOV_THREADS`` when it is set
    (a positive integer; an empty value counts as unset), else the number of
    cores available to the process (``os.sched_getaffinity`` where the
    platform has it, else ``os.cpu_count()``); at most `limit` when given,
    and at least 1.

    Parameters
    ----------
    limit : int, optional
        An upper bound of the caller (e.g. the number of independent steps).

    Returns
    -------
    int

    Raises
    ------
    OptionError
        When ``GRIDGOV_THREADS`` is set to anything but a positive integer.

    Examples
    --------
    >>> thread_count() >= 1, thread_count(limit=1)
    (True, 1)
    """
    text = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if text:
        try:
            count = int(text)
        except ValueError:
            count = 0
        if count < 1:
            msg = (
                f"environment variable {ENVIRONMENT_VARIABLE}={text!r} is not a positive "
                f"integer; set it to the number of threads (e.g. {ENVIRONMENT_VARIABLE}=2) "
                "or unset it to use every available core"
            )
            raise OptionError(msg)
    else:
        count = _available_cores()
    if limit is not None:
        count = min(count, limit)
    return max(1, count)


class Runner:
    """Runs independent steps on a thread pool (or inline) and counts them on a progress bar."""

    def __init__(self, pool: ThreadPoolExecutor | None, bar: tqdm) -> None:
        self.pool = pool
        self.bar = bar

    def map(self, fn: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
        """``[fn(item) for item in items]``, on the pool when there is more than one item."""
        self._grow(len(items))
        results: list[_R] = []
        mapped = (
            self.pool.map(fn, items) if self.pool is not None and len(items) > 1 else map(fn, items)
        )
        for result in mapped:
            results.append(result)
            self.bar.update(1)
        return results

    def _grow(self, steps: int) -> None:
        if not self.bar.disable:
            self.bar.total = (self.bar.total or 0) + steps
            self.bar.refresh()


def batches(n: int, size: int = CHUNK_SIZE) -> list[slice]:
    """Return slices of at most `size` over ``range(n)``, at least two when `n` allows.

    Examples
    --------
    >>> batches(5, 2)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    size = max(1, min(size, math.ceil(n / 2)))
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]
