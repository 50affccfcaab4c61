"""Benchmark: the shared-wording report on the corpus and on 10× / 100× synthetic corpora.

    .venv/bin/python bench/bench_shared_wording.py [--factors 1 10 100] [--corpus corpus]

The synthetic corpora are made from the corpus clauses: each copy of a plan
becomes a new plan (its own doc id) whose clauses are perturbed the way
drafters perturb a copied clause — the jurisdiction names swapped for another
place, numbers changed, a phrase dropped or an extra phrase inserted.  The
report sees only LSH candidate pairs, so time should grow about linearly with
the number of clauses (the clusters grow with the factor too, which costs the
medoid and the per-member diffs).

Vectors are not needed by the report; the engine gets random unit vectors.
Clauses come from ``ingest.parse`` when it is importable and works, else
from the small splitter below.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common import progress  # noqa: E402  (bench/ is on sys.path when run as a script)

from ingest.model import Clause, Document, Jurisdiction  # noqa: E402
from search.shared_wording import shared_wording_report  # noqa: E402
from search.similar import SimilarityEngine  # noqa: E402

# ---------------------------------------------------------------------------
# A tiny stand-in loader (the real parser lives in ingest/)

_CN = "一二三四五六七八九十"
_ITEM = re.compile(r"^(?:[-*]\s*|#+\s*)?(\d{1,2})\s*[.．、](?!\d)\s*(.*)$")
_H1 = re.compile(rf"^(?:#+\s*)?(?:\*\*)?\s*((?:[{_CN}]+、|第[{_CN}]+章)\s*.*?)(?:\*\*)?\s*$")
_H2 = re.compile(rf"^(?:#+\s*)?([（(]\s*[{_CN}]+\s*[）)])\s*(.*)$")
_H3 = re.compile(r"^(?:#+\s*)?(主要目标|策略措施)\s*[:：]?\s*$")
_TOC = re.compile(r"(\.{3,}|…{2,})\s*\d+\s*$|\t\(?\d+\)?\s*$")
_END = "。；！？”」"


def _split_plans(lines: list[str], docs: list[dict]) -> list[tuple[dict, int, int]]:
    """(catalog entry, first line index, end line index) of each plan in a file."""
    if len(docs) == 1:
        return [(docs[0], 0, len(lines))]
    starts = []
    for d in docs:
        head = re.split(r"[（(]", d["title"])[0]
        hits = [i for i, ln in enumerate(lines) if ln.lstrip("# *").startswith(head)]
        starts.append(hits[-1] if hits else 0)
    order = sorted(range(len(docs)), key=lambda k: starts[k])
    out = []
    for pos, k in enumerate(order):
        end = starts[order[pos + 1]] if pos + 1 < len(order) else len(lines)
        out.append((docs[k], starts[k], end))
    return out


def _simple_parse(lines: list[str], entry: dict, first: int, end: int, source: str) -> list[Clause]:
    doc_id = entry["id"]
    clauses: list[Clause] = []
    path: list[str] = []
    cur: dict | None = None

    def flush() -> None:
        nonlocal cur
        if cur and cur["text"].strip():
            clauses.append(
                Clause(
                    clause_id=f"{doc_id}:{len(clauses):04d}",
                    doc_id=doc_id,
                    section_path=list(cur["path"]),
                    number=cur["number"],
                    kind=cur["kind"],
                    text=cur["text"].strip(),
                    line_start=cur["start"] + 1,
                    line_end=cur["end"] + 1,
                    order=len(clauses),
                    source_file=source,
                )
            )
        cur = None

    def start(number: str | None, kind: str, text: str, i: int) -> None:
        nonlocal cur
        flush()
        cur = {"path": list(path), "number": number, "kind": kind, "text": text, "start": i, "end": i}

    for i in range(first, end):
        raw = lines[i].rstrip()
        line = raw.strip().replace("**", "").strip()
        if not line or _TOC.search(raw):
            continue
        line = line.lstrip("#").strip()
        if m := _H3.match(line):
            flush()
            path = path[:2] + [m.group(1)]
            continue
        if m := _H1.match(line):
            if len(line) <= 30:
                flush()
                path = [m.group(1).strip()]
                continue
        if m := _H2.match(line):
            label, rest = m.group(1), m.group(2)
            if len(rest) <= 25:
                flush()
                path = path[:1] + [label + rest]
                continue
            kind = "principle" if "基本原则" in "".join(path) else "measure"
            start(label, kind, label + rest, i)
            continue
        if m := _ITEM.match(line):
            kind = "target" if path and path[-1] == "主要目标" else "measure"
            if "基本原则" in "".join(path):
                kind = "principle"
            start(m.group(1), kind, m.group(2), i)
            continue
        if cur and cur["text"] and cur["text"][-1] not in _END:
            cur["text"] += line
            cur["end"] = i
            continue
        if len(line) <= 12:
            continue  # table cells, cover-page lines
        start(None, "narrative", line, i)
    flush()
    return clauses


def _simple_load(corpus: Path) -> tuple[dict[str, Document], list[Clause]]:
    catalog = json.loads((corpus / "catalog.json").read_text(encoding="utf-8"))["documents"]
    by_file: dict[str, list[dict]] = {}
    for entry in catalog:
        by_file.setdefault(entry["source"], []).append(entry)
    documents: dict[str, Document] = {}
    clauses: list[Clause] = []
    for source, entries in by_file.items():
        lines = (corpus / source).read_text(encoding="utf-8").splitlines()
        for entry, first, end in _split_plans(lines, entries):
            j = entry["jurisdiction"]
            documents[entry["id"]] = Document(
                doc_id=entry["id"],
                title=entry["title"],
                subject=entry.get("subject"),
                jurisdiction=Jurisdiction(j["name"], j.get("level"), j.get("province"), j.get("parent")),
                period=tuple(entry["period"]) if entry.get("period") else None,
                status=entry.get("status"),
                issued=entry.get("issued"),
                doc_number=entry.get("doc_number"),
                source_file=source,
                source_hash="",
                line_start=first + 1,
                line_end=end,
            )
            clauses.extend(_simple_parse(lines, entry, first, end, source))
    return documents, clauses


def _pipeline_load(corpus: Path) -> tuple[dict[str, Document], list[Clause]]:
    from ingest.parse import load_catalog, parse_file  # type: ignore[import-not-found]

    catalog = load_catalog(corpus / "catalog.json")
    documents: dict[str, Document] = {}
    clauses: list[Clause] = []
    for path in sorted(corpus.iterdir()):
        if path.name == "catalog.json" or path.name.startswith("."):
            continue
        parsed = parse_file(path, catalog)
        for pd in parsed if isinstance(parsed, list) else [parsed]:
            documents[pd.document.doc_id] = pd.document
            clauses.extend(pd.clauses)
    if len(documents) < 6 or len(clauses) < 500:
        raise ValueError("pipeline output looks incomplete")
    return documents, clauses


def load_corpus(corpus: Path = ROOT / "corpus") -> tuple[dict[str, Document], list[Clause], str]:
    """(documents, clauses, which loader) — the real parser if it works, else the splitter."""
    try:
        documents, clauses = _pipeline_load(corpus)
        return documents, clauses, "ingest.parse"
    except Exception:
        documents, clauses = _simple_load(corpus)
        return documents, clauses, "simple splitter"


# ---------------------------------------------------------------------------
# Synthetic corpora

_PLACES = ["自贡市", "乡宁县", "西区", "石拐区", "大渡口区", "包头市", "攀枝花市", "重庆市", "四川省", "临汾市"]
_FAKE = [
    "东城区", "西湖区", "南山区", "北塘区", "清河县", "云溪区", "长乐市", "宁远县", "安平县", "青山区",
    "新华区", "高新区", "金水区", "永和县", "太平镇", "和平区", "凤凰县", "江北区", "临川区", "白云区",
]
_EXTRA = ["切实", "进一步", "全面", "积极", "大力", "扎实", "统筹", "持续", "着力", "稳步"]
_PLACE_RE = re.compile("|".join(map(re.escape, _PLACES)))
_NUM_RE = re.compile(r"\d+(?:\.\d+)?")


def _perturb(text: str, rng: random.Random, place: str) -> str:
    text = _PLACE_RE.sub(place, text)
    if rng.random() < 0.5:
        text = _NUM_RE.sub(lambda m: str(max(1, int(float(m.group()) * rng.uniform(0.6, 1.4)))), text, count=2)
    parts = re.split(r"(?<=[，；。])", text)
    if len(parts) > 3 and rng.random() < 0.4:
        del parts[rng.randrange(1, len(parts) - 1)]
    if rng.random() < 0.5:
        k = rng.randrange(len(parts))
        parts[k] = rng.choice(_EXTRA) + parts[k]
    return "".join(parts)


def synthetic_corpus(
    documents: dict[str, Document], clauses: list[Clause], factor: int, seed: int = 7
) -> tuple[dict[str, Document], list[Clause]]:
    """``factor`` perturbed copies of every plan (copy 0 is the corpus itself)."""
    rng = random.Random(seed)
    docs = dict(documents)
    out = list(clauses)
    for copy in range(1, factor):
        place = _FAKE[copy % len(_FAKE)] + (str(copy // len(_FAKE)) if copy >= len(_FAKE) else "")
        for doc_id, d in documents.items():
            new_id = f"{doc_id}~{copy}"
            docs[new_id] = Document(
                doc_id=new_id, title=d.title, subject=d.subject,
                jurisdiction=Jurisdiction(place), period=d.period, status=d.status,
                issued=d.issued, doc_number=None, source_file=d.source_file, source_hash="",
            )
        for c in clauses:
            out.append(
                Clause(
                    clause_id=f"{c.clause_id}~{copy}", doc_id=f"{c.doc_id}~{copy}",
                    section_path=list(c.section_path), number=c.number, kind=c.kind,
                    text=_perturb(c.text, rng, place), line_start=c.line_start,
                    line_end=c.line_end, order=c.order, source_file=c.source_file,
                )
            )
    return docs, out


def _random_vectors(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument(
        "--render-max", type=int, default=10,
        help="also time to_json() (all member diffs) up to this factor",
    )
    args = ap.parse_args(argv)

    documents, clauses, loader = load_corpus(args.corpus)
    print(f"corpus: {len(documents)} plans, {len(clauses)} clauses ({loader})")
    header = (
        f"{'factor':>6} {'plans':>6} {'n_clauses':>10} {'engine_s':>9} {'report_s':>9} "
        f"{'total_s':>8} {'clusters':>8} {'pairs_checked':>13} {'us/clause':>9} {'growth':>7} "
        f"{'render_s':>8}"
    )
    print(header)
    print("-" * len(header))
    base: float | None = None
    base_n = 0
    for factor in progress(args.factors, "factors", unit="corpus"):
        docs, cl = synthetic_corpus(documents, clauses, factor) if factor > 1 else (documents, clauses)
        t0 = time.perf_counter()
        engine = SimilarityEngine(docs, cl, _random_vectors(len(cl)))
        t1 = time.perf_counter()
        report = shared_wording_report(docs, cl, engine, threshold=args.threshold, progress=sys.stderr.isatty())
        t2 = time.perf_counter()
        total = t2 - t0
        if base is None:
            base, base_n = total, len(cl)
            growth = "1.0x"
        else:
            # time growth relative to clause growth: 1.0 = linear
            growth = f"{(total / base) / (len(cl) / base_n):.2f}L"
        render = "-"
        if factor <= args.render_max:
            t3 = time.perf_counter()
            report.to_json()
            render = f"{time.perf_counter() - t3:.2f}"
        print(
            f"{factor:>6} {len(docs):>6} {len(cl):>10} {t1 - t0:>9.2f} {t2 - t1:>9.2f} {total:>8.2f} "
            f"{len(report.clusters):>8} {report.stats['pairs_checked']:>13} "
            f"{1e6 * total / len(cl):>9.0f} {growth:>7} {render:>8}",
            flush=True,
        )
    print("engine_s: SimilarityEngine build (fold, MinHash, LSH); report_s: clustering + medoids")
    print("growth: (total time ratio) / (clause ratio) against factor 1; 1.00L = linear")
    print("render_s: to_json(), which computes every member's diff against its representative")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
