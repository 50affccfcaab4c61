"""Answers: a short answer, a sentence a clerk can read out, and the clauses
to quote — or an honest "the documents do not say". No language model involved.

Whether an answer is given (``found``) comes from calibrated evidence
(``search/calibration.py``, fitted by ``scripts/calibrate.py``): how close the
dense model puts the best clause, how much of the question's wording it
covers, whether a "how many / how long / which day" question got a value of
that kind, and whether the next clauses agree. A few refusals are rules, not probabilities: a place with no
document, a year the plan does not cover, a number of a kind no clause states,
an indicator the named plan does not set.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from index.lexical import words
from ingest.model import Target
from ingest.targets import normalize_indicator
from ingest.text import fold, item_number_end

from .calibration import Calibration
from .hits import Hit
from .quantity import (
    QuantityClass,
    asks_goal,
    asks_number_word,
    quantity_classes,
    units_data,
    words_after,
)
from .query import QueryAnalysis
from .targets_table import TargetTable, best_targets_per_document
from .termstats import MappedTexts, SubstringDF

if TYPE_CHECKING:
    from .service import Filters, SearchService

_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])")
# A clause a sentence answer may quote besides the first must cover this share
# of the question's content (IDF-weighted).
MIN_COVERAGE = 0.33
MIN_TARGET_FIT = 2.0
# how many of a question's documents, best first, are checked for an indicator
# the question names whose target is set in words only
SCOPE_DOCS_CHECKED = 3
# the off-topic gate reads the embedder's best similarity among the cited clause
# and this many first hits: wide enough that a clause the query adapter put
# lower is still read (the gate asks whether the documents hold anything close)
GATE_HITS = 10
# the off-topic gate's ``topic``: the mean raw similarity of the question to its
# nearest clauses of the whole index, whatever the filters: one in TOPIC_SHARE
# of the index's clauses, from TOPIC_MIN to TOPIC_CLAUSES (50 of the 2,241
# clauses of the plans and laws it was fitted on; on an index of one law, its
# best few, not half of it)
TOPIC_CLAUSES = 50
TOPIC_SHARE = 40
TOPIC_MIN = 5
# the weight of the question's words in the first of several figures' pieces
# against a later piece's own: the first often prints the subject that later
# pieces leave out (…学前教育经费占…的比例应当达到百分之五，不举办高中的区应当
# 达到百分之十), and a question restates that subject whichever figure it asks
FIRST_PIECE_WEIGHT = 0.25
# the same for the items a 、 sets apart (男性满六十周岁、女性满五十五周岁始),
# which share a subject less often than comma pieces do
FIRST_ITEM_WEIGHT = 0.5
# how many of a clause's condition characters (情况紧急的) a question names for
# that clause, not the rule beside it, to answer
CONDITION_CHARS = 2
# a plan the search missed joins a comparison with a target whose name fits the
# question at least this share as well as the best fitting chosen plan's does
RESCUE_FIT_SHARE = 0.9
# Bounds on what an answer reads of one sentence, whatever a document holds:
# the figures of the kind asked (the first ones), and the words on either side
# of a figure that say what it counts.
FIGURES_PER_SENTENCE = 32
PIECE_CHARS = 200
# how far before a figure the words that mark it as a range's end (不超过) are looked for
BOUND_CHARS = 4
# the most characters an answer of parallel figures (男…，女…) may span
PARALLEL_CHARS = 60
# ... and the most characters after the last figure, to the end of its piece
PARALLEL_TAIL = 6
# a figure sentence that prints the question's lead (满 of 需要满多少岁) right
# before a figure: about as much as a rank up the results and a word more
LEAD_BONUS = 2.0
# in a comparison, a document's figure is listed when its sentence covers the
# question at least this share as well as the best document's does
COMPARE_SHARE = 0.7
# past the first three clauses, a figure is read only from a clause that covers
# this share of the question's words
MIN_FIGURE_COVERAGE = 0.3
# per question character that only some of a clause's figure sentences print
DISTINCT_CHAR = 2.0

NOT_SURE = "以下是最接近的条款，但它们可能没有直接回答这个问题，请核对原文："


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
    # how likely the cited clause answers the question (calibrated on the tune split)
    confidence: float = 0.0
    # the evidence behind ``confidence`` (kept for calibration and debugging, not serialised)
    evidence: dict[str, float] = field(default_factory=dict, repr=False)
    # a refusal by rule (no such place, year, kind of number): not subject to calibration
    ruled: bool = field(default=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "found": self.found,
            "confidence": round(self.confidence, 3),
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


def _unit_fits(qc: QuantityClass | None, target: Target) -> bool:
    """Whether a target's value is of the kind the question asks for: a
    qualitative target (巩固提高) answers no "how many"; a unit of another kind
    (个 where money is asked) answers nothing; a bare number passes."""
    if target.qualitative:
        return False
    if qc is None or not qc.units:
        return True
    _, qualifiers = quantity_classes()
    printed = fold(target.unit or "") + " " + fold(target.value_text)
    if any(fold(u) in printed for u in qc.units):
        return True
    bare = fold(target.value_text)
    for q in qualifiers:
        bare = bare.removesuffix(q)
    return not re.search(r"[\u4e00-\u9fff%‰]$", bare.strip())


class Answerer:
    """Builds answers from search results and the target table."""

    def __init__(self, service: SearchService):
        self.service = service
        # the folded texts of the sampled clauses only, on a large index
        self._df = SubstringDF(MappedTexts(service.clauses, lambda c: fold(c.text)))
        self.calibration = Calibration.load()

    @property
    def table(self) -> TargetTable:
        return self.service.targets

    def _idf(self, term: str) -> float:
        return self._df.idf(term)

    def _terms(self, analysis: QueryAnalysis) -> list[str]:
        """The question's content words, without the words that ask for a number
        (几天, 多少): they are no evidence for a clause."""
        return [
            t for t in dict.fromkeys(words(analysis.content))
            if (len(t) >= 2 or t.isdigit()) and not asks_number_word(t)
        ]

    def _found_in(self, analysis: QueryAnalysis, term: str, folded: str) -> bool:
        return term in folded or any(
            alt in folded for key, alts in analysis.synonym_hits if key in term or term in key for alt in alts
        )

    def _weighted_share(self, analysis: QueryAnalysis, found: Callable[[str], bool], empty: float) -> float:
        """IDF-weighted share of the question's content words for which ``found``
        holds (``empty`` for a question without content words)."""
        terms = self._terms(analysis)
        if not terms:
            return empty
        weights = [self._idf(term) for term in terms]
        total = sum(weights)
        got = sum(w for term, w in zip(terms, weights, strict=True) if found(term))
        return got / total if total else empty

    def coverage(self, analysis: QueryAnalysis, text: str) -> float:
        """IDF-weighted share of the question's content words found in text;
        a colloquial word counts as found when one of its plan words is."""
        folded = fold(text)
        return self._weighted_share(analysis, lambda term: self._found_in(analysis, term, folded), 0.0)

    def printed(self, analysis: QueryAnalysis) -> float:
        """IDF-weighted share of the question's content words that some clause
        prints (a colloquial word counts when one of its plan words does): low
        when the question is about something the documents never mention
        (股票交易印花税, 护照), whatever clause happens to come closest."""

        def somewhere(term: str) -> bool:
            alts = [alt for key, found in analysis.synonym_hits if key in term or term in key for alt in found]
            return self._df.df(term) > 0 or any(self._df.df(fold(alt)) > 0 for alt in alts)

        return self._weighted_share(analysis, somewhere, 1.0)

    def _rarest(self, terms: list[str], n: int) -> list[str]:
        """The ``n`` rarest of ``terms`` in the corpus (ties by the word)."""
        return sorted(terms, key=lambda t: (-self._idf(t), t))[:n]

    def key_coverage(self, analysis: QueryAnalysis, text: str, n: int = 2) -> float:
        """Share of the question's ``n`` rarest content words found in text."""
        terms = self._rarest(self._terms(analysis), n)
        if not terms:
            return 0.0
        folded = fold(text)
        return sum(1 for t in terms if self._found_in(analysis, t, folded)) / len(terms)

    # ---- the question --------------------------------------------------------------

    def ask(self, question: str, filters: Filters) -> Answer:
        svc = self.service
        # both dense readings: found / not found and the value chosen were
        # calibrated on them, and the analysed query's is the answer's evidence.
        # A question for a value (a number, a target, a comparison) is searched
        # without the query adapter: it was fitted on which clause answers a
        # question, not on which figure does, and with it a question asking a
        # number the documents do not state finds figures of the topic's other
        # clauses (README Quality, eleventh round)
        analysed = svc.analyzer.analyze((question or "").strip())
        disabled = frozenset({"adapter"}) if _asks_value(analysed) else frozenset()
        result = svc.search(
            question, top_k=12, filters=filters, with_features=True, readings=2, disabled=disabled, analysis=analysed
        )
        analysis = result.analysis
        if not result.hits:
            return Answer(
                False, None, result.message or "文件中没有找到相关内容。", [], analysis.intent, ruled=True
            )
        hits = result.hits
        scope = self._docs_in_scope(filters, analysis)
        asks_number, quantity = analysis.asks_number, analysis.quantity
        answer: Answer | None = None
        if analysis.intent == "compare" and len(scope) != 1:
            # across documents (各区县 inside one plan is a question to that plan)
            answer = self._compare_answer(analysis, hits, scope, quantity)
        if answer is None and (analysis.indicators or (analysis.intent in ("target", "compare") and (asks_number or asks_goal(question)))):
            answer = self._target_answer(analysis, hits, scope, quantity, filters)
        if answer is None and asks_number:
            answer = self._figure_answer(analysis, hits, quantity)
            if answer is not None:
                # a figure of a sentence beside an indicator the question names,
                # whose target is worded (乳腺癌人群筛查率逐步提高): none is stated
                answer = self._unstated_value(analysis, hits, self._answer_docs(analysis, hits, scope), None) or answer
            # a number of a known kind (days, an age, an amount) that no close
            # clause prints, or a plan's target value that none sets: the
            # documents do not state it, whatever else they say on the topic
            # (not a time when the closest clauses are articles: laws state
            # it as an event — 自批准设立之日起)
            refusable = quantity is not None and (quantity.articles_refuse or not self._has_rules(hits))
            if answer is None and (refusable or (analysis.intent == "target" and not self._has_rules(hits))):
                source = "规划" if all(h.kind != "article" for h in hits[:5]) else "文件"
                answer = Answer(
                    False, None,
                    f"{source}提到了相关内容，但没有规定这个问题所问的数字或目标值。" + _closest(hits[:3]),
                    hits[:3], analysis.intent, ruled=True,
                )
        if answer is None:
            answer = self._sentence_answer(analysis, hits)
        return self._calibrated(answer, analysis, hits)

    def _has_rules(self, hits: list[Hit]) -> bool:
        """Whether the best clauses include articles of laws (whose figures are in sentences)."""
        return any(h.kind == "article" for h in hits[:5])

    def _docs_in_scope(self, filters: Filters, analysis: QueryAnalysis) -> set[str]:
        return self.service.filter_doc_ids(filters, analysis)

    # ---- calibrated found / not found ------------------------------------------------

    def evidence(self, analysis: QueryAnalysis, hits: list[Hit], answer: Answer) -> dict[str, float]:
        """The evidence that the first cited clause answers the question."""
        top = answer.citations[0] if answer.citations else hits[0]
        text = top.text + " " + " ".join(top.section_path)
        cover = self.coverage(analysis, text)
        others = [h for h in hits[:4] if h.clause_id != top.clause_id][:3]
        agree = sum(self.coverage(analysis, h.text) for h in others) / (len(others) * cover) if others and cover else 0.0
        features = top.features or {}
        # a "how many" question is answered by a value of the kind asked, any
        # other by a rule, measure, target or principle more than by narrative
        value = 1.0 if not analysis.asks_number or answer.values or answer.evidence.get("figure") else 0.0
        kind = 0.5 if top.kind == "narrative" else 1.0
        return {
            "dense": float(features.get("cosine_z", features.get("dense", 0.0))),
            "coverage": cover,
            "key_terms": self.key_coverage(analysis, text),
            "kind": kind,
            "value": value,
            "agreement": min(agree, 1.0),
            "printed": self.printed(analysis),
            **self._closeness(analysis, top, hits),
        }

    def _closeness(self, analysis: QueryAnalysis, top: Hit, hits: list[Hit]) -> dict[str, float]:
        """For the off-topic gate: the best raw similarity among the cited clause
        and the first GATE_HITS hits (a table row cited for its value is a short
        text, closer to nothing), and ``topic``, how close the question as typed
        comes to the clauses of the whole index nearest it (see TOPIC_SHARE): a
        question about the field the documents cover has many clauses near it,
        one about another field a chance few. A clause put first because the
        question names it (第一千零八十四条) was not ranked: it has no
        similarity, and the gate does not apply."""
        if "cosine" not in (top.features or {}):
            return {}
        ranked = [h.features for h in [top, *hits[:GATE_HITS]] if h.features and "cosine" in h.features]
        out = {"cosine": max(float(f["cosine"]) for f in ranked)}
        typed = [float(f["cosine_question"]) for f in ranked if "cosine_question" in f]
        if typed:
            out["cosine_question"] = max(typed)
        reader = self.service.reader
        k = min(TOPIC_CLAUSES, max(TOPIC_MIN, int(reader.vectors.n_clauses) // TOPIC_SHARE))
        nearest = reader.vectors.candidates(reader.embed_query(analysis.query), k)
        if nearest:
            out["topic"] = sum(score for _, score in nearest) / len(nearest)
        return out

    def _calibrated(self, answer: Answer, analysis: QueryAnalysis, hits: list[Hit]) -> Answer:
        if answer.ruled:
            answer.confidence = 0.0
            return answer
        evidence = self.evidence(analysis, hits, answer)
        answer.evidence = {**answer.evidence, **evidence}
        answer.confidence = self.calibration.probability(evidence)
        if self.calibration.off_topic(evidence):
            answer.confidence = min(answer.confidence, self.calibration.threshold / 2)
        if answer.confidence >= self.calibration.threshold:
            answer.found = True
            return answer
        # not sure: the closest clauses, said to be possibly beside the point
        citations = answer.citations[:1] + [h for h in hits[:3] if all(h.clause_id != c.clause_id for c in answer.citations[:1])]
        return Answer(
            False, None, _closest(citations[:3]),
            citations[:3], answer.intent, confidence=answer.confidence, evidence=answer.evidence,
        )

    # ---- target values ------------------------------------------------------------

    def _candidates(
        self, analysis: QueryAnalysis, hits: list[Hit], doc_id: str, quantity: QuantityClass | None = None
    ) -> list[tuple[float, Target]]:
        """Targets of one plan that could answer the question, best first:
        those of its best clauses, and those whose indicator the question names;
        only values of the kind asked, for the year asked, of the indicator
        whose head noun the question names."""
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
        question = _question_words(analysis)
        penalty_of = {id(t): penalty for t, penalty in pool.values()}
        kept = self._asked_targets(analysis, [t for t, _ in pool.values()], quantity, question)
        # a name the question covers only in part (妇女基本医疗保险参保率 for a
        # question on 养老保险的参保率) counts for that part; the sentence that
        # states the value breaks the remaining ties
        typed = _asking_removed(fold(analysis.query))
        scored = [
            (
                _typed_fit(question, typed, t) * _name_share(typed, t)
                + 2.0 * self._context_fit(question, t)
                + 0.5 * _char_share(typed, t)
                + 1.5 * _distinct_share(typed, t, self.table.by_clause.get(t.clause_id, []))
                - penalty,
                t,
            )
            for t, penalty in ((t, penalty_of[id(t)]) for t in kept)
            if target_fit(question, t) - penalty >= MIN_TARGET_FIT or not analysis.indicators
        ]
        scored.sort(key=lambda st: (-st[0], st[1].clause_id))
        return scored

    def _asked_targets(
        self, analysis: QueryAnalysis, targets: list[Target], quantity: QuantityClass | None, question: str
    ) -> list[Target]:
        """Of ``targets``, those that can answer: values of the kind asked, for the
        year asked, of the rate the question names; and when some target's head
        noun (优良率, 合格率, 死亡率) is in the question, only those."""
        if analysis.asks_number:
            targets = [t for t in targets if _unit_fits(quantity, t)]
        if analysis.years:
            targets = [t for t in targets if self._target_year(t) in analysis.years]
        heads = _rate_heads(analysis)
        if heads:
            # the question names what is measured (自杀率, 建校率): another rate is no answer
            targets = [t for t in targets if _has_head(t, heads)]
        per = _per_what(analysis.query)
        if per:
            # a number per thousand asked: a count that is no ratio is no answer (全科医生至少1名)
            targets = [t for t in targets if _states_per(fold(t.indicator + (t.unit or "") + self._sentence_of(t)), per)]
        headed = [t for t in targets if _head(t.indicator) in question and _head(t.indicator) not in _generic_heads()]
        return headed or targets

    def _target_year(self, target: Target) -> int | None:
        if target.year:
            return target.year
        period = self.service.documents[target.doc_id].period
        return period[1] if period else None

    def _sentence_of(self, target: Target) -> str:
        """The sentence of its clause that states a target (the clause when none does)."""
        clause = self.service.clauses[self.service.row_of[target.clause_id]]
        return next((s for s in split_sentences(clause.text) if target.value_text in s), clause.text)

    def _context_fit(self, question: str, target: Target) -> float:
        """Share of the question's character pairs in the sentence that states the
        target (参保率 95% in the sentence on 养老保险, not the one on 医疗保险)."""
        sentence = self._sentence_of(target)
        pairs = [b for b in dict.fromkeys(_bigrams(question)) if not b.isspace()]
        if not pairs:
            return 0.0
        share = sum(1 for b in pairs if b in fold(sentence)) / len(pairs)
        at = sentence.find(target.value_text)
        if at < 0:
            return share
        # the words between the value before it and this one say what it measures
        before = [m.end() for m in _ANY_VALUE.finditer(sentence, 0, at)]
        piece = fold(_value_segment(sentence, at, at + len(target.value_text), before[-1] if before else 0))
        return share + 0.25 * _overlap(question, piece) / len(pairs)

    def _target_answer(
        self, analysis: QueryAnalysis, hits: list[Hit], scope: set[str], quantity: QuantityClass | None, filters: Filters
    ) -> Answer | None:
        docs = self._answer_docs(analysis, hits, scope)
        named = _specific_indicator(analysis)
        if named and not any(self.table.filter(doc_ids={d}, indicator=named) for d in docs):
            if not any(self.table.filter(doc_ids={d}) for d in docs):
                return None  # documents that set no targets (laws): their figures are in sentences
            names = "、".join(sorted({(self.service.documents[d].jurisdiction_name or "未知地区") for d in docs}))
            others = best_targets_per_document(self.table, named, set(self.service.documents) - set(docs))
            elsewhere = ""
            if others:
                elsewhere = "其他规划中有此指标：" + "；".join(
                    f"{(self.service.documents[d].jurisdiction_name or '未知地区')}{ts[0].value_text}" for d, ts in sorted(others.items())
                ) + "。"
            return Answer(False, None, f"{names}的规划没有规定“{named}”的目标。{elsewhere}", hits[:3], "target", ruled=True)
        best: tuple[float, Target] | None = None
        per_doc: dict[str, list[tuple[float, Target]]] = {}
        for doc_id in docs:
            cands = self._candidates(analysis, hits, doc_id, quantity)
            if cands:
                per_doc[doc_id] = cands
            if cands and (best is None or cands[0][0] > best[0]):
                best = cands[0]
        question = _question_words(analysis)
        if best is None or target_fit(question, best[1]) < MIN_TARGET_FIT:
            return self._uncovered_year(analysis, hits, docs)
        unstated = self._unstated_value(analysis, hits, docs, best[1])
        if unstated is not None:
            return unstated
        target = best[1]
        chosen = self._clause_targets(analysis, per_doc[target.doc_id], target)
        hit = self._hit_for(target.clause_id, hits)
        year = f"到{target.year}年，" if target.year else ""
        if len(chosen) > 1:
            short = "；".join(f"{_without_unit(t.indicator)}{t.value_text}" for t in chosen)
            text = f"{hit.citation}：{year}" + "，".join(f"{t.indicator}{_phrase(t)}" for t in chosen) + "。"
            answer = Answer(True, short, text, [hit], "target", [self.table.row(t) for t in chosen])
        else:
            text = f"{hit.citation}：{year}{target.indicator}{_phrase(target)}。"
            answer = Answer(True, target.value_text, text, [hit], "target", [self.table.row(target)])
        placeless = analysis.doc_ids is None and not (filters.jurisdiction or filters.doc_id or analysis.title_doc_ids)
        if placeless:
            self._add_other_plans(answer, analysis, hits, per_doc, best, quantity)
        return answer

    def _unstated_value(self, analysis: QueryAnalysis, hits: list[Hit], docs: list[str], best: Target | None) -> Answer | None:
        """A refusal when the question names in full an indicator whose target is
        set in words only (乳腺癌人群筛查率逐步提高 beside 宫颈癌人群筛查率达到70%以上):
        a number asked of it is not stated, and the figure of the sibling the
        search would otherwise give (``best``, or a sentence's figure: None)
        answers another indicator."""
        if not analysis.asks_number or (best is not None and _names_indicator(analysis.query, best)):
            return None
        for doc_id in docs[:SCOPE_DOCS_CHECKED]:
            worded = [
                t for t in self.table.filter(doc_ids={doc_id})
                if t.qualitative and _names_indicator(analysis.query, t)
                and (not analysis.years or self._target_year(t) in analysis.years)
            ]
            if worded:
                t = max(worded, key=lambda t: len(t.indicator))
                where = self.service.documents[doc_id].jurisdiction_name or self.service.documents[doc_id].title
                return Answer(
                    False, None,
                    f"{where}的规划对“{_without_unit(t.indicator)}”的目标是“{t.value_text}”，没有规定具体数字。",
                    [self._hit_for(t.clause_id, hits)], "target", ruled=True,
                )
        return None

    def _uncovered_year(self, analysis: QueryAnalysis, hits: list[Hit], docs: list[str]) -> Answer | None:
        """A refusal when the question asks for a year no target of these plans is set for."""
        if not analysis.years:
            return None
        years = {self._target_year(t) for d in docs for t in self.table.filter(doc_ids={d})}
        if not years or any(y in years for y in analysis.years):
            return None
        asked = "、".join(str(y) for y in analysis.years)
        have = "、".join(str(y) for y in sorted(y for y in years if y))
        return Answer(
            False, None, f"这些规划的目标年份是{have}年，没有规定{asked}年的目标。", hits[:3], "target", ruled=True
        )

    def _clause_targets(self, analysis: QueryAnalysis, cands: list[tuple[float, Target]], best: Target) -> list[Target]:
        """The targets to answer with: the best one, or — for a general question
        about a topic (近视 with no school stage named) — every target of the same
        clause whose name shares the question's topic and that the question does
        not tell apart from the best."""
        if _names_indicator(analysis.query, best) or analysis.asks_number or _rate_heads(analysis):
            return [best]  # the question names what it asks for
        question = fold(analysis.query)
        topic = {b for b in _bigrams(fold(_without_unit(best.indicator))) if b in question}
        same = [t for _, t in cands if t.clause_id == best.clause_id]
        chosen = [t for t in same if topic & {b for b in _bigrams(fold(_without_unit(t.indicator))) if b in question}]
        return sorted(chosen, key=self._reading_order) if len(chosen) > 1 else [best]

    def _add_other_plans(
        self,
        answer: Answer,
        analysis: QueryAnalysis,
        hits: list[Hit],
        per_doc: dict[str, list[tuple[float, Target]]],
        best: tuple[float, Target],
        quantity: QuantityClass | None,
    ) -> None:
        """A question that names no place, answered from one plan: say which plan
        is quoted, and give what each other document among the results sets for
        the same thing — a target of the same indicator, or a figure of the kind
        asked in its best clause (保证每天小学生10小时…睡眠时间)."""
        name = fold(best[1].indicator_norm or best[1].indicator)
        docs = self.service.documents
        others: list[tuple[str, str, Hit]] = []
        for doc_id, cands in per_doc.items():
            if doc_id == best[1].doc_id:
                continue
            same = [t for s, t in cands if s >= best[0] - 1.0 and fold(t.indicator_norm or t.indicator) == name]
            if same:
                others.append((doc_id, same[0].value_text, self._hit_for(same[0].clause_id, hits)))
                answer.values.append(self.table.row(same[0]))
        if quantity is not None:
            done = {best[1].doc_id} | {d for d, _, _ in others}
            # a figure of the same kind in another document states the same thing
            # only in a sentence that names it: 睡眠 of 小学生每天睡眠时间, not a
            # 每天户外活动时间不少于两小时 beside it
            key = self._indicator_key(best[1].indicator)
            for doc_id in dict.fromkeys(h.doc_id for h in hits[:10]):
                if doc_id in done:
                    continue
                doc_hits = [h for h in hits[:10] if h.doc_id == doc_id][:2]
                found = self._figure_in(analysis, doc_hits, quantity, naming=key)
                if found is not None and self.coverage(analysis, found[0].text) >= MIN_COVERAGE:
                    others.append((doc_id, found[2], found[0]))
                    answer.values.append({"doc_id": doc_id, "jurisdiction": docs[doc_id].jurisdiction_name, "value": found[2]})
        quoted = docs[best[1].doc_id].jurisdiction_name or docs[best[1].doc_id].title
        if not others:
            answer.answer_text += f"（以上为{quoted}的规定；问题没有指明地区。）"
            return
        answer.answer_text += f"（以上为{quoted}的规定；其他文件也有规定：" + "；".join(
            f"{docs[d].jurisdiction_name or docs[d].title}{value}" for d, value, _ in others
        ) + "。）"
        answer.citations.extend(hit for _, _, hit in others)

    def _indicator_key(self, indicator: str) -> str | None:
        """The rarest word of an indicator's name, which a sentence that states
        the same indicator prints (睡眠 of 小学生每天睡眠时间: 每天, 时间 and
        小学生 are printed beside other figures too; the next rarest, 每天,
        let a 每天户外活动时间不少于两小时 through). None for a name without a
        word of two characters."""
        rarest = self._rarest([t for t in dict.fromkeys(words(fold(_without_unit(indicator)))) if len(t) >= 2], 1)
        return rarest[0] if rarest else None

    def _answer_docs(self, analysis: QueryAnalysis, hits: list[Hit], scope: set[str]) -> list[str]:
        """Plans a one-region question is about: its scope, in the order of the best hits."""
        ordered = list(dict.fromkeys(h.doc_id for h in hits))
        return [d for d in ordered if d in scope] or ordered

    # ---- figures printed in sentences (laws) -------------------------------------------

    def _figure_answer(self, analysis: QueryAnalysis, hits: list[Hit], quantity: QuantityClass | None) -> Answer | None:
        """A figure of the kind asked, as printed in the sentence of one of the best
        clauses that answers (an article's 三十日, 两小时, 每日二十二时至次日八时)."""
        if quantity is None:
            return None
        found = self._figure_in(analysis, hits[:8], quantity)
        if found is None:
            return None
        hit, sentence, value = found
        if quantity.name == "clock":
            value = _range_end(fold(analysis.query), value)
        answer = Answer(True, value, f"{hit.citation}：{sentence}", [hit], analysis.intent)
        answer.evidence["figure"] = 1.0
        return answer

    def _figure_in(
        self, analysis: QueryAnalysis, hits: list[Hit], quantity: QuantityClass, naming: str | None = None
    ) -> tuple[Hit, str, str] | None:
        """The figure of the kind asked that answers, with its clause and sentence.
        Sentences are scored by how much of the question they cover and how
        close the figure's own words come to it; within the sentence, of several
        figures of that kind, the one whose own words the question names
        (``_pick_in_sentence``). With ``naming``, only sentences that print
        that word (睡眠: another document's figure for the same indicator)."""
        question = fold(analysis.query)
        heads = _rate_heads(analysis)
        asked_heads = quantity.head_groups(question)
        best: tuple[float, int, Hit, str, list[tuple[int, int, str]]] | None = None
        asked = _content_chars(question) - _NUMERAL_CHARS
        # the amount of what the question names, where the documents print it
        # (多少扶助金: not the 保健费十元 beside it)
        # (月给补助 → 补助: the longest end of the word asked that they print)
        named_thing = quantity.asked_name(question)
        counted = quantity.counted_noun(question)
        while named_thing is not None and self._df.df(named_thing) <= 0:
            named_thing = named_thing[1:] if len(named_thing) > 2 else None
        lead = _asked_lead(question, quantity)
        per = _per_what(analysis.query)
        asks_difference = any(cue in question for cue in _differences()[1])
        asks_person = any(word in question for word in _payers()[0])
        for rank, hit in enumerate(hits):
            if rank >= 3 and self.coverage(analysis, hit.text) < MIN_FIGURE_COVERAGE:
                continue  # past the first clauses, only one about the question's own words
            found: list[tuple[str, list[tuple[int, int, str]], set[str], float]] = []
            clause_covered = rank == 0 and self.coverage(analysis, hit.text) > 0
            for sentence in _FULL_STOP.split(_strip_article_number(_strip_item_number(hit.text))):
                spans = [(m.start(), m.end(), m.group(0)) for m in itertools.islice(quantity.span.finditer(sentence), FIGURES_PER_SENTENCE)]
                spans = _stated_values(sentence, spans, quantity, asks_person, asks_difference)
                if not spans:
                    continue
                folded = fold(sentence)
                if naming is not None and naming not in folded:
                    continue
                if counted is not None:
                    # a count of other things (三个周期 for 多少个儿童友好社区)
                    spans = [sp for sp in spans if _counts_asked(sentence, sp, counted)]
                    if not spans:
                        continue
                if named_thing is not None:
                    # its own clause prints the word (not a list's lead: 享受以下优待奖励补助：
                    # …（一）…保健费十元 for 补助多少钱)
                    spans = [sp for sp in spans if named_thing in fold(_comma_piece(sentence, sp[0], sp[1], _NAMING_STARTS, _CLAUSE_ENDS))]
                    if not spans:
                        continue
                # a longer leave the question does not name names no leave it asks (陪产假 for 产假)
                named_text = _other_leaves_blanked(sentence, question) if heads else sentence
                if per and not _states_per(folded, per):
                    continue  # a ratio asked (每一千个孩子几名): a figure of no ratio
                if heads and not any(h in fold(named_text) or h in normalize_indicator(named_text) for h in heads):
                    continue  # the question asks another rate (建校率, not 覆盖率)
                if heads:
                    # a figure of the rate asked: its own piece names that rate
                    # (not 龋齿率…25%以内 beside 提高…窝沟封闭服务覆盖率)
                    spans = [sp for sp in spans if _piece_names(named_text, sp, heads)]
                    if not spans:
                        continue
                named = quantity.head_groups(folded) if quantity.heads else set()
                if named and asked_heads and not named & asked_heads:
                    continue  # a fine where a reward is asked (罚款, not 奖金)
                if named and not asked_heads and named <= quantity.named_only:
                    continue  # a fine where none is asked (彩礼最多多少钱)
                whole = self.coverage(analysis, sentence)
                if (rank >= 1 or clause_covered) and whole <= 0:
                    # a sentence without a word of the question (3岁以下婴幼儿 for
                    # 女职工…退休), unless it is the first clause's and none of
                    # that clause's sentences prints one (a question in other words)
                    continue
                found.append((sentence, spans, _content_chars(folded) - _NUMERAL_CHARS, whole))
            if not found:
                continue
            scored = []
            for sentence, spans, chars, whole in found:
                # the comma-separated piece a figure stands in names what it counts
                near = max(_overlap(question, fold(_comma_piece(sentence, start, end))) for start, end, _ in spans)
                # single characters too: 大雾, 结冰 asked, 雾, 冰雪 printed
                # the word the question puts before its number (满 of 满多少岁) before a figure
                led = LEAD_BONUS if lead and any(sentence[max(0, start - len(lead)):start] == lead for start, _, _ in spans) else 0.0
                scored.append(near + 3.0 * whole + 0.2 * len(asked & chars) - 0.5 * rank + led)
            # the clause competes with its best sentence's score; within it, the
            # sentence is told by the words only some of its sentences print
            pick = _sentence_asked(asked, [chars for _, _, chars, _ in found], scored)
            score = max(scored)
            if best is None or score > best[0]:
                best = (score, rank, hit, found[pick][0], found[pick][1])
        if best is None:
            return None
        _, _, hit, sentence, spans = best
        printed = _pick_in_sentence(question, sentence, spans)
        return hit, sentence.strip(), printed.strip()

    # ---- values across regions ---------------------------------------------------------

    def _compare_answer(
        self, analysis: QueryAnalysis, hits: list[Hit], scope: set[str], quantity: QuantityClass | None = None
    ) -> Answer | None:
        named = _specific_indicator(analysis)
        per_doc = best_targets_per_document(self.table, named, scope) if named else {}
        question = _question_words(analysis)
        typed = _asking_removed(fold(analysis.query))
        # per plan: the clause to cite, and the targets to report
        chosen_by_doc: dict[str, tuple[str, list[Target]]] = {}
        for doc_id in [d for d in self.service.documents if d in scope]:
            if named:
                # the question names the indicator: that indicator's targets
                if doc_id in per_doc:
                    chosen_by_doc[doc_id] = (per_doc[doc_id][0].clause_id, per_doc[doc_id])
                continue
            cands = self._candidates(analysis, hits, doc_id, quantity)
            if not cands or target_fit(question, cands[0][1]) < MIN_TARGET_FIT:
                continue
            chosen_by_doc[doc_id] = (cands[0][1].clause_id, _told_apart(typed, _row_group(cands)))
        if not named and chosen_by_doc:
            self._rescue_rows(analysis, scope, quantity, question, chosen_by_doc)
        values: list[dict[str, Any]] = []
        citations: list[Hit] = []
        for doc_id, (clause_id, chosen) in chosen_by_doc.items():
            chosen = _once_each(sorted(chosen, key=self._reading_order))
            citations.append(self._hit_for(clause_id, hits))
            values.append({
                "doc_id": doc_id,
                "jurisdiction": self.service.documents[doc_id].jurisdiction_name,
                "value": "、".join(t.value_text for t in chosen),
                "targets": [self.table.row(t) for t in chosen],
            })
        if hits:
            # documents that set no targets (laws) print their figures in sentences:
            # of the kind asked, or where the question does not say, of the kind
            # each document's best clause prints (a share in a plan, 一名 in a law)
            done = set(chosen_by_doc)
            figures = []
            for doc_id in dict.fromkeys(h.doc_id for h in hits[:10]):
                if doc_id in done or doc_id not in scope:
                    continue
                doc_hits = [h for h in hits[:10] if h.doc_id == doc_id]
                kind = quantity or self._printed_kind(analysis, doc_hits[0])
                found = self._figure_in(analysis, doc_hits[:2], kind) if kind is not None else None
                if found is not None:
                    figures.append((doc_id, found, self.coverage(analysis, found[1])))
            # a figure counts when its sentence covers the question about as well
            # as the best one does (a comparison's own words, 各地 条例, are in none)
            best_cover = max((c for _, _, c in figures), default=0.0)
            for doc_id, found, cover in figures:
                if cover < MIN_COVERAGE and cover < COMPARE_SHARE * best_cover or cover < MIN_COVERAGE / 2:
                    continue
                hit, _, value = found
                citations.append(hit)
                values.append({
                    "doc_id": doc_id,
                    "jurisdiction": self.service.documents[doc_id].jurisdiction_name,
                    "value": value,
                    "targets": [],
                })
        if not values:
            return None
        short = "; ".join(f"{v['doc_id']}: {v['value']}" for v in values)
        text = "各文件的规定：" + "；".join(
            f"{self.service.documents[v['doc_id']].title}：{v['value']}" for v in values
        ) + "。"
        return Answer(True, short, text, citations, "compare", values)

    def _rescue_rows(
        self,
        analysis: QueryAnalysis,
        scope: set[str],
        quantity: QuantityClass | None,
        question: str,
        chosen_by_doc: dict[str, tuple[str, list[Target]]],
    ) -> None:
        """A plan whose clauses the search did not bring up (an indicator table's
        row under another wording: 城区社区中家长学校或家庭教育指导服务站点覆盖率)
        joins the comparison with its target of the same unit whose name fits
        the question about as well as the best target already chosen does."""
        chosen_fit = [max(target_fit(question, t) for t in chosen) for _, chosen in chosen_by_doc.values() if chosen]
        if not chosen_fit:
            return
        bar = max(MIN_TARGET_FIT, RESCUE_FIT_SHARE * max(chosen_fit))
        # what is compared is measured alike: the units the chosen targets print
        units = {t.unit for _, chosen in chosen_by_doc.values() for t in chosen}
        for doc_id in [d for d in self.service.documents if d in scope and d not in chosen_by_doc]:
            same_unit = [t for t in self.table.filter(doc_ids={doc_id}) if t.unit in units]
            targets = self._asked_targets(analysis, same_unit, quantity, question)
            scored = sorted(((target_fit(question, t), t) for t in targets), key=lambda st: (-st[0], st[1].clause_id))
            if scored and scored[0][0] >= bar:
                chosen_by_doc[doc_id] = (scored[0][1].clause_id, _told_apart(_asking_removed(fold(analysis.query)), _row_group(scored)))

    def _printed_kind(self, analysis: QueryAnalysis, hit: Hit) -> QuantityClass | None:
        """The kind of number the best clause's answering sentence prints (for a
        comparison that does not say what it counts: 户外活动时间 → hours)."""
        sentence = _best_sentence(self, analysis, hit.text)
        classes, _ = quantity_classes()
        found = [(m.start(), i, qc) for i, qc in enumerate(classes) if qc.units for m in [qc.span.search(sentence)] if m]
        return min(found, key=lambda f: (f[0], f[1]))[2] if found else None

    def _reading_order(self, target: Target) -> tuple[int, int]:
        return self.service.row_of[target.clause_id], self.table.by_clause[target.clause_id].index(target)

    def _hit_for(self, clause_id: str, hits: list[Hit]) -> Hit:
        """The search hit of a clause when it was found, else a hit built for it."""
        found = next((h for h in hits if h.clause_id == clause_id), None)
        return found or self.service.hit_for(self.service.clauses[self.service.row_of[clause_id]])

    # ---- a sentence ----------------------------------------------------------------------

    def _sentence_answer(self, analysis: QueryAnalysis, hits: list[Hit]) -> Answer:
        """The sentence of the best clause that answers (of an article: the
        sentence, not the whole article), with the clause's citation."""
        top = hits[0]
        sentence = _best_sentence(self, analysis, top.text)
        citations = [top] + [h for h in hits[1:3] if self.coverage(analysis, h.text) >= MIN_COVERAGE]
        return Answer(True, sentence, f"{top.citation}：{sentence}", citations, analysis.intent)


def _stated_values(
    sentence: str, spans: list[tuple[int, int, str]], quantity: QuantityClass, asks_person: bool, asks_difference: bool
) -> list[tuple[int, int, str]]:
    """Of a sentence's figures of the kind asked, those it states as a value of
    what a question may ask about: not a year of the calendar read as a count
    of years (2021—2030年), a figure in a cited title (《…3岁以下…方案》), years
    inside a name (九年义务教育), a unit's fine where a person's is asked
    (并对其所在单位处…罚款 for 老师本人), or a difference where none is asked
    (年龄应当相差四十周岁以上)."""
    if quantity.name != "year":
        spans = [sp for sp in spans if not _CALENDAR_YEAR.fullmatch(fold(sp[2]))]
    spans = _outside_titles(sentence, spans)
    if quantity.name == "years":
        spans = [sp for sp in spans if not (sp[2].endswith("年") and _runs_into_a_word(sentence, sp[1]))]
    if asks_person:
        spans = [
            sp for sp in spans
            if not _fines_a_unit(_comma_piece(sentence, sp[0], sp[1]), _comma_piece(sentence, sp[0], sp[1], _CLAUSE_STARTS, _CLAUSE_ENDS))
        ]
    if not asks_difference:
        spans = [sp for sp in spans if not _states_difference(_comma_piece(sentence, sp[0], sp[1]))]
    return spans


def _once_each(targets: list[Target]) -> list[Target]:
    """``targets`` without repeats: a plan that sets one target twice (as a goal
    and again among its measures: 0—6岁儿童眼保健和视力检查覆盖率 90%以上) gives it once."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for target in targets:
        key = (fold(target.indicator_norm or target.indicator), target.value_text)
        if key not in seen:
            seen.add(key)
            kept.append(target)
    return kept


def _asks_value(analysis: QueryAnalysis) -> bool:
    """The question goes to the value rules: it asks a number, a target or a comparison, or names an indicator."""
    return bool(analysis.asks_number or analysis.intent in ("target", "compare") or analysis.indicators)


def _closest(hits: list[Hit]) -> str:
    """The not-sure line: the closest clauses, said to be possibly beside the point."""
    return NOT_SURE + "；".join(h.citation for h in hits) + "。" if hits else "文件中没有找到相关内容。"


def _bigrams(text: str) -> list[str]:
    return [text[i:i + 2] for i in range(len(text) - 1)]


@lru_cache(maxsize=1)
def _word_lists() -> tuple[frozenset[str], frozenset[str]]:
    """Function characters (的, 是 …: no evidence of what a value measures) and
    generic indicator heads (比例, 人数 …: 比例 in a question names no indicator)."""
    data = units_data()
    return frozenset(data["function_characters"]), frozenset(data["generic_heads"])


def _generic_heads() -> frozenset[str]:
    return _word_lists()[1]


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _question_words(analysis: QueryAnalysis) -> str:
    """The question and its vocabulary's words, folded: what target names are fitted to."""
    return _asking_removed(fold(analysis.query + " " + " ".join(analysis.expansions)))


# words that ask for a length of time: no part of what is measured (时间 of
# 多长时间 does not name 体育活动时间)
_ASKING_TIME = re.compile(r"多长时间|多少时间|什么时间|多长的时间")


def _asking_removed(text: str) -> str:
    return _ASKING_TIME.sub(" ", text)


def _row_group(scored: list[tuple[float, Target]]) -> list[Target]:
    """Of a plan's targets scored best first, the ones to report: the best
    clause's fitting targets, plus equally fitting ones printed in a
    neighbouring clause (a table row split in two: 城区 / 农村)."""
    top_score, top = scored[0]
    return [
        t for score, t in scored
        if (t.clause_id == top.clause_id and score >= top_score * 0.6) or score >= top_score * 0.9
    ]


def _told_apart(typed_folded: str, group: list[Target]) -> list[Target]:
    """Of a plan's targets reported together (a clause's 小学生 / 初中生 / 高中阶段学生
    近视率, 城市 / 农村社区), those the question names by a character pair only
    their own name has (高中 of 高中生近视率; not 学 of 初中学生, which 小学生
    prints too); all of them when it names none, or names each."""
    if len(group) < 2:
        return group
    names = [fold(_without_unit(t.indicator)) for t in group]
    prefix = len(os.path.commonprefix(names))
    suffix = len(os.path.commonprefix([n[::-1] for n in names]))
    texts = [n[prefix:len(n) - suffix] if prefix + suffix < len(n) else n for n in names]
    if any(len(_content_chars(text)) < 2 for text in texts):
        return group  # told apart by one character (社区 / 村): too little to read a question by
    cores = [{b for b in _bigrams(text) if not b.isspace()} for text in texts]
    asked = set(_bigrams(typed_folded))
    named = [
        t for i, t in enumerate(group)
        if asked & (cores[i] - set().union(*(c for j, c in enumerate(cores) if j != i)))
    ]
    return named or group


def _content_chars(text: str) -> set[str]:
    function, _ = _word_lists()
    return {c for c in _CJK.findall(text) if c not in function}


def _overlap(question_folded: str, piece_folded: str) -> float:
    """How much of the question a piece of a sentence repeats: its character
    pairs, and at a third of the weight its single content characters
    (女 in 女不得早于二十周岁, where no pair of 女孩子 is printed)."""
    pairs = [b for b in dict.fromkeys(_bigrams(question_folded)) if not b.isspace()]
    near = sum(1 for b in pairs if b in piece_folded)
    return near + sum(1 for c in _content_chars(question_folded) if c in piece_folded) / 3.0


_NUMERAL_CHARS = frozenset("零〇一二两三四五六七八九十百千万")


def _char_share(question_folded: str, target: Target) -> float:
    """Share of the content characters of a target's indicator name that the
    question has (初中生近视率 over 小学生近视率 for 初中学生近视比例)."""
    name = _content_chars(fold(_without_unit(target.indicator)))
    return len(name & _content_chars(question_folded)) / len(name) if name else 0.0


# any printed value: a number with its unit or percent sign
_ANY_VALUE = re.compile(r"(?:[0-9０-９][0-9０-９.．]*|[零〇一二两三四五六七八九十百千万]{2,})\s*(?:%|％|‰|[\u4e00-\u9fff]{1,2})?")


_FULL_STOP = re.compile(r"(?<=[。！!？?])")
# what begins and ends the piece of a sentence a figure stands in
_PIECE_STARTS = "，,：:；;"
_PIECE_ENDS = "，,。；;"
# a sentence's clauses: what a semicolon sets apart (…七十二小时内作出…；情况紧急的，…二十四小时内作出)
_CLAUSE_STARTS = "；;"
_CLAUSE_ENDS = "。；;"
# where the clause that names what a figure counts begins: a semicolon, or the
# colon that ends a list's lead
_NAMING_STARTS = "；;：:"


def _sentence_asked(asked: set[str], sentences: list[set[str]], scores: list[float]) -> int:
    """Which of one clause's figure sentences (their content characters, and
    each one's score for the question) the question asks about. Words every
    one prints (载有学生的校车…最高时速) tell them apart no more than their
    score does; each question character that only some print (雾, 冰 of 大雾,
    结冰, beside 80 and 60 km/h on 高速公路, 其他道路) adds DISTINCT_CHAR.
    Ties go to the first."""
    common = set.intersection(*sentences) if sentences else set()
    return max(
        range(len(sentences)),
        key=lambda i: (scores[i] + DISTINCT_CHAR * len((asked & sentences[i]) - common), -i),
    )


def _comma_piece(sentence: str, start: int, end: int, starts: str = _PIECE_STARTS, stops: str = _PIECE_ENDS) -> str:
    """The comma-separated piece of ``sentence`` that a value at [start, end)
    stands in (at most PIECE_CHARS on either side of the value)."""
    return _value_segment(sentence, start, end, _piece_start(sentence, start, starts), stops)


def _piece_start(sentence: str, start: int, starts: str) -> int:
    """Where the piece holding position ``start`` begins: after the last of
    ``starts`` before it, at most PIECE_CHARS back."""
    low = max(0, start - PIECE_CHARS)
    return max(max(sentence.rfind(p, low, start) for p in starts) + 1, low)


def _pick_in_sentence(question_folded: str, sentence: str, spans: list[tuple[int, int, str]]) -> str:
    """Of several figures of one kind in a sentence, the one the question asks
    for, by the words of each figure's comma-separated piece that not every
    piece prints (不超过, 享受 tell none apart): the question's words count for
    a piece, words the question lacks against it (公办幼儿园 without 普惠性民办
    for 其中公办幼儿园…百分之五十; 女 of 女不得早于二十周岁 beside 男…).
    Figures in different semicolon clauses are first told apart by the
    conditions those clauses state (``_clauses_asked``).
    The first piece often prints the subject that later pieces leave out
    (三至六年级书面作业…60分钟，初中…90分钟): its matches count at
    FIRST_PIECE_WEIGHT (FIRST_ITEM_WEIGHT among 、 items), and a later
    piece's only where the first lacks them. Tied figures whose own words the
    question names none of (结婚的法定年龄 beside 男…，女…) are answered
    together, as printed, up to PARALLEL_CHARS; other ties go to the first.
    Several figures in the piece chosen (小学生10小时、初中生9小时…) are told
    apart the same way by the pieces a 、 sets apart."""
    if len(spans) == 1:
        return spans[0][2]
    asked = {c for c in _content_chars(question_folded) if c not in _NUMERAL_CHARS}
    # the figures still in the running: first those of the semicolon clause asked
    group = _clauses_asked(asked, sentence, spans)
    group = _end_asked(question_folded, sentence, spans, group)
    group = _not_negated(question_folded, sentence, spans, group)
    levels = ((_PIECE_STARTS, _PIECE_ENDS, FIRST_PIECE_WEIGHT), (_PIECE_STARTS + "、", _PIECE_ENDS + "、", FIRST_ITEM_WEIGHT))
    for starts, stops, weight in levels:
        texts = [_comma_piece(sentence, spans[i][0], spans[i][1], starts, stops) for i in group]
        pieces = [{c for c in _content_chars(fold(text)) if c not in _NUMERAL_CHARS} for text in texts]
        common = set.intersection(*pieces)
        if all(piece == common for piece in pieces):
            continue  # one piece holds them all: try the pieces a 、 sets apart
        first = pieces[0]
        scores = [
            (weight * len((asked & piece) - common) if j == 0 else len((asked & piece) - common - first))
            - 0.5 * len(piece - common - asked)
            for j, piece in enumerate(pieces)
        ]
        best = max(range(len(group)), key=lambda j: (scores[j], -j))
        tied = [j for j, score in enumerate(scores) if score == scores[best]]
        if len(tied) > 1 and all(pieces[j] - common for j in tied) and not any(asked & (pieces[j] - common) for j in tied):
            # parallel figures told apart only by words the question does not
            # name (男…二十二周岁，女…二十周岁 for 法定婚龄): all of them, as printed
            together = _parallel_span(sentence, spans[group[tied[0]]], spans[group[tied[-1]]], starts, stops)
            if together:
                return together
        # several figures in the piece chosen (男性满六十周岁、女性满五十五周岁):
        # the pieces a 、 sets apart tell them apart
        group = [group[j] for j, text in enumerate(texts) if text == texts[best]]
        if len(group) == 1:
            break
    return spans[group[0]][2]


def _clauses_asked(asked: set[str], sentence: str, spans: list[tuple[int, int, str]]) -> list[int]:
    """Of figures in a sentence's semicolon clauses, those of the clause the
    question asks about. A clause that puts a condition before its figure
    (情况紧急的，…二十四小时内作出; 情节严重的，处…) states a special case: it
    answers when the question names CONDITION_CHARS of that condition's
    characters (情况特别急; of several such clauses, the one it names most of),
    and otherwise the clause without one (…七十二小时内作出) states the rule."""
    group = list(range(len(spans)))
    starts = [_piece_start(sentence, start, _CLAUSE_STARTS) for start, _, _ in spans]
    if len(set(starts)) < 2:
        return group  # one clause
    named: list[int] = []
    for i in group:
        before = sentence[starts[i]:spans[i][0]]
        conditions = [p for p in re.split(r"[，,]", before)[:-1] if p.endswith("的")]
        chars = {c for p in conditions for c in _content_chars(fold(p)) if c not in _NUMERAL_CHARS}
        named.append(len(asked & chars) if chars else -1)
    top = max(named)
    if top >= CONDITION_CHARS:
        return [i for i, n in zip(group, named, strict=True) if n == top]
    plain = [i for i, n in zip(group, named, strict=True) if n < 0]
    return plain or group


@lru_cache(maxsize=1)
def _bounds() -> dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    """Per end of a range ("upper", "lower"): the words that ask for it, and
    those printed before or after a figure that mark it (``bounds`` in
    answer_units.json)."""
    data = units_data()["bounds"]
    return {
        end: (tuple(data[end]["asked"]), tuple(data[end]["before"]), tuple(data[end]["after"]))
        for end in ("upper", "lower")
    }


def _bound_of(sentence: str, span: tuple[int, int, str]) -> str | None:
    """Which end of a range a sentence marks a figure as (不超过60周岁: upper;
    25周岁以上: lower), or None (unmarked, or a range itself: 五千元以上一万元以下)."""
    start, _, text = span
    before = fold(sentence[max(0, start - BOUND_CHARS):start])
    text = fold(text)
    marked = [
        end for end, (_, printed_before, printed_after) in _bounds().items()
        if before.endswith(printed_before) or text.endswith(printed_after)
    ]
    return marked[0] if len(marked) == 1 and not ("以上" in text and "以下" in text) else None


def _end_asked(question_folded: str, sentence: str, spans: list[tuple[int, int, str]], group: list[int]) -> list[int]:
    """Of the figures ``group``, those of the end of a range the question asks
    (年龄上限 → 不超过60周岁, not 25周岁以上 beside it), when the sentence marks
    figures as both ends; otherwise all of them."""
    asked = [end for end, (cues, _, _) in _bounds().items() if any(cue in question_folded for cue in cues)]
    if len(asked) != 1:
        return group
    ends = [_bound_of(sentence, spans[i]) for i in group]
    if not ({"upper", "lower"} <= set(ends)):
        return group
    return [i for i, end in zip(group, ends, strict=True) if end == asked[0]]


@lru_cache(maxsize=1)
def _negation_cues() -> tuple[str, ...]:
    return tuple(sorted(units_data()["negations"]["cues"], key=len, reverse=True))


_NEGATED_WORD = re.compile(r"[\u4e00-\u9fff]{2}")


def _not_negated(question_folded: str, sentence: str, spans: list[tuple[int, int, str]], group: list[int]) -> list[int]:
    """Of the figures ``group``, those whose own piece does not print a word the
    question negates (不上高速: not 在高速公路上…80公里) without that negation,
    when one of them does not; otherwise all of them."""
    negated = []
    for cue in _negation_cues():
        at = question_folded.find(cue)
        while at >= 0:
            word = _NEGATED_WORD.match(question_folded, at + len(cue))
            # 是不是 / 上不上 ask whether: no negation
            if word and not (at > 0 and question_folded[at - 1] == cue[-1]):
                negated.append((cue, word.group(0)))
            at = question_folded.find(cue, at + len(cue))
    if not negated:
        return group
    kept = []
    for i in group:
        piece = fold(_comma_piece(sentence, spans[i][0], spans[i][1]))
        if not any(word in piece and cue + word not in piece for cue, word in negated):
            kept.append(i)
    return kept or group


@lru_cache(maxsize=1)
def _range_end_cues() -> dict[str, re.Pattern[str]]:
    data = units_data()["range_ends"]
    return {key: re.compile("|".join(f"(?:{c})" for c in data[key])) for key in ("end", "start", "both")}


_RANGE_JOIN = re.compile(r"至|到|—|-|~|～")
_DAILY = re.compile(r"^(?:每日|每天)")


def _range_end(question_folded: str, value: str) -> str:
    """The end of a printed range of clock times that the question asks (管到第二天
    早上几点 → 次日八时 of 每日二十二时至次日八时; 从几点开始 → 二十二时), or the
    value as printed when it asks both ends or the value is no range."""
    cues = _range_end_cues()
    if cues["both"].search(question_folded):
        return value
    parts = _RANGE_JOIN.split(value, maxsplit=1)
    if len(parts) != 2:
        return value
    if cues["end"].search(question_folded) and not cues["start"].search(question_folded):
        return parts[1].strip()
    if cues["start"].search(question_folded) and not cues["end"].search(question_folded):
        return _DAILY.sub("", parts[0]).strip()
    return value


_CITED_TITLE = re.compile(r"《[^《》]{1,100}》")
# what may follow a number of years that states a term (三年以上, 五年内, 满二年的, 两年一次)
_AFTER_A_TERM = frozenset("以及内后前的起之左一为或至到半多整满来间中")


def _runs_into_a_word(sentence: str, end: int) -> bool:
    """Whether the figure ending at ``end`` runs on into a word it is part of
    (九年义务教育, 三年行动计划), rather than standing as a value."""
    return end < len(sentence) and bool(_CJK.match(sentence[end])) and sentence[end] not in _AFTER_A_TERM


@lru_cache(maxsize=1)
def _differences() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words that print a figure as a difference (相差), and those that ask one."""
    data = units_data()["differences"]
    return tuple(data["printed"]), tuple(data["asked"])


@lru_cache(maxsize=1)
def _payers() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The words that ask what a person pays, and those that name a person or a unit as the one fined."""
    data = units_data()["payers"]
    return tuple(data["person_asked"]), tuple(data["person"]), tuple(data["unit"])


# a place a condition names (在学校、幼儿园和其他未成年人集中活动的公共场所)
_PLACE_PHRASE = re.compile(r"在[\u4e00-\u9fff、]{0,40}?(?:场所|内|中|里|周边|附近)")


def _fines_a_unit(piece: str, clause: str) -> bool:
    """Whether a figure is of a unit, not a person: its piece names a unit and
    no person (并对其所在单位处五千元以上二万元以下罚款), or names neither in a
    clause whose condition names a unit and no person (幼儿园违反…的，…处五千元以上二万元以下罚款)."""
    _, person, unit = _payers()

    def names(text: str, words: tuple[str, ...]) -> bool:
        return any(word in text for word in words)

    if names(piece, unit) or names(piece, person):
        return names(piece, unit) and not names(piece, person)
    # who the clause is about: its condition (…的，), without the places it
    # names (在学校、幼儿园…公共场所吸烟 fines the smoker, not the school)
    end = clause.find("的，", 0, PIECE_CHARS)
    condition = _PLACE_PHRASE.sub("", clause[:end]) if end >= 0 else ""
    for word in unit:
        condition = condition.replace("在" + word, "")  # 在学校吸烟: a place
    return names(condition, unit) and not names(condition, person)


# the words right after a count's figure read as what it counts (三个周期 of
# 三个周期自贡儿童发展纲要; 3个儿童友好社区)
COUNTED_CHARS = 4


def _counts_asked(sentence: str, span: tuple[int, int, str], counted: str) -> bool:
    """Whether a count's figure counts what the question does: the words it
    runs on into share a character with the question's (3个儿童友好社区), or it
    runs on into none (示范机构为2个。)."""
    after = words_after(sentence, span[1])
    return not after or bool(_content_chars(after[:COUNTED_CHARS]) & _content_chars(counted))


def _states_difference(piece: str) -> bool:
    """Whether a figure's piece prints it as a difference (年龄应当相差四十周岁以上)."""
    return any(word in piece for word in _differences()[0])


def _outside_titles(sentence: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The figures of ``spans`` that are not in the title of a document the
    sentence cites (落实《…促进3岁以下婴幼儿照护服务发展的实施方案》: no age stated)."""
    if "《" not in sentence:
        return spans
    titles = [(m.start(), m.end()) for m in _CITED_TITLE.finditer(sentence)]
    return [sp for sp in spans if not any(a <= sp[0] < b for a, b in titles)]


# a year of the calendar (2030年, 2021—2030年), which no count of years is
_CALENDAR_YEAR = re.compile(r"(?:19|20)\d{2}(?:\s*[—–\-~～至到]\s*(?:(?:19|20)\d{2}|\d{2}))?年(?:及以上|及以下|以上|以下|以内|左右)?")


def _asked_lead(question_folded: str, quantity: QuantityClass) -> str | None:
    """The character a question puts right before the words that ask its number
    (满 of 需要满多少岁, 超 of 不超过多少), when it is no particle: a sentence that
    prints it right before a figure (年满三十周岁) says what is asked."""
    found = quantity.asked.search(question_folded)
    if found is None or found.start() == 0:
        return None
    lead = question_folded[found.start() - 1]
    return lead if _CJK.match(lead) and lead not in _NO_LEAD else None


_NO_LEAD = frozenset("的是有要得了在为到给就才能可会还都也")


def _piece_names(sentence: str, span: tuple[int, int, str], heads: list[str]) -> bool:
    """Whether the piece a figure stands in names one of the rates ``heads``."""
    piece = _comma_piece(sentence, span[0], span[1])
    return any(h in fold(piece) or h in normalize_indicator(piece) for h in heads)


def _per_what(question: str) -> str | None:
    """The base of a ratio a question asks (千 of 每一千个孩子, 每千人口; 万 of
    每万人), or None."""
    found = _PER_ASKED.search(fold(question))
    return found.group(1) if found else None


def _states_per(folded: str, per: str) -> bool:
    """Whether a text states a number per ``per`` (每千名, 千人口, ‰ for 千)."""
    if f"每{per}" in folded or (per == "千" and "‰" in folded):
        return True
    # 千名, 千人 — not 五千人 (每五千人口一所: no ratio per thousand)
    return any(m.start() == 0 or folded[m.start() - 1] not in _NUMERAL_CHARS for m in re.finditer(f"{per}[名人]", folded))


_PER_ASKED = re.compile(r"每一?([千万]|十万)(?:个|名|位|人|户)?")


@lru_cache(maxsize=1)
def _leave_names() -> tuple[str, ...]:
    """The kinds of leave (``leave_names`` in answer_units.json), longest first."""
    return tuple(sorted(units_data()["leave_names"], key=len, reverse=True))


def _other_leaves_blanked(sentence: str, question_folded: str) -> str:
    """``sentence`` with each leave name the question does not print, but which
    holds one it does, blanked to as many □ (陪产假 for a question on 产假), so
    that offsets into it stay those of the sentence."""
    asked = [name for name in _leave_names() if name in question_folded]
    for name in _leave_names():
        if name not in asked and any(a in name for a in asked):
            sentence = sentence.replace(name, "□" * len(name))
    return sentence


def _parallel_span(sentence: str, first: tuple[int, int, str], last: tuple[int, int, str], starts: str, stops: str) -> str | None:
    """From the piece of the ``first`` figure to the end of the ``last`` one's
    piece when its noun follows (两名子女), or None past PARALLEL_CHARS."""
    since = _piece_start(sentence, first[0], starts)
    ends = [i for i in (sentence.find(p, last[1], last[1] + PARALLEL_TAIL + 1) for p in stops) if i >= 0]
    until = min(ends) if ends else last[1]
    return sentence[since:until] if until - since <= PARALLEL_CHARS else None


def _value_segment(sentence: str, start: int, end: int, since: int, stops: str = _PIECE_ENDS) -> str:
    """The words that go with a value printed at ``sentence[start:end]``: from
    ``since`` (the end of the value before it, or the sentence start) to the
    value, and on to the next comma or stop."""
    high = min(len(sentence), end + PIECE_CHARS)
    ends = [i for i in (sentence.find(p, end, high) for p in stops) if i >= 0]
    return sentence[max(since, start - PIECE_CHARS):min(ends) if ends else high]


_TRAILING_PARENS = re.compile(r"[（(][^）)]*[）)]$")
# what a figure measures, by its last two characters: a rate (死亡率) or a leave (哺乳假)
_RATE_HEAD = re.compile(r"[\u4e00-\u9fff][率假](?!期)")
_NOT_LEAVE = frozenset("天日周月年个几放请休度")


def _rate_heads(analysis: QueryAnalysis) -> list[str]:
    """The rates a question names by their last two characters (自杀率 → 杀率),
    as typed and as the indicator table normalises them (龋齿率 → 龋患率), and
    the leaves it names the same way (婚假, 乳假 of 哺乳假)."""
    forms = (fold(analysis.query), normalize_indicator(analysis.query))
    heads = [h for form in forms for h in _RATE_HEAD.findall(form)]
    # a leave by its kind (婚假, 乳假 of 哺乳假), not 几天假, 放假
    return [h for h in dict.fromkeys(heads) if h not in ("比率", "效率", "频率") and not (h[1] == "假" and h[0] in _NOT_LEAVE)]


def _has_head(target: Target, heads: list[str]) -> bool:
    """Whether a target measures one of the rates named (by their last two
    characters): printed whole (优良率 in 体质健康优良率), or with a word between
    them at the end of the name (优良达标率 for 优良率)."""
    names = (fold(target.indicator), fold(target.indicator_norm or ""), normalize_indicator(target.indicator))
    return any(_ends_with_head(name, h) for h in heads for name in names)


def _ends_with_head(name: str, head: str) -> bool:
    name = _without_unit(name).strip()
    if head in name:
        return True
    return len(head) == 2 and name.endswith(head[1]) and head[0] in name[-5:-1]


def _without_unit(indicator: str) -> str:
    """An indicator name without the unit printed after it: 婴儿死亡率（‰） → 婴儿死亡率.
    Only the last UNIT_CHARS are looked at (a unit is short), so a name of any
    length costs the same."""
    head, tail = indicator[:-UNIT_CHARS], indicator[-UNIT_CHARS:]
    return head + _TRAILING_PARENS.sub("", tail)


UNIT_CHARS = 40
# the part of an indicator's name a question names is read from this
# length (村委会主任中女性 of 村委会主任中女性比例; 比例 alone names no indicator)
MIN_NAMED_CHARS = 4


def _names_indicator(question: str, target: Target) -> bool:
    """Whether the question names the target's indicator: in full, or the last
    of the things a name lists (村党组织成员、村党组织书记中女性比例 → 村党组织书记中女性比例),
    either without a last word that names no particular indicator (村委会主任中女性
    of 村委会主任中女性比例: 村委会主任中女性要占百分之几)."""
    folded = fold(question)
    full, parts = _indicator_names(target.indicator)
    # a part read after 的 names a narrower thing (持职业资格证书的技能劳动者中女性
    # is not 技能劳动者中女性)
    return (full is not None and full in folded) or any(re.search(f"(?<!的){re.escape(part)}", folded) for part in parts)


def _indicator_names(indicator: str) -> tuple[str | None, list[str]]:
    """The indicator's name in full (None when under three characters), then
    the parts of it a question names it by."""
    name = fold(_without_unit(indicator))
    names = [name, name.rsplit("、", 1)[-1]]
    for n in list(names):
        head = next((h for h in _generic_heads() if n.endswith(h)), None)
        if head is not None:
            names.append(n[: -len(head)])
    # the name in full from three characters (近视率), its parts from four
    parts = [n for n in dict.fromkeys(names[1:]) if n != name and len(n) >= MIN_NAMED_CHARS]
    return (name if len(name) >= 3 else None), parts


def target_fit(question_folded: str, target: Target) -> float:
    """How well a target answers a question: how many character pairs of its
    indicator name the question shares, plus the share of the name covered."""
    return _typed_fit(question_folded, question_folded, target)


def _typed_fit(question_folded: str, typed_folded: str, target: Target) -> float:
    """``target_fit`` with the pairs only an expansion brings (中学生 → 中小学生)
    at half weight: the words typed tell sibling indicators apart (初中生近视率,
    not 小学生近视率, for 初中学生近视比例)."""
    name = fold(_without_unit(target.indicator))
    pairs = [b for b in dict.fromkeys(_bigrams(name)) if not b.isspace()]
    if not pairs:
        return 0.0
    typed = sum(1 for b in pairs if b in typed_folded)
    expanded = sum(1 for b in pairs if b in question_folded and b not in typed_folded)
    found = typed + 0.5 * expanded
    return found + found / len(pairs)


def _distinct_share(typed_folded: str, target: Target, siblings: list[Target]) -> float:
    """For a target set beside others in one clause: the share of what sets its
    name apart from theirs (初中生 of 初中生近视率 beside 小学生近视率 and
    高中阶段学生近视率) that the question has; 0 for a target alone."""
    names = list(dict.fromkeys(fold(_without_unit(s.indicator)) for s in siblings))
    if len(names) < 2:
        return 0.0
    name = fold(_without_unit(target.indicator))
    prefix = len(os.path.commonprefix(names))
    suffix = len(os.path.commonprefix([n[::-1] for n in names]))
    core = name[prefix:len(name) - suffix] if prefix + suffix < len(name) else name
    chars = _content_chars(core)
    return len(chars & _content_chars(typed_folded)) / len(chars) if chars else 0.0


def _name_share(question_folded: str, target: Target) -> float:
    """Share of the character pairs of a target's indicator name that the question has."""
    name = fold(_without_unit(target.indicator))
    pairs = [b for b in dict.fromkeys(_bigrams(name)) if not b.isspace()]
    return sum(1 for b in pairs if b in question_folded) / len(pairs) if pairs else 0.0


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


_ARTICLE_NUMBER = re.compile(r"^\s*第[一二三四五六七八九十百千零〇两0-9]+条(?:之[一二三四五六七八九十0-9]+)?\s*")


def _strip_article_number(text: str) -> str:
    """``text`` without the 第N条 it starts with (the citation names the article)."""
    return _ARTICLE_NUMBER.sub("", text, count=1)


def _best_sentence(answerer: Answerer, analysis: QueryAnalysis, text: str) -> str:
    """The sentence of a clause that answers best. A measure's short lead
    sentence (有效控制儿童近视。) names the topic; the answer is in the body, so
    the lead is chosen only when no body sentence covers more."""
    sentences = [s.strip() for s in split_sentences(_strip_article_number(_strip_item_number(text)))]
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
