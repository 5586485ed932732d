"""Scanning with ``--workers N`` processes: many datasets at once, or the units of one big dataset.

Datasets are cheap descriptions (a path, a URL) with reader closures, which
cannot be pickled; so workers are forked after discovery and inherit the
dataset list, receive only an index, and send back the finished
``DatasetResult`` (frozen dataclasses of plain data, pickled). Python work (validators, Presidio, jieba) holds the GIL, so
processes, not threads, are what use a second core.

When a full pass has fewer datasets than workers (typically one big file),
a dataset-level pool would leave cores idle. Then the datasets are read one
at a time here, cut into units (scanner/pipeline.py), and the units, plain
Arrow data, are profiled by a forked pool; each comes back as its columns'
``ColumnProfile.state()`` and is merged here in unit order. The units and
their name budgets are the same as with one worker, so are the findings.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass

from detectors.classify import warm_up
from scanner.connectors.base import Dataset
from scanner.model import DatasetResult
from scanner.pipeline import (
    ScanOptions,
    Unit,
    UnitMapper,
    UnitStates,
    scan_dataset,
    unit_states,
)


@dataclass(frozen=True)
class Outcome:
    """A finished dataset: its index in the scan's dataset list and its result (errors included)."""

    index: int
    result: DatasetResult


_DATASETS: list[Dataset] = []
_OPTIONS: ScanOptions | None = None


def _scan_one(index: int) -> Outcome:
    return Outcome(index, scan_dataset(_DATASETS[index], _OPTIONS or ScanOptions()))


def scan_many(datasets: list[Dataset], indices: list[int], options: ScanOptions, workers: int = 1,
              started: Callable[[int], None] | None = None) -> Iterator[Outcome]:
    """Scan ``datasets[i]`` for each index, yielding outcomes as they finish.

    With one worker (or where fork is unavailable) everything runs here, in
    order. A full pass over fewer datasets than workers splits each dataset
    into units across the workers (datasets then finish in input order).
    ``started`` is told when a dataset begins (progress display).
    """
    if not indices:
        return
    if forkable() and options.full and 1 < workers and len(indices) < workers:
        yield from _scan_by_units(datasets, indices, options, workers, started)
        return
    workers = max(1, min(workers, len(indices)))
    if workers == 1 or not forkable():
        for i in indices:
            if started:
                started(i)
            yield _run_here(datasets, options, i)
        return
    yield from _scan_by_datasets(datasets, indices, options, workers, started)


def _scan_by_datasets(datasets: list[Dataset], indices: list[int], options: ScanOptions, workers: int,
                      started: Callable[[int], None] | None) -> Iterator[Outcome]:
    """One dataset per task; each worker scans its dataset's units one after the other."""
    global _DATASETS, _OPTIONS
    _DATASETS, _OPTIONS = datasets, options
    try:
        with _pool(workers) as pool:
            queue = list(indices)
            running: dict[Future[Outcome], int] = {}
            while queue or running:
                while queue and len(running) < workers:
                    i = queue.pop(0)
                    if started:
                        started(i)
                    running[pool.submit(_scan_one, i)] = i
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    running.pop(future)
                    yield future.result()
    finally:
        _DATASETS, _OPTIONS = [], None


def _scan_by_units(datasets: list[Dataset], indices: list[int], options: ScanOptions, workers: int,
                   started: Callable[[int], None] | None) -> Iterator[Outcome]:
    """Datasets one at a time here, their units profiled by one pool shared by all of them."""
    with unit_pool(workers) as units:
        for i in indices:
            if started:
                started(i)
            yield _run_here(datasets, options, i, units.map)


def _pool(workers: int) -> ProcessPoolExecutor:
    """A forked pool whose workers leave interrupts to the main process (``_worker_signals``)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_signals)


def _worker_signals() -> None:
    """Workers ignore Ctrl-C and die plainly on SIGTERM.

    A terminal sends SIGINT to the whole process group: without this each
    worker prints its own KeyboardInterrupt traceback while the main process
    unwinds, prints one line and exits 130. The main process's SIGTERM
    handler (unwind and release the history lock) is for it alone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def forkable() -> bool:
    """Whether worker processes can be forked (they inherit the datasets; not on Windows or macOS spawn)."""
    return "fork" in multiprocessing.get_all_start_methods()


@contextmanager
def unit_pool(workers: int) -> Iterator[UnitPool]:
    """A forked pool of ``workers`` processes for profiling units, shut down on exit.

    Detection's one-time loads happen here first (``warm_up``), so the
    workers fork with them and share the pages instead of each loading its own;
    ``gc.freeze`` keeps the workers' garbage collections off those pages.
    """
    warm_up()
    gc.freeze()
    try:
        with _pool(workers) as pool:
            yield UnitPool(pool, workers)
    finally:
        gc.unfreeze()


class UnitPool:
    """A UnitMapper backed by a process pool: units go out as read, states come back in unit order."""

    def __init__(self, pool: ProcessPoolExecutor, workers: int) -> None:
        self.pool = pool
        self.workers = workers

    def map(self, units: Iterable[Unit], comments: dict[str, str]) -> Iterator[UnitStates]:
        """Profile units in the pool, at most ``workers + 1`` in flight (memory stays bounded).

        A unit is read only once a slot is free, so a fast reader does not
        pile a whole file up in the queue. If reading fails (a SourceError
        mid-stream) the units not yet started are cancelled and the error
        goes to the caller; units already running finish and are dropped.
        """
        in_flight: deque[Future[UnitStates]] = deque()
        try:
            for unit in units:
                in_flight.append(self.pool.submit(unit_states, unit, comments))
                if len(in_flight) > self.workers:
                    yield in_flight.popleft().result()
            while in_flight:
                yield in_flight.popleft().result()
        finally:
            for future in in_flight:
                future.cancel()


def _run_here(datasets: list[Dataset], options: ScanOptions, i: int, map_units: UnitMapper | None = None) -> Outcome:
    """Scan one dataset in this process; its units in a pool when ``map_units`` is given."""
    ds = datasets[i]
    result = scan_dataset(ds, options) if map_units is None else scan_dataset(ds, options, map_units)
    return Outcome(i, result)


def default_workers() -> int:
    """One worker per available core."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
