"""The FAISS vector store keyed by project id (inner product on normalised vectors).

Vectors live in fixed-size blocks, one FAISS `IndexFlatIP` each. Rows are only ever appended
to the last block; replacing or removing an id clears its row's alive bit (a block whose rows
are mostly dead is rebuilt smaller, as a new object). So a block that is not the last one never
changes: a save takes a snapshot (the full blocks by reference, a copy of the last one and of
the alive bits) and writes it while searches and edits go on; a full block already written by
an earlier save is hard-linked into the new generation instead of written again.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

# one OpenMP thread per search: two fighting over a busy 2-core machine made a 7 ms search
# of 100,000 vectors take 40 ms; the engine gets its parallelism from threads instead
faiss.omp_set_num_threads(1)

BLOCK = 8192  # rows per block (16 MB of 512-dim float32)
LEGACY_FILE = "vectors.faiss"  # one IndexIDMap2 (older versions); read, never written
LAYOUT = "vectors.json"


class _Block:
    """Up to BLOCK rows: a flat index, the id and alive bit of each row."""

    __slots__ = ("alive", "ids", "index", "live", "name")

    def __init__(self, dim: int, capacity: int | None = None) -> None:
        capacity = BLOCK if capacity is None else capacity
        self.index: faiss.Index = faiss.IndexFlatIP(dim)
        self.ids = np.full(capacity, -1, dtype=np.int64)
        self.alive = np.zeros(capacity, dtype=bool)
        self.live = 0
        self.name = f"vec-{uuid.uuid4().hex[:16]}.faiss"  # its file, once it is full

    @property
    def rows(self) -> int:
        return int(self.index.ntotal)

    def vectors(self) -> np.ndarray:
        """A copy of the rows (n, dim)."""
        n = self.rows
        if n == 0:
            return np.zeros((0, self.index.d), dtype=np.float32)
        return np.asarray(self.index.reconstruct_n(0, n), dtype=np.float32)


@dataclass
class VectorSnapshot:
    """What a save writes: the blocks as they were when it was taken."""

    dim: int
    blocks: list[tuple[faiss.Index, np.ndarray, np.ndarray, str | None]]

    def save(self, directory: Path, previous: Path | None = None) -> None:
        """Write the blocks into `directory` (full ones linked from `previous` when there)."""
        layout = []
        for i, (index, ids, alive, name) in enumerate(self.blocks):
            file = name or f"vec-open-{i}.faiss"
            old = previous / file if previous is not None and name else None
            if old is None or not _link(old, directory / file):
                faiss.write_index(index, str(directory / file))
            dead = np.flatnonzero(~alive).tolist()
            layout.append({"file": file, "ids": ids.tolist(), "dead": dead})
        (directory / LAYOUT).write_text(json.dumps({"dim": self.dim, "blocks": layout}), "utf-8")


def _link(src: Path, dst: Path) -> bool:
    try:
        os.link(src, dst)
    except OSError:
        return False
    return True


class VectorStore:
    """build / add / remove / search / save / load / count over blocks of IndexFlatIP."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._blocks: list[_Block] = []
        self._where: dict[int, tuple[_Block, int]] = {}  # id -> (block, row)

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray) -> VectorStore:
        """A store holding exactly these vectors."""
        store = cls(int(vectors.shape[1]))
        store.add(ids, vectors)
        return store

    # ------------------------------------------------------------------ verbs
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors under their ids (appended; old rows marked dead)."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        self.remove(ids)
        done = 0
        while done < len(ids):
            if not self._blocks or self._blocks[-1].rows >= len(self._blocks[-1].ids):
                self._blocks.append(_Block(self.dim))
            block = self._blocks[-1]
            start = block.rows
            take = min(len(block.ids) - start, len(ids) - done)
            block.index.add(vectors[done : done + take])
            block.ids[start : start + take] = ids[done : done + take]
            block.alive[start : start + take] = True
            block.live += take
            for row, pid in enumerate(ids[done : done + take].tolist(), start):
                self._where[pid] = (block, row)
            done += take

    add_new = add

    def remove(self, ids: np.ndarray) -> None:
        """Drop these ids (absent ones are ignored)."""
        touched: dict[int, _Block] = {}
        for pid in np.asarray(ids, dtype=np.int64).tolist():
            where = self._where.pop(pid, None)
            if where is None:
                continue
            block, row = where
            if block.alive[row]:
                block.alive[row] = False
                block.live -= 1
                touched[id(block)] = block
        for block in touched.values():
            if block is not self._blocks[-1] and block.live * 2 < block.rows:
                self._shrink(block)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids, scores) for one query vector."""
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        found_ids, found_scores = [], []
        for block in self._blocks:
            n = block.rows
            if block.live == 0 or k <= 0:
                continue
            kk = min(k, block.live)
            if block.live == n:
                scores, rows = block.index.search(q, kk)
            else:
                bits = np.packbits(block.alive[:n], bitorder="little")
                sel = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bits))
                params = faiss.SearchParameters()
                params.sel = sel
                scores, rows = block.index.search(q, kk, params=params)
            keep = rows[0] >= 0
            found_ids.append(block.ids[rows[0][keep]])
            found_scores.append(scores[0][keep])
        if not found_ids:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        ids, scores = np.concatenate(found_ids), np.concatenate(found_scores)
        order = np.argsort(-scores, kind="stable")[:k]
        return ids[order], scores[order]

    def vector(self, pid: int) -> np.ndarray | None:
        """The stored vector of one id, shape (1, dim)."""
        where = self._where.get(int(pid))
        if where is None:
            return None
        block, row = where
        return np.asarray(block.index.reconstruct(row), dtype=np.float32).reshape(1, -1)

    def count(self) -> int:
        return len(self._where)

    def ids(self) -> np.ndarray:
        """Every stored id."""
        return np.fromiter(self._where, dtype=np.int64, count=len(self._where))

    # ------------------------------------------------------------- persistence
    def snapshot(self) -> VectorSnapshot:
        """An unchanging view for a save (cheap: only the last block's rows are copied)."""
        out: list[tuple[faiss.Index, np.ndarray, np.ndarray, str | None]] = []
        for i, block in enumerate(self._blocks):
            n = block.rows
            if i == len(self._blocks) - 1 and n < len(block.ids):
                copy = faiss.IndexFlatIP(self.dim)
                copy.add(block.vectors())  # the last block still grows
                out.append((copy, block.ids[:n].copy(), block.alive[:n].copy(), None))
            else:
                out.append((block.index, block.ids[:n].copy(), block.alive[:n].copy(), block.name))
        return VectorSnapshot(self.dim, out)

    def save(self, directory: Path) -> None:
        """Write the store into `directory` (the caller makes the directory swap atomic)."""
        self.snapshot().save(directory)

    @classmethod
    def load(cls, directory: Path) -> VectorStore:
        """Read what `save` wrote (or an older version's single IndexIDMap2)."""
        layout_file = directory / LAYOUT
        if not layout_file.exists():
            return cls._load_legacy(directory / LEGACY_FILE)
        layout = json.loads(layout_file.read_text("utf-8"))
        store = cls(int(layout["dim"]))
        for entry in layout["blocks"]:
            index = faiss.read_index(str(directory / entry["file"]))
            ids = np.asarray(entry["ids"], dtype=np.int64)
            if index.d != store.dim or index.ntotal != len(ids):
                raise ValueError(f"{entry['file']} does not match {LAYOUT}")
            block = _Block(store.dim, max(BLOCK, len(ids)))
            block.index = index
            block.ids[: len(ids)] = ids
            block.alive[: len(ids)] = True
            block.alive[np.asarray(entry["dead"], dtype=np.int64)] = False
            block.live = int(block.alive.sum())
            if entry["file"].startswith("vec-") and not entry["file"].startswith("vec-open-"):
                block.name = entry["file"]  # unchanged since: the next save links it
            for row in np.flatnonzero(block.alive[: len(ids)]).tolist():
                store._where[int(ids[row])] = (block, row)
            store._blocks.append(block)
        if store._blocks and store._blocks[-1].rows >= BLOCK:
            store._blocks.append(_Block(store.dim))  # full: appends go to a new one
        return store

    @classmethod
    def _load_legacy(cls, path: Path) -> VectorStore:
        index: Any = faiss.read_index(str(path))
        n = int(index.ntotal)
        store = cls(int(index.d))
        if n:
            ids = faiss.vector_to_array(index.id_map).astype(np.int64)
            store.add(ids, faiss.downcast_index(index.index).reconstruct_n(0, n))
        return store

    # ---------------------------------------------------------------- helpers
    def _shrink(self, block: _Block) -> None:
        """Rebuild a mostly dead block with its live rows only (a new object: snapshots taken
        earlier keep the old one)."""
        rows = np.flatnonzero(block.alive[: block.rows])
        fresh = _Block(self.dim, max(1, len(rows)))
        if len(rows):
            fresh.index.add(block.vectors()[rows])
            fresh.ids[: len(rows)] = block.ids[rows]
            fresh.alive[: len(rows)] = True
            fresh.live = len(rows)
        position = next(i for i, b in enumerate(self._blocks) if b is block)
        if len(rows):
            self._blocks[position] = fresh
            for row, pid in enumerate(fresh.ids[: len(rows)].tolist()):
                self._where[pid] = (fresh, row)
        else:
            del self._blocks[position]
