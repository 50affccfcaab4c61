"""Shared fixtures: the real corpus, the real model, one index per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The in-process test client sends Host "testserver" from address "testclient",
# and the suite's own load (browser, reload under load) comes from loopback:
# the tests answer to both and hold neither to the per-client rate limit
# (tests/test_request_limits.py sets its own limits).
os.environ.setdefault("POLICY_SEARCH_ALLOWED_HOSTS", "localhost,127.0.0.1,::1,testserver")
os.environ.setdefault("POLICY_SEARCH_RATE_LIMIT_EXEMPT", "127.0.0.1,::1,testclient")

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
DEV_SET = REPO / "tests" / "data" / "dev.jsonl"
# The embedding cache survives between local runs (content-hash keyed), so a
# second `make test` does not re-embed the corpus.
CACHE = Path(os.environ.get("POLICY_SEARCH_CACHE", REPO / ".cache" / "embeddings.sqlite"))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from policy_search.pipeline import ingest_paths

    out = tmp_path_factory.mktemp("index") / "idx"
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    ingest_paths([CORPUS], out, cache_path=CACHE, progress=False)
    return out


@pytest.fixture(scope="session")
def service(index_dir: Path):
    from search.service import SearchService

    return SearchService.open(index_dir)


@pytest.fixture(scope="session")
def client(service):
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(service_factory=lambda: service)) as test_client:
        yield test_client


EXTRA = REPO / "tests" / "data" / "extra"  # a copy of ../shared/corpus-extra


@pytest.fixture(scope="session")
def mixed_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index of the six plans beside the 22 laws, regulations, the judicial
    interpretation and the court case of corpus-extra, built once per session."""
    from policy_search.pipeline import ingest_paths

    out = tmp_path_factory.mktemp("mixed") / "idx"
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    ingest_paths([CORPUS, EXTRA], out, cache_path=CACHE, progress=False)
    return out


@pytest.fixture(scope="session")
def mixed_service(mixed_index_dir: Path):
    from search.service import SearchService

    return SearchService.open(mixed_index_dir)


BULK_HELD = REPO / "tests" / "data" / "bulk-held"  # 11 laws of ../shared/bulk, none of the corpus's fields


@pytest.fixture(scope="session")
def bulk_held_service(tmp_path_factory: pytest.TempPathFactory):
    """An index of the 11 laws and regulations that tests/data/eval/bulk-held.jsonl
    asks about (education, personal information, fraud, public
    order, traffic, identity cards, legal aid, rental), built once per session."""
    from policy_search.pipeline import ingest_paths
    from search.service import SearchService

    out = tmp_path_factory.mktemp("bulk-held") / "idx"
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    ingest_paths([BULK_HELD], out, cache_path=CACHE, progress=False)
    return SearchService.open(out)


@pytest.fixture(scope="session")
def mixed_client(mixed_service):
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(service_factory=lambda: mixed_service)) as test_client:
        yield test_client
