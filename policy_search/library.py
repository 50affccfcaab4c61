"""The library API: policy-search from Python, the same calls as the CLI and HTTP.

    from policy_search import Library

    lib = Library.open("data/index")            # an index built by `policy-search ingest`
    lib = Library.open("data/index", build=True)  # … built from the bundled corpus if missing
    for hit in lib.search("防止儿童溺水", top_k=3, jurisdiction="自贡"):
        print(hit.citation, hit.text)
    answer = lib.ask("大渡口区婴儿死亡率的目标是多少？")
    comparison = lib.compare("婴儿死亡率")
    matches = lib.similar(text="鼓励社区图书馆设立亲子阅读区")

Filters are keyword arguments named as in the HTTP API (``jurisdiction``,
``doc_id``, ``subject``, ``kind``, ``doc_type``). Results are the service's
own dataclasses (``Hit``, ``Answer``, ``Comparison``) and ``SimilarClause``;
each has ``to_dict()`` giving the JSON the HTTP API returns. Errors are the
service's: ``search.errors.BadRequest`` (a bad query or filter),
``NotFound`` (an unknown id), ``index.errors.IndexNotFoundError`` (no index).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.layout import has_index
from search.answer import Answer
from search.diff import DiffSpan
from search.hits import Highlight, Hit
from search.service import Filters, SearchService
from search.targets_table import Comparison

from . import settings

__all__ = ["Answer", "Comparison", "Filters", "Hit", "Library", "SimilarClause", "ensure_index"]


@dataclass
class SimilarClause:
    """A clause of another document that says the same thing as the source,
    with the character diff against it."""

    hit: Hit
    group: str  # near-identical | reworded | related
    score: float
    char_similarity: float
    cosine: float | None
    diff: list[DiffSpan]
    matched_text: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "clause": self.hit.to_dict(),
            "group": self.group,
            "score": self.score,
            "char_similarity": self.char_similarity,
            "cosine": self.cosine,
            "diff": [d.to_dict() for d in self.diff],
            "matched_text": self.matched_text,
        }


def hit_from_dict(data: dict[str, Any]) -> Hit:
    """A ``Hit`` from its ``to_dict()`` form (what the service returns inside
    comparisons, documents and similar results)."""
    fields = dict(data)
    fields["highlights"] = [Highlight(**h) for h in fields.get("highlights", [])]
    fields.setdefault("features", None)
    return Hit(**fields)


def ensure_index(index: Path | str, corpus: Path | str | None = None, *, progress: bool = False) -> bool:
    """Build the index at ``index`` from ``corpus`` (default: the ``corpus``
    setting, else the bundled corpus) when there is none yet; the prebuilt
    embeddings of the bundled corpus are used when its files match them.
    True when an index was built."""
    from .bundled import corpus_dir, seed_cache
    from .pipeline import ingest_paths

    index = Path(index)
    if has_index(index):  # a damaged index is reported when opened, never silently rebuilt
        return False
    source = Path(corpus) if corpus is not None else corpus_dir()
    seed_cache([source], settings.get_path("cache"))
    ingest_paths([source], index, progress=progress and sys.stderr.isatty())
    return True


class Library:
    """Search, answers, target comparison and precedent wording over one index.

    Thread-safe for reading, like the service under the HTTP API. Open it once
    and keep it: opening loads the index and the embedding model (a second or two).
    """

    def __init__(self, service: SearchService):
        self.service = service

    @classmethod
    def open(
        cls,
        index: Path | str | None = None,
        *,
        build: bool = False,
        corpus: Path | str | None = None,
        embedder: str | None = None,
    ) -> Library:
        """Open the index at ``index`` (default: the ``index`` setting,
        ``POLICY_SEARCH_INDEX`` or ``data/index``). With ``build``, an index
        that does not exist yet is first built from ``corpus`` (default: the
        ``corpus`` setting, else ``corpus/`` here, else the corpus bundled in
        the package). ``embedder`` overrides the query embedder (it must
        embed into the index's space)."""
        index_dir = Path(index) if index is not None else settings.get_path("index")
        if build:
            ensure_index(index_dir, corpus)
        return cls(SearchService.open(index_dir, embedder_spec=embedder))

    @property
    def index_dir(self) -> Path:
        """The version directory of the index this library reads."""
        return Path(self.service.reader.path)

    # ---- retrieval ---------------------------------------------------------------------

    def search(
        self,
        query: str,
        top_k: int = 10,
        *,
        jurisdiction: str | None = None,
        doc_id: str | None = None,
        subject: str | None = None,
        kind: str | None = None,
        doc_type: str | None = None,
    ) -> list[Hit]:
        """The ``top_k`` best clauses for ``query`` (each a whole clause with
        its citation), best first, never the same clause twice."""
        filters = Filters(jurisdiction, doc_id, subject, kind, doc_type)
        return self.service.search(query, top_k, filters).hits

    def ask(
        self,
        question: str,
        *,
        jurisdiction: str | None = None,
        doc_id: str | None = None,
        subject: str | None = None,
        kind: str | None = None,
        doc_type: str | None = None,
    ) -> Answer:
        """A short answer and the clauses to quote; ``found`` is False (with
        the closest clauses) when the documents do not say."""
        return self.service.ask(question, Filters(jurisdiction, doc_id, subject, kind, doc_type))

    def compare(
        self,
        indicator: str,
        *,
        jurisdiction: str | None = None,
        doc_id: str | None = None,
        subject: str | None = None,
        kind: str | None = None,
        doc_type: str | None = None,
    ) -> Comparison:
        """One indicator's targets across plans (one row per plan that
        quantifies it, the others in ``missing``); ``search.charts`` draws it."""
        return self.service.compare(indicator, Filters(jurisdiction, doc_id, subject, kind, doc_type))

    def similar(
        self,
        *,
        clause_id: str | None = None,
        text: str | None = None,
        top_k: int = 10,
        jurisdiction: str | None = None,
        doc_id: str | None = None,
        subject: str | None = None,
        kind: str | None = None,
        doc_type: str | None = None,
    ) -> list[SimilarClause]:
        """Clauses of other documents worded like the clause ``clause_id`` or
        like ``text`` (give one), each other document's best match first."""
        filters = Filters(jurisdiction, doc_id, subject, kind, doc_type)
        data = self.service.similar(clause_id=clause_id, text=text, top_k=top_k, filters=filters)
        return [
            SimilarClause(
                hit=hit_from_dict(m["clause"]),
                group=m["group"],
                score=m["score"],
                char_similarity=m["char_similarity"],
                cosine=m["cosine"],
                diff=[DiffSpan(**d) for d in m["diff"]],
                matched_text=m.get("matched_text"),
            )
            for m in data["results"]
        ]

    # ---- documents and clauses -----------------------------------------------------------

    def documents(self) -> list[dict[str, Any]]:
        """Every document: id, title, doc type, jurisdiction, clause count …"""
        return self.service.list_documents()

    def document(self, doc_id: str) -> dict[str, Any]:
        """One document's metadata and its clauses (as hit dicts) in reading order."""
        return self.service.get_document(doc_id)

    def clause(self, clause_id: str, context: int = 3) -> dict[str, Any]:
        """One clause as a hit dict, with ``context`` clauses before and after and its section."""
        return self.service.get_clause(clause_id, context)

    def hit(self, clause_id: str) -> Hit:
        """One clause as a ``Hit`` (text, citation, ids) by its id."""
        return hit_from_dict(self.clause(clause_id, context=0)["clause"])

    def retriever(
        self,
        top_k: int = 5,
        *,
        jurisdiction: str | None = None,
        doc_id: str | None = None,
        subject: str | None = None,
        kind: str | None = None,
        doc_type: str | None = None,
    ) -> Any:
        """A LangChain retriever over this library (extra ``[langchain]``):
        ``retriever.invoke(query)`` gives the ``top_k`` clauses as Documents."""
        from .langchain import PolicySearchRetriever

        return PolicySearchRetriever(
            library=self, top_k=top_k, jurisdiction=jurisdiction, doc_id=doc_id, subject=subject, kind=kind,
            doc_type=doc_type,
        )

    def __repr__(self) -> str:
        return f"Library({self.index_dir}, {len(self.service.documents)} documents, {len(self.service.clauses)} clauses)"
