"""The one library facade the CLI and the HTTP API call."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from index import IndexReader
from index.store import indicator_names
from ingest.model import CLAUSE_KINDS, Clause, Document
from ingest.profiles import get_profile
from ingest.text import CN_NUM, NUM, cn_to_int

from .adapter import QueryAdapter, adapter_for
from .answer import Answer, Answerer
from .deadline import check as check_deadline
from .errors import BadRequest, NotFound
from .generate import GenerationError, GenerationSettings, generate_answer
from .hits import Hit, citation, make_hit
from .query import QueryAnalysis, QueryAnalyzer
from .retrieval import HybridRetriever
from .shared_wording import SharedWordingReport, shared_wording_report
from .similar import SimilarityEngine
from .targets_table import Comparison, ComparisonRow, TargetTable, best_targets_per_document

MAX_TOP_K = 100

# a question about what happens to whoever breaks a rule
_PENALTY_ASKED = re.compile(r"罚|处罚|处分|处理|追究|法律责任|后果|管不管|违法")
# 违反本法第五十八条、第五十九条第一款、第六十条规定的
_CITED_ARTICLE = re.compile(rf"第({NUM})条")
_BREACH = re.compile(
    rf"违反本(?:法|条例|规定|办法|细则)((?:第{NUM}条(?:第[{CN_NUM}]{{1,3}}款)?(?:第[（(]?[{CN_NUM}]{{1,3}}[)）]?项)?[、，和及或者至]{{0,3}}){{1,12}})"
)
# each document's first hits whose penalty articles may follow them, the most added, and
# how far into an article its 违反本法第…条 is looked for
PENALTY_FROM = 3
PENALTY_ADDED = 2
PENALTY_SCAN_CHARS = 400
# documents whose penalty articles are kept mapped at once
PENALTY_CACHE_DOCS = 4096


def search_readings() -> int:
    """How many dense readings of a query a search makes (setting
    ``search_readings``): 1, the query as typed (one query embedding), or 2,
    also the analysed query with the vocabulary's terms, as answers do."""
    from policy_search import settings

    value = settings.get("search_readings").strip()
    if value not in ("1", "2"):
        raise ValueError(f"POLICY_SEARCH_SEARCH_READINGS must be 1 or 2, not {value!r}")
    return int(value)


def query_adapter(reader: IndexReader) -> QueryAdapter | None:
    """The query adapter searches use (setting ``query_adapter``): the bundled
    one when it was fitted for the index's embedder, else None."""
    from policy_search import settings

    value = settings.get("query_adapter").strip()
    if value not in ("0", "1"):
        raise ValueError(f"POLICY_SEARCH_QUERY_ADAPTER must be 0 or 1, not {value!r}")
    if value == "0":
        return None
    return adapter_for(reader.manifest.embedder, int(reader.manifest.dim))


def generation_settings() -> GenerationSettings:
    """The answer-generation endpoint from settings (off when unset)."""
    from policy_search import settings

    return GenerationSettings(
        base_url=settings.get("llm_base_url"),
        model=settings.get("llm_model"),
        api_key=settings.get("llm_api_key"),
        timeout=float(settings.get("llm_timeout") or 30),
    )


@dataclass
class Filters:
    """What a search is restricted to: a place (any division by full or short
    name; a province includes its cities and counties; 全国 the national
    documents), a document, a subject, clause kinds and doc types
    (comma-separated)."""

    jurisdiction: str | None = None
    doc_id: str | None = None
    subject: str | None = None
    kind: str | None = None
    doc_type: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        data = data or {}
        return cls(
            jurisdiction=data.get("jurisdiction") or None,
            doc_id=data.get("doc_id") or None,
            subject=data.get("subject") or None,
            kind=data.get("kind") or None,
            doc_type=data.get("doc_type") or None,
        )


