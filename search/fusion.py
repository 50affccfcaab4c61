"""Pure functions for fusing and ordering ranked lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def ranked_rows(scores: np.ndarray, rows: np.ndarray, limit: int | None = None) -> np.ndarray:
    """``rows`` ordered best first by score, ties broken by the lower row;
    with ``limit``, only the best ``limit`` of them (selected in linear time,
    then sorted: the full sort is what costs at a million rows)."""
    if limit is not None and rows.size > limit:
        negated = -scores[rows]
        kth = np.partition(negated, limit - 1)[limit - 1]
        rows = rows[negated <= kth]  # every row tied with the limit-th stays: ties go to the lower row
        return rows[np.lexsort((rows, -scores[rows]))][:limit]
    return rows[np.lexsort((rows, -scores[rows]))]


def rrf(rankings: Sequence[np.ndarray], n: int, k: int = 60, weights: Sequence[float] | None = None) -> np.ndarray:
    """Reciprocal rank fusion over rankings (arrays of rows, best first):
    a dense array of length ``n`` with sum of w / (k + rank + 1) per row."""
    fused = np.zeros(n, dtype=np.float64)
    for i, order in enumerate(rankings):
        w = weights[i] if weights else 1.0
        fused[order] += w / (k + np.arange(1, len(order) + 1, dtype=np.float64))
    return fused


def rrf_sparse(
    rankings: Sequence[np.ndarray], k: int = 60, weights: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``rrf`` over the rows the rankings hold only: (rows ascending, fused
    score of each) — the same float64 values ``rrf`` gives those rows (the
    same additions in the same order), in memory that grows with the
    rankings, not with the corpus."""
    if not rankings:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    rows = np.unique(np.concatenate([np.asarray(order, dtype=np.int64) for order in rankings]))
    fused = np.zeros(rows.shape[0], dtype=np.float64)
    for i, order in enumerate(rankings):
        w = weights[i] if weights else 1.0
        fused[np.searchsorted(rows, order)] += w / (k + np.arange(1, len(order) + 1, dtype=np.float64))
    return rows, fused


def top_positions(scores: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n best ``scores`` that are positive, deterministic on
    ties (lower row first): ``top_rows`` for scores given with their rows."""
    positive = np.flatnonzero(scores > 0)
    order = np.lexsort((rows[positive], -scores[positive]))[:n]
    return positive[order]


def top_rows(scores: np.ndarray, n: int) -> list[int]:
    """The n best rows with a positive score, deterministic on ties (lower row first)."""
    rows = np.flatnonzero(scores > 0)
    order = np.lexsort((rows, -scores[rows]))[:n]
    return [int(r) for r in rows[order]]


def spread_across_groups(
    ranked: Sequence[tuple[int, float]],
    group_of: Callable[[int], str],
    *,
    top_k: int,
    min_relative: float,
    per_group_cap: int,
) -> list[tuple[int, float]]:
    """Reorder so the top_k covers every group that has a good enough clause.

    The best clause of each group whose score is at least ``min_relative`` of
    the top score comes first (in score order), then the rest in score order
    with at most ``per_group_cap`` clauses per group until top_k is filled;
    anything left over follows so no clause is lost.
    """
    if not ranked:
        return []
    top_score = ranked[0][1]
    chosen: list[tuple[int, float]] = []
    seen_groups: set[str] = set()
    used: set[int] = set()
    for row, score in ranked:
        group = group_of(row)
        if group in seen_groups:
            continue
        seen_groups.add(group)
        if score >= top_score * min_relative if top_score > 0 else True:
            chosen.append((row, score))
            used.add(row)
    counts: dict[str, int] = {}
    for row, _ in chosen:
        counts[group_of(row)] = counts.get(group_of(row), 0) + 1
    rest: list[tuple[int, float]] = []
    for row, score in ranked:
        if row in used:
            continue
        group = group_of(row)
        if len(chosen) < top_k and counts.get(group, 0) < per_group_cap:
            chosen.append((row, score))
            counts[group] = counts.get(group, 0) + 1
        else:
            rest.append((row, score))
    head = sorted(chosen, key=lambda rs: (-rs[1], rs[0]))
    return head + rest
