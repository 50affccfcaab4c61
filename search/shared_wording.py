"""Shared wording across plans: clusters of near-identical clauses.

Local plans copy the national 纲要 and each other.  This report finds the
clauses that several plans share (up to a changed name, number or phrase),
shows each plan's variant as a diff against the cluster's representative, and
tells, per plan, how much of it is shared and how much is its own.

Method (no all-pairs comparison anywhere):

1. candidate pairs come from the engine's MinHash LSH (character 3-grams of
   the folded text, Jaccard threshold 0.5), read bucket by bucket
   (``SimilarityEngine.lsh_buckets``: two clauses share a bucket exactly when
   one is an LSH candidate of the other);
2. a candidate pair is checked with the exact ``char_similarity`` (difflib
   ratio on the folded texts; the length bound first) unless its clauses are
   already in one component, and joined when at or above ``threshold``.  In a
   bucket of up to ``EXACT_BUCKET_MAX`` clauses every pair is a candidate; in a
   bigger one (a clause copied by dozens of plans) each clause is compared with
   up to ``PROBES_PER_COMPONENT`` members of each component met so far in the
   bucket, which keeps the work linear in the bucket's size;
3. connected components (union-find) spanning at least ``min_plans``
   distinct documents become clusters.

Linking is single-link, so a cluster can hold a chain of variants; every
member's similarity to the representative is reported.  The representative
is the medoid — the member with the highest total similarity to the others:
exact ``char_similarity`` for clusters of up to ``MEDOID_EXACT_MAX`` members,
MinHash-estimated Jaccard (on at most ``MEDOID_SAMPLE`` evenly spaced
members) beyond that.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from typing import Any

import numpy as np

from ingest.model import Clause, Document
from search.diff import DiffSpan, diff_html, diff_inline, diff_with_ratio, folded_similarity
from search.similar import SimilarityEngine

__all__ = [
    "ClusterMember",
    "PlanShare",
    "SharedWordingReport",
    "WordingCluster",
    "shared_wording_report",
]

MEDOID_EXACT_MAX = 8
MEDOID_SAMPLE = 1000
EXACT_BUCKET_MAX = 24  # buckets up to this size: every pair is a candidate
PROBES_PER_COMPONENT = 3  # bigger buckets: members compared per other component
MAX_GROUPS_PER_BUCKET = 64  # ... and at most this many components per bucket


class ClusterMember:
    """One clause of a cluster.  Its similarity to the representative and its
    diff against it are computed on first access (one ``SequenceMatcher``) and
    kept: building a report costs only the clustering, rendering it the diffs."""

    __slots__ = (
        "doc_id", "clause_id", "section_path", "number", "text", "jurisdiction", "title",
        "is_representative", "_rep_text", "_similarity", "_diff",
    )

    def __init__(
        self,
        *,
        doc_id: str,
        clause_id: str,
        section_path: list[str],
        number: str | None,
        text: str,
        jurisdiction: str | None,
        title: str | None,
        is_representative: bool,
        representative_text: str,
    ) -> None:
        self.doc_id = doc_id
        self.clause_id = clause_id
        self.section_path = section_path
        self.number = number
        self.text = text
        self.jurisdiction = jurisdiction
        self.title = title
        self.is_representative = is_representative
        self._rep_text = representative_text
        self._similarity: float | None = 1.0 if is_representative else None
        self._diff: list[DiffSpan] | None = [] if is_representative else None

    def _compute(self) -> None:
        self._diff, self._similarity = diff_with_ratio(self._rep_text, self.text)

    @property
    def similarity(self) -> float:
        """char_similarity to the representative (1.0 for the representative)."""
        if self._similarity is None:
            self._compute()
        assert self._similarity is not None
        return self._similarity

    @property
    def diff(self) -> list[DiffSpan]:
        """Diff of this text against the representative (empty for the representative)."""
        if self._diff is None:
            self._compute()
        assert self._diff is not None
        return self._diff

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "clause_id": self.clause_id,
            "section_path": list(self.section_path),
            "number": self.number,
            "text": self.text,
            "jurisdiction": self.jurisdiction,
            "title": self.title,
            "is_representative": self.is_representative,
            "similarity": round(self.similarity, 4),
            "diff": [s.to_dict() for s in self.diff],
        }

    def __repr__(self) -> str:
        return f"ClusterMember({self.clause_id!r}, {self.doc_id!r}, {self.text[:20]!r})"


@dataclass
class WordingCluster:
    cluster_id: str
    representative_clause_id: str
    representative_doc_id: str
    representative_text: str
    plan_count: int
    doc_ids: list[str]
    members: list[ClusterMember]

    @property
    def size(self) -> int:
        return len(self.members)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster_id": self.cluster_id,
            "representative_clause_id": self.representative_clause_id,
            "representative_doc_id": self.representative_doc_id,
            "representative_text": self.representative_text,
            "plan_count": self.plan_count,
            "size": self.size,
            "doc_ids": list(self.doc_ids),
            "members": [m.to_dict() for m in self.members],
        }


@dataclass
class PlanShare:
    doc_id: str
    title: str | None
    jurisdiction: str | None
    total: int  # clauses of this plan in the report's input
    shared: int  # of which in a cluster
    share: float  # shared / total
    own: int  # total - shared: plan-specific clauses

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["share"] = round(self.share, 4)
        return data


@dataclass
class SharedWordingReport:
    threshold: float
    min_plans: int
    clusters: list[WordingCluster]
    plans: list[PlanShare]
    stats: dict[str, Any]

    def cluster_of(self, clause_id: str) -> WordingCluster | None:
        for cluster in self.clusters:
            if any(m.clause_id == clause_id for m in cluster.members):
                return cluster
        return None

    # -- renderers -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "min_plans": self.min_plans,
            "stats": dict(self.stats),
            "plans": [p.to_dict() for p in self.plans],
            "clusters": [c.to_dict() for c in self.clusters],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_csv(self) -> str:
        """One row per cluster member; ``diff`` in ``[-removed-]{+added+}`` form."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(
            [
                "cluster_id", "plan_count", "cluster_size", "is_representative", "doc_id",
                "jurisdiction", "title", "clause_id", "section_path", "number", "similarity",
                "text", "diff",
            ]
        )
        for c in self.clusters:
            for m in c.members:
                writer.writerow(
                    [
                        c.cluster_id, c.plan_count, c.size, int(m.is_representative), m.doc_id,
                        m.jurisdiction or "", m.title or "", m.clause_id,
                        " › ".join(m.section_path), m.number or "", f"{m.similarity:.4f}",
                        m.text, "" if m.is_representative else diff_inline(m.diff),
                    ]
                )
        return buf.getvalue()

    def to_html(self, title: str = "规划共享措辞报告") -> str:
        """A standalone page: per-plan shares, then each cluster with coloured diffs."""
        e = html.escape
        out: list[str] = [
            "<!DOCTYPE html>",
            '<html lang="zh-CN"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(title)}</title>",
            "<style>",
            "body{font-family:'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;"
            "max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.7;color:#222}",
            "table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}",
            "th,td{border:1px solid #ddd;padding:.35em .6em;vertical-align:top;text-align:left}",
            "th{background:#f4f4f4}td.num{text-align:right;white-space:nowrap}",
            "ins{background:#d9f5d9;color:#135f13;text-decoration:none}",
            "figure.heatmap{margin:.5em 0 1.5em;overflow-x:auto}figure.heatmap svg{max-width:100%;height:auto}",
            "del{background:#fbdada;color:#a11;text-decoration:line-through}",
            "section.cluster{border-top:2px solid #ccc;margin-top:1.5em}",
            ".rep{background:#f8f8f0;border-left:4px solid #c9b458;padding:.5em .8em}",
            ".meta{color:#666;font-size:.9em}",
            "</style></head><body>",
            f"<h1>{e(title)}</h1>",
            f'<p class="meta">相似度阈值 {self.threshold:.2f}（字符级，全半角、繁简、空白不计差异）；'
            f"至少 {self.min_plans} 个规划共有。共 {self.stats.get('n_clauses', 0)} 条条款，"
            f"{len(self.clusters)} 组共享措辞。"
            "<ins>绿色</ins>为该规划相对代表文本新增的文字，<del>红色</del>为删去的文字。</p>",
            "<h2>各规划共享情况</h2>",
            "<table><tr><th>规划</th><th>地区</th><th>条款数</th><th>共享条款</th>"
            "<th>共享占比</th><th>本规划特有</th></tr>",
        ]
        for p in self.plans:
            out.append(
                f"<tr><td>{e(p.title or p.doc_id)}</td><td>{e(p.jurisdiction or '')}</td>"
                f'<td class="num">{p.total}</td><td class="num">{p.shared}</td>'
                f'<td class="num">{p.share:.1%}</td><td class="num">{p.own}</td></tr>'
            )
        out.append("</table>")
        if len(self.plans) >= 2:
            from search.charts import shared_wording_heatmap_svg

            out.append("<h2>规划两两共享热图</h2>")
            out.append(f'<figure class="heatmap">{shared_wording_heatmap_svg(self)}'
                       "<figcaption class=\"meta\">每格数字为两部规划共有的近乎相同措辞组数（对角线：该规划所在的组数）；"
                       "颜色深浅只是重复这个数字。</figcaption></figure>")
        out.append("<h2>共享措辞</h2>")
        for c in self.clusters:
            out.append(f'<section class="cluster" id="{e(c.cluster_id)}">')
            out.append(f"<h3>{e(c.cluster_id)} · {c.plan_count} 个规划 · {c.size} 条</h3>")
            out.append(f'<p class="rep"><b>代表文本</b>：{e(c.representative_text)}</p>')
            out.append(
                "<table><tr><th>规划</th><th>章节</th><th>相似度</th><th>与代表文本的差异</th></tr>"
            )
            for m in c.members:
                body = (
                    "<i>（代表文本）</i>" if m.is_representative else diff_html(m.diff)
                )
                out.append(
                    f"<tr><td>{e(m.jurisdiction or m.doc_id)}<br>"
                    f'<span class="meta">{e(m.title or "")}</span></td>'
                    f"<td>{e(' › '.join(m.section_path))}"
                    f"{' 第' + e(m.number) + '项' if m.number else ''}</td>"
                    f'<td class="num">{m.similarity:.2f}</td><td>{body}</td></tr>'
                )
            out.append("</table></section>")
        out.append("</body></html>")
        return "\n".join(out)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


