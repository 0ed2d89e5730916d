"""Groups of files audited over every core: one worker process per core, the biggest groups first.

Processes, not threads: the audit is pure Python, so threads would share one core. On a machine
that can fork, workers start as copies of this process with the rules and formats already
imported; elsewhere they import them once each. A small run stays in this process, where starting
workers would cost more than it saves.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from archls.batch.audit import Job, Result, audit

if TYPE_CHECKING:
    from concurrent.futures import Future

#: Below this much text a run stays in one process: forking and gathering results would cost more.
IN_PROCESS_BYTES = 512_000


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def run(jobs: Sequence[Job], workers: int | None = None, *, progress: bool = False) -> list[Result]:
    """Every job's result, in the order of ``jobs``. ``workers`` None means one per core."""
    sizes = {job.index: _size(job) for job in jobs}
    count = workers if workers is not None else cores()
    count = max(1, min(count, len(jobs)))
    if workers is None and sum(sizes.values()) < IN_PROCESS_BYTES:
        count = 1
    bar = _bar(sum(len(j.files) for j in jobs), progress)
    done: dict[int, Result] = {}
    try:
        if count > 1:
            order = sorted(jobs, key=lambda j: -sizes[j.index])
            _in_workers(order, count, done, bar.update)
        for job in jobs:
            if job.index not in done:  # a run in this process, or what a broken pool left
                done[job.index] = audit(job)
                bar.update(len(job.files))
    finally:
        bar.close()
    return [done[job.index] for job in jobs]


def _in_workers(jobs: Sequence[Job], count: int, done: dict[int, Result], advance: Callable[[int], object]) -> None:
    # imported here: a run small enough for one process never needs them
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    _warm()
    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    executor = ProcessPoolExecutor(max_workers=count, mp_context=context)
    pending: dict[Future[Result], Job] = {}
    queue = list(jobs)
    try:
        # a few jobs ahead of the workers, not all: results are gathered as they come
        while queue or pending:
            while queue and len(pending) < count * 4:
                job = queue.pop(0)
                pending[executor.submit(audit, job)] = job
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                job = pending.pop(future)
                done[job.index] = future.result()
                advance(len(job.files))
    except BrokenProcessPool:
        return  # the caller audits what is left in this process
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _warm() -> None:
    """Import what every audit needs before the workers fork, so each does not import it again."""
    from archls.analysis import results  # noqa: F401
    from archls.analysis.grade import grade  # noqa: F401
    from archls.formats import formats
    from archls.rules.registry import all_codes

    formats()
    all_codes()


def _size(job: Job) -> int:
    total = 0
    for path in job.files:
        with contextlib.suppress(OSError):
            total += os.path.getsize(path)
    return total


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int, progress: bool) -> _NoBar:
    """A progress bar on the terminal for runs that last more than a second."""
    if not progress or not sys.stderr.isatty():
        return _NoBar()
    import tqdm

    # no monitor thread: workers are forked from this process
    tqdm.tqdm.monitor_interval = 0
    return tqdm.tqdm(total=total, unit="file", delay=1.0, leave=False, file=sys.stderr, dynamic_ncols=True)
