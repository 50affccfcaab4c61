"""Answers: a short answer, a sentence a clerk can read out, and the clauses
to quote — or an honest "the plans do not say". No language model involved."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from index.lexical import words
from ingest.model import Target
from ingest.text import fold, item_number_end

from .hits import Hit
from .query import QueryAnalysis
from .targets_table import best_targets_per_document
from .termstats import SubstringDF

if TYPE_CHECKING:
    from .service import Filters, SearchService

_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])")
# Found only when the best clause covers this share of the question's
# content (IDF-weighted); tuned on the dev set's answerable/unanswerable lines.
MIN_COVERAGE = 0.33


@dataclass
class Answer:
    found: bool
    answer: str | None
    answer_text: str
    citations: list[Hit]
    intent: str
    values: list[dict[str, Any]] = field(default_factory=list)
    generated: dict[str, Any] | None = None  # a fluent answer, when asked for and configured
    generation_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "found": self.found,
            "answer": self.answer,
            "answer_text": self.answer_text,
            "citations": [h.to_dict() for h in self.citations],
            "intent": self.intent,
            "values": self.values,
        }
        if self.generated is not None:
            data["generated"] = self.generated
        if self.generation_error is not None:
            data["generation_error"] = self.generation_error
        return data


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


class Answerer:
    """Builds answers from search results and the target table."""

    def __init__(self, service: SearchService):
        self.service = service
        self.table = service.targets
        self._df = SubstringDF([fold(c.text) for c in service.clauses])

    def _idf(self, term: str) -> float:
        return self._df.idf(term)

    def coverage(self, analysis: QueryAnalysis, text: str) -> float:
        """IDF-weighted share of the question's content words found in text;
        a colloquial word counts as found when one of its plan words is."""
        folded = fold(text)
        terms = [t for t in dict.fromkeys(words(analysis.content)) if len(t) >= 2 or t.isdigit()]
        if not terms:
            return 0.0
        total = got = 0.0
        for term in terms:
            w = self._idf(term)
            total += w
            if term in folded or any(
                alt in folded for key, alts in analysis.synonym_hits if key in term or term in key for alt in alts
            ):
                got += w
        return got / total if total else 0.0

    def ask(self, question: str, filters: Filters) -> Answer:
        svc = self.service
        result = svc.search(question, top_k=12, filters=filters)
        analysis = result.analysis
        if not result.hits:
            return Answer(False, None, result.message or "规划中没有找到相关内容。", [], analysis.intent)
        scope = self._docs_in_scope(filters, analysis)
        if analysis.intent == "compare":
            answer = self._compare_answer(analysis, result.hits, scope)
            if answer is not None:
                return answer
        if analysis.intent in ("target", "compare") or analysis.indicators:
            answer = self._target_answer(analysis, result.hits, scope)
            if answer is not None:
                return answer
            if _asks_quantity(analysis.query):
                return Answer(
                    False, None,
                    "规划提到了相关内容，但没有规定具体的数字或目标值（最接近的条款列在下方，仅供参考）。",
                    result.hits[:3], analysis.intent,
                )
        return self._sentence_answer(analysis, result.hits)

    def _docs_in_scope(self, filters: Filters, analysis: QueryAnalysis) -> set[str]:
        rows, _, _ = self.service.resolve_filters(filters, analysis)
        return {self.service.clauses[int(r)].doc_id for r in rows}

    # ---- target values ------------------------------------------------------------

    def _candidates(self, analysis: QueryAnalysis, hits: list[Hit], doc_id: str) -> list[tuple[float, Target]]:
        """Targets of one plan that could answer the question, best first:
        those of its best clauses, and those whose indicator the question names."""
        rank_of: dict[str, int] = {}
        for hit in (h for h in hits if h.doc_id == doc_id):
            rank_of.setdefault(hit.clause_id, len(rank_of))
        pool: dict[int, tuple[Target, float]] = {}
        for clause_id, rank in rank_of.items():
            if rank < 3:
                for t in self.table.by_clause.get(clause_id, []):
                    pool[id(t)] = (t, 0.3 * rank)
        for name in analysis.indicators:
            for t in self.table.filter(doc_ids={doc_id}, indicator=name):
                penalty = 0.3 * rank_of[t.clause_id] if t.clause_id in rank_of else 0.6
                if id(t) not in pool or pool[id(t)][1] > penalty:
                    pool[id(t)] = (t, penalty)
        question = fold(analysis.query + " " + " ".join(analysis.expansions))
        targets = [(t, penalty) for t, penalty in pool.values()]
        # the head of an indicator name (优良率, 合格率, 死亡率) decides what it
        # measures: when some candidate's head is in the question, the others go
        headed = [(t, p) for t, p in targets if _head(t.indicator) in question]
        scored = [(target_fit(question, t) - penalty, t) for t, penalty in (headed or targets)]
        scored.sort(key=lambda st: (-st[0], st[1].clause_id))
        return scored

    def _target_answer(self, analysis: QueryAnalysis, hits: list[Hit], scope: set[str]) -> Answer | None:
        docs = self._answer_docs(analysis, hits, scope)
        named = _specific_indicator(analysis)
        if named and not any(self.table.filter(doc_ids={d}, indicator=named) for d in docs):
            names = "、".join(sorted({(self.service.documents[d].jurisdiction_name or "未知地区") for d in docs}))
            others = best_targets_per_document(self.table, named, set(self.service.documents) - set(docs))
            elsewhere = ""
            if others:
                elsewhere = "其他规划中有此指标：" + "；".join(
                    f"{(self.service.documents[d].jurisdiction_name or '未知地区')}{ts[0].value_text}" for d, ts in sorted(others.items())
                ) + "。"
            return Answer(False, None, f"{names}的规划没有规定“{named}”的目标。{elsewhere}", hits[:3], "target")
        best: tuple[float, Target] | None = None
        for doc_id in docs:
            cands = self._candidates(analysis, hits, doc_id)
            if cands and (best is None or cands[0][0] > best[0]):
                best = cands[0]
        if best is None or best[0] < MIN_TARGET_FIT:
            return None
        target = best[1]
        hit = self._hit_for(target.clause_id, hits)
        year = f"到{target.year}年，" if target.year else ""
        text = f"{hit.citation}：{year}{target.indicator}{_phrase(target)}。"
        return Answer(True, target.value_text, text, [hit], "target", [self.table.row(target)])

    def _answer_docs(self, analysis: QueryAnalysis, hits: list[Hit], scope: set[str]) -> list[str]:
        """Plans a one-region question is about: its scope, in the order of the best hits."""
        ordered = list(dict.fromkeys(h.doc_id for h in hits))
        return [d for d in ordered if d in scope] or ordered

    # ---- values across regions ---------------------------------------------------------

    def _compare_answer(self, analysis: QueryAnalysis, hits: list[Hit], scope: set[str]) -> Answer | None:
        named = _specific_indicator(analysis)
        per_doc = best_targets_per_document(self.table, named, scope) if named else {}
        # per plan: the clause to cite, and the targets to report
        chosen_by_doc: dict[str, tuple[str, list[Target]]] = {}
        for doc_id in [d for d in self.service.documents if d in scope]:
            if named:
                # the question names the indicator: that indicator's targets
                if doc_id in per_doc:
                    chosen_by_doc[doc_id] = (per_doc[doc_id][0].clause_id, per_doc[doc_id])
                continue
            cands = self._candidates(analysis, hits, doc_id)
            if not cands or cands[0][0] < MIN_TARGET_FIT:
                continue
            top_score, top = cands[0]
            # the best clause's fitting targets, plus equally fitting ones printed
            # in a neighbouring clause (a table row split in two: 城区 / 农村)
            chosen = [
                t for score, t in cands
                if (t.clause_id == top.clause_id and score >= top_score * 0.6) or score >= top_score * 0.9
            ]
            chosen_by_doc[doc_id] = (top.clause_id, chosen)
        if not chosen_by_doc:
            return None
        values: list[dict[str, Any]] = []
        citations: list[Hit] = []
        for doc_id, (clause_id, chosen) in chosen_by_doc.items():
            chosen = sorted(chosen, key=self._reading_order)
            citations.append(self._hit_for(clause_id, hits))
            values.append({
                "doc_id": doc_id,
                "jurisdiction": self.service.documents[doc_id].jurisdiction_name,
                "value": "、".join(t.value_text for t in chosen),
                "targets": [self.table.row(t) for t in chosen],
            })
        short = "; ".join(f"{v['doc_id']}: {v['value']}" for v in values)
        text = "各规划的规定：" + "；".join(
            f"{self.service.documents[v['doc_id']].title}：{v['value']}" for v in values
        ) + "。"
        return Answer(True, short, text, citations, "compare", values)

    def _reading_order(self, target: Target) -> tuple[int, int]:
        return self.service.row_of[target.clause_id], self.table.by_clause[target.clause_id].index(target)

    def _hit_for(self, clause_id: str, hits: list[Hit]) -> Hit:
        """The search hit of a clause when it was found, else a hit built for it."""
        found = next((h for h in hits if h.clause_id == clause_id), None)
        return found or self.service.hit_for(self.service.clauses[self.service.row_of[clause_id]])

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
        citations = [top] + [h for h in hits[1:3] if self.coverage(analysis, h.text) >= MIN_COVERAGE]
        return Answer(True, sentence, f"{top.citation}：{sentence}", citations, analysis.intent)


_QUANTITY = re.compile(r"多少|几[个名所项岁次天年小]|多长|多久|多高|多大|比例|额度|[百千万]分之")
MIN_TARGET_FIT = 2.0


def _asks_quantity(question: str) -> bool:
    return bool(_QUANTITY.search(question))


def _bigrams(text: str) -> list[str]:
    return [text[i:i + 2] for i in range(len(text) - 1)]


_TRAILING_PARENS = re.compile(r"[（(][^）)]*[）)]$")


def _without_unit(indicator: str) -> str:
    """An indicator name without the unit printed after it: 婴儿死亡率（‰） → 婴儿死亡率."""
    return _TRAILING_PARENS.sub("", indicator)


def target_fit(question_folded: str, target: Target) -> float:
    """How well a target answers a question: how many character pairs of its
    indicator name the question shares, plus the share of the name covered."""
    name = fold(_without_unit(target.indicator))
    pairs = [b for b in dict.fromkeys(_bigrams(name)) if not b.isspace()]
    if not pairs:
        return 0.0
    found = sum(1 for b in pairs if b in question_folded)
    return found + found / len(pairs)


def _head(indicator: str) -> str:
    """The last two characters of an indicator name without its unit: 死亡率 → 亡率."""
    name = fold(_without_unit(indicator)).strip()
    return name[-2:] if len(name) >= 2 else "\x00"


def _specific_indicator(analysis: QueryAnalysis) -> str | None:
    """The indicator a question names when it is specific enough to say a plan
    lacks it (新生儿访视率, not a bare 参保率)."""
    names = [n for n in analysis.indicators if len(n) >= 5]
    return max(names, key=len) if names else None


def _strip_item_number(text: str) -> str:
    """``text`` without the Arabic item number it starts with (3. / ３、)."""
    start = len(text) - len(text.lstrip())
    end = item_number_end(text, start)
    return text[end:] if end > start else text


def _best_sentence(answerer: Answerer, analysis: QueryAnalysis, text: str) -> str:
    """The sentence of a clause that answers best. A measure's short lead
    sentence (有效控制儿童近视。) names the topic; the answer is in the body, so
    the lead is chosen only when no body sentence covers more."""
    sentences = [s.strip() for s in split_sentences(_strip_item_number(text))]
    sentences = [s for s in sentences if s]
    if len(sentences) <= 1:
        return sentences[0] if sentences else text.strip()
    lead_is_heading = len(sentences[0]) <= 16
    scored = []
    for i, sentence in enumerate(sentences):
        score = answerer.coverage(analysis, sentence)
        if i == 0 and lead_is_heading:
            score -= 0.5
        scored.append((score, -i, sentence))
    return max(scored)[2]


def _phrase(target: Target) -> str:
    """'控制在5.3‰以下' from the target's parts, in the plan's own order."""
    v = target.value_text
    if target.qualitative:
        return v
    word = target.comparator_text or ""
    if not word or word in v:
        return f"为{v}" if not word else v
    if word in _SUFFIX_WORDS:
        return f"{v}{word}"
    return f"{word}{v}"


_SUFFIX_WORDS = {"以下", "以上", "以内", "左右", "及以上", "及以下"}
