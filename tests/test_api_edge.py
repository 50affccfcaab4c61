"""The API at the edge: body size limit, write endpoints behind an API key,
paths and ids that must not reach the file system, CORS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.small_corpus import DADUKOU, XIANGNING, make_corpus, warm_cache

pytestmark = pytest.mark.integration


def _is_error(r, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["status"] == status and body["error"]["message"]
    return body["error"]


def test_body_over_limit_is_413(client):
    big = {"query": "溺水", "pad": "x" * 70_000}
    err = _is_error(client.post("/v1/search", json=big), 413)
    assert "65536" in err["message"]


def test_chunked_body_over_limit_is_413(client):
    def chunks():
        yield b'{"query": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    r = client.post("/v1/search", content=chunks(), headers={"content-type": "application/json"})
    _is_error(r, 413)


def test_small_bodies_still_pass(client):
    assert client.post("/v1/search", json={"query": "溺水", "top_k": 1}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("post", "/v1/ingest", {}), ("delete", "/v1/documents/dadukou-children", None), ("post", "/v1/reload", None)],
)
def test_writes_disabled_without_key(client, monkeypatch, method, path, body):
    monkeypatch.delenv("POLICY_SEARCH_API_KEY", raising=False)
    r = client.request(method, path, json=body, headers={"X-API-Key": "guess"})
    err = _is_error(r, 403)
    assert "POLICY_SEARCH_API_KEY" in err["message"]
    assert client.get("/v1/documents/dadukou-children").status_code == 200  # nothing removed


@pytest.mark.parametrize(
    "path",
    [
        "/v1/documents/..%2F..%2Fetc%2Fpasswd",
        "/v1/documents/%2e%2e",
        "/v1/documents/..",
        "/v1/clauses/..%2Fstore.sqlite",
        "/v1/clauses/%00",
        "/static/..%2F..%2Fpyproject.toml",
        "/v1/targets?doc_id=../../etc/passwd",
    ],
)
def test_path_like_ids_never_reach_files(client, path):
    r = client.get(path)
    assert r.status_code in (404, 422), r.text
    assert "root:" not in r.text and "[project]" not in r.text
    if r.headers["content-type"].startswith("application/json"):
        assert "message" in r.json()["error"]


def test_limits_on_query_and_top_k(client):
    from policy_search import settings

    _is_error(client.post("/v1/search", json={"query": "x" * (settings.get_int("max_query_chars") + 1)}), 422)
    _is_error(client.post("/v1/search", json={"query": "溺水", "top_k": settings.get_int("max_top_k") + 1}), 422)
    _is_error(client.post("/v1/ask", json={"question": "x" * 5000}), 422)


def test_cors_configurable(service, monkeypatch):
    from api.app import create_app

    preflight = {"Origin": "https://example.org", "Access-Control-Request-Method": "DELETE",
                 "Access-Control-Request-Headers": "X-API-Key"}
    monkeypatch.setenv("POLICY_SEARCH_CORS_ORIGINS", "https://example.org")
    with TestClient(create_app(service_factory=lambda: service)) as c:
        r = c.options("/v1/documents/x", headers=preflight)
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://example.org"
        assert "DELETE" in r.headers["access-control-allow-methods"]
        other = c.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    monkeypatch.delenv("POLICY_SEARCH_CORS_ORIGINS")
    with TestClient(create_app(service_factory=lambda: service)) as c:
        assert "access-control-allow-origin" not in c.get("/healthz", headers={"Origin": "https://example.org"}).headers


def test_a_starting_server_sets_the_switch_interval(service, monkeypatch):
    """The interpreter-lock switch interval comes from switch_interval_ms when
    the app starts (0: Python's own is left); a negative one is refused."""
    import sys

    from api.app import apply_switch_interval, create_app

    before = sys.getswitchinterval()
    try:
        monkeypatch.setenv("POLICY_SEARCH_SWITCH_INTERVAL_MS", "2")
        with TestClient(create_app(service_factory=lambda: service)) as c:
            assert c.get("/healthz").status_code == 200
            assert sys.getswitchinterval() == pytest.approx(0.002)
        sys.setswitchinterval(0.004)
        monkeypatch.setenv("POLICY_SEARCH_SWITCH_INTERVAL_MS", "0")
        apply_switch_interval()
        assert sys.getswitchinterval() == pytest.approx(0.004)
        monkeypatch.setenv("POLICY_SEARCH_SWITCH_INTERVAL_MS", "-1")
        with pytest.raises(ValueError, match="POLICY_SEARCH_SWITCH_INTERVAL_MS"):
            apply_switch_interval()
        monkeypatch.delenv("POLICY_SEARCH_SWITCH_INTERVAL_MS")
        apply_switch_interval()
        assert sys.getswitchinterval() == pytest.approx(0.0005)  # the default
    finally:
        sys.setswitchinterval(before)


def test_write_endpoints_with_key(tmp_path, index_dir, monkeypatch):
    from api.app import create_app
    from policy_search.pipeline import ingest_paths

    corpus = make_corpus(tmp_path / "corpus", (DADUKOU, XIANGNING))
    cache = warm_cache(tmp_path / "cache.sqlite")
    (tmp_path / "secret.txt").write_text("outside the corpus", encoding="utf-8")
    idx = tmp_path / "idx"
    ingest_paths([corpus], idx, cache_path=cache, progress=False)
    monkeypatch.setenv("POLICY_SEARCH_API_KEY", "s3cret")
    monkeypatch.setenv("POLICY_SEARCH_CORPUS", str(corpus))
    monkeypatch.setenv("POLICY_SEARCH_CACHE", str(cache))
    with TestClient(create_app(index_dir=idx)) as c:
        key = {"X-API-Key": "s3cret"}
        _is_error(c.post("/v1/reload"), 401)
        _is_error(c.post("/v1/reload", headers={"X-API-Key": "wrong"}), 401)
        assert c.post("/v1/reload", headers=key).json()["reloaded"] is False

        for bad in ("../secret.txt", "/etc/passwd", str(tmp_path / "secret.txt"), "~/x", "a\x00b"):
            _is_error(c.post("/v1/ingest", json={"path": bad}, headers=key), 400)
        _is_error(c.post("/v1/ingest", json={"path": "missing.txt"}, headers=key), 404)
        _is_error(c.delete("/v1/documents/no-such-plan", headers=key), 404)
        assert c.delete("/v1/documents/..%2Fsecret", headers=key).status_code in (404, 422)

        r = c.delete("/v1/documents/xiangning-children", headers=key)
        assert r.status_code == 200, r.text
        assert r.json()["removed"] == ["xiangning-children"] and r.json()["server"]["documents"] == 1
        assert [d["doc_id"] for d in c.get("/v1/documents").json()["documents"]] == ["dadukou-children"]
        _is_error(c.delete("/v1/documents/dadukou-children", headers=key), 409)  # the last plan

        r = c.post("/v1/ingest", json={"path": XIANGNING}, headers=key)
        assert r.status_code == 200, r.text
        assert r.json()["added"] == ["xiangning-children"]
        assert len(c.get("/v1/documents").json()["documents"]) == 2
        r = c.post("/v1/ingest", json={}, headers=key)  # sync the whole corpus folder
        assert r.status_code == 200 and r.json()["changed"] is False
