"""The search engine: keeps the index in step with the catalog and answers queries."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from catalog.models import PUBLISHED, ProjectPublic
from index.answer import answer_question
from index.ranking import (
    ALL_LEGS,
    DENSE_POOL,
    dense_weight,
    filter_only_order,
    fuse,
    normalise_dense,
    query_weights,
    sector_scores,
    vector_query,
)
from index.results import Answer, Hit, SearchResult, SyncReport
from index.similar import similar_ids
from index.store import storage
from index.store.documents import (
    current_hashes,
    dense_text,
    lexical_counts,
    make_record,
    usable_projects,
)
from index.store.embedder import Embedder
from index.store.state import IndexState, fingerprint, text_version
from index.store.vectors import VectorStore
from index.understanding.query import ParsedQuery, parse_query, teach_tokenizer
from index.understanding.recognised import recognise
from index.understanding.taxonomy import load_taxonomy
from index.understanding.text import strip_controls

log = logging.getLogger(__name__)
CHUNK = 1024


class SearchEngine:
    """Hybrid search over the catalog; see notes/index-api.md for the contract."""

    def __init__(
        self, db: Engine, index_dir: Path, model_name: str | None = None, *, progress: bool = False
    ) -> None:
        self.db = db
        self.index_dir = Path(index_dir)
        self.embedder = Embedder(model_name)
        self.progress = progress
        self._lock = threading.RLock()
        self._state: IndexState | None = None
        # projects the database holds but the index cannot use (id -> code, problem): logged,
        # left out and shown to admins, so one bad row never stops start-up
        self.skipped: dict[int, tuple[str, str]] = {}
        self._skipped_hash: dict[int, str] = {}
        self._usable = partial(usable_projects, db, self.skipped)
        self.taxonomy = load_taxonomy()
        teach_tokenizer()  # documents and queries must be cut with the same dictionary

    # ------------------------------------------------------------- lifecycle
    def open(self) -> SyncReport:
        """Load the saved index (build if none or built with another model), then repair."""
        with self._lock:
            try:
                meta = storage.read_meta(self.index_dir)
            except storage.IndexCorrupt as exc:
                log.warning("index unreadable (%s); rebuilding", exc)
                meta = None
            info = self.embedder.info
            built_with = (
                (meta or {}).get("backend", "sentence-transformers"),
                (meta or {}).get("model"),
            )
            if meta is None or built_with != (info.backend, info.name):
                if meta is not None:
                    log.info(
                        "index was built with %s/%s; rebuilding for %s/%s",
                        *built_with,
                        info.backend,
                        info.name,
                    )
                return self._rebuild()
            gen = storage.current_dir(self.index_dir)
            assert gen is not None
            try:
                state = IndexState.load_from(gen)
            except Exception as exc:  # a damaged file: rebuild rather than fail to start
                log.warning("index unreadable (%s); rebuilding", exc)
                return self._rebuild()
            if state.vectors is None or state.vectors.count() != state.count():
                return self._rebuild()
            if self.embedder.loaded and state.vectors.dim != self.embedder.dim:
                return self._rebuild()
            self._state = state
            if meta.get("text_version") != text_version():
                self._relex()
            return self.sync()

    def close(self) -> None:
        """Drop the in-memory index (the saved files stay)."""
        with self._lock:
            self._state = None

    def count(self) -> int:
        """How many projects the index holds."""
        with self._lock:
            return self._state.count() if self._state else 0

    def project(self, code: str) -> ProjectPublic | None:
        """The project with this code, read from the database (None if absent)."""
        for p in self._usable(codes=[code]):
            return p
        return None

    # ------------------------------------------------------------- keeping up
    def reindex(self) -> None:
        """Rebuild everything from the database."""
        with self._lock:
            self._rebuild()

    def sync(self) -> SyncReport:
        """Compare every project with the index and repair the difference incrementally."""
        with self._lock:
            state = self._require()
            db_rows = current_hashes(self.db)
            have = state.records
            # an id now holding another code (a deleted row's id reused) is a removal + an add
            removed = [
                pid
                for pid, rec in have.items()
                if pid not in db_rows or db_rows[pid][0] != rec.code
            ]
            for pid in removed:
                state.remove(pid)
            changed = [
                pid
                for pid, (_, h) in db_rows.items()
                if (pid not in have or have[pid].hash != h) and self._skipped_hash.get(pid) != h
            ]
            new = {pid for pid in changed if pid not in have}
            self._index_projects(list(self._usable(ids=changed)) if changed else [])
            for pid in [pid for pid in changed if pid in self.skipped]:
                self._skipped_hash[pid] = db_rows[pid][1]  # not tried again until it changes
                changed.remove(pid)
            added = len(new.intersection(changed))
            report = SyncReport(added=added, updated=len(changed) - added, removed=len(removed))
            if changed or removed or not storage.exists(self.index_dir):
                self._save()
            return report

    def refresh(self, codes: Iterable[str], *, save: bool = True) -> None:
        """Re-index these projects after a catalog change; withdrawn or deleted ones leave."""
        codes = list(dict.fromkeys(c for c in codes if c))
        if not codes:
            return
        projects = list(self._usable(codes=codes))
        with self._lock:
            state = self._require()
            found = {p.code for p in projects}
            touched = False
            for code in codes:
                pid = state.code_to_id.get(code)
                if code not in found and pid is not None:
                    touched |= state.remove(pid)
            fresh = []
            for p in projects:
                if p.status != PUBLISHED:
                    touched |= state.remove(p.id)
                    continue
                old_id = state.code_to_id.get(p.code)
                if old_id is not None and old_id != p.id:
                    state.remove(old_id)
                fresh.append(p)
            stored = current_hashes(self.db, ids=[p.id for p in fresh], published_only=False)
            fresh = [
                p
                for p in fresh
                if (rec := state.records.get(p.id)) is None or rec.hash != stored[p.id][1]
            ]
            self._index_projects(fresh)
            if save and (touched or fresh):
                self._save()

    def save(self) -> None:
        """Write the index to disk now."""
        with self._lock:
            self._save()

    # ---------------------------------------------------------------- queries
    def search(
        self, query: str, *, k: int = 5, offset: int = 0, legs: frozenset[str] = ALL_LEGS
    ) -> SearchResult:
        """Projects that answer the query, best first; filters in the query are applied exactly.

        `legs` restricts the ranking to some of "lexical", "sector", "vectors" (evaluation).
        """
        raw = query if isinstance(query, str) else ""
        cleaned = strip_controls(raw).strip()
        if not cleaned:
            return SearchResult(raw, parse_query("").understanding, [], 0, "empty_query")
        k, offset = max(0, int(k)), max(0, int(offset))
        with self._lock:
            state = self._require()
        pq = parse_query(cleaned)
        if (pq.latest_batch or pq.batch_number) and state.count():
            with self._lock:
                batch = state.facets.resolve_batch(state.alive(), pq.batch_number)
            pq.understanding = replace(pq.understanding, batch=batch or "-")
        notice = "query_truncated" if pq.truncated else None
        if state.count() == 0:
            return SearchResult(raw, pq.understanding, [], 0, "empty_catalog")
        if recognise(pq, lambda t: state.lexical.df_of(t) > 0).gibberish:  # or no word at all
            return SearchResult(raw, parse_query("").understanding, [], 0, "unusable_query")
        w_dense = dense_weight(pq.content or pq.text, self.embedder.info.multilingual)
        use_dense = "vectors" in legs and w_dense > 0.05 and not pq.filter_only and bool(pq.content)
        qvec = self.embedder.encode_query(vector_query(pq)) if use_dense else None
        with self._lock:
            state = self._require()
            slots, scores = self._rank(state, pq, qvec, w_dense, legs)
            total = len(slots)
            page = slots[offset : offset + k]
            ids = state.slots_to_ids(page)
            page_scores = scores[offset : offset + k].tolist()
        projects = self._projects_by_ids(ids)
        hits = [
            Hit(projects[pid], float(s))
            for pid, s in zip(ids, page_scores, strict=True)
            if pid in projects
        ]
        if not hits and total == 0 and notice is None:
            notice = "no_results"
        return SearchResult(raw, pq.understanding, hits, total, notice)

    def similar(self, code: str, *, k: int = 5, same: str | None = None) -> list[Hit]:
        """Published projects nearest to this one in the vector index (same region/sector)."""
        with self._lock:
            pairs = similar_ids(self._require(), code, max(0, int(k)), same)
        projects = self._projects_by_ids([pid for pid, _ in pairs])
        return [Hit(projects[pid], s) for pid, s in pairs if pid in projects]

    def ask(self, question: str) -> Answer:
        """Answer a question about one project's attribute, or list the best matches."""
        return answer_question(self, question)

    # -------------------------------------------------------------- internals
    def _rank(
        self,
        state: IndexState,
        pq: ParsedQuery,
        qvec: np.ndarray | None,
        w_dense: float,
        legs: frozenset[str] = ALL_LEGS,
    ) -> tuple[np.ndarray, np.ndarray]:
        alive = state.alive()
        mask = state.facets.mask(pq, alive)
        weights, lex_share = query_weights(pq)
        known = {t: w for t, w in weights.items() if state.lexical.df_of(t) > 0}
        if "lexical" not in legs:
            known = {}
        # filters plus words the catalog does not know: the filters are the question
        only_filters = pq.understanding.has_filters and not known and not pq.sector_hits
        if pq.filter_only or (only_filters and qvec is None):
            return filter_only_order(state.facets, mask)
        n = state.lexical.slots
        lex = state.lexical.scores(known)
        sector = sector_scores(pq, n, state.sector_postings)
        dense = None
        if qvec is not None and state.vectors is not None and qvec.shape[1] == state.vectors.dim:
            ids, cos = state.vectors.search(qvec, DENSE_POOL)
            slots, pos = state.ids_to_slots(ids)
            dense = normalise_dense(
                slots,
                cos[pos],
                n,
                whole_catalog=state.vectors.count() <= DENSE_POOL,
                margin=self.embedder.info.dense_margin,
                floor=self.embedder.info.dense_floor,
            )
        if only_filters and dense is None:
            return filter_only_order(state.facets, mask)
        ranked = fuse(
            mask=mask,
            lex=lex,
            sector=sector,
            dense=dense,
            w_dense=w_dense,
            has_sectors=bool(pq.focus) and "sector" in legs,
            keep_all=only_filters,
            lex_share=lex_share,
        )
        return ranked.slots, ranked.scores

    def _require(self) -> IndexState:
        if self._state is None:
            self.open()
        assert self._state is not None
        return self._state

    def _index_projects(self, projects: list[ProjectPublic], bar: Any = None) -> None:
        """Embed and index these projects (in chunks, with progress on long runs)."""
        state = self._state
        assert state is not None
        if projects and state.vectors is not None and state.vectors.dim != self.embedder.dim:
            # the model behind the same name/path changed its dimension: start over
            log.warning(
                "index dimension %d != model's %d; rebuilding", state.vectors.dim, self.embedder.dim
            )
            self._rebuild()
            return
        own_bar = bar is None and self.progress and len(projects) > CHUNK
        if own_bar:
            bar = _progress(len(projects))
        for start in range(0, len(projects), CHUNK):
            chunk = [p for p in projects[start : start + CHUNK] if p.status == PUBLISHED]
            stored = current_hashes(self.db, ids=[p.id for p in chunk], published_only=False)
            texts = [dense_text(p, self.embedder.info.multilingual) for p in chunk]
            vecs = self.embedder.encode_passages(texts)
            if state.vectors is None:
                state.vectors = VectorStore(vecs.shape[1])
            # one vector removal for the chunk's updated projects, one batched add: a removal
            # rewrites FAISS's id map (O(n)), so doing it per project made builds quadratic
            ids = np.asarray([p.id for p in chunk], dtype=np.int64)
            updated = [p.id for p in chunk if p.id in state.records]
            if updated:
                state.vectors.remove(np.asarray(updated, dtype=np.int64))
            for p in chunk:
                record = make_record(p, self.taxonomy, stored[p.id][1])
                state.upsert(record, lexical_counts(p), None)
            state.vectors.add_new(ids, vecs)
            if bar is not None:
                bar.update(len(chunk))
        if own_bar and bar is not None:
            bar.close()

    def _rebuild(self) -> SyncReport:
        self._state = IndexState(VectorStore(self.embedder.dim))
        total = len(current_hashes(self.db)) if self.progress else 0
        bar = _progress(total) if total > CHUNK else None
        added, chunk = 0, []
        for p in self._usable():  # streamed: a large catalog never sits in memory
            if p.status == PUBLISHED:
                chunk.append(p)
            if len(chunk) == CHUNK:
                self._index_projects(chunk, bar)
                added, chunk = added + len(chunk), []
        self._index_projects(chunk, bar)
        added += len(chunk)
        if bar is not None:
            bar.close()
        self._save()
        return SyncReport(added=added, rebuilt=True)

    def _relex(self) -> None:
        """Tokenisation or taxonomy changed: rebuild BM25 and sectors, keep the vectors."""
        old = self._require()
        fresh = IndexState(old.vectors)
        for p in self._usable(ids=list(old.records)):
            if p.status == PUBLISHED:
                record = make_record(p, self.taxonomy, old.records[p.id].hash)
                fresh.upsert(record, lexical_counts(p), None)
        self._state = fresh
        self._save()

    def _save(self) -> None:
        state = self._require().compacted()
        self._state = state
        meta = {
            "backend": self.embedder.info.backend,
            "model": self.embedder.info.name,
            "dim": state.vectors.dim if state.vectors else None,
            "fingerprint": fingerprint(state.hashes()),
            "count": state.count(),
            "text_version": text_version(),
        }
        storage.save_generation(self.index_dir, meta, state.save_into)

    def _projects_by_ids(self, ids: list[int]) -> dict[int, ProjectPublic]:
        if not ids:
            return {}
        return {p.id: p for p in self._usable(ids=ids) if p.status == PUBLISHED}


def _progress(total: int) -> Any:
    """A tqdm bar for long indexing runs."""
    from tqdm import tqdm

    return tqdm(total=total, desc="indexing projects", unit="project")
