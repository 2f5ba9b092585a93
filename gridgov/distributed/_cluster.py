"""Clusters: start a LocalCluster or connect to a scheduler; compute helpers.

Part of :mod:`gridgov.distributed`; see its documentation.
"""

from __future__ import annotations

import contextlib
import importlib
import numbers
import os
from typing import TYPE_CHECKING, Any

from gridgov.errors import OptionError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from distributed import Client

# --------------------------------------------------------------------------
# Clusters
# --------------------------------------------------------------------------


@contextlib.contextmanager
def client_for(
    scheduler: str = "local",
    *,
    workers: int | None = None,
    threads_per_worker: int = 1,
    memory_limit: str | float | None = "auto",
    dashboard_address: str = ":0",
    timeout: float = 60.0,
) -> Iterator[Client]:
    """Connect to a dask cluster -- or start a local one -- for a ``with`` block.

    With ``scheduler="local"`` a :class:`distributed.LocalCluster` of
    `workers` worker processes is started and shut down at the end of the
    block; with a scheduler address (``"tcp://10.0.0.5:8786"``) the client
    connects to that cluster, waits for `workers` workers when given, and
    disconnects at the end (the cluster keeps running).  While the block
    runs, the client is dask's default, so :func:`assign`, :func:`check`
    and :func:`load_table` run on it.

    Parameters
    ----------
    scheduler : str, default "local"
        ``"local"``, or the address of a running scheduler.
    workers : int, optional
        Local: number of worker processes (default: the number of CPUs).
        Remote: number of workers to wait for before returning.
    threads_per_worker : int, default 1
        Threads per local worker.  One thread per process is the safe
        default for GEOS work: memory stays predictable per worker.
    memory_limit : str or float, optional
        Memory limit per local worker (``"2GiB"``, bytes, or ``"auto"``:
        the machine's memory divided among the workers; ``None``: no limit).
    dashboard_address : str, default ":0"
        Address of the local scheduler's dashboard (its HTTP server); ``":0"``
        takes a free port (see ``client.dashboard_link``), so that several
        clusters on one machine never compete for the usual ``:8787``.
    timeout : float, default 60
        Seconds to wait for a remote scheduler and its workers.

    Yields
    ------
    distributed.Client

    Raises
    ------
    OptionError
        When `workers` or `threads_per_worker` is below 1 (also a ``ValueError``).
    OSError
        When the scheduler cannot be reached within `timeout` (``TimeoutError``).

    See Also
    --------
    assign, check : the work to run on the cluster.

    Examples
    --------
    >>> from gridgov import distributed as ggd
    >>> with ggd.client_for("local", workers=2) as client:  # doctest: +SKIP
    ...     ggd.assign("households/", {"governance": grids}, output="assigned/")
    """
    distributed = _module("distributed")

    for name, value in (("workers", workers), ("threads_per_worker", threads_per_worker)):
        whole = isinstance(value, numbers.Real) and float(value).is_integer()
        if value is not None and (isinstance(value, bool) or not whole or value < 1):
            msg = f"{name} must be a whole number >= 1, got {value!r}"
            raise OptionError(msg)
    if scheduler == "local":
        n_workers = workers if workers is not None else (os.cpu_count() or 1)
        with (
            distributed.LocalCluster(
                n_workers=int(n_workers),
                threads_per_worker=int(threads_per_worker),
                processes=True,
                memory_limit=memory_limit,
                dashboard_address=dashboard_address,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    with distributed.Client(scheduler, timeout=timeout) as client:
        if workers is not None:
            client.wait_for_workers(int(workers), timeout=timeout)
        yield client


def _module(name: str) -> Any:
    """Import an optional dependency (dask, distributed, dask-geopandas) when first needed.

    Their APIs are used through ``Any``: they are only partly typed.
    """
    return importlib.import_module(name)


def _keep_dtypes() -> contextlib.AbstractContextManager[Any]:
    """Keep the dtypes of the pure functions: no conversion of text columns by dask.

    dask converts object columns to pyarrow strings by default; the frames
    built under this context keep the dtypes :func:`gridgov.assign` returns.
    """
    setting: contextlib.AbstractContextManager[Any] = _module("dask").config.set(
        {"dataframe.convert-string": False}
    )
    return setting


def _client() -> Any:
    """Return the active distributed client, or None (dask's default scheduler)."""
    try:
        return _module("distributed").get_client()
    except (ImportError, ValueError):  # no distributed, or no client: the default scheduler
        return None


def _compute(*collections: Any, progress: bool) -> tuple[Any, ...]:
    """Compute dask collections on the active client (or dask's default scheduler).

    With `progress`, dask's progress bar is shown while the graph runs (the
    text bar of :func:`distributed.progress` on a cluster, else
    :class:`dask.diagnostics.ProgressBar`).
    """
    dask = _module("dask")

    client = _client()
    if client is None:
        if progress:
            with _module("dask.diagnostics").ProgressBar():
                return tuple(dask.compute(*collections))
        return tuple(dask.compute(*collections))
    futures = client.compute(list(collections))
    if progress:
        _module("distributed").progress(futures, notebook=False)
    return tuple(client.gather(futures))
