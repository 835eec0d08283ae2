"""The search engine: answers queries over the index that IndexKeeper keeps in step."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from catalog.models import PUBLISHED, ProjectPublic
from index.answer import answer_question
from index.keeper import IndexKeeper
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
from index.results import Answer, Hit, SearchResult
from index.similar import similar_ids
from index.store.state import IndexState
from index.understanding.query import ParsedQuery, parse_query
from index.understanding.recognised import recognise
from index.understanding.text import strip_controls

log = logging.getLogger(__name__)


class SearchEngine(IndexKeeper):
    """Hybrid search over the catalog; see notes/index-api.md for the contract."""

    def project(self, code: str) -> ProjectPublic | None:
        """The project with this code, read from the database (None if absent)."""
        for p in self._usable(codes=[code]):
            return p
        return None

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
        state = self._require()  # (never under the state lock: opening takes the writer lock)
        pq = parse_query(cleaned)
        if (pq.latest_batch or pq.batch_number) and state.count():
            with self._lock:
                batch = state.facets.resolve_batch(state.alive(), pq.batch_number)
            pq.understanding = replace(pq.understanding, batch=batch or "-")
        notice = "query_truncated" if pq.truncated else None
        if self.repairing and notice is None:
            notice = "indexing"  # a first build or a repair is under way: results may be partial
        if state.count() == 0:
            return SearchResult(raw, pq.understanding, [], 0, notice or "empty_catalog")
        if recognise(pq, lambda t: state.lexical.df_of(t) > 0).gibberish:  # or no word at all
            return SearchResult(raw, parse_query("").understanding, [], 0, "unusable_query")
        w_dense = dense_weight(pq.content or pq.text, self.embedder.info.multilingual)
        use_dense = "vectors" in legs and w_dense > 0.05 and not pq.filter_only and bool(pq.content)
        qvec = self.embedder.encode_query(vector_query(pq)) if use_dense else None
        with self._lock:
            state = self._state or state
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
        state = self._require()
        with self._lock:
            pairs = similar_ids(self._state or state, code, max(0, int(k)), same)
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

    def _projects_by_ids(self, ids: list[int]) -> dict[int, ProjectPublic]:
        if not ids:
            return {}
        return {p.id: p for p in self._usable(ids=ids) if p.status == PUBLISHED}
