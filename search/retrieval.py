"""Hybrid retrieval: dense and lexical candidates, fused, then reranked on
features of each clause against the analysed query."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from index.lexical import tokenize
from index.lexical import top_k as top_k_rows
from index.textnorm import fold
from index.vectors import MISSING_SCORE
from ingest.model import Clause

from .deadline import check as check_deadline
from .fusion import ranked_rows, rrf, spread_across_groups, top_rows
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
# approximate FAISS indexes: a filter to at most this many rows scores them exactly
EXACT_FILTER_ROWS = 20_000


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


# Above RANKING_FULL_MAX allowed rows the dense and lexical rankings fed to
# RRF stop at RANKING_DEPTH rows. A row below that depth in both rankings
# fuses to less than 2/(60+1000), under the 1/(60+pool) that each of the
# dense ranking's first `pool` rows reaches on its own, so the rerank pool
# is unchanged; a pool row loses at most 1/1060 of fused score from the
# ranking where it sits deeper. Below the threshold the rankings are whole.
RANKING_FULL_MAX = 20_000
RANKING_DEPTH = 1_000


class HybridRetriever:
    """Dense + lexical retrieval over one index, with a feature reranker."""

    def __init__(self, reader: Any, weights: RerankWeights | None = None, pool: int = 120):
        self.reader = reader
        self.weights = weights or RerankWeights.load()
        self.pool = pool
        clauses: list[Clause] = reader.clauses
        self._doc_of_row = np.array([c.doc_id for c in clauses], dtype=object)
        self._kind_of_row = [c.kind for c in clauses]
        self._text_folded = [_folded_compact(c.text) for c in clauses]
        self._section_folded = [_folded_compact(" ".join(c.section_path)) for c in clauses]
        self._indicator_folded = [_folded_compact(c.fields.get("indicator", "")) for c in clauses]
        documents = getattr(reader, "documents", {}) or {}
        # a document counts as a plan when the index says so (doc_type), else by default
        self._is_plan = [getattr(documents.get(c.doc_id), "doc_type", "plan") == "plan" for c in clauses]
        self._title_folded = [_folded_compact(getattr(documents.get(c.doc_id), "title", "") or "") for c in clauses]
        self._n = len(clauses)
        # document frequency of query terms, computed lazily per term
        self._df = SubstringDF(self._text_folded)

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
        allowed_rows: np.ndarray,
        top_k: int,
        spread: bool,
        disabled: frozenset[str] = frozenset(),
    ) -> list[Candidate]:
        """Ranked candidates (best first) among ``allowed_rows``."""
        if allowed_rows.size == 0:
            return []
        text = analysis.rewritten or analysis.query
        tokens = tokenize(text)
        vectors = self.reader.vectors
        if getattr(vectors, "backend", "faiss") != "faiss":
            return self._retrieve_candidates(analysis, text, tokens, allowed_rows, top_k, spread, disabled)
        dense_all = None
        dense_stats = None
        exact = getattr(vectors, "exact", True)
        if "dense" not in disabled:
            qvec = self.reader.embed_query(text)
            dense_all = vectors.scores_all(qvec)
            if not exact and allowed_rows.size < min(self._n, EXACT_FILTER_ROWS + 1):
                # an approximate index scores only its ANN candidates; a filter's
                # rows may all lie outside them, so score those rows exactly
                dense_all[allowed_rows] = vectors.scores(qvec, allowed_rows)
            sub = dense_all[allowed_rows]
            dense_stats = (float(sub.mean()), float(sub.std()) or 1.0)
        lex_all = None
        if "lexical" not in disabled and tokens:
            lex_tokens = tokens
            if dense_all is not None and "feedback" not in disabled and PRF_DOCS:
                lex_tokens = tokens + self.feedback_terms(tokens, ranked_rows(dense_all, allowed_rows, PRF_DOCS))
            lex_all = self.reader.lexical.scores(lex_tokens, FIELD_WEIGHTS)
        rankings = []
        # RRF over whole rankings; from RANKING_FULL_MAX rows on, each ranking
        # stops at RANKING_DEPTH (see there): the same rerank pool, a fraction of the sort
        depth = None if allowed_rows.size <= RANKING_FULL_MAX else max(RANKING_DEPTH, 4 * max(self.pool, top_k))
        if dense_all is not None:
            rankings.append(ranked_rows(dense_all, allowed_rows, depth))
        if lex_all is not None and float(lex_all[allowed_rows].max(initial=0.0)) > 0:
            lex_rows = allowed_rows[lex_all[allowed_rows] > 0]
            rankings.append(ranked_rows(lex_all, lex_rows, depth))
        if not rankings:
            return []
        fused = rrf(rankings, self._n)
        pool_rows = top_rows(fused, max(self.pool, top_k))
        lex_max = float(lex_all[allowed_rows].max(initial=0.0)) if lex_all is not None else 0.0
        if dense_all is not None and not exact:
            # the rerank feature wants true scores, not the ANN stand-ins
            dense_all, dense_stats = self._exact_dense(qvec, allowed_rows, pool_rows, dense_all)
        as_typed = self._question_dense(analysis, text, pool_rows) if dense_all is not None else None
        candidates = self._rerank(
            analysis, tokens, pool_rows, fused, dense_all, dense_stats, lex_all, lex_max, disabled, as_typed
        )
        return self._order(candidates, top_k, spread)

    def _question_dense(self, analysis: QueryAnalysis, text: str, rows: list[int]) -> dict[int, float] | None:
        """The pool's dense similarity to the question as typed, standardised over
        the pool: the analysed query drops the question words that e5 reads
        (能不能, 合法吗), and the two readings disagree most on everyday questions."""
        if not rows or analysis.query == text:
            return None
        scores = self.reader.vectors.scores(self.reader.embed_query(analysis.query), np.asarray(rows, dtype=np.int64))
        sd = float(scores.std()) or 1.0
        mu = float(scores.mean())
        return {row: (float(v) - mu) / sd for row, v in zip(rows, scores, strict=True)}

    def _exact_dense(
        self, qvec: np.ndarray, allowed_rows: np.ndarray, pool_rows: list[int], dense_all: np.ndarray | None = None
    ) -> tuple[np.ndarray, tuple[float, float]]:
        """Dense scores computed exactly for the rerank pool and for the
        allowed rows (an evenly spaced sample of DENSE_STATS_SAMPLE when more),
        with their mean and spread over those allowed rows."""
        out = np.full(self._n, MISSING_SCORE, dtype=np.float32) if dense_all is None else dense_all.copy()
        if allowed_rows.size <= DENSE_STATS_SAMPLE:
            sample = allowed_rows
        else:
            sample = allowed_rows[np.linspace(0, allowed_rows.size - 1, DENSE_STATS_SAMPLE).astype(np.int64)]
        rows = np.union1d(sample, np.asarray(pool_rows, dtype=np.int64))
        out[rows] = self.reader.vectors.scores(qvec, rows)
        sub = out[sample]
        return out, (float(sub.mean()), float(sub.std()) or 1.0)

    def _retrieve_candidates(
        self,
        analysis: QueryAnalysis,
        text: str,
        tokens: list[str],
        allowed_rows: np.ndarray,
        top_k: int,
        spread: bool,
        disabled: frozenset[str],
    ) -> list[Candidate]:
        """The same fusion and reranking from a store that returns candidate
        lists instead of a score for every clause (Milvus): the top dense and
        BM25 rows among ``allowed_rows`` are fused by RRF; the rerank pool's
        dense feature is scored exactly, its mean and spread over the allowed
        rows (or an evenly spaced sample of them)."""
        vectors = self.reader.vectors
        restrict = None if allowed_rows.size >= self._n else allowed_rows
        pool = max(self.pool, top_k)
        k = pool * CANDIDATES_PER_POOL_ROW
        rankings = []
        qvec = None
        if "dense" not in disabled:
            qvec = self.reader.embed_query(text)
            dense_hits = vectors.candidates(qvec, k, restrict)
            if dense_hits:
                rankings.append(np.array([row for row, _ in dense_hits], dtype=np.int64))
        lex_hits: list[tuple[int, float]] = []
        if "lexical" not in disabled and tokens:
            if hasattr(vectors, "text_candidates"):
                lex_hits = vectors.text_candidates(text, k, restrict, FIELD_WEIGHTS)
            else:
                lex_hits = top_k_rows(self.reader.lexical.scores(tokens, FIELD_WEIGHTS), k, allowed_rows)
            if lex_hits:
                rankings.append(np.array([row for row, _ in lex_hits], dtype=np.int64))
        if not rankings:
            return []
        fused = rrf(rankings, self._n)
        pool_rows = top_rows(fused, pool)
        dense_all = None
        dense_stats = None
        if qvec is not None:
            dense_all, dense_stats = self._exact_dense(qvec, allowed_rows, pool_rows)
        lex_all = None
        lex_max = 0.0
        if lex_hits:
            lex_all = np.zeros(self._n, dtype=np.float32)
            for row, score in lex_hits:
                lex_all[row] = score
            lex_max = float(lex_hits[0][1])
        as_typed = self._question_dense(analysis, text, pool_rows) if qvec is not None else None
        candidates = self._rerank(
            analysis, tokens, pool_rows, fused, dense_all, dense_stats, lex_all, lex_max, disabled, as_typed
        )
        return self._order(candidates, top_k, spread)

    def _order(self, candidates: list[Candidate], top_k: int, spread: bool) -> list[Candidate]:
        """``candidates`` (reranked, best first), spread across plans if asked."""
        ranked = [(c.row, c.score) for c in candidates]
        if spread:
            ranked = spread_across_groups(
                ranked,
                lambda row: str(self._doc_of_row[row]),
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
        fused: np.ndarray,
        dense_all: np.ndarray | None,
        dense_stats: tuple[float, float] | None,
        lex_all: np.ndarray | None,
        lex_max: float,
        disabled: frozenset[str],
        as_typed: dict[int, float] | None = None,
    ) -> list[Candidate]:
        """Score ``rows`` on their features. ``dense_stats`` is the mean and
        spread of the dense score over the allowed rows, ``lex_max`` their
        best lexical score."""
        weights = {k: v for k, v in self.weights.to_dict().items() if k not in disabled}
        terms = [t for t in dict.fromkeys(_folded_compact(t) for t in tokens) if t]
        idf = {t: self._idf(t) for t in terms}
        idf_total = sum(idf.values()) or 1.0
        dense_mu, dense_sd = dense_stats if dense_stats is not None else (0.0, 1.0)
        indicators = [_folded_compact(i) for i in analysis.indicators]
        numbers = [_folded_compact(n) for n in analysis.numbers]
        out: list[Candidate] = []
        check_deadline()
        dense_rank = _ranks(rows, dense_all)
        lexical_rank = _ranks(rows, lex_all)
        for row in rows:
            text = self._text_folded[row]
            f: dict[str, float] = {"rrf": float(fused[row])}
            f["dense"] = (float(dense_all[row]) - dense_mu) / dense_sd if dense_all is not None else 0.0
            f["lexical"] = float(lex_all[row]) / lex_max if lex_all is not None and lex_max > 0 else 0.0
            f["coverage"] = sum(idf[t] for t in terms if t in text) / idf_total if terms else 0.0
            ind_text = self._indicator_folded[row] or text
            f["indicator"] = 1.0 if indicators and any(i in ind_text for i in indicators) else 0.0
            f["number"] = sum(1 for n in numbers if n and n in text) / len(numbers) if numbers else 0.0
            f["kind"] = _kind_fit(analysis.intent, self._kind_of_row[row])
            sec = self._section_folded[row]
            f["section"] = sum(idf[t] for t in terms if t in sec) / idf_total if terms else 0.0
            f["article"] = 1.0 if self._kind_of_row[row] == "article" else 0.0
            f["genre"] = _genre_fit(analysis.genre, self._is_plan[row])
            title = self._title_folded[row]
            f["title"] = sum(idf[t] for t in terms if t in title) / idf_total if terms else 0.0
            # the pool's own order by each signal, sharp at the top (RRF's k=60 is flat there):
            # a clause the dense model puts first is strong evidence when the words differ
            f["dense_question"] = as_typed.get(row, 0.0) if as_typed else 0.0
            f["dense_rank"] = 5.0 / (5.0 + dense_rank[row]) if row in dense_rank else 0.0
            f["lexical_rank"] = 5.0 / (5.0 + lexical_rank[row]) if row in lexical_rank else 0.0
            if "rerank" in disabled:
                score = f["rrf"]
            else:
                score = sum(weights[name] * value for name, value in f.items() if name in weights)
            out.append(Candidate(row=row, score=score, features=f))
        out.sort(key=lambda c: (-c.score, c.row))
        return out


def _ranks(rows: list[int], scores: np.ndarray | None) -> dict[int, int]:
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
