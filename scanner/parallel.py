"""Scanning many datasets at once with ``--workers N`` processes.

Datasets are cheap descriptions (a path, a URL) with reader closures, which
cannot be pickled; so workers are forked after discovery and inherit the
dataset list, receive only an index, and send back the finished findings
(plain JSON). Python work (validators, Presidio, jieba) holds the GIL, so
processes, not threads, are what use a second core.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from scanner.connectors.base import Dataset
from scanner.pipeline import ScanOptions, scan_dataset

Outcome = tuple[int, dict[str, Any], list[str]]  # (index, dataset json, error lines)

_DATASETS: list[Dataset] = []
_OPTIONS: ScanOptions | None = None


def _scan_one(index: int) -> Outcome:
    result = scan_dataset(_DATASETS[index], _OPTIONS or ScanOptions())
    return index, result.to_json(), list(result.errors)


def scan_many(datasets: list[Dataset], indices: list[int], options: ScanOptions, workers: int = 1,
              started: Callable[[int], None] | None = None) -> Iterator[Outcome]:
    """Scan ``datasets[i]`` for each index, yielding outcomes as they finish.

    With one worker (or where fork is unavailable) everything runs here, in
    order. ``started`` is told when a dataset begins (progress display).
    """
    global _DATASETS, _OPTIONS
    workers = max(1, min(workers, len(indices)))
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        for i in indices:
            if started:
                started(i)
            yield _run_here(datasets, options, i)
        return
    _DATASETS, _OPTIONS = datasets, options
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            queue = list(indices)
            running = {}
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


def _run_here(datasets: list[Dataset], options: ScanOptions, i: int) -> Outcome:
    result = scan_dataset(datasets[i], options)
    return i, result.to_json(), list(result.errors)


def default_workers() -> int:
    """One worker per available core."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
