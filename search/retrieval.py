"""Hybrid retrieval: dense and lexical candidates, fused, then reranked on
features of each clause against the analysed query."""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from index.lexical import tokenize
from index.textnorm import fold
from ingest.model import Clause

from .adapter import QueryAdapter
from .deadline import check as check_deadline
from .fusion import ranked_rows, rrf_sparse, spread_across_groups, top_positions
from .quantity import prints_quantity
from .query import QueryAnalysis
from .termstats import SubstringDF

# Pseudo-relevance feedback for the lexical side: words shared by at least
# PRF_MIN_SHARED of the PRF_DOCS clauses the dense model ranks first, and in at
# most PRF_MAX_DF of all clauses, join the BM25 query (PRF_TERMS at most).
PRF_DOCS = 0  # off: measured on dev + tune, no gain (README Quality); scripts/ablation.py turns it on
PRF_MIN_SHARED = 2
PRF_TERMS = 6
PRF_MAX_DF = 0.05
# Lexical field weights: clause text counts most; headings and titles help
# place a clause in its topic.
FIELD_WEIGHTS = {"text": 1.0, "section": 0.35, "indicator": 0.6, "title": 0.15}
# Stores other than FAISS are asked for this many candidates per side (dense,
# full text) for each clause of the rerank pool.
CANDIDATES_PER_POOL_ROW = 1
# the most allowed rows scored exactly for the dense feature's mean and spread
# on the candidate path (more: an evenly spaced sample)
DENSE_STATS_SAMPLE = 2048


@dataclass
class RerankWeights:
    """Weights of the second-stage features (tuned by scripts/tune_rerank.py)."""

    rrf: float = 20.0
    dense: float = 0.25
    lexical: float = 0.35
    coverage: float = 0.6
    indicator: float = 0.5
    number: float = 0.3
    kind: float = 0.15
    section: float = 0.15
    article: float = 0.0  # the clause is a law's article (a rule, where a plan has a goal)
    genre: float = 0.0  # the question's words point at this genre (法律/合法… → laws, 规划 → plans)
    title: float = 0.0  # share of the question's words in the document's title
    dense_question: float = 0.0  # dense similarity to the question as typed (not the analysed query), standardised in the pool
    dense_rank: float = 0.0  # 5 / (5 + rank) by dense similarity within the rerank pool
    lexical_rank: float = 0.0  # 5 / (5 + rank) by BM25 within the rerank pool
    figure: float = 0.0  # a "how old / how long / how much" question: the clause prints a figure of that kind

    @classmethod
    def load(cls) -> RerankWeights:
        try:
            with resources.files("search").joinpath("data", "rerank_weights.json").open(encoding="utf-8") as fh:
                data = json.load(fh)
        except (FileNotFoundError, json.JSONDecodeError):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in data.get("weights", {}).items() if k in known})

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass
class Candidate:
    row: int
    score: float
    features: dict[str, float]


_PUNCT = re.compile(r"[\s，,。．.、；;：:“”\"'（）()《》〈〉【】\[\]？?！!—\-]+")


@lru_cache(maxsize=8192)
def _folded_compact(text: str) -> str:
    return _PUNCT.sub("", fold(text))


def _fuse(rankings: list[np.ndarray], size: int) -> tuple[list[int], dict[int, float]]:
    """RRF of ``rankings``: the ``size`` best rows (the rerank pool) and
    their RRF values."""
    fused_rows, fused_values = rrf_sparse(rankings)
    at = top_positions(fused_values, fused_rows, size)
    pool_rows: list[int] = fused_rows[at].tolist()
    return pool_rows, dict(zip(pool_rows, fused_values[at].tolist(), strict=True))


# Up to RANKING_FULL_MAX allowed rows every allowed row is scored (dense and
# BM25) and the rankings fed to RRF are whole. Above it, each side gives its
# best RANKING_DEPTH rows (FAISS's search, BM25 top-k with MaxScore pruning):
# a row below that depth in both rankings fuses to less than 2/(60+1000),
# under the 1/(60+pool) that each of the dense ranking's first `pool` rows
# reaches on its own, so the rerank pool is the one whole rankings give; a
# pool row loses at most 1/1060 of fused score from the ranking where it sits
# deeper. What a query then computes grows with the candidates, not the corpus.
RANKING_FULL_MAX = 20_000
RANKING_DEPTH = 1_000
# folded texts of clause rows kept for the reranker: every row of an index up
# to this size (computed when it opens), the most recent rows above it
ROW_TEXT_CACHE = 50_000


