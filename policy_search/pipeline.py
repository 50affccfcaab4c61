"""Ingest files into an index: discover, parse, embed, write atomically.

An ingest updates the current index rather than starting over:

- a file whose bytes (sha256), catalog entries and path are unchanged is
  skipped: not re-parsed, its documents and clauses reused from the index;
- a changed file replaces that file's plans only (and a plan whose catalog id
  is claimed by a newly parsed file is replaced by it);
- a folder is synced: plans that came from it and whose files are gone are removed;
- ``remove_documents`` drops plans by id.

Every change builds a new index version and switches to it atomically (the
embedding cache makes unchanged text free); nothing changed, no new version.
Updates of one index directory are serialised by its build lock, held from
reading the current index to switching to the new one.

With a Ray address (``ray_address``, else the ``ray_address`` setting) the
changed files are parsed as Ray tasks and the passages missing from the
embedding cache are embedded on Ray actors (``policy_search.distributed``);
the rest (BM25, the vector store, the atomic switch) happens here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index import Embedder, EmbeddingCache, build_index, get_embedder
from index.builder import build_lock, index_layout, remove_abandoned
from index.chunking import chunking_params
from index.errors import IndexCorruptError, PolicyIndexError, corrupt, recovery_hint
from index.layout import VERSIONS_DIR, current_target, has_index, prune_versions, resolve_index_dir
from index.lexical import TOKENIZER_VERSION
from index.manifest import Manifest, ManifestDocument, file_sha256
from index.store import STORE_FILE, ClauseStore
from index.stores import StoreSpec
from ingest.limits import FileLimits
from ingest.limits import applied as applied_limits
from ingest.model import ParsedDocument
from ingest.parse import (
    Catalog,
    disambiguated_id,
    discover_files,
    is_catalog_id,
    load_catalog,
    with_doc_id,
)
from ingest.worker import NO_CLAUSES, parse_isolated, parse_one

from . import settings
from .distributed import RaySession

log = logging.getLogger(__name__)


class UnknownDocumentError(ValueError):
    """A document id that is not in the index."""


@dataclass
class IngestReport:
    files: list[str] = field(default_factory=list)  # supported files found under the paths
    documents: list[str] = field(default_factory=list)  # every document in the index afterwards
    clauses: int = 0  # clauses in the index afterwards
    failed: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    build: dict[str, Any] = field(default_factory=dict)  # empty when nothing changed
    added: list[str] = field(default_factory=list)  # new document ids
    replaced: list[str] = field(default_factory=list)  # ids re-parsed from a changed file
    skipped: list[str] = field(default_factory=list)  # ids of unchanged files, reused
    removed: list[str] = field(default_factory=list)  # ids no longer in the index
    changed: bool = False  # a new index version was built
    version: str = ""  # the version now current
    ray: dict[str, Any] = field(default_factory=dict)  # what ran on Ray; empty without Ray
    warnings: list[str] = field(default_factory=list)  # e.g. a damaged current version rebuilt

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "documents": self.documents,
            "clauses": self.clauses,
            "failed": self.failed,
            "added": self.added,
            "replaced": self.replaced,
            "skipped": self.skipped,
            "removed": self.removed,
            "changed": self.changed,
            "version": self.version,
            "seconds": round(self.seconds, 2),
            "build": self.build,
            "ray": self.ray,
            "warnings": self.warnings,
        }


def _distinct_ids(
    new_docs: list[ParsedDocument],
    taken: dict[str, str],
    catalog: Catalog | None,
    report: IngestReport,
) -> list[ParsedDocument]:
    """New documents with ids no other file's document holds. A derived id
    (from the file name) that another file's document already holds is made
    distinct with the file's path; a catalog id that another file holds fails
    that file, by name, and the rest go on. A document of the same file keeps
    its id (it replaces the indexed one)."""
    holder = dict(taken)
    out: list[ParsedDocument] = []
    failed: set[str] = set()
    by_file: dict[str, list[ParsedDocument]] = {}
    for doc in new_docs:
        by_file.setdefault(doc.document.source_file, []).append(doc)
    for source_file, docs in by_file.items():
        renamed = []
        for doc in docs:
            doc_id = doc.document.doc_id
            other = holder.get(doc_id)
            if other is not None and other != source_file:
                if is_catalog_id(doc_id, source_file, catalog):
                    report.failed.append({
                        "file": source_file,
                        "reason": f"its catalog id {doc_id!r} is the id of a document of {other}; give it another",
                    })
                    failed.add(source_file)
                    break
                new_id = disambiguated_id(doc_id, source_file)
                if holder.get(new_id, source_file) != source_file:
                    report.failed.append({"file": source_file, "reason": f"its id {new_id!r} is taken by {holder[new_id]}"})
                    failed.add(source_file)
                    break
                report.warnings.append(f"{source_file}: the id {doc_id!r} is that of a document of {other}; indexed as {new_id!r}")
                log.info(report.warnings[-1])
                doc = with_doc_id(doc, new_id)
            renamed.append(doc)
        if source_file in failed:
            continue
        for doc in renamed:
            holder[doc.document.doc_id] = source_file
        out.extend(renamed)
    return out


def find_catalog(paths: list[Path]) -> Path | None:
    """catalog.json in (or beside) the first path that has one."""
    for path in paths:
        folder = path if path.is_dir() else path.parent
        candidate = folder / "catalog.json"
        if candidate.is_file():
            return candidate
    return None


def parse_paths(paths: list[Path], report: IngestReport) -> list[ParsedDocument]:
    """Parse every supported file; a file that cannot be parsed is reported
    by name with the reason and the rest continue."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError("no such file or folder: " + ", ".join(missing))
    catalog_path = find_catalog(paths)
    catalog = load_catalog(catalog_path) if catalog_path else None
    parsed: list[ParsedDocument] = []
    skipped: list[tuple[Path, str]] = []
    files = [
        (path, next((p for p in paths if p.is_dir() and p in path.parents), path.parent))
        for path in discover_files(paths, skipped)
    ]
    report.failed.extend({"file": str(path), "reason": reason} for path, reason in skipped)
    for (path, _base), (docs, error) in zip(files, parse_many(files, catalog), strict=True):
        report.files.append(str(path))
        if error is not None:
            report.failed.append({"file": str(path), "reason": error})
        elif not docs:
            report.failed.append({"file": str(path), "reason": NO_CLAUSES})
        else:
            parsed.extend(docs)
    return parsed


