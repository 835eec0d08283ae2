"""Search: query understanding, hybrid retrieval (BM25 + sectors + vectors), answers."""

from index.engine import SearchEngine
from index.results import Answer, Hit, SearchResult, SyncReport, Understanding
from index.understanding.money import format_cny
from index.understanding.regions import match_region, province_of
from index.understanding.taxonomy import Sector, Taxonomy, load_taxonomy

__all__ = [
    "Answer",
    "Hit",
    "SearchEngine",
    "SearchResult",
    "Sector",
    "SyncReport",
    "Taxonomy",
    "Understanding",
    "format_cny",
    "load_taxonomy",
    "match_region",
    "province_of",
]
