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
