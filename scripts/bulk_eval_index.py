"""Build the index the bulk question sets are asked on: the 30 laws and
regulations of ``tests/data/eval/bulk-docs.txt``, taken from the bulk archive
(``../shared/bulk/lawrefbook-regulations.tar.xz``, or a folder it was unpacked
into), ingested with the default embedder.

    .venv/bin/python scripts/bulk_eval_index.py --index /tmp/bulk-eval-idx
    .venv/bin/policy-search --index /tmp/bulk-eval-idx eval tests/data/eval/bulk-held.jsonl

The documents are none of the plans' or of ``tests/data/extra``'s (labour,
consumers, contracts, torts, property, social insurance, education, personal
information, public order, traffic, rental): questions on them say how the
search does on documents nothing was written for. ``bulk-train.jsonl`` (1,053
questions on 19 of them) is a tuning set of the reranker (not of the calibration);
``bulk-held.jsonl`` (415 questions on the other 11) is reported, never tuned on
(its 11 documents are also in ``tests/data/bulk-held``, for the floor test).
About 3.5 minutes on 2 cores (9,100 passages), less with the embedding cache.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policy_search.pipeline import ingest_paths  # noqa: E402

ARCHIVE = REPO.parent / "shared" / "bulk" / "lawrefbook-regulations.tar.xz"
DOCS = REPO / "tests" / "data" / "eval" / "bulk-docs.txt"


def documents() -> list[str]:
    """The documents' paths inside the archive."""
    return [line.strip() for line in DOCS.read_text(encoding="utf-8").splitlines() if line.strip()]


def gather(source: Path, names: list[str], folder: Path) -> None:
    """Copy ``names`` from ``source`` (an archive or an unpacked folder) into ``folder``."""
    wanted = set(names)
    if source.is_dir():
        for name in names:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, target)
        return
    found = set()
    with tarfile.open(source) as archive:
        for member in archive:
            name = member.name.removeprefix("./")
            if name in wanted and member.isfile():
                archive.extract(member, folder, filter="data")
                found.add(name)
    missing = wanted - found
    if missing:
        raise SystemExit(f"not in {source}: {', '.join(sorted(missing))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="the index directory to build")
    parser.add_argument("--source", type=Path, default=ARCHIVE, help="the bulk archive or a folder it was unpacked into")
    parser.add_argument("--cache", type=Path, help="an embedding cache (SQLite) to reuse")
    args = parser.parse_args()
    names = documents()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bulk"
        folder.mkdir()
        gather(args.source, names, folder)
        report = ingest_paths([folder], args.index, cache_path=args.cache, progress=False)
    counts = report.to_dict()
    print(f"{args.index}: {len(counts.get('added', []))} documents added, {len(counts.get('failed', []))} failed")


if __name__ == "__main__":
    main()
