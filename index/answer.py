"""Answers to investors' questions: one project's attribute, or a short list of matches."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from catalog.models import ProjectPublic
from index.money import format_cny
from index.query import query_lang
from index.results import Answer, Hit
from index.text import cjk_fraction, normalize, tokenize

if TYPE_CHECKING:
    from index.engine import SearchEngine

LIST_SIZE = 5
CONFIDENT_RATIO = 1.15

# (field, pattern in the normalised question); first match wins
FIELD_INTENTS: list[tuple[str, str]] = [
    (
        "private_capital_cny",
        r"民间资本|社会资本|民资|民营资本|引资|private (?:capital|investment|"
        r"funding|investors? (?:put|invest))",
    ),
    ("contact", r"联系|电话|联络|怎么找|对接|contact|phone|reach|email|get in touch"),
    (
        "owner",
        r"谁在负责|谁负责|负责单位|业主|建设单位|牵头|实施主体|运营方|owner|who (?:runs|owns|"
        r"manages|is responsible|is behind|leads)|which company|responsible",
    ),
    (
        "cooperation",
        r"合作方式|合作模式|怎么合作|如何合作|怎么参与|如何参与|合作形式|cooperation|"
        r"partnership (?:mode|model)|how can (?:i|we) (?:invest|take part|participate)|"
        r"deal structure",
    ),
    ("stage", r"进展|阶段|进度|哪一步|建到|建设情况|现在怎么样|stage|progress|status"),
    ("region", r"在哪里|在哪儿|在哪|什么地方|位置|where is|located|location"),
    ("batch", r"哪一批|哪批|批次|which batch|what batch"),
    (
        "investment_cny",
        r"总投资|投资额|投资规模|投多少|投资多少|多少钱|总额|total investment|how much "
        r"(?:does it|will it|is the)?\s*(?:cost|invest)|how big is the investment|investment size|"
        r"how much money",
    ),
]
# questions answered by a sentence of the summary: cue words to look for in that sentence
SENTENCE_INTENTS: list[tuple[str, tuple[str, ...]]] = [
    (
        r"特许经营期|经营期|经营权期限|期限|多少年|几年|how long|concession period|concession term|"
        r"how many years|term of",
        ("经营期", "特许经营期", "期限", "年", "concession", "years", "year"),
    ),
    (
        r"收益率|回报|irr|return|yield|收益|payback|回收期",
        ("收益率", "irr", "回报", "收益", "return", "yield", "payback"),
    ),
    (
        r"并网|投运|投产|什么时候|何时|完工|when|commission|online|complete",
        ("并网", "投运", "投产", "建成", "年", "月", "online", "commission", "complet", "by 20"),
    ),
]


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[。！？；!?;])|(?<=\.)\s+", text or "")
    return [p.strip() for p in parts if p and p.strip()]


def best_sentence(question: str, summary: str, cues: tuple[str, ...] = ()) -> str | None:
    """The summary sentence that best answers the question (cue words, shared words, figures)."""
    qtokens = set(tokenize(normalize(question)))
    best, best_score = None, 0.0
    for sent in _sentences(summary):
        norm = normalize(sent)
        score = 2.0 * sum(1 for c in cues if c in norm)
        score += len(qtokens & set(tokenize(norm)))
        if re.search(r"\d", norm):
            score += 0.5
        if score > best_score:
            best, best_score = sent, score
    return best if best_score >= 1.5 else None


def _name(p: ProjectPublic, lang: str) -> str:
    return p.name if lang == "zh" or not p.name_en else p.name_en


def _field_value(p: ProjectPublic, fname: str, lang: str) -> str | None:
    if fname in ("private_capital_cny", "investment_cny"):
        amount = getattr(p, fname)
        return format_cny(amount, lang) if amount is not None else None
    if fname == "batch":
        return p.batch + (f" ({p.published_on.isoformat()})" if p.published_on else "")
    value = getattr(p, fname)
    return str(value) if value else None


def _attribute_text(p: ProjectPublic, fname: str, value: str | None, lang: str) -> str:
    name = _name(p, lang)
    if lang == "zh":
        if value is None:
            return f"「{name}」的资料里没有这一项。"
        return {
            "private_capital_cny": f"「{name}」拟引入民间资本{value}"
            + (f"（总投资{format_cny(p.investment_cny, 'zh')}）。" if p.investment_cny else "。"),
            "investment_cny": f"「{name}」总投资{value}。",
            "contact": f"「{name}」的联系方式：{value}",
            "owner": f"「{name}」由{value}负责。",
            "cooperation": f"「{name}」的合作方式：{value}。",
            "stage": f"「{name}」目前处于{value}阶段。",
            "region": f"「{name}」位于{value}。",
            "batch": f"「{name}」属于{value}推介批次。",
        }.get(fname, f"「{name}」：{value}")
    if value is None:
        return f"The record of {name} does not state this."
    return {
        "private_capital_cny": f"{name} seeks {value} of private capital"
        + (
            f" (total investment {format_cny(p.investment_cny, 'en')})."
            if p.investment_cny
            else "."
        ),
        "investment_cny": f"{name} has a total investment of {value}.",
        "contact": f"Contact for {name}: {value}",
        "owner": f"{name} is run by {value}.",
        "cooperation": f"Cooperation mode of {name}: {value}.",
        "stage": f"{name} is at the stage: {value}.",
        "region": f"{name} is located in {value}.",
        "batch": f"{name} was promoted in batch {value}.",
    }.get(fname, f"{name}: {value}")


def _list_text(hits: list[Hit], total: int, lang: str) -> str:
    lines = []
    for i, h in enumerate(hits, 1):
        p = h.project
        where = p.region or ""
        money = format_cny(p.investment_cny, lang) if p.investment_cny else ""
        extra = (
            "，".join(x for x in (where, money) if x)
            if lang == "zh"
            else ", ".join(x for x in (where, money) if x)
        )
        lines.append(
            f"{i}. {_name(p, lang)}"
            + (f"（{extra}）" if lang == "zh" and extra else f" ({extra})" if extra else "")
        )
    noun = "project" if total == 1 else "projects"
    head = f"找到{total}个相关项目：" if lang == "zh" else f"Found {total} matching {noun}:"
    return "\n".join([head, *lines])


def _confident(hits: list[Hit]) -> bool:
    return len(hits) == 1 or (len(hits) > 1 and hits[0].score >= CONFIDENT_RATIO * hits[1].score)


def _question_words(terms: list[str]) -> tuple[list[str], list[str]]:
    """The question's content words, and the runs of single CJK characters among them.

    jieba splits a name it does not know (罩式炉, 惠科) into single characters; joined back,
    such a run is the most distinctive part of the question: usually the project's name.
    """
    words: list[str] = []
    runs: list[str] = []
    run = ""
    for term in [*terms, ""]:
        if len(term) == 1 and cjk_fraction(term) == 1.0:
            run += term
            continue
        if len(run) >= 2:
            runs.append(run)
            words.append(run)
        run = ""
        if term:
            words.append(term)
    trimmed = [w.removesuffix("项目") for w in words]
    return [w for w in trimmed if len(w) >= 2], runs


def _project_text(p: ProjectPublic) -> str:
    parts = [p.name, p.name_en, p.summary, p.summary_en, " ".join(p.tags or [])]
    return normalize(" ".join(x for x in [*parts, p.industry, p.region] if x))


def _covers(question_terms: list[str], p: ProjectPublic) -> bool:
    """Whether the project's own words hold the question's name and most of its content words.

    Guards against answering about the wrong project when the one asked about is not in
    the catalog (贝尔油库 asked, only another oil depot there; 罩式炉 asked, only another
    太钢 project there).
    """
    words, runs = _question_words(question_terms)
    if not words:
        return True
    text = _project_text(p)
    if any(run not in text for run in runs):
        return False
    return sum(1 for w in words if w in text) / len(words) >= 0.5


def _named(question_terms: list[str], hits: list[Hit]) -> bool:
    """Whether the question's words all stand in the top project's name and not the next one's."""
    words, _ = _question_words(question_terms)
    if not words or not hits:
        return False

    def in_name(p: ProjectPublic) -> bool:
        return all(w in normalize(p.name) for w in words)

    return in_name(hits[0].project) and not any(in_name(h.project) for h in hits[1:])