class _RowTexts:
    """Folded clause text, section path and indicator of each row, for the
    reranker's features: computed once per row and kept (every row of a small
    index up front; the last ROW_TEXT_CACHE rows of a large one)."""

    def __init__(self, clauses: Any) -> None:
        self._clauses = clauses
        self._n = len(clauses)
        self._cache: OrderedDict[int, tuple[str, str, str]] = OrderedDict()
        self._lock = threading.Lock()
        self.complete = self._n <= ROW_TEXT_CACHE
        if self.complete:
            for row, clause in enumerate(clauses):
                self._cache[row] = _row_texts(clause)

    def get(self, rows: Sequence[int]) -> dict[int, tuple[str, str, str]]:
        """(text, section, indicator) folded, for each of ``rows``."""
        with self._lock:
            out = {row: self._cache[row] for row in rows if row in self._cache}
        missing = [row for row in dict.fromkeys(rows) if row not in out]
        if missing:
            take = getattr(self._clauses, "take", None)
            clauses = take(missing) if take is not None else [self._clauses[row] for row in missing]
            found = {row: _row_texts(clause) for row, clause in zip(missing, clauses, strict=True)}
            out.update(found)
            with self._lock:
                for row, texts in found.items():
                    self._cache[row] = texts
                if not self.complete:
                    while len(self._cache) > ROW_TEXT_CACHE:
                        self._cache.popitem(last=False)
        return out

    def text(self, row: int) -> str:
        return self.get([row])[row][0]


def _row_texts(clause: Clause) -> tuple[str, str, str]:
    return (
        _folded_compact(clause.text),
        _folded_compact(" ".join(clause.section_path)),
        _folded_compact(clause.fields.get("indicator", "")),
    )


class _FoldedTexts(Sequence[str]):
    """The folded clause texts by row, as SubstringDF reads them (only the
    sampled rows of a large index are read)."""

    def __init__(self, texts: _RowTexts, n: int) -> None:
        self._texts, self._n = texts, n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, row: int) -> str:  # type: ignore[override]
        return self._texts.text(int(row))

    def __iter__(self) -> Iterator[str]:
        for start in range(0, self._n, 2000):
            rows = list(range(start, min(self._n, start + 2000)))
            found = self._texts.get(rows)
            yield from (found[row][0] for row in rows)

    def take(self, rows: Sequence[int]) -> list[str]:
        found = self._texts.get(list(rows))
        return [found[row][0] for row in rows]


