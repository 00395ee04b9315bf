"""Running the batches of a sweep: in this process, or on a Dask cluster.

A sweep (``simulate``, ``compare``) of many runs is cut into batches of
consecutive runs; each batch is one call of a task that depends only on its
arguments (run r is always drawn from the generator seeded ``[seed, r]``), and
the batches' results come back in batch order, however they were computed.
So the same sweep gives the same result in one process and on Dask.

Dask is optional (``pip install 'kasvufee[dask]'``): ``dask=True`` starts a
local cluster of worker processes for the sweep and stops it afterwards;
``dask="tcp://host:8786"`` uses a running scheduler, whose workers need
kasvufee installed.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kasvufee.errors import UsageError

__all__ = ["Dask", "Progress", "plan_batches", "run_batches"]

T = TypeVar("T")
Progress = Callable[[int, int], None]
"""``progress(done, total)``: called as batches finish (counted in runs)."""
Dask = bool | str | None
"""None or False: this process; True: a local Dask cluster; a text: a scheduler address."""

CONNECT_TIMEOUT = "20s"
"""How long to try reaching a Dask scheduler."""

BATCH_CLIENTS = (20_000, 200_000)
"""A batch prices between these many simulated clients (fewer only for short sweeps):
large enough for columnar evaluation to pay off, small enough to bound memory and
to give a cluster, and a progress bar, several batches."""


def plan_batches(runs: int, clients: int, batch_runs: int | None = None
                 ) -> list[tuple[int, int]]:
    """``(first run, number of runs)`` of each batch, covering runs 1 to ``runs``.

    By default about eight batches, fewer where a batch would hold under 20 000
    clients and more where it would hold over 200 000.
    """
    if runs < 1:
        raise UsageError(f"runs: expected at least 1, got {runs}")
    if batch_runs is None:
        low, high = (max(1, math.ceil(n / max(1, clients))) for n in BATCH_CLIENTS)
        batch_runs = min(max(math.ceil(runs / 8), low), high)
    elif batch_runs < 1:
        raise UsageError(f"batch runs: expected at least 1, got {batch_runs}")
    return [(first, min(batch_runs, runs - first + 1))
            for first in range(1, runs + 1, batch_runs)]


def run_batches(task: Callable[..., T], batches: Sequence[tuple[int, int]], *,
                shared: tuple[Any, ...] = (), dask: Dask = None, workers: int | None = None,
                progress: Progress | None = None) -> list[T]:
    """``[task(*shared, first, count) for each batch]``, in batch order.

    ``task`` must be a module-level function (Dask ships it to its workers by
    reference); ``shared`` is sent once to every worker.  ``workers`` sizes a
    local cluster (default: one per core).
    """
    total = sum(count for _, count in batches)
    if not dask:
        out = []
        done = 0
        for first, count in batches:
            out.append(task(*shared, first, count))
            done += count
            if progress:
                progress(done, total)
        return out
    return _on_dask(task, batches, shared, None if dask is True else str(dask), workers,
                    progress, total)


def _on_dask(task: Callable[..., T], batches: Sequence[tuple[int, int]],
             shared: tuple[Any, ...], address: str | None, workers: int | None,
             progress: Progress | None, total: int) -> list[T]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise UsageError("--dask needs Dask: pip install 'kasvufee[dask]'") from None
    cluster = None
    try:
        if address is None:
            # one single-threaded process per core: polars in each worker uses one
            # thread, so the workers do not fight over the cores
            # (no more workers than batches: an idle one still starts and imports)
            cluster = LocalCluster(n_workers=min(workers or os.cpu_count() or 1, len(batches)),
                                   threads_per_worker=1, processes=True,
                                   dashboard_address=None,
                                   silence_logs=logging.ERROR,
                                   env={"POLARS_MAX_THREADS": "1"})
            client = Client(cluster)
        else:
            client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError) as exc:  # ValueError: an address that is not one
        if cluster is not None:
            cluster.close()
        where = address or "a local cluster"
        raise UsageError(f"Dask: could not start or reach {where}: {exc}") from None
    try:
        sent = client.scatter(list(shared), broadcast=True) if shared else []
        futures = {client.submit(task, *sent, first, count, pure=False): (i, count)
                   for i, (first, count) in enumerate(batches)}
        out: dict[int, T] = {}
        done = 0
        for future, value in as_completed(futures, with_results=True):
            i, count = futures[future]
            out[i] = value
            done += count
            if progress:
                progress(done, total)
        return [out[i] for i in range(len(batches))]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
