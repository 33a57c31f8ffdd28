"""The searchable index of the knowledge base: documents, lexical and dense indexes, cached on disk."""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np

from bot.knowledge.loader import KnowledgeBase
from bot.languages import LANGUAGES, Language
from bot.retrieval.dense import DenseIndex
from bot.retrieval.embedders import Embedder
from bot.retrieval.language_detection import shared_terms
from bot.retrieval.lexical import LexicalIndex
from bot.retrieval.text import features

log = logging.getLogger(__name__)

# Bump when the layout of the cache or the way documents are made changes.
INDEX_FORMAT: Final = 5
ALL: Final = "*"
Scope = Language | Literal["*"]
DocKind = Literal["question", "title", "answer"]


@dataclass(frozen=True)
class Document:
    entry: int
    language: Language
    kind: DocKind
    text: str


@dataclass
class ScopeIndex:
    """The documents of one language (or of all languages) with their indexes.

    `lexical` and `dense` hold single documents (a title, one example question, an answer); `whole_entries`
    holds one lexical document per entry and language with all of its texts, so that a question whose words
    are spread over several example questions of one entry still matches it.
    """

    doc_ids: np.ndarray
    entries: np.ndarray
    lexical: LexicalIndex
    dense: DenseIndex
    whole_entries: LexicalIndex
    whole_entry_ids: np.ndarray


def documents_of(kb: KnowledgeBase) -> list[Document]:
    docs: list[Document] = []
    for i, entry in enumerate(kb.entries):
        for lang, tr in entry.translations.items():
            docs.append(Document(i, lang, "title", tr.title))
            docs.extend(Document(i, lang, "question", q) for q in tr.questions)
            docs.append(Document(i, lang, "answer", tr.answer))
    return docs


class KnowledgeIndex:
    """Per-language and all-language indexes over every title, example question and answer."""

    def __init__(
        self,
        entry_ids: list[str],
        docs: list[Document],
        scopes: dict[str, ScopeIndex],
        shared: frozenset[str],
    ) -> None:
        self.entry_ids = entry_ids
        self.docs = docs
        self.scopes = scopes
        self.shared_terms = shared

    @staticmethod
    def cache_key(kb: KnowledgeBase, embedder_fingerprint: str) -> str:
        digest = hashlib.sha256(f"{INDEX_FORMAT}:{kb.content_hash}:{embedder_fingerprint}".encode())
        return digest.hexdigest()[:24]

    @classmethod
    def build(cls, kb: KnowledgeBase, embedder: Embedder, *, show_progress: bool = True) -> KnowledgeIndex:
        docs = documents_of(kb)
        vectors = embedder.encode([d.text for d in docs], show_progress=show_progress)
        doc_features = [features(d.text, d.language) for d in docs]
        whole: dict[tuple[int, str], list[str]] = {}
        for d, feats in zip(docs, doc_features, strict=True):
            whole.setdefault((d.entry, d.language), []).extend(feats)
        scopes: dict[str, ScopeIndex] = {}
        for scope in (*LANGUAGES, ALL):
            ids = np.array([i for i, d in enumerate(docs) if scope in (ALL, d.language)], dtype=np.int64)
            if len(ids) == 0:
                continue
            keys = [key for key in whole if scope in (ALL, key[1])]
            scopes[scope] = ScopeIndex(
                doc_ids=ids,
                entries=np.array([docs[i].entry for i in ids], dtype=np.int64),
                lexical=LexicalIndex.build([doc_features[i] for i in ids]),
                dense=DenseIndex.build(vectors[ids]),
                whole_entries=LexicalIndex.build([whole[key] for key in keys]),
                whole_entry_ids=np.array([key[0] for key in keys], dtype=np.int64),
            )
        texts: dict[Language, list[str]] = {}
        for d in docs:
            texts.setdefault(d.language, []).append(d.text)
        return cls([e.id for e in kb.entries], docs, scopes, shared_terms(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": INDEX_FORMAT,
            "entry_ids": self.entry_ids,
            "docs": [[d.entry, d.language, d.kind, d.text] for d in self.docs],
            "scopes": {s: idx.doc_ids.tolist() for s, idx in self.scopes.items()},
            "shared_terms": sorted(self.shared_terms),
        }
        (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        lexical = {s: (idx.lexical, idx.whole_entries, idx.whole_entry_ids) for s, idx in self.scopes.items()}
        with (folder / "lexical.pkl").open("wb") as f:
            pickle.dump(lexical, f, protocol=pickle.HIGHEST_PROTOCOL)
        for scope, idx in self.scopes.items():
            idx.dense.save(folder / f"dense-{_scope_file(scope)}.faiss")

    @classmethod
    def load(cls, folder: Path) -> KnowledgeIndex:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != INDEX_FORMAT:
            raise ValueError("index cache has another format")
        docs = [Document(e, lang, kind, text) for e, lang, kind, text in meta["docs"]]
        with (folder / "lexical.pkl").open("rb") as f:
            lexical = pickle.load(f)  # our own cache file, written by save() above
        scopes = {}
        for scope, ids in meta["scopes"].items():
            single, whole_entries, whole_entry_ids = lexical[scope]
            scopes[scope] = ScopeIndex(
                doc_ids=np.array(ids, dtype=np.int64),
                entries=np.array([docs[i].entry for i in ids], dtype=np.int64),
                lexical=single,
                dense=DenseIndex.load(folder / f"dense-{_scope_file(scope)}.faiss"),
                whole_entries=whole_entries,
                whole_entry_ids=whole_entry_ids,
            )
        return cls(meta["entry_ids"], docs, scopes, frozenset(meta["shared_terms"]))


def _scope_file(scope: str) -> str:
    return "all" if scope == ALL else scope


def load_or_build(
    kb: KnowledgeBase, embedder: Embedder, cache_dir: Path, *, show_progress: bool = True
) -> tuple[KnowledgeIndex, bool]:
    """The cached index for this content and model, built and cached when missing; returns (index, built)."""
    key = KnowledgeIndex.cache_key(kb, embedder.fingerprint)
    folder = cache_dir / f"index-{key}"
    if (folder / "meta.json").is_file():
        try:
            return KnowledgeIndex.load(folder), False
        except (
            OSError,
            ValueError,
            TypeError,
            KeyError,
            EOFError,
            pickle.UnpicklingError,
            RuntimeError,
        ) as exc:
            log.warning("index cache %s is unreadable (%s); rebuilding", folder.name, exc)
    started = time.perf_counter()
    index = KnowledgeIndex.build(kb, embedder, show_progress=show_progress)
    tmp = cache_dir / f".tmp-{key}"
    shutil.rmtree(tmp, ignore_errors=True)
    index.save(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    for stale in cache_dir.glob("index-*"):
        if stale != folder:
            shutil.rmtree(stale, ignore_errors=True)
    log.info(
        "built the knowledge-base index (%d documents) in %.1f s",
        len(index.docs),
        time.perf_counter() - started,
    )
    return index, True
