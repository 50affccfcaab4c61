"""The clause store: documents, clauses and their targets persisted in SQLite.

Two ways to read it:

- ``ClauseStore.open`` reads everything into memory and closes the file (what
  an ingest needs: every clause of the current version, to rebuild from);
- ``ClauseStore.open_lazy`` (what a reader serving searches uses) reads the
  documents and two per-row columns — each clause's document and kind, stored
  as arrays at build time — and fetches clauses from SQLite only when asked,
  keeping the most recent ones decoded. Opening costs the same at a thousand
  clauses or a million, and memory grows with the clauses asked for, not the
  corpus (a million clauses as objects took 5.5 GB and two minutes to decode).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import overload

import numpy as np

from ingest.model import CLAUSE_KINDS, Clause, Document, Target
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
CREATE TABLE columns (
    name TEXT PRIMARY KEY,
    dtype TEXT NOT NULL,
    data BLOB NOT NULL
);
"""
# 2: per-row columns (document position, kind code) and the indicator names
# stored at build time, read by ``open_lazy`` instead of a pass over every row.
# A store of format 1 still opens (the columns are then computed from the rows).
STORE_FORMAT = 2
LAZY_CACHE_CLAUSES = 8192  # decoded clauses kept by a lazy store
_SQL_BATCH = 900  # rows per "IN (...)" query (SQLite's parameter limit is 999 on old builds)


def kind_codes(kinds: Iterable[str]) -> tuple[list[str], np.ndarray]:
    """(kind names, int8 code per row): CLAUSE_KINDS first, any other kind after."""
    names = list(CLAUSE_KINDS)
    index = {k: i for i, k in enumerate(names)}
    codes = []
    for kind in kinds:
        code = index.get(kind)
        if code is None:
            code = index[kind] = len(names)
            names.append(kind)
        codes.append(code)
    if len(names) > 127:
        raise ValueError("more than 127 clause kinds")
    return names, np.asarray(codes, dtype=np.int8)


def indicator_names(clauses: Iterable[Clause], targets: Iterable[Target]) -> list[str]:
    """Indicator names a query may mention: printed names (an indicator row's
    field, a target's indicator) and the targets' normalised forms; sorted."""
    names = {c.fields["indicator"] for c in clauses if c.fields.get("indicator")}
    for target in targets:
        if not target.qualitative:
            names.add(target.indicator)
            names.add(target.indicator_norm)
    return sorted(n for n in names if n)


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
            names, codes = kind_codes(c.kind for c in clauses)
            position = {d.doc_id: i for i, d in enumerate(documents)}
            doc_index = np.fromiter((position[c.doc_id] for c in clauses), dtype=np.int32, count=len(clauses))
            conn.executemany(
                "INSERT INTO columns (name, dtype, data) VALUES (?, ?, ?)",
                [("doc_index", "int32", doc_index.tobytes()), ("kind", "int8", codes.tobytes())],
            )
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("store_format", str(STORE_FORMAT)), ("kinds", json.dumps(names))],
            )
            if targets is not None:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('indicator_names', ?)",
                    (json.dumps(indicator_names(clauses, (t for found in targets.values() for t in found)), ensure_ascii=False),),
                )
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


def _connect_read_only(path: Path) -> sqlite3.Connection:
    # immutable: a built version never changes (its checksum was verified), so
    # SQLite skips file locking on every read
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)


