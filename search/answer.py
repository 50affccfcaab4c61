"""Answers: a short answer, a sentence a clerk can read out, and the clauses
to quote — or an honest "the plans do not say". No language model involved."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from index.lexical import tokenize
from index.textnorm import fold
from ingest.model import Target

from .hits import Hit, clean_heading
from .query import QueryAnalysis
from .targets_table import best_targets_per_document, indicator_closeness, longest_common_substring

if TYPE_CHECKING:
    from .service import Filters, SearchService

_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])")
# Found only when the best clause covers this share of the question's
# content (IDF-weighted); tuned on the dev set's answerable/unanswerable lines.
MIN_COVERAGE = 0.45


@dataclass
class Answer:
    found: bool
    answer: str | None
    answer_text: str
    citations: list[Hit]
    intent: str
    values: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "answer": self.answer,
            "answer_text": self.answer_text,
            "citations": [h.to_dict() for h in self.citations],
            "intent": self.intent,
            "values": self.values,
        }


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


class Answerer:
    """Builds answers from search results and the target table."""

    def __init__(self, service: SearchService):
        self.service = service
        self.table = service.targets
        texts = [fold(c.text) for c in service.clauses]
        self._texts = texts
        self._df: dict[str, int] = {}

    def _idf(self, term: str) -> float:
        if term not in self._df:
            self._df[term] = sum(1 for t in self._texts if term in t)
        return math.log(1 + (len(self._texts) + 1) / (self._df[term] + 1))

    def coverage(self, analysis: QueryAnalysis, text: str) -> float:
        """IDF-weighted share of the question's content terms found in text;
        a colloquial term counts as found when one of its plan words is."""
        folded = fold(text)
        terms = [t for t in dict.fromkeys(tokenize(analysis.content)) if len(t) >= 2 or t.isdigit()]
        if not terms:
            return 0.0
        alternates = {fold(a) for a in analysis.expansions}
        total = got = 0.0
        for term in terms:
            w = self._idf(term)
            total += w
            if term in folded or any(term in a and a in folded for a in alternates):
                got += w
        return got / total if total else 0.0

    def ask(self, question: str, filters: Filters) -> Answer:
        svc = self.service
        result = svc.search(question, top_k=8, filters=filters)
        analysis = result.analysis
        if not result.hits:
            return Answer(False, None, result.message or "规划中没有找到相关内容。", [], analysis.intent)
        doc_ids = {h.doc_id for h in result.hits} | self._docs_in_scope(filters, analysis)
        if analysis.intent == "compare" or (len(analysis.jurisdictions) != 1 and not filters.jurisdiction and analysis.indicators and analysis.intent == "target" and _asks_all(question)):
            answer = self._compare_answer(question, analysis, result.hits, doc_ids)
            if answer is not None:
                return answer
        if analysis.indicators or analysis.intent == "target":
            answer = self._target_answer(question, analysis, result.hits, doc_ids)
            if answer is not None:
                return answer
        return self._sentence_answer(analysis, result.hits)

    def _docs_in_scope(self, filters: Filters, analysis: QueryAnalysis) -> set[str]:
        rows, _, _ = self.service.resolve_filters(filters, analysis)
        return {self.service.clauses[int(r)].doc_id for r in rows}

    # ---- a target value ------------------------------------------------------------

    def _target_answer(self, question: str, analysis: QueryAnalysis, hits: list[Hit], doc_ids: set[str]) -> Answer | None:
        scope = self._scope_docs(analysis, hits, doc_ids)
        if analysis.indicators:
            indicator = max(analysis.indicators, key=len)
            per_doc = best_targets_per_document(self.table, indicator, scope)
            if not per_doc:
                names = "、".join(sorted({self.service.documents[d].jurisdiction.name for d in scope}))
                others = best_targets_per_document(self.table, indicator, set(self.service.documents) - scope)
                elsewhere = ""
                if others:
                    elsewhere = "其他规划中有此指标：" + "；".join(
                        f"{self.service.documents[d].jurisdiction.name}{ts[0].value_text}" for d, ts in sorted(others.items())
                    ) + "。"
                return Answer(False, None, f"{names}的规划没有规定“{indicator}”的目标。{elsewhere}", [], "target")
        # targets carried by the best clauses, best clause first
        best: tuple[float, int, Target] | None = None
        for rank, hit in enumerate(hits[:5]):
            for t in self.table.by_clause.get(hit.clause_id, []):
                fit = self._target_fit(question, analysis, t)
                score = fit - 0.08 * rank
                if best is None or score > best[0]:
                    best = (score, rank, t)
        if best is None or best[0] < 0.25:
            return None
        _, rank, target = best
        hit = hits[rank]
        doc = self.service.documents[target.doc_id]
        year = f"到{target.year}年" if target.year else ""
        text = f"《{doc.title}》{_where(hit)}提出：{year}{target.indicator}{_phrase(target)}。"
        return Answer(True, target.value_text, text, [hit], "target", [self.table.row(target)])

    def _target_fit(self, question: str, analysis: QueryAnalysis, target: Target) -> float:
        q = fold(analysis.content)
        name = fold(target.indicator)
        common = longest_common_substring(q, name)
        fit = common / max(len(name), 1)
        if analysis.indicators:
            fit = max(fit, max(indicator_closeness(i, target.indicator) for i in analysis.indicators))
        return fit

    def _scope_docs(self, analysis: QueryAnalysis, hits: list[Hit], doc_ids: set[str]) -> set[str]:
        if analysis.jurisdictions:
            return {d for d, doc in self.service.documents.items() if doc.jurisdiction.name in analysis.jurisdictions} & (doc_ids or set(self.service.documents))
        return doc_ids or {h.doc_id for h in hits}

    # ---- values across regions ---------------------------------------------------------

    def _compare_answer(self, question: str, analysis: QueryAnalysis, hits: list[Hit], doc_ids: set[str]) -> Answer | None:
        indicator = max(analysis.indicators, key=len) if analysis.indicators else None
        values: list[dict[str, Any]] = []
        citations: list[Hit] = []
        if indicator:
            per_doc = best_targets_per_document(self.table, indicator, doc_ids | set(self.service.documents) if not analysis.jurisdictions else doc_ids)
            for doc_id in sorted(per_doc, key=lambda d: list(self.service.documents).index(d)):
                targets = per_doc[doc_id]
                clause = self.service.clauses[self.service.row_of[targets[0].clause_id]]
                citations.append(self.service._hit(clause, 0.0))
                values.append({"doc_id": doc_id, "jurisdiction": self.service.documents[doc_id].jurisdiction.name,
                               "value": "、".join(t.value_text for t in targets), "targets": [self.table.row(t) for t in targets]})
        else:
            # no named indicator: the best clause of each plan, with the values it states
            seen: set[str] = set()
            for hit in hits:
                if hit.doc_id in seen:
                    continue
                seen.add(hit.doc_id)
                targets = self.table.by_clause.get(hit.clause_id, [])
                citations.append(hit)
                values.append({"doc_id": hit.doc_id, "jurisdiction": hit.jurisdiction,
                               "value": "、".join(t.value_text for t in targets) if targets else _best_sentence(self, analysis, hit.text),
                               "targets": [self.table.row(t) for t in targets]})
        if not values:
            return None
        short = "; ".join(f"{v['doc_id']}: {v['value']}" for v in values)
        text = "各规划的规定：" + "；".join(f"{v['jurisdiction']}（{self.service.documents[v['doc_id']].subject or ''}）{v['value']}" for v in values) + "。"
        return Answer(True, short, text, citations, "compare", values)

    # ---- a sentence ----------------------------------------------------------------------

    def _sentence_answer(self, analysis: QueryAnalysis, hits: list[Hit]) -> Answer:
        top = hits[0]
        cover = self.coverage(analysis, top.text + " " + " ".join(top.section_path))
        if cover < MIN_COVERAGE:
            return Answer(
                False, None,
                "规划中没有找到直接回答这个问题的条款（最接近的条款列在下方，仅供参考）。",
                hits[:3], analysis.intent,
            )
        sentence = _best_sentence(self, analysis, top.text)
        doc = self.service.documents[top.doc_id]
        citations = [top] + [h for h in hits[1:3] if self.coverage(analysis, h.text) >= MIN_COVERAGE]
        return Answer(True, sentence, f"《{doc.title}》{_where(top)}规定：{sentence}", citations, analysis.intent)


def _asks_all(question: str) -> bool:
    return any(w in question for w in ("各地", "各区", "哪些地区", "分别", "对比", "比较"))


def _best_sentence(answerer: Answerer, analysis: QueryAnalysis, text: str) -> str:
    sentences = split_sentences(text)
    if len(sentences) <= 1:
        return text.strip()
    scored = [(answerer.coverage(analysis, s), -i, s) for i, s in enumerate(sentences)]
    return max(scored)[2].strip()


def _where(hit: Hit) -> str:
    parts = [clean_heading(p) for p in hit.section_path[-2:] if p]
    where = "".join(parts)
    if hit.number:
        where += f"第{hit.number}项"
    return where


def _phrase(target: Target) -> str:
    v = target.value_text
    if target.qualitative:
        return v
    if target.comparator_text and target.comparator_text in v:
        return v
    verb = target.comparator_text or ""
    return f"{verb}{v}" if verb else f"为{v}"
