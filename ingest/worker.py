"""Parse untrusted files in worker processes, with limits.

Every file of an ingest is parsed in a parser process, never in the caller
(which may be the multi-threaded server): a file that makes the parser slow,
hungry or crash costs that process, not the service.  For each file:

- the limits of :mod:`ingest.limits` that readers check (size before reading,
  .docx package size and ratio, PDF pages) are in force in the process;
- the process's address space may grow by at most ``parse_memory_mb`` over
  what it holds when it starts (``resource.setrlimit(RLIMIT_AS)``, where the
  platform has it): past that, allocations fail and the file is reported;
- a file that takes longer than ``parse_timeout`` seconds has its process
  killed and replaced, and is reported;
- a file that gives more than ``max_clauses`` clauses or ``max_text_chars``
  characters of clause text is reported (it would otherwise cost an
  embedding per clause and per few hundred characters);
- any other failure, a crash of the process included, is reported too.

A reported file is ``(None, reason)`` in the results, the reason naming the
file, what went wrong and the setting to change; the rest of the batch goes
on.  Processes are started with ``forkserver`` (``spawn`` where there is no
fork server), never forked from the caller, and are reused from file to file:
a pool of them, one per core.  The fork server imports :mod:`ingest.preload`,
so every parser process starts with the gazetteer loaded.

Public API::

    parse_isolated(files, catalog, limits, workers=None) -> [(docs | None, reason | None)]
    parse_one(path, base, catalog) -> (docs | None, reason | None)   # here, in this process
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ingest import limits as file_limits
from ingest.limits import FileLimits
from ingest.model import ParsedDocument
from ingest.readers import ReadError

log = logging.getLogger(__name__)

ParseResult = tuple[list[ParsedDocument] | None, str | None]
Catalog = dict[str, list[dict[str, Any]]]
Parser = Callable[[Path, Path, "Catalog | None"], ParseResult]

NO_CLAUSES = "no clauses: the file holds no text beyond its title and front matter (history, issuer, date)"


def parse_one(path: Path, base: Path, catalog: Catalog | None) -> ParseResult:
    """Parse one file in this process under the limits in force
    (:func:`ingest.limits.current`): its documents, or None and the reason
    it could not be parsed.  Never raises for a file's sake."""
    from ingest.parse import parse_file

    try:
        docs = parse_file(path, catalog, base_dir=base)
    except ReadError as exc:
        return None, str(exc)
    except MemoryError:
        return None, _memory_reason(path, file_limits.current())
    except (UnicodeError, ValueError, OSError) as exc:
        return None, str(exc)
    except RecursionError:
        return None, f"cannot parse {path}: its structure is nested too deep for the parser"
    except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not sink the batch
        log.warning("parsing %s failed", path, exc_info=True)
        return None, f"cannot parse {path}: the parser failed ({type(exc).__name__}: {exc})"
    # each clause, and each few hundred characters of one, costs an embedding
    limit = file_limits.current()
    clauses = sum(len(d.clauses) for d in docs)
    if clauses > limit.max_clauses:
        return None, (
            f"cannot ingest {path}: the file gives {clauses:,} clauses, over the limit of "
            f"{limit.max_clauses:,} (limit: setting max_clauses)"
        )
    chars = sum(len(c.text) for d in docs for c in d.clauses)
    if chars > limit.max_text_chars:
        return None, (
            f"cannot ingest {path}: the file gives {chars:,} characters of text, over the limit of "
            f"{limit.max_text_chars:,} (limit: setting max_text_chars)"
        )
    return docs, None


def _memory_reason(path: Path, limits: FileLimits) -> str:
    return (
        f"cannot parse {path}: it needs more memory than one file may take "
        f"({limits.parse_memory_mb:,} MB; limit: setting parse_memory_mb)"
    )


# --------------------------------------------------------------------------- the parser process

_READY = "ready"  # a parser process's first message: set up, waiting for files


def _address_space() -> int | None:
    """Bytes of address space this process holds now (Linux), else None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(megabytes: int) -> None:
    """Let this process's address space grow by at most ``megabytes``."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on this platform
        return
    base = _address_space()
    if base is None:  # pragma: no cover - no /proc: leave it to the time limit
        return
    limit = base + megabytes * file_limits.MB
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):  # pragma: no cover
        log.warning("could not limit the parser process's memory")


def _serve(conn: Connection, catalog: Catalog | None, limits: FileLimits, parse: Parser) -> None:
    """(In the parser process) parse the files sent on ``conn`` one by one
    with ``parse``, sending back each result, until told to stop (None) or
    the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller stops us; Ctrl-C is for it
    _limit_memory(limits.parse_memory_mb)
    conn.send(_READY)
    with file_limits.applied(limits):
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                return
            if job is None:
                return
            path, base = job
            try:
                result = parse(path, base, catalog)
            except MemoryError:
                result = None, _memory_reason(path, limits)
            except Exception as exc:  # noqa: BLE001 - reported by name, the process goes on
                result = None, f"cannot parse {path}: the parser failed ({type(exc).__name__}: {exc})"
            try:
                conn.send(result)
            except MemoryError:
                conn.send((None, f"cannot parse {path}: its documents are too big to hand back (limit: setting parse_memory_mb)"))


# --------------------------------------------------------------------------- the pool


def _context() -> Any:
    """The fork server (workers start warm and without the caller's threads),
    else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["ingest.preload"])  # used when the server starts
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