def _sentence_answer(question: str, p: ProjectPublic, sentence: str, lang: str) -> Answer:
    """An answer about `p` given by the sentence of its summary that holds it."""
    return Answer(
        question,
        "attribute",
        _attribute_text(p, "summary", sentence, lang),
        [p],
        field="summary",
        value=sentence,
        lang=lang,
    )


def answer_question(engine: SearchEngine, question: str) -> Answer:
    """What the bot says to a free-text question."""
    result = engine.search(question, k=LIST_SIZE)
    lang = query_lang(normalize(question or ""))
    if result.notice in ("empty_query", "unusable_query", "empty_catalog") or not result.hits:
        text = {
            "empty_catalog": (
                "目录里还没有项目。请先导入项目目录（tuijie import FILE）。",
                "The catalog is empty. Import a catalog first (tuijie import FILE).",
            ),
        }.get(
            result.notice or "",
            (
                "没有找到相关项目。可以换个说法，或按地区、行业、金额来问。",
                "No matching projects. Try other words, or ask by region, sector or amount.",
            ),
        )
        return Answer(question, "none", text[0] if lang == "zh" else text[1], [], lang=lang)
    norm = normalize(question)
    top = result.hits[0].project
    terms = result.understanding.terms
    confident = (_confident(result.hits) or _named(terms, result.hits)) and _covers(terms, top)
    if confident:
        for fname, pattern in FIELD_INTENTS:
            if re.search(pattern, norm):
                value = _field_value(top, fname, lang)
                return Answer(
                    question,
                    "attribute",
                    _attribute_text(top, fname, value, lang),
                    [top],
                    field=fname,
                    value=value,
                    lang=lang,
                )
        for pattern, cues in SENTENCE_INTENTS:
            if re.search(pattern, norm):
                summary = top.summary_en if lang == "en" and top.summary_en else top.summary
                sent = best_sentence(question, summary, cues) or best_sentence(
                    question, top.summary, cues
                )
                if sent:
                    return _sentence_answer(question, top, sent, lang)
        if re.search(r"多少|几|how many|how much|what is|what's|是否|有没有.*[吗?？]", norm):
            sent = best_sentence(question, top.summary)
            if sent:
                return _sentence_answer(question, top, sent, lang)
    asked = any(re.search(p, norm) for _, p in FIELD_INTENTS) or any(
        re.search(p, norm) for p, _ in SENTENCE_INTENTS
    )
    listing = _list_text(result.hits, result.total, lang)
    if asked:
        listing = (
            "您问的是哪个项目？" if lang == "zh" else "Which project do you mean? "
        ) + listing
    return Answer(question, "list", listing, [h.project for h in result.hits], lang=lang)
