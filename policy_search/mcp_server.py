"""An MCP server over one index (extra ``[mcp]``): the documents with their
citations, for AI assistants.

``policy-search mcp`` serves it over stdio (an assistant starts it as a
subprocess) or streamable HTTP (``--transport http``, at ``/mcp``). Built on
the official MCP Python SDK (``mcp`` 2.x, ``MCPServer``).

Tools (all read-only; the filters are the HTTP API's: ``jurisdiction`` — any
division by full or short name, a province including its cities — ``doc_id``,
``subject``, ``kind``, ``doc_type``):

- ``search_clauses``: the best whole clauses for a query;
- ``ask``: a short answer and the clauses to quote, or "the documents do not say";
- ``compare_targets``: one indicator's quantified targets across plans;
- ``similar_wording``: clauses of other documents worded like a clause or a text;
- ``get_document``: a document's metadata and its clauses in reading order;
- ``get_clause``: one clause with its neighbours.

Every result is text an assistant can quote — each clause with its citation
(《…》… 第3项 / 第二十条) and its clause id — and the same data as structured
content (the HTTP API's JSON). Resources: ``policy-search://documents`` (the
list) and ``policy-search://documents/{doc_id}`` (one document as Markdown,
every clause with its citation and id), one listed per document.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field

from index.embedders.base import MissingDependencyError
from index.errors import PolicyIndexError
from search.errors import PolicySearchError
from search.hits import Hit

from .library import Library

MCP_EXTRA_HINT = "pip install 'policy-search[mcp]'"

try:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ResourceError
    from mcp.server.mcpserver.resources import FunctionResource
    from mcp.types import CallToolResult, TextContent, ToolAnnotations
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by tests/test_install.py
    raise MissingDependencyError(f"the MCP server needs the MCP Python SDK: {MCP_EXTRA_HINT}") from exc
URI_PREFIX = "policy-search://"
MAX_DOCUMENT_CLAUSES = 2000  # a resource or get_document beyond this says so instead of growing without bound

INSTRUCTIONS = (
    "Search Chinese policy documents — development plans (儿童发展规划, 妇女发展纲要), laws, regulations, "
    "judicial interpretations and cases — clause by clause. Quote clauses with the citation given "
    "(《title》section 第N项/第N条) and keep the clause_id to fetch a clause again with get_clause. "
    "When ask says the documents do not say, do not make an answer up."
)

Jurisdiction = Annotated[
    str | None,
    Field(description="Only this place: any division by full or short name (山东, 深圳, 大渡口区, 全国); a province includes its cities and counties."),
]
DocId = Annotated[str | None, Field(description="Only this document (ids from the policy-search://documents resource).")]
Subject = Annotated[str | None, Field(description="Only documents of this subject: 儿童, 妇女, 教育 …")]
Kind = Annotated[
    str | None,
    Field(description="Clause kinds, comma-separated: article, target, measure, indicator, principle, row, narrative."),
]
DocType = Annotated[
    str | None,
    Field(description="Document types, comma-separated: plan, law, regulation, rule, judicial_interpretation, case, notice …"),
]
TopK = Annotated[int, Field(ge=1, le=50, description="How many clauses to return.")]


# ---- text an assistant can quote -------------------------------------------------------------


def hit_text(hit: Hit, n: int | None = None) -> str:
    """One clause: its citation, ids and place, then the clause as printed."""
    head = f"{n}. " if n is not None else ""
    place = hit.jurisdiction or "地区未知"
    return (
        f"{head}{hit.citation}\n"
        f"   clause_id: {hit.clause_id} · doc_id: {hit.doc_id} · {place} · {hit.doc_type} · {hit.kind}\n"
        f"   {hit.text}"
    )


def _hit(data: dict[str, Any]) -> Hit:
    from .library import hit_from_dict

    return hit_from_dict(data)


def document_markdown(document: dict[str, Any], limit: int = MAX_DOCUMENT_CLAUSES) -> str:
    """A document as Markdown: title, facts, then every clause under its
    headings, each with its citation and clause id."""
    jurisdiction = (document.get("jurisdiction") or {}).get("name") or "地区未知"
    lines = [
        f"# {document['title']}",
        "",
        f"- doc_id: {document['doc_id']}",
        f"- 地区: {jurisdiction}",
        f"- 类型: {document.get('doc_type')}",
        f"- 条款: {document.get('clause_count')}",
    ]
    for key, label in (("issuer", "发布机关"), ("issued", "发布日期"), ("doc_number", "文号"), ("status", "状态")):
        if document.get(key):
            lines.append(f"- {label}: {document[key]}")
    previous: list[str] = []
    clauses = document.get("clauses", [])
    for clause in clauses[:limit]:
        path = list(clause.get("section_path") or [])
        level = 0
        while level < min(len(path), len(previous)) and path[level] == previous[level]:
            level += 1
        for i in range(level, len(path)):
            lines += ["", f"{'#' * min(i + 2, 6)} {path[i]}"]
        previous = path
        lines += ["", clause["text"], f"> {clause['citation']} · clause_id: {clause['clause_id']}"]
    if len(clauses) > limit:
        lines += ["", f"（另有 {len(clauses) - limit} 条未列出；用 get_clause 按 clause_id 取。）"]
    return "\n".join(lines) + "\n"


# ---- the server ----------------------------------------------------------------------------------


def build_server(library: Library | Callable[[], Library], *, name: str = "policy-search") -> MCPServer:
    """The MCP server over ``library`` (or a callable returning the library
    to use for each call, e.g. one that follows a rebuilt index)."""
    from . import __version__

    def current() -> Library:
        return library if isinstance(library, Library) else library()

    server = MCPServer(name, instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

    def result(text: str, data: dict[str, Any]) -> CallToolResult:
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)

    def failed(exc: Exception) -> CallToolResult:
        message = exc.message if isinstance(exc, PolicySearchError) else str(exc)
        return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)

    def guarded(call: Callable[[], CallToolResult]) -> CallToolResult:
        try:
            return call()
        except (PolicySearchError, PolicyIndexError) as exc:
            return failed(exc)

    @server.tool(title="Search clauses", annotations=read_only)
    def search_clauses(
        query: Annotated[str, Field(min_length=1, max_length=500, description="What to look for, in Chinese: 防止儿童溺水, 家庭暴力告诫书 …")],
        top_k: TopK = 5,
        jurisdiction: Jurisdiction = None,
        doc_id: DocId = None,
        subject: Subject = None,
        kind: Kind = None,
        doc_type: DocType = None,
    ) -> CallToolResult:
        """Find the clauses of policy documents (plans, laws, regulations …) that
        match a query, best first. Each result is one whole clause with its
        citation and clause_id."""

        def run() -> CallToolResult:
            lib = current()
            found = lib.service.search(query, top_k, _filters(jurisdiction, doc_id, subject, kind, doc_type))
            hits = found.hits
            text = "\n\n".join(hit_text(h, i) for i, h in enumerate(hits, 1)) or "没有找到相关条款。"
            if found.message:
                text = f"{found.message}\n\n{text}"
            return result(text, found.to_dict())

        return guarded(run)

    @server.tool(title="Ask a question", annotations=read_only)
    def ask(
        question: Annotated[str, Field(min_length=1, max_length=500, description="A question in Chinese: 大渡口区婴儿死亡率的目标是多少？")],
        jurisdiction: Jurisdiction = None,
        doc_id: DocId = None,
        subject: Subject = None,
        kind: Kind = None,
        doc_type: DocType = None,
    ) -> CallToolResult:
        """Answer a question from the documents: a short answer and the clauses
        to quote, or an honest statement that the documents do not say
        (found: false, with the closest clauses)."""

        def run() -> CallToolResult:
            answer = current().ask(
                question, jurisdiction=jurisdiction, doc_id=doc_id, subject=subject, kind=kind, doc_type=doc_type
            )
            head = f"答：{answer.answer}\n{answer.answer_text}" if answer.found else f"（文件中没有找到答案）{answer.answer_text}"
            label = "依据：" if answer.found else "最接近的条款："
            cites = "\n\n".join(hit_text(h, i) for i, h in enumerate(answer.citations, 1))
            return result(f"{head}\n\n{label}\n{cites}" if cites else head, answer.to_dict())

        return guarded(run)

    @server.tool(title="Compare targets across plans", annotations=read_only)
    def compare_targets(
        indicator: Annotated[str, Field(min_length=1, max_length=50, description="An indicator, matched loosely: 婴儿死亡率, 近视率, 学前教育毛入园率 …")],
        jurisdiction: Jurisdiction = None,
        doc_id: DocId = None,
        subject: Subject = None,
        kind: Kind = None,
        doc_type: DocType = None,
    ) -> CallToolResult:
        """One indicator's quantified targets across plans: value, comparator,
        unit and target year per plan, each with the clause it comes from; and
        the plans that set no such target."""

        def run() -> CallToolResult:
            comparison = current().compare(
                indicator, jurisdiction=jurisdiction, doc_id=doc_id, subject=subject, kind=kind, doc_type=doc_type
            )
            lines = []
            for i, row in enumerate(comparison.rows, 1):
                hit = row.hit
                lines.append(
                    f"{i}. {row.jurisdiction or '地区未知'}：{row.indicator} {row.value}"
                    f"（{row.year or '年份未注明'}年{('，' + row.attribute) if row.attribute else ''}）\n"
                    f"   {hit['citation']}\n   clause_id: {hit['clause_id']} · doc_id: {row.doc_id}"
                )
            if comparison.missing:
                lines.append("未量化此指标的规划：" + "、".join(comparison.missing))
            text = "\n".join(lines) if comparison.rows else f"没有规划量化“{indicator}”。" + ("\n" + lines[-1] if lines else "")
            return result(text, comparison.to_dict())

        return guarded(run)

    @server.tool(title="Similar wording in other documents", annotations=read_only)
    def similar_wording(
        text: Annotated[str | None, Field(max_length=2000, description="A wording to find in other documents (give this or clause_id).")] = None,
        clause_id: Annotated[str | None, Field(description="A clause whose wording to find elsewhere (give this or text).")] = None,
        top_k: TopK = 5,
        jurisdiction: Jurisdiction = None,
        doc_id: DocId = None,
        subject: Subject = None,
        kind: Kind = None,
        doc_type: DocType = None,
    ) -> CallToolResult:
        """Clauses of other documents that say the same thing as a clause or a
        wording — precedent wording — grouped as near-identical, reworded or
        related, each with a character diff ({+added+} [-removed-])."""

        def run() -> CallToolResult:
            from search.diff import diff_inline

            matches = current().similar(
                clause_id=clause_id, text=text, top_k=top_k, jurisdiction=jurisdiction, doc_id=doc_id,
                subject=subject, kind=kind, doc_type=doc_type,
            )
            blocks = [
                f"{hit_text(m.hit, i)}\n   [{m.group}] similarity {m.char_similarity:.2f}; diff: {diff_inline(m.diff)}"
                for i, m in enumerate(matches, 1)
            ]
            return result("\n\n".join(blocks) or "其他文件中没有相似的表述。", {"results": [m.to_dict() for m in matches]})

        return guarded(run)

    @server.tool(title="Get a document", annotations=read_only)
    def get_document(
        doc_id: Annotated[str, Field(min_length=1, max_length=200, description="The document's id (from search results or policy-search://documents).")],
    ) -> CallToolResult:
        """A document's metadata and all its clauses in reading order, each with
        its citation and clause_id (as Markdown)."""

        def run() -> CallToolResult:
            document = current().document(doc_id)
            return result(document_markdown(document), document)

        return guarded(run)

    @server.tool(title="Get a clause", annotations=read_only)
    def get_clause(
        clause_id: Annotated[str, Field(min_length=1, max_length=200, description="The clause id from a search result.")],
        context: Annotated[int, Field(ge=0, le=10, description="Clauses to include before and after it.")] = 1,
    ) -> CallToolResult:
        """One clause with its citation, the document it belongs to, and its
        neighbours in the document."""

        def run() -> CallToolResult:
            data = current().clause(clause_id, context)
            parts = [hit_text(_hit(data["clause"]))]
            if data["before"]:
                parts.append("前文：\n" + "\n".join(hit_text(_hit(h)) for h in data["before"]))
            if data["after"]:
                parts.append("后文：\n" + "\n".join(hit_text(_hit(h)) for h in data["after"]))
            return result("\n\n".join(parts), data)

        return guarded(run)

    # ---- resources: the documents ----------------------------------------------------------

    def documents_json() -> str:
        docs = current().documents()
        slim = [
            {
                "doc_id": d["doc_id"], "title": d["title"], "doc_type": d.get("doc_type"),
                "jurisdiction": (d.get("jurisdiction") or {}).get("name"), "clause_count": d.get("clause_count"),
                "uri": f"{URI_PREFIX}documents/{d['doc_id']}",
            }
            for d in docs
        ]
        return json.dumps({"documents": slim}, ensure_ascii=False, indent=1)

    server.add_resource(
        FunctionResource(
            uri=f"{URI_PREFIX}documents", name="documents", title="The indexed documents",
            description="Every document: id, title, type, jurisdiction, clause count and its resource URI.",
            mime_type="application/json", fn=documents_json,
        )
    )

    def document_reader(doc_id: str) -> Callable[[], str]:
        return lambda: document_markdown(current().document(doc_id))

    for doc in current().documents():
        place = (doc.get("jurisdiction") or {}).get("name") or "地区未知"
        server.add_resource(
            FunctionResource(
                uri=f"{URI_PREFIX}documents/{doc['doc_id']}", name=doc["doc_id"], title=doc["title"],
                description=f"{doc['title']} ({place}, {doc.get('doc_type')}, {doc.get('clause_count')} clauses) "
                "as Markdown, every clause with its citation and clause_id.",
                mime_type="text/markdown", fn=document_reader(doc["doc_id"]),
            )
        )

    @server.resource(
        f"{URI_PREFIX}documents/{{doc_id}}", name="document", title="A document by id",
        description="One document as Markdown, every clause with its citation and clause_id.", mime_type="text/markdown",
    )
    def document_resource(doc_id: str) -> str:
        try:
            return document_markdown(current().document(doc_id))
        except PolicySearchError as exc:
            raise ResourceError(exc.message) from None

    return server


def _filters(jurisdiction: str | None, doc_id: str | None, subject: str | None, kind: str | None, doc_type: str | None) -> Any:
    from search.service import Filters

    return Filters(jurisdiction, doc_id, subject, kind, doc_type)


Transport = Literal["stdio", "http"]


def run_server(
    library: Library, transport: Transport = "stdio", *, host: str = "127.0.0.1", port: int = 8001, path: str = "/mcp"
) -> None:
    """Serve ``library`` over MCP until the client disconnects (stdio) or the
    process is stopped (streamable HTTP at ``http://host:port{path}``)."""
    server = build_server(library)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port, streamable_http_path=path)
