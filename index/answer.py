"""Answers to investors' questions: one project's attribute or fact, or a short list of matches.

The domain returns a structured `Answer` (project, field or sentence, value, kind of fact);
bot/ words it from the locale files. No answer prose is built here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from catalog.models import ProjectPublic
from index.resolve import resolve
from index.results import Answer
from index.searcher import Searcher
from index.understanding.facts import AMOUNT_CLAUSE, Fact, find_fact, question_kind, yes_no_fact
from index.understanding.money import format_cny
from index.understanding.query import query_lang
from index.understanding.text import normalize

LIST_SIZE = 5
OTHERS = 3
FIELDS = (
    "investment_cny",
    "private_capital_cny",
    "contact",
    "owner",
    "cooperation",
    "stage",
    "region",
    "batch",
    "published_on",
)


def field_value(p: ProjectPublic, fname: str, lang: str) -> str | None:
    """A record attribute as the answer quotes it (amounts in 亿元/万元 or million yuan)."""
    if fname in ("private_capital_cny", "investment_cny"):
        amount = getattr(p, fname)
        return format_cny(amount, lang) if amount is not None else None
    if fname == "published_on":
        return p.published_on.isoformat() if p.published_on else None
    if fname == "batch":
        return p.batch + (f" ({p.published_on.isoformat()})" if p.published_on else "")
    value = getattr(p, fname)
    return str(value) if value else None


def _similarity(engine: Searcher, question: str) -> Callable[[list[str]], list[float]]:
    """Embedding similarity of the question with sentences, through the engine's embedder."""

    def sims(sentences: list[str]) -> list[float]:
        try:
            q = np.asarray(engine.embedder.encode_query(question), dtype=np.float32).ravel()
            s = np.asarray(engine.embedder.encode_passages(sentences), dtype=np.float32)
        except Exception:  # no model at hand: units and shared words decide alone
            return [0.0] * len(sentences)
        norms = np.linalg.norm(s, axis=1) * (np.linalg.norm(q) or 1.0)
        return [float(v) for v in (s @ q) / np.where(norms == 0, 1.0, norms)]

    return sims


def _fact(
    engine: Searcher,
    question: str,
    kind: str,
    p: ProjectPublic,
    lang: str,
    *,
    require: str | None = None,
) -> Fact | None:
    """The fact from the summary in the question's language first, then the other one."""
    # an English question may need the Chinese summary; a Chinese one is answered in Chinese
    texts = [p.summary_en or "", p.summary] if lang == "en" else [p.summary]
    ignore = " ".join(x for x in (p.name, p.name_en, p.region) if x)
    sims = _similarity(engine, question)
    for text in texts:
        if not text:
            continue
        if kind == "yes_no":
            found = yes_no_fact(question, [text], ignore=ignore)
        else:
            found = find_fact(
                question, kind, [text], ignore=ignore, similarity=sims, require=require
            )
        if found is not None:
            return found
    return None


def _listing(engine: Searcher, question: str, lang: str, *, which: bool) -> Answer:
    result = engine.search(question, k=LIST_SIZE)
    if result.notice == "empty_catalog" or (result.notice == "indexing" and not result.hits):
        return Answer(question, "none", [], lang=lang, notice=result.notice)
    if not result.hits:
        return Answer(question, "none", [], lang=lang, notice="no_match")
    projects = [h.project for h in result.hits]
    return Answer(question, "list", projects, lang=lang, total=result.total, which=which)


def answer_question(engine: Searcher, question: str) -> Answer:
    """What the bot says to a free-text question."""
    norm = normalize(question or "")
    lang = query_lang(norm)
    if engine.count() == 0:
        notice = "indexing" if engine.repairing else "empty_catalog"
        return Answer(question, "none", [], lang=lang, notice=notice)
    kind = question_kind(norm)
    if kind is None:
        return _listing(engine, question, lang, which=False)
    found = resolve(engine, question)
    p = found.best
    if p is None and found.mention and not found.category:
        # a name the catalog does not hold: say so, not another project's figure
        return Answer(
            question, "none", [], lang=lang, notice="unknown_project", value=found.mention
        )
    if p is None:
        return _listing(engine, question, lang, which=True)
    others = found.others[:OTHERS]
    if kind in FIELDS:
        value = field_value(p, kind, lang)
        if value is None and kind in AMOUNT_CLAUSE:  # the amount may stand in the summary
            stated = _fact(engine, norm, "amount", p, lang, require=AMOUNT_CLAUSE[kind])
            if stated is not None:
                return Answer(
                    question,
                    "attribute",
                    [p],
                    field="summary",
                    value=stated.value,
                    lang=lang,
                    fact=kind,
                    sentence=stated.sentence,
                    others=others,
                )
        return Answer(
            question,
            "attribute",
            [p],
            field=kind,
            value=value,
            lang=lang,
            fact=kind,
            stated=value is not None,
            others=others,
        )
    fact = _fact(engine, norm, kind, p, lang)
    return Answer(
        question,
        "attribute",
        [p],
        field="summary",
        value=fact.value if fact else None,
        lang=lang,
        fact=kind,
        sentence=fact.sentence if fact else None,
        stated=fact is not None,
        others=others,
    )
