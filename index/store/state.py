"""The in-memory index: records, BM25, facets, sector postings and vectors, saved as one unit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from index.store.documents import DocRecord
from index.store.facets import Facets
from index.store.lexical import LexicalIndex
from index.store.vectors import VectorStore
from index.understanding.regions import gazetteer

TEXT_VERSION_FILES = ("taxonomy.json", "regions.json")
TEXT_CODE_VERSION = "3"


def text_version() -> str:
    """Changes when tokenisation or sector data change (then BM25/facets are rebuilt)."""
    h = hashlib.blake2b(TEXT_CODE_VERSION.encode(), digest_size=8)
    data = Path(__file__).parents[1] / "understanding" / "data"
    for name in TEXT_VERSION_FILES:
        h.update((data / name).read_bytes())
    return h.hexdigest()


def fingerprint(hashes: dict[int, str]) -> str:
    """One hash over (id, content hash) of every indexed project."""
    h = hashlib.blake2b(digest_size=16)
    for pid in sorted(hashes):
        h.update(f"{pid}:{hashes[pid]};".encode())
    return h.hexdigest()


class IndexState:
    """Everything one index holds; callers serialise access with the engine's lock."""

    def __init__(self, vectors: VectorStore | None = None) -> None:
        self.records: dict[int, DocRecord] = {}
        self.slot_of: dict[int, int] = {}
        self.id_of_slot: list[int] = []
        self.lexical = LexicalIndex()
        self.facets = Facets()
        self.vectors = vectors
        self.code_to_id: dict[str, int] = {}
        self._sector_slots: dict[str, dict[int, float]] = {}
        self._sector_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # ------------------------------------------------------------------ verbs
    def count(self) -> int:
        return len(self.records)

    def hashes(self) -> dict[int, str]:
        return {pid: rec.hash for pid, rec in self.records.items()}

    def upsert(self, rec: DocRecord, counts: dict[str, float], vector: np.ndarray | None) -> None:
        """Add or replace one project (lexical, facets, sectors, vector)."""
        self.remove(rec.id, keep_vector=vector is None)
        slot = self.lexical.add(counts)
        self.id_of_slot.append(rec.id)
        self.slot_of[rec.id] = slot
        self.records[rec.id] = rec
        self.code_to_id[rec.code] = rec.id
        self.facets.set(slot, rec)
        gazetteer().activate(rec.region)
        for key, strength in rec.sectors.items():
            self._sector_slots.setdefault(key, {})[slot] = strength
            self._sector_cache.pop(key, None)
        if vector is not None and self.vectors is not None:
            self.vectors.add(np.asarray([rec.id], dtype=np.int64), vector.reshape(1, -1))

    def remove(self, pid: int, *, keep_vector: bool = False) -> bool:
        """Forget one project; True if it was there."""
        rec = self.records.pop(pid, None)
        if rec is None:
            return False
        slot = self.slot_of.pop(pid)
        self.lexical.remove(slot)
        if self.code_to_id.get(rec.code) == pid:
            del self.code_to_id[rec.code]
        for key in rec.sectors:
            self._sector_slots.get(key, {}).pop(slot, None)
            self._sector_cache.pop(key, None)
        if self.vectors is not None and not keep_vector:
            self.vectors.remove(np.asarray([pid], dtype=np.int64))
        return True

    def sector_postings(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """Slots tied to a sector and how strongly."""
        cached = self._sector_cache.get(key)
        if cached is None:
            d = self._sector_slots.get(key, {})
            cached = (
                np.fromiter(d.keys(), dtype=np.int64, count=len(d)),
                np.fromiter(d.values(), dtype=np.float32, count=len(d)),
            )
            self._sector_cache[key] = cached
        return cached

    def alive(self) -> np.ndarray:
        return self.lexical.alive

    def slots_to_ids(self, slots: np.ndarray) -> list[int]:
        return [self.id_of_slot[s] for s in slots.tolist()]

    def ids_to_slots(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Slots of the ids that are indexed, and the positions of those ids."""
        slots, pos = [], []
        for i, pid in enumerate(ids.tolist()):
            s = self.slot_of.get(int(pid))
            if s is not None:
                slots.append(s)
                pos.append(i)
        return np.asarray(slots, dtype=np.int64), np.asarray(pos, dtype=np.int64)

    # ------------------------------------------------------------- persistence
    def compacted(self) -> IndexState:
        """A copy without dead slots (slots renumbered), sharing the vector store.

        Only worth it when many slots are dead: a few are saved as gaps instead, so that
        saving after a small refresh of a large index stays cheap.
        """
        dead = self.lexical.slots - self.count()
        if dead <= max(64, self.lexical.slots // 10):
            return self
        fresh = IndexState(self.vectors)
        for pid, rec in sorted(self.records.items(), key=lambda kv: self.slot_of[kv[0]]):
            slot = self.slot_of[pid]
            counts = dict(
                zip(
                    (self.lexical.terms[t] for t in self.lexical.rows_terms[slot]),
                    self.lexical.rows_tf[slot].tolist(),
                    strict=True,
                )
            )
            fresh.upsert(rec, counts, None)
        fresh.lexical.compact()
        return fresh

    def save_into(self, directory: Path) -> None:
        """Write lexical, records and vectors into `directory` (dead slots as null)."""
        self.lexical.save(directory)
        alive = self.lexical.alive
        docs = [
            self.records[pid].to_json() if alive[slot] else None
            for slot, pid in enumerate(self.id_of_slot)
        ]
        (directory / "docs.json").write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
        self.facets.save(directory)
        if self.vectors is not None:
            self.vectors.save(directory)

    @classmethod
    def load_from(cls, directory: Path, *, with_vectors: bool = True) -> IndexState:
        """Read what `save_into` wrote."""
        vectors = VectorStore.load(directory) if with_vectors else None
        state = cls(vectors)
        state.lexical = LexicalIndex.load(directory)
        docs = json.loads((directory / "docs.json").read_text(encoding="utf-8"))
        if len(docs) != state.lexical.slots:
            raise ValueError("docs.json and lexical.npz disagree")
        fast_facets = (directory / "facets.npz").exists()
        regions: list[str | None] = []
        for slot, raw in enumerate(docs):
            if raw is None:  # a dead slot
                state.id_of_slot.append(-1)
                regions.append(None)
                if not fast_facets:
                    state.facets.reserve(slot)
                continue
            rec = DocRecord(**raw)
            state.records[rec.id] = rec
            state.slot_of[rec.id] = slot
            state.id_of_slot.append(rec.id)
            state.code_to_id[rec.code] = rec.id
            regions.append(rec.region)
            if not fast_facets:
                state.facets.set(slot, rec)
            for key, strength in rec.sectors.items():
                state._sector_slots.setdefault(key, {})[slot] = strength
        if fast_facets:
            state.facets = Facets.load(directory, regions)
        gaz = gazetteer()
        for region in set(regions):
            gaz.activate(region)
        return state
