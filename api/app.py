"""FastAPI app: thin. Opens the service at start-up (and the index's next
versions as they are built: see ``api.holder``), maps domain errors to one JSON
error shape, limits request bodies, and serves the web page."""

from __future__ import annotations

import logging
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
from search.errors import IndexUnavailable, PolicySearchError
from search.service import Filters, SearchService

from .holder import ServiceHolder
from .limits import BodyLimitMiddleware
from .schemas import ID_PATTERN, AskRequest, SearchRequest, SimilarRequest

log = logging.getLogger("policy_search.api")


def error_response(status: int, message: str, detail: Any = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"status": status, "message": message}}
    if detail is not None:
        body["error"]["detail"] = detail
    return JSONResponse(status_code=status, content=body)


def create_app(
    index_dir: Path | None = None,
    service_factory: Callable[[], SearchService] | None = None,
) -> FastAPI:
    """The app for one index. The service is opened at start-up, not import.

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
        holder.start()
        yield

    app = FastAPI(
        title="policy-search",
        version="0.1.0",
        description="Semantic search and Q&A over Chinese policy plans, with exact clause citations.",
        lifespan=lifespan,
    )
    app.state.holder = holder
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.get_int("max_body_bytes"))
    origins = [o.strip() for o in settings.get("cors_origins").split(",") if o.strip()]
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "DELETE"], allow_headers=["*"])

    @app.exception_handler(PolicySearchError)
    async def _domain_error(_: Request, exc: PolicySearchError) -> JSONResponse:
        return error_response(exc.status, exc.message)

    @app.exception_handler(PolicyIndexError)
    async def _index_error(_: Request, exc: Exception) -> JSONResponse:
        return error_response(IndexUnavailable.status, str(exc))

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

    @app.get("/healthz", tags=["meta"])
    def healthz(request: Request) -> dict[str, Any]:
        svc = service(request)
        return {
            "status": "ok",
            "documents": len(svc.documents),
            "clauses": len(svc.clauses),
            "embedder": svc.reader.manifest.embedder,
            "index_version": svc.reader.path.name,
        }

    timeout = settings.get_float("request_timeout")

    @app.post("/v1/search", tags=["search"])
    def search(body: SearchRequest, request: Request) -> dict[str, Any]:
        with deadline(timeout):
            result = service(request).search(body.query, body.top_k, Filters.from_dict(body.filters.model_dump() if body.filters else None))
            return result.to_dict()

    @app.post("/v1/ask", tags=["search"])
    def ask(body: AskRequest, request: Request) -> dict[str, Any]:
        filters = Filters.from_dict(body.filters.model_dump() if body.filters else None)
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
            return HTMLResponse(report.to_html())
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
    from .web import router as web_router
    app.include_router(web_router)
    return app


def jsonable(errors: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str})
