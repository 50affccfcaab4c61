"""Hits: one clause with its citation, as the API and CLI return it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from ingest.model import Clause, Document
from ingest.text import citation_heading, fold, marker_of

# Plan headings are printed glued to what follows (一、总体思路（三）主要目标);
# a law's 第X章 / 第X节 headings are separated by a space.
_GLUED_MARKERS = ("cn_enum", "paren_cn")


def citation(document: Document, clause: Clause) -> str:
    """A readable citation: the title, the section path as printed and the
    clause's own number in the document's citation unit:
    《重庆市大渡口区儿童发展规划（2021—2030年）》一、总体思路（三）主要目标 专栏一 第2项;
    《北京市未成年人保护条例》第三章 学校保护 第二十四条; a row of a table other
    than an indicator table is 第N行."""
    out = f"《{document.title}》"
    first = True
    for raw in clause.section_path:
        heading = citation_heading(raw)
        if not heading:
            continue
        if heading.startswith("专栏"):
            heading = heading.split()[0] if " " in heading else heading[:3]
        if first or marker_of(heading, _GLUED_MARKERS):
            out += heading
        else:
            out += " " + heading
        first = False
    number = clause.number
    if number:
        if clause.kind == "article" or number.startswith("第"):
            out += f" {number}"
        elif clause.kind == "row":
            out += f" 第{number}行"
        else:
            out += f" 第{number}项"
    return out


@dataclass
class Highlight:
    start: int
    end: int
    text: str


@dataclass
class Hit:
    clause_id: str
    doc_id: str
    title: str
    jurisdiction: str | None  # None when the document names none
    section_path: list[str]
    number: str | None
    kind: str
    text: str
    highlights: list[Highlight]
    score: float
    source: dict[str, Any]
    citation: str
    doc_type: str = "plan"
    features: dict[str, float] | None = field(default=None)

    def to_dict(self, with_features: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not with_features:
            data.pop("features", None)
        return data


@lru_cache(maxsize=16384)
def char_folded(text: str) -> str:
    """Fold character by character so offsets in the result match ``text``."""
    out = []
    for ch in text:
        f = fold(ch)
        out.append(f[0] if len(f) == 1 else ch)
    return "".join(out)


@lru_cache(maxsize=1024)
def _highlight_order(terms: tuple[str, ...]) -> list[str]:
    """The terms worth marking (two characters or more, or digits), folded,
    longest first: the same for every hit of one search."""
    folded = sorted({fold(t) for t in terms if t and t.strip()}, key=len, reverse=True)
    return [t for t in folded if len(t) >= 2 or t.isdigit()]


def highlight_spans(text: str, terms: list[str], limit: int = 20) -> list[Highlight]:
    """Non-overlapping spans of ``text`` where the (folded) terms occur."""
    folded = char_folded(text)
    spans: list[tuple[int, int]] = []
    for term in _highlight_order(tuple(terms)):
        start = folded.find(term)
        while start >= 0:
            end = start + len(term)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = folded.find(term, end)
    spans.sort()
    return [Highlight(s, e, text[s:e]) for s, e in spans[:limit]]


def make_hit(
    document: Document,
    clause: Clause,
    score: float,
    terms: list[str],
    features: dict[str, float] | None = None,
) -> Hit:
    return Hit(
        clause_id=clause.clause_id,
        doc_id=clause.doc_id,
        title=document.title,
        jurisdiction=document.jurisdiction_name,
        section_path=list(clause.section_path),
        number=clause.number,
        kind=clause.kind,
        text=clause.text,
        highlights=highlight_spans(clause.text, terms),
        score=round(float(score), 6),
        source={"file": clause.source_file, "line_start": clause.line_start, "line_end": clause.line_end},
        citation=citation(document, clause),
        doc_type=document.doc_type,
        features={k: round(v, 4) for k, v in features.items()} if features else None,
    )
