"""Dense vector search over FAISS; only this module imports faiss."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

# One query at a time: OpenMP threads cost more to start than an exact search over a few thousand vectors.
faiss.omp_set_num_threads(1)


class DenseIndex:
    """Exact inner-product search over L2-normalised vectors (cosine similarity).

    The knowledge base holds a few thousand short texts, so an exact flat index is both the fastest
    and the most accurate choice; nothing here needs approximate search.
    """

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> DenseIndex:
        index = faiss.IndexFlatIP(int(vectors.shape[1]))
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of one query vector with every vector, in insertion order."""
        n = self.size
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        similarities, ids = self._index.search(
            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), n
        )
        out = np.empty(n, dtype=np.float32)
        out[ids[0]] = similarities[0]
        return out
