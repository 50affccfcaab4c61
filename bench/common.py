"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[1]

# Benchmarks drive the app in process (Host "testserver", client "testclient")
# and from loopback; they measure the service, not the per-client rate limit.
os.environ.setdefault("POLICY_SEARCH_ALLOWED_HOSTS", "localhost,127.0.0.1,::1,testserver")
os.environ.setdefault("POLICY_SEARCH_RATE_LIMIT_EXEMPT", "127.0.0.1,::1,testclient")


def pct(values: list[float], p: float) -> float:
    """The p-quantile (0..1) of values, linearly interpolated; nan when empty."""
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def progress(items: Iterable[T], desc: str, **kwargs: Any) -> Iterator[T]:
    """``items`` with a tqdm progress bar on stderr (none when stderr is not a
    terminal, so logs and captured output stay clean)."""
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, leave=False, disable=not sys.stderr.isatty(), **kwargs)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dev_queries() -> list[str]:
    """The dev set's queries (tests/data/dev.jsonl)."""
    out = []
    with open(REPO / "tests" / "data" / "dev.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line)["query"])
    return out


def sentence_passages() -> bool:
    """The setting ``sentence_passages`` (POLICY_SEARCH_SENTENCE_PASSAGES): whether
    sentences are passages too, as the index builds them; the benchmarks follow it."""
    from policy_search import settings

    return settings.get_bool("sentence_passages")
