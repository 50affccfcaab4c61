"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import socket
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def pct(values: list[float], p: float) -> float:
    """The p-quantile (0..1) of values, linearly interpolated; nan when empty."""
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


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
