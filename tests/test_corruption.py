"""A damaged index is refused, never replaced, and rollback restores service.

For every file of an index version in turn, a flipped byte, a truncation and a
deletion: opening gives one clear IndexCorruptError (the CLI one line and a
non-zero exit; the API 503 with the message), an ingest never leaves fewer
documents (refused when the manifest or the clause store is damaged; rebuilt
from the intact store when only derived files are), and `rollback` restores
service. Also: another format version, a dangling `current`, the versions kept,
the order of the flushes that make the switch durable, a second writer, a
failed reload retried with backoff, and an embedding cache that is set aside
only when it is corrupt.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from index.errors import IndexBusyError, IndexCorruptError
from index.layout import (
    CURRENT_LINK,
    VERSIONS_DIR,
    list_versions,
    resolve_index_dir,
    switch_current,
)
from index.lexical import FIELDS
from index.manifest import MANIFEST_FILE, Manifest
from tests.small_corpus import DADUKOU, XIANGNING, make_corpus, warm_cache

pytestmark = pytest.mark.integration

# every file of a version (a test below checks the list against a real manifest)
FILES = [
    MANIFEST_FILE,
    "store.sqlite",
    "vectors.faiss",
    "chunk_rows.npy",
    "lexical/meta.json",
    *[f"lexical/{field}.{ext}" for field in FIELDS for ext in ("indptr.npy", "rows.npy", "weights.npy", "max_weight.npy", "vocab.json")],
]
# what an ingest needs from the current version: damaged, the ingest is refused
SOURCE_FILES = {MANIFEST_FILE, "store.sqlite"}
KEY = "k3y"


def damage(path: Path, how: str) -> None:
    if how == "flip":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif how == "truncate":
        with open(path, "r+b") as fh:
            fh.truncate(path.stat().st_size // 2)
    else:
        path.unlink()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, index_dir) -> tuple[Path, Path, Path]:  # index_dir warms the shared cache
    """An index with two versions: DADUKOU, then DADUKOU + XIANGNING (current)."""
    from policy_search.pipeline import ingest_paths

    root = tmp_path_factory.mktemp("corruption")
    corpus = make_corpus(root / "corpus", (DADUKOU, XIANGNING))
    cache = warm_cache(root / "cache.sqlite")
    idx = root / "idx"
    ingest_paths([corpus / DADUKOU], idx, cache_path=cache, progress=False)
    ingest_paths([corpus / XIANGNING], idx, cache_path=cache, progress=False)
    return corpus, cache, idx


@pytest.fixture()
def damaged_copy(tmp_path, pristine, monkeypatch) -> tuple[Path, Path, Path]:
    corpus, cache, idx = pristine
    copy = tmp_path / "idx"
    shutil.copytree(idx, copy, symlinks=True)
    monkeypatch.setenv("POLICY_SEARCH_CACHE", str(cache))
    monkeypatch.setenv("POLICY_SEARCH_CORPUS", str(corpus))
    monkeypatch.setenv("POLICY_SEARCH_API_KEY", KEY)
    monkeypatch.setenv("POLICY_SEARCH_RELOAD_SECONDS", "0")
    return corpus, cache, copy


def _documents(idx: Path) -> list[str]:
    root = resolve_index_dir(idx)
    assert root is not None
    return [d.doc_id for d in Manifest.load(root).documents]


def test_file_list_is_every_file_of_a_version(pristine):
    _, _, idx = pristine
    root = resolve_index_dir(idx)
    assert root is not None
    manifest = Manifest.load(root)
    assert sorted(manifest.files) == sorted(f for f in FILES if f != MANIFEST_FILE)
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert on_disk == sorted(FILES)
    assert len(list_versions(idx)) == 2


@pytest.mark.parametrize("how", ["flip", "truncate", "delete"])
@pytest.mark.parametrize("name", FILES)
def test_damaged_file_is_refused_and_rollback_restores(damaged_copy, name, how):
    from api.app import create_app
    from index.reader import IndexReader
    from policy_search.cli import cli
    from policy_search.pipeline import ingest_paths

    corpus, cache, idx = damaged_copy
    version = Path(os.readlink(idx / CURRENT_LINK)).name
    damage(idx / VERSIONS_DIR / version / name, how)

    # opening: one clear error naming the file and how to recover
    with pytest.raises(IndexCorruptError) as caught:
        IndexReader.open(idx)
    message = str(caught.value)
    assert message.startswith(("index corrupt:", "index unreadable:")), message
    assert "\n" not in message and "rollback" in message and version in message
    assert Path(name).name in message or (name == MANIFEST_FILE and "format" in message), message

    runner = CliRunner()
    r = runner.invoke(cli, ["--index", str(idx), "search", "溺水"])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert r.output.strip().count("\n") == 0 and r.output.startswith("Error: index"), r.output

    # the API starts, answers 503 with the message, and never wipes the index
    with TestClient(create_app(index_dir=idx)) as c:
        health = c.get("/healthz")
        assert health.status_code == 503 and "index" in health.json()["error"]["message"]
        r = c.post("/v1/search", json={"query": "溺水"})
        assert r.status_code == 503 and "rollback" in r.json()["error"]["message"]
        r = c.post("/v1/ingest", json={"path": DADUKOU}, headers={"X-API-Key": KEY})
        if name in SOURCE_FILES:
            assert r.status_code == 503, r.text
            assert "ingest refused, nothing was changed" in r.json()["error"]["message"]
            assert Path(os.readlink(idx / CURRENT_LINK)).name == version
        else:  # the clause store is intact: a new version is built from it, every document kept
            assert r.status_code == 200, r.text
            assert sorted(r.json()["documents"]) == ["dadukou-children", "xiangning-children"]
            assert r.json()["server"]["documents"] == 2

    if name not in SOURCE_FILES:
        return
    with pytest.raises(IndexCorruptError, match="ingest refused"):
        ingest_paths([corpus / DADUKOU], idx, cache_path=cache, progress=False)
    assert len(list_versions(idx)) == 2  # nothing built, nothing removed

    # rollback: the previous version serves again
    r = runner.invoke(cli, ["--index", str(idx), "rollback"])
    assert r.exit_code == 0, r.output
    assert Path(os.readlink(idx / CURRENT_LINK)).name != version
    assert _documents(idx) == ["dadukou-children"]
    with TestClient(create_app(index_dir=idx)) as c:
        assert c.get("/healthz").json()["documents"] == 1
        assert c.post("/v1/search", json={"query": "溺水", "top_k": 1}).json()["results"]


def test_one_file_ingest_over_a_corrupt_store_leaves_every_document(damaged_copy):
    """The issue's case: POST /v1/ingest {"path": "one.txt"} over a corrupt
    SQLite store used to start a new index of one document and delete the rest."""
    from api.app import create_app

    _, _, idx = damaged_copy
    root = resolve_index_dir(idx)
    assert root is not None
    (root / "store.sqlite").write_bytes(b"this is not a database" * 100)
    with TestClient(create_app(index_dir=idx)) as c:
        r = c.post("/v1/ingest", json={"path": DADUKOU}, headers={"X-API-Key": KEY})
        assert r.status_code == 503 and "store.sqlite" in r.json()["error"]["message"]
        r = c.post("/v1/rollback", headers={"X-API-Key": KEY})
        assert r.status_code == 200, r.text
        assert r.json()["server"]["documents"] == 1
        r = c.post("/v1/ingest", json={"path": XIANGNING}, headers={"X-API-Key": KEY})
        assert r.status_code == 200 and r.json()["server"]["documents"] == 2
    assert sorted(_documents(idx)) == ["dadukou-children", "xiangning-children"]


def test_another_format_version_is_refused_and_force_starts_anew(damaged_copy):
    import hashlib

    from index.manifest import _canonical
    from policy_search.cli import cli

    corpus, cache, idx = damaged_copy
    root = resolve_index_dir(idx)
    assert root is not None
    data = json.loads((root / MANIFEST_FILE).read_text(encoding="utf-8"))
    data["format_version"] = 99
    data["checksum"] = hashlib.sha256(_canonical(data)).hexdigest()  # a consistent manifest of a future format
    (root / MANIFEST_FILE).write_text(json.dumps(data), encoding="utf-8")
    runner = CliRunner()
    env = {"POLICY_SEARCH_CACHE": str(cache)}
    r = runner.invoke(cli, ["--index", str(idx), "ingest", str(corpus / DADUKOU)], env=env)
    assert r.exit_code != 0 and "format 99" in r.output and "--force" in r.output
    assert len(list_versions(idx)) == 2
    r = runner.invoke(cli, ["--index", str(idx), "ingest", "--force", str(corpus / DADUKOU)], env=env)
    assert r.exit_code == 0, r.output
    assert _documents(idx) == ["dadukou-children"]
    assert len(list_versions(idx)) == 3  # the unreadable version is kept, not deleted


def test_dangling_current_is_corrupt_and_rollback_finds_the_newest_intact(damaged_copy):
    from index.reader import IndexReader
    from index.versions import rollback

    _, _, idx = damaged_copy
    newest = list_versions(idx)[-1]
    shutil.rmtree(newest)
    with pytest.raises(IndexCorruptError, match="version folder is missing"):
        IndexReader.open(idx)
    info = rollback(idx)
    assert info.version == list_versions(idx)[-1].name and _documents(idx) == ["dadukou-children"]


def test_versions_listing_and_rollback_choices(damaged_copy):
    from policy_search.cli import cli

    _, _, idx = damaged_copy
    older, newer = (v.name for v in list_versions(idx))
    runner = CliRunner()
    r = runner.invoke(cli, ["--index", str(idx), "versions", "--json"])
    assert r.exit_code == 0, r.output
    listed = json.loads(r.output)["versions"]
    assert [v["version"] for v in listed] == [older, newer]
    assert [v["current"] for v in listed] == [False, True]
    assert [v["documents"] for v in listed] == [1, 2] and all(v["clauses"] > 0 and v["ok"] for v in listed)
    r = runner.invoke(cli, ["--index", str(idx), "versions"])
    assert r.exit_code == 0 and r.output.splitlines()[1].startswith(f"* {newer}")

    r = runner.invoke(cli, ["--index", str(idx), "rollback", "no-such-version"])
    assert r.exit_code != 0 and "kept versions" in r.output
    damage(idx / VERSIONS_DIR / older / "vectors.faiss", "flip")  # a damaged target is never switched to
    r = runner.invoke(cli, ["--index", str(idx), "rollback", older])
    assert r.exit_code != 0 and "vectors.faiss checksum mismatch" in r.output
    assert Path(os.readlink(idx / CURRENT_LINK)).name == newer
    r = runner.invoke(cli, ["--index", str(idx), "versions", "--verify"])
    assert "DAMAGED" in r.output.splitlines()[0]
    r = runner.invoke(cli, ["--index", str(idx), "rollback"])  # no intact earlier version
    assert r.exit_code != 0 and "no earlier intact version" in r.output


def test_the_last_versions_are_kept(damaged_copy, monkeypatch):
    from index.layout import prune_versions
    from policy_search.pipeline import ingest_paths
    from tests.small_corpus import append_clause

    corpus, cache, idx = damaged_copy
    for n in range(3):
        append_clause(corpus / DADUKOU, f"第{n}次修订：建设儿童乐园安全巡查制度。")
        ingest_paths([corpus / DADUKOU], idx, cache_path=cache, progress=False)
    versions = list_versions(idx)
    assert len(versions) == 3  # the default keep_versions
    assert Path(os.readlink(idx / CURRENT_LINK)).name == versions[-1].name
    monkeypatch.setenv("POLICY_SEARCH_KEEP_VERSIONS", "1")  # at least two are kept whatever it says
    append_clause(corpus / DADUKOU, "再次修订：建设儿童乐园安全巡查制度。")
    ingest_paths([corpus / DADUKOU], idx, cache_path=cache, progress=False)
    assert len(list_versions(idx)) == 2
    # a rolled-back-to version is current and is never pruned, however old
    switch_current(idx, list_versions(idx)[0])
    assert prune_versions(idx, 2) == []


def test_switch_is_flushed_in_order(damaged_copy, monkeypatch):
    """Every file of the new version reaches the disk before its manifest, the
    manifest before the rename, the rename before the `current` switch."""
    from policy_search.pipeline import ingest_paths
    from tests.small_corpus import append_clause

    corpus, cache, idx = damaged_copy
    flushed: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    append_clause(corpus / DADUKOU, "建设儿童乐园安全巡查制度。")
    report = ingest_paths([corpus / DADUKOU], idx, cache_path=cache, progress=False)
    final = report.build["version_dir"]
    building = str(Path(final).parent / f".building-{Path(final).name}")

    def first(path: str) -> int:
        return next(i for i, p in enumerate(flushed) if p == path)

    def last(path: str) -> int:
        return max(i for i, p in enumerate(flushed) if p == path)

    # the manifest is written to a temporary name, flushed, then renamed
    manifest = next(i for i, p in enumerate(flushed) if p.startswith(f"{building}/.{MANIFEST_FILE}.tmp-"))
    for name in FILES[1:]:
        assert last(f"{building}/{name}") < manifest, name
    assert last(f"{building}/lexical") < manifest
    assert manifest < last(building)  # the folder (holding the renamed manifest), after it
    versions_dir = str(idx.resolve() / VERSIONS_DIR)
    index_dir = str(idx.resolve())
    assert last(building) < last(versions_dir) < last(index_dir)  # rename, then the switch
    assert Path(os.readlink(idx / CURRENT_LINK)).name == Path(final).name


def test_second_writer_gets_409(damaged_copy):
    from api.app import create_app
    from index.builder import build_lock
    from policy_search.pipeline import ingest_paths

    corpus, cache, idx = damaged_copy
    with build_lock(idx), TestClient(create_app(index_dir=idx)) as c:
        key = {"X-API-Key": KEY}
        for method, path, body in (
            ("post", "/v1/ingest", {"path": DADUKOU, "force": True}),
            ("delete", "/v1/documents/xiangning-children", None),
            ("post", "/v1/rollback", None),
        ):
            r = c.request(method, path, json=body, headers=key)
            assert r.status_code == 409, r.text
            assert "another ingest" in r.json()["error"]["message"]
        with pytest.raises(IndexBusyError):
            ingest_paths([corpus / DADUKOU], idx, cache_path=cache, progress=False, lock_timeout=0.2)
    assert len(list_versions(idx)) == 2


def test_failed_reload_is_retried_with_backoff_and_shown(damaged_copy):
    from api.app import create_app

    _, _, idx = damaged_copy
    good = Path(os.readlink(idx / CURRENT_LINK)).name
    with TestClient(create_app(index_dir=idx)) as c:
        holder = c.app.state.holder
        holder.interval = 0.01
        holder.retry_first = 0.05
        broken = idx / VERSIONS_DIR / "20990101T000000Z-broken"
        shutil.copytree(idx / VERSIONS_DIR / good, broken)
        damage(broken / "chunk_rows.npy", "flip")
        switch_current(idx, broken)
        attempts = 0
        for _ in range(400):  # the holder retries with growing delays
            c.get("/v1/documents")
            failure = holder.failed.get(broken.name)
            attempts = failure.attempts if failure else 0
            if attempts >= 3:
                break
            threading.Event().wait(0.02)
        assert attempts >= 3
        failure = holder.failed[broken.name]
        assert failure.retry_at > 0
        health = c.get("/healthz").json()
        assert health["status"] == "degraded" and health["index_version"] == good
        assert health["reload_error"]["version"] == broken.name
        assert "chunk_rows.npy checksum mismatch" in health["reload_error"]["error"]
        switch_current(idx, idx / VERSIONS_DIR / good)
        health = c.get("/healthz").json()
        assert health["status"] == "ok" and health["reload_error"] is None


# ---------------------------------------------------------------------------
# the embedding cache: never deleted unless corrupt, then set aside


def _filled_cache(path: Path):
    from index.cache import EmbeddingCache

    with EmbeddingCache(path, "model") as cache:
        cache.put_many(["甲", "乙"], "passage", np.ones((2, 4), dtype=np.float32))
    return EmbeddingCache


def test_locked_cache_is_waited_for_then_bypassed_never_deleted(tmp_path):
    EmbeddingCache = _filled_cache(tmp_path / "cache.sqlite")
    path = tmp_path / "cache.sqlite"
    before = path.read_bytes()
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")  # another build writing
    try:
        cache = EmbeddingCache(path, "model", busy_timeout=0.1, retries=1)
        assert not cache.enabled and cache.get_many(["甲"], "passage") == {}
        cache.put_many(["丙"], "passage", np.ones((1, 4), dtype=np.float32))  # a no-op, no error
    finally:
        holder.rollback()
        holder.close()
    assert path.read_bytes() == before and not list(tmp_path.glob("*.corrupt-*"))
    with EmbeddingCache(path, "model") as again:
        assert len(again.get_many(["甲", "乙"], "passage")) == 2


def test_full_disk_on_write_keeps_the_cache(tmp_path, monkeypatch):
    EmbeddingCache = _filled_cache(tmp_path / "cache.sqlite")
    cache = EmbeddingCache(tmp_path / "cache.sqlite", "model")

    class FullDisk:
        def __init__(self, conn):
            self._conn = conn

        def executemany(self, *args):
            raise sqlite3.OperationalError("database or disk is full")

        def __getattr__(self, name):
            return getattr(self._conn, name)

    real = cache._conn
    cache._conn = FullDisk(real)  # type: ignore[assignment]
    cache.put_many(["丙"], "passage", np.ones((1, 4), dtype=np.float32))
    cache._conn = real
    assert len(cache.get_many(["甲", "乙"], "passage")) == 2
    cache.close()


def test_corrupt_cache_is_set_aside_and_rebuilt(tmp_path):
    from index.cache import EmbeddingCache

    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"not a sqlite database at all" * 200)
    cache = EmbeddingCache(path, "model")
    assert cache.enabled and cache.set_aside is not None
    assert cache.set_aside.read_bytes().startswith(b"not a sqlite database")  # kept, renamed
    cache.put_many(["甲"], "passage", np.ones((1, 4), dtype=np.float32))
    assert len(cache.get_many(["甲"], "passage")) == 1
    cache.close()
