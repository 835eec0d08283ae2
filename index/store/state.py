"""The in-memory index: records, BM25, facets, sector postings and vectors, saved as one unit."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.store.documents import DocRecord
from index.store.facets import Facets
from index.store.lexical import LexicalIndex, LexicalSnapshot
from index.store.vectors import VectorSnapshot, VectorStore
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
    def dead(self) -> int:
        """Slots that no longer hold a live document."""
        return self.lexical.slots - self.count()

    def needs_compacting(self) -> bool:
        """Many dead slots (replaced or removed documents): worth renumbering."""
        return self.dead() > max(1024, self.lexical.slots // 5)

    def compacted(self) -> IndexState:
        """A copy without dead slots (slots renumbered), sharing the vector store.

        Reads only: a writer builds it while searches go on with this state, then swaps.
        """
        keep = np.flatnonzero(self.lexical.alive)
        fresh = IndexState(self.vectors)
        lex = fresh.lexical
        lex.vocab, lex.terms = dict(self.lexical.vocab), list(self.lexical.terms)
        lex.rows_terms = [self.lexical.rows_terms[s] for s in keep.tolist()]
        lex.rows_tf = [self.lexical.rows_tf[s] for s in keep.tolist()]
        lex._alive = np.ones(len(keep), dtype=bool)
        lex._dl = self.lexical.dl[keep].copy()
        lex.df = self.lexical.df.copy()
        lex.compact()
        fresh.facets = self.facets.take(keep)
        fresh.id_of_slot = [self.id_of_slot[s] for s in keep.tolist()]
        fresh.slot_of = {pid: slot for slot, pid in enumerate(fresh.id_of_slot)}
        fresh.records = dict(self.records)
        fresh.code_to_id = dict(self.code_to_id)
        for slot, pid in enumerate(fresh.id_of_slot):
            for key, strength in fresh.records[pid].sectors.items():
                fresh._sector_slots.setdefault(key, {})[slot] = strength
        return fresh

    def snapshot(self) -> StateSnapshot:
        """An unchanging view of the whole index for a save; cheap (references and copies of
        small columns), taken while no writer changes the state."""
        return StateSnapshot(
            self.lexical.snapshot(),
            dict(self.records),
            list(self.id_of_slot),
            self.facets.take(),
            self.vectors.snapshot() if self.vectors is not None else None,
        )

    def save_into(self, directory: Path) -> None:
        """Write lexical, records and vectors into `directory` (dead slots as null)."""
        self.snapshot().save_into(directory)

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


@dataclass
class StateSnapshot:
    """The index as it was at one moment, written by a save while the live state changes."""

    lexical: LexicalSnapshot
    records: dict[int, DocRecord]
    id_of_slot: list[int]
    facets: Facets
    vectors: VectorSnapshot | None

    def save_into(self, directory: Path, previous: Path | None = None) -> None:
        """Write every file into `directory` (unchanged vector blocks linked from `previous`)."""
        self.lexical.save(directory)
        alive = self.lexical.alive
        with open(directory / "docs.json", "w", encoding="utf-8") as fh:
            # one record at a time: a single dumps of 100,000 records would hold the GIL (and
            # so every search) for a noticeable while
            fh.write("[")
            for slot, pid in enumerate(self.id_of_slot):
                rec = self.records[pid].to_json() if alive[slot] else None
                fh.write(("," if slot else "") + json.dumps(rec, ensure_ascii=False))
            fh.write("]")
        self.facets.save(directory)
        if self.vectors is not None:
            self.vectors.save(directory, previous)
