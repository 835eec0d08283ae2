"""BM25 over weighted field tokens, with incremental add/remove (no full rebuild per change)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

K1 = 1.2
B = 0.75
COMPACT_AFTER = 4096  # docs added since the last compaction


class LexicalIndex:
    """Slots hold documents; a CSC matrix (slot x term) plus a small delta of recent adds."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.terms: list[str] = []
        self.rows_terms: list[np.ndarray] = []  # per slot: term ids (int32)
        self.rows_tf: list[np.ndarray] = []  # per slot: weighted tf (float32)
        self._alive = np.zeros(0, dtype=bool)  # capacity >= slots
        self._dl = np.zeros(0, dtype=np.float32)
        self.df = np.zeros(0, dtype=np.int32)
        self._csc: sp.csc_matrix | None = None
        self._csc_slots = 0  # slots covered by _csc
        self._delta: dict[int, list[tuple[int, float]]] = {}

    # ------------------------------------------------------------------ verbs
    @property
    def slots(self) -> int:
        return len(self.rows_terms)

    @property
    def alive(self) -> np.ndarray:
        """Per slot: whether the document is live (a view)."""
        return self._alive[: self.slots]

    @property
    def dl(self) -> np.ndarray:
        """Per slot: weighted document length (a view)."""
        return self._dl[: self.slots]

    def count(self) -> int:
        """Live documents."""
        return int(self.alive.sum())

    def add(self, counts: dict[str, float]) -> int:
        """Add one document (term -> weighted tf); returns its slot."""
        ids = np.fromiter((self._term_id(t) for t in counts), dtype=np.int32, count=len(counts))
        tfs = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        slot = self.slots
        self.rows_terms.append(ids)
        self.rows_tf.append(tfs)
        self._grow(slot + 1)
        self._alive[slot] = True
        self._dl[slot] = float(tfs.sum())
        if len(ids):
            np.add.at(self.df, ids, 1)
        for t, w in zip(ids.tolist(), tfs.tolist(), strict=True):
            self._delta.setdefault(t, []).append((slot, w))
        return slot

    def needs_compact(self) -> bool:
        """Whether the delta of recent adds has grown enough to fold it into the matrix."""
        return self.slots - self._csc_slots > max(COMPACT_AFTER, self._csc_slots // 8)

    def remove(self, slot: int) -> None:
        """Forget a document (its slot stays dead until compaction by the owner)."""
        if 0 <= slot < self.slots and self._alive[slot]:
            self._alive[slot] = False
            ids = self.rows_terms[slot]
            if len(ids):
                np.subtract.at(self.df, ids, 1)

    def scores(self, weighted_terms: dict[str, float]) -> np.ndarray:
        """BM25 score of every slot for the query terms (term -> query weight)."""
        out = np.zeros(self.slots, dtype=np.float32)
        n = self.count()
        if n == 0:
            return out
        live_dl = self.dl[self.alive]
        avgdl = float(live_dl.mean()) if len(live_dl) else 1.0
        for term, qw in weighted_terms.items():
            t = self.vocab.get(term)
            if t is None or self.df[t] <= 0:
                continue
            df = float(self.df[t])
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            idx, tf = self._postings(t)
            if not len(idx):
                continue
            norm = K1 * (1.0 - B + B * self.dl[idx] / avgdl)
            out[idx] += qw * idf * tf * (K1 + 1.0) / (tf + norm)
        out[~self.alive] = 0.0
        return out

    def df_of(self, term: str) -> int:
        """How many live documents hold the term."""
        t = self.vocab.get(term)
        return int(self.df[t]) if t is not None else 0

    def compact(self) -> None:
        """Fold the delta into the CSC matrix."""
        self._csc = None  # let the old matrix go first: at 100k documents each one is ~200 MB
        self.install(self.build_matrix())

    def build_matrix(self) -> sp.csc_matrix:
        """The postings of every slot as one CSC matrix (slot x term).

        Only reads: a writer may build it while searches go on, then `install` it.
        """
        return _matrix(list(self.rows_terms), list(self.rows_tf), len(self.terms))

    def install(self, csc: sp.csc_matrix) -> None:
        """Use a matrix from `build_matrix` (no document was added since it was built)."""
        if csc.shape[0] != self.slots:
            raise ValueError("the matrix does not cover every slot")
        self._csc = csc
        self._csc_slots = self.slots
        self._delta = {}

    # ------------------------------------------------------------- persistence
    def snapshot(self) -> LexicalSnapshot:
        """An unchanging view for a save: rows are never changed once added, so copying the
        lists (not the arrays) is enough."""
        return LexicalSnapshot(
            list(self.terms),
            list(self.rows_terms),
            list(self.rows_tf),
            self.alive.copy(),
            self._csc,
        )

    def save(self, path: Path) -> None:
        """Write the index as one .npz file plus the vocabulary (path is a directory)."""
        self.snapshot().save(path)

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        """Read what `save` wrote."""
        self = cls()
        self.terms = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
        self.vocab = {t: i for i, t in enumerate(self.terms)}
        with np.load(path / "lexical.npz") as z:
            lengths, indices, data, alive = z["lengths"], z["indices"], z["data"], z["alive"]
            csc = None
            if "csc_indptr" in z.files:
                shape = tuple(int(x) for x in z["csc_shape"])
                csc = sp.csc_matrix((z["csc_data"], z["csc_indices"], z["csc_indptr"]), shape=shape)
        bounds = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=bounds[1:])
        self.rows_terms = np.split(indices.astype(np.int32), bounds[1:-1]) if len(lengths) else []
        self.rows_tf = np.split(data.astype(np.float32), bounds[1:-1]) if len(lengths) else []
        self._alive = alive.astype(bool)
        self._dl = np.zeros(len(lengths), dtype=np.float32)
        nonempty = lengths > 0
        if nonempty.any():
            self._dl[nonempty] = np.add.reduceat(data, bounds[:-1][nonempty]).astype(np.float32)
        self.df = np.zeros(len(self.terms), dtype=np.int32)
        live_terms = indices[np.repeat(alive, lengths)] if len(lengths) else indices
        if len(live_terms):
            self.df += np.bincount(live_terms, minlength=len(self.terms)).astype(np.int32)
        if csc is not None and csc.shape[0] <= self.slots:
            # a save taken between two compactions: the slots after the matrix are the delta
            self._csc, self._csc_slots, self._delta = csc, csc.shape[0], {}
            for slot in range(self._csc_slots, self.slots):
                for t, w in zip(
                    self.rows_terms[slot].tolist(), self.rows_tf[slot].tolist(), strict=True
                ):
                    self._delta.setdefault(t, []).append((slot, w))
            if self.needs_compact():
                self.compact()
        else:
            self.compact()
        return self

    # ---------------------------------------------------------------- helpers
    def _term_id(self, term: str) -> int:
        t = self.vocab.get(term)
        if t is None:
            t = len(self.terms)
            self.vocab[term] = t
            self.terms.append(term)
            if t >= len(self.df):
                self.df = np.concatenate([self.df, np.zeros(max(1024, t), dtype=np.int32)])
        return t

    def _grow(self, slots: int) -> None:
        if slots > len(self._alive):
            extra = max(1024, len(self._alive))
            self._alive = np.concatenate([self._alive, np.zeros(extra, dtype=bool)])
            self._dl = np.concatenate([self._dl, np.zeros(extra, dtype=np.float32)])

    def _postings(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        parts_i: list[np.ndarray] = []
        parts_w: list[np.ndarray] = []
        if self._csc is not None and t < self._csc.shape[1]:
            start, end = self._csc.indptr[t], self._csc.indptr[t + 1]
            parts_i.append(self._csc.indices[start:end])
            parts_w.append(self._csc.data[start:end])
        extra = self._delta.get(t)
        if extra:
            parts_i.append(np.fromiter((s for s, _ in extra), dtype=np.int32, count=len(extra)))
            parts_w.append(np.fromiter((w for _, w in extra), dtype=np.float32, count=len(extra)))
        if not parts_i:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        return np.concatenate(parts_i), np.concatenate(parts_w)


def _matrix(rows_terms: list[np.ndarray], rows_tf: list[np.ndarray], n_terms: int) -> sp.csc_matrix:
    slots = len(rows_terms)
    lengths = np.fromiter((len(r) for r in rows_terms), dtype=np.int64, count=slots)
    indptr = np.zeros(slots + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.concatenate(rows_terms) if slots else np.zeros(0, np.int32)
    data = np.concatenate(rows_tf) if slots else np.zeros(0, np.float32)
    csr = sp.csr_matrix((data, indices, indptr), shape=(slots, max(n_terms, 1)))
    del data, indices
    return csr.tocsc()


@dataclass
class LexicalSnapshot:
    """What a save writes: the documents as they were when it was taken."""

    terms: list[str]
    rows_terms: list[np.ndarray]
    rows_tf: list[np.ndarray]
    alive: np.ndarray
    csc: sp.csc_matrix | None  # the postings of the first csc.shape[0] slots

    def save(self, path: Path) -> None:
        slots = len(self.rows_terms)
        lengths = np.fromiter((len(r) for r in self.rows_terms), dtype=np.int64, count=slots)
        indices = np.concatenate(self.rows_terms) if slots else np.zeros(0, np.int32)
        data = np.concatenate(self.rows_tf) if slots else np.zeros(0, np.float32)
        csc = self.csc
        if csc is None:
            csc = _matrix(self.rows_terms, self.rows_tf, len(self.terms))
        with open(path / "lexical.npz", "wb") as fh:  # the postings too: no rebuild on load
            np.savez(
                fh,
                lengths=lengths,
                indices=indices,
                data=data,
                alive=self.alive,
                csc_indptr=csc.indptr,
                csc_indices=csc.indices,
                csc_data=csc.data,
                csc_shape=np.asarray(csc.shape, dtype=np.int64),
            )
        (path / "vocab.json").write_text(json.dumps(self.terms, ensure_ascii=False), "utf-8")
