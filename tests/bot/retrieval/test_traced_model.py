"""The TorchScript copy of the embedding model: exact same vectors, kept in the cache, and a safe fallback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.retrieval import embedders
from bot.retrieval.embedders import SentenceTransformerEmbedder
from bot.retrieval.traced_model import TracedModel

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Not among the probes the copy is checked on before it is saved.
QUESTIONS = [
    "where do i get a tax card for my new job",
    "voinko vaihtaa terveysasemaa jos muutan toiseen kaupunkiin",
    "мне отказали в банковском счёте что делать",
    "ابني مريض بالليل وين اروح",
    "kela lacagta caruurta sidee loo codsadaa",
    "x",
]

CHILD = r"""
import json, sys
from pathlib import Path
from bot.retrieval.embedders import SentenceTransformerEmbedder
embedder = SentenceTransformerEmbedder(cache_dir=Path(sys.argv[1]))
vectors = [embedder.encode([q])[0].tolist() for q in json.loads(sys.argv[2])]
print(json.dumps({"sentence_transformers": "sentence_transformers" in sys.modules, "vectors": vectors}))
"""


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[SentenceTransformerEmbedder, Path]:
    cache = tmp_path_factory.mktemp("embedder-cache")
    return SentenceTransformerEmbedder(cache_dir=cache), cache


def test_the_first_start_keeps_a_copy_that_embeds_exactly_like_the_model(
    first: tuple[SentenceTransformerEmbedder, Path],
) -> None:
    embedder, cache = first
    assert len(list(cache.glob("embedder-*.pt"))) == 1
    for question in QUESTIONS:
        assert np.array_equal(embedder.encode([question])[0], embedder._encode_with_model([question])[0])


def test_a_later_start_uses_the_copy_without_sentence_transformers(
    first: tuple[SentenceTransformerEmbedder, Path],
) -> None:
    embedder, cache = first
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(cache), json.dumps(QUESTIONS)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    child = json.loads(done.stdout.strip().splitlines()[-1])
    assert child["sentence_transformers"] is False
    for question, vector in zip(QUESTIONS, child["vectors"], strict=True):
        expected = embedder._encode_with_model([question])[0]
        assert np.array_equal(np.asarray(vector, dtype=np.float32), expected), question


def test_many_texts_still_go_through_sentence_transformers(
    first: tuple[SentenceTransformerEmbedder, Path],
) -> None:
    embedder, _ = first
    vectors = embedder.encode(QUESTIONS)
    assert vectors.shape == (len(QUESTIONS), embedder.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_an_unreadable_copy_is_replaced(
    first: tuple[SentenceTransformerEmbedder, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, cache = first
    (copy,) = cache.glob("embedder-*.pt")
    broken = tmp_path / copy.name
    broken.write_bytes(b"not a TorchScript file")
    embedder = SentenceTransformerEmbedder(cache_dir=tmp_path)
    assert "unreadable" in caplog.text
    assert TracedModel.load(broken, embedder._location, embedders.MAX_TOKENS) is not None
    assert np.array_equal(embedder.encode([QUESTIONS[0]])[0], embedder._encode_with_model([QUESTIONS[0]])[0])


def test_a_copy_that_differs_is_neither_saved_nor_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(TracedModel, "matches", lambda self, reference: False)
    embedder = SentenceTransformerEmbedder(cache_dir=tmp_path)
    assert "differs" in caplog.text
    assert not list(tmp_path.glob("embedder-*.pt"))
    assert embedder._traced is None
    assert embedder.encode([QUESTIONS[0]]).shape == (1, embedder.dimension)