def _medoid(engine: SimilarityEngine, rows: list[int]) -> int:
    """Row of the member with the highest total similarity to the others."""
    if len(rows) <= 2:
        return rows[0]
    if len(rows) <= MEDOID_EXACT_MAX:
        totals: Any = [0.0] * len(rows)
        for a in range(len(rows)):
            for b in range(a + 1, len(rows)):
                s = folded_similarity(engine.folded[rows[a]], engine.folded[rows[b]])
                totals[a] += s
                totals[b] += s
        return rows[int(np.argmax(totals))]
    if len(rows) > MEDOID_SAMPLE:
        picks = np.linspace(0, len(rows) - 1, MEDOID_SAMPLE).round().astype(int)
        rows = [rows[k] for k in sorted(set(picks.tolist()))]
    sigs = engine.signatures[rows]
    totals = np.zeros(len(rows))
    for k in range(len(rows)):  # row by row keeps memory at O(m * num_perm)
        totals[k] = (sigs == sigs[k]).mean(axis=1).sum()
    return rows[int(np.argmax(totals))]


def shared_wording_report(
    documents: dict[str, Document],
    clauses: Sequence[Clause],
    engine: SimilarityEngine,
    min_plans: int = 2,
    threshold: float = 0.8,
    *,
    min_chars: int = 8,
    progress: bool = False,
) -> SharedWordingReport:
    """Clusters of near-identical clauses shared by at least ``min_plans`` plans.

    ``clauses`` must be (a subset of) the engine's clauses.  Clauses whose
    folded text is shorter than ``min_chars`` (stray headings, table cells)
    take no part in clustering but count in the per-plan totals.  With
    ``progress``, a progress bar over the LSH buckets goes to stderr.
    """
    from tqdm import tqdm

    rows = sorted({engine.index_of(c.clause_id) for c in clauses})
    eligible = np.array(
        [i for i in rows if len(engine.folded[i]) >= min_chars], dtype=np.int64
    )
    uf = _UnionFind(len(engine))
    folded = engine.folded
    counts = {"candidate_pairs": 0, "pairs_checked": 0}

    anchor: dict[str, Any] = {"row": -1, "matcher": None}

    def linked(i: int, j: int) -> bool:
        """Exact check of one candidate pair: char_similarity >= threshold.

        ``j`` is usually the same over consecutive calls, so its matcher (the
        index of its characters) is kept and only ``i`` is swapped in.
        """
        fi, fj = folded[i], folded[j]
        li, lj = len(fi), len(fj)
        if 2.0 * min(li, lj) / (li + lj) < threshold:  # = real_quick_ratio
            return False
        if fi == fj:
            return True
        counts["pairs_checked"] += 1
        if anchor["row"] != j:
            anchor["row"] = j
            anchor["matcher"] = SequenceMatcher(None, "", fj, autojunk=False)
        matcher = anchor["matcher"]
        matcher.set_seq1(fi)
        return matcher.ratio() >= threshold

    buckets = engine.lsh_buckets(eligible)
    for bucket in tqdm(buckets, desc="clustering", unit="bucket", disable=not progress, leave=False):
        members = bucket.tolist()
        if len(members) <= EXACT_BUCKET_MAX:
            # every candidate pair of the bucket not already joined
            for a in range(len(members)):
                for b in range(a + 1, len(members)):
                    i, j = members[b], members[a]
                    counts["candidate_pairs"] += 1
                    if uf.find(i) != uf.find(j) and linked(i, j):
                        uf.union(i, j)
            continue
        # big bucket: compare each member with a few members ("probes") of
        # every other component met so far in this bucket
        groups: list[list[int]] = []  # probes per component met, first is its first member
        for x in members:
            home: list[int] | None = None
            for probes in groups[:MAX_GROUPS_PER_BUCKET]:
                if uf.find(probes[0]) == uf.find(x):
                    home = home or probes
                    continue
                counts["candidate_pairs"] += 1
                if any(linked(y, x) for y in probes):
                    uf.union(probes[0], x)
                    home = home or probes
            if home is None:
                groups.append([x])
            elif len(home) < PROBES_PER_COMPONENT:
                home.append(x)

    components: dict[int, list[int]] = {}
    for i in eligible.tolist():
        components.setdefault(uf.find(i), []).append(i)

    doc_rank = {d: k for k, d in enumerate(documents)}

    def member_key(i: int) -> tuple:
        c = engine.clauses[i]
        return (doc_rank.get(c.doc_id, len(doc_rank)), c.doc_id, c.order, c.clause_id)

    kept: list[tuple[int, list[int], set[str]]] = []
    for members in components.values():
        if len(members) < 2:
            continue
        doc_set = {engine.clauses[i].doc_id for i in members}
        if len(doc_set) < min_plans:
            continue
        members.sort(key=member_key)
        kept.append((_medoid(engine, members), members, doc_set))
    kept.sort(key=lambda t: (-len(t[2]), member_key(t[0])))

    clusters: list[WordingCluster] = []
    shared_ids: set[str] = set()
    width = max(3, len(str(len(kept))))
    for n, (rep, members, doc_set) in enumerate(kept, start=1):
        rep_clause = engine.clauses[rep]
        out_members: list[ClusterMember] = []
        for i in members:
            c = engine.clauses[i]
            d = documents.get(c.doc_id)
            is_rep = i == rep
            out_members.append(
                ClusterMember(
                    doc_id=c.doc_id,
                    clause_id=c.clause_id,
                    section_path=list(c.section_path),
                    number=c.number,
                    text=c.text,
                    jurisdiction=d.jurisdiction_name if d else None,
                    title=d.title if d else None,
                    is_representative=is_rep,
                    representative_text=rep_clause.text,
                )
            )
            shared_ids.add(c.clause_id)
        clusters.append(
            WordingCluster(
                cluster_id=f"SW{n:0{width}d}",
                representative_clause_id=rep_clause.clause_id,
                representative_doc_id=rep_clause.doc_id,
                representative_text=rep_clause.text,
                plan_count=len(doc_set),
                doc_ids=sorted(doc_set, key=lambda d: (doc_rank.get(d, len(doc_rank)), d)),
                members=out_members,
            )
        )

    totals: dict[str, int] = {}
    shared: dict[str, int] = {}
    for c in clauses:
        totals[c.doc_id] = totals.get(c.doc_id, 0) + 1
        if c.clause_id in shared_ids:
            shared[c.doc_id] = shared.get(c.doc_id, 0) + 1
    plan_ids = [d for d in documents if d in totals] + sorted(d for d in totals if d not in documents)
    plans = []
    for doc_id in plan_ids:
        d = documents.get(doc_id)
        total, sh = totals[doc_id], shared.get(doc_id, 0)
        plans.append(
            PlanShare(
                doc_id=doc_id,
                title=d.title if d else None,
                jurisdiction=d.jurisdiction_name if d else None,
                total=total,
                shared=sh,
                share=sh / total if total else 0.0,
                own=total - sh,
            )
        )
    stats = {
        "n_clauses": len(clauses),
        "n_eligible": len(eligible),
        "candidate_pairs": counts["candidate_pairs"],
        "pairs_checked": counts["pairs_checked"],
        "n_clusters": len(clusters),
        "n_shared_clauses": len(shared_ids),
    }
    return SharedWordingReport(threshold, min_plans, clusters, plans, stats)