def _catalog_hash(catalog: Catalog | None, source_file: str, name: str) -> str:
    entries = (catalog or {}).get(source_file) or (catalog or {}).get(name) or []
    return hashlib.sha256(json.dumps(entries, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class _Current:
    """The index as it is now: documents in order, with their manifest entries."""

    parsed: list[ParsedDocument] = field(default_factory=list)
    entries: dict[str, ManifestDocument] = field(default_factory=dict)
    manifest: Manifest | None = None
    # why the current version's derived files (vectors, lexical index) are
    # damaged though its manifest and clause store are intact ("" if they are
    # fine): the next version is then built from the store, repairing it
    damaged: str = ""


def _current_root(index_dir: Path) -> Path:
    """The current version's folder; IndexCorruptError when ``current`` names
    a version that is gone or has no manifest, or there is none at all though
    versions exist."""
    root = resolve_index_dir(index_dir)
    if root is not None:
        return root
    target = current_target(index_dir)
    if target is not None:
        problem = "manifest.json is missing" if target.is_dir() else "the version folder is missing"
        raise corrupt(target, problem)
    raise IndexCorruptError(
        f"index unreadable: {index_dir} has versions but no `current` link; {recovery_hint(index_dir)}"
    )


def _load_current(index_dir: Path, start_new: bool = False) -> _Current:
    """The current index, read from its manifest and clause store (both checked
    against their checksums). An index that cannot be read is never silently
    replaced: IndexCorruptError says how to recover, unless ``start_new``
    (``ingest --force``), which logs it and starts a new index (the damaged
    version is kept, like every recent version)."""
    if not has_index(index_dir):
        return _Current()
    try:
        root = _current_root(index_dir)
        manifest = Manifest.load(root)
        manifest.verify_files(root, [STORE_FILE] if STORE_FILE in manifest.files else [])
        store = ClauseStore.open(root / STORE_FILE)
    except PolicyIndexError as exc:
        if not start_new:
            raise IndexCorruptError(f"ingest refused, nothing was changed: {exc}") from exc
        log.warning("the current index at %s is unreadable (%s); starting a new one (--force)", index_dir, exc)
        return _Current()
    damaged = ""
    try:
        manifest.verify_files(root, [f for f in manifest.files if f != STORE_FILE])
    except PolicyIndexError as exc:
        damaged = str(exc).split(";")[0]
        log.warning("%s; the next version is rebuilt from the intact clause store", damaged)
    parsed = [ParsedDocument(document=d, clauses=store.clauses_of(d.doc_id)) for d in store.documents()]
    return _Current(parsed, {m.doc_id: m for m in manifest.documents}, manifest, damaged)


def _source_of(entry: ManifestDocument | None, parsed: ParsedDocument) -> tuple[str, str]:
    """(absolute source path or "", source_file) of an indexed document."""
    if entry is not None:
        return entry.source_path, entry.source_file
    return "", parsed.document.source_file


def _needs_build(current: _Current, embedder: Embedder | None, sentence_passages: bool = True) -> bool:
    """True when the index must be rebuilt even with the same documents
    (none yet, another embedder, other chunking or tokenizer)."""
    manifest = current.manifest
    if manifest is None or current.damaged:
        return True
    return (
        (embedder is not None and embedder.name != manifest.embedder)
        or manifest.chunking != chunking_params(sentence_passages)
        or manifest.lexical.get("tokenizer_version") != TOKENIZER_VERSION
        or manifest.layout != index_layout()  # files of an older format: rebuilt in the current one
    )


def _store_of(manifest: Manifest | None) -> str | None:
    """The store spec an index was built with (None: no index yet)."""
    if manifest is None:
        return None
    config = manifest.store
    return str(StoreSpec(str(config.get("backend", "faiss")), str(config.get("uri", ""))))


def file_limits() -> FileLimits:
    """The limits on one untrusted file (:mod:`ingest.limits`) from the settings."""
    return FileLimits(
        max_file_mb=settings.get_float("max_file_mb"),
        parse_timeout=settings.get_float("parse_timeout"),
        parse_memory_mb=settings.get_int("parse_memory_mb"),
        max_pdf_pages=settings.get_int("max_pdf_pages"),
        max_unzipped_mb=settings.get_float("max_unzipped_mb"),
        max_zip_ratio=settings.get_float("max_zip_ratio"),
        max_clauses=settings.get_int("max_clauses"),
        max_text_chars=settings.get_int("max_text_chars"),
    )


def _parse_one(job: tuple[Path, Path, dict[str, Any] | None]) -> tuple[list[ParsedDocument] | None, str | None]:
    """Parse one file in this process (a Ray task) under the size, package,
    page and clause limits of the settings; a file that cannot be parsed
    gives its reason instead."""
    path, base, catalog = job
    with applied_limits(file_limits()):
        return parse_one(path, base, catalog)


def parse_many(
    files: list[tuple[Path, Path]], catalog: dict[str, Any] | None, workers: int | None = None
) -> list[tuple[list[ParsedDocument] | None, str | None]]:
    """Parse (path, base folder) pairs, in input order, each in a parser
    process under the limits of the settings (:func:`ingest.worker.parse_isolated`:
    a file over a limit, slow or crashing gives its reason; the rest go on),
    ``workers`` processes at a time (default: one per core)."""
    return parse_isolated(files, catalog, file_limits(), workers=workers)


@contextlib.contextmanager
def _closing(ray: RaySession | None, report: IngestReport) -> Iterator[None]:
    """Close a Ray session (also on error) and record what it ran in ``report``."""
    try:
        yield
    finally:
        if ray is not None:
            ray.close()
            report.ray = dict(ray.stats)


def update_index(
    index_dir: Path,
    *,
    paths: list[Path] | None = None,
    remove: list[str] | None = None,
    embedder_spec: str | None = None,
    cache_path: Path | None = None,
    progress: bool = True,
    force: bool = False,
    store_spec: str | None = None,
    ray_address: str | None = None,
    lock_timeout: float | None = None,
) -> IngestReport:
    """Add, replace, skip and remove plans (see the module docstring), then
    build a new index version if anything changed. ``force`` re-parses every
    file and rebuilds even when nothing changed; it also starts a new index
    when the current one cannot be read, which otherwise refuses the update
    (IndexCorruptError, nothing changed). ``lock_timeout``: how long to wait
    for another update of the same index (None: as long as it takes; then
    IndexBusyError). ``store_spec`` picks the
    vector store (default: the index's own, else the ``store`` setting); a
    different one from the index's rebuilds it. ``ray_address`` (default: the
    ``ray_address`` setting; empty: no Ray) parses and embeds on Ray:
    ``local``, ``auto``, ``HOST:6379`` or ``ray://HOST:10001``."""
    started = time.perf_counter()
    paths = [Path(p) for p in paths or []]
    remove = list(dict.fromkeys(remove or []))
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError("no such file or folder: " + ", ".join(missing))
    index_dir = Path(index_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise ValueError(f"{index_dir} exists and is not a directory")
    address = settings.get("ray_address") if ray_address is None else ray_address
    # a bad address or a missing extra fails here; Ray is contacted only for work
    ray = RaySession(address) if address.strip() else None
    report = IngestReport()
    with build_lock(index_dir, lock_timeout), _closing(ray, report):
        current = _load_current(index_dir, start_new=force)
        if current.damaged:
            report.warnings.append(f"{current.damaged}; rebuilt from the intact clause store")
        # an explicit embedder is loaded now (to compare it with the index's);
        # otherwise the index keeps the one it was built with
        embedder = get_embedder(embedder_spec) if embedder_spec else None
        existing_ids = [p.document.doc_id for p in current.parsed]
        unknown = [d for d in remove if d not in existing_ids]
        if unknown:
            raise UnknownDocumentError(
                f"no document with id {', '.join(map(repr, unknown))} in {index_dir}; "
                "`policy-search documents` lists the ids"
            )
        by_source: dict[str, list[str]] = {}  # absolute path or source_file -> doc ids
        for item in current.parsed:
            source_path, source_file = _source_of(current.entries.get(item.document.doc_id), item)
            by_source.setdefault(source_path or source_file, []).append(item.document.doc_id)

        catalog_path = find_catalog(paths)
        catalog = load_catalog(catalog_path) if catalog_path else None
        new_docs: list[ParsedDocument] = []
        provenance: dict[str, dict[str, str]] = {}
        by_file: dict[str, dict[str, str]] = {}  # source file of a parsed document -> its provenance
        dropped: set[str] = set(remove)  # existing ids whose file was re-parsed or removed
        kept_files: set[str] = set()  # absolute paths of every file seen (skipped, parsed or failed)
        to_parse: list[tuple[Path, Path, str, str, list[str]]] = []
        skipped: list[tuple[Path, str]] = []  # links and paths that cannot be opened
        for path in discover_files(paths, skipped):
            base = next((p for p in paths if p.is_dir() and p in path.parents), path.parent)
            report.files.append(str(path))
            absolute = str(path.resolve())
            kept_files.add(absolute)
            try:
                source_file = path.resolve().relative_to(base.resolve()).as_posix()
            except ValueError:
                source_file = path.name
            try:
                digest = file_sha256(path)
            except OSError as exc:
                report.failed.append({"file": str(path), "reason": str(exc)})
                continue
            catalog_hash = _catalog_hash(catalog, source_file, path.name)
            previous = by_source.get(absolute) or by_source.get(source_file) or []
            entries = [current.entries.get(d) for d in previous]
            if (
                previous
                and not force
                and all(
                    e is not None
                    and e.source_hash == digest
                    and e.catalog_hash == catalog_hash
                    and e.source_path == absolute
                    and e.source_file == source_file
                    for e in entries
                )
            ):
                report.skipped.extend(previous)
                continue
            to_parse.append((path, base, absolute, catalog_hash, previous))

        report.failed.extend({"file": str(path), "reason": reason} for path, reason in skipped)
        # parse the changed files, as Ray tasks or in parser processes with limits
        jobs = [(p, b) for p, b, *_ in to_parse]
        parsed = ray.parse_files(jobs, catalog) if ray is not None else parse_many(jobs, catalog)
        for (path, _base, absolute, catalog_hash, previous), (docs, error) in zip(to_parse, parsed, strict=True):
            if error is not None:
                report.failed.append({"file": str(path), "reason": error})
                continue  # the plans already indexed from it stay
            if not docs:
                report.failed.append({"file": str(path), "reason": NO_CLAUSES})
                continue
            dropped.update(previous)
            for doc in docs:
                by_file[doc.document.source_file] = {"source_path": absolute, "catalog_hash": catalog_hash}
            new_docs.extend(docs)

        if paths and not new_docs and not report.skipped and not remove:
            if not report.failed or not current.parsed:
                raise ValueError("no plan documents found in " + ", ".join(str(p) for p in paths))

        # a synced folder: plans that came from it and whose files are gone
        folders = [p.resolve() for p in paths if p.is_dir()]
        folder_names = {
            Path(f).relative_to(folder).as_posix()
            for folder in folders
            for f in kept_files
            if Path(f).is_relative_to(folder)
        }
        for item in current.parsed:
            doc_id = item.document.doc_id
            source_path, source_file = _source_of(current.entries.get(doc_id), item)
            if source_path:
                inside = any(Path(source_path).is_relative_to(f) for f in folders)
                if inside and source_path not in kept_files:
                    dropped.add(doc_id)
            elif folders and doc_id not in dropped and doc_id not in report.skipped:
                # indexed before sources were recorded: gone unless a file of the folder has its name
                if source_file not in folder_names:
                    dropped.add(doc_id)

        # ids held by documents of other files that stay in the index
        taken = {
            item.document.doc_id: item.document.source_file
            for item in current.parsed
            if item.document.doc_id not in dropped
        }
        new_docs = _distinct_ids(new_docs, taken, catalog, report)
        for doc in new_docs:
            provenance[doc.document.doc_id] = by_file[doc.document.source_file]

        # new documents take the place of the ones they replace; the rest follow
        new_by_id = {d.document.doc_id: d for d in new_docs}
        final: list[ParsedDocument] = []
        placed: set[str] = set()
        for item in current.parsed:
            doc_id = item.document.doc_id
            if doc_id in new_by_id:
                final.append(new_by_id[doc_id])
                placed.add(doc_id)
            elif doc_id not in dropped:
                final.append(item)
                entry = current.entries.get(doc_id)
                if entry is not None and (entry.source_path or entry.catalog_hash):
                    provenance[doc_id] = {"source_path": entry.source_path, "catalog_hash": entry.catalog_hash}
        final.extend(d for d in new_docs if d.document.doc_id not in placed)

        final_ids = [p.document.doc_id for p in final]
        report.added = [d for d in new_by_id if d not in existing_ids]
        report.replaced = [d for d in new_by_id if d in existing_ids]
        report.removed = [d for d in existing_ids if d not in set(final_ids)]
        report.documents = final_ids
        report.clauses = sum(len(p.clauses) for p in final)
        if not final:
            raise ValueError(
                f"this would leave {index_dir} with no documents; delete the folder instead "
                "or ingest other plans first"
            )
        current_store = _store_of(current.manifest)
        store = StoreSpec.parse(store_spec or current_store or settings.get("store"))
        store_changed = current_store is not None and str(store) != current_store
        if (
            force or report.added or report.replaced or report.removed or store_changed
            or _needs_build(current, embedder, settings.get_bool("sentence_passages"))
        ):
            if embedder is None:
                spec = current.manifest.embedder if current.manifest else settings.get("embedder")
                embedder = get_embedder(spec)
            cache = EmbeddingCache(cache_path or settings.get_path("cache"), embedder.name)
            try:
                build = build_index(
                    final, index_dir, embedder=ray.embedder(embedder) if ray is not None else embedder,
                    cache=cache, progress=progress,
                    provenance=provenance, locked=True, store=str(store),
                    faiss_index=settings.get("faiss_index"), faiss_mmap=settings.get_bool("faiss_mmap"),
                    keep_versions=settings.get_int("keep_versions"),
                    sentence_passages=settings.get_bool("sentence_passages"),
                )
            finally:
                cache.close()
            report.changed = True
            report.build = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(build).items()}
            report.version = build.version_dir.name
        else:
            root = resolve_index_dir(index_dir)
            report.version = root.name if root is not None else ""
            if root is not None and root.parent.name == VERSIONS_DIR:
                # a run killed after its switch may have left half-built
                # folders and versions beyond the kept ones; we hold the lock,
                # so tidy up
                remove_abandoned(index_dir)
                prune_versions(index_dir, settings.get_int("keep_versions"), current=root)
    report.seconds = time.perf_counter() - started
    return report


def ingest_paths(
    paths: list[Path],
    index_dir: Path,
    *,
    embedder_spec: str | None = None,
    cache_path: Path | None = None,
    progress: bool = True,
    force: bool = False,
    store_spec: str | None = None,
    ray_address: str | None = None,
    lock_timeout: float | None = None,
) -> IngestReport:
    """Add or update the plans under ``paths`` in the index at ``index_dir``
    (a folder is synced: its plans whose files are gone are removed).
    ``ray_address`` parses and embeds on Ray; ``force`` and ``lock_timeout``
    as in ``update_index``.

    The previous index stays in place until the new one is complete."""
    if not paths:
        raise ValueError("nothing to ingest: give files or folders")
    return update_index(
        index_dir, paths=list(paths), embedder_spec=embedder_spec, cache_path=cache_path,
        progress=progress, force=force, store_spec=store_spec, ray_address=ray_address,
        lock_timeout=lock_timeout,
    )


def remove_documents(
    doc_ids: list[str],
    index_dir: Path,
    *,
    embedder_spec: str | None = None,
    cache_path: Path | None = None,
    progress: bool = False,
    lock_timeout: float | None = None,
) -> IngestReport:
    """Remove plans by id and rebuild; an unknown id raises UnknownDocumentError."""
    if not doc_ids:
        raise ValueError("no document id given")
    return update_index(
        index_dir, remove=list(doc_ids), embedder_spec=embedder_spec, cache_path=cache_path,
        progress=progress, lock_timeout=lock_timeout,
    )
