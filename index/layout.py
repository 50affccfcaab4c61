"""Where the parts of an index live on disk, and the atomic switch between builds.

An index directory ``DIR`` looks like::

    DIR/
      current -> versions/20250101T120000Z-1a2b3c     (relative symlink)
      versions/
        20250101T120000Z-1a2b3c/
          manifest.json      written last: its presence marks a complete build
          store.sqlite       documents and clauses (row = position)
          vectors.faiss      IndexFlatIP over L2-normalised chunk vectors
          chunk_rows.npy     int64, vector row -> clause row
          lexical/           meta.json + <field>.npz / <field>.vocab.json per field
        .building-...        a build in progress (or left by a crash; ignored)
      .lock                  serialises concurrent builds

A build writes a fresh ``versions/.building-<id>``, renames it to
``versions/<id>`` and then replaces the ``current`` symlink with
``os.replace`` (an atomic rename). Before that rename ``current`` still names
the previous complete build; after it, the new one. A crash at any point
therefore leaves a usable index (or, for a first build, none). Readers also
accept a plain directory holding ``manifest.json`` directly.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from .manifest import MANIFEST_FILE

CURRENT_LINK = "current"
VERSIONS_DIR = "versions"
BUILDING_PREFIX = ".building-"
LOCK_FILE = ".lock"
STALE_BUILD_SECONDS = 6 * 3600


def new_version_id() -> str:
    """A sortable, unique name for one build."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


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


def switch_current(index_dir: Path, version_dir: Path) -> Path | None:
    """Point ``DIR/current`` at ``version_dir`` atomically; returns the
    previous target (None if there was none)."""
    link = index_dir / CURRENT_LINK
    previous = link.resolve() if link.is_symlink() and link.exists() else None
    tmp_link = index_dir / f".{CURRENT_LINK}-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(version_dir, index_dir), tmp_link, target_is_directory=True)
    try:
        os.replace(tmp_link, link)
    except OSError:
        tmp_link.unlink(missing_ok=True)
        raise
    return previous


def remove_old_versions(index_dir: Path, keep: Path) -> None:
    """Delete finished versions other than ``keep`` and builds abandoned long ago.

    Readers load everything into memory (or keep files open), so removing a
    version a running server was opened from does not disturb it.
    """
    versions = index_dir / VERSIONS_DIR
    if not versions.is_dir():
        return
    keep = keep.resolve()
    now = time.time()
    for entry in versions.iterdir():
        if entry.resolve() == keep:
            continue
        if entry.name.startswith(BUILDING_PREFIX):
            try:
                if now - entry.stat().st_mtime < STALE_BUILD_SECONDS:
                    continue  # possibly another build still writing
            except OSError:
                continue
        shutil.rmtree(entry, ignore_errors=True)
