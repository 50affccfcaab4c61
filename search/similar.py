"""Precedent wording: every clause in other plans that says (nearly) the same thing.

A drafter holding one clause ("3.预防和控制儿童溺水。加强看护……") wants to see
how every other plan phrased it, with the differences marked.  Candidates come
from two sources, so that neither paraphrases nor verbatim copies are missed:

* **dense**: the ``DENSE_CANDIDATES`` (200) clauses with the highest cosine
  between the query's embedding and the clause embeddings (one matrix-vector
  product over the normalised vectors);
* **lexical**: near-duplicates found by MinHash LSH over character 3-gram
  shingles of the folded text (see :mod:`search.diff` for the folding).  The
  signatures (``NUM_PERM`` = 64 permutations) are computed with numpy in one
  pass and the LSH (datasketch ``MinHashLSH``, Jaccard threshold 0.5) is built
  once, in ``__init__``.

Nothing ever compares all pairs, and nothing a query sends can make the work
grow past fixed bounds: each query costs one matrix-vector product, one LSH
lookup, a linear-time estimate for every candidate (the MinHash signatures'
agreement, i.e. estimated 3-gram Jaccard and containment, blended with the
cosine like the final score) and ``SequenceMatcher`` — quadratic in the worst
case — only for the ``EXACT_CANDIDATES`` (20, or ``top_k`` if larger) best
estimates and the best estimate of each further plan (as many again at most),
on at most ``MAX_COMPARE_CHARS`` folded characters of each side,
and for a text query only on each candidate's ``SENTENCES_COMPARED`` sentences
that share most character pairs with it. A query text is cut to
``MAX_TEXT_CHARS`` (the API refuses longer ones). Only the ``top_k`` results
shown get a diff.

**Cosine calibration.**  Embedding models differ in how they spread cosines:
multilingual-e5 puts two unrelated clauses of these plans at ~0.91 and copies
at ~0.99, random vectors put them at ~0.  So the engine measures, once, the
median cosine of 4,000 random clause pairs (``cos_baseline``) and works with
``cos_scaled = clip((cosine - cos_baseline) / (1 - cos_baseline), 0, 1)``:
0 for a typical unrelated pair, 1 for the same direction.  The raw cosine is
what a match reports.

**Score.**  ``score = 0.65 * char_similarity + 0.35 * cos_scaled`` where
``char_similarity`` is difflib's ratio on the folded texts.  Without an
embedding for the query (a text query given no ``query_vector``) the score is
``char_similarity`` alone and ``cosine`` is ``None``.

**Groups.**
* ``near-identical``: ``char_similarity >= 0.85`` (copied, a name, number or a
  few characters changed);
* ``reworded``: ``char_similarity >= 0.5`` or ``cos_scaled >= 0.7`` (for e5
  on this corpus a raw cosine of about 0.97) — the same clause, edited or
  paraphrased;
* ``related``: everything else among the candidates.

Results are ordered by ``(-score, clause_id)``; each carries a character diff
of the match against the query clause (``a`` = the query, ``b`` = the match).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ingest.model import Clause, Document
from search.deadline import check as check_deadline
from search.diff import DiffSpan, char_diff, fold, folded_similarity

__all__ = [
    "COS_REWORDED",
    "DENSE_CANDIDATES",
    "GROUPS",
    "NEAR_IDENTICAL",
    "REWORDED",
    "SimilarMatch",
    "SimilarityEngine",
    "best_per_document",
    "group_matches",
    "minhash_signatures",
]

NUM_PERM = 64
LSH_THRESHOLD = 0.5
SHINGLE = 3
DENSE_CANDIDATES = 200
EXACT_CANDIDATES = 20  # candidates scored with SequenceMatcher (top_k, when larger)
MAX_COMPARE_CHARS = 1000  # folded characters of each side a SequenceMatcher sees
MAX_TEXT_CHARS = 1000  # a query text is cut to this many characters
SENTENCES_COMPARED = 3  # sentences of a candidate compared with a text query
_SENTENCES = re.compile(r"[^。；;！？!?]+[。；;！？!?]?")
W_COSINE = 0.35
W_CHAR = 0.65
NEAR_IDENTICAL = 0.85  # char_similarity at or above: "near-identical"
REWORDED = 0.5  # char_similarity at or above: "reworded"
COS_REWORDED = 0.7  # ... or a calibrated cosine (cos_scaled) at or above: "reworded"
BASELINE_PAIRS = 4000
GROUPS = ("near-identical", "reworded", "related")

_SHIFT32 = np.uint64(32)
_MASK32 = np.uint64(0xFFFFFFFF)
_SEED = 20240611


def _permutations(num_perm: int = NUM_PERM, seed: int = _SEED) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    a = rng.randint(0, 1 << 63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.randint(0, 1 << 63, size=num_perm, dtype=np.uint64)
    return a, b


_PERM_A, _PERM_B = _permutations()


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (wrapping uint64 arithmetic), keeping 32 bits."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return x & _MASK32


def _shingle_hashes(folded: str, k: int = SHINGLE) -> np.ndarray:
    """32-bit hashes of the character k-grams of one folded text (the whole
    text, zero-padded, when shorter than k; empty for an empty text)."""
    if not folded:
        return np.zeros(0, dtype=np.uint64)
    cps = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(cps) < k:
        cps = np.concatenate([cps, np.zeros(k - len(cps), dtype=np.uint64)])
    x = np.zeros(len(cps) - k + 1, dtype=np.uint64)
    for off in range(k):
        x = (x << np.uint64(21)) | cps[off : len(cps) - k + 1 + off]
    return _mix(x)


def _all_shingle_hashes(folded_texts: Sequence[str], k: int = SHINGLE) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of every text, concatenated, and each text's count.

    Vectorised over the whole corpus: one utf-32 buffer, k-grams at every
    position, those crossing a text boundary dropped.  Equal to
    ``_shingle_hashes`` text by text.
    """
    lengths = np.fromiter((len(t) for t in folded_texts), dtype=np.int64, count=len(folded_texts))
    counts = np.where(lengths >= k, lengths - k + 1, np.minimum(lengths, 1))
    if not len(lengths) or not lengths.sum():
        return np.zeros(0, dtype=np.uint64), counts
    cps = np.frombuffer("".join(folded_texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    total = len(cps)
    if total >= k:
        x = np.zeros(total - k + 1, dtype=np.uint64)
        for off in range(k):
            x = (x << np.uint64(21)) | cps[off : total - k + 1 + off]
        starts = np.cumsum(lengths) - lengths
        pos_in_text = np.arange(total - k + 1) - np.repeat(starts, lengths)[: total - k + 1]
        text_len = np.repeat(lengths, lengths)[: total - k + 1]
        x = x[pos_in_text <= text_len - k]
        hashes = _mix(x)
    else:
        hashes = np.zeros(0, dtype=np.uint64)
    short = np.flatnonzero((lengths > 0) & (lengths < k))
    if len(short):  # rare: texts shorter than a shingle get one padded shingle
        pieces: list[np.ndarray] = []
        counts_long = np.where(lengths >= k, lengths - k + 1, 0)
        offsets = np.concatenate([[0], np.cumsum(counts_long)])
        prev = 0
        for i in range(len(folded_texts)):
            if lengths[i] >= k:
                continue
            if lengths[i] == 0:
                continue
            pieces.append(hashes[offsets[prev] : offsets[i]])
            pieces.append(_shingle_hashes(folded_texts[i], k))
            prev = i
        pieces.append(hashes[offsets[prev] :])
        hashes = np.concatenate(pieces)
    return hashes, counts


def minhash_signatures(folded_texts: Sequence[str], chunk_shingles: int = 100_000) -> np.ndarray:
    """MinHash signatures (n, NUM_PERM) uint64 of the texts' character 3-grams.

    Permutation ``k`` is the multiply-shift hash ``((a_k * h + b_k) mod 2**64) >> 32``
    of the 32-bit shingle hashes ``h`` (``a_k`` odd; numpy's wrapping uint64).
    A text with no shingles gets the all-``2**32-1`` signature (and is kept out
    of the LSH).
    """
    n = len(folded_texts)
    sigs = np.full((n, NUM_PERM), 0xFFFFFFFF, dtype=np.uint64)
    flat, counts = _all_shingle_hashes(folded_texts)
    ends = np.cumsum(counts)
    starts = ends - counts
    nonempty = np.flatnonzero(counts > 0)
    a = _PERM_A[:, None]
    b = _PERM_B[:, None]
    k = 0
    while k < len(nonempty):
        # a run of texts with about chunk_shingles shingles between them
        first = nonempty[k]
        stop = int(np.searchsorted(ends[nonempty], starts[first] + chunk_shingles, side="right"))
        stop = max(stop, k + 1)
        rows = nonempty[k:stop]
        lo, hi = starts[rows[0]], ends[rows[-1]]
        with np.errstate(over="ignore"):
            vals = (a * flat[None, lo:hi] + b) >> _SHIFT32  # (num_perm, shingles)
        sigs[rows] = np.minimum.reduceat(vals, starts[rows] - lo, axis=1).T
        k = stop
    return sigs


class _BandedLSH:
    """Stand-in for datasketch's MinHashLSH when datasketch is not installed:
    the same banding (b bands of r rows), dict buckets."""

    def __init__(self, b: int, r: int) -> None:
        self.b, self.r = b, r
        self.tables: list[dict[bytes, list[int]]] = [{} for _ in range(b)]

    def insert(self, key: int, sig: np.ndarray) -> None:
        for band, table in enumerate(self.tables):
            table.setdefault(sig[band * self.r : (band + 1) * self.r].tobytes(), []).append(key)

    def query(self, sig: np.ndarray) -> set[int]:
        out: set[int] = set()
        for band, table in enumerate(self.tables):
            out.update(table.get(sig[band * self.r : (band + 1) * self.r].tobytes(), ()))
        return out


class _LSHIndex:
    """MinHash LSH over integer keys; datasketch when available."""

    def __init__(self, sigs: np.ndarray, threshold: float = LSH_THRESHOLD) -> None:
        self._lean: Any = None
        try:
            from datasketch import LeanMinHash, MinHashLSH
        except ImportError:  # pragma: no cover - exercised only without datasketch
            self._impl: Any = _BandedLSH(14, 4)
            self._datasketch = False
        else:
            self._impl = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
            self._datasketch = True
            self._lean = LeanMinHash
        self.bands, self.rows = int(self._impl.b), int(self._impl.r)
        empty = np.all(sigs == 0xFFFFFFFF, axis=1)
        if self._datasketch:
            with self._impl.insertion_session() as session:
                for i in np.flatnonzero(~empty):
                    session.insert(int(i), self._wrap(sigs[i]), check_duplication=False)
        else:
            for i in np.flatnonzero(~empty):
                self._impl.insert(int(i), sigs[i])

    def _wrap(self, sig: np.ndarray) -> Any:
        try:
            return self._lean(seed=_SEED, hashvalues=sig, scheme="legacy")
        except TypeError:  # datasketch < 2.0 has no scheme argument
            return self._lean(seed=_SEED, hashvalues=sig)

    def query(self, sig: np.ndarray) -> list[int]:
        if np.all(sig == 0xFFFFFFFF):
            return []
        if self._datasketch:
            return sorted(self._impl.query(self._wrap(sig)))
        return sorted(self._impl.query(sig))


@dataclass
class SimilarMatch:
    """One clause similar to the query, with its diff against the query."""

    clause: Clause
    document: Document | None
    score: float
    cosine: float | None
    char_similarity: float
    group: str  # one of GROUPS
    diff: list[DiffSpan] = field(default_factory=list)
    matched_text: str | None = None  # for a text query: the clause's sentence the diff is against

    @property
    def clause_id(self) -> str:
        return self.clause.clause_id

    @property
    def doc_id(self) -> str:
        return self.clause.doc_id

    def to_dict(self) -> dict[str, Any]:
        c, d = self.clause, self.document
        return {
            "clause_id": c.clause_id,
            "doc_id": c.doc_id,
            "title": d.title if d else None,
            "jurisdiction": d.jurisdiction_name if d else None,
            "section_path": list(c.section_path),
            "number": c.number,
            "kind": c.kind,
            "text": c.text,
            "source": {"file": c.source_file, "line_start": c.line_start, "line_end": c.line_end},
            "score": round(self.score, 4),
            "cosine": None if self.cosine is None else round(self.cosine, 4),
            "char_similarity": round(self.char_similarity, 4),
            "group": self.group,
            "diff": [s.to_dict() for s in self.diff],
            "matched_text": self.matched_text,
        }


def classify(char_sim: float, cos_scaled: float | None) -> str:
    """The group of a match (thresholds in the module docstring)."""
    if char_sim >= NEAR_IDENTICAL:
        return "near-identical"
    if char_sim >= REWORDED or (cos_scaled is not None and cos_scaled >= COS_REWORDED):
        return "reworded"
    return "related"


def blend(char_sim: float, cos_scaled: float | None) -> float:
    """The ranking score of a match (see the module docstring)."""
    if cos_scaled is None:
        return char_sim
    return W_COSINE * cos_scaled + W_CHAR * char_sim


def _bigram_codes(text: str) -> np.ndarray:
    """int64 codes of a text's character pairs (two 21-bit code points)."""
    if len(text) < 2:
        return np.zeros(0, dtype=np.int64)
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    return (cps[:-1] << 21) | cps[1:]


def _char_estimates(query: str, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Linear-time stand-ins for SequenceMatcher, per text: (Dice over
    character-pair positions — pairs of either side found anywhere in the
    other — and the share of the query's pairs found in the text). Both are
    at least the ordered measures they stand in for on most texts, so ranking
    by them keeps the true best near the top; numpy over all texts at once."""
    n = len(texts)
    q = _bigram_codes(query)
    if not n or not len(q):
        return np.zeros(n), np.zeros(n)
    codes = [_bigram_codes(t) for t in texts]
    lengths = np.fromiter((len(c) for c in codes), dtype=np.int64, count=n)
    flat = np.concatenate(codes) if lengths.sum() else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    # text pair positions whose pair occurs in the query
    in_query = np.isin(flat, q)
    hits_text = np.bincount(owner, weights=in_query, minlength=n)
    # query pair positions whose pair occurs in each text: (text, pair) keys
    text_keys = np.unique((owner << 42) | flat)
    query_keys = (np.arange(n, dtype=np.int64)[:, None] << 42) | q[None, :]
    hits_query = np.isin(query_keys, text_keys).sum(axis=1)
    dice = (hits_text + hits_query) / np.maximum(1, lengths + len(q))
    return dice, hits_query / len(q)


def cosine_baseline(vectors: np.ndarray, pairs: int = BASELINE_PAIRS, seed: int = 0) -> float:
    """Median cosine of random distinct clause pairs (0.0 with fewer than two
    clauses); deterministic."""
    n = len(vectors)
    if n < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, size=pairs)
    j = (i + rng.integers(1, n, size=pairs)) % n  # never i itself
    cos = np.einsum("ij,ij->i", vectors[i], vectors[j])
    return float(min(np.median(cos), 0.99))


class SimilarityEngine:
    """Similar-clause search over one corpus; see the module docstring.

    ``clause_vectors`` is (n_clauses, dim), float32, L2-normalised, row ``i``
    being the embedding of ``clauses[i]``.  Everything derived (folded texts,
    MinHash signatures, the LSH) is built once here.
    """

    def __init__(
        self,
        documents: dict[str, Document],
        clauses: Sequence[Clause],
        clause_vectors: np.ndarray,
    ) -> None:
        vectors = np.asarray(clause_vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(clauses):
            raise ValueError(
                f"clause_vectors must have one row per clause: got shape {vectors.shape} "
                f"for {len(clauses)} clauses"
            )
        self.documents = documents
        self.clauses = list(clauses)
        self.vectors = vectors
        self._index: dict[str, int] = {}
        for i, c in enumerate(self.clauses):
            if c.clause_id in self._index:
                raise ValueError(f"duplicate clause id {c.clause_id!r}")
            self._index[c.clause_id] = i
        doc_codes: dict[str, int] = {}
        self._doc_code = np.array(
            [doc_codes.setdefault(c.doc_id, len(doc_codes)) for c in self.clauses], dtype=np.int64
        )
        self._doc_codes = doc_codes
        self.cos_baseline = cosine_baseline(vectors)
        self.folded: list[str] = [fold(c.text) for c in self.clauses]
        self.signatures = minhash_signatures(self.folded)
        self._lsh = _LSHIndex(self.signatures)

    # -- lookups ---------------------------------------------------------
    def __len__(self) -> int:
        return len(self.clauses)

    def index_of(self, clause_id: str) -> int:
        try:
            return self._index[clause_id]
        except KeyError:
            raise KeyError(f"unknown clause id {clause_id!r}") from None

    def cos_scaled(self, cosine: float) -> float:
        """A raw cosine on the calibrated 0..1 scale (see the module docstring)."""
        b = self.cos_baseline
        return min(1.0, max(0.0, (cosine - b) / (1.0 - b)))

    def clause(self, clause_id: str) -> Clause:
        return self.clauses[self.index_of(clause_id)]

    def lexical_candidates(self, i: int) -> list[int]:
        """Row indices of LSH near-duplicate candidates of clause ``i`` (itself
        excluded), ascending.  Candidates only: verify with a real similarity."""
        return [j for j in self._lsh.query(self.signatures[i]) if j != i]

    def lexical_candidates_for_text(self, text: str) -> list[int]:
        return self._lsh.query(minhash_signatures([fold(text)])[0])

    def lsh_buckets(self, rows: np.ndarray | None = None) -> list[np.ndarray]:
        """The LSH's buckets holding two or more of ``rows`` (default: all clauses).

        Same banding as the LSH index (``bands`` x ``rows`` of the signature), so
        two clauses share a bucket exactly when one is an LSH candidate of the
        other.  Each bucket is an ascending array of row indices; buckets come
        band by band.  Vectorised: O(n log n) per band, never pairwise.
        """
        if rows is None:
            rows = np.arange(len(self.clauses))
        rows = np.asarray(rows, dtype=np.int64)
        sigs = self.signatures[rows]
        keep = ~np.all(sigs == 0xFFFFFFFF, axis=1)
        rows, sigs = rows[keep], sigs[keep]
        out: list[np.ndarray] = []
        r = self._lsh.rows
        prime = np.uint64(0x100000001B3)
        for band in range(self._lsh.bands):
            key = np.full(len(rows), 0xCBF29CE484222325, dtype=np.uint64)
            with np.errstate(over="ignore"):
                for col in range(band * r, (band + 1) * r):
                    key = (key ^ sigs[:, col]) * prime
            order = np.argsort(key, kind="stable")
            sorted_keys = key[order]
            cuts = np.flatnonzero(np.diff(sorted_keys)) + 1
            for group in np.split(order, cuts):
                if len(group) > 1:
                    out.append(np.sort(rows[group]))
        return out

    # -- search ----------------------------------------------------------
    def similar(
        self,
        *,
        clause_id: str | None = None,
        text: str | None = None,
        query_vector: np.ndarray | None = None,
        top_k: int = 10,
        doc_ids: set[str] | None = None,
        exclude_same_doc: bool = True,
    ) -> list[SimilarMatch]:
        """Clauses similar to one clause (``clause_id``) or to a free ``text``.

        For a clause the stored embedding is used unless ``query_vector`` is
        given; for a text pass its embedding as ``query_vector`` (without one
        only lexical near-duplicates are found).  The clause itself is never
        returned, nor — unless ``exclude_same_doc=False`` — clauses of its own
        document.  ``doc_ids`` restricts the search to those plans.
        """
        if (clause_id is None) == (text is None):
            raise ValueError("give exactly one of clause_id or text")
        if top_k <= 0:
            return []
        n = len(self.clauses)
        mask = np.ones(n, dtype=bool)
        if clause_id is not None:
            qi = self.index_of(clause_id)
            q_text = self.clauses[qi].text
            q_fold = self.folded[qi]
            q_sig = self.signatures[qi]
            q_vec = self.vectors[qi] if query_vector is None else query_vector
            mask[qi] = False
            if exclude_same_doc:
                mask &= self._doc_code != self._doc_code[qi]
        else:
            assert text is not None
            q_text = text[:MAX_TEXT_CHARS]
            q_fold = fold(q_text)
            q_sig = minhash_signatures([q_fold])[0]
            q_vec = query_vector
        if doc_ids is not None:
            codes = [self._doc_codes[d] for d in doc_ids if d in self._doc_codes]
            mask &= np.isin(self._doc_code, codes)
        if not mask.any():
            return []

        cos: np.ndarray | None = None
        candidates: set[int] = set()
        if q_vec is not None:
            q = np.asarray(q_vec, dtype=np.float32).reshape(-1)
            if q.shape[0] != self.vectors.shape[1]:
                raise ValueError(
                    f"query_vector has dimension {q.shape[0]}, the clause vectors {self.vectors.shape[1]}"
                )
            norm = float(np.linalg.norm(q))
            if norm > 0:
                q = q / norm
            cos = np.einsum("ij,j->i", self.vectors, q)  # not BLAS: see index/vectors.py
            masked = np.where(mask, cos, -np.inf)
            k = min(max(DENSE_CANDIDATES, top_k), int(mask.sum()))
            top = np.argpartition(-masked, k - 1)[:k]
            candidates.update(int(j) for j in top if mask[j])
        candidates.update(j for j in self._lsh.query(q_sig) if mask[j])

        # A short wording (a phrase, a sentence) is compared with the best
        # sentence of each clause, not the whole clause, and a clause that
        # contains it verbatim is always a candidate.
        by_sentence = clause_id is None and len(q_fold) >= 4
        matched: dict[int, str] = {}
        if by_sentence:
            candidates.update(int(j) for j in np.flatnonzero(mask) if q_fold in self.folded[int(j)])

        # a linear-time estimate ranks every candidate; only the best few get
        # the quadratic SequenceMatcher (see the module docstring)
        shortlist = self._shortlist(sorted(candidates), q_fold, cos, by_sentence, max(EXACT_CANDIDATES, top_k))
        q_cut = q_fold[:MAX_COMPARE_CHARS]
        scored: list[tuple[float, str, int, float, float | None, float | None]] = []
        for j in shortlist:
            check_deadline()
            cs = folded_similarity(q_cut, self.folded[j][:MAX_COMPARE_CHARS])
            if by_sentence:
                sentence_sim, sentence = self._best_sentence(q_cut, j)
                if sentence_sim > cs:
                    cs, matched[j] = sentence_sim, sentence
            cv = None if cos is None else float(cos[j])
            sc = None if cv is None else self.cos_scaled(cv)
            scored.append((blend(cs, sc), self.clauses[j].clause_id, j, cs, cv, sc))
        scored.sort(key=lambda t: (-t[0], t[1]))
        # each other plan's best match first (a drafter wants the counterpart in
        # every plan), then the remaining matches; both parts in score order
        firsts: list[Any] = []
        rest: list[Any] = []
        seen_docs: set[str] = set()
        for item in scored:
            doc_id = self.clauses[item[2]].doc_id
            (rest if doc_id in seen_docs else firsts).append(item)
            seen_docs.add(doc_id)
        scored = firsts + rest
        out: list[SimilarMatch] = []
        for score, _cid, j, cs, cv, sc in scored[:top_k]:
            check_deadline()
            c = self.clauses[j]
            out.append(
                SimilarMatch(
                    clause=c,
                    document=self.documents.get(c.doc_id),
                    score=score,
                    cosine=cv,
                    char_similarity=cs,
                    group=classify(cs, sc),
                    diff=char_diff(q_text, matched.get(j, c.text)),
                    matched_text=matched.get(j),
                )
            )
        return out

    def _shortlist(
        self,
        candidates: list[int],
        q_fold: str,
        cos: np.ndarray | None,
        by_sentence: bool,
        n: int,
    ) -> list[int]:
        """The ``n`` candidates with the best linear-time estimate of the final
        score (``_char_estimates`` blended with the cosine like ``blend``),
        ties broken on the clause id, plus the best-estimated candidate of each
        plan not among them (at most ``n`` more); they are then scored exactly."""
        if len(candidates) <= n:
            return candidates
        dice, coverage = _char_estimates(q_fold[:MAX_COMPARE_CHARS], [self.folded[j][:MAX_COMPARE_CHARS] for j in candidates])
        char_est = np.maximum(dice, 0.8 * coverage + 0.2 * dice) if by_sentence else dice
        if cos is not None:
            b = self.cos_baseline
            scaled = np.clip((cos[np.asarray(candidates)] - b) / (1.0 - b), 0.0, 1.0)
            estimate = W_COSINE * scaled + W_CHAR * char_est
        else:
            estimate = char_est
        order = sorted(range(len(candidates)), key=lambda i: (-float(estimate[i]), self.clauses[candidates[i]].clause_id))
        chosen = order[:n]
        # and each further plan's best estimate (at most n more), so that "each
        # other plan's best match first" still sees every plan it can show
        docs = {self.clauses[candidates[i]].doc_id for i in chosen}
        for i in order[n:]:
            if len(chosen) >= 2 * n:
                break
            doc_id = self.clauses[candidates[i]].doc_id
            if doc_id not in docs:
                docs.add(doc_id)
                chosen.append(i)
        return [candidates[i] for i in chosen]

    def _best_sentence(self, q_fold: str, j: int) -> tuple[float, str]:
        """(share of the query found in order, sentence as printed) for clause j's
        sentence that carries most of the query's wording. Only the
        SENTENCES_COMPARED sentences sharing most character pairs with the
        query are compared exactly, each on at most MAX_COMPARE_CHARS."""
        text = self.clauses[j].text
        best = (0.0, text)
        sentences = _SENTENCES.findall(text)
        if len(sentences) > SENTENCES_COMPARED:
            pairs = {q_fold[i : i + 2] for i in range(len(q_fold) - 1)}

            def shared(sentence: str) -> int:
                folded = fold(sentence)
                return len(pairs.intersection(folded[i : i + 2] for i in range(len(folded) - 1)))

            ranked = sorted(range(len(sentences)), key=lambda i: (-shared(sentences[i]), i))
            sentences = [sentences[i] for i in sorted(ranked[:SENTENCES_COMPARED])]
        for sentence in sentences:
            folded = fold(sentence)[:MAX_COMPARE_CHARS]
            if not folded:
                continue
            matcher = difflib.SequenceMatcher(None, q_fold, folded, autojunk=False)
            covered = sum(block.size for block in matcher.get_matching_blocks()) / len(q_fold)
            # a long sentence that merely contains the words scatters them: weigh by ratio too
            sim = 0.8 * covered + 0.2 * matcher.ratio()
            if sim > best[0]:
                best = (sim, sentence.strip())
        return best


def best_per_document(matches: Iterable[SimilarMatch]) -> list[SimilarMatch]:
    """The best match of each plan, in the order of the (ranked) input."""
    seen: set[str] = set()
    out: list[SimilarMatch] = []
    for m in matches:
        if m.doc_id not in seen:
            seen.add(m.doc_id)
            out.append(m)
    return out


def group_matches(matches: Iterable[SimilarMatch]) -> dict[str, list[SimilarMatch]]:
    """Matches split by group (keys in GROUPS order, all present), ranks kept."""
    out: dict[str, list[SimilarMatch]] = {g: [] for g in GROUPS}
    for m in matches:
        out[m.group].append(m)
    return out
