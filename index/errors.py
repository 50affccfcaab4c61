"""Errors raised by the index layer. Each message says what to do next; each
class carries the HTTP status the API answers with."""

from __future__ import annotations

from pathlib import Path


class PolicyIndexError(Exception):
    """Base class for every index-layer error."""

    status: int = 503


class IndexNotFoundError(PolicyIndexError):
    """The index directory is missing, partial or of an unknown format."""


class IndexMismatchError(PolicyIndexError):
    """The index was built with a different embedder than the one supplied."""


class IndexBuildError(PolicyIndexError):
    """Building an index failed; any previous index is left untouched."""


class IndexCorruptError(IndexNotFoundError):
    """A version of the index exists but cannot be read as built: a file is
    missing, truncated or altered (checksums), or disagrees with the manifest."""


class IndexBusyError(PolicyIndexError):
    """Another build (an ingest, a removal, a rollback) holds the index's build lock."""

    status = 409


def index_dir_of(version_dir: Path) -> Path:
    """The index directory a version directory belongs to (``DIR/versions/<id>``
    → ``DIR``); a plain index directory is its own."""
    version_dir = Path(version_dir)
    return version_dir.parent.parent if version_dir.parent.name == "versions" else version_dir


def recovery_hint(index_dir: Path) -> str:
    """How to get a damaged index serving again, as one sentence."""
    return (
        "run `policy-search rollback` to serve the previous version (`policy-search versions` "
        "lists them) or `policy-search ingest --force PATH…` to start a new index from PATH, "
        f"with `--index {index_dir}`"
    )


def corrupt(version_dir: Path, problem: str, what: str = "index corrupt") -> IndexCorruptError:
    """An IndexCorruptError for one version: ``index corrupt: <problem> (version
    <id>); <how to recover>`` — one line."""
    version_dir = Path(version_dir)
    problem = " ".join(problem.split())  # one line, whatever the cause said
    return IndexCorruptError(
        f"{what}: {problem} (version {version_dir.name}); {recovery_hint(index_dir_of(version_dir))}"
    )
