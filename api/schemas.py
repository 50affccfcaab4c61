"""Request models at the API edge (pydantic); limits come from settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from policy_search import settings

MAX_QUERY = settings.get_int("max_query_chars")
MAX_TOP_K = settings.get_int("max_top_k")
# document and clause ids: letters, digits (Chinese characters included), "_" and "-"
ID_PATTERN = r"^[\w\-]+$"


class SearchFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: str | None = Field(
        None,
        max_length=50,
        description="A place by full or short name (大渡口区, 西区, 山东, 深圳, 全国); a province includes its cities and counties",
    )
    doc_id: str | None = Field(None, max_length=100, pattern=ID_PATTERN)
    subject: str | None = Field(None, max_length=20, description="儿童, 妇女, 教育 …")
    kind: str | None = Field(
        None, max_length=80, description="article, target, measure, indicator, principle, row, narrative (comma-separated)"
    )
    doc_type: str | None = Field(
        None,
        max_length=120,
        description="plan, law, regulation, rule, judicial_interpretation, case, decision, notice, opinion, programme, document (comma-separated)",
    )


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., min_length=1, max_length=MAX_QUERY)
    top_k: int = Field(10, ge=1, le=MAX_TOP_K)
    filters: SearchFilters | None = None


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, max_length=MAX_QUERY)
    filters: SearchFilters | None = None
    generate: bool = Field(False, description="Also write a fluent answer from the cited clauses (needs an LLM endpoint in settings)")


class SimilarRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clause_id: str | None = Field(None, max_length=100, pattern=ID_PATTERN)
    text: str | None = Field(
        None, min_length=1, max_length=MAX_QUERY, description="Wording to find in other plans (at most max_query_chars characters)"
    )
    top_k: int = Field(10, ge=1, le=MAX_TOP_K)
    filters: SearchFilters | None = None
