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


# 1: one <field>.npz per field, read into memory. 2: <field>.<array>.npy,
# memory-mapped, with each term's largest weight (for top-k pruning). Format 1
# still opens (read into memory, the largest weights computed on load).
LEXICAL_FORMAT = 2
_ARRAYS = ("indptr", "rows", "weights", "max_weight")
# top_k: essential postings above this share of the rows are summed into one
# array per row instead of sorted (both give the same scores)
DENSE_ACCUMULATE_SHARE = 0.25
REFINE_FIRST_POSTINGS = 16_384  # top_k: postings summed before the threshold is first refined


def _slack(threshold: float) -> float:
    """Room for float64 rounding when a sum of bounds is compared with a
    threshold (sums taken in another order may differ in the last bits)."""
    return 1e-9 * abs(threshold) + 1e-12


@dataclass
class FieldBM25:
    """BM25 (Lucene variant) for one field, as posting lists of precomputed
    per-(term, row) weights, rows ascending within a term: scoring a query is
    a few vectorised adds. ``max_weight`` holds each term's largest weight,
    the bound that lets ``LexicalIndex.top_k`` skip most postings.

    bm25s was tried first; it fails on fields where every row is empty (most
    clauses have no indicator), so this small implementation is used instead.
    """

    vocab: dict[str, int]
    indptr: np.ndarray  # int64, len(vocab) + 1
    rows: np.ndarray  # int32, row of each posting
    weights: np.ndarray  # float32, BM25 weight of each posting
    n_rows: int
    max_weight: np.ndarray | None = None  # float32 per term; computed when not given

    def __post_init__(self) -> None:
        if self.max_weight is None:
            self.max_weight = _max_per_term(self.indptr, self.weights)

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

    def postings(self, token: str) -> tuple[np.ndarray, np.ndarray, float] | None:
        """(rows ascending, weights, largest weight) of ``token``; None when unknown."""
        i = self.vocab.get(token)
        if i is None:
            return None
        start, end = int(self.indptr[i]), int(self.indptr[i + 1])
        assert self.max_weight is not None
        return self.rows[start:end], self.weights[start:end], float(self.max_weight[i])

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

    def scores_rows(self, tokens: Iterable[str], rows: np.ndarray) -> np.ndarray:
        """BM25 score of ``rows`` (ascending, unique): the same float32 values
        as ``scores(tokens)[rows]`` (the same additions in the same order),
        without an array over every row."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(rows.shape[0], dtype=np.float32)
        if rows.size == 0:
            return out
        for token in tokens:
            found = self.postings(token)
            if found is None:
                continue
            posting_rows, weights, _ = found
            if posting_rows.size == 0:
                continue
            if posting_rows.size < rows.size:
                at = np.minimum(np.searchsorted(rows, posting_rows), rows.size - 1)
                hit = rows[at] == posting_rows
                out[at[hit]] += weights[hit]
            else:
                at = np.minimum(np.searchsorted(posting_rows, rows), posting_rows.size - 1)
                hit = posting_rows[at] == rows
                out[hit] += weights[at[hit]]
        return out

    def save(self, path: Path) -> None:
        """Write ``<path>.<array>.npy`` per array and ``<path>.vocab.json``."""
        assert self.max_weight is not None  # set in __post_init__
        arrays = {"indptr": self.indptr, "rows": self.rows, "weights": self.weights, "max_weight": self.max_weight}
        for name, array in arrays.items():
            np.save(path.with_name(f"{path.name}.{name}.npy"), array, allow_pickle=False)
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        path.with_suffix(".vocab.json").write_text(
            json.dumps(terms, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, path: Path, n_rows: int | None = None) -> FieldBM25:
        """Read what ``save`` wrote, memory-mapped (``n_rows`` from the
        index's meta); a field of format 1 (``<path>.npz``) is read into memory."""
        vocab_path = path.with_suffix(".vocab.json")
        array_paths = {name: path.with_name(f"{path.name}.{name}.npy") for name in _ARRAYS}
        npz_path = path.with_suffix(".npz")
        if all(p.exists() for p in array_paths.values()) and vocab_path.exists() and n_rows is not None:
            # plain ndarray views of the mappings: slicing a np.memmap costs a
            # Python-level __array_finalize__ per slice, and a query takes dozens
            arrays = {name: np.asarray(np.load(p, mmap_mode="r", allow_pickle=False)) for name, p in array_paths.items()}
            indptr, rows, weights, max_weight = (arrays[name] for name in _ARRAYS)
            terms = json.loads(vocab_path.read_text(encoding="utf-8"))
            if len(max_weight) != len(terms):
                raise IndexCorruptError(f"lexical field {path} is inconsistent")
        elif npz_path.exists() and vocab_path.exists():
            with np.load(npz_path, allow_pickle=False) as data:
                indptr, rows, weights = data["indptr"], data["rows"], data["weights"]
                n_rows = int(data["n_rows"][0])
            terms = json.loads(vocab_path.read_text(encoding="utf-8"))
            max_weight = None
            if rows.size and int(rows.max()) >= n_rows:
                raise IndexCorruptError(f"lexical field {npz_path} refers to rows beyond {n_rows}")
        else:
            raise IndexNotFoundError(
                f"lexical field file missing: {array_paths['rows']}; rebuild with `policy-search ingest`"
            )
        if (
            len(indptr) != len(terms) + 1
            or len(rows) != len(weights)
            or (len(indptr) and int(indptr[-1]) != len(rows))
        ):
            raise IndexCorruptError(f"lexical field {path} is inconsistent")
        return cls({t: i for i, t in enumerate(terms)}, indptr, rows, weights, n_rows, max_weight)


def _max_per_term(indptr: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The largest weight of each term's postings (0 for a term without any)."""
    n_terms = len(indptr) - 1
    out = np.zeros(max(n_terms, 0), dtype=np.float32)
    if n_terms <= 0 or weights.size == 0:
        return out
    starts = np.asarray(indptr[:-1], dtype=np.int64)
    nonempty = starts < np.asarray(indptr[1:], dtype=np.int64)
    out[nonempty] = np.maximum.reduceat(weights, starts[nonempty])
    return out


@dataclass
class _Term:
    """One (field, token) of a query: its postings and what each weight counts for."""

    rows: np.ndarray
    weights: np.ndarray
    coef: float  # field weight × times the token occurs in the query
    bound: float  # coef × the largest weight: the most it adds to any row

    def contribution(self, rows: np.ndarray) -> np.ndarray:
        """coef × weight for each of ``rows`` (ascending), 0 where the term is absent."""
        out = np.zeros(rows.shape[0], dtype=np.float64)
        if self.rows.size == 0 or rows.size == 0:
            return out
        at = np.minimum(np.searchsorted(self.rows, rows), self.rows.size - 1)
        hit = self.rows[at] == rows
        out[hit] = self.coef * self.weights[at[hit]].astype(np.float64)
        return out


def _allowed_mask(rows: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """Which of ``rows`` are in the ascending ``allowed`` (all when None)."""
    if allowed is None:
        return np.ones(rows.shape[0], dtype=bool)
    if allowed.size == 0:
        return np.zeros(rows.shape[0], dtype=bool)
    at = np.minimum(np.searchsorted(allowed, rows), allowed.size - 1)
    return allowed[at] == rows


def _best(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best (row, score) with score > 0, ordered by (-score, row)."""
    positive = scores > 0
    rows, scores = rows[positive], scores[positive]
    if rows.size > k:
        kth = np.partition(scores, rows.size - k)[rows.size - k]
        keep = scores >= kth  # every row tied with the k-th stays: ties go to the lower row
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))[:k]
    return rows[order], scores[order]


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

    @staticmethod
    def _weights(field_weights: Mapping[str, float] | None) -> Mapping[str, float]:
        weights = DEFAULT_FIELD_WEIGHTS if field_weights is None else field_weights
        unknown = set(weights) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown lexical fields {sorted(unknown)}; known: {list(FIELDS)}")
        return weights

    def scores(
        self, tokens: Sequence[str], field_weights: Mapping[str, float] | None = None
    ) -> np.ndarray:
        """Weighted sum of per-field BM25 scores for every clause row
        (float32, length n_rows). Fields left out of ``field_weights`` count 0."""
        weights = self._weights(field_weights)
        total = np.zeros(self.n_rows, dtype=np.float32)
        tokens = list(tokens)
        if not tokens:
            return total
        for field_name, weight in weights.items():
            if weight:
                total += np.float32(weight) * self.field_scores(tokens, field_name)
        return total

    def scores_rows(
        self, tokens: Sequence[str], rows: np.ndarray, field_weights: Mapping[str, float] | None = None
    ) -> np.ndarray:
        """``scores(tokens, field_weights)[rows]`` for ascending unique
        ``rows`` — the same float32 values — touching only their postings."""
        weights = self._weights(field_weights)
        rows = np.asarray(rows, dtype=np.int64)
        total = np.zeros(rows.shape[0], dtype=np.float32)
        tokens = list(tokens)
        if not tokens:
            return total
        for field_name, weight in weights.items():
            if weight:
                total += np.float32(weight) * self._fields[field_name].scores_rows(tokens, rows)
        return total

    def _terms(self, tokens: Sequence[str], weights: Mapping[str, float]) -> list[_Term]:
        counts: dict[str, int] = {}
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
        terms = []
        for field_name, weight in weights.items():
            if not weight:
                continue
            for token, count in counts.items():
                found = self._fields[field_name].postings(token)
                if found is not None and found[0].size:
                    coef = float(np.float32(weight)) * count
                    terms.append(_Term(found[0], found[1], coef, coef * found[2]))
        return terms

    def top_k(
        self,
        tokens: Sequence[str],
        k: int,
        field_weights: Mapping[str, float] | None = None,
        allowed_rows: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """The ``k`` best rows by ``scores`` (restricted to the ascending
        ``allowed_rows``; None: all) as (row, score), score > 0, ordered by
        (-score, row) — without scoring every row (MaxScore).

        Scores are summed in float64, so a score may differ from ``scores``'s
        float32 in the last bits. Each (field, token) term has a bound, the
        most it adds to any row. Terms are summed highest bound first, and a
        threshold — a lower bound of the k-th best score — is raised from the
        partial sums (each a lower bound of its row's score) as postings
        accumulate, until
        the bounds of the terms left add up to less than the threshold: a row
        none of the summed terms holds cannot reach the k best, so only the
        rows seen so far are candidates, and the terms left are looked up for
        them alone, dropping a candidate as soon as its partial score plus the
        bounds still to come falls below the threshold."""
        weights = self._weights(field_weights)
        if k <= 0 or not tokens:
            return []
        terms = self._terms(tokens, weights)
        if not terms:
            return []
        if any(t.coef <= 0 for t in terms):  # bounds need positive weights: score every row
            scores = self.scores(tokens, weights)
            rows = np.arange(self.n_rows, dtype=np.int64) if allowed_rows is None else np.asarray(allowed_rows, dtype=np.int64)
            best_rows, best_scores = _best(rows, scores[rows].astype(np.float64), k)
            return [(int(r), float(s)) for r, s in zip(best_rows, best_scores, strict=True)]
        allowed = None if allowed_rows is None else np.asarray(allowed_rows, dtype=np.int64)
        terms.sort(key=lambda t: -t.bound)
        # remaining[j]: the most the terms from j on can add to any row
        remaining = np.concatenate([np.cumsum([t.bound for t in terms][::-1])[::-1], [0.0]])
        threshold = 0.0  # a lower bound of the k-th best score, raised below
        # 1. accumulate terms, highest bound first, while a row none of them
        # holds could still reach the threshold; refine the threshold from the
        # partial scores (each a lower bound of its row's score) as postings grow
        dense = sum(t.rows.size for t in terms) > DENSE_ACCUMULATE_SHARE * self.n_rows
        acc = np.zeros(self.n_rows, dtype=np.float64) if dense else None
        seen = np.zeros(self.n_rows, dtype=bool) if dense else None
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        processed, checkpoint = 0, max(4 * k, REFINE_FIRST_POSTINGS)
        j = 0

        def partials() -> tuple[np.ndarray, np.ndarray]:
            if acc is not None and seen is not None:
                rows = np.flatnonzero(seen)
                return rows, acc[rows]
            rows_all = np.concatenate([r for r, _ in parts]).astype(np.int64)
            rows, inverse = np.unique(rows_all, return_inverse=True)
            return rows, np.bincount(inverse, weights=np.concatenate([c for _, c in parts]), minlength=rows.size)

        while j < len(terms) and remaining[j] >= threshold - _slack(threshold):
            term = terms[j]
            contribution = term.coef * term.weights.astype(np.float64)
            if acc is not None and seen is not None:
                acc[term.rows] += contribution
                seen[term.rows] = True
            else:
                parts.append((term.rows, contribution))
            processed += term.rows.size
            j += 1
            if processed >= checkpoint and j < len(terms):
                checkpoint *= 2
                rows, scores = partials()
                scores = scores[_allowed_mask(rows, allowed)]
                if scores.size >= k:
                    threshold = max(threshold, float(np.partition(scores, scores.size - k)[scores.size - k]))
        candidates, partial = partials() if (acc is not None or parts) else (np.empty(0, dtype=np.int64), np.empty(0))
        # 2. the rest of the terms only for candidates that can still reach it
        keep = _allowed_mask(candidates, allowed) & (partial + remaining[j] >= threshold - _slack(threshold))
        candidates, partial = candidates[keep], partial[keep]
        for i in range(j, len(terms)):
            partial += terms[i].contribution(candidates)
            keep = partial + remaining[i + 1] >= threshold - _slack(threshold)
            if not keep.all():
                candidates, partial = candidates[keep], partial[keep]
        best_rows, best_scores = _best(candidates, partial, k)
        return [(int(r), float(s)) for r, s in zip(best_rows, best_scores, strict=True)]

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
        """Write ``<field>.<array>.npy`` + ``<field>.vocab.json`` per field and ``meta.json``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for field_name, field_index in self._fields.items():
            field_index.save(directory / field_name)
        meta = {
            "fields": list(FIELDS),
            "n_rows": self.n_rows,
            "format": LEXICAL_FORMAT,
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
        return cls({f: FieldBM25.load(directory / f, n_rows) for f in FIELDS}, n_rows)


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
