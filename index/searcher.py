"""What answering a question needs of the search engine: search, the count, the encoder.

`index.engine.SearchEngine` is one; `index.answer` and `index.resolve` take this protocol, so
they do not import the engine that calls them (no cycle).
"""

from __future__ import annotations

from typing import Protocol

from index.results import SearchResult
from index.store.embedder import Embedder


class Searcher(Protocol):
    embedder: Embedder

    def search(self, query: str, *, k: int = 5) -> SearchResult:
        """Projects that answer the query, best first."""
        ...

    def count(self) -> int:
        """How many projects are indexed."""
        ...

    @property
    def repairing(self) -> bool:
        """Whether a first build or a repair is still under way (results may be partial)."""
        ...
