"""Which project a question names: its mention resolved tolerantly against names, English
names, owners and regions (missing or extra words, a county instead of the full name, a typo).

The candidates come from the engine's own search, run on the whole question and on the
mention alone (a question's fact words such as 特许经营 would otherwise act as filters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from catalog.models import ProjectPublic
from index.understanding.facts import (
    COOPERATION,
    EN_ASKING,
    EVENTS,
    FIELD_KINDS,
    KINDS,
    PRIVATE_CAPITAL,
    TERM_WORDS,
    YES_NO,
)
from index.understanding.text import cjk_fraction, normalize, tokenize

if TYPE_CHECKING:
    from index.engine import SearchEngine

POOL = 10
MIN_COVER = 0.34  # share of the mention's bigrams a project must hold
LOW_COVER = 0.2  # ... or this share when it holds two or more (the rest asks about a fact)
CATEGORY = 3  # this many rivals as close as the best: the mention names a kind of project
SURE = 0.7  # a project holding this much of the mention is it, whatever jieba made of a typo
CLOSE = 0.9  # a runner-up this close to the best is named beside it
# words that ask rather than name (removed from the mention before matching)
ASKING = (
    r"多少|多长|多大|多久|多远|几|是什么|什么时候|什么|何时|哪里|哪儿|哪个|哪些|哪|请问|我想知道|"
    r"告诉我|大概|大约|目前|现在|可以|能否|是否|有没有|要建|需要|一年|一天|每年|每天|每日|全年|吗|呢|啊|吧|呀|"
    r"项目|工程|那个|这个|那边|这边|的|是|有|要|在|了|\?|？|，|。"
)


@dataclass(frozen=True)
class Resolution:
    """The project a question is about: `best`, close rivals in `others`, or none."""

    best: ProjectPublic | None
    others: list[ProjectPublic] = field(default_factory=list)
    candidates: list[ProjectPublic] = field(default_factory=list)  # every plausible match
    mention: str = ""  # the words taken to name the project
    category: bool = False  # the words fit many projects alike: no one project is meant


def _short_gap(match: re.Match[str]) -> str:
    """A fact word becomes a gap; a long match (how long ... concession) may hold the name."""
    return " " if len(match.group()) <= 12 else match.group()


def mention(question: str) -> str:
    """The question without its asking words and fact words: what is left names the project."""
    norm = normalize(question)
    for pattern in [p for _, p in FIELD_KINDS] + [k.question for k in KINDS]:
        norm = re.sub(pattern, _short_gap, norm)
    facts = f"{PRIVATE_CAPITAL}|{COOPERATION}|{YES_NO}|{TERM_WORDS}|{EVENTS}"
    norm = re.sub(facts, _short_gap, norm)
    norm = re.sub(ASKING, " ", norm)
    words = [w for w in re.split(r"[^\w'\-]+", norm) if w and w not in EN_ASKING]
    return " ".join(words).strip()


def _cjk_words(text: str) -> list[str]:
    """The mention's Chinese words; runs of single characters jieba cannot place (罩式炉, 贝尔)
    are joined back, for such a run is usually a name."""
    words: list[str] = []
    run = ""
    terms = []
    for chunk in text.split():  # a run never spans a gap (叉车厂 钱)
        terms += [t for t in tokenize(chunk) if not t.startswith("~")] + [""]
    for term in terms:
        if len(term) == 1 and cjk_fraction(term) == 1.0:
            run += term
            continue
        if len(run) >= 2:
            words.append(run)
        run = ""
        if len(term) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", term):
            words.append(term)
    return words


def _word_grams(word: str) -> set[str]:
    return {word} if len(word) <= 2 else {word[i : i + 2] for i in range(len(word) - 1)}


def _grams(text: str) -> set[str]:
    """Bigrams inside the Chinese words (not across them) and English word stems."""
    grams: set[str] = set()
    for word in _cjk_words(text):
        grams |= _word_grams(word)
    grams |= {_stem(w) for w in re.findall(r"[a-z0-9']{2,}", text) if w not in EN_ASKING}
    return grams


def _text_grams(text: str) -> set[str]:
    grams: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        grams |= {run[i : i + 2] for i in range(len(run) - 1)}
    grams |= {_stem(w) for w in re.findall(r"[a-z0-9']{2,}", text)}
    return grams


def _stem(word: str) -> str:
    return word.replace("'", "")[:5]


def _own_words(p: ProjectPublic) -> str:
    return normalize(" ".join(x for x in (p.name, p.name_en, p.owner, p.region, *p.tags) if x))


def cover(mention_text: str, p: ProjectPublic) -> tuple[float, int]:
    """The share (and number) of the mention's bigrams and English word stems the project holds.

    Bigrams make a missing or extra word, or a typo, cost a little instead of everything.
    """
    grams = _grams(mention_text)
    if not grams:
        return 0.0, 0
    held = len(grams & _text_grams(_own_words(p)))
    return held / len(grams), held


def _names(question: str) -> list[str]:
    """Words of the mention that look like names: Chinese words, capitalised English words."""
    said = mention(question)
    english = re.findall(r"(?<!^)(?<![.?!] )\b[A-Z][a-z']+", question.strip())
    stems = [_stem(w.lower()) for w in english if w.lower() not in EN_ASKING]
    return _cjk_words(said) + [s for s in stems if s in _grams(said)]


def _names_present(question: str, p: ProjectPublic) -> bool:
    """Every name-like word of the question (火星, 贝尔, Mars) stands in the project's record.

    A word found nowhere in the record names another project, one the catalog does not hold.
    """
    fields = (_own_words(p), p.summary, p.summary_en, " ".join(p.tags))
    text = _text_grams(normalize(" ".join(x for x in fields if x)))
    names = _names(question)
    for word in names:
        if any(word != other and word in other for other in names):
            continue  # 电厂 inside 发电厂: the longer word decides
        grams = _word_grams(word) if cjk_fraction(word) == 1.0 else {word}
        if not grams & text:
            return False
    return True


def resolve(engine: SearchEngine, question: str) -> Resolution:
    """The project the question asks about, tolerant of partial names; None when none fits."""
    said = mention(question)
    pool: dict[str, tuple[ProjectPublic, int]] = {}
    for query in dict.fromkeys(q for q in (said, question) if q.strip()):
        result = engine.search(query, k=POOL)
        for rank, hit in enumerate(result.hits):
            code = hit.project.code
            if code not in pool or pool[code][1] > rank:
                pool[code] = (hit.project, rank)
    if not said or not pool:
        return Resolution(None, mention=said)
    scored = []
    for p, rank in pool.values():
        share, held = cover(said, p)
        plausible = share >= MIN_COVER or (share >= LOW_COVER and held >= 2)
        if plausible and (share >= SURE or _names_present(question, p)):
            scored.append((share + 0.02 / (1 + rank), p))
    if not scored:
        return Resolution(None, mention=said)
    scored.sort(key=lambda sp: -sp[0])
    top = scored[0][0]
    others = [p for s, p in scored[1:] if s >= CLOSE * top]
    if len(others) >= CATEGORY:
        # many projects hold the words equally (风电, solar): a category, not a name
        return Resolution(None, [], [p for _, p in scored], said, category=True)
    return Resolution(scored[0][1], others, [p for _, p in scored], said)
