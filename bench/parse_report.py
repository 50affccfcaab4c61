"""Parse a whole folder (or the bulk archive) and report how the parser did.

    python bench/parse_report.py ../shared/bulk/lawrefbook-regulations.tar.xz
    python bench/parse_report.py MY_FOLDER --out report.json

For every file: the time it took, exceptions and hangs (a file taking longer
than ``--timeout`` seconds is stopped and reported), the documents found,
their title, doc type, profile and jurisdiction, and for files that print
articles (lines starting with 第X条) the articles printed against the
articles found.  The summary says:

- files parsed, failed (by reason), hung; seconds per document (mean, p50, p95, max);
- of the documents with 第X条 lines, the share whose articles found equal the
  articles printed (a line starting with 第X条 that does not read as a
  reference such as "第十条规定的…" counts as printed);
- of the local regulations (files whose title does not start 中华人民共和国 and
  that sit under a folder named like ``*地方*`` / ``DLC``, or ``--local GLOB``),
  the share with a jurisdiction;
- titles not printed in the file (an invented title): a title must be the
  file's own text (markdown marks and whitespace ignored) or its file name
  without the date.

A tar archive is unpacked into a temporary folder first.  Exit status 0; the
numbers are for reading, not assertions.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import pct  # noqa: E402  (bench/ is on sys.path when run as a script)

_ARTICLE_LINE = re.compile(r"^\s{0,3}(?:#{1,6}\s*)?\**第[一二三四五六七八九十百千零〇两0-9０-９]{1,12}条")
_MARKS = re.compile(r"[#*_`>\s]+")


def printed_articles(text: str) -> int:
    """Lines that start with 第X条 and read as an article (not "第十条规定的…")."""
    from ingest.text import article_start

    count = 0
    for line in text.split("\n"):
        if _ARTICLE_LINE.match(line):
            bare = re.sub(r"^\s{0,3}(?:#{1,6}\s*)?\**", "", line).strip()
            if article_start(bare) is not None:
                count += 1
    return count


def _one(job: tuple[str, str]) -> dict[str, Any]:
    path_s, root_s = job
    from ingest.parse import parse_file
    from ingest.readers import read_text

    path = Path(path_s)
    row: dict[str, Any] = {"file": str(path.relative_to(root_s))}
    started = time.perf_counter()
    try:
        docs = parse_file(path, None, base_dir=Path(root_s))
        text = read_text(path)
    except Exception as exc:  # noqa: BLE001 - reported by name, the batch goes on
        row.update(error=f"{type(exc).__name__}: {exc}"[:300], seconds=time.perf_counter() - started)
        return row
    row["seconds"] = time.perf_counter() - started
    row["printed_articles"] = printed_articles(text)
    flat_text = _MARKS.sub("", text)
    stem = re.sub(r"\s*[（(]\d{4}-\d{1,2}-\d{1,2}[）)]\s*$", "", path.stem)
    row["documents"] = []
    for parsed in docs:
        d = parsed.document
        kinds = Counter(c.kind for c in parsed.clauses)
        flat_title = _MARKS.sub("", d.title)
        row["documents"].append(
            {
                "doc_id": d.doc_id,
                "title": d.title,
                "title_in_file": flat_title in flat_text or d.title == stem,
                "doc_type": d.doc_type,
                "profile": d.profile,
                "jurisdiction": d.jurisdiction_name,
                "level": d.jurisdiction.level if d.jurisdiction else None,
                "clauses": len(parsed.clauses),
                "articles": kinds.get("article", 0),
                "chapters": len({c.section_path[0] for c in parsed.clauses if c.section_path}),
                "kinds": dict(kinds),
            }
        )
    return row


def _files(root: Path) -> list[Path]:
    from ingest.parse import discover_files

    return discover_files([root])


def run(root: Path, timeout: float, workers: int, local_glob: str | None) -> dict[str, Any]:
    files = _files(root)
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    ctx = mp.get_context("spawn")
    pending = list(files)
    try:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="file", file=sys.stderr)
    except ImportError:  # pragma: no cover
        bar = None
    while pending:
        with ctx.Pool(workers) as pool:
            futures = [(p, pool.apply_async(_one, ((str(p), str(root)),))) for p in pending]
            pending = []
            hung = False
            for k, (path, future) in enumerate(futures):
                if hung:
                    pending.append(path)
                    continue
                try:
                    rows.append(future.get(timeout=timeout))
                except mp.TimeoutError:
                    rows.append({"file": str(path.relative_to(root)), "error": f"hang: over {timeout:g} s", "hang": True})
                    # the pool may hold the hung worker: restart with the files not yet done
                    hung = True
                    for later, fut in futures[k + 1 :]:
                        if fut.ready():
                            rows.append(fut.get())
                        else:
                            pending.append(later)
                    break
                finally:
                    if bar is not None:
                        bar.update(1)
            if hung:
                pool.terminate()
    if bar is not None:
        bar.close()
    wall = time.perf_counter() - started
    return summarise(rows, wall, local_glob)


def _is_local(row: dict[str, Any], doc: dict[str, Any], local_glob: str | None) -> bool:
    path = Path(row["file"])
    if local_glob:
        return path.match(local_glob)
    parts = [p.lower() for p in path.parts[:-1]]
    in_local_folder = any("地方" in p or p == "dlc" for p in parts)
    return in_local_folder and not doc["title"].startswith("中华人民共和国")


def summarise(rows: list[dict[str, Any]], wall: float, local_glob: str | None) -> dict[str, Any]:
    ok = [r for r in rows if "error" not in r]
    errors = [r for r in rows if "error" in r]
    docs = [(r, d) for r in ok for d in r["documents"]]
    per_doc = [r["seconds"] / max(1, len(r["documents"])) for r in ok]
    with_articles = [r for r in ok if r["printed_articles"] > 0]
    exact = [r for r in with_articles if sum(d["articles"] for d in r["documents"]) == r["printed_articles"]]
    local = [(r, d) for r, d in docs if _is_local(r, d, local_glob)]
    local_known = [(r, d) for r, d in local if d["jurisdiction"]]
    invented = [(r, d) for r, d in docs if not d["title_in_file"]]
    empty = [r for r in ok if not r["documents"]]
    summary = {
        "files": len(rows),
        "parsed": len(ok),
        "documents": len(docs),
        "errors": len([r for r in errors if not r.get("hang")]),
        "hangs": len([r for r in errors if r.get("hang")]),
        "empty_files": len(empty),
        "wall_seconds": round(wall, 1),
        "seconds_per_document": {
            "mean": round(sum(per_doc) / len(per_doc), 4) if per_doc else None,
            "p50": round(pct(per_doc, 0.5), 4) if per_doc else None,
            "p95": round(pct(per_doc, 0.95), 4) if per_doc else None,
            "max": round(max(per_doc), 4) if per_doc else None,
        },
        "files_with_articles": len(with_articles),
        "articles_exact": len(exact),
        "articles_exact_share": round(len(exact) / len(with_articles), 4) if with_articles else None,
        "articles_printed": sum(r["printed_articles"] for r in with_articles),
        "articles_found": sum(d["articles"] for r in with_articles for d in r["documents"]),
        "local_documents": len(local),
        "local_with_jurisdiction": len(local_known),
        "local_jurisdiction_share": round(len(local_known) / len(local), 4) if local else None,
        "invented_titles": len(invented),
        "doc_types": dict(Counter(d["doc_type"] for _, d in docs).most_common()),
        "profiles": dict(Counter(d["profile"] for _, d in docs).most_common()),
        "jurisdiction_levels": dict(Counter(d["level"] or "unknown" for _, d in docs).most_common()),
    }
    return {
        "summary": summary,
        "article_mismatches": [
            {"file": r["file"], "printed": r["printed_articles"], "found": sum(d["articles"] for d in r["documents"])}
            for r in with_articles
            if r not in exact
        ],
        "local_without_jurisdiction": [{"file": r["file"], "title": d["title"]} for r, d in local if not d["jurisdiction"]],
        "invented_titles": [{"file": r["file"], "title": d["title"]} for r, d in invented],
        "errors": [{"file": r["file"], "error": r["error"]} for r in errors],
        "empty_files": [r["file"] for r in empty],
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="a folder of documents, or a .tar.xz archive of them")
    parser.add_argument("--out", type=Path, default=Path("bench/out/parse-report.json"), help="where the JSON report goes")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds one file may take before it counts as a hang")
    parser.add_argument("--workers", type=int, default=max(1, (mp.cpu_count() or 1)), help="parallel processes")
    parser.add_argument("--local", default=None, help="glob (relative path) of the local regulations")
    parser.add_argument("--summary-out", type=Path, default=None, help="also write the summary alone here (e.g. docs/bulk/parse-summary.json)")
    args = parser.parse_args(argv)
    source: Path = args.source
    with tempfile.TemporaryDirectory(prefix="parse-report-") as tmp:
        if source.is_file() and ".tar" in source.name:
            with tarfile.open(source) as tar:
                tar.extractall(tmp, filter="data")
            root = Path(tmp)
        else:
            root = source
        report = run(root, args.timeout, args.workers, args.local)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    s = report["summary"]
    if args.summary_out is not None:
        args.summary_out.parent.mkdir(parents=True, exist_ok=True)
        lists = {k: report[k] for k in ("article_mismatches", "local_without_jurisdiction", "invented_titles", "errors", "empty_files")}
        args.summary_out.write_text(json.dumps({"summary": s, **lists}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(s, ensure_ascii=False, indent=1))
    for key in ("errors", "article_mismatches", "local_without_jurisdiction", "invented_titles"):
        items = report[key]
        if items:
            print(f"\n{key} ({len(items)}):")
            for item in items[:15]:
                print("  ", json.dumps(item, ensure_ascii=False))
    print(f"\nfull report: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
