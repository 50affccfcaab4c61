"""Helpers for tests that change an index: a one- or two-plan corpus copied to
a tmp folder, and a private copy of the embedding cache (so those plans embed
from the cache and a killed process never touches the shared file)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import CACHE, CORPUS

DADUKOU = "dadukou-children-2021-2030.txt"
XIANGNING = "xiangning-children-2021-2025-draft.txt"


def make_corpus(folder: Path, files: tuple[str, ...] = (DADUKOU,)) -> Path:
    """``folder`` holding ``files`` from the corpus and their catalog entries."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        shutil.copy(CORPUS / name, folder / name)
    catalog = json.loads((CORPUS / "catalog.json").read_text(encoding="utf-8"))
    entries = catalog.get("documents", catalog) if isinstance(catalog, dict) else catalog
    kept = [e for e in entries if e["source"] in files]
    data = {**catalog, "documents": kept} if isinstance(catalog, dict) else kept
    (folder / "catalog.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


def warm_cache(path: Path) -> Path:
    """A private copy of the shared embedding cache (empty if there is none yet)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if CACHE.exists():
        shutil.copy(CACHE, path)
    return path


def append_clause(path: Path, text: str) -> None:
    """Add one clause at the end of a plan's body (before a closing 抄送 block)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next((i for i, line in enumerate(lines) if line.startswith("抄送")), len(lines))
    lines.insert(at, f"（九）{text}加强统筹协调，明确责任分工，确保各项措施落实到位。")
    path.write_text("\n".join(lines), encoding="utf-8")
