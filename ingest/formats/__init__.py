"""Readers for formats other than plain text: ``.docx``, ``.pdf``, ``.html``.

Each module registers its reader with :func:`ingest.readers.register_reader`
on import; the third-party library it needs is imported only when a file of
that kind is read.  Every reader returns plain text with ``\\n`` line ends
that the cleaner and the structure parser handle like a ``.txt`` source:
one line per paragraph, heading or PDF text line, and tables flattened row
by row with one tab-led line per cell (the flattened form of 大渡口 专栏一).
"""

from ingest.formats import docx, html, pdf  # noqa: F401  (registration)
