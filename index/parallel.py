"""CPU-bound work over many items, spread over the machine's cores.

Index builds tokenise every clause and extract every clause's targets: pure
Python, so threads do not help. Above a size where a pool pays for itself the
items go to forked worker processes in chunks (forked, so workers inherit what
the parent has loaded, such as jieba's dictionary; the callers are the CLI and
the build lock holder, and the function must not rely on other threads' locks).
Parsing files at ingest does not use this pool: untrusted files are parsed in
parser processes with limits, started by a fork server (``ingest.worker``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 1_000


def _run_chunk(job: tuple[Callable[[T], R], Sequence[T]]) -> list[R]:
    fn, items = job
    return [fn(item) for item in items]


def map_in_processes(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    min_items: int,
    workers: int | None = None,
    chunk: int = CHUNK,
) -> list[R]:
    """``[fn(item) for item in items]``, in order: in a pool of forked
    processes (one per core unless ``workers``), ``chunk`` items per task,
    from ``min_items`` items up; here below that. ``fn`` must be a
    module-level function (it is pickled by reference)."""
    items = list(items)
    workers = workers or os.cpu_count() or 1
    if len(items) < min_items or workers < 2:
        return [fn(item) for item in items]
    chunk = max(1, chunk)
    jobs = [(fn, items[i : i + chunk]) for i in range(0, len(items), chunk)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return [result for chunk in pool.map(_run_chunk, jobs) for result in chunk]
