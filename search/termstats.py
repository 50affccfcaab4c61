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

import itertools
import math
import operator
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

EXACT_MAX = 5_000  # a term costs ~3 ms at most; the six plans have 1,094 clauses
CACHE_MAX = 65_536


class SubstringDF:
    """How many of ``texts`` contain a term (exact up to ``exact_max`` texts,
    estimated from a fixed random sample above), with an IDF on top. Only the
    sampled texts are read: ``texts`` may be a sequence that fetches on
    demand (with a ``take(rows)`` method to fetch many at once)."""

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
            # a sequence read on demand (a lazy clause store) reads the sample at once
            take = getattr(texts, "take", None)
            self._sample = list(take(rows)) if take is not None else [texts[i] for i in rows]
        self.exact = len(self._sample) == self.n
        self._scale = self.n / len(self._sample) if self._sample else 1.0
        self._cache: dict[str, float] = {}
        self._lock = threading.Lock()

    def df(self, term: str) -> float:
        """Clauses containing ``term``: a count when exact, else an estimate."""
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        count = sum(map(operator.contains, self._sample, itertools.repeat(term)))  # `term in text`, looped in C
        value = float(count) if self.exact else count * self._scale
        with self._lock:
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[term] = value
        return value

    def idf(self, term: str) -> float:
        """log(1 + (N + 1) / (df + 1)): 0.69 for a word in every clause, large for a rare one."""
        return math.log(1 + (self.n + 1) / (self.df(term) + 1))


class MappedTexts(Sequence[str]):
    """``transform(item)`` of each item of ``items`` (e.g. the folded text of
    each clause of a store read on demand), computed when read; ``take``
    reads many at once where ``items`` can."""

    def __init__(self, items: Sequence[Any], transform: Callable[[Any], str]) -> None:
        self._items, self._transform = items, transform

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return self.take(range(*index.indices(len(self))))
        return self._transform(self._items[index])

    def __iter__(self) -> Iterator[str]:
        return (self._transform(item) for item in self._items)

    def take(self, rows: Sequence[int]) -> list[str]:
        take = getattr(self._items, "take", None)
        items = take(rows) if take is not None else [self._items[i] for i in rows]
        return [self._transform(item) for item in items]