class HybridRetriever:
    """Dense + lexical retrieval over one index, with a feature reranker.

    What it holds per row are the store's two columns (document, kind); clause
    texts are read for the rows a query reranks, so memory and opening time do
    not grow with the corpus beyond those columns.
    """

    def __init__(
        self, reader: Any, weights: RerankWeights | None = None, pool: int = 120, adapter: QueryAdapter | None = None
    ):
        self.reader = reader
        self.weights = weights or RerankWeights.load()
        self.pool = pool
        # the query adapter (search/adapter.py): moves the question's vector for the
        # rankings; the answer's evidence keeps the model's own similarity
        self.adapter = adapter
        clauses = reader.clauses
        self._n = len(clauses)
        store = reader.store
        documents = getattr(reader, "documents", {}) or {}
        self._doc_ids: list[str] = list(store.doc_ids)
        self._doc_index: np.ndarray = store.doc_index
        self._kind_code: np.ndarray = store.kind_code
        self._kind_names: list[str] = list(store.kind_names)
        # a document counts as a plan when the index says so (doc_type), else by default
        self._doc_is_plan = [getattr(documents.get(d), "doc_type", "plan") == "plan" for d in self._doc_ids]
        self._doc_title_folded = [_folded_compact(getattr(documents.get(d), "title", "") or "") for d in self._doc_ids]
        self._texts = _RowTexts(clauses)
        # document frequency of query terms, computed lazily per term
        self._df = SubstringDF(_FoldedTexts(self._texts, self._n))

    def _doc_of_row(self, row: int) -> str:
        return self._doc_ids[int(self._doc_index[row])]

    def _kind_of_row(self, row: int) -> str:
        return self._kind_names[int(self._kind_code[row])]

    def document_frequency(self, term: str) -> int:
        """How many clauses contain ``term`` (folded; estimated above
        ``termstats.EXACT_MAX`` clauses)."""
        return round(self._df.df(_folded_compact(term)))

    def _idf(self, term: str) -> float:
        return self._df.idf(term)

    def feedback_terms(self, tokens: list[str], rows: np.ndarray) -> list[str]:
        """Pseudo-relevance feedback from the dense model: the words that the
        clauses it ranks first share and that are rare in the corpus — the
        documents' own words for what a question says in its own (租号 →
        账号租售). At most PRF_TERMS words, none already in the question."""
        have = {_folded_compact(t) for t in tokens}
        counts: dict[str, int] = {}
        for row in rows.tolist():
            for word in dict.fromkeys(tokenize(self._clause_text(int(row)))):
                if len(word) >= 2 and _folded_compact(word) not in have:
                    counts[word] = counts.get(word, 0) + 1
        need = min(PRF_MIN_SHARED, len(rows))
        scored = []
        for word, n in counts.items():
            if n < need:
                continue
            df = self._df.df(_folded_compact(word))
            if df > self._n * PRF_MAX_DF:
                continue
            scored.append((n * self._idf(_folded_compact(word)), word))
        scored.sort(key=lambda sw: (-sw[0], sw[1]))
        return [w for _, w in scored[:PRF_TERMS]]

    def _clause_text(self, row: int) -> str:
        return str(self.reader.clauses[row].text)

    def retrieve(
        self,
        analysis: QueryAnalysis,
        allowed_rows: np.ndarray | None,
        top_k: int,
        spread: bool,
        disabled: frozenset[str] = frozenset(),
        readings: int = 2,
    ) -> list[Candidate]:
        """Ranked candidates (best first) among ``allowed_rows`` (ascending;
        None: every row).

        ``readings``: how many dense readings of the question. Two (the
        default, what answers use): the analysed query (content words and the
        vocabulary's terms) finds the candidates and the question as typed
        is the reranker's ``dense_question`` feature, both embedded in one
        batched call. One: the question as typed alone, for both, so a
        search costs one query embedding."""
        if readings not in (1, 2):
            raise ValueError(f"readings must be 1 or 2, not {readings!r}")
        allowed = None
        if allowed_rows is not None:
            allowed = np.asarray(allowed_rows, dtype=np.int64)
            if allowed.size == 0:
                return []
            if allowed.size >= self._n:
                allowed = None
        if self._n == 0:
            return []
        text = analysis.rewritten or analysis.query
        dense_text = text if readings == 2 else analysis.query
        if "dense" not in disabled and analysis.query != dense_text:
            self.reader.embed_queries([text, analysis.query])  # both readings in one engine call
        tokens = analysis.tokens(text)
        n_allowed = self._n if allowed is None else int(allowed.size)
        if getattr(self.reader.vectors, "backend", "faiss") != "faiss":
            return self._retrieve_candidates(
                analysis, text, dense_text, tokens, allowed, top_k, spread, disabled, store_side=True
            )
        if n_allowed <= RANKING_FULL_MAX:
            return self._retrieve_whole(analysis, text, dense_text, tokens, allowed, top_k, spread, disabled)
        return self._retrieve_candidates(
            analysis, text, dense_text, tokens, allowed, top_k, spread, disabled, store_side=False
        )

    def _retrieve_whole(
        self,
        analysis: QueryAnalysis,
        text: str,
        dense_text: str,
        tokens: list[str],
        allowed: np.ndarray | None,
        top_k: int,
        spread: bool,
        disabled: frozenset[str],
    ) -> list[Candidate]:
        """Every allowed row scored (dense and BM25), whole rankings fused;
        ``text`` read by BM25, ``dense_text`` by the embedder."""
        vectors = self.reader.vectors
        rows = np.arange(self._n, dtype=np.int64) if allowed is None else allowed
        small = self._n <= RANKING_FULL_MAX
        dense = None
        dense_stats = None
        model = None  # the model's own similarity, when the adapter moves the ranking's
        if "dense" not in disabled:
            raw = self.reader.embed_query(dense_text)
            qvec = self._searched(raw, disabled) if dense_text == analysis.query else raw

            def scored(vec: np.ndarray) -> np.ndarray:
                if small and getattr(vectors, "exact", True):
                    return vectors.scores_all(vec)[rows]  # one pass: the index is small
                return vectors.scores(vec, rows)  # exact, for these rows only

            dense = scored(qvec)
            dense_stats = (float(dense.mean()), float(dense.std()) or 1.0)
            if qvec is not raw:
                model = scored(raw)
        lex = None
        if "lexical" not in disabled and tokens:
            lex_tokens = tokens
            if dense is not None and "feedback" not in disabled and PRF_DOCS:
                top = rows[ranked_rows(dense, np.arange(rows.size), PRF_DOCS)]
                lex_tokens = tokens + self.feedback_terms(tokens, top)
            lexical = self.reader.lexical
            if small:
                lex = lexical.scores(lex_tokens, FIELD_WEIGHTS)[rows]
            else:
                lex = lexical.scores_rows(lex_tokens, rows, FIELD_WEIGHTS)
        positions = np.arange(rows.size)
        rankings = []
        if dense is not None:
            rankings.append(rows[ranked_rows(dense, positions)])
        lex_max = 0.0
        if lex is not None and float(lex.max(initial=0.0)) > 0:
            rankings.append(rows[ranked_rows(lex, positions[lex > 0])])
            lex_max = float(lex.max(initial=0.0))
        if not rankings:
            return []
        pool_rows, fused = _fuse(rankings, max(self.pool, top_k))
        at = np.searchsorted(rows, np.asarray(pool_rows, dtype=np.int64))
        dense_of = {row: float(dense[i]) for row, i in zip(pool_rows, at, strict=True)} if dense is not None else None
        lex_of = {row: float(lex[i]) for row, i in zip(pool_rows, at, strict=True)} if lex is not None else None
        evidence = None
        if model is not None:
            evidence = (
                {row: float(model[i]) for row, i in zip(pool_rows, at, strict=True)},
                (float(model.mean()), float(model.std()) or 1.0),
            )
        as_typed = (
            self._question_dense(analysis, text, dense_text, pool_rows, dense_of, evidence, disabled)
            if dense is not None
            else None
        )
        candidates = self._rerank(
            analysis, tokens, pool_rows, fused, dense_of, dense_stats, lex_of, lex_max, disabled, as_typed, evidence
        )
        return self._order(candidates, top_k, spread)

    def _question_dense(
        self,
        analysis: QueryAnalysis,
        text: str,
        dense_text: str,
        rows: list[int],
        dense_of: dict[int, float] | None,
        evidence: tuple[dict[int, float], tuple[float, float]] | None = None,
        disabled: frozenset[str] = frozenset(),
    ) -> dict[int, tuple[float, float]] | None:
        """The pool's dense similarity to the question as typed, per row:
        standardised over the pool (the ranking's, through the adapter when
        there is one) and raw (the model's own, for the answer's evidence).
        The analysed query drops the question words that e5 reads (能不能,
        合法吗), and the two readings disagree most on everyday questions."""
        if not rows or analysis.query == text:
            return None
        at = np.asarray(rows, dtype=np.int64)
        if dense_text == analysis.query and dense_of is not None:  # one reading: the same scores
            scores = np.array([dense_of[row] for row in rows], dtype=np.float32)
            own = np.array([evidence[0][row] for row in rows], dtype=np.float32) if evidence is not None else scores
        else:
            raw = self.reader.embed_query(analysis.query)
            qvec = self._searched(raw, disabled)
            scores = self.reader.vectors.scores(qvec, at)
            own = scores if qvec is raw else self.reader.vectors.scores(raw, at)
        sd = float(scores.std()) or 1.0
        mu = float(scores.mean())
        return {row: ((float(v) - mu) / sd, float(c)) for row, v, c in zip(rows, scores, own, strict=True)}

    def _searched(self, raw: np.ndarray, disabled: frozenset[str]) -> np.ndarray:
        """The vector the rankings search with for the question as typed: ``raw``
        through the adapter, or ``raw`` itself (the same object) without one.
        The analysed query (content words and the vocabulary's terms) is no
        question of the kind the adapter was fitted on and is searched as it is."""
        if self.adapter is None or "adapter" in disabled:
            return raw
        return self.adapter.apply(raw)

    def _exact_dense(
        self, qvec: np.ndarray, allowed: np.ndarray | None, pool_rows: list[int]
    ) -> tuple[dict[int, float], tuple[float, float]]:
        """Dense scores computed exactly for the rerank pool, and their mean
        and spread over the allowed rows (an evenly spaced sample of
        DENSE_STATS_SAMPLE when more)."""
        n_allowed = self._n if allowed is None else allowed.size
        if n_allowed <= DENSE_STATS_SAMPLE:
            sample = np.arange(self._n, dtype=np.int64) if allowed is None else allowed
        else:
            picks = np.linspace(0, n_allowed - 1, DENSE_STATS_SAMPLE).astype(np.int64)
            sample = picks if allowed is None else allowed[picks]
        rows = np.union1d(sample, np.asarray(pool_rows, dtype=np.int64))
        scores = self.reader.vectors.scores(qvec, rows)
        sub = scores[np.searchsorted(rows, sample)]
        at = np.searchsorted(rows, np.asarray(pool_rows, dtype=np.int64))
        return (
            {row: float(scores[i]) for row, i in zip(pool_rows, at, strict=True)},
            (float(sub.mean()), float(sub.std()) or 1.0),
        )

    def _retrieve_candidates(
        self,
        analysis: QueryAnalysis,
        text: str,
        dense_text: str,
        tokens: list[str],
        allowed: np.ndarray | None,
        top_k: int,
        spread: bool,
        disabled: frozenset[str],
        *,
        store_side: bool,
    ) -> list[Candidate]:
        """Fusion and reranking from candidate lists: the best dense and BM25
        rows among the allowed ones (``allowed``; None: all), fused by RRF;
        the rerank pool's dense feature is scored exactly, its mean and spread
        over the allowed rows (or an evenly spaced sample of them).

        ``store_side``: the store answers both lists (Milvus: its vectors and
        its own BM25, ``CANDIDATES_PER_POOL_ROW`` per pool row, the lexical
        feature from its scores). Otherwise FAISS gives the dense list and
        this index's BM25 the lexical one (``LexicalIndex.top_k``), each
        RANKING_DEPTH deep, and the pool's lexical feature is its BM25 score."""
        vectors = self.reader.vectors
        pool = max(self.pool, top_k)
        k = pool * CANDIDATES_PER_POOL_ROW if store_side else max(RANKING_DEPTH, 4 * pool)
        rankings = []
        qvec = None
        raw = None
        dense_hits: list[tuple[int, float]] = []
        if "dense" not in disabled:
            raw = self.reader.embed_query(dense_text)
            qvec = self._searched(raw, disabled) if dense_text == analysis.query else raw
            dense_hits = vectors.candidates(qvec, k, allowed)
            if dense_hits:
                rankings.append(np.array([row for row, _ in dense_hits], dtype=np.int64))
        lex_hits: list[tuple[int, float]] = []
        lex_tokens = tokens
        if "lexical" not in disabled and tokens:
            if store_side and hasattr(vectors, "text_candidates"):
                lex_hits = vectors.text_candidates(text, k, allowed, FIELD_WEIGHTS)
            else:
                if dense_hits and "feedback" not in disabled and PRF_DOCS:
                    top = np.array([row for row, _ in dense_hits[:PRF_DOCS]], dtype=np.int64)
                    lex_tokens = tokens + self.feedback_terms(tokens, top)
                lex_hits = self.reader.lexical.top_k(lex_tokens, k, FIELD_WEIGHTS, allowed)
            if lex_hits:
                rankings.append(np.array([row for row, _ in lex_hits], dtype=np.int64))
        if not rankings:
            return []
        pool_rows, fused = _fuse(rankings, pool)
        dense_of = None
        dense_stats = None
        evidence = None
        if qvec is not None:
            dense_of, dense_stats = self._exact_dense(qvec, allowed, pool_rows)
            if raw is not None and qvec is not raw:
                evidence = self._exact_dense(raw, allowed, pool_rows)
        lex_of = None
        lex_max = 0.0
        if lex_hits:
            if store_side:
                found = dict(lex_hits)
                lex_of = {row: float(np.float32(found.get(row, 0.0))) for row in pool_rows}
                lex_max = float(lex_hits[0][1])
            else:
                # the feature is the float32 BM25 score the whole-ranking path gives
                ordered = np.unique(np.asarray(pool_rows + [lex_hits[0][0]], dtype=np.int64))
                scores = self.reader.lexical.scores_rows(lex_tokens, ordered, FIELD_WEIGHTS)
                by_row = dict(zip(ordered.tolist(), scores.tolist(), strict=True))
                lex_of = {row: by_row[row] for row in pool_rows}
                lex_max = by_row[lex_hits[0][0]]
        as_typed = (
            self._question_dense(analysis, text, dense_text, pool_rows, dense_of, evidence, disabled)
            if qvec is not None
            else None
        )
        candidates = self._rerank(
            analysis, tokens, pool_rows, fused, dense_of, dense_stats, lex_of, lex_max, disabled, as_typed, evidence
        )
        return self._order(candidates, top_k, spread)

    def _order(self, candidates: list[Candidate], top_k: int, spread: bool) -> list[Candidate]:
        """``candidates`` (reranked, best first), spread across plans if asked."""
        ranked = [(c.row, c.score) for c in candidates]
        if spread:
            ranked = spread_across_groups(
                ranked,
                self._doc_of_row,
                top_k=top_k,
                min_relative=0.6,
                per_group_cap=3,
            )
        by_row = {c.row: c for c in candidates}
        return [by_row[row] for row, _ in ranked]

    def _rerank(
        self,
        analysis: QueryAnalysis,
        tokens: list[str],
        rows: list[int],
        fused: Mapping[int, float],
        dense_all: Mapping[int, float] | None,
        dense_stats: tuple[float, float] | None,
        lex_all: Mapping[int, float] | None,
        lex_max: float,
        disabled: frozenset[str],
        as_typed: dict[int, tuple[float, float]] | None = None,
        evidence: tuple[dict[int, float], tuple[float, float]] | None = None,
    ) -> list[Candidate]:
        """Score ``rows`` on their features. ``fused``, ``dense_all`` and
        ``lex_all`` give each row's RRF, dense and BM25 score; ``dense_stats``
        is the mean and spread of the dense score over the allowed rows,
        ``lex_max`` their best lexical score. ``evidence``: the model's own
        similarity per row and its mean and spread, when the ranking's dense
        score went through the query adapter (the answer's evidence reads it);
        None: the ranking's is the model's."""
        weights = {k: v for k, v in self.weights.to_dict().items() if k not in disabled}
        terms = [t for t in dict.fromkeys(_folded_compact(t) for t in tokens) if t]
        idf = {t: self._idf(t) for t in terms}
        idf_total = sum(idf.values()) or 1.0
        weighted = list(idf.items())

        def share(text: str) -> float:
            """The IDF-weighted share of the query's terms ``text`` holds."""
            return sum([w for t, w in weighted if t in text]) / idf_total if weighted else 0.0

        dense_mu, dense_sd = dense_stats if dense_stats is not None else (0.0, 1.0)
        indicators = [_folded_compact(i) for i in analysis.indicators]
        numbers = [_folded_compact(n) for n in analysis.numbers]
        out: list[Candidate] = []
        check_deadline()
        dense_rank = _ranks(rows, dense_all)
        lexical_rank = _ranks(rows, lex_all)
        texts = self._texts.get(rows)
        title_share: dict[int, float] = {}  # per document: pools hold many clauses of few documents
        kind_fit: dict[str, float] = {}
        ranked: list[tuple[str, float]] | None = None  # (feature, weight) in the features' order
        for row in rows:
            text, sec, ind = texts[row]
            kind = self._kind_of_row(row)
            doc = int(self._doc_index[row])
            f: dict[str, float] = {"rrf": float(fused[row])}
            f["dense"] = (float(dense_all[row]) - dense_mu) / dense_sd if dense_all is not None else 0.0
            # for the answer's evidence, not ranked: the model's own similarity, raw and standardised
            if evidence is not None:
                f["cosine"] = evidence[0][row]
                f["cosine_z"] = (f["cosine"] - evidence[1][0]) / evidence[1][1]
            else:
                f["cosine"] = float(dense_all[row]) if dense_all is not None else 0.0
                f["cosine_z"] = f["dense"]
            f["lexical"] = float(lex_all[row]) / lex_max if lex_all is not None and lex_max > 0 else 0.0
            f["coverage"] = share(text)
            ind_text = ind or text
            f["indicator"] = 1.0 if indicators and any(i in ind_text for i in indicators) else 0.0
            f["number"] = sum(1 for n in numbers if n and n in text) / len(numbers) if numbers else 0.0
            fit = kind_fit.get(kind)
            if fit is None:
                fit = kind_fit[kind] = _kind_fit(analysis.intent, kind)
            f["kind"] = fit
            f["section"] = share(sec)
            f["article"] = 1.0 if kind == "article" else 0.0
            f["genre"] = _genre_fit(analysis.genre, self._doc_is_plan[doc])
            if doc not in title_share:
                title_share[doc] = share(self._doc_title_folded[doc])
            f["title"] = title_share[doc]
            # the pool's own order by each signal, sharp at the top (RRF's k=60 is flat there):
            # a clause the dense model puts first is strong evidence when the words differ
            typed_z, typed_cosine = as_typed.get(row, (0.0, f["cosine"])) if as_typed else (0.0, f["cosine"])
            f["dense_question"] = typed_z
            f["cosine_question"] = typed_cosine  # for the answer's evidence, not ranked
            f["dense_rank"] = 5.0 / (5.0 + dense_rank[row]) if row in dense_rank else 0.0
            f["lexical_rank"] = 5.0 / (5.0 + lexical_rank[row]) if row in lexical_rank else 0.0
            f["figure"] = 1.0 if analysis.quantity is not None and prints_quantity(analysis.quantity, text) else 0.0
            if "rerank" in disabled:
                score = f["rrf"]
            else:
                if ranked is None:
                    ranked = [(name, weights[name]) for name in f if name in weights]
                score = sum([w * f[name] for name, w in ranked])
            out.append(Candidate(row=row, score=score, features=f))
        out.sort(key=lambda c: (-c.score, c.row))
        return out


def _ranks(rows: list[int], scores: Mapping[int, float] | None) -> dict[int, int]:
    """Each row's 0-based rank among ``rows`` by ``scores`` (ties: lower row first);
    empty without scores."""
    if scores is None or not rows:
        return {}
    ordered = sorted(rows, key=lambda r: (-float(scores[r]), r))
    return {row: rank for rank, row in enumerate(ordered)}


def _genre_fit(cue: str | None, is_plan: bool) -> float:
    """1 when the question's words point at the clause's genre (a plan for
    规划/纲要, a law or regulation for 法律/合法/违法…), else 0."""
    if cue == "plan":
        return 1.0 if is_plan else 0.0
    if cue == "law":
        return 0.0 if is_plan else 1.0
    return 0.0


def _kind_fit(intent: str, kind: str) -> float:
    """How well a clause kind answers a query intent (0..1)."""
    if intent in ("target", "compare"):
        return {"target": 1.0, "indicator": 1.0, "measure": 0.3}.get(kind, 0.0)
    if intent in ("precedent", "enquiry"):
        return {"measure": 1.0, "article": 1.0, "target": 0.5, "principle": 0.3, "indicator": 0.2}.get(kind, 0.0)
    return 0.0
