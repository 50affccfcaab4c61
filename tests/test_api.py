"""The HTTP API in-process (FastAPI TestClient) over the real index."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["documents"] == 6


def test_search_contract(client):
    r = client.post("/v1/search", json={"query": "防止儿童溺水", "top_k": 5, "filters": {"jurisdiction": "大渡口区"}})
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"results", "took_ms"}
    assert 1 <= len(body["results"]) <= 5
    assert {h["jurisdiction"] for h in body["results"]} == {"大渡口区"}


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"query": ""},
        {"query": "溺水", "top_k": 0},
        {"query": "溺水", "top_k": 100000},
        {"query": "x" * 5000},
        {"query": "溺水", "filters": {"doc_id": "../../etc/passwd"}},
        {"query": "溺水", "filters": {"kind": "poem"}},
        {"query": "溺水", "unknown": 1},
        {"query": 123},
    ],
)
def test_bad_search_requests_are_4xx_json(client, payload):
    r = client.post("/v1/search", json=payload)
    assert 400 <= r.status_code < 500, r.text
    assert "message" in r.json()["error"]


def test_malformed_json_is_4xx(client):
    r = client.post("/v1/search", content=b"{not json", headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500
    assert "message" in r.json()["error"]


def test_documents_endpoints(client):
    docs = client.get("/v1/documents").json()["documents"]
    assert len(docs) == 6
    one = client.get(f"/v1/documents/{docs[0]['doc_id']}").json()
    assert one["clauses"]
    cid = one["clauses"][3]["clause_id"]
    ctx = client.get(f"/v1/clauses/{cid}").json()
    assert ctx["clause"]["clause_id"] == cid


@pytest.mark.parametrize("path", ["/v1/documents/nope", "/v1/clauses/nope", "/v1/clauses/..%2F..%2Fetc%2Fpasswd"])
def test_unknown_ids_are_404(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "message" in r.json()["error"]


def test_openapi(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    assert "/v1/search" in r.json()["paths"]


def test_ask_endpoint(client):
    r = client.post("/v1/ask", json={"question": "攀枝花市西区妇女基本医保参保率要稳定在多少？"})
    assert r.status_code == 200
    body = r.json()
    assert body["found"] and body["answer"] == "95%以上"
    assert body["citations"][0]["doc_id"] == "xiqu-women"
    r = client.post("/v1/ask", json={"question": "攀枝花市西区新建儿童医院选址在哪里？"})
    assert r.status_code == 200 and r.json()["found"] is False


def test_compare_and_targets_endpoints(client):
    r = client.get("/v1/compare", params={"indicator": "婴儿死亡率"})
    assert r.status_code == 200
    assert len(r.json()["rows"]) == 5
    r = client.get("/v1/compare", params={"indicator": "婴儿死亡率", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    r = client.get("/v1/targets", params={"jurisdiction": "大渡口区"})
    assert r.status_code == 200 and r.json()["count"] >= 45
    assert client.get("/v1/compare").status_code == 422


def test_similar_endpoint(client):
    cid = client.post("/v1/search", json={"query": "预防和控制儿童溺水", "top_k": 1, "filters": {"jurisdiction": "自贡"}}).json()["results"][0]["clause_id"]
    r = client.post("/v1/similar", json={"clause_id": cid, "top_k": 3})
    assert r.status_code == 200
    results = r.json()["results"]
    assert results and {"clause", "score", "group", "diff"} <= set(results[0])
    assert client.post("/v1/similar", json={}).status_code == 400
    assert client.post("/v1/similar", json={"clause_id": "nope"}).status_code == 404


def test_shared_wording_endpoint(client):
    r = client.get("/v1/shared-wording", params={"min_plans": 4})
    assert r.status_code == 200 and r.json()["clusters"]
    r = client.get("/v1/shared-wording", params={"format": "html"})
    assert r.status_code == 200 and "<html" in r.text.lower()
