"""The web page: one static single-page app (plain HTML/CSS/JS, no build step).

Every page path (/, /compare, /clause/{id}, /document/{doc_id}) serves the same
index.html; the script reads ``location`` and renders the view, so every state is
a shareable URL. Static files are served by name from a whitelist under /static.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse

STATIC_DIR = Path(__file__).resolve().parent / "static"

# name -> media type; nothing else under /static is served.
STATIC_FILES: dict[str, str] = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
}

# The page changes with the code, never per request: let the browser revalidate.
_NO_STALE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


def _index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type=STATIC_FILES["index.html"], headers=_NO_STALE)


@router.get("/")
def page_home() -> FileResponse:
    return _index()


@router.get("/compare")
def page_compare() -> FileResponse:
    return _index()


@router.get("/clause/{clause_id}")
def page_clause(clause_id: str) -> FileResponse:
    return _index()


@router.get("/document/{doc_id}")
def page_document(doc_id: str) -> FileResponse:
    return _index()


@router.get("/static/{name}", response_model=None)
def static_file(name: str) -> FileResponse | JSONResponse:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        return JSONResponse(
            status_code=404,
            content={"error": {"status": 404, "message": f"no static file {name!r}"}},
        )
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=_NO_STALE)
