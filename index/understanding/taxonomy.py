"""The sector taxonomy: sectors, their Chinese/English terms and broader sectors."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from index.understanding.text import CJK_RE, is_known_word, normalize

DATA = Path(__file__).with_name("data") / "taxonomy.json"
LATIN_WORD = re.compile(r"[a-z0-9](?:[a-z0-9+&.\-]*[a-z0-9+])?")

# How strongly a term found in each field ties a project to a sector.
# a sector word right before one of these in a project's name, after another sector word,
# qualifies the place rather than naming a sector: 生态 in "半导体生态科技港" (unless the
# industry or tags agree)
NAME_PLACE_SUFFIX = re.compile(r"(?:科技|产业|创新|双创)?(?:港|城|谷|园|园区|小镇|新城|基地)")
FIELD_STRENGTH = {
    "industry": 1.0,
    "name": 1.0,
    "tags": 0.7,
    "name_en": 0.8,
    "summary": 0.35,
    "summary_en": 0.3,
}


class ProjectLike(Protocol):
    name: str
    name_en: str | None
    industry: str | None
    tags: list[str]
    summary: str
    summary_en: str | None


@dataclass(frozen=True)
class Sector:
    key: str
    zh: str
    en: str
    terms: list[str]
    broader: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TermHit:
    start: int
    end: int
    term: str
    sectors: tuple[str, ...]
    fuzzy: bool = False


class Taxonomy:
    """Sectors and a matcher that finds their terms in text (longest term first)."""

    def __init__(self, sectors: list[Sector]) -> None:
        self.sectors = sectors
        self.by_key = {s.key: s for s in sectors}
        self.term_sectors: dict[str, list[str]] = {}
        for s in sectors:
            for term in dict.fromkeys([s.zh.lower(), *(normalize(t) for t in s.terms)]):
                self.term_sectors.setdefault(term, []).append(s.key)
        # Chinese terms: a dictionary scan (longest first at each position); Latin: one regex
        self._lengths_by_first: dict[str, list[int]] = {}
        for term in self.term_sectors:
            if not (term[0].isascii() and term[0].isalnum()):
                lengths = self._lengths_by_first.setdefault(term[0], [])
                if len(term) not in lengths:
                    lengths.append(len(term))
                    lengths.sort(reverse=True)
        self._phrases: dict[str, str] = {}  # Latin terms by their words joined with spaces
        for term in self.term_sectors:
            if term[0].isascii() and term[0].isalnum():
                self._phrases[" ".join(LATIN_WORD.findall(term))] = term
        self._max_words = max((p.count(" ") + 1 for p in self._phrases), default=1)
        self._ancestors: dict[str, frozenset[str]] = {}
        self._pinyin_index: dict[tuple[str, ...], str] | None = None

    def ancestors(self, key: str) -> frozenset[str]:
        """The sector itself and every broader sector above it."""
        if key not in self._ancestors:
            seen: set[str] = set()
            todo = [key]
            while todo:
                k = todo.pop()
                if k in seen or k not in self.by_key:
                    continue
                seen.add(k)
                todo.extend(self.by_key[k].broader)
            self._ancestors[key] = frozenset(seen)
        return self._ancestors[key]

    def narrower(self, key: str) -> list[str]:
        """Every sector below `key` (and `key` itself)."""
        return [s.key for s in self.sectors if key in self.ancestors(s.key)]

    def find(self, text: str) -> list[TermHit]:
        """Terms of any sector in normalised text, leftmost-longest, without overlaps."""
        hits: list[TermHit] = []
        i, n = 0, len(text)
        while i < n:
            step = 1
            for length in self._lengths_by_first.get(text[i], ()):
                term = text[i : i + length]
                keys = self.term_sectors.get(term) if len(term) == length else None
                if keys:
                    hits.append(TermHit(i, i + length, term, tuple(keys)))
                    step = length
                    break
            i += step
        if not any("a" <= c <= "z" or "0" <= c <= "9" for c in text):
            return hits
        words = [(m.start(), m.end(), m.group(0)) for m in LATIN_WORD.finditer(text)]
        j = 0
        while j < len(words):
            step = 1
            for count in range(min(self._max_words, len(words) - j), 0, -1):
                phrase = " ".join(w for _, _, w in words[j : j + count])
                latin = self._latin_term(phrase)
                if latin:
                    start, end = words[j][0], words[j + count - 1][1]
                    hits.append(TermHit(start, end, latin, tuple(self.term_sectors[latin])))
                    step = count
                    break
            j += step
        return sorted(hits, key=lambda h: h.start)

    def _latin_term(self, phrase: str) -> str | None:
        """The Latin term a phrase spells, allowing a plural on its last word."""
        for form in (
            phrase,
            phrase[:-1] if phrase.endswith("s") else "",
            phrase[:-2] if phrase.endswith("es") else "",
        ):
            if form and form in self._phrases:
                return self._phrases[form]
        return None

    def find_fuzzy(self, text: str, taken: list[tuple[int, int]]) -> list[TermHit]:
        """Homophone typos of Chinese terms (光付 -> 光伏): same pinyin, not a real word."""
        from pypinyin import lazy_pinyin

        if self._pinyin_index is None:
            index: dict[tuple[str, ...], str] = {}
            for term in self.term_sectors:
                if 2 <= len(term) <= 4 and all(CJK_RE.match(c) for c in term):
                    index.setdefault(tuple(lazy_pinyin(term)), term)
            self._pinyin_index = index
        hits: list[TermHit] = []
        for chunk in re.finditer(r"[\u3400-\u9fff]{2,}", text):
            s = chunk.group(0)
            py = lazy_pinyin(s)
            i = 0
            while i < len(s) - 1:
                found = None
                for n in (4, 3, 2):
                    if i + n > len(s):
                        continue
                    start = chunk.start() + i
                    if any(a < start + n and start < b for a, b in taken):
                        continue
                    word = s[i : i + n]
                    term = self._pinyin_index.get(tuple(py[i : i + n])) or ""
                    if term and term != word and not is_known_word(word):
                        found = TermHit(
                            start, start + n, term, tuple(self.term_sectors[term]), fuzzy=True
                        )
                        break
                if found:
                    hits.append(found)
                    i += found.end - found.start
                else:
                    i += 1
        return hits

    def expand(self, text: str) -> list[str]:
        """Sector keys named in `text`, plus every narrower sector (绿色电力 -> 光伏, 风电 ...)."""
        keys: list[str] = []
        for hit in self.find(normalize(text)):
            for k in hit.sectors:
                keys.extend(self.narrower(k))
        return list(dict.fromkeys(keys))

    def strengths(self, project: ProjectLike) -> dict[str, float]:
        """Sector key -> how strongly the project belongs to it (broader sectors included)."""
        out: dict[str, float] = {}
        fields = {
            "industry": project.industry or "",
            "name": project.name,
            "tags": " | ".join(project.tags or []),
            "name_en": project.name_en or "",
            "summary": project.summary or "",
            "summary_en": project.summary_en or "",
        }
        confirmed = {
            a
            for raw in (fields["industry"], fields["tags"])
            for hit in self.find(normalize(raw))
            for k in hit.sectors
            for a in self.ancestors(k)
        }
        for fname, raw in fields.items():
            if not raw:
                continue
            strength = FIELD_STRENGTH[fname]
            text = normalize(raw)
            hits = self.find(text)
            for i, hit in enumerate(hits):
                if (
                    fname == "name"
                    and i > 0  # an earlier word of the name already names a sector
                    and NAME_PLACE_SUFFIX.match(text, hit.end)
                    and not any(confirmed.intersection(self.ancestors(k)) for k in hit.sectors)
                ):
                    continue  # a qualifier of the park's name, not its sector
                for k in hit.sectors:
                    for a in self.ancestors(k):
                        if out.get(a, 0.0) < strength:
                            out[a] = strength
        return out

    def sector_of(self, project: ProjectLike) -> list[str]:
        """The sectors a project belongs to (from its industry, name, tags; broader included)."""
        return [k for k, v in self.strengths(project).items() if v >= 0.7]

    def all_terms(self) -> list[str]:
        """Every term (to teach the tokenizer compound words)."""
        return list(self.term_sectors)

    def label(self, key: str, lang: str = "zh") -> str:
        """Display name of a sector."""
        s = self.by_key.get(key)
        if s is None:
            return key
        return s.zh if lang.startswith("zh") else s.en


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The packaged taxonomy (index/understanding/data/taxonomy.json), loaded once."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    sectors = [
        Sector(s["key"], s["zh"], s["en"], list(dict.fromkeys(s["terms"])), s.get("broader", []))
        for s in raw["sectors"]
    ]
    return Taxonomy(sectors)
