"""FastAPI app: thin. Opens the service at start-up (and the index's next
versions as they are built: see ``api.holder``), maps domain errors to one JSON
error shape, bounds every request (body size, per-client rate, places per class
of work, deadlines: ``api.limits``), answers only to allowed host names with a
Content-Security-Policy, and serves the web page and a script-free ``/docs``."""

from __future__ import annotations

import logging
import math
import secrets
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.errors import PolicyIndexError
from policy_search import settings
from search.deadline import deadline
from search.errors import IndexUnavailable, PolicySearchError, TooManyRequests, Unauthorized
from search.service import Filters, SearchService

from .docs import DOCS_CSP, render_docs
from .holder import ServiceHolder
from .limits import (
    SEARCH_CLASS,
    SIMILAR_CLASS,
    WRITE_CLASS,
    BodyLimitMiddleware,
    RequestLimitMiddleware,
    SecurityHeadersMiddleware,
    TokenBuckets,
    TrustedHostMiddleware,
    client_key,
)
from .schemas import ID_PATTERN, AskRequest, SearchRequest, SimilarRequest

log = logging.getLogger("policy_search.api")


def error_response(
    status: int, message: str, detail: Any = None, retry_after: float | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": {"status": status, "message": message}}
    if detail is not None:
        body["error"]["detail"] = detail
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after is not None else None
    return JSONResponse(status_code=status, content=body, headers=headers)


def allowed_hosts() -> list[str]:
    """The host names the server answers to: the ``allowed_hosts`` setting
    plus the ``host`` it binds to (unless that is a wildcard address)."""
    hosts = [h.strip() for h in settings.get("allowed_hosts").split(",") if h.strip()]
    bind = settings.get("host").strip()
    if bind and bind not in ("0.0.0.0", "::", "[::]"):
        hosts.append(bind)
    return hosts


def api_key_given(request: Request) -> bool:
    """True when the request carries the server's API key (and one is set)."""
    expected = settings.get("api_key")
    given = request.headers.get("x-api-key", "")
    return bool(expected) and bool(given) and secrets.compare_digest(given.encode(), expected.encode())


def apply_switch_interval() -> None:
    """Set the process's interpreter-lock switch interval from the setting
    ``switch_interval_ms`` (0: Python's own), when a server starts: it serves
    searches on several threads beside, at times, an ingest."""
    ms = settings.get_float("switch_interval_ms")
    if ms < 0:
        raise ValueError(f"POLICY_SEARCH_SWITCH_INTERVAL_MS must be 0 or more, not {ms}")
    if ms > 0:
        sys.setswitchinterval(ms / 1000.0)


def create_app(
    index_dir: Path | None = None,
    service_factory: Callable[[], SearchService] | None = None,
    extra_hosts: list[str] | None = None,
) -> FastAPI:
    """The app for one index. The service is opened at start-up, not import.
    ``extra_hosts``: host names to answer to besides ``allowed_hosts()`` (the
    address ``serve --host`` binds to).

    Over an index directory a new version (a rebuild) is picked up without a
    restart; a ``service_factory`` gives a fixed service (no reload).
    """
    holder = ServiceHolder(
        None if service_factory is not None and index_dir is None else (index_dir or settings.get_path("index")),
        factory=service_factory,
        interval=settings.get_float("reload_seconds"),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        apply_switch_interval()
        holder.start()
        yield

    app = FastAPI(
        title="policy-search",
        version="0.1.0",
        description="Semantic search and Q&A over Chinese policy plans, with exact clause citations.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI would load a CDN script; see api.docs
        redoc_url=None,
    )
    app.state.holder = holder
    # outermost last: headers on every answer, then the host check, CORS
    # (preflights answered before any limit), the limits, the body size
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.get_int("max_body_bytes"))
    app.add_middleware(
        RequestLimitMiddleware,
        rate=settings.get_float("rate_limit"),
        burst=settings.get_float("rate_burst"),
        limits={
            SEARCH_CLASS: settings.get_int("max_search_requests"),
            SIMILAR_CLASS: settings.get_int("max_similar_requests"),
            WRITE_CLASS: settings.get_int("max_write_requests"),
        },
        queue_seconds=settings.get_float("queue_seconds"),
        exempt=frozenset(a.strip() for a in settings.get("rate_limit_exempt").split(",") if a.strip()),
    )
    origins = [o.strip() for o in settings.get("cors_origins").split(",") if o.strip()]
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "DELETE"], allow_headers=["*"])
    app.add_middleware(
        TrustedHostMiddleware,
        allowed=allowed_hosts() + [h for h in extra_hosts or [] if h not in ("0.0.0.0", "::", "[::]")],
    )
    app.add_middleware(SecurityHeadersMiddleware)
    per_minute = settings.get_float("generate_per_minute")
    generation_buckets = TokenBuckets(per_minute / 60.0, max(1.0, per_minute))

    @app.exception_handler(PolicySearchError)
    async def _domain_error(_: Request, exc: PolicySearchError) -> JSONResponse:
        return error_response(exc.status, exc.message, retry_after=getattr(exc, "retry_after", None))

    @app.exception_handler(PolicyIndexError)
    async def _index_error(_: Request, exc: PolicyIndexError) -> JSONResponse:
        return error_response(getattr(exc, "status", IndexUnavailable.status), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", []) if p != "body")
            problems.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
        return error_response(422, "invalid request: " + "; ".join(problems), jsonable(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail))

    def service(request: Request) -> SearchService:
        """The service for this request: fetched once, kept to the end."""
        svc: SearchService = request.app.state.holder.get()
        return svc

    @app.get("/healthz", tags=["meta"], response_model=None)
    def healthz(request: Request) -> dict[str, Any] | JSONResponse:
        """The index served; 503 (with the reason) when none could be opened.
        ``reload_error``: the newest version failed to open and is retried."""
        loading = request.app.state.holder.status()
        try:
            svc = service(request)
        except IndexUnavailable as exc:
            return error_response(exc.status, exc.message, detail={"reload_error": loading["reload_error"]})
        return {
            "status": "degraded" if loading["reload_error"] else "ok",
            "documents": len(svc.documents),
            "clauses": len(svc.clauses),
            "embedder": svc.reader.manifest.embedder,
            "index_version": svc.reader.path.name,
            "reload_error": loading["reload_error"],
        }

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(
            render_docs(request.app.openapi()),
            headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"},
        )

    timeout = settings.get_float("request_timeout")

    @app.post("/v1/search", tags=["search"])
    def search(body: SearchRequest, request: Request) -> dict[str, Any]:
        with deadline(timeout):
            result = service(request).search(body.query, body.top_k, Filters.from_dict(body.filters.model_dump() if body.filters else None))
            return result.to_dict()

    @app.post("/v1/ask", tags=["search"])
    def ask(body: AskRequest, request: Request) -> dict[str, Any]:
        filters = Filters.from_dict(body.filters.model_dump() if body.filters else None)
        if body.generate and not api_key_given(request):
            # a generated answer costs an LLM call: with the API key, or a few a minute per client
            if not generation_buckets.enabled:
                raise Unauthorized("generated answers need the server's API key in the X-API-Key header")
            wait = generation_buckets.take(client_key(request.scope))
            if wait > 0:
                raise TooManyRequests(
                    f"generated answers are limited to {per_minute:g} a minute per client without the API key; "
                    f"try again in {math.ceil(wait)} s",
                    retry_after=wait,
                )
        with deadline(timeout):
            return service(request).ask(body.question, filters, generate=body.generate).to_dict()

    @app.get("/v1/compare", tags=["targets"], response_model=None)
    def compare(
        request: Request,
        indicator: str = Query(..., min_length=1, max_length=50, description="Indicator name, matched loosely (婴儿死亡率)"),
        jurisdiction: str | None = Query(None, max_length=50),
        subject: str | None = Query(None, max_length=20),
        format: str = Query("json", pattern="^(json|csv)$"),
    ) -> Response | dict[str, Any]:
        with deadline(timeout):
            comparison = service(request).compare(indicator, Filters(jurisdiction=jurisdiction, subject=subject))
        if format == "csv":
            return PlainTextResponse(comparison.to_csv(), media_type="text/csv; charset=utf-8")
        return comparison.to_dict()

    @app.get("/v1/targets", tags=["targets"], response_model=None)
    def targets(
        request: Request,
        jurisdiction: str | None = Query(None, max_length=50),
        indicator: str | None = Query(None, max_length=50),
        doc_id: str | None = Query(None, max_length=100, pattern=ID_PATTERN),
        format: str = Query("json", pattern="^(json|csv)$"),
    ) -> Response | dict[str, Any]:
        svc = service(request)
        if format == "csv":
            return PlainTextResponse(svc.targets_csv(jurisdiction, indicator, doc_id), media_type="text/csv; charset=utf-8")
        rows = svc.list_targets(jurisdiction, indicator, doc_id)
        return {"targets": rows, "count": len(rows)}

    @app.post("/v1/similar", tags=["precedent"])
    def similar(body: SimilarRequest, request: Request) -> dict[str, Any]:
        filters = Filters.from_dict(body.filters.model_dump() if body.filters else None)
        svc = service(request)
        _ = svc.similarity  # built once per index, outside the request's deadline
        with deadline(timeout):
            return svc.similar(clause_id=body.clause_id, text=body.text, top_k=body.top_k, filters=filters)

    @app.get("/v1/shared-wording", tags=["precedent"], response_model=None)
    def shared_wording(
        request: Request,
        min_plans: int = Query(2, ge=2, le=50),
        threshold: float = Query(0.8, ge=0.5, le=1.0),
        format: str = Query("json", pattern="^(json|csv|html)$"),
    ) -> Response | dict[str, Any]:
        report = service(request).shared_wording(min_plans, threshold)
        if format == "csv":
            return PlainTextResponse(report.to_csv(), media_type="text/csv; charset=utf-8")
        if format == "html":
            # a standalone report with its own inline stylesheet and no script
            return HTMLResponse(report.to_html(), headers={"Content-Security-Policy": DOCS_CSP})
        return report.to_dict()

    @app.get("/v1/documents", tags=["documents"])
    def documents(request: Request) -> dict[str, Any]:
        return {"documents": service(request).list_documents()}

    @app.get("/v1/documents/{doc_id}", tags=["documents"])
    def document(doc_id: str, request: Request) -> dict[str, Any]:
        return service(request).get_document(doc_id)

    @app.get("/v1/clauses/{clause_id}", tags=["documents"])
    def clause(clause_id: str, request: Request, context: int = Query(3, ge=0, le=50)) -> dict[str, Any]:
        return service(request).get_clause(clause_id, context)

    from .admin import router as admin_router
    app.include_router(admin_router)
    from .charts import router as charts_router
    app.include_router(charts_router)
    from .web import router as web_router
    app.include_router(web_router)
    return app


def jsonable(errors: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str})
