"""Where the parts of an index live on disk, the durable atomic switch between
builds, and which versions are kept.

An index directory ``DIR`` looks like::

    DIR/
      current -> versions/20250101T120000Z-1a2b3c     (relative symlink)
      versions/
        20250101T120000Z-1a2b3c/
          manifest.json      written last: its presence marks a complete build;
                             holds the size and sha256 of every other file
          store.sqlite       documents and clauses (row = position)
          vectors.faiss      IndexFlatIP over L2-normalised chunk vectors
          chunk_rows.npy     int64, vector row -> clause row
          lexical/           meta.json + <field>.npz / <field>.vocab.json per field
        20241231T080000Z-…   earlier versions, kept for `policy-search rollback`
        .building-...        a build in progress (or left by a crash; ignored)
      .lock                  serialises builds and rollbacks

A build writes a fresh ``versions/.building-<id>``, flushes every file and
folder in it to disk (fsync), writes the manifest (flushed), renames the folder
to ``versions/<id>`` (the ``versions`` folder flushed), then replaces the
``current`` symlink with ``os.replace`` (an atomic rename) and flushes ``DIR``.
Before that rename ``current`` still names the previous complete build; after
it, the new one, and because everything the new link points at reached the
disk first, a power loss at any moment leaves a ``current`` that names a
complete version. The last ``keep_versions`` versions (at least two: the
current one and the one before it) stay on disk, so a damaged version can be
rolled back. Readers also accept a plain directory holding ``manifest.json``
directly.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .manifest import MANIFEST_FILE

CURRENT_LINK = "current"
VERSIONS_DIR = "versions"
BUILDING_PREFIX = ".building-"
LOCK_FILE = ".lock"
STALE_BUILD_SECONDS = 6 * 3600
MIN_KEEP_VERSIONS = 2  # the current version and the one a rollback goes back to


def new_version_id() -> str:
    """A sortable, unique name for one build."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


def fsync_path(path: Path) -> None:
    """Flush one file or directory to disk (a directory: its entries, so a
    rename or a new file in it survives a power loss)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if Path(path).is_dir() else os.O_RDONLY
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Flush every file under ``root``, then every directory bottom-up, then
    ``root`` itself: what a directory lists is on disk before the directory is."""
    root = Path(root)
    for folder, dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                fsync_path(path)
        for name in dirs:
            path = Path(folder) / name
            if not path.is_symlink():
                fsync_path(path)
    fsync_path(root)


def current_target(index_dir: Path) -> Path | None:
    """The version folder ``DIR/current`` names (absolute), whether or not it
    exists or is complete; None when there is no ``current`` link."""
    link = Path(index_dir) / CURRENT_LINK
    if not link.is_symlink():
        return None
    return (link.parent / os.readlink(link)).resolve()


def resolve_index_dir(index_dir: Path) -> Path | None:
    """The directory holding the live manifest: ``DIR/current`` when present,
    else ``DIR`` itself if it holds a manifest; None when there is no index."""
    index_dir = Path(index_dir)
    link = index_dir / CURRENT_LINK
    if link.exists():
        target = link.resolve()
        if (target / MANIFEST_FILE).exists():
            return target
    if (index_dir / MANIFEST_FILE).exists():
        return index_dir
    return None


def list_versions(index_dir: Path) -> list[Path]:
    """The finished versions of ``index_dir`` (folders under ``versions/``,
    builds in progress left out), oldest first (ids sort by build time)."""
    versions = Path(index_dir) / VERSIONS_DIR
    if not versions.is_dir():
        return []
    return sorted(
        (p for p in versions.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )


def has_index(index_dir: Path) -> bool:
    """True when ``index_dir`` holds an index of any state: a ``current`` link
    (even a broken one), a finished version, or a manifest of its own. False
    for an absent or empty directory, where a first build may start."""
    index_dir = Path(index_dir)
    return (
        (index_dir / CURRENT_LINK).is_symlink()
        or bool(list_versions(index_dir))
        or (index_dir / MANIFEST_FILE).exists()
    )


def switch_current(index_dir: Path, version_dir: Path) -> Path | None:
    """Point ``DIR/current`` at ``version_dir`` atomically and durably; returns
    the previous target (None if there was none)."""
    index_dir = Path(index_dir)
    link = index_dir / CURRENT_LINK
    previous = link.resolve() if link.is_symlink() and link.exists() else None
    tmp_link = index_dir / f".{CURRENT_LINK}-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(version_dir, index_dir), tmp_link, target_is_directory=True)
    try:
        os.replace(tmp_link, link)
    except OSError:
        tmp_link.unlink(missing_ok=True)
        raise
    fsync_path(index_dir)  # the new link survives a power loss
    return previous


def prune_versions(
    index_dir: Path,
    keep: int,
    current: Path | None = None,
    before_remove: Callable[[Path], None] | None = None,
) -> list[str]:
    """Delete finished versions beyond the newest ``keep`` (never fewer than
    MIN_KEEP_VERSIONS, never ``current``) and builds abandoned long ago.
    ``before_remove`` is called with each version folder about to go (to drop
    what it holds outside the folder). Returns the names removed.

    Readers load everything into memory (or keep files open), so removing a
    version a running server was opened from does not disturb it.
    """
    index_dir = Path(index_dir)
    keep = max(MIN_KEEP_VERSIONS, int(keep))
    current = (current or current_target(index_dir) or index_dir).resolve()
    finished = list_versions(index_dir)
    kept = {p.resolve() for p in finished[-keep:]} | {current}
    removed: list[str] = []
    for entry in finished:
        if entry.resolve() not in kept:
            if before_remove is not None:
                before_remove(entry)
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    versions = index_dir / VERSIONS_DIR
    now = time.time()
    for entry in versions.glob(f"{BUILDING_PREFIX}*") if versions.is_dir() else ():
        try:
            if now - entry.stat().st_mtime < STALE_BUILD_SECONDS:
                continue  # possibly another build still writing
        except OSError:
            continue
        shutil.rmtree(entry, ignore_errors=True)
    if removed and versions.is_dir():
        fsync_path(versions)
    return removed
