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


# --- top-k without scoring every row (MaxScore) --------------------------------------


def _random_index(seed: int, n: int = 3_000):
    from index.lexical import FIELDS, LexicalIndex

    rng = random.Random(seed)
    words = [f"w{i}" for i in range(200)]

    def word() -> str:  # Zipf-like: a few words in most rows, most words in few
        return words[min(int(rng.paretovariate(1.1)) - 1, len(words) - 1)]

    per_field = {
        f: [[word() for _ in range(rng.randint(0, 12 if f == "text" else 3))] for _ in range(n)] for f in FIELDS
    }
    return LexicalIndex.from_tokens(per_field), word, rng


WEIGHTS = {"text": 1.0, "section": 0.35, "indicator": 0.6, "title": 0.15}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_top_k_is_the_exhaustive_top_k(seed):
    """MaxScore skips postings but never a row of the k best: the same rows
    in the same order as scoring every row (in float64), with and without a
    row restriction, for k from 1 to more rows than match."""
    index, word, rng = _random_index(seed)
    n = index.n_rows
    for trial in range(60):
        tokens = [word() for _ in range(rng.randint(1, 7))]
        k = rng.choice([1, 5, 10, 100, 1000, 5000])
        allowed = None
        if trial % 3 == 0:
            allowed = np.array(sorted(rng.sample(range(n), rng.randint(1, n))), dtype=np.int64)
        exact = np.zeros(n)
        for field_name, weight in WEIGHTS.items():
            for token in set(tokens):
                found = index._fields[field_name].postings(token)
                if found is not None:
                    exact[found[0]] += float(np.float32(weight)) * tokens.count(token) * found[1].astype(np.float64)
        rows = np.arange(n) if allowed is None else allowed
        rows = rows[exact[rows] > 0]
        expected = rows[np.lexsort((rows, -exact[rows]))][:k]
        got = index.top_k(tokens, k, WEIGHTS, allowed)
        assert [r for r, _ in got] == expected.tolist(), (trial, tokens, k)
        assert np.allclose([s for _, s in got], exact[expected])
        # and the float32 scores agree with the whole-corpus scores
        assert np.allclose(index.scores(tokens, WEIGHTS)[expected], exact[expected], rtol=1e-5)


def test_scores_rows_are_the_same_float32_values():
    index, word, rng = _random_index(7)
    for _ in range(30):
        tokens = [word() for _ in range(rng.randint(1, 6))]
        rows = np.array(sorted(rng.sample(range(index.n_rows), rng.randint(1, 2_000))), dtype=np.int64)
        assert np.array_equal(index.scores_rows(tokens, rows, WEIGHTS), index.scores(tokens, WEIGHTS)[rows])
    assert index.top_k([], 10, WEIGHTS) == [] and index.top_k(["absent"], 10, WEIGHTS) == []


def test_saved_fields_are_memory_mapped_and_format_1_still_loads(tmp_path):
    from index.lexical import FIELDS, LexicalIndex

    index, word, rng = _random_index(3, n=500)
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex", expected_rows=500)
    assert all(isinstance(loaded._fields[f].rows.base, np.memmap) for f in FIELDS)  # views of the mapped files
    tokens = [word() for _ in range(5)]
    assert np.array_equal(loaded.scores(tokens, WEIGHTS), index.scores(tokens, WEIGHTS))
    assert loaded.top_k(tokens, 20, WEIGHTS) == index.top_k(tokens, 20, WEIGHTS)
    # a field written as format 1 (one .npz) is read into memory
    old = tmp_path / "old"
    old.mkdir()
    for f in FIELDS:
        field_index = index._fields[f]
        np.savez(old / f"{f}.npz", indptr=field_index.indptr, rows=field_index.rows,
                 weights=field_index.weights, n_rows=np.array([500]))
        (old / f"{f}.vocab.json").write_text((tmp_path / "lex" / f"{f}.vocab.json").read_text(encoding="utf-8"), encoding="utf-8")
    (old / "meta.json").write_text('{"n_rows": 500}', encoding="utf-8")
    legacy = LexicalIndex.load(old, expected_rows=500)
    assert legacy.top_k(tokens, 20, WEIGHTS) == index.top_k(tokens, 20, WEIGHTS)
    assert np.array_equal(legacy._fields["text"].max_weight, index._fields["text"].max_weight)
