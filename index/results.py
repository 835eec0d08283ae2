"""What the search engine hands out: hits, search results, answers, sync reports."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from catalog.models import ProjectPublic
from index.understanding.understood import Understanding


@dataclass(frozen=True)
class Hit:
    project: ProjectPublic
    score: float


@dataclass(frozen=True)
class SearchResult:
    query: str
    understanding: Understanding
    hits: list[Hit]
    total: int
    notice: str | None = None


@dataclass(frozen=True)
class Answer:
    """What the domain says to a question; bot/ words it from the locale files.

    kind "attribute": `projects[0]` is the project asked about, `field` the record attribute
    (or "summary" for a fact quoted from a sentence), `value` the figure as the record gives
    it, `sentence` the sentence quoted, `fact` the kind of fact asked (length, duration...).
    `stated` is False when the record does not hold the fact: `value` is None then.
    `others` are further projects that matched the question about as well.
    kind "list": `projects` are matches and `which` says the question asked about one of them.
    kind "none": `notice` says why ("empty_catalog", "no_match", "unknown_project").
    """

    question: str
    kind: str  # "attribute" | "list" | "none"
    projects: list[ProjectPublic]
    field: str | None = None
    value: str | None = None
    lang: str = "zh"
    fact: str | None = None
    sentence: str | None = None
    stated: bool = True
    others: list[ProjectPublic] = dataclasses.field(default_factory=list)
    total: int = 0
    which: bool = False
    notice: str | None = None


@dataclass(frozen=True)
class SyncReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    rebuilt: bool = False
