"""The lexical side: jieba tokenisation over folded text and a BM25 index (numpy) with
separate fields (clause text, section path, indicator, title), each scored on
its own and combined with per-query field weights.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.model import Clause, Document

from .errors import IndexCorruptError, IndexNotFoundError
from .parallel import map_in_processes
from .textnorm import fold

USERDICT_PATH = Path(__file__).resolve().parent / "data" / "userdict.txt"
TOKENIZER_VERSION = 1  # bump when tokenize() changes; recorded in the index
BM25_K1 = 1.2
BM25_B = 0.75

FIELDS: tuple[str, ...] = ("text", "section", "indicator", "title")
DEFAULT_FIELD_WEIGHTS: dict[str, float] = {
    "text": 1.0,
    "section": 0.4,
    "indicator": 0.8,
    "title": 0.2,
}

STOPWORDS: frozenset[str] = frozenset(
    "的 和 与 等 了 在 是 要 有 及 以 对 为 并 将 其 或 把 被 从 由 于 之 而 也 就 都 "
    "着 个 这 那 各 该 所 地 得 啊 吗 呢 吧 哪些 什么 怎么 如何 多少 哪里 关于 "
    "我 我们 你 你们 他 他们 请问".split()
)

_jieba_lock = threading.Lock()
_tokenizer = None


def _jieba_tokenizer():  # type: ignore[no-untyped-def]
    """The one jieba tokenizer of the process, with the policy user dictionary,
    initialised on first use (silently)."""
    global _tokenizer
    if _tokenizer is None:
        with _jieba_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                if USERDICT_PATH.exists():
                    tokenizer.load_userdict(str(USERDICT_PATH))
                _tokenizer = tokenizer
    return _tokenizer


def _is_meaningful(token: str) -> bool:
    if not token or token.isspace() or token in STOPWORDS:
        return False
    # drop tokens made only of punctuation, symbols and spaces (keep ‰, % glued
    # to a number: jieba returns "95%" as one token)
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def tokenize(text: str) -> list[str]:
    """Tokens for BM25: jieba search-mode cut of ``fold(text)``.

    Search mode returns a long word and its dictionary sub-words
    ("婴儿死亡率", "死亡率", "死亡", "婴儿"), which helps recall when queries and
    plans word an indicator differently. Policy terms from the user dictionary
    stay whole ("毛入园率"). Punctuation, whitespace and stopwords are dropped.
    """
    if not text:
        return []
    folded = fold(text)
    tokenizer = _jieba_tokenizer()
    return [tok for tok in tokenizer.cut_for_search(folded) if _is_meaningful(tok)]


PARALLEL_MIN_TEXTS = 20_000  # below this a process pool costs more than it saves


def tokenize_many(texts: Sequence[str], workers: int | None = None) -> list[list[str]]:
    """``tokenize`` of every text, in order: across processes (one per core)
    from PARALLEL_MIN_TEXTS texts up, here below."""
    if len(texts) >= PARALLEL_MIN_TEXTS:
        _jieba_tokenizer()  # loaded once here (~1.5 s), inherited by the forked workers
    tokenized = map_in_processes(tokenize, texts, min_items=PARALLEL_MIN_TEXTS, workers=workers)
    # one object per distinct token, not per occurrence (tens of millions at scale)
    return [[sys.intern(token) for token in tokens] for tokens in tokenized]


def clause_fields(clause: Clause, document: Document | None) -> dict[str, str]:
    """The text of each lexical field for one clause."""
    title = ""
    if document is not None:
        title = f"{document.title} {document.jurisdiction_name or ''}".strip()
    return {
        "text": clause.text,
        "section": " ".join(clause.section_path),
        "indicator": clause.fields.get("indicator", ""),
        "title": title,
    }


def top_k(scores: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The ``k`` best (row, score) with score > 0, ordered by (-score, row).

    ``rows`` restricts the candidates (row numbers into ``scores``).
    """
    if k <= 0:
        return []
    candidates = np.arange(scores.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)
    if candidates.size == 0:
        return []
    candidate_scores = scores[candidates]
    positive = candidate_scores > 0
    candidates, candidate_scores = candidates[positive], candidate_scores[positive]
    if candidates.size > k:
        # keep every row tied with the k-th score so the tie-break is exact
        kth = np.partition(candidate_scores, candidates.size - k)[candidates.size - k]
        keep = candidate_scores >= kth
        candidates, candidate_scores = candidates[keep], candidate_scores[keep]
    order = np.lexsort((candidates, -candidate_scores))[:k]
    return [(int(candidates[i]), float(candidate_scores[i])) for i in order]


