"""Hot reload: a running server picks up a new index version without a restart
and without failing requests in flight."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from index.layout import CURRENT_LINK, VERSIONS_DIR, switch_current
from tests.small_corpus import DADUKOU, append_clause, make_corpus, warm_cache

pytestmark = pytest.mark.integration

MARKER = "独角兽乐园"


@pytest.fixture()
def small(tmp_path, index_dir):  # index_dir: the session build warms the shared cache
    from policy_search.pipeline import ingest_paths

    corpus = make_corpus(tmp_path / "corpus", (DADUKOU,))
    cache = warm_cache(tmp_path / "cache.sqlite")
    idx = tmp_path / "idx"
    ingest_paths([corpus], idx, cache_path=cache, progress=False)
    return corpus, cache, idx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_reloads_new_version_under_load(small, monkeypatch):
    import httpx
    import uvicorn

    from api.app import create_app
    from policy_search.pipeline import ingest_paths

    corpus, cache, idx = small
    monkeypatch.setenv("POLICY_SEARCH_RELOAD_SECONDS", "0.2")
    app = create_app(index_dir=idx)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    base = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    statuses: list[int] = []
    errors: list[str] = []

    def hammer(query: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while not stop.is_set():
                try:
                    r = client.post("/v1/search", json={"query": query, "top_k": 5})
                    statuses.append(r.status_code)
                    if r.status_code != 200 or not r.json()["results"]:
                        errors.append(r.text[:200])
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))

    workers = [threading.Thread(target=hammer, args=(q,)) for q in ("预防儿童溺水", "婴儿死亡率", "学前教育普惠率")]
    try:
        for w in workers:
            w.start()
        with httpx.Client(base_url=base, timeout=30) as client:
            before = client.get("/healthz").json()["index_version"]
            hits = client.post("/v1/search", json={"query": MARKER, "top_k": 1}).json()["results"]
            assert not any(MARKER in h["text"] for h in hits)
            append_clause(corpus / DADUKOU, f"建设儿童{MARKER}安全巡查制度。")
            report = ingest_paths([corpus / DADUKOU], idx, cache_path=cache, progress=False)
            during = len(statuses)
            found = False
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not found:
                hits = client.post("/v1/search", json={"query": MARKER, "top_k": 1}).json()["results"]
                found = bool(hits) and MARKER in hits[0]["text"]
                time.sleep(0.1)
            assert found, "the new clause never became searchable"
            health = client.get("/healthz").json()
            assert health["index_version"] == report.version != before
            assert health["clauses"] == report.clauses
            time.sleep(0.5)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
        server.should_exit = True
        thread.join(timeout=10)
    assert not errors, errors[:3]
    assert during > 0 and len(statuses) > during  # requests ran before, during and after the swap
    assert app.state.holder.reloads == 1


def test_old_service_keeps_working_after_swap(small):
    from api.holder import ServiceHolder
    from policy_search.pipeline import ingest_paths

    corpus, cache, idx = small
    holder = ServiceHolder(idx, interval=0)
    holder.start()
    old = holder.get()
    old_dir = old.reader.path
    append_clause(corpus / DADUKOU, f"建设儿童{MARKER}安全巡查制度。")
    ingest_paths([corpus], idx, cache_path=cache, progress=False)
    shutil.rmtree(old_dir)  # the old version's files are gone (kept versions are pruned in time) ...
    info = holder.reload_now()
    new = holder.get()
    assert info["reloaded"] and new is not old and holder.version == Path(os.readlink(idx / CURRENT_LINK)).name
    assert new.reader.embedder is old.reader.embedder  # the model is not loaded twice
    assert old.search("预防儿童溺水", top_k=3).hits  # ... and a request still holding it is served
    assert MARKER in new.search(MARKER, top_k=1).hits[0].text
    assert not any(MARKER in c.text for c in old.clauses)


def test_broken_version_is_not_served(small):
    from api.holder import ServiceHolder

    _, _, idx = small
    holder = ServiceHolder(idx, interval=0.01)
    holder.start()
    good = holder.get()
    broken = idx / VERSIONS_DIR / "20990101T000000Z-broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json", encoding="utf-8")
    switch_current(idx, broken)
    time.sleep(0.05)
    deadline = time.monotonic() + 10
    while "20990101T000000Z-broken" not in holder.failed and time.monotonic() < deadline:
        assert holder.get() is good
        time.sleep(0.02)
    assert "20990101T000000Z-broken" in holder.failed
    assert holder.get() is good and good.search("婴儿死亡率", top_k=1).hits