@dataclass
class _Worker:
    process: Any
    conn: Connection
    ready: bool = False  # it said it is set up
    # the files sent to it, in order: the first is being parsed (since
    # ``started``), the next one waits in the pipe so that the process never
    # waits for us between files
    jobs: deque[int] = field(default_factory=deque)
    started: float = 0.0

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


def _start(context: Any, catalog: Catalog | None, limits: FileLimits, parse: Parser) -> _Worker:
    ours, theirs = context.Pipe(duplex=True)
    process = context.Process(
        target=_serve, args=(theirs, catalog, limits, parse), name="policy-search-parser", daemon=True
    )
    process.start()
    theirs.close()
    return _Worker(process, ours)


def _died(process: Any) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class ParserStartError(RuntimeError):
    """A parser process could not start (before it was given any file)."""


_IN_FLIGHT = 2  # files sent to one process at a time


def parse_isolated(
    files: Sequence[tuple[Path, Path]],
    catalog: Catalog | None,
    limits: FileLimits | None = None,
    workers: int | None = None,
    parse: Parser = parse_one,
) -> list[ParseResult]:
    """Parse (path, base folder) pairs in parser processes under ``limits``
    (default: :func:`ingest.limits.current`), ``workers`` at a time (default:
    one per core); results in input order (see the module docstring).
    ``parse`` is what each process runs on a file (a module-level function,
    which is imported there).  :class:`ParserStartError` when a process
    dies before it is set up (a script that starts an ingest without the
    ``if __name__ == "__main__":`` guard re-runs itself there)."""
    if not files:
        return []
    limits = limits or file_limits.current()
    count = len(files)
    workers = max(1, min(workers or os.cpu_count() or 1, count))
    context = _context()
    results: list[ParseResult | None] = [None] * count
    queue = deque(range(count))
    pool: list[_Worker] = []

    def replace(k: int, reason: str | None) -> None:
        """pool[k]'s process is gone or must go: the file it was parsing
        failed for ``reason`` (None: it had none), the files queued behind
        it go back to the queue, and a new process takes its place."""
        worker = pool[k]
        if reason is not None and worker.jobs:
            job = worker.jobs.popleft()
            results[job] = (None, f"cannot parse {files[job][0]}: {reason}")
        queue.extendleft(reversed(worker.jobs))
        worker.jobs.clear()
        worker.stop()
        pool[k] = _start(context, catalog, limits, parse)

    try:
        pool = [_start(context, catalog, limits, parse) for _ in range(workers)]
        while queue or any(w.jobs for w in pool):
            for worker in pool:
                while queue and len(worker.jobs) < _IN_FLIGHT:
                    job = queue.popleft()
                    try:
                        worker.conn.send(files[job])
                    except OSError:  # the process is gone: seen to below
                        queue.appendleft(job)
                        break
                    if not worker.jobs:
                        worker.started = time.monotonic()
                    worker.jobs.append(job)
            clocks = [w.started for w in pool if w.jobs]
            timeout = (min(clocks) + limits.parse_timeout - time.monotonic()) if clocks else limits.parse_timeout
            wait([w.conn for w in pool] + [w.process.sentinel for w in pool], max(0.0, timeout))
            retired: set[int] = set()
            for k, worker in enumerate(pool):
                gone = False
                while worker.conn.poll():
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        gone = True
                        break
                    if message == _READY:
                        worker.ready = True
                        worker.started = time.monotonic()  # the first file's clock starts now
                    elif worker.jobs:
                        results[worker.jobs.popleft()] = message
                        worker.started = time.monotonic()
                if gone or not worker.process.is_alive():
                    worker.process.join(1)
                    if not worker.ready:
                        raise ParserStartError(
                            f"a parser process could not start ({_died(worker.process)}); a script that "
                            'ingests must start it under `if __name__ == "__main__":`'
                        )
                    if worker.jobs or queue:
                        replace(k, f"the parser process stopped ({_died(worker.process)})")
                    else:
                        worker.stop()
                        retired.add(k)
                elif worker.jobs and time.monotonic() - worker.started >= limits.parse_timeout:
                    replace(k, f"took longer than {limits.parse_timeout:g} s (limit: setting parse_timeout)")
            pool = [w for k, w in enumerate(pool) if k not in retired]
    finally:
        for worker in pool:
            if worker.process.is_alive():
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
        for worker in pool:
            worker.process.join(2)
            worker.stop()
    return [r if r is not None else (None, f"cannot parse {files[i][0]}: no result") for i, r in enumerate(results)]


__all__ = ["NO_CLAUSES", "ParseResult", "ParserStartError", "parse_isolated", "parse_one"]
