"""Bounded request work: per-client rate limits (429 + Retry-After), places
per class of work (503 + Retry-After), generation behind the key or a limit,
`/v1/similar` text capped and its quadratic comparisons bounded, allowed host
names, the Content-Security-Policy and a `/docs` page with no third-party
script."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient

from api.limits import Slots, TokenBuckets, host_name

# ---------------------------------------------------------------------------
# pure logic


def test_token_bucket_refills_and_refunds():
    buckets = TokenBuckets(rate=2, burst=3)
    assert [buckets.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", now=0.0) == pytest.approx(0.5)  # one token comes in 0.5 s
    assert buckets.take("b", now=0.0) == 0.0  # clients are counted apart
    assert buckets.take("a", now=0.5) == 0.0
    buckets.refund("a")
    assert buckets.take("a", now=0.5) == 0.0
    assert buckets.take("a", now=0.5) > 0
    assert TokenBuckets(rate=0, burst=1).take("a") == 0.0  # 0: no limit


def test_token_buckets_forget_the_least_recent_clients():
    buckets = TokenBuckets(rate=1, burst=1, max_keys=100)
    for n in range(1000):
        buckets.take(f"10.0.{n // 256}.{n % 256}", now=0.0)
    assert len(buckets._buckets) == 100


def test_slots_wait_in_order_and_time_out():
    async def scenario() -> list[str]:
        slots = Slots(1)
        events: list[str] = []
        assert await slots.acquire(0)
        assert not await slots.acquire(0)  # full, no waiting allowed

        async def waiter(name: str, timeout: float) -> None:
            ok = await slots.acquire(timeout)
            events.append(f"{name}:{ok}")
            if ok:
                slots.release()

        late = asyncio.create_task(waiter("late", 0.05))
        patient = asyncio.create_task(waiter("patient", 5))
        await asyncio.sleep(0.1)  # `late` gives up; `patient` is still queued
        slots.release()
        await asyncio.gather(late, patient)
        assert slots.busy == 0
        return events

    assert asyncio.run(scenario()) == ["late:False", "patient:True"]


def test_host_names():
    assert host_name("localhost:8000") == "localhost"
    assert host_name("[::1]:8000") == "::1"
    assert host_name("Example.ORG") == "example.org"
    assert host_name("::1") == "::1"


# ---------------------------------------------------------------------------
# the app


pytestmark = pytest.mark.integration


@pytest.fixture()
def app_for(service, monkeypatch):
    from api.app import create_app

    def make(**env: str):
        for name, value in env.items():
            monkeypatch.setenv(f"POLICY_SEARCH_{name.upper()}", value)
        return create_app(service_factory=lambda: service)

    return make


def _error(r, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    return str(body["error"]["message"])


def test_rate_limit_429_with_retry_after(app_for):
    app = app_for(rate_limit="1", rate_burst="3", rate_limit_exempt="")
    with TestClient(app) as c:
        for _ in range(5):  # refused requests (404) cost nothing
            assert c.get("/v1/documents/no-such-plan").status_code == 404
        assert [c.get("/v1/documents").status_code for _ in range(3)] == [200, 200, 200]
        r = c.get("/v1/documents")
        message = _error(r, 429)
        assert "too many requests" in message and int(r.headers["retry-after"]) >= 1
        assert c.get("/healthz").status_code == 200  # outside /v1/: probes are never limited
    exempt = app_for(rate_limit="1", rate_burst="1", rate_limit_exempt="testclient")
    with TestClient(exempt) as c:
        assert {c.get("/v1/documents").status_code for _ in range(5)} == {200}


class _Gated:
    """The session service, with `similar` held until a gate opens."""

    def __init__(self, service) -> None:
        self._service = service
        self.entered = threading.Event()
        self.gate = threading.Event()

    def similar(self, **kwargs):
        self.entered.set()
        self.gate.wait(30)
        return self._service.similar(**kwargs)

    def __getattr__(self, name: str):
        return getattr(self._service, name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("exempt", "status"), [("127.0.0.1", 503), ("", 429)])
def test_busy_class_answers_503_others_still_served(service, monkeypatch, exempt, status):
    """A class with every place taken: another client (here: loopback, exempt
    from per-client limits) waits, then gets 503; the client holding the
    places itself gets 429 at once. Other classes are still served."""
    import httpx
    import uvicorn

    from api.app import create_app

    monkeypatch.setenv("POLICY_SEARCH_MAX_SIMILAR_REQUESTS", "1")
    monkeypatch.setenv("POLICY_SEARCH_QUEUE_SECONDS", "0.2")
    monkeypatch.setenv("POLICY_SEARCH_RATE_LIMIT_EXEMPT", exempt)
    gated = _Gated(service)
    app = create_app(service_factory=lambda: gated)  # type: ignore[return-value]
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started
    base = f"http://127.0.0.1:{port}"
    first: list[int] = []
    holder = threading.Thread(
        target=lambda: first.append(httpx.post(f"{base}/v1/similar", json={"text": "预防儿童溺水"}, timeout=60).status_code)
    )
    try:
        holder.start()
        assert gated.entered.wait(30)
        with httpx.Client(base_url=base, timeout=30) as client:
            r = client.post("/v1/similar", json={"text": "预防儿童溺水"})
            message = _error(r, status)
            assert ("busy" if status == 503 else "in progress") in message and int(r.headers["retry-after"]) >= 1
            assert client.post("/v1/search", json={"query": "溺水", "top_k": 1}).status_code == 200
        gated.gate.set()
        holder.join(timeout=60)
        assert first == [200]
        with httpx.Client(base_url=base, timeout=30) as client:  # the place is free again
            assert client.post("/v1/similar", json={"text": "预防儿童溺水"}).status_code == 200
    finally:
        gated.gate.set()
        server.should_exit = True
        thread.join(timeout=10)


def test_generation_needs_the_key_or_stays_under_a_limit(app_for):
    question = {"question": "大渡口区婴儿死亡率要控制在多少？", "generate": True}
    with TestClient(app_for(generate_per_minute="0", api_key="k")) as c:
        assert "API key" in _error(c.post("/v1/ask", json=question), 401)
        # with the key it is not limited (here: not configured, so 400 says so)
        assert "not configured" in _error(c.post("/v1/ask", json=question, headers={"X-API-Key": "k"}), 400)
        assert c.post("/v1/ask", json={"question": "大渡口区婴儿死亡率要控制在多少？"}).status_code == 200
    with TestClient(app_for(generate_per_minute="1", api_key="k")) as c:
        assert c.post("/v1/ask", json=question).status_code == 400  # the one allowed (not configured)
        r = c.post("/v1/ask", json=question)
        assert "a minute" in _error(r, 429) and int(r.headers["retry-after"]) >= 1
        assert c.post("/v1/ask", json=question, headers={"X-API-Key": "k"}).status_code == 400


def test_similar_text_is_capped(app_for):
    from policy_search import settings

    with TestClient(app_for()) as c:
        too_long = "儿童" * settings.get_int("max_query_chars")
        _error(c.post("/v1/similar", json={"text": too_long}), 422)


def test_similar_compares_only_a_bounded_shortlist(service, monkeypatch):
    """The nearest clauses by embedding and every clause containing the wording
    are candidates (hundreds), but SequenceMatcher runs only on the shortlist
    and the diffs shown."""
    import difflib

    import search.diff
    import search.similar as similar

    engine = service.similarity
    phrase = "儿童发展"
    candidates = min(similar.DENSE_CANDIDATES, len(engine)) + sum(phrase in f for f in engine.folded)
    bound = 2 * similar.EXACT_CANDIDATES * (1 + similar.SENTENCES_COMPARED) + 10
    # the test means something: comparing every candidate once would exceed the bound
    assert min(similar.DENSE_CANDIDATES, len(engine)) > bound and candidates > bound
    calls: list[tuple[int, int]] = []

    class Counting(difflib.SequenceMatcher):
        def __init__(self, isjunk=None, a="", b="", autojunk=True):
            calls.append((len(a), len(b)))
            super().__init__(isjunk, a, b, autojunk)

    monkeypatch.setattr(similar.difflib, "SequenceMatcher", Counting)
    monkeypatch.setattr(search.diff, "SequenceMatcher", Counting)
    vector = service.reader.embedder.embed_passages([phrase])[0]
    matches = engine.similar(text=phrase, query_vector=vector, top_k=10, exclude_same_doc=False)
    assert len(matches) == 10 and matches[0].char_similarity >= 0.8
    assert 0 < len(calls) <= bound
    calls.clear()
    shown = engine.similar(text="儿童" * 5000, query_vector=vector, top_k=10)  # an overlong text is cut
    assert 0 < len(calls) <= bound and max(a for a, _ in calls) <= similar.MAX_TEXT_CHARS
    compared = calls[: len(calls) - len(shown)]  # the rest are the diffs of the results shown
    assert compared and all(a <= similar.MAX_COMPARE_CHARS and b <= similar.MAX_COMPARE_CHARS for a, b in compared)


def test_hosts_csp_and_docs(app_for):
    with TestClient(app_for(allowed_hosts="localhost,testserver")) as c:
        r = c.get("/healthz", headers={"Host": "evil.example"})
        assert "POLICY_SEARCH_ALLOWED_HOSTS" in _error(r, 400)
        assert c.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200
        assert c.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200  # the `host` setting

        page = c.get("/")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" in c.post("/v1/search", json={"query": "溺水", "top_k": 1}).headers

        docs = c.get("/docs")
        assert docs.status_code == 200 and "/v1/search" in docs.text and "/v1/similar" in docs.text
        assert "<script" not in docs.text.lower() and "cdn" not in docs.text.lower()
        docs_csp = docs.headers["content-security-policy"]
        assert "default-src 'none'" in docs_csp and "script-src" not in docs_csp
        assert c.get("/redoc").status_code == 404
        assert "/v1/search" in c.get("/openapi.json").json()["paths"]
    with TestClient(app_for(allowed_hosts="*")) as c:
        assert c.get("/healthz", headers={"Host": "anything.example"}).status_code == 200
