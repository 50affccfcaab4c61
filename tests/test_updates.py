"""Updating an index: unchanged files skipped by hash, a changed file replaces
its plans only, folder sync removes plans whose files are gone, `remove`, and
crash safety (an ingest SIGKILLed at random points)."""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.layout import BUILDING_PREFIX, CURRENT_LINK, LOCK_FILE, VERSIONS_DIR, resolve_index_dir
from index.manifest import Manifest
from tests.small_corpus import DADUKOU, XIANGNING, append_clause, make_corpus, warm_cache

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def setup(tmp_path, index_dir):  # index_dir: the session build warms the shared cache
    corpus = make_corpus(tmp_path / "corpus", (DADUKOU, XIANGNING))
    cache = warm_cache(tmp_path / "cache.sqlite")
    return corpus, cache, tmp_path / "idx"


def _version(idx: Path) -> str:
    return Path(os.readlink(idx / CURRENT_LINK)).name


def _counts(idx: Path) -> dict[str, int]:
    root = resolve_index_dir(idx)
    assert root is not None
    return Manifest.load(root).counts


def test_update_semantics(setup, monkeypatch):
    from policy_search import pipeline
    from search.service import SearchService

    corpus, cache, idx = setup
    first = pipeline.ingest_paths([corpus], idx, cache_path=cache, progress=False)
    assert sorted(first.added) == ["dadukou-children", "xiangning-children"]
    assert first.changed and first.build["cache_misses"] == 0
    v1 = _version(idx)
    n1 = first.clauses

    # unchanged: nothing parsed, no new version (files are parsed in parser
    # processes: what is sent to them is what gets parsed)
    calls: list[Path] = []
    real_parse = pipeline.parse_many
    monkeypatch.setattr(pipeline, "parse_many", lambda files, *a, **k: calls.extend(p for p, _ in files) or real_parse(files, *a, **k))
    same = pipeline.ingest_paths([corpus], idx, cache_path=cache, progress=False)
    assert calls == [] and not same.changed and _version(idx) == v1
    assert sorted(same.skipped) == ["dadukou-children", "xiangning-children"]
    assert not (same.added or same.replaced or same.removed)

    # a changed file replaces that plan only; the other one is reused, not re-parsed
    append_clause(corpus / DADUKOU, "建设儿童独角兽乐园安全巡查制度。")
    changed = pipeline.ingest_paths([corpus / DADUKOU], idx, cache_path=cache, progress=False)
    assert [p.name for p in calls] == [DADUKOU]
    assert changed.replaced == ["dadukou-children"] and not changed.added and not changed.removed
    assert changed.changed and changed.clauses == n1 + 1
    # only the new clause is embedded: its text and, on their own, its two sentences
    assert changed.build["cache_misses"] == 3
    assert _version(idx) != v1
    svc = SearchService.open(idx)
    assert list(svc.documents) == ["dadukou-children", "xiangning-children"]  # order kept
    hit = svc.search("独角兽乐园", top_k=1).hits[0]
    assert "独角兽乐园" in hit.text and hit.doc_id == "dadukou-children"

    # remove one plan by id
    removed = pipeline.remove_documents(["xiangning-children"], idx, cache_path=cache)
    assert removed.removed == ["xiangning-children"] and removed.documents == ["dadukou-children"]
    with pytest.raises(pipeline.UnknownDocumentError):
        pipeline.remove_documents(["no-such-plan"], idx, cache_path=cache)
    with pytest.raises(ValueError, match="no documents"):
        pipeline.remove_documents(["dadukou-children"], idx, cache_path=cache)

    # folder sync: the file is still there, so the plan comes back; then its file goes
    back = pipeline.ingest_paths([corpus], idx, cache_path=cache, progress=False)
    assert back.added == ["xiangning-children"] and back.skipped == ["dadukou-children"]
    (corpus / XIANGNING).unlink()
    synced = pipeline.ingest_paths([corpus], idx, cache_path=cache, progress=False)
    assert synced.removed == ["xiangning-children"] and synced.documents == ["dadukou-children"]

    # a file outside the folder is kept by a folder sync
    other = make_corpus(corpus.parent / "other", (XIANGNING,))
    pipeline.ingest_paths([other / XIANGNING], idx, cache_path=cache, progress=False)
    kept = pipeline.ingest_paths([corpus], idx, cache_path=cache, progress=False)
    assert not kept.changed and sorted(kept.documents) == ["dadukou-children", "xiangning-children"]

    # a catalog change is a change even with the same file bytes
    catalog = json.loads((corpus / "catalog.json").read_text(encoding="utf-8"))
    entry = next(e for e in catalog["documents"] if e["source"] == DADUKOU)
    entry["title"] += "（修订）"
    (corpus / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    retitled = pipeline.ingest_paths([corpus], idx, cache_path=cache, progress=False)
    assert retitled.replaced == ["dadukou-children"]
    assert SearchService.open(idx).documents["dadukou-children"].title.endswith("（修订）")


def test_cli_ingest_and_remove_report(setup):
    from click.testing import CliRunner

    from policy_search.cli import cli

    corpus, cache, idx = setup
    env = {"POLICY_SEARCH_CACHE": str(cache)}
    runner = CliRunner()
    r = runner.invoke(cli, ["--index", str(idx), "ingest", str(corpus), "--json"], env=env)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert set(data) >= {"added", "replaced", "skipped", "removed", "changed", "version", "documents"}
    r = runner.invoke(cli, ["--index", str(idx), "ingest", str(corpus)], env=env)
    assert r.exit_code == 0 and "unchanged 2" in r.output and "index unchanged" in r.output
    r = runner.invoke(cli, ["--index", str(idx), "remove", "xiangning-children"], env=env)
    assert r.exit_code == 0 and "removed 1: xiangning-children" in r.output
    r = runner.invoke(cli, ["--index", str(idx), "remove", "../etc/passwd"], env=env)
    assert r.exit_code != 0 and "no document with id" in r.output and "Traceback" not in r.output


def _lock_is_free(idx: Path) -> bool:
    with open(idx / LOCK_FILE, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return True


@pytest.mark.parametrize(
    ("seed", "cold", "window"),
    [(1, True, (1.0, 7.0)), (2, True, (1.0, 7.0)), (3, False, (1.2, 2.2)), (4, False, (1.8, 2.8)), (5, False, (2.4, 3.4))],
)
def test_sigkill_mid_ingest_leaves_previous_index(tmp_path, index_dir, seed, cold, window):
    """SIGKILL `policy-search ingest` after a random delay. With an empty cache
    (cold) the kill lands while embedding; with a warm one the run takes a few
    seconds, and the later windows land in writing the version or switching,
    or after the run finished."""
    from policy_search.pipeline import ingest_paths
    from search.service import SearchService

    rng = random.Random(seed)
    corpus = make_corpus(tmp_path / "corpus", (DADUKOU,))
    cache = warm_cache(tmp_path / "cache.sqlite")
    idx = tmp_path / "idx"
    ingest_paths([corpus], idx, cache_path=cache, progress=False)
    before = _counts(idx)
    version_before = _version(idx)

    append_clause(corpus / DADUKOU, f"第{seed}次修订：建设儿童独角兽乐园安全巡查制度。")
    kill_cache = tmp_path / "empty.sqlite" if cold else cache
    env = {**os.environ, "POLICY_SEARCH_CACHE": str(kill_cache)}
    delay = rng.uniform(*window)
    proc = subprocess.Popen(
        [sys.executable, "-m", "policy_search.cli", "--index", str(idx), "ingest", "-q", str(corpus)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    print(f"seed {seed}: delay {delay:.1f}s, exit {proc.returncode}, switched {_version(idx) != version_before}, "
          f"left {[p.name for p in (idx / VERSIONS_DIR).iterdir()]}")

    # the index opens, whole: the previous version, or the new one if the run finished
    after = _counts(idx)
    if _version(idx) == version_before:
        assert after == before
    else:
        # finished, or killed after the switch (the new version is whole either way)
        assert proc.returncode in (0, -signal.SIGKILL) and after["clauses"] == before["clauses"] + 1
    svc = SearchService.open(idx)
    assert len(svc.clauses) == after["clauses"]
    assert svc.search("预防儿童溺水", top_k=3).hits

    # the next ingest is not blocked by the lock or leftovers, and cleans them up
    assert _lock_is_free(idx)
    report = ingest_paths([corpus], idx, cache_path=cache, progress=False)
    assert report.clauses == before["clauses"] + 1
    assert not list((idx / VERSIONS_DIR).glob(f"{BUILDING_PREFIX}*"))
    assert 2 <= len(list((idx / VERSIONS_DIR).iterdir())) <= 3  # the newest versions are kept for rollback
    assert any("独角兽乐园" in c.text for c in SearchService.open(idx).clauses)


def test_stale_build_and_lock_do_not_block(setup):
    from policy_search.pipeline import ingest_paths

    corpus, cache, idx = setup
    ingest_paths([corpus], idx, cache_path=cache, progress=False)
    stale = idx / VERSIONS_DIR / f"{BUILDING_PREFIX}20990101T000000Z-dead00"
    stale.mkdir()
    (stale / "store.sqlite").write_bytes(b"half written")
    os.symlink("versions/nowhere", idx / f".{CURRENT_LINK}-deadbeef")
    append_clause(corpus / DADUKOU, "建设儿童独角兽乐园安全巡查制度。")
    began = time.monotonic()
    report = ingest_paths([corpus / DADUKOU], idx, cache_path=cache, progress=False)
    assert report.replaced == ["dadukou-children"] and time.monotonic() - began < 60
    assert not stale.exists() and not (idx / f".{CURRENT_LINK}-deadbeef").is_symlink()
    shutil.rmtree(idx / VERSIONS_DIR / _version(idx) / "lexical")  # a damaged current version...
    again = ingest_paths([corpus], idx, cache_path=cache, progress=False, force=True)  # ...is rebuilt
    assert again.changed and _counts(idx)["documents"] == 2
