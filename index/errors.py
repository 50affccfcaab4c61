"""Errors raised by the index layer. Each message says what to do next."""

from __future__ import annotations


class PolicyIndexError(Exception):
    """Base class for every index-layer error."""


class IndexNotFoundError(PolicyIndexError):
    """The index directory is missing, partial or of an unknown format."""


class IndexMismatchError(PolicyIndexError):
    """The index was built with a different embedder than the one supplied."""


class IndexBuildError(PolicyIndexError):
    """Building an index failed; any previous index is left untouched."""


class IndexCorruptError(IndexNotFoundError):
    """A component file exists but disagrees with the manifest (counts, shapes)."""
