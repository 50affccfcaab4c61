"""The data model shared by every stage: documents, clauses and targets.

Text fields hold the source's own characters (full-width digits, traditional
characters and both bracket styles stay as printed); folding for matching
happens inside the index, never here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ClauseKind = Literal["target", "measure", "indicator", "principle", "article", "row", "narrative"]
CLAUSE_KINDS: tuple[str, ...] = ("target", "measure", "indicator", "principle", "article", "row", "narrative")


@dataclass(frozen=True)
class Jurisdiction:
    """An administrative area: 大渡口区 (市辖区, province 重庆市, parent 重庆市,
    code 500104); 全国 (国家) for national documents.

    ``code`` is the 6-digit administrative division code (GB/T 2260) when the
    gazetteer knows the area; ``province`` and ``parent`` are full names."""

    name: str
    level: str | None = None
    province: str | None = None
    parent: str | None = None
    code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Jurisdiction:
        return cls(
            name=data["name"],
            level=data.get("level"),
            province=data.get("province"),
            parent=data.get("parent"),
            code=data.get("code"),
        )


@dataclass
class Document:
    """One document: a plan, law, regulation, judicial interpretation, case …
    A source file can hold several (the Xiqu notice holds two plans).

    ``jurisdiction`` is None when nothing printed names one (shown as unknown,
    never an empty name).  ``doc_type`` is plan, law, regulation, rule,
    judicial_interpretation, case, decision, notice, opinion, programme or
    document; ``profile`` the parsing profile (law, plan, notice, narrative);
    ``issued`` the issue or adoption date, ``version`` the date of the version
    the file holds (its last amendment, or the date in the file name)."""

    doc_id: str
    title: str
    subject: str | None
    jurisdiction: Jurisdiction | None
    period: tuple[int, int] | None
    status: str | None
    issued: str | None
    doc_number: str | None
    source_file: str  # file name relative to the ingested folder
    source_hash: str  # sha256 of the source file's bytes
    line_start: int = 1  # first line of this document in the source file (1-based)
    line_end: int = 0  # last line of this document in the source file (inclusive)
    title_printed: bool = True
    doc_type: str = "plan"
    profile: str = "plan"
    issuer: str | None = None
    version: str | None = None

    @property
    def jurisdiction_name(self) -> str | None:
        """The jurisdiction's name, None when unknown."""
        return self.jurisdiction.name if self.jurisdiction is not None else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["period"] = list(self.period) if self.period else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        period = data.get("period")
        jurisdiction = data.get("jurisdiction")
        return cls(
            doc_id=data["doc_id"],
            title=data["title"],
            subject=data.get("subject"),
            jurisdiction=Jurisdiction.from_dict(jurisdiction) if jurisdiction and jurisdiction.get("name") else None,
            period=(int(period[0]), int(period[1])) if period else None,
            status=data.get("status"),
            issued=data.get("issued"),
            doc_number=data.get("doc_number"),
            source_file=data["source_file"],
            source_hash=data["source_hash"],
            line_start=int(data.get("line_start", 1)),
            line_end=int(data.get("line_end", 0)),
            title_printed=bool(data.get("title_printed", True)),
            doc_type=str(data.get("doc_type") or "plan"),
            profile=str(data.get("profile") or "plan"),
            issuer=data.get("issuer"),
            version=data.get("version"),
        )


@dataclass
class Clause:
    """The unit of retrieval and citation: an article (第二十四条 with all its
    款 and 项), one numbered item, principle, paragraph of narrative, or one
    row of a table."""

    clause_id: str
    doc_id: str
    section_path: list[str]  # headings as printed, outermost first
    number: str | None  # the item's number ("3") or the article as printed ("第二十四条"); None when unnumbered
    kind: str  # one of CLAUSE_KINDS
    text: str  # as printed: broken lines re-joined, artefacts removed
    line_start: int  # 1-based, inclusive, in the source file
    line_end: int
    order: int  # reading order within the document, from 0
    source_file: str
    # Extra structured fields, e.g. for an indicator row: category, indicator,
    # target_value, attribute, responsible_unit.
    fields: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Clause:
        return cls(
            clause_id=data["clause_id"],
            doc_id=data["doc_id"],
            section_path=list(data["section_path"]),
            number=data.get("number"),
            kind=data["kind"],
            text=data["text"],
            line_start=int(data["line_start"]),
            line_end=int(data["line_end"]),
            order=int(data["order"]),
            source_file=data["source_file"],
            fields=dict(data.get("fields") or {}),
        )


@dataclass
class ParsedDocument:
    """A document with its clauses in reading order."""

    document: Document
    clauses: list[Clause]


@dataclass
class Target:
    """A quantified (or qualitative) target extracted from a clause."""

    indicator: str  # as printed, e.g. 婴儿死亡率
    indicator_norm: str  # normalised name so plans line up
    comparator: str | None  # ≤ < ≥ > = or None for qualitative targets
    comparator_text: str | None  # as printed: 以下 / 以上 / 达到 / 控制在 / ＜ …
    value: float | None
    value_text: str  # exactly as printed, e.g. ＜2.3‰, 95%以上, 下降
    unit: str | None  # ‰ % /10万 个 小时 …
    year: int | None
    baseline: str | None
    attribute: str | None  # 约束性 / 预期性
    responsible_unit: str | None
    qualitative: bool
    clause_id: str
    doc_id: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        return cls(**data)
