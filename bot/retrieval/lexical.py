"""BM25-weighted lexical index with cosine scoring, so that scores lie in [0, 1] and can be calibrated."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass
class LexicalIndex:
    """Documents as L2-normalised BM25 weight vectors; a query as an idf-weighted vector.

    Unknown query features count in the query's norm with the highest idf, so a question made mostly of
    words the knowledge base never uses scores low: that is what lets out-of-scope questions be rejected.
    """

    vocabulary: dict[str, int]
    idf: np.ndarray
    matrix: sparse.csc_matrix  # column access: a query touches only its own features
    unknown_idf: float

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        vocabulary: dict[str, int] = {}
        counts = [Counter(doc) for doc in documents]
        for counter in counts:
            for feature in counter:
                vocabulary.setdefault(feature, len(vocabulary))
        n_docs = max(len(documents), 1)
        df = np.zeros(len(vocabulary), dtype=np.float64)
        for counter in counts:
            for feature in counter:
                df[vocabulary[feature]] += 1
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        lengths = np.array([sum(c.values()) for c in counts], dtype=np.float64)
        avg_length = float(lengths.mean()) if len(lengths) else 1.0
        rows, cols, values = [], [], []
        for row, counter in enumerate(counts):
            norm = k1 * (1 - b + b * lengths[row] / max(avg_length, 1e-9))
            for feature, tf in counter.items():
                col = vocabulary[feature]
                rows.append(row)
                cols.append(col)
                values.append(idf[col] * tf * (k1 + 1) / (tf + norm))
        matrix = sparse.csr_matrix(
            (np.array(values, dtype=np.float32), (rows, cols)), shape=(len(documents), len(vocabulary))
        )
        row_norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        matrix = sparse.diags(1.0 / np.maximum(row_norms, 1e-12)).dot(matrix).tocsc().astype(np.float32)
        unknown_idf = math.log(1.0 + (n_docs - 0.5) / 0.5)
        return cls(vocabulary, idf.astype(np.float32), matrix, unknown_idf)

    @property
    def size(self) -> int:
        return int(self.matrix.shape[0])

    def scores(self, query_features: Sequence[str]) -> np.ndarray:
        """Cosine similarity of the query with every document, in document order."""
        unique = set(query_features)
        if not unique:
            return np.zeros(self.size, dtype=np.float32)
        cols = [self.vocabulary[f] for f in unique if f in self.vocabulary]
        unknown = len(unique) - len(cols)
        weights = self.idf[cols] if cols else np.zeros(0, dtype=np.float32)
        norm = math.sqrt(float(np.square(weights).sum()) + unknown * self.unknown_idf**2)
        if not cols or norm == 0:
            return np.zeros(self.size, dtype=np.float32)
        sub = self.matrix[:, cols]
        return np.asarray(sub.dot(weights)).ravel() / norm
