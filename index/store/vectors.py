"""The FAISS vector store keyed by project id (inner product on normalised vectors)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


class VectorStore:
    """build / add / remove / search / save / load / count over an IndexIDMap2(IndexFlatIP)."""

    FILE = "vectors.faiss"

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray) -> VectorStore:
        """A store holding exactly these vectors."""
        store = cls(int(vectors.shape[1]))
        store.add(ids, vectors)
        return store

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors under their ids."""
        if len(ids) == 0:
            return
        ids = np.asarray(ids, dtype=np.int64)
        self.remove(ids)
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)

    def add_new(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert vectors under ids that are not in the store yet (no removal pass)."""
        if len(ids):
            self.index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def remove(self, ids: np.ndarray) -> None:
        """Drop these ids (absent ones are ignored)."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) and self.index.ntotal:
            self.index.remove_ids(faiss.IDSelectorBatch(ids))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids, scores) for one query vector."""
        k = min(k, self.index.ntotal)
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores, ids = self.index.search(np.ascontiguousarray(query, dtype=np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def count(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        """Every stored id."""
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def save(self, directory: Path) -> None:
        """Write the index into `directory` (the caller makes the directory swap atomic)."""
        faiss.write_index(self.index, str(directory / self.FILE))

    @classmethod
    def load(cls, directory: Path) -> VectorStore:
        """Read what `save` wrote."""
        index = faiss.read_index(str(directory / cls.FILE))
        store = cls(index.d)
        store.index = index  # type: ignore[assignment]
        return store