@dataclass
class SearchResult:
    hits: list[Hit]
    took_ms: float
    analysis: QueryAnalysis
    jurisdictions: list[str] = field(default_factory=list)  # jurisdictions searched
    message: str | None = None

    def to_dict(self, with_features: bool = False) -> dict[str, Any]:
        return {
            "results": [h.to_dict(with_features) for h in self.hits],
            "took_ms": round(self.took_ms, 2),
            "analysis": self.analysis.to_dict(),
            "jurisdictions": self.jurisdictions,
            "message": self.message,
        }


class SearchService:
    """Search, documents and clauses over one opened index."""

    def __init__(self, reader: IndexReader):
        self.reader = reader
        self.documents: dict[str, Document] = dict(reader.documents)
        # clauses by row and rows by clause id, read from the store on demand:
        # nothing here holds a Python object per clause
        self.clauses: Sequence[Clause] = reader.clauses
        self.row_of: Mapping[str, int] = reader.row_of
        self._store = reader.store
        self._targets: TargetTable | None = None
        self._targets_lock = threading.Lock()
        self.analyzer = QueryAnalyzer(self.documents.values(), self._indicator_names())
        self._all_jurisdictions = sorted({d.jurisdiction_name or "未知地区" for d in self.documents.values()})
        self.retriever = HybridRetriever(reader, adapter=query_adapter(reader))
        self.answerer = Answerer(self)
        self._similarity: SimilarityEngine | None = None
        self._similarity_lock = threading.Lock()
        self._shared_wording: dict[tuple[int, float], SharedWordingReport] = {}
        self._penalty_map: dict[str, dict[str, list[int]]] = {}
        self.search_readings = search_readings()

    @classmethod
    def open(cls, index_dir: Path | str, embedder_spec: str | None = None) -> SearchService:
        from index import get_embedder

        embedder = get_embedder(embedder_spec) if embedder_spec else None
        return cls(IndexReader.open(Path(index_dir), embedder=embedder))

    @property
    def targets(self) -> TargetTable:
        """Every target of the index (read from the store on first use)."""
        if self._targets is None:
            with self._targets_lock:
                if self._targets is None:
                    self._targets = TargetTable(self.documents, self.clauses, self._store.targets)
        return self._targets

    def _indicator_names(self) -> list[str]:
        """Indicator names a query may mention: printed names and their normalised
        forms (stored at build time; else from every clause and target)."""
        stored = getattr(self._store, "indicator_names", None)
        if stored is not None:
            return list(stored)
        return indicator_names(self.clauses, self.targets.targets)

    def _rows_of_doc(self, doc_id: str) -> np.ndarray:
        """The rows of one document, ascending (empty if unknown)."""
        return self._store.rows_of_doc(doc_id)

    def _doc_ids_of(self, rows: np.ndarray) -> set[str]:
        """The documents ``rows`` belong to."""
        return self._store.doc_ids_of_rows(rows)

    def _doc_clauses(self, doc_id: str) -> list[tuple[int, Clause]]:
        """(row, clause) of one document in reading order."""
        rows = self._rows_of_doc(doc_id)
        return sorted(zip(rows.tolist(), self._store.clauses_at(rows), strict=True), key=lambda rc: rc[1].order)

    # ---- documents and clauses -------------------------------------------------

    def list_documents(self) -> list[dict[str, Any]]:
        out = []
        names = self._store.kind_names
        for doc_id, doc in self.documents.items():
            rows = self._rows_of_doc(doc_id)
            kinds: dict[str, int] = {}
            for code in self._store.kind_code[rows].tolist():  # in row order, as the clauses were
                kinds[names[code]] = kinds.get(names[code], 0) + 1
            data = doc.to_dict()
            data["clause_count"] = int(rows.size)
            data["clause_kinds"] = kinds
            out.append(data)
        return out

    def get_document(self, doc_id: str) -> dict[str, Any]:
        doc = self.documents.get(doc_id)
        if doc is None:
            raise NotFound(f"no document with id {doc_id!r}; GET /v1/documents lists the ids")
        ordered = self._doc_clauses(doc_id)
        data = doc.to_dict()
        data["clause_count"] = len(ordered)
        data["clauses"] = [self._hit(clause, 0.0).to_dict() for _, clause in ordered]
        return data

    def get_clause(self, clause_id: str, context: int = 3) -> dict[str, Any]:
        row = self.row_of.get(clause_id)
        if row is None:
            raise NotFound(f"no clause with id {clause_id!r}")
        clause = self.clauses[row]
        doc = self.documents[clause.doc_id]
        same_doc = [c for _, c in self._doc_clauses(clause.doc_id)]
        pos = [c.clause_id for c in same_doc].index(clause_id)
        section = [self._hit(c, 0.0).to_dict() for c in same_doc if c.section_path == clause.section_path]
        before = [self._hit(c, 0.0).to_dict() for c in same_doc[max(0, pos - context):pos]]
        after = [self._hit(c, 0.0).to_dict() for c in same_doc[pos + 1:pos + 1 + context]]
        return {
            "clause": self._hit(clause, 0.0).to_dict(),
            "document": doc.to_dict(),
            "before": before,
            "after": after,
            "section": section,
        }

    def hit_for(self, clause: Clause, score: float = 0.0, terms: list[str] | None = None) -> Hit:
        """A Hit (clause with its citation) for any clause of the index."""
        return make_hit(self.documents[clause.doc_id], clause, score, terms or [])

    def _hit(self, clause: Clause, score: float, terms: list[str] | None = None, features: dict[str, float] | None = None) -> Hit:
        return make_hit(self.documents[clause.doc_id], clause, score, terms or [], features)

    def citation_of(self, clause: Clause) -> str:
        return citation(self.documents[clause.doc_id], clause)

    # ---- filters -----------------------------------------------------------------

    def resolve_filters(self, filters: Filters, analysis: QueryAnalysis | None = None) -> tuple[np.ndarray, list[str], str | None]:
        """Rows allowed by the filters (and by a place named in the query), the
        jurisdictions searched, and a message when nothing can match or when a
        named place has no documents of its own (those of the areas containing
        it are searched)."""
        rows, jurisdictions, message = self._scope(filters, analysis)
        if rows is None:
            rows = np.arange(len(self.clauses), dtype=np.int64)
        return rows, jurisdictions, message

    def _scope(self, filters: Filters, analysis: QueryAnalysis | None = None) -> tuple[np.ndarray | None, list[str], str | None]:
        """``resolve_filters`` with None for "every row" (nothing restricts the
        search): no array over every row for an unfiltered query."""
        doc_ids = set(self.documents)
        message = None
        if filters.jurisdiction:
            match = self.analyzer.resolve_jurisdiction(filters.jurisdiction)
            if not match.doc_ids:
                return np.array([], dtype=np.int64), [], self._no_place_message(filters.jurisdiction)
            doc_ids &= match.doc_ids
            if match.covering:
                message = self._covering_message(filters.jurisdiction, match.covering)
        elif analysis is not None and analysis.unknown_jurisdiction:
            return np.array([], dtype=np.int64), [], self._no_place_message(analysis.unknown_jurisdiction)
        elif analysis is not None and analysis.doc_ids is not None and analysis.titles_named < 2:
            # (two documents named by title are the scope whatever places qualify
            # them: 国家的未成年人保护法和山东的…条例; one title that several documents
            # share, 儿童发展规划, is the named place's: 临汾市儿童发展规划)
            doc_ids &= analysis.doc_ids
            if analysis.covering:
                message = self._covering_message("、".join(analysis.jurisdictions), analysis.covering)
        if analysis is not None and analysis.title_doc_ids is not None and doc_ids & analysis.title_doc_ids:
            doc_ids &= analysis.title_doc_ids  # a document the question names by its title
        if filters.doc_id:
            if filters.doc_id not in self.documents:
                raise NotFound(f"no document with id {filters.doc_id!r}; GET /v1/documents lists the ids")
            doc_ids &= {filters.doc_id}
        if filters.subject:
            doc_ids &= {d for d, doc in self.documents.items() if (doc.subject or "") == filters.subject or filters.subject in doc.title}
        if filters.doc_type:
            types = {t.strip() for t in filters.doc_type.split(",") if t.strip()}
            doc_ids &= {d for d, doc in self.documents.items() if doc.doc_type in types}
        kinds = {k.strip() for k in filters.kind.split(",") if k.strip()} if filters.kind else set()
        unknown = kinds - set(CLAUSE_KINDS)
        if unknown:
            raise BadRequest(f"unknown clause kind {sorted(unknown)}; use one of {list(CLAUSE_KINDS)}")
        if len(doc_ids) == len(self.documents):
            jurisdictions = list(self._all_jurisdictions)
        else:
            jurisdictions = sorted({self.documents[d].jurisdiction_name or "未知地区" for d in doc_ids})
        rows: np.ndarray | None
        if len(doc_ids) == len(self.documents) and not kinds:
            rows = None  # every row
        else:
            rows = np.concatenate([self._rows_of_doc(d) for d in sorted(doc_ids)]) if doc_ids else np.array([], dtype=np.int64)
            if kinds:
                codes = [i for i, name in enumerate(self._store.kind_names) if name in kinds]
                rows = rows[np.isin(self._store.kind_code[rows], codes)]
            rows = np.sort(rows)
            if rows.size == 0 and message is None:
                message = "没有符合筛选条件的条款。"
        return rows, jurisdictions, message

    def _no_place_message(self, place: str) -> str:
        known = "、".join(self.analyzer.jurisdiction_names)
        return f"语料中没有“{place}”的文件。现有地区：{known}"

    def filter_doc_ids(self, filters: Filters, analysis: QueryAnalysis | None = None) -> set[str]:
        """The documents with a row the filters allow (see ``resolve_filters``)."""
        rows, _, _ = self._scope(filters, analysis)
        return set(self.documents) if rows is None else self._doc_ids_of(rows)

    @staticmethod
    def _covering_message(place: str, covering: list[str]) -> str:
        return f"语料中没有“{place}”自己的文件；以下来自包含它的{'、'.join(covering)}的文件。"

    # ---- search -----------------------------------------------------------------------

    def search(
        self,
        query: str,
        top_k: int = 10,
        filters: Filters | None = None,
        *,
        disabled: frozenset[str] = frozenset(),
        with_features: bool = False,
        readings: int | None = None,
        analysis: QueryAnalysis | None = None,
    ) -> SearchResult:
        """The ``top_k`` best clauses for ``query`` within ``filters``.
        ``readings``: dense readings of the query, 1 or 2 (None: the setting
        ``search_readings``; answers pass 2). ``analysis``: the analysis of the
        stripped ``query`` when the caller has made it (an answer decides how to
        search by it), so it is not made twice."""
        started = time.perf_counter()
        query = (query or "").strip()
        if not query:
            raise BadRequest("query is empty; type a few words such as 防止儿童溺水")
        if not 1 <= top_k <= MAX_TOP_K:
            raise BadRequest(f"top_k must be between 1 and {MAX_TOP_K}")
        filters = filters or Filters()
        if analysis is None:
            analysis = self.analyzer.analyze(query)
        if "synonyms" in disabled:
            analysis.expansions, analysis.synonym_hits = [], []
        rows, jurisdictions, message = self._scope(filters, analysis)
        if rows is not None and rows.size == 0:
            return SearchResult([], (time.perf_counter() - started) * 1000, analysis, jurisdictions, message)
        spread = self.should_spread(analysis, filters) and "spread" not in disabled
        check_deadline()
        candidates = self.retriever.retrieve(
            analysis, rows, top_k, spread, disabled, readings=self.search_readings if readings is None else readings
        )
        check_deadline()
        terms = self._highlight_terms(analysis)
        hits = []
        seen: set[str] = set()
        top = max((c.score for c in candidates), default=1.0)
        # the clauses shown, fetched together
        self._store.clauses_at([c.row for c in candidates[: top_k + 5]])
        for row in self._named_articles(analysis, rows):
            # an article the question names (未成年人保护法第二十条) comes first
            clause = self.clauses[row]
            seen.add(clause.clause_id)
            hits.append(self._hit(clause, top, terms))
        for cand in candidates:
            clause = self.clauses[cand.row]
            if clause.clause_id in seen:
                continue
            seen.add(clause.clause_id)
            hits.append(self._hit(clause, cand.score, terms, cand.features if with_features else None))
            if len(hits) >= top_k:
                break
        if "penalties" not in disabled and _PENALTY_ASKED.search(analysis.folded):
            hits = self._with_penalties(hits, rows, terms, top_k)
        return SearchResult(hits, (time.perf_counter() - started) * 1000, analysis, jurisdictions, message)

    def _with_penalties(self, hits: list[Hit], rows: np.ndarray | None, terms: list[str], top_k: int) -> list[Hit]:
        """A question about what happens to whoever breaks a rule: the article
        that punishes breaking it cites the rule by number (违反本法第五十八条…规定的,
        由…处…罚款) and shares few words with the question. It follows the best
        rule articles it cites: each document's first PENALTY_FROM (a question
        about two laws names a rule of each)."""
        out: list[Hit] = []
        placed: set[str] = set()
        # a penalty article already ranked lower is moved up beside its rule
        later = {h.clause_id: h for h in hits}
        added = 0
        per_doc: dict[str, int] = {}
        for hit in hits:
            if hit.clause_id in placed:
                continue
            out.append(hit)
            placed.add(hit.clause_id)
            in_doc = per_doc[hit.doc_id] = per_doc.get(hit.doc_id, -1) + 1
            if in_doc >= PENALTY_FROM or added >= PENALTY_ADDED or hit.kind != "article":
                continue
            number = self.clauses[self.row_of[hit.clause_id]].fields.get("article")
            for row in self._penalties_of(hit.doc_id).get(str(number), [])[:1]:  # its first penalty article
                if rows is not None and not np.isin(row, rows):
                    continue
                clause = self.clauses[row]
                if clause.clause_id in placed:
                    continue
                placed.add(clause.clause_id)
                ranked = later.get(clause.clause_id)
                # at its rule's score, as it now stands beside it
                out.append(replace(ranked, score=hit.score) if ranked is not None else self._hit(clause, hit.score, terms))
                added += 1
        return out[:top_k]

    def _penalties_of(self, doc_id: str) -> dict[str, list[int]]:
        """Article number → rows of the articles of ``doc_id`` that punish
        breaking it (违反本法第五十八条、第五十九条第一款…规定的), built once per document."""
        cached = self._penalty_map.get(doc_id)
        if cached is not None:
            return cached
        out: dict[str, list[int]] = {}
        for row, clause in self._doc_clauses(doc_id):
            for breach in _BREACH.finditer(clause.text[:PENALTY_SCAN_CHARS]):
                for number in _CITED_ARTICLE.findall(breach.group(1)):
                    value = cn_to_int(number)
                    if value is not None and str(value) != clause.fields.get("article"):
                        out.setdefault(str(value), []).append(row)
        if len(self._penalty_map) >= PENALTY_CACHE_DOCS:
            self._penalty_map.clear()  # bounded on a large index: rebuilt as documents come up
        self._penalty_map[doc_id] = out
        return out

    def _named_articles(self, analysis: QueryAnalysis, rows: np.ndarray | None) -> list[int]:
        """Rows of the articles a question names by number in a document it
        names by title (未成年人保护法第二十条), within the allowed rows (None: all)."""
        if not analysis.articles or not analysis.title_doc_ids:
            return []
        wanted = {(str(n), str(sub) if sub else None) for n, sub in analysis.articles}
        out = []
        for doc_id in sorted(analysis.title_doc_ids):
            doc_rows = self._rows_of_doc(doc_id)
            if rows is not None:
                doc_rows = doc_rows[np.isin(doc_rows, rows)]
            for row, clause in zip(doc_rows.tolist(), self._store.clauses_at(doc_rows), strict=True):
                if (clause.fields.get("article"), clause.fields.get("article_sub")) in wanted:
                    out.append(row)
        return out

    @staticmethod
    def should_spread(analysis: QueryAnalysis, filters: Filters) -> bool:
        """Cover every plan in the top results for questions across regions and
        wording searches, instead of near-duplicates from one plan. An enquiry
        wants the clauses that answer it wherever they are: spreading it put
        other documents' best clauses above them (recall@10 on the tune
        enquiries 0.960 → 0.928, on the citizen set 0.760 → 0.744)."""
        return analysis.intent in ("compare", "precedent")

    def _highlight_terms(self, analysis: QueryAnalysis) -> list[str]:
        terms = [t for t in analysis.tokens(analysis.rewritten) if len(t) >= 2]
        terms += analysis.indicators + analysis.expansions
        # words in a third of all clauses (儿童, 发展) would light up everything
        common = max(10, len(self.clauses) // 3)
        return [t for t in dict.fromkeys(terms) if self.retriever.document_frequency(t) <= common]

    # ---- answers, targets, comparison ----------------------------------------------

    def ask(
        self,
        question: str,
        filters: Filters | None = None,
        *,
        generate: bool = False,
        generation: GenerationSettings | None = None,
    ) -> Answer:
        """Answer a question; with ``generate``, also a fluent answer written by
        the configured OpenAI-compatible endpoint from the cited clauses only."""
        question = (question or "").strip()
        if not question:
            raise BadRequest("question is empty; ask something such as 大渡口区婴儿死亡率的目标是多少？")
        answer = self.answerer.ask(question, filters or Filters())
        if generate:
            config = generation or generation_settings()
            if not config.enabled:
                raise BadRequest(
                    "answer generation is not configured; set POLICY_SEARCH_LLM_BASE_URL and POLICY_SEARCH_LLM_MODEL"
                )
            if answer.found:
                try:
                    answer.generated = generate_answer(question, answer.citations, config).to_dict()
                except GenerationError as exc:
                    answer.generation_error = str(exc)
        return answer

    def list_targets(self, jurisdiction: str | None = None, indicator: str | None = None, doc_id: str | None = None) -> list[dict[str, Any]]:
        doc_ids = self.filter_doc_ids(Filters(jurisdiction=jurisdiction, doc_id=doc_id))
        return [self.targets.row(t) for t in self.targets.filter(doc_ids=doc_ids, indicator=indicator)]

    def targets_csv(self, jurisdiction: str | None = None, indicator: str | None = None, doc_id: str | None = None) -> str:
        doc_ids = self.filter_doc_ids(Filters(jurisdiction=jurisdiction, doc_id=doc_id))
        return self.targets.to_csv(self.targets.filter(doc_ids=doc_ids, indicator=indicator))

    def compare(self, indicator: str, filters: Filters | None = None) -> Comparison:
        """One row per plan that quantifies the indicator; the others listed as missing."""
        indicator = (indicator or "").strip()
        if not indicator:
            raise BadRequest("indicator is empty; try 婴儿死亡率 or 近视率")
        rows, _, message = self._scope(filters or Filters())
        doc_ids = set(self.documents) if rows is None else self._doc_ids_of(rows)
        if not doc_ids and message:
            raise BadRequest(message)
        per_doc = best_targets_per_document(self.targets, indicator, doc_ids)
        comparison = Comparison(indicator=indicator)
        for doc_id in [d for d in self.documents if d in per_doc]:
            check_deadline()
            targets = per_doc[doc_id]
            first = targets[0]
            clause = self.clauses[self.row_of[first.clause_id]]
            comparison.rows.append(
                ComparisonRow(
                    doc_id=doc_id,
                    jurisdiction=self.documents[doc_id].jurisdiction_name,
                    indicator="、".join(dict.fromkeys(t.indicator for t in targets)),
                    value="、".join(t.value_text for t in targets),
                    comparator=first.comparator,
                    unit=first.unit,
                    year=first.year,
                    attribute=first.attribute,
                    targets=[self.targets.row(t) for t in targets],
                    hit=self._hit(clause, 0.0, [indicator]).to_dict(),
                )
            )
        # only documents that set targets (plans, not laws) can be missing one, and a
        # plan of another subject (a women's plan for a children's indicator) is not "missing"
        setters = {d for d in doc_ids if get_profile(self.documents[d].profile).sets_targets}
        subjects = {self.documents[d].subject for d in per_doc} or {self.documents[d].subject for d in setters}
        comparison.missing = [
            d for d in self.documents if d in setters and d not in per_doc and self.documents[d].subject in subjects
        ]
        return comparison

    # ---- precedent wording -----------------------------------------------------------

    @property
    def similarity(self) -> SimilarityEngine:
        """The near-duplicate engine, built on first use (MinHash LSH + clause vectors)."""
        if self._similarity is None:
            with self._similarity_lock:
                if self._similarity is None:
                    self._similarity = SimilarityEngine(self.documents, self.clauses, self._clause_vectors())
        return self._similarity

    def _clause_vectors(self) -> np.ndarray:
        """One vector per clause: the normalised mean of its chunks' vectors."""
        vectors = self.reader.vectors
        matrix = vectors.matrix()
        out = np.zeros((len(self.clauses), matrix.shape[1]), dtype=np.float32)
        np.add.at(out, vectors.chunk_rows, matrix)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms

    def similar(
        self,
        *,
        clause_id: str | None = None,
        text: str | None = None,
        top_k: int = 10,
        filters: Filters | None = None,
    ) -> dict[str, Any]:
        """Clauses of other plans that say the same thing, grouped
        (near-identical / reworded / related), each with a character diff."""
        if bool(clause_id) == bool(text and text.strip()):
            raise BadRequest("give either clause_id or text (not both)")
        if not 1 <= top_k <= MAX_TOP_K:
            raise BadRequest(f"top_k must be between 1 and {MAX_TOP_K}")
        doc_ids = None
        if filters and any(vars(filters).values()):
            rows, _, message = self._scope(filters)
            doc_ids = set(self.documents) if rows is None else self._doc_ids_of(rows)
            if not doc_ids:
                raise BadRequest(message or "no plan matches the filters")
        if clause_id is not None:
            if clause_id not in self.row_of:
                raise NotFound(f"no clause with id {clause_id!r}")
            matches = self.similarity.similar(clause_id=clause_id, top_k=top_k, doc_ids=doc_ids)
            source = self._hit(self.clauses[self.row_of[clause_id]], 1.0).to_dict()
        else:
            text = (text or "").strip()
            vector = self.reader.embedder.embed_passages([text])[0]
            matches = self.similarity.similar(text=text, query_vector=vector, top_k=top_k, doc_ids=doc_ids, exclude_same_doc=False)
            source = {"text": text}
        results = []
        for m in matches:
            results.append({
                "clause": self._hit(m.clause, m.score).to_dict(),
                "score": round(m.score, 4),
                "cosine": None if m.cosine is None else round(m.cosine, 4),
                "char_similarity": round(m.char_similarity, 4),
                "group": m.group,
                "diff": [d.to_dict() for d in m.diff],
                "matched_text": m.matched_text,
            })
        return {"source": source, "results": results}

    def shared_wording(self, min_plans: int = 2, threshold: float = 0.8) -> SharedWordingReport:
        if min_plans < 2:
            raise BadRequest("min_plans must be at least 2")
        if not 0.5 <= threshold <= 1.0:
            raise BadRequest("threshold must be between 0.5 and 1.0")
        key = (min_plans, round(threshold, 4))
        report = self._shared_wording.get(key)
        if report is None:
            # the report depends only on the (immutable) index: compute once per setting
            report = shared_wording_report(self.documents, self.clauses, self.similarity, min_plans=min_plans, threshold=threshold)
            with self._similarity_lock:
                if len(self._shared_wording) >= 16:
                    self._shared_wording.pop(next(iter(self._shared_wording)))
                self._shared_wording[key] = report
        return report
