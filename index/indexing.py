"""Indexing projects: read them, analyse and embed them off the search lock, apply them.

The writer side of IndexKeeper (a mixin: the keeper owns the locks and the state). Embedding a
chunk runs in two threads while this one tokenises, so both cores work on a build; the result
goes into the state under the search lock in one short step.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from catalog.models import PUBLISHED, ProjectPublic
from index.store.documents import current_hashes, dense_text, lexical_counts, make_record
from index.store.embedder import Embedder
from index.store.state import IndexState
from index.understanding.taxonomy import Taxonomy

log = logging.getLogger("index.engine")

CHUNK = 256  # projects per writer step: an edit waits at most one step of a repair
PARALLEL_FROM = 64  # texts: from here on, embedding is split over ENCODE_THREADS
ENCODE_THREADS = 2


_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()


def _encoders() -> ThreadPoolExecutor:
    """The process's embedding threads (the model is shared per process too)."""
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(ENCODE_THREADS, thread_name_prefix="tuijie-embed"))
        return _POOL[0]


class Indexing:
    """Writer steps over `_state`; callers hold `_write` (and these take `_lock` to apply)."""

    db: Engine
    embedder: Embedder
    taxonomy: Taxonomy
    skipped: dict[int, tuple[str, str]]
    saver: Any
    _lock: threading.RLock
    _write: threading.RLock
    _state: IndexState | None
    _usable: Callable[..., Iterator[ProjectPublic]]

    def _require(self) -> IndexState:
        raise NotImplementedError

    def _empty(self) -> IndexState:
        raise NotImplementedError

    def _index_ids(self, ids: list[int]) -> None:
        """(Re)index these projects as the database holds them now (unless already current)."""
        state = self._require()
        projects = [p for p in self._usable(ids=ids) if p.status == PUBLISHED]
        usable = {p.id for p in projects}
        with self._lock:  # withdrawn, deleted or unusable since the comparison
            for pid in ids:
                if pid not in usable:
                    state.remove(pid)
        stored = current_hashes(self.db, ids=[p.id for p in projects], published_only=False)
        self._index_projects(
            [
                p
                for p in projects
                if (r := state.records.get(p.id)) is None or r.hash != stored[p.id][1]
            ],
            stored,
        )

    def _refresh_chunk(self, codes: list[str]) -> bool:
        state = self._require()
        projects = list(self._usable(codes=codes))
        found = {p.code for p in projects}
        gone = [state.code_to_id[c] for c in codes if c not in found and c in state.code_to_id]
        fresh = []
        for p in projects:
            old_id = state.code_to_id.get(p.code)
            if old_id is not None and old_id != p.id:
                gone.append(old_id)  # the code moved to another row
            if p.status != PUBLISHED:
                gone.append(p.id)
            else:
                fresh.append(p)
        touched = False
        with self._lock:
            for pid in gone:
                touched |= state.remove(pid)
        stored = current_hashes(self.db, ids=[p.id for p in fresh], published_only=False)
        fresh = [
            p for p in fresh if (r := state.records.get(p.id)) is None or r.hash != stored[p.id][1]
        ]
        self._index_projects(fresh, stored)
        return touched or bool(fresh)

    def _index_projects(
        self, projects: list[ProjectPublic], stored: dict[int, tuple[str, str]]
    ) -> None:
        """Analyse and embed (no lock searches need), then apply under the state lock."""
        if not projects:
            return
        state = self._require()
        if state.vectors is not None and state.vectors.dim != self.embedder.dim:
            # the model behind the same name/path changed its dimension: start over
            log.warning(
                "index dimension %d != model's %d; rebuilding", state.vectors.dim, self.embedder.dim
            )
            with self._lock:
                self._state = state = self._empty()
        texts = [dense_text(p, self.embedder.info.multilingual) for p in projects]
        vectors = self._encode(texts)
        docs = [
            (make_record(p, self.taxonomy, stored[p.id][1]), lexical_counts(p)) for p in projects
        ]
        vecs = np.vstack([f.result() for f in vectors]) if isinstance(vectors, list) else vectors
        ids = np.asarray([p.id for p in projects], dtype=np.int64)
        with self._lock:
            for record, counts in docs:
                state.upsert(record, counts, None)
            assert state.vectors is not None
            state.vectors.add(ids, vecs)
        self._tidy(state)

    def _encode(self, texts: list[str]) -> np.ndarray | list[Future[np.ndarray]]:
        """Vectors now, or futures of two halves encoded in parallel (while this thread goes
        on with the Python part of indexing)."""
        if len(texts) < PARALLEL_FROM:
            return self.embedder.encode_passages(texts)
        pool = _encoders()
        step = -(-len(texts) // ENCODE_THREADS)
        return [
            pool.submit(self.embedder.encode_passages, texts[i : i + step])
            for i in range(0, len(texts), step)
        ]

    def _tidy(self, state: IndexState) -> None:
        """Fold recent postings, drop dead slots: built off the state lock, swapped in."""
        if state.lexical.needs_compact():
            matrix = state.lexical.build_matrix()
            with self._lock:
                state.lexical.install(matrix)
        if state.needs_compacting():
            fresh = state.compacted()
            with self._lock:
                if self._state is state:
                    self._state = fresh

    def _relex(self) -> None:
        """Tokenisation or taxonomy changed: rebuild BM25 and sectors, keep the vectors."""
        with self._write:
            old = self._require()
            fresh = IndexState(old.vectors)
            for p in self._usable(ids=list(old.records)):
                if p.status == PUBLISHED:
                    record = make_record(p, self.taxonomy, old.records[p.id].hash)
                    fresh.upsert(record, lexical_counts(p), None)
            fresh.lexical.compact()
            with self._lock:
                self._state = fresh
        self.saver.request(soon=True)
