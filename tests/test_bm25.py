"""The vectorised BM25 build against a plain reference implementation."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from index.lexical import BM25_B, BM25_K1, FieldBM25


def reference(rows_tokens, k1=BM25_K1, b=BM25_B):
    """Lucene BM25 posting weights computed term by term, row by row."""
    n = len(rows_tokens)
    lengths = [len(t) for t in rows_tokens]
    avg = sum(lengths) / n if n and sum(lengths) else 1.0
    postings: dict[str, list[tuple[int, int]]] = {}
    for row, tokens in enumerate(rows_tokens):
        counts: dict[str, int] = {}
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
        for token, tf in counts.items():
            postings.setdefault(token, []).append((row, tf))
    out = {}
    for term in sorted(postings):
        df = len(postings[term])
        idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        out[term] = [(row, idf * tf / (tf + k1 * (1 - b + b * lengths[row] / avg))) for row, tf in postings[term]]
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_build_matches_the_reference(seed):
    rng = random.Random(seed)
    words = ["婴儿", "死亡率", "儿童", "托育", "近视率", "入园率", "95%", "2025"]
    rows = [[rng.choice(words) for _ in range(rng.randint(0, 12))] for _ in range(300)]
    rows[5] = []  # empty rows keep their row number
    index = FieldBM25.build(rows)
    expected = reference(rows)
    assert list(index.vocab) == list(expected)
    for term, i in index.vocab.items():
        got_rows = index.rows[index.indptr[i] : index.indptr[i + 1]].tolist()
        got_weights = index.weights[index.indptr[i] : index.indptr[i + 1]]
        assert got_rows == [r for r, _ in expected[term]]
        assert np.allclose(got_weights, [w for _, w in expected[term]], rtol=1e-6)
    assert index.n_rows == 300


def test_all_empty_and_no_rows():
    empty = FieldBM25.build([[], [], []])
    assert empty.vocab == {} and empty.n_rows == 3 and empty.rows.size == 0
    assert np.array_equal(empty.scores(["儿童"]), np.zeros(3, dtype=np.float32))
    none = FieldBM25.build([])
    assert none.n_rows == 0 and none.indptr.tolist() == [0]
