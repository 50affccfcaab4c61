"""The MCP server (`policy-search mcp`, extra [mcp]), driven end to end by the
MCP Python SDK's own client: over stdio (the server a subprocess, as an
assistant starts it) and over streamable HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

mcp = pytest.importorskip("mcp", reason="the [mcp] extra is not installed")

from mcp import Client, StdioServerParameters  # noqa: E402

from tests.conftest import CACHE  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TOOLS = {"search_clauses", "ask", "compare_targets", "similar_wording", "get_document", "get_clause"}
FILTERS = {"jurisdiction", "doc_id", "subject", "kind", "doc_type"}

pytestmark = pytest.mark.integration


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["POLICY_SEARCH_CACHE"] = str(CACHE)
    env["PYTHONPATH"] = str(REPO)
    return env


def text_of(result: Any) -> str:
    assert not result.is_error, result.content
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def exercise(client: Client) -> dict[str, Any]:
    """Call every tool and read the resources; return what came back."""
    out: dict[str, Any] = {}
    listed = await client.list_tools()
    out["tools"] = {t.name: t for t in listed.tools}
    out["search"] = await client.call_tool(
        "search_clauses", {"query": "防止儿童溺水", "top_k": 3, "jurisdiction": "自贡", "kind": "measure"}
    )
    out["ask"] = await client.call_tool("ask", {"question": "大渡口区婴儿死亡率的目标是多少？"})
    out["ask_none"] = await client.call_tool("ask", {"question": "自贡市2025年最低工资标准是多少？"})
    out["compare"] = await client.call_tool("compare_targets", {"indicator": "婴儿死亡率", "subject": "儿童"})
    out["similar"] = await client.call_tool("similar_wording", {"text": "鼓励社区图书馆设立亲子阅读区", "top_k": 3})
    clause_id = out["search"].structured_content["results"][0]["clause_id"]
    out["clause_id"] = clause_id
    out["clause"] = await client.call_tool("get_clause", {"clause_id": clause_id, "context": 1})
    out["document"] = await client.call_tool("get_document", {"doc_id": "dadukou-children"})
    out["unknown"] = await client.call_tool("get_document", {"doc_id": "no-such-plan"})
    out["bad_kind"] = await client.call_tool("search_clauses", {"query": "溺水", "kind": "poem"})
    resources = await client.list_resources()
    out["resources"] = {str(r.uri): r for r in resources.resources}
    out["read_list"] = await client.read_resource("policy-search://documents")
    out["read_doc"] = await client.read_resource("policy-search://documents/xiqu-children")
    return out


def check(out: dict[str, Any]) -> None:
    tools = out["tools"]
    assert set(tools) == TOOLS
    for name in ("search_clauses", "ask", "compare_targets", "similar_wording"):
        assert FILTERS <= set(tools[name].input_schema["properties"]), name  # the API's filters
    assert all(t.annotations and t.annotations.read_only_hint for t in tools.values())

    search = text_of(out["search"])
    hits = out["search"].structured_content["results"]
    assert len(hits) == 3 and all(h["jurisdiction"] == "自贡市" and h["kind"] == "measure" for h in hits)
    for hit in hits:  # every clause quoted with its citation and id
        assert hit["citation"] in search and f"clause_id: {hit['clause_id']}" in search
    assert "溺水" in search

    ask = text_of(out["ask"])
    assert out["ask"].structured_content["found"] is True
    assert "2.3" in ask and "《重庆市大渡口区儿童发展规划（2021—2030年）》" in ask and "clause_id: dadukou-children-" in ask
    assert out["ask_none"].structured_content["found"] is False
    assert "没有找到答案" in text_of(out["ask_none"])

    compare = text_of(out["compare"])
    rows = out["compare"].structured_content["rows"]
    assert len(rows) >= 4
    for row in rows:
        assert row["hit"]["citation"] in compare and row["hit"]["clause_id"] in compare

    similar = text_of(out["similar"])
    results = out["similar"].structured_content["results"]
    assert results and all(r["clause"]["citation"] in similar for r in results)
    assert "diff:" in similar

    clause = text_of(out["clause"])
    assert f"clause_id: {out['clause_id']}" in clause and "《自贡市儿童发展纲要" in clause
    assert out["clause"].structured_content["clause"]["clause_id"] == out["clause_id"]

    document = text_of(out["document"])
    assert document.startswith("# 重庆市大渡口区儿童发展规划（2021—2030年）")
    assert document.count("clause_id: dadukou-children-") == out["document"].structured_content["clause_count"]

    for bad in ("unknown", "bad_kind"):
        assert out[bad].is_error
    assert "no-such-plan" in out["unknown"].content[0].text
    assert "poem" in out["bad_kind"].content[0].text

    resources = out["resources"]
    assert "policy-search://documents" in resources
    assert "policy-search://documents/zigong-children" in resources
    assert "自贡市儿童发展纲要" in (resources["policy-search://documents/zigong-children"].title or "")
    listing = out["read_list"].contents[0].text
    assert '"doc_id": "shiguai-children"' in listing
    doc = out["read_doc"].contents[0].text
    assert doc.startswith("# 攀枝花市西区儿童发展纲要") and "《攀枝花市西区儿童发展纲要（2021—2030年）》" in doc


def test_stdio_server_answers_every_tool_with_citations(index_dir):
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "policy_search.cli", "--index", str(index_dir), "mcp"],
        env=_env(),
        cwd=str(REPO),
    )

    async def main() -> dict[str, Any]:
        async with Client(params, read_timeout_seconds=120) as client:
            return await exercise(client)

    check(anyio.run(main))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_streamable_http_server(index_dir, tmp_path):
    port = _free_port()
    log = (tmp_path / "mcp-http.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "policy_search.cli", "--index", str(index_dir), "mcp", "--transport", "http",
         "--port", str(port)],
        cwd=REPO, env=_env(), stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "mcp-http.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the MCP HTTP server did not start"
                time.sleep(0.2)

        async def main() -> Any:
            async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=120) as client:
                tools = {t.name for t in (await client.list_tools()).tools}
                result = await client.call_tool("search_clauses", {"query": "家庭暴力", "top_k": 2, "doc_type": "plan"})
                return tools, result

        tools, result = anyio.run(main)
        assert tools == TOOLS
        text = text_of(result)
        hits = result.structured_content["results"]
        assert len(hits) == 2 and all(h["citation"] in text and h["clause_id"] in text for h in hits)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()
