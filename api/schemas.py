"""Request models at the API edge (pydantic); limits come from settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from policy_search import settings

MAX_QUERY = settings.get_int("max_query_chars")
MAX_TOP_K = settings.get_int("max_top_k")


class SearchFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: str | None = Field(None, max_length=50, description="Jurisdiction name, full or partial (大渡口区, 西区)")
    doc_id: str | None = Field(None, max_length=100, pattern=r"^[A-Za-z0-9_\-]+$")
    subject: str | None = Field(None, max_length=20, description="儿童 or 妇女")
    kind: str | None = Field(None, max_length=80, description="target, measure, indicator, principle, narrative (comma-separated)")


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

    clause_id: str | None = Field(None, max_length=100, pattern=r"^[A-Za-z0-9_\-]+$")
    text: str | None = Field(None, min_length=1, max_length=2000)
    top_k: int = Field(10, ge=1, le=MAX_TOP_K)
    filters: SearchFilters | None = None
