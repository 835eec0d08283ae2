"""Fusion of the legs: BM25, taxonomy sectors and (where the model reads the query) vectors."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.store.facets import Facets
from index.understanding.query import ParsedQuery
from index.understanding.text import cjk_fraction, tokenize

W_LEX = 1.0
W_SECTOR = 1.0
W_DENSE = 0.8
BIGRAM_WEIGHT = 0.5
SECTOR_TERM_WEIGHT = 0.5
LEX_FLOOR = 0.2  # lexical leg weight when the query is nothing but sector vocabulary
DENSE_POOL = 300
ALL_LEGS = frozenset({"lexical", "sector", "vectors"})
KEEP_RELATIVE = 0.2  # results below this share of the best score are dropped


@dataclass(frozen=True)
class Ranked:
    slots: np.ndarray
    scores: np.ndarray


def dense_weight(query: str, multilingual: bool) -> float:
    """How far to trust the vector leg: an English-only model gets nothing from Chinese text."""
    if multilingual:
        return 1.0
    return max(0.0, 1.0 - cjk_fraction(query)) ** 2


def vector_query(pq: ParsedQuery) -> str:
    """The text the vector leg encodes: a Chinese query's content words, else its content.

    Filler around Chinese content ("想投点跟…有关的") dilutes a sentence vector; the words the
    parser kept (filters and question scaffolding gone) carry the meaning. English keeps its
    whole phrase, which the encoder reads better than stems.
    """
    if cjk_fraction(pq.content) < 0.5:
        return pq.content
    words = [t for t in pq.tokens if not t.startswith("~")] + pq.sector_terms
    return " ".join(dict.fromkeys(words)) or pq.content


def query_weights(pq: ParsedQuery) -> tuple[dict[str, float], float]:
    """BM25 query terms and the share of them that is not taxonomy vocabulary.

    Words count fully and character bigrams half; the sector terms the query used and
    'near X' places count half (the sector leg already stands for them).
    """
    weights: dict[str, float] = {}

    def put(token: str, w: float) -> None:
        if token.startswith("~"):
            w *= BIGRAM_WEIGHT
        weights[token] = max(weights.get(token, 0.0), w)

    for t in pq.tokens:
        put(t, 1.0)
    own = sum(weights.values())
    for term in pq.sector_terms:
        for t in tokenize(term):
            put(t, SECTOR_TERM_WEIGHT)
    for place in pq.soft_terms:
        put(place, SECTOR_TERM_WEIGHT)
    total = sum(weights.values())
    return weights, (own / total if total else 0.0)


def sector_scores(
    pq: ParsedQuery, n: int, postings: Callable[[str], tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """Per slot: the strongest tie to any (most specific) sector the query names."""
    out = np.zeros(n, dtype=np.float32)
    for key, factor in pq.focus.items():
        slots, strength = postings(key)
        if len(slots):
            np.maximum.at(out, slots, strength * factor)
    return out


def fuse(
    *,
    mask: np.ndarray,
    lex: np.ndarray,
    sector: np.ndarray,
    dense: np.ndarray | None,
    w_dense: float,
    has_sectors: bool,
    lex_share: float = 1.0,
    keep_all: bool = False,
) -> Ranked:
    """Score-normalised fusion over the slots that pass the filters."""
    cand = np.flatnonzero(mask)
    if not len(cand):
        return Ranked(cand, np.zeros(0, dtype=np.float32))
    lx = lex[cand]
    top = float(lx.max()) if len(lx) else 0.0
    lex_n = lx / top if top > 0 else np.zeros_like(lx)
    w_lex = W_LEX * (LEX_FLOOR + (1.0 - LEX_FLOOR) * lex_share) if has_sectors else W_LEX
    total = w_lex * lex_n
    if has_sectors:
        total = total + W_SECTOR * sector[cand]
    if dense is not None and w_dense > 0:
        total = total + W_DENSE * w_dense * dense[cand]
    best = float(total.max()) if len(total) else 0.0
    if best <= 0 and not keep_all:
        return Ranked(cand[:0], np.zeros(0, dtype=np.float32))
    keep = total >= (-1.0 if keep_all else max(best * KEEP_RELATIVE, 1e-6))
    cand, total = cand[keep], total[keep]
    order = np.lexsort((cand, -total))
    return Ranked(cand[order], total[order].astype(np.float32))


def normalise_dense(
    slots: np.ndarray,
    cos: np.ndarray,
    n: int,
    *,
    whole_catalog: bool,
    margin: float,
    floor: float,
) -> np.ndarray | None:
    """Vector scores mapped to 0..1 above a reference level; None when nothing stands out.

    The reference is the pool's median when the pool is the whole catalog, else the weakest
    score in the pool. A best match less than `margin` above it means the model does not
    recognise the query (gibberish, off-topic): the leg then stays silent.
    """
    if not len(slots):
        return None
    hi = float(cos.max())
    ref = float(np.median(cos)) if whole_catalog else float(cos.min())
    if hi < floor or hi - ref < margin:
        return None
    out = np.zeros(n, dtype=np.float32)
    out[slots] = np.clip((cos - ref) / (hi - ref), 0.0, 1.0)
    return out


def filter_only_order(facets: Facets, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Everything that passes the filters: newest batch first, then larger investment."""
    slots = np.flatnonzero(mask)
    if not len(slots):
        return slots, np.zeros(0, dtype=np.float32)
    values = facets.interners["batch"].values
    rank_of = np.zeros(len(values) + 1, dtype=np.int64)  # index -1 (no batch) ranks lowest
    for r, i in enumerate(sorted(range(len(values)), key=lambda i: _batch_key(values[i]))):
        rank_of[i] = r + 1
    batch_rank = rank_of[facets.cols["batch"][slots]]
    invest = np.nan_to_num(facets.inv[slots], nan=0.0)
    order = np.lexsort((slots, -invest, -batch_rank))
    return slots[order], np.ones(len(order), dtype=np.float32)


def _batch_key(batch: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", batch or "")) or (0,)
