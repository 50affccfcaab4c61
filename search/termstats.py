"""Document frequency of query terms as substrings of clause texts.

The reranker and the answerer weight a question's words by how rare they are
among the clauses ("婴儿死亡率" counts for more than "提高"). Query words are
jieba words of the question, matched as substrings of the clause text, so the
frequency is a substring count, not a lookup in the BM25 postings (jieba cuts
the same characters differently in different contexts).

Counting a term means one ``in`` test per clause: nothing at the six plans'
thousand clauses, but a linear scan per new term at a national corpus. Up to
``EXACT_MAX`` clauses the count is exact; above it, it is estimated from an
evenly spaced sample of ``EXACT_MAX`` clauses and scaled up, so a term costs
the same few milliseconds at any corpus size. Only the weights of question
words depend on it, and those need the order of magnitude, not the exact count.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Sequence

EXACT_MAX = 5_000  # a term costs ~3 ms at most; the six plans have 1,094 clauses
CACHE_MAX = 65_536


class SubstringDF:
    """How many of ``texts`` contain a term (exact up to ``exact_max`` texts,
    estimated from a fixed random sample above), with an IDF on top."""

    def __init__(self, texts: Sequence[str], exact_max: int = EXACT_MAX):
        if exact_max < 1:
            raise ValueError(f"exact_max must be at least 1, got {exact_max}")
        self.n = len(texts)
        if self.n <= exact_max:
            self._sample = list(texts)
        else:
            # a seeded random sample: evenly spaced rows would alias with
            # periodic corpora (the same plans repeated per region)
            rows = sorted(random.Random(0).sample(range(self.n), exact_max))
            self._sample = [texts[i] for i in rows]
        self.exact = len(self._sample) == self.n
        self._scale = self.n / len(self._sample) if self._sample else 1.0
        self._cache: dict[str, float] = {}
        self._lock = threading.Lock()

    def df(self, term: str) -> float:
        """Clauses containing ``term``: a count when exact, else an estimate."""
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        count = sum(1 for text in self._sample if term in text)
        value = float(count) if self.exact else count * self._scale
        with self._lock:
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[term] = value
        return value

    def idf(self, term: str) -> float:
        """log(1 + (N + 1) / (df + 1)): 0.69 for a word in every clause, large for a rare one."""
        return math.log(1 + (self.n + 1) / (self.df(term) + 1))
