"""The clause store: documents and clauses persisted in SQLite, served from memory.

The whole corpus is small (thousands of clauses), so ``ClauseStore.open`` reads
everything once and closes the file; lookups are dict accesses, safe from any
thread.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from ingest.model import Clause, Document

from .errors import IndexCorruptError, IndexNotFoundError

STORE_FILE = "store.sqlite"

_SCHEMA = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE TABLE clauses (
    clause_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    row INTEGER NOT NULL UNIQUE,
    "order" INTEGER NOT NULL,
    kind TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX clauses_doc ON clauses(doc_id, "order");
"""


class ClauseStore:
    """Documents and clauses of one index, in memory."""

    def __init__(self, documents: Sequence[Document], clauses: Sequence[Clause]) -> None:
        self._documents: dict[str, Document] = {d.doc_id: d for d in documents}
        self._clauses: list[Clause] = list(clauses)
        self._by_id: dict[str, Clause] = {c.clause_id: c for c in self._clauses}
        by_doc: dict[str, list[Clause]] = {}
        for clause in self._clauses:
            by_doc.setdefault(clause.doc_id, []).append(clause)
        for doc_clauses in by_doc.values():
            doc_clauses.sort(key=lambda c: c.order)
        self._by_doc = by_doc

    @staticmethod
    def write(path: Path, documents: Sequence[Document], clauses: Sequence[Clause]) -> None:
        """Create a new store at ``path`` (which must not exist); clause row = list position."""
        path = Path(path)
        if path.exists():
            raise FileExistsError(path)
        conn = sqlite3.connect(path)
        try:
            conn.executescript(_SCHEMA)
            conn.executemany(
                "INSERT INTO documents (doc_id, position, json) VALUES (?, ?, ?)",
                [
                    (d.doc_id, i, json.dumps(d.to_dict(), ensure_ascii=False))
                    for i, d in enumerate(documents)
                ],
            )
            conn.executemany(
                'INSERT INTO clauses (clause_id, doc_id, row, "order", kind, json) '
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.clause_id,
                        c.doc_id,
                        row,
                        c.order,
                        c.kind,
                        json.dumps(c.to_dict(), ensure_ascii=False),
                    )
                    for row, c in enumerate(clauses)
                ],
            )
            conn.commit()
        finally:
            conn.close()

    @classmethod
    def open(cls, path: Path) -> ClauseStore:
        """Load the store at ``path`` into memory (read-only connection)."""
        path = Path(path)
        if not path.exists():
            raise IndexNotFoundError(
                f"clause store missing: {path}; rebuild with `policy-search ingest`"
            )
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            try:
                doc_rows = conn.execute("SELECT json FROM documents ORDER BY position").fetchall()
                clause_rows = conn.execute("SELECT row, json FROM clauses ORDER BY row").fetchall()
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"clause store {path} is unreadable: {exc}") from exc
        if [r for r, _ in clause_rows] != list(range(len(clause_rows))):
            raise IndexCorruptError(f"clause store {path} has gaps in its row numbers")
        documents = [Document.from_dict(json.loads(j)) for (j,) in doc_rows]
        clauses = [Clause.from_dict(json.loads(j)) for _, j in clause_rows]
        return cls(documents, clauses)

    def documents(self) -> list[Document]:
        """All documents in ingest order."""
        return list(self._documents.values())

    def document(self, doc_id: str) -> Document | None:
        """The document ``doc_id``, or None."""
        return self._documents.get(doc_id)

    def clauses(self) -> list[Clause]:
        """All clauses in row order (the row numbers of the vector and lexical indexes)."""
        return list(self._clauses)

    def clause(self, clause_id: str) -> Clause | None:
        """The clause ``clause_id``, or None."""
        return self._by_id.get(clause_id)

    def clauses_of(self, doc_id: str) -> list[Clause]:
        """The clauses of one document in reading order (empty if unknown)."""
        return list(self._by_doc.get(doc_id, []))

    def __len__(self) -> int:
        return len(self._clauses)
