"""Folding of text for matching only (never for what users see or quote).

The rule lives in :mod:`ingest.text`; this module re-exports it so that the
index and search layers (``from index.textnorm import fold``) keep one name
for it. ``fold`` maps full-width ASCII forms to half-width, traditional
characters to simplified (zhconv ``zh-cn``) and Latin letters to lower case,
so that ``５％`` matches ``5%`` and ``兒童`` matches ``儿童``.
"""

from __future__ import annotations

from ingest.text import fold, fold_width, needs_conversion, to_simplified

__all__ = ["fold", "fold_width", "needs_conversion", "to_simplified"]
