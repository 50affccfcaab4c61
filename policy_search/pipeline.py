"""Ingest files into an index: discover, parse, embed, write atomically."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index import EmbeddingCache, build_index, get_embedder
from ingest.model import ParsedDocument
from ingest.pipeline import discover_files, load_catalog, parse_file
from ingest.readers import ReadError

from . import settings


@dataclass
class IngestReport:
    files: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    clauses: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    build: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "documents": self.documents,
            "clauses": self.clauses,
            "failed": self.failed,
            "seconds": round(self.seconds, 2),
            "build": self.build,
        }


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
    for path in discover_files(paths):
        base = next((p for p in paths if p.is_dir() and p in path.parents), path.parent)
        report.files.append(str(path))
        try:
            docs = parse_file(path, catalog, base_dir=base)
        except (ReadError, UnicodeError, ValueError, OSError) as exc:
            report.failed.append({"file": str(path), "reason": str(exc)})
            continue
        if not docs:
            report.failed.append({"file": str(path), "reason": "no plan structure found"})
        parsed.extend(docs)
    return parsed


def ingest_paths(
    paths: list[Path],
    index_dir: Path,
    *,
    embedder_spec: str | None = None,
    cache_path: Path | None = None,
    progress: bool = True,
) -> IngestReport:
    """Build the index at ``index_dir`` from the plans under ``paths``.

    The previous index stays in place until the new one is complete."""
    started = time.perf_counter()
    report = IngestReport()
    parsed = parse_paths(paths, report)
    if not parsed:
        raise ValueError("no plan documents found in " + ", ".join(str(p) for p in paths))
    seen: dict[str, str] = {}
    for doc in parsed:
        if doc.document.doc_id in seen:
            raise ValueError(
                f"two documents share the id {doc.document.doc_id!r} "
                f"({seen[doc.document.doc_id]} and {doc.document.source_file}); give them distinct catalog ids"
            )
        seen[doc.document.doc_id] = doc.document.source_file
    embedder = get_embedder(embedder_spec or settings.get("embedder"))
    cache = EmbeddingCache(cache_path or settings.get_path("cache"), embedder.name)
    build = build_index(parsed, index_dir, embedder=embedder, cache=cache, progress=progress)
    report.documents = [d.document.doc_id for d in parsed]
    report.clauses = sum(len(d.clauses) for d in parsed)
    report.build = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(build).items()}
    report.seconds = time.perf_counter() - started
    return report
