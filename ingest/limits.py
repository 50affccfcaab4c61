"""Limits on the work one untrusted file may cause.

A file handed to ingest may be hostile or broken: a zip bomb named .docx, a
PDF of ten thousand pages, a line of a million dots.  Every reader checks the
limits that concern its format *before* doing the work (the size of a file
before reading it, a package's uncompressed size before inflating it, a
PDF's page count before extracting text), and the parser processes of
:mod:`ingest.worker` enforce the ones only a process can (time, memory).
A file over a limit raises :class:`ingest.readers.LimitExceeded`, whose
message names the file, what it exceeded and the setting that sets it, and
the rest of a batch goes on.

The limits in force are a :class:`FileLimits` held in a context variable:
:func:`current` gives them (the defaults unless :func:`applied` says
otherwise), so that readers need no extra argument.  The values come from
the settings (``policy_search.settings``: the same names) where ingest is
driven; this module reads no environment itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

MB = 1_000_000


@dataclass(frozen=True)
class FileLimits:
    """What one file may cost to parse (field names are the settings' names)."""

    max_file_mb: float = 50.0  # bytes on disk
    parse_timeout: float = 120.0  # seconds of parsing (enforced by the parser process)
    parse_memory_mb: int = 2048  # memory beyond the parser process's own (enforced there)
    max_pdf_pages: int = 2000
    max_unzipped_mb: float = 200.0  # a .docx package's parts, inflated, all together
    max_zip_ratio: float = 100.0  # inflated / compressed, for any part over 1 MB inflated
    max_clauses: int = 20_000  # clauses one file may give
    max_text_chars: int = 1_000_000  # characters of clause text one file may give

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MB)

    @property
    def max_unzipped_bytes(self) -> int:
        return int(self.max_unzipped_mb * MB)

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if getattr(self, name) <= 0:
                raise ValueError(f"the limit {name} must be above 0, not {getattr(self, name)!r}")


_DEFAULT = FileLimits()
_CURRENT: ContextVar[FileLimits | None] = ContextVar("file_limits", default=None)


def current() -> FileLimits:
    """The limits in force here (the defaults unless :func:`applied`)."""
    return _CURRENT.get() or _DEFAULT


@contextmanager
def applied(limits: FileLimits) -> Iterator[FileLimits]:
    """Put ``limits`` in force for the block."""
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)


def megabytes(n: float) -> str:
    """``n`` bytes as a short figure in MB ("12.3 MB", "0.2 MB")."""
    return f"{n / MB:,.1f} MB"


def over(size: float, limit: float) -> str:
    """"``size``, over the ``limit`` limit" in MB, with as many decimals as
    it takes for the two to differ ("200.0004 MB, over the 200.0 MB limit")."""
    for decimals in range(1, 7):
        shown = f"{size / MB:,.{decimals}f}"
        if shown != f"{limit / MB:,.{decimals}f}":
            return f"{shown} MB, over the {megabytes(limit)} limit"
    return f"{size:,.0f} bytes, over the {limit:,.0f}-byte limit"
