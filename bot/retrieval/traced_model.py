"""A TorchScript copy of the embedding model, for fast starts and for embedding one question at a time.

Importing sentence-transformers (and with it transformers, scikit-learn and SciPy) took about 4 s of each
start on a 2-core machine; torch alone takes about 1 s. After the model has been loaded once, a copy traced
to TorchScript is kept in the cache folder beside the index, keyed by the model's fingerprint and the torch
version. Later starts load that copy with `torch.jit` and the `tokenizers` library only.

The copy embeds single texts (each person's question). It is saved only when it gives exactly the vectors
the sentence-transformers model gives for the same single texts, on probes of every script and length, so
an answer never depends on which of the two embedded the question. Many texts at once (building an index)
still go through sentence-transformers, whose batching the copy does not reproduce.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer

log = logging.getLogger(__name__)

FORMAT = 1
# Texts the copy must embed exactly like the original: scripts, lengths, truncation, no letters at all.
PROBES = (
    "How do I apply for a tax card?",
    "miten haen ammattikouluun aikuisena, onko se maksutonta jos olen työtön",
    "hur söker jag till yrkesskola som vuxen",
    "как получить вид на жительство для работы",
    "чи безкоштовна професійна освіта у фінляндії",
    "كيف اقدم على مدرسة مهنية وانا كبير",
    "ثبت نام امتحان yki چطوره",
    "sidee loo diiwaangeliyaa imtixaanka yki",
    "kela",
    "🙂 ?",
    " ".join(["oleskelulupa", "työlupa", "perhe", "Kela", "asumistuki"] * 40),  # longer than 128 word pieces
)


def traced_path(cache_dir: Path, fingerprint: str) -> Path:
    version = torch.__version__.replace("+", "_")
    return cache_dir / f"embedder-{fingerprint}-torch{version}-v{FORMAT}.pt"


def _tokenizer(model_dir: str, max_tokens: int) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()
    return tokenizer


class _Features(torch.nn.Module):
    """Calls a sentence-transformers model with positional tensors, as tracing needs."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        features = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "token_type_ids": token_type_ids,
        }
        embedding: torch.Tensor = self.model(features)["sentence_embedding"]
        return embedding


class TracedModel:
    def __init__(self, module: Any, tokenizer: Tokenizer) -> None:
        self._module = module
        self._tokenizer = tokenizer
        self.dimension = int(self.encode_one("dimension").shape[0])

    @classmethod
    def load(cls, path: Path, model_dir: str, max_tokens: int) -> TracedModel | None:
        """The saved copy, or None when there is none or it cannot be read (then the caller traces anew)."""
        if not path.is_file():
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.jit is deprecated in favour of torch.export
                module = torch.jit.load(str(path), map_location="cpu")
            return cls(module.eval(), _tokenizer(model_dir, max_tokens))
        except (RuntimeError, OSError, ValueError, AttributeError) as exc:
            log.warning("embedding model copy %s unreadable (%s): loading the model instead", path.name, exc)
            return None

    @classmethod
    def trace(cls, model: Any, model_dir: str, max_tokens: int) -> TracedModel:
        tokenizer = _tokenizer(model_dir, max_tokens)
        example = _tensors(tokenizer, PROBES[1])
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer warnings about Python values taken as constants
            module = torch.jit.trace(_Features(model).eval(), example, check_trace=False)
        return cls(module, tokenizer)

    def encode_one(self, text: str) -> np.ndarray:
        """The L2-normalised float32 vector of one text, computed as sentence-transformers' encode does."""
        with torch.inference_mode():
            embedding = self._module(*_tensors(self._tokenizer, text))
            embedding = torch.nn.functional.normalize(embedding, p=2, dim=1)
        return np.ascontiguousarray(embedding[0].cpu().float().numpy(), dtype=np.float32)

    def matches(self, reference: Callable[[str], np.ndarray]) -> bool:
        """True when every probe gets exactly the reference's vector."""
        return all(np.array_equal(self.encode_one(text), reference(text)) for text in PROBES)

    def save(self, path: Path) -> None:
        """Written to a temporary file and renamed, so a concurrent start never reads half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".embedder-", suffix=".tmp")
        os.close(handle)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.jit.save(self._module, temporary)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)


def _tensors(tokenizer: Tokenizer, text: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    encoding = tokenizer.encode(text)
    return (
        torch.tensor([encoding.ids], dtype=torch.long),
        torch.tensor([encoding.attention_mask], dtype=torch.long),
        torch.tensor([encoding.type_ids], dtype=torch.long),
    )
