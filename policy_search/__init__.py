"""policy-search: semantic search and Q&A over Chinese policy documents.

``from policy_search import Library`` is the library API (see
``policy_search.library``); the command line is ``policy_search.cli``. Names
are imported on first use, so ``import policy_search`` (which the CLI and the
settings do) stays light.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any

try:
    __version__ = metadata.version("policy-search")
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0.0.0"

if TYPE_CHECKING:
    from .library import Library, SimilarClause

__all__ = ["Library", "SimilarClause", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("Library", "SimilarClause"):
        from . import library

        return getattr(library, name)
    raise AttributeError(f"module 'policy_search' has no attribute {name!r}")
