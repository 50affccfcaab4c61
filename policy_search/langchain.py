"""A LangChain retriever over policy-search (extra ``[langchain]``).

    from policy_search import Library
    from policy_search.langchain import PolicySearchRetriever

    retriever = PolicySearchRetriever(library=Library.open("data/index"), top_k=5, jurisdiction="四川")
    docs = retriever.invoke("如何预防儿童溺水？")
    docs[0].page_content          # the clause as printed
    docs[0].metadata["citation"]  # 《自贡市儿童发展纲要（2021—2030年）》… 第3项

Each ``Document`` is one whole clause; its metadata carries what a RAG answer
needs to cite it: ``citation``, ``clause_id``, ``doc_id``, ``title``,
``jurisdiction``, ``doc_type``, ``kind``, ``number``, ``section_path``,
``score`` and ``source`` (file and line range).
"""

from __future__ import annotations

from typing import Any

from index.embedders.base import MissingDependencyError

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by tests/test_install.py
    raise MissingDependencyError(
        "the LangChain retriever needs langchain-core: pip install 'policy-search[langchain]'"
    ) from exc

from search.hits import Hit

from .library import Library

__all__ = ["PolicySearchRetriever", "hit_to_document"]


def hit_to_document(hit: Hit) -> Document:
    """One clause as a LangChain ``Document``: the clause text as printed, its
    citation and ids in the metadata."""
    return Document(
        page_content=hit.text,
        id=hit.clause_id,
        metadata={
            "citation": hit.citation,
            "clause_id": hit.clause_id,
            "doc_id": hit.doc_id,
            "title": hit.title,
            "jurisdiction": hit.jurisdiction,
            "doc_type": hit.doc_type,
            "kind": hit.kind,
            "number": hit.number,
            "section_path": list(hit.section_path),
            "score": hit.score,
            "source": dict(hit.source),
        },
    )


class PolicySearchRetriever(BaseRetriever):
    """Clauses of a policy-search index for a query, best first, as Documents.

    The filters are those of the HTTP API: ``jurisdiction`` (any division by
    full or short name), ``doc_id``, ``subject``, ``kind`` and ``doc_type``
    (comma-separated lists where the API takes them)."""

    library: Any  # a policy_search.Library (Any: pydantic need not know the class)
    top_k: int = 5
    jurisdiction: str | None = None
    doc_id: str | None = None
    subject: str | None = None
    kind: str | None = None
    doc_type: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        library: Library = self.library
        hits = library.search(
            query,
            self.top_k,
            jurisdiction=self.jurisdiction,
            doc_id=self.doc_id,
            subject=self.subject,
            kind=self.kind,
            doc_type=self.doc_type,
        )
        return [hit_to_document(hit) for hit in hits]
