"""Targets as data: every quantified target of every plan, and the
comparison of one indicator across plans."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingest.model import Clause, Document, Target
from ingest.targets import document_targets, match_indicator, normalize_indicator
from ingest.text import fold

TARGET_CSV_FIELDS = [
    "doc_id", "jurisdiction", "indicator", "indicator_norm", "comparator", "comparator_text", "value",
    "value_text", "unit", "year", "baseline", "attribute", "responsible_unit", "qualitative", "clause_id",
]


class TargetTable:
    """All targets of an index: as stored at build time (``stored``, by clause
    row), or extracted when the index is opened (an index built before targets
    were stored, or by another extractor version)."""

    def __init__(
        self,
        documents: dict[str, Document],
        clauses: Sequence[Clause],
        stored: Mapping[int, list[Target]] | None = None,
    ):
        self.documents = documents
        self.targets: list[Target] = []
        self.by_clause: dict[str, list[Target]] = {}
        if stored is not None:
            # stored targets name their clause: no pass over every clause
            n = len(clauses)
            for row in sorted(r for r in stored if 0 <= r < n):
                found = stored[row]
                if found:
                    self.by_clause[found[0].clause_id] = found
                    self.targets.extend(found)
        else:
            for clause in clauses:
                found = document_targets(clause, documents.get(clause.doc_id))
                if found:
                    self.by_clause[clause.clause_id] = found
                    self.targets.extend(found)
        self.indicator_names = sorted({t.indicator for t in self.targets})

    def filter(self, *, doc_ids: set[str] | None = None, indicator: str | None = None) -> list[Target]:
        rows = self.targets
        if doc_ids is not None:
            rows = [t for t in rows if t.doc_id in doc_ids]
        if indicator:
            names = set(match_indicator(indicator, {t.indicator for t in rows}))
            rows = [t for t in rows if t.indicator in names]
        return rows

    def row(self, target: Target) -> dict[str, Any]:
        doc = self.documents[target.doc_id]
        data = target.to_dict()
        data["jurisdiction"] = doc.jurisdiction_name
        return data

    def to_csv(self, targets: list[Target]) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=TARGET_CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for t in targets:
            writer.writerow(self.row(t))
        return buf.getvalue()


def indicator_closeness(query: str, indicator: str) -> float:
    """How well a printed indicator name fits the indicator a user typed:
    1.0 for the same normalised name, less the more the name adds."""
    q = normalize_indicator(query)
    name = normalize_indicator(indicator)
    if not q or not name:
        return 0.0
    if q == name:
        return 1.0
    if q in name:
        return 0.5 + 0.5 * len(q) / len(name)
    if name in q:
        return 0.5 + 0.4 * len(name) / len(q)
    common = longest_common_substring(fold(q), fold(name))
    return 0.5 * common / max(len(q), len(name))


def longest_common_substring(a: str, b: str) -> int:
    best = 0
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0] * (len(b) + 1)
        for j, cb in enumerate(b, 1):
            if ca == cb:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


@dataclass
class ComparisonRow:
    doc_id: str
    jurisdiction: str | None
    indicator: str
    value: str
    comparator: str | None
    unit: str | None
    year: int | None
    attribute: str | None
    targets: list[dict[str, Any]]
    hit: dict[str, Any]


@dataclass
class Comparison:
    indicator: str
    rows: list[ComparisonRow] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "rows": [vars(r) for r in self.rows],
            "missing": self.missing,
        }

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["doc_id", "jurisdiction", "indicator", "value", "comparator", "unit", "year", "attribute", "citation", "text"])
        for r in self.rows:
            writer.writerow([r.doc_id, r.jurisdiction or "", r.indicator, r.value, r.comparator or "", r.unit or "", r.year or "",
                             r.attribute or "", r.hit.get("citation", ""), r.hit.get("text", "")])
        return buf.getvalue()


def best_targets_per_document(table: TargetTable, indicator: str, doc_ids: set[str]) -> dict[str, list[Target]]:
    """For each plan, the targets matching ``indicator`` in its best-fitting
    clause (all of them, so 小学生/初中生/高中阶段学生近视率 stay together)."""
    out: dict[str, list[Target]] = {}
    by_doc: dict[str, list[Target]] = {}
    for t in table.filter(doc_ids=doc_ids, indicator=indicator):
        by_doc.setdefault(t.doc_id, []).append(t)
    for doc_id, targets in by_doc.items():
        # prefer quantified over qualitative, then the closest name
        best = max(targets, key=lambda t: (not t.qualitative, indicator_closeness(indicator, t.indicator)))
        same_clause = [t for t in targets if t.clause_id == best.clause_id and t.qualitative == best.qualitative]
        out[doc_id] = same_clause
    return out
