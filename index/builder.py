"""Build an index directory from parsed documents, atomically.

See ``index.layout`` for the directory layout and why a crash at any point
leaves the previous index usable.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.model import Clause, Document, ParsedDocument, Target
from ingest.targets import document_targets

from .cache import EmbeddingCache
from .chunking import chunking_params, passage_text
from .embedders.base import Embedder
from .errors import IndexBuildError, IndexBusyError
from .layout import (
    BUILDING_PREFIX,
    CURRENT_LINK,
    LOCK_FILE,
    VERSIONS_DIR,
    fsync_path,
    fsync_tree,
    new_version_id,
    prune_versions,
    switch_current,
)
from .lexical import FIELDS, LEXICAL_FORMAT, TOKENIZER_VERSION, LexicalIndex, clause_fields
from .manifest import Manifest, ManifestDocument, checksum_files
from .parallel import map_in_processes
from .store import STORE_FILE, STORE_FORMAT, ClauseStore
from .stores import StoreSpec, build_store, release_store

log = logging.getLogger(__name__)

LEXICAL_DIR = "lexical"
EMBED_BATCH = 64  # texts per embedder call; also the progress-bar granularity
# An embedder may ask for larger calls with an int attribute ``build_batch``
# (a Ray pool splits one call over its actors); read only when text is missing
# from the cache.
PASSAGE_ROLE = "passage"


def index_layout() -> dict[str, int]:
    """The file formats a build writes (recorded in the manifest): a version
    of an older layout opens, and the next ingest rebuilds it."""
    return {"store": STORE_FORMAT, "lexical": LEXICAL_FORMAT}


@dataclass
class BuildReport:
    """What a build did."""

    index_dir: Path  # the directory given to build_index
    version_dir: Path  # where this build's files live (DIR/versions/<id>)
    documents: int
    clauses: int
    vectors: int
    seconds: float
    embed_seconds: float
    cache_hits: int  # passage texts found in the embedding cache
    cache_misses: int  # passage texts embedded by the model (after de-duplication)


@contextlib.contextmanager
def build_lock(index_dir: Path, timeout: float | None = None) -> Iterator[None]:
    """Serialise builds, read-modify-build updates and rollbacks of one index
    directory with a POSIX advisory lock; the kernel releases it when a process
    dies, so a killed build never blocks the next one. ``timeout``: None waits
    as long as it takes, 0 does not wait, otherwise seconds to wait; when the
    lock stays taken, IndexBusyError. Not re-entrant: pass ``locked=True`` to
    ``build_index`` while holding it."""
    index_dir = Path(index_dir)
    (index_dir / VERSIONS_DIR).mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield
        return
    with open(index_dir / LOCK_FILE, "a+") as handle:
        if timeout is None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        else:
            give_up = time.monotonic() + max(0.0, timeout)
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= give_up:
                        raise IndexBusyError(
                            f"another ingest, removal or rollback is updating {index_dir}; "
                            "try again when it has finished"
                        ) from None
                    time.sleep(min(0.1, max(0.0, give_up - time.monotonic())))
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def remove_abandoned(out_dir: Path) -> None:
    """Remove what killed builds left behind. Only called with the build lock
    held, so no other build can be writing: every ``.building-*`` folder and
    temporary ``current`` link is abandoned."""
    for entry in (out_dir / VERSIONS_DIR).glob(f"{BUILDING_PREFIX}*"):
        shutil.rmtree(entry, ignore_errors=True)
    for entry in out_dir.glob(f".{CURRENT_LINK}-*"):
        if entry.is_symlink():
            entry.unlink(missing_ok=True)


def _validate(parsed: Sequence[ParsedDocument]) -> tuple[list[Document], list[Clause]]:
    if not parsed:
        raise IndexBuildError("nothing to index: no documents were given")
    documents: list[Document] = []
    clauses: list[Clause] = []
    seen_docs: set[str] = set()
    seen_clauses: dict[str, str] = {}
    for item in parsed:
        document = item.document
        if document.doc_id in seen_docs:
            raise IndexBuildError(f"document id {document.doc_id!r} occurs twice")
        seen_docs.add(document.doc_id)
        documents.append(document)
        for clause in sorted(item.clauses, key=lambda c: c.order):
            if clause.doc_id != document.doc_id:
                raise IndexBuildError(
                    f"clause {clause.clause_id!r} says doc_id {clause.doc_id!r} but belongs "
                    f"to document {document.doc_id!r}"
                )
            if clause.clause_id in seen_clauses:
                raise IndexBuildError(
                    f"clause id {clause.clause_id!r} occurs twice (documents "
                    f"{seen_clauses[clause.clause_id]!r} and {document.doc_id!r})"
                )
            seen_clauses[clause.clause_id] = document.doc_id
            clauses.append(clause)
    if not clauses:
        raise IndexBuildError(
            f"nothing to index: the {len(documents)} document(s) yielded no clauses"
        )
    return documents, clauses


PARALLEL_MIN_CLAUSES = 20_000  # below this a process pool costs more than it saves


def _targets_of(job: tuple[Clause, Document | None]) -> list[Target]:
    clause, document = job
    return document_targets(clause, document)


def extract_all_targets(clauses: Sequence[Clause], documents: dict[str, Document]) -> dict[int, list[Target]]:
    """The targets of every clause, by row (rows without targets left out):
    only documents whose profile sets targets (plans) have any; across
    processes for large corpora. Stored in the index so opening it does not
    re-extract."""
    jobs = [(clause, documents.get(clause.doc_id)) for clause in clauses]
    found = map_in_processes(_targets_of, jobs, min_items=PARALLEL_MIN_CLAUSES)
    return {row: targets for row, targets in enumerate(found) if targets}


def _build_batch(embedder: Embedder) -> int:
    """Texts per ``embed_passages`` call: the embedder's ``build_batch`` if it
    has one, else EMBED_BATCH."""
    size = getattr(embedder, "build_batch", None)
    return int(size) if isinstance(size, int) and size > 0 else EMBED_BATCH


def _embed_passages(
    clause_passages: list[list[str]],
    embedder: Embedder,
    cache: EmbeddingCache | None,
    progress: bool,
) -> tuple[np.ndarray, int, int, float]:
    """Embed every passage (de-duplicated, cache first). Returns the vectors in
    passage order, cache hits, misses and seconds spent in the embedder."""
    flat = [text for passages in clause_passages for text in passages]
    unique: dict[str, int] = {}
    first_at: list[int] = []  # each unique text's first position in `flat`
    for at, text in enumerate(flat):
        if text not in unique:
            unique[text] = len(unique)
            first_at.append(at)
    unique_texts = list(unique)
    first = np.asarray(first_at, dtype=np.int64)
    # one array in passage order: each unique text's vector is written at its
    # first position and copied to its repeats at the end (a second array of
    # the unique vectors would double the peak memory of a large build)
    vectors = np.zeros((len(flat), embedder.dim), dtype=np.float32)
    have = np.zeros(len(unique_texts), dtype=bool)
    if cache is not None:
        for i, vector in cache.get_many(unique_texts, PASSAGE_ROLE).items():
            if vector.shape[0] == embedder.dim:
                vectors[first[i]] = vector
                have[i] = True
    hits = int(have.sum())
    missing = np.flatnonzero(~have)

    # clauses whose texts are all embedded once position p of `missing` is done
    first_missing_clause = []
    for passages in clause_passages:
        idx = [unique[t] for t in passages]
        first_missing_clause.append(max((i for i in idx if not have[i]), default=-1))

    from tqdm import tqdm

    show = progress and sys.stderr.isatty()
    embed_seconds = 0.0
    done_clauses = sum(1 for m in first_missing_clause if m < 0)
    with tqdm(
        total=len(clause_passages),
        initial=done_clauses,
        unit="clause",
        desc="embedding",
        disable=not show,
        leave=False,
    ) as bar:
        order_of_missing = {int(u): p for p, u in enumerate(missing)}
        clause_done_at = sorted(order_of_missing[m] for m in first_missing_clause if m >= 0)
        cursor = 0
        batch_size = _build_batch(embedder) if len(missing) else EMBED_BATCH
        for start in range(0, len(missing), batch_size):
            batch_ids = missing[start : start + batch_size]
            batch_texts = [unique_texts[i] for i in batch_ids]
            began = time.perf_counter()
            batch_vectors = embedder.embed_passages(batch_texts)
            embed_seconds += time.perf_counter() - began
            batch_vectors = np.asarray(batch_vectors, dtype=np.float32)
            if batch_vectors.shape != (len(batch_texts), embedder.dim):
                raise IndexBuildError(
                    f"embedder {embedder.name} returned shape {batch_vectors.shape} "
                    f"for {len(batch_texts)} texts of dimension {embedder.dim}"
                )
            vectors[first[batch_ids]] = batch_vectors
            if cache is not None:
                cache.put_many(batch_texts, PASSAGE_ROLE, batch_vectors)
            end = start + len(batch_ids)
            advanced = 0
            while cursor < len(clause_done_at) and clause_done_at[cursor] < end:
                cursor += 1
                advanced += 1
            bar.update(advanced)
    if len(unique_texts) < len(flat):
        source = first[np.fromiter((unique[t] for t in flat), dtype=np.int64, count=len(flat))]
        repeats = np.flatnonzero(source != np.arange(len(flat)))
        vectors[repeats] = vectors[source[repeats]]
    return vectors, hits, len(missing), embed_seconds


def _discard_store(vector_store: object, spec: StoreSpec) -> None:
    """Drop the collections of a failed build on a Milvus outside the index
    directory (an in-index Lite database goes with the directory)."""
    drop = getattr(vector_store, "drop", None)
    if drop is None or not spec.uri:
        return
    try:
        drop()
    except Exception as exc:  # the build error matters more
        log.warning("could not drop the Milvus collections of a failed build: %s", exc)


def _drop_collections_of(entry: Path) -> None:
    """Drop the Milvus collections of a version about to be removed (only
    those outside the index directory: an in-index Lite database is removed
    with its version)."""
    from .stores.milvus import drop_collections

    try:
        config = Manifest.load(entry).store
        if config.get("backend") == "milvus" and config.get("uri"):
            drop_collections(config, entry)
    except Exception as exc:  # old versions are best effort
        log.warning("could not drop the Milvus collections of %s: %s", entry.name, exc)


DEFAULT_KEEP_VERSIONS = 3


def build_index(
    parsed: list[ParsedDocument],
    out_dir: Path,
    *,
    embedder: Embedder,
    cache: EmbeddingCache | None,
    progress: bool = True,
    provenance: dict[str, dict[str, str]] | None = None,
    locked: bool = False,
    store: str = "faiss",
    faiss_index: str = "auto",
    faiss_mmap: bool = False,
    keep_versions: int = DEFAULT_KEEP_VERSIONS,
    lock_timeout: float | None = None,
    sentence_passages: bool = True,
) -> BuildReport:
    """Build the index of ``parsed`` at ``out_dir`` and make it current.

    ``provenance`` maps a doc_id to extra manifest fields (``source_path``,
    ``catalog_hash``); ``locked`` says the caller already holds ``build_lock``.
    ``store`` is the vector store spec (``faiss`` | ``milvus`` | ``milvus:<uri>``),
    ``faiss_index`` the ANN index type (``auto`` follows corpus size) and
    ``faiss_mmap`` whether readers memory-map the FAISS file; all three are
    recorded in the manifest's ``store`` entry. ``sentence_passages``: embed
    each sentence of a multi-sentence clause on its own too (recorded in the
    manifest's chunking recipe).

    Everything is written into ``out_dir/versions/.building-<id>`` and
    flushed to disk; only when complete (manifest last, with the size and
    sha256 of every file) is it renamed and ``out_dir/current`` switched to it
    with an atomic rename (see ``index.layout``), after which versions beyond
    the newest ``keep_versions`` are removed. ``lock_timeout`` is how long to
    wait for another build (``build_lock``; IndexBusyError). On any
    error the previous index stays current and IndexBuildError (or the
    embedder's error) is raised. Duplicate clause or document ids and empty
    input raise IndexBuildError before anything is written.
    """
    began = time.perf_counter()
    store_spec = StoreSpec.parse(store)  # a bad spec fails before any work
    documents, clauses = _validate(parsed)
    doc_by_id = {d.doc_id: d for d in documents}

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise IndexBuildError(f"{out_dir} exists and is not a directory")
    (out_dir / VERSIONS_DIR).mkdir(parents=True, exist_ok=True)

    with contextlib.nullcontext() if locked else build_lock(out_dir, lock_timeout):
        remove_abandoned(out_dir)
        version_id = new_version_id()
        building = out_dir / VERSIONS_DIR / f"{BUILDING_PREFIX}{version_id}"
        final = out_dir / VERSIONS_DIR / version_id
        building.mkdir()
        store_config: dict = {}
        vector_store = None
        try:
            clause_passages = [passage_text(c, doc_by_id[c.doc_id], sentence_passages) for c in clauses]
            chunk_rows = np.fromiter(
                (row for row, passages in enumerate(clause_passages) for _ in passages),
                dtype=np.int64,
            )
            vectors, hits, misses, embed_seconds = _embed_passages(
                clause_passages, embedder, cache, progress
            )
            lexical = LexicalIndex.build(clauses, doc_by_id)
            targets = extract_all_targets(clauses, doc_by_id)

            ClauseStore.write(building / STORE_FILE, documents, clauses, targets)
            vector_store, store_config = build_store(
                store_spec,
                vectors,
                chunk_rows,
                len(clauses),
                building,
                clause_texts=(
                    [clause_fields(c, doc_by_id[c.doc_id]) for c in clauses]
                    if store_spec.backend != "faiss"
                    else ()
                ),
                faiss_index=faiss_index,
                mmap=faiss_mmap,
                version_id=version_id,
            )
            lexical.save(building / LEXICAL_DIR)
            # every file and folder reaches the disk before the manifest that
            # vouches for them (checksums read the files back from the page cache)
            files = checksum_files(building)
            fsync_tree(building)
            clause_counts: dict[str, int] = {}
            for clause in clauses:
                clause_counts[clause.doc_id] = clause_counts.get(clause.doc_id, 0) + 1
            manifest = Manifest(
                embedder=embedder.name,
                dim=int(embedder.dim),
                documents=[
                    ManifestDocument(
                        doc_id=d.doc_id,
                        title=d.title,
                        source_file=d.source_file,
                        source_hash=d.source_hash,
                        clauses=clause_counts.get(d.doc_id, 0),
                        **(provenance or {}).get(d.doc_id, {}),
                    )
                    for d in documents
                ],
                counts={
                    "documents": len(documents),
                    "clauses": len(clauses),
                    "vectors": int(vector_store.ntotal),
                },
                chunking=chunking_params(sentence_passages),
                lexical={"fields": list(FIELDS), "tokenizer_version": TOKENIZER_VERSION},
                store=store_config,
                files=files,
                layout=index_layout(),
            )
            manifest.save(building)  # last: marks the build complete (flushed)
            release_store(store_config, building)  # Milvus Lite: close before the rename
            os.rename(building, final)
            fsync_path(final.parent)  # the rename survives a power loss
        except BaseException:
            _discard_store(vector_store, store_spec)
            if store_config:
                release_store(store_config, building)
            shutil.rmtree(building, ignore_errors=True)
            raise
        try:
            switch_current(out_dir, final)
        except OSError as exc:
            shutil.rmtree(final, ignore_errors=True)
            raise IndexBuildError(
                f"could not switch {out_dir}/current to the new build: {exc}"
            ) from exc
        prune_versions(
            out_dir,
            keep_versions,
            current=final,
            before_remove=_drop_collections_of if store_spec.backend != "faiss" and store_spec.uri else None,
        )

    report = BuildReport(
        index_dir=out_dir,
        version_dir=final,
        documents=len(documents),
        clauses=len(clauses),
        vectors=int(vector_store.ntotal),
        seconds=time.perf_counter() - began,
        embed_seconds=embed_seconds,
        cache_hits=hits,
        cache_misses=misses,
    )
    log.info(
        "indexed %d documents, %d clauses, %d vectors in %.1fs (embedding %.1fs, cache %d hits / %d misses)",
        report.documents,
        report.clauses,
        report.vectors,
        report.seconds,
        report.embed_seconds,
        report.cache_hits,
        report.cache_misses,
    )
    return report