class LazyClauseStore:
    """A clause store read on demand (see the module docstring): documents in
    memory; per row, its document and kind as arrays; clauses fetched from
    SQLite by row or id and the last LAZY_CACHE_CLAUSES kept decoded;
    targets read on first use. Thread-safe."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, Clause] = OrderedDict()
        self._targets: dict[int, list[Target]] | None = None
        self._targets_read = False
        docs = conn.execute("SELECT json FROM documents ORDER BY position").fetchall()
        self._documents: dict[str, Document] = {}
        for (j,) in docs:
            document = Document.from_dict(json.loads(j))
            self._documents[document.doc_id] = document
        self._doc_ids: list[str] = list(self._documents)
        first, last, count = conn.execute("SELECT min(row), max(row), count(*) FROM clauses").fetchone()
        if count and (first != 0 or last != count - 1):
            raise ValueError("gaps in its row numbers")
        self._n = int(count)
        meta = _meta(conn)
        columns = _columns(conn)
        if "doc_index" in columns and "kind" in columns and "kinds" in meta:
            self.doc_index = columns["doc_index"]
            self.kind_code = columns["kind"]
            self.kind_names: list[str] = list(json.loads(meta["kinds"]))
        else:  # a store of format 1: the columns from the rows (one pass)
            position = {d: i for i, d in enumerate(self._doc_ids)}
            pairs = conn.execute("SELECT doc_id, kind FROM clauses ORDER BY row").fetchall()
            self.doc_index = np.fromiter((position[d] for d, _ in pairs), dtype=np.int32, count=len(pairs))
            self.kind_names, self.kind_code = kind_codes(k for _, k in pairs)
        if self.doc_index.shape[0] != self._n or self.kind_code.shape[0] != self._n:
            raise ValueError("its row columns do not match its clauses")
        if self._n and (int(self.doc_index.min()) < 0 or int(self.doc_index.max()) >= len(self._doc_ids)):
            raise ValueError("its rows name documents it does not hold")
        # rows of each document: clauses are stored document by document, so
        # each document is one range of rows (any order still works, via a sort)
        if self._n and bool(np.all(self.doc_index[1:] >= self.doc_index[:-1])):
            self._row_order: np.ndarray | None = None
        else:
            self._row_order = np.argsort(self.doc_index, kind="stable")
        ordered = self.doc_index if self._row_order is None else self.doc_index[self._row_order]
        self._doc_bounds = np.searchsorted(ordered, np.arange(len(self._doc_ids) + 1))
        self._doc_position = {d: i for i, d in enumerate(self._doc_ids)}
        self.indicator_names: list[str] | None = None
        if "indicator_names" in meta and meta.get("targets_version") == str(TARGETS_VERSION):
            self.indicator_names = list(json.loads(meta["indicator_names"]))

    @classmethod
    def open(cls, path: Path) -> LazyClauseStore:
        """Open the store at ``path`` for lazy reading; a missing or unreadable
        file raises IndexCorruptError naming it."""
        path = Path(path)
        if not path.exists():
            raise corrupt(path.parent, f"{path.name} is missing")
        try:
            conn = _connect_read_only(path)
        except sqlite3.Error as exc:
            raise corrupt(path.parent, f"{path.name} is unreadable ({exc})") from exc
        try:
            return cls(path, conn)
        except sqlite3.Error as exc:
            conn.close()
            raise corrupt(path.parent, f"{path.name} is unreadable ({exc})") from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            conn.close()
            raise corrupt(path.parent, f"{path.name} holds a damaged row ({exc})") from exc

    # ---- documents --------------------------------------------------------------

    def documents(self) -> list[Document]:
        """All documents in ingest order."""
        return list(self._documents.values())

    def document(self, doc_id: str) -> Document | None:
        """The document ``doc_id``, or None."""
        return self._documents.get(doc_id)

    @property
    def doc_ids(self) -> list[str]:
        """Document ids by position (``doc_index`` values index this list)."""
        return self._doc_ids

    def rows_of_doc(self, doc_id: str) -> np.ndarray:
        """The rows of one document, ascending (int64; empty if unknown)."""
        position = self._doc_position.get(doc_id)
        if position is None:
            return np.empty(0, dtype=np.int64)
        start, end = int(self._doc_bounds[position]), int(self._doc_bounds[position + 1])
        if self._row_order is None:
            return np.arange(start, end, dtype=np.int64)
        return np.sort(self._row_order[start:end]).astype(np.int64)

    def doc_ids_of_rows(self, rows: np.ndarray) -> set[str]:
        """The documents that ``rows`` belong to."""
        return {self._doc_ids[int(i)] for i in np.unique(self.doc_index[np.asarray(rows, dtype=np.int64)])}

    def kind_of(self, row: int) -> str:
        return self.kind_names[int(self.kind_code[row])]

    # ---- clauses ----------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def _decode(self, row: int, text: str) -> Clause:
        try:
            return Clause.from_dict(json.loads(text))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise corrupt(self.path.parent, f"{self.path.name} holds a damaged row {row} ({exc!r})") from exc

    def _remember(self, row: int, clause: Clause) -> None:
        self._cache[row] = clause
        if len(self._cache) > LAZY_CACHE_CLAUSES:
            self._cache.popitem(last=False)

    def clause_at(self, row: int) -> Clause:
        """The clause at ``row`` (IndexError outside 0..len-1)."""
        row = int(row)
        if not 0 <= row < self._n:
            raise IndexError(f"clause row {row} out of range 0..{self._n - 1}")
        with self._lock:
            cached = self._cache.get(row)
            if cached is not None:
                self._cache.move_to_end(row)
                return cached
            found = self._conn.execute("SELECT json FROM clauses WHERE row = ?", (row,)).fetchone()
            clause = self._decode(row, found[0])
            self._remember(row, clause)
            return clause

    def clauses_at(self, rows: Iterable[int]) -> list[Clause]:
        """The clauses at ``rows``, in that order, fetched in batches."""
        wanted = [int(r) for r in rows]
        for row in wanted:
            if not 0 <= row < self._n:
                raise IndexError(f"clause row {row} out of range 0..{self._n - 1}")
        out: dict[int, Clause] = {}
        with self._lock:
            missing = []
            for row in dict.fromkeys(wanted):
                cached = self._cache.get(row)
                if cached is None:
                    missing.append(row)
                else:
                    self._cache.move_to_end(row)
                    out[row] = cached
            for start in range(0, len(missing), _SQL_BATCH):
                batch = missing[start : start + _SQL_BATCH]
                marks = ",".join("?" * len(batch))
                for row, text in self._conn.execute(f"SELECT row, json FROM clauses WHERE row IN ({marks})", batch):
                    clause = self._decode(row, text)
                    self._remember(row, clause)
                    out[row] = clause
        return [out[row] for row in wanted]

    def iter_clauses(self, batch: int = 2000) -> Iterator[Clause]:
        """Every clause in row order, read in batches (not kept in the cache)."""
        for start in range(0, self._n, batch):
            with self._lock:
                found = self._conn.execute(
                    "SELECT row, json FROM clauses WHERE row >= ? AND row < ? ORDER BY row", (start, start + batch)
                ).fetchall()
            for row, text in found:
                yield self._decode(row, text)

    def clauses(self) -> ClauseRows:
        """All clauses in row order, as a sequence read on demand."""
        return ClauseRows(self)

    def row_of(self, clause_id: str) -> int | None:
        """The row of ``clause_id``, or None."""
        with self._lock:
            found = self._conn.execute("SELECT row FROM clauses WHERE clause_id = ?", (clause_id,)).fetchone()
        return None if found is None else int(found[0])

    def clause(self, clause_id: str) -> Clause | None:
        """The clause ``clause_id``, or None."""
        row = self.row_of(clause_id)
        return None if row is None else self.clause_at(row)

    def clauses_of(self, doc_id: str) -> list[Clause]:
        """The clauses of one document in reading order (empty if unknown)."""
        return sorted(self.clauses_at(self.rows_of_doc(doc_id)), key=lambda c: c.order)

    # ---- targets ----------------------------------------------------------------

    @property
    def targets(self) -> dict[int, list[Target]] | None:
        """Targets by clause row as stored at build time (read on first use);
        None when not stored or stored by another TARGETS_VERSION."""
        if not self._targets_read:
            with self._lock:
                if not self._targets_read:
                    rows = _stored_targets(self._conn)
                    targets = None
                    if rows is not None:
                        try:
                            targets = {row: [Target.from_dict(t) for t in json.loads(j)] for row, j in rows}
                        except (ValueError, TypeError, KeyError, AttributeError) as exc:
                            raise corrupt(self.path.parent, f"{self.path.name} holds a damaged target ({exc!r})") from exc
                    self._targets = targets
                    self._targets_read = True
        return self._targets

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class ClauseRows(Sequence[Clause]):
    """The clauses of a lazy store as a read-only sequence by row: indexing
    fetches one clause, iterating reads them all in batches."""

    def __init__(self, store: LazyClauseStore) -> None:
        self._store = store

    def __len__(self) -> int:
        return len(self._store)

    @overload
    def __getitem__(self, index: int) -> Clause: ...

    @overload
    def __getitem__(self, index: slice) -> list[Clause]: ...

    def __getitem__(self, index: int | slice) -> Clause | list[Clause]:
        if isinstance(index, slice):
            return self._store.clauses_at(range(*index.indices(len(self))))
        row = int(index)
        if row < 0:
            row += len(self)
        return self._store.clause_at(row)

    def __iter__(self) -> Iterator[Clause]:
        return self._store.iter_clauses()

    def take(self, rows: Iterable[int]) -> list[Clause]:
        """The clauses at ``rows``, fetched together."""
        return self._store.clauses_at(rows)


class RowOfClause(Mapping[str, int]):
    """clause_id → row of a lazy store, looked up on demand."""

    def __init__(self, store: LazyClauseStore) -> None:
        self._store = store

    def __getitem__(self, clause_id: str) -> int:
        row = self._store.row_of(clause_id)
        if row is None:
            raise KeyError(clause_id)
        return row

    def __contains__(self, clause_id: object) -> bool:
        return isinstance(clause_id, str) and self._store.row_of(clause_id) is not None

    def __iter__(self) -> Iterator[str]:
        return (c.clause_id for c in self._store.iter_clauses())

    def __len__(self) -> int:
        return len(self._store)


class RowsOfDocument(Mapping[str, np.ndarray]):
    """doc_id → its rows (ascending int64) of a lazy store."""

    def __init__(self, store: LazyClauseStore) -> None:
        self._store = store

    def __getitem__(self, doc_id: str) -> np.ndarray:
        if self._store.document(doc_id) is None:
            raise KeyError(doc_id)
        return self._store.rows_of_doc(doc_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._store.doc_ids)

    def __len__(self) -> int:
        return len(self._store.doc_ids)


def _meta(conn: sqlite3.Connection) -> dict[str, str]:
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" not in tables:
        return {}
    return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}


def _columns(conn: sqlite3.Connection) -> dict[str, np.ndarray]:
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "columns" not in tables:
        return {}
    out = {}
    for name, dtype, data in conn.execute("SELECT name, dtype, data FROM columns"):
        if dtype not in ("int8", "int32"):
            raise ValueError(f"column {name} has an unknown type {dtype}")
        out[str(name)] = np.frombuffer(data, dtype=dtype)
    return out