@dataclass
class FieldBM25:
    """BM25 (Lucene variant) for one field, as posting lists of precomputed
    per-(term, row) weights: scoring a query is a few vectorised adds.

    bm25s was tried first; it fails on fields where every row is empty (most
    clauses have no indicator), so this small implementation is used instead.
    """

    vocab: dict[str, int]
    indptr: np.ndarray  # int64, len(vocab) + 1
    rows: np.ndarray  # int32, row of each posting
    weights: np.ndarray  # float32, BM25 weight of each posting
    n_rows: int

    @classmethod
    def build(
        cls, rows_tokens: Sequence[Sequence[str]], k1: float = BM25_K1, b: float = BM25_B
    ) -> FieldBM25:
        n_rows = len(rows_tokens)
        lengths = np.fromiter((len(t) for t in rows_tokens), dtype=np.int64, count=n_rows)
        total = int(lengths.sum())
        avg_len = total / n_rows if n_rows and total > 0 else 1.0
        # every token occurrence as (term id in first-seen order, row): flat
        # int arrays, not per-posting Python objects (a million clauses have
        # tens of millions of occurrences)
        first_seen: dict[str, int] = {}
        term_ids = np.fromiter(
            (first_seen.setdefault(token, len(first_seen)) for tokens in rows_tokens for token in tokens),
            dtype=np.int64, count=total,
        )
        occurrence_rows = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
        # vocabulary in sorted term order, as the posting lists are
        terms = sorted(first_seen)
        vocab = {term: i for i, term in enumerate(terms)}
        rank = np.empty(len(first_seen), dtype=np.int64)
        rank[np.fromiter((first_seen[t] for t in terms), dtype=np.int64, count=len(terms))] = np.arange(len(terms))
        keys = rank[term_ids] * max(n_rows, 1) + occurrence_rows  # sorted: by term, then row
        del term_ids, occurrence_rows
        pairs, tf = np.unique(keys, return_counts=True)
        del keys
        posting_terms, posting_rows = np.divmod(pairs, max(n_rows, 1))
        df = np.bincount(posting_terms, minlength=len(vocab))
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        idf = np.log(1.0 + (n_rows - df + 0.5) / (df + 0.5))
        norm = k1 * (1.0 - b + b * lengths[posting_rows] / avg_len)
        weights = idf[posting_terms] * tf / (tf + norm)
        return cls(
            vocab=vocab,
            indptr=indptr,
            rows=posting_rows.astype(np.int32),
            weights=weights.astype(np.float32),
            n_rows=n_rows,
        )

    def scores(self, tokens: Iterable[str]) -> np.ndarray:
        """BM25 score of every row (float32, length n_rows); unknown tokens add nothing."""
        out = np.zeros(self.n_rows, dtype=np.float32)
        for token in tokens:
            i = self.vocab.get(token)
            if i is None:
                continue
            start, end = self.indptr[i], self.indptr[i + 1]
            out[self.rows[start:end]] += self.weights[start:end]  # rows unique per term
        return out

    def save(self, path: Path) -> None:
        """Write ``<path>.npz`` (postings) and ``<path>.vocab.json``."""
        np.savez(
            path.with_suffix(".npz"),
            indptr=self.indptr,
            rows=self.rows,
            weights=self.weights,
            n_rows=np.array([self.n_rows]),
        )
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        path.with_suffix(".vocab.json").write_text(
            json.dumps(terms, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, path: Path) -> FieldBM25:
        npz_path, vocab_path = path.with_suffix(".npz"), path.with_suffix(".vocab.json")
        if not npz_path.exists() or not vocab_path.exists():
            raise IndexNotFoundError(
                f"lexical field file missing: {npz_path}; rebuild with `policy-search ingest`"
            )
        with np.load(npz_path, allow_pickle=False) as data:
            indptr, rows, weights = data["indptr"], data["rows"], data["weights"]
            n_rows = int(data["n_rows"][0])
        terms = json.loads(vocab_path.read_text(encoding="utf-8"))
        if (
            len(indptr) != len(terms) + 1
            or len(rows) != len(weights)
            or (len(indptr) and int(indptr[-1]) != len(rows))
        ):
            raise IndexCorruptError(f"lexical field {npz_path} is inconsistent")
        if rows.size and int(rows.max()) >= n_rows:
            raise IndexCorruptError(f"lexical field {npz_path} refers to rows beyond {n_rows}")
        return cls({t: i for i, t in enumerate(terms)}, indptr, rows, weights, n_rows)


class LexicalIndex:
    """BM25 per field over clause rows; a query's score is the weighted sum."""

    def __init__(self, fields: Mapping[str, FieldBM25], n_rows: int) -> None:
        missing = [f for f in FIELDS if f not in fields]
        if missing:
            raise ValueError(f"lexical index lacks fields {missing}")
        for name, field_index in fields.items():
            if field_index.n_rows != n_rows:
                raise IndexCorruptError(
                    f"lexical field {name!r} has {field_index.n_rows} rows, expected {n_rows}"
                )
        self._fields = dict(fields)
        self.n_rows = n_rows

    @classmethod
    def build(cls, clauses: Sequence[Clause], documents: Mapping[str, Document]) -> LexicalIndex:
        """Index ``clauses`` (their list order defines the row numbers).

        Each distinct field value is tokenised once (section paths and titles
        repeat across clauses), across processes for large corpora."""
        rows: list[dict[str, str]] = [clause_fields(c, documents.get(c.doc_id)) for c in clauses]
        unique: dict[str, int] = {}
        for values in rows:
            for field_name in FIELDS:
                unique.setdefault(values[field_name], len(unique))
        tokens = tokenize_many(list(unique))
        per_field: dict[str, list[list[str]]] = {
            f: [tokens[unique[values[f]]] for values in rows] for f in FIELDS
        }
        return cls.from_tokens(per_field)

    @classmethod
    def from_tokens(cls, per_field: Mapping[str, Sequence[Sequence[str]]]) -> LexicalIndex:
        """Index pre-tokenised fields: {field: [tokens of row 0, row 1, …]}."""
        lengths = {len(rows) for rows in per_field.values()}
        if len(lengths) != 1:
            raise ValueError(f"fields have different row counts: {sorted(lengths)}")
        n_rows = lengths.pop()
        return cls({f: FieldBM25.build(per_field[f]) for f in FIELDS}, n_rows)

    def field_scores(self, tokens: Iterable[str], field_name: str) -> np.ndarray:
        """BM25 scores of every row for one field (float32, length n_rows)."""
        return self._fields[field_name].scores(tokens)

    def scores(
        self, tokens: Sequence[str], field_weights: Mapping[str, float] | None = None
    ) -> np.ndarray:
        """Weighted sum of per-field BM25 scores for every clause row
        (float32, length n_rows). Fields left out of ``field_weights`` count 0."""
        weights = DEFAULT_FIELD_WEIGHTS if field_weights is None else field_weights
        unknown = set(weights) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown lexical fields {sorted(unknown)}; known: {list(FIELDS)}")
        total = np.zeros(self.n_rows, dtype=np.float32)
        tokens = list(tokens)
        if not tokens:
            return total
        for field_name, weight in weights.items():
            if weight:
                total += np.float32(weight) * self.field_scores(tokens, field_name)
        return total

    def search(
        self,
        tokens: list[str],
        k: int,
        field_weights: dict[str, float] | None = None,
        allowed_rows: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """The ``k`` best clause rows as (row, score), score > 0, ordered by
        (-score, row). ``allowed_rows`` limits the result to those rows."""
        return top_k(self.scores(tokens, field_weights), k, allowed_rows)

    def save(self, directory: Path) -> None:
        """Write ``<field>.npz`` + ``<field>.vocab.json`` per field and ``meta.json``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for field_name, field_index in self._fields.items():
            field_index.save(directory / field_name)
        meta = {
            "fields": list(FIELDS),
            "n_rows": self.n_rows,
            "bm25": {"variant": "lucene", "k1": BM25_K1, "b": BM25_B},
            "tokenizer_version": TOKENIZER_VERSION,
            "userdict_terms": _userdict_size(),
        }
        (directory / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, expected_rows: int | None = None) -> LexicalIndex:
        """Read an index written by ``save``; checks every field has ``expected_rows`` rows."""
        directory = Path(directory)
        meta_path = directory / "meta.json"
        if not meta_path.exists():
            raise IndexNotFoundError(
                f"lexical index missing: {meta_path}; rebuild with `policy-search ingest`"
            )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        n_rows = int(meta["n_rows"])
        if expected_rows is not None and n_rows != expected_rows:
            raise IndexCorruptError(
                f"lexical index has {n_rows} rows but the clause store has {expected_rows}; "
                "rebuild with `policy-search ingest`"
            )
        return cls({f: FieldBM25.load(directory / f) for f in FIELDS}, n_rows)


def _userdict_size() -> int:
    if not USERDICT_PATH.exists():
        return 0
    return sum(1 for line in USERDICT_PATH.read_text(encoding="utf-8").splitlines() if line.strip())


def words(text: str) -> list[str]:
    """Non-overlapping words of ``fold(text)`` (jieba precise mode), without
    punctuation and stopwords: for measuring how much of a question a clause covers."""
    if not text:
        return []
    tokenizer = _jieba_tokenizer()
    return [tok for tok in tokenizer.lcut(fold(text)) if _is_meaningful(tok)]
