"""Write endpoints: ingest from the corpus folder, remove a plan, reload,
list the kept index versions and roll back to one.

They need the API key from settings (``POLICY_SEARCH_API_KEY``) in the
``X-API-Key`` header; with no key configured they answer 403 and say how to
enable them. Ingest reads only files inside the corpus folder: a path is
resolved against it and refused if it leads outside (``..``, absolute paths,
symlinks out). Each write rebuilds the index atomically and the server then
serves the new version. A write while another update of the index runs gets
409 at once (or after ``write_lock_wait`` seconds) instead of waiting; an
ingest over an index that cannot be read is refused (503, saying how to
recover) rather than starting a new index.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from policy_search import settings
from search.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized

from .holder import ServiceHolder
from .schemas import ID_PATTERN


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(
        None,
        max_length=500,
        description="A file or folder inside the corpus folder, relative to it; omitted: sync the whole corpus folder",
    )
    force: bool = Field(
        False,
        description="Re-parse every file and rebuild even if nothing changed; over an index that cannot be read, start a new one",
    )


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str | None = Field(
        None,
        max_length=100,
        pattern=r"^[0-9A-Za-z_\-]+$",
        description="A kept version (GET /v1/versions); omitted: the one before the current one",
    )


def require_api_key(x_api_key: str | None = Header(None, alias="X-API-Key", max_length=500)) -> None:
    expected = settings.get("api_key")
    if not expected:
        raise Forbidden(
            "write endpoints are disabled on this server; set POLICY_SEARCH_API_KEY when starting it "
            "and send that key in the X-API-Key header"
        )
    if not x_api_key or not secrets.compare_digest(x_api_key.encode(), expected.encode()):
        raise Unauthorized("missing or wrong API key: send the server's key in the X-API-Key header")


router = APIRouter(tags=["admin"], dependencies=[Depends(require_api_key)])


def _holder(request: Request) -> ServiceHolder:
    holder: ServiceHolder = request.app.state.holder
    if holder.index_dir is None:
        raise Conflict("this server serves a fixed search service, not an index directory; writes are not possible")
    return holder


def corpus_path(relative: str | None) -> Path:
    """``relative`` resolved inside the corpus folder; BadRequest if it leads out."""
    corpus = settings.get_path("corpus").resolve()
    if not relative:
        target = corpus
    else:
        if "\x00" in relative or Path(relative).is_absolute() or relative.startswith(("/", "\\", "~")):
            raise BadRequest("path must be relative to the corpus folder, e.g. zigong-children-2021-2030.txt")
        try:
            target = (corpus / relative).resolve()
        except (OSError, RuntimeError) as exc:  # a link loop
            raise BadRequest(f"path cannot be resolved inside the corpus folder ({exc.__class__.__name__})") from None
        if not target.is_relative_to(corpus):
            raise BadRequest("path must stay inside the corpus folder")
    try:
        exists = target.exists()
    except OSError as exc:  # a name longer than the file system allows, …
        raise BadRequest(f"path cannot be opened: {exc.strerror or exc.__class__.__name__}") from None
    if not exists:
        raise NotFound(f"no file or folder {relative or '.'!r} in the corpus folder")
    return target


def _after_write(holder: ServiceHolder, report: Any) -> dict[str, Any]:
    data = report.to_dict()
    data["server"] = holder.reload_now()
    return data


@router.post("/v1/ingest")
def ingest(body: IngestRequest, request: Request) -> dict[str, Any]:
    """Add or update plans from the corpus folder (a folder is synced); the server then serves the new index."""
    from policy_search.pipeline import ingest_paths

    holder = _holder(request)
    target = corpus_path(body.path)
    assert holder.index_dir is not None
    try:
        report = ingest_paths(
            [target], holder.index_dir, force=body.force, progress=False, lock_timeout=_lock_wait()
        )
    except (ValueError, FileNotFoundError) as exc:
        raise BadRequest(str(exc)) from None
    return _after_write(holder, report)


def _lock_wait() -> float:
    """Seconds an HTTP write waits for another update of the index (then 409)."""
    return max(0.0, settings.get_float("write_lock_wait"))


@router.delete("/v1/documents/{doc_id}")
def remove_document(
    request: Request,
    doc_id: str = PathParam(..., max_length=100, pattern=ID_PATTERN),
) -> dict[str, Any]:
    """Remove one plan from the index; the server then serves the new index."""
    from policy_search.pipeline import UnknownDocumentError, remove_documents

    holder = _holder(request)
    assert holder.index_dir is not None
    try:
        report = remove_documents([doc_id], holder.index_dir, lock_timeout=_lock_wait())
    except UnknownDocumentError:
        raise NotFound(f"no document with id {doc_id!r}; GET /v1/documents lists the ids") from None
    except ValueError as exc:
        raise Conflict(str(exc)) from None
    return _after_write(holder, report)


@router.post("/v1/reload")
def reload(request: Request) -> dict[str, Any]:
    """Serve the index's current version now (normally picked up within a second by itself)."""
    holder: ServiceHolder = request.app.state.holder
    return holder.reload_now()


@router.get("/v1/versions")
def versions(request: Request) -> dict[str, Any]:
    """The index versions kept on disk (oldest first), the current one marked."""
    from index.versions import list_index_versions

    holder = _holder(request)
    assert holder.index_dir is not None
    return {"versions": [v.to_dict() for v in list_index_versions(holder.index_dir)], "served": holder.version}


@router.post("/v1/rollback")
def rollback(request: Request, body: RollbackRequest | None = None) -> dict[str, Any]:
    """Make an earlier kept version current (checked in full first); the server then serves it."""
    from index.errors import IndexCorruptError
    from index.versions import rollback as rollback_index

    holder = _holder(request)
    assert holder.index_dir is not None
    try:
        info = rollback_index(holder.index_dir, body.version if body else None, lock_timeout=_lock_wait())
    except IndexCorruptError as exc:
        raise Conflict(f"not rolled back: {exc}") from None
    return {"version": info.to_dict(), "server": holder.reload_now()}
