"""How much of a query the parser recognised: the line between a search and gibberish.

Every letter, digit and Chinese character of the (normalised) query is either recognised or
not. Recognised are what the parser took out as a filter, place, sector, field or investor
word; in what is left, words of jieba's Chinese dictionary and of an English one, the stop and
function words, numbers, and words the catalog itself holds (a project name's parts, an English
summary's words). A lone Latin letter, a Chinese character outside any word and a string of
letters no dictionary knows are not.

A query is gibberish when it holds unknown text and nothing meaningful was recognised (only
function words around it: "show me yooq"), or when less than MIN_SHARE of it was recognised
(3,000 random characters, where a sector word or two turns up by chance). Nothing here knows a
particular query; the figures are shares of characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from index.understanding.query import FUNCTION_CHARS, GENERIC, ParsedQuery
from index.understanding.text import (
    CJK_RE,
    STOPWORDS,
    WORD_RE,
    dictionary_words,
    is_english_word,
    stem,
)

# A search is a request in words: when less than half of its characters belong to anything
# known, the rest is not a request the catalog can answer.
MIN_SHARE = 0.5
# Random letters make a dictionary word now and then: a third of all two-letter strings are
# in the English dictionary, 6% of three-letter ones; the dictionary counts from three.
MIN_WORD = 3
NUMBER = re.compile(r"[\d.+\-/]*\d[\d.+\-/]*")  # 2024, 3.5, 0351-5550100
_CJK_RUN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")


@dataclass(frozen=True)
class Recognition:
    """Characters of a query: all that count, those recognised, and whether any of those was
    more than a function word."""

    total: int
    known: int
    meaningful: bool

    @property
    def share(self) -> float:
        return self.known / self.total if self.total else 1.0

    @property
    def gibberish(self) -> bool:
        """Nothing to read (only emoji or punctuation), or too little of it recognised."""
        unknown = self.total - self.known
        return not self.total or (unknown > 0 and (not self.meaningful or self.share < MIN_SHARE))


def _chars(text: str) -> int:
    """Letters, digits and Chinese characters (what a query is made of)."""
    return sum(1 for ch in text if ch.isalnum() or CJK_RE.match(ch))


def _scaffold(word: str) -> bool:
    """A word that frames a request without naming anything (的, 有没有, show, the)."""
    return word in STOPWORDS or word in GENERIC or all(ch in FUNCTION_CHARS for ch in word)


def recognise(pq: ParsedQuery, knows: Callable[[str], bool]) -> Recognition:
    """How much of `pq` was recognised; `knows(token)`: the catalog holds the search token."""
    total = _chars(pq.text)
    known = total - _chars(pq.leftover)  # taken by filters, places, sectors, field words
    u = pq.understanding
    meaningful = bool(
        u.has_filters or pq.sector_hits or pq.soft_terms or pq.latest_batch or pq.batch_number
    )
    for chunk in _CJK_RUN.split(pq.leftover):
        if not chunk:
            continue
        if _CJK_RUN.fullmatch(chunk):
            for word in dictionary_words(chunk):
                if _scaffold(word):
                    known += len(word)
                elif len(word) > 1 or knows(word):  # a dictionary word, or one the catalog has
                    known += len(word)
                    meaningful = True
            continue
        for word in WORD_RE.findall(chunk):
            size = _chars(word)
            if _scaffold(word) or NUMBER.fullmatch(word):
                known += size
            elif knows(stem(word)) or (len(word) >= MIN_WORD and is_english_word(word)):
                known += size
                meaningful = True
    return Recognition(total=total, known=min(known, total), meaningful=meaningful)
