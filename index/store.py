"""The clause store: documents, clauses and their targets persisted in SQLite, served from memory.

The whole corpus is small (thousands of clauses), so ``ClauseStore.open`` reads
everything once and closes the file; lookups are dict accesses, safe from any
thread.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

from ingest.model import Clause, Document, Target
from ingest.targets import TARGETS_VERSION

from .errors import corrupt

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
CREATE TABLE targets (
    row INTEGER PRIMARY KEY,
    json TEXT NOT NULL
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def _stored_targets(conn: sqlite3.Connection) -> list[tuple[int, str]] | None:
    """The stored targets rows, or None when the store has none (built before
    targets were stored) or has them from another extractor version."""
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"targets", "meta"} <= tables:
        return None
    version = conn.execute("SELECT value FROM meta WHERE key = 'targets_version'").fetchone()
    if version is None or version[0] != str(TARGETS_VERSION):
        return None
    return conn.execute("SELECT row, json FROM targets ORDER BY row").fetchall()


class ClauseStore:
    """Documents and clauses of one index, in memory."""

    def __init__(
        self,
        documents: Sequence[Document],
        clauses: Sequence[Clause],
        targets: Mapping[int, list[Target]] | None = None,
    ) -> None:
        # targets by clause row, as extracted at build time (None: not stored,
        # or stored by another TARGETS_VERSION)
        self.targets: dict[int, list[Target]] | None = dict(targets) if targets is not None else None
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
    def write(
        path: Path,
        documents: Sequence[Document],
        clauses: Sequence[Clause],
        targets: Mapping[int, list[Target]] | None = None,
    ) -> None:
        """Create a new store at ``path`` (which must not exist); clause row =
        list position. ``targets`` (by clause row, rows without targets left
        out) are stored with the extractor's TARGETS_VERSION."""
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
            if targets is not None:
                conn.executemany(
                    "INSERT INTO targets (row, json) VALUES (?, ?)",
                    [
                        (row, json.dumps([t.to_dict() for t in found], ensure_ascii=False))
                        for row, found in sorted(targets.items())
                        if found
                    ],
                )
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('targets_version', ?)", (str(TARGETS_VERSION),)
                )
            conn.commit()
        finally:
            conn.close()

    @classmethod
    def open(cls, path: Path) -> ClauseStore:
        """Load the store at ``path`` into memory (read-only connection); a
        missing or unreadable file raises IndexCorruptError naming it."""
        path = Path(path)
        if not path.exists():
            raise corrupt(path.parent, f"{path.name} is missing")
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            try:
                doc_rows = conn.execute("SELECT json FROM documents ORDER BY position").fetchall()
                clause_rows = conn.execute("SELECT row, json FROM clauses ORDER BY row").fetchall()
                target_rows = _stored_targets(conn)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise corrupt(path.parent, f"{path.name} is unreadable ({exc})") from exc
        if [r for r, _ in clause_rows] != list(range(len(clause_rows))):
            raise corrupt(path.parent, f"{path.name} has gaps in its row numbers")
        try:
            documents = [Document.from_dict(json.loads(j)) for (j,) in doc_rows]
            clauses = [Clause.from_dict(json.loads(j)) for _, j in clause_rows]
            targets = None
            if target_rows is not None:
                targets = {row: [Target.from_dict(t) for t in json.loads(j)] for row, j in target_rows}
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise corrupt(path.parent, f"{path.name} holds a damaged row ({exc!r})") from exc
        return cls(documents, clauses, targets)

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
