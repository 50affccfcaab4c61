"""Readers for formats other than plain text: ``.docx``, ``.pdf``, ``.html``.

Each module registers its reader with :func:`ingest.readers.register_reader`
on import; the third-party library it needs is imported only when a file of
that kind is read.  Every reader returns :class:`ingest.blocks.Block` objects
in reading order, taking the structure the source declares rather than
imitating a text file: Word headings and ``<h1>``–``<h6>`` are heading blocks
with their level, paragraphs (and PDF text lines) are paragraph blocks, a
table is one table block with its cells, and a one-column table (a box,
专栏) gives boxed paragraph blocks.  Line numbers count the extracted units
(:class:`ingest.formats.cells.BlockBuilder`) so that
:func:`ingest.blocks.render_text` gives the flattened text: one line per
paragraph, tab-led line per box paragraph or table cell, a blank line after
each table row.
"""

from ingest.formats import docx, html, pdf  # noqa: F401  (registration)
