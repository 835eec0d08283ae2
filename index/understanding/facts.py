"""What a question asks about one project, and the figure in the record's sentences that answers it.

A question gets a *kind* (length, size, duration, date, rate, price, count, or an attribute
of the record). A kind names the units its answer comes in; candidate clauses of the Chinese
and English summaries are scored by those units first, then by the words they share with the
question and, when the engine's embedder is given, by embedding similarity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.understanding.text import cjk_fraction

# record attributes: (field, pattern in the normalised question); first match wins
FIELD_KINDS: list[tuple[str, str]] = [
    (
        "investment_cny",
        r"总投资|投资额|投资规模|投多少|投资多少|多少钱|总额|total investment|how much "
        r"(?:does it|will it|is the)?\s*(?:cost|invest)|how big is the investment|investment size|"
        r"how much money",
    ),
    ("contact", r"联系|电话|联络|怎么找|对接|contact|phone|reach|email|get in touch"),
    (
        "owner",
        r"谁在负责|谁负责|负责单位|业主|建设单位|牵头|实施主体|运营方|owner|who (?:runs|owns|"
        r"manages|is responsible|is behind|leads)|which company|responsible",
    ),
    ("stage", r"进展|阶段|进度|哪一步|建到|建设情况|现在怎么样|stage|progress|status"),
    ("region", r"在哪里|在哪儿|在哪|什么地方|位置|where is|located|location"),
    ("batch", r"哪一批|哪批|批次|which batch|what batch"),
    ("published_on", r"什么时候发布|何时发布|发布时间|推介时间|哪天发布|when was it published"),
]
PRIVATE_CAPITAL = (
    r"民间资本|社会资本|民资|民营资本|引资|private (?:capital|investment|funding|investors? "
    r"(?:put|invest))|what does .{0,60} need|需要什么|需要哪些"
)
COOPERATION = (
    r"合作方式|合作模式|怎么合作|如何合作|怎么参与|如何参与|合作形式|cooperation|"
    r"partnership (?:mode|model)|how can (?:i|we) (?:invest|take part|participate)|deal structure"
)
NUM = r"\d[\d,]*(?:\.\d+)?"
NUMBER = (
    rf"(?:约|近|超过|不低于|不高于|about |around |over |some )?{NUM}(?:\s*(?:至|到|-|–|~)\s*{NUM})?"
)
CN_MULT = r"(?:万|亿)?"


@dataclass(frozen=True)
class Kind:
    """A kind of fact: how a question asks for it and how its answer reads in a sentence."""

    name: str
    question: str  # pattern in the question
    figure: str  # pattern of the answering figure in a sentence
    cues: str  # words of a sentence that speak of this fact


# events a date question asks about (words of the fact, not of the project's name)
EVENTS = r"开工|投产|并网|投运|建成|完工|通车|竣工|开业|启用|start|open|commission|connect|complet"
TERM_WORDS = r"特许|合作期|运营期|经营期|合同期|期限|年限|concession|term|contract|lease|period"
KINDS: list[Kind] = [
    Kind(
        "share",
        r"股权|股比|持股|占股|比例|stake|share of|equity",
        rf"{NUM}\s*[%％]|百分之[\d一二三四五六七八九十]+",
        r"股权|持股|股比|equity|stake|share",
    ),
    Kind(
        "rate",
        r"(?<![功频])率|irr|pue|占比|百分之|rate of return|return|yield|percent|"
        r"occupancy|utili[sz]ation",
        rf"{NUM}\s*[%％]|(?:pue|irr)[^，。；,;\d]{{0,8}}{NUM}",
        r"收益率|irr|pue|回报|利用率|return|yield",
    ),
    Kind(
        "duration",
        rf"多久|多少年|几年|期限|年限|特许期|合作期|运营期|经营期|合同期|how many years|"
        rf"(?:{TERM_WORDS}).{{0,20}}(?:多长|多少)|(?:多长|how long).{{0,40}}(?:{TERM_WORDS})|"
        r"what (?:is the )?term",
        rf"{NUMBER}\s*(?:个)?年(?![底初中度产])|{NUM}-year|{NUMBER}\s*years?\b",
        rf"{TERM_WORDS}|回收|payback",
    ),
    Kind(
        "date",
        r"什么时候|何时|哪年|哪一年|几月|几时|when|what year|what date",
        r"20\d\d\s*年(?:\d{1,2}\s*月)?(?:底|初|年中|上半年|下半年)?|(?:end of |by |in |since )"
        r"(?:(?:january|february|march|april|may|june|july|august|september|october|november|"
        r"december) )?20\d\d",
        r"开工|投产|并网|投运|建成|完工|通车|竣工|开业|启动|计划|预计|open|grid|commission|start|"
        r"complet|operat",
    ),
    Kind(
        "price",
        r"电价|价格|单价|价钱|收费|费用|费多少|费是多少|补贴|多少元|tariff|price|fee|charge",
        rf"{NUMBER}\s*{CN_MULT}元\s*/\s*(?:千瓦时|度|吨|立方米|平方米|平米|月|年|天|日|人次|人|次|辆|"
        r"小时|kwh|t\b|m3)|{NUM}\s*yuan\s*(?:/|per|a)\s*\w+|八五折|\d+折",
        r"电价|价格|单价|收费|费|tariff|price|fee",
    ),
    Kind(
        "length",
        r"多长|多远|长度|全长|几公里|多少公里|how long|length|how far|how many (?:km|kilomet)",
        rf"(?<!时速)(?<!时速约){NUMBER}\s*(?:公里|千米|km|kilomet\w*|米)(?!\s*/)",
        r"全长|长约|长度|管道|线路|公路|long|length",
    ),
    Kind(
        "area",
        r"面积|占地|多少亩|几亩|area|acres|hectares|square met",
        rf"{NUMBER}\s*{CN_MULT}(?:平方米|平方公里|亩|公顷)|"
        rf"{NUMBER}\s*(?:square met\w+|m2|hectares)",
        r"面积|占地|用地|area",
    ),
    Kind(
        "size",
        r"规模|多大|容量|装机|库容|产能|算力|能力|how big|how large|capacity|size|"
        r"how much power|多少(?:万)?(?:吨|兆瓦|千瓦|立方|方|架|p\b)|"
        r"how many (?:tons|tonnes|mw|racks)",
        rf"{NUMBER}\s*{CN_MULT}(?:兆瓦时|兆瓦|千瓦时|千瓦|吉瓦|kw|mw|gw|mwh|gwh|p\b|pflops|m3\b|"
        r"cubic met\w+|tonnes|tons|t\b|racks|beds|berths|"
        rf"吨|立方米|标箱|teu|架|片|台|辆|座|张|个|套)(?:\s*/\s*(?:{NUMBER}\s*{CN_MULT}"
        rf"(?:兆瓦时|千瓦时|mwh|gwh)|日|天|年|day|year))?",
        r"规模|容量|装机|库容|产能|算力|能力|建设|新建|capacity|size",
    ),
    Kind(
        "count",
        r"多少|几[台座个张家辆所条架套]|how many",
        rf"{NUMBER}\s*{CN_MULT}(?:人次|千瓦时|千瓦|兆瓦|平方米|立方米|(?![年月日号])[\u4e00-\u9fff])|"
        rf"{NUMBER}\s*(?:million |thousand )?(?:[a-z-]+ ){{0,2}}[a-z]+",
        r"新建|建设|接待|提供|规划|new|provide|build",
    ),
]
# an amount in a summary, for a record whose amount field is empty (总投资约5亿元)
KINDS.append(
    Kind(
        "amount",
        r"(?!x)x",  # never asked for directly: the amount fields are
        rf"{NUMBER}\s*(?:万|亿)元|{NUMBER}\s*(?:million|billion) yuan",
        r"投资|资本|investment|capital",
    )
)
# the words a summary's clause must hold to state a record's amount field
AMOUNT_CLAUSE = {
    "investment_cny": r"总投资|投资额|投资规模|计划投资|total investment|investment of",
    "private_capital_cny": r"民间资本|社会资本|民营资本|民资|private (?:capital|investor)",
}
ANY_FIGURE = rf"{NUMBER}\s*{CN_MULT}\S{{0,3}}"
# a question at all: one of the kinds, an attribute, or a yes/no about the record
YES_NO = r"[吗嗎][?？]?$|是否|能否|可否|可不可以|能不能|\b(?:can|may|is it|does it|are)\b.*\?$"
# English words that ask rather than name or describe
EN_ASKING = frozenset(
    [
        "what",
        "which",
        "when",
        "where",
        "who",
        "whom",
        "how",
        "is",
        "are",
        "was",
        "were",
        "will",
        "would",
        "does",
        "do",
        "did",
        "can",
        "could",
        "the",
        "a",
        "an",
        "of",
        "for",
        "in",
        "on",
        "at",
        "to",
        "by",
        "with",
        "about",
        "and",
        "or",
        "it",
        "its",
        "this",
        "that",
        "there",
        "project",
        "projects",
        "much",
        "many",
        "long",
        "big",
        "large",
        "need",
        "needs",
        "provide",
        "get",
        "be",
        "has",
        "have",
    ]
)
GLUE = r"[的了吗呢呀啊吧么是有要]|那个|这个|那边|这边|请问|我想知道"


# a search rather than a question: a list asked for, or a figure as a bound (50万千瓦以上)
SEARCH = (
    rf"有哪些|哪些项目|which projects|list (?:of |all )?|{NUM}\s*\S{{0,4}}(?:以上|以下|以内)|"
    rf"(?:超过|不低于|不少于|低于|至少|above|below|over|under|at least|more than|less than)\s*{NUM}"
)


def question_kind(norm: str) -> str | None:
    """The kind of fact a normalised question asks for (a field name or a Kind's name)."""
    if re.search(SEARCH, norm):
        return None
    if re.search(KINDS[0].question, norm):
        return "share"
    for fname, pattern in FIELD_KINDS:
        if re.search(pattern, norm):
            return fname
    for kind in KINDS[1:]:
        if kind.name == "count" and not re.search(kind.question, norm):
            continue
        if re.search(kind.question, norm):
            if kind.name == "count" and re.search(PRIVATE_CAPITAL, norm):
                return "private_capital_cny"
            return kind.name
    if re.search(PRIVATE_CAPITAL, norm):
        return "private_capital_cny"
    if re.search(COOPERATION, norm):
        return "cooperation"
    if re.search(YES_NO, norm):
        return "yes_no"
    return None


def is_question(norm: str) -> bool:
    """Whether a normalised message asks for one fact of a project."""
    return question_kind(norm) is not None


def kind_named(name: str) -> Kind | None:
    return next((k for k in KINDS if k.name == name), None)


def sentences(text: str | None) -> list[str]:
    """The sentences of a summary (Chinese and English punctuation)."""
    parts = re.split(r"(?<=[。！？；!?;])|(?<=\.)\s+(?=[A-Z0-9])", text or "")
    return [p.strip() for p in parts if p and p.strip()]


def _clauses(sentence: str) -> list[str]:
    return [c for c in re.split(r"[，、：（）()；]|,\s|:\s", sentence) if c.strip()]


def _bigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        grams |= {run[i : i + 2] for i in range(len(run) - 1)}
    grams |= {w[:5] for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in EN_ASKING}
    return grams


@dataclass(frozen=True)
class Fact:
    """A figure quoted from one sentence of a record."""

    value: str
    sentence: str
    score: float


def find_fact(
    question: str,
    kind_name: str,
    texts: Sequence[str],
    *,
    ignore: str = "",
    similarity: Callable[[list[str]], list[float]] | None = None,
    require: str | None = None,
) -> Fact | None:
    """The best figure of `kind_name` in the sentences of `texts`, or None if none has one.

    `ignore` holds words that name the project (shared by every sentence, so no evidence);
    `similarity` maps sentences to their embedding similarity with the question; a clause
    must match `require` when given (the rate or amount the question names).
    """
    kind = kind_named(kind_name)
    metric = require or (_metric(question) if kind_name == "rate" else None)
    asked = re.search(r"(?:多少|几)(?:万)?([\u4e00-\u9fff])|how many ([a-z]{3})", question)
    unit = (asked.group(1) or asked.group(2)) if asked else None
    qgrams = _bigrams(re.sub(GLUE, " ", question.lower())) - _bigrams(ignore.lower())
    sents = [s for text in texts for s in sentences(text)]
    if not sents:
        return None
    sims = similarity(sents) if similarity else [0.0] * len(sents)
    best: Fact | None = None
    for sent, sim in zip(sents, sims, strict=True):
        for clause in _clauses(sent):
            low = clause.lower()
            if metric and not re.search(metric, low):
                continue  # PUE asked: an IRR is not the answer
            shared = len(qgrams & _bigrams(low))
            base = 3.0 + shared + 0.5 * sim
            if kind and re.search(kind.cues, low):
                base += 1.0
            for match in re.finditer(kind.figure if kind else ANY_FIGURE, low):
                value = clause[match.start() : match.end()].strip()
                if kind and kind.name == "count":
                    value = _trimmed(value, unit)
                # 多少吨 / 几座 / how many forklifts: the figure in the unit the question names
                in_unit = bool(unit and unit in value.lower())
                if kind and kind.name == "count" and not (in_unit or shared):
                    continue  # 多少员工 is not answered by a count of racks
                score = base + (2.0 if in_unit else 0.0)
                if best is None or score > best.score:
                    best = Fact(value, sent, score)
    if best is not None and kind is None and best.score < 4.0:
        return None  # a bare "多少": the figure must share a word with the question
    return best


def _metric(question: str) -> str | None:
    """The rate a question names (PUE, IRR, 使用率 …) as a pattern its clause must hold."""
    if "pue" in question:
        return "pue"
    if re.search(r"irr|收益率|rate of return|\breturn", question):
        return r"irr|收益率|return"
    named = re.search(r"([\u4e00-\u9fff]{2})率", question)
    return named.group(0) if named and named.group(0) != "功率" else None


def _trimmed(value: str, unit: str | None) -> str:
    """An English count ends at the word the question counts (30,000 electric forklifts)."""
    words = value.split(" ")
    if not re.search(r"[a-z]", words[-1]):
        return value
    for n, word in enumerate(words):
        if unit and unit in word.lower():
            return " ".join(words[: n + 1])
    head = 2 if len(words) > 2 and words[1] in ("million", "thousand") else 1
    return " ".join(words[: head + 1])


def yes_no_fact(question: str, texts: Sequence[str], *, ignore: str = "") -> Fact | None:
    """The sentence holding the thing a yes/no question asks about (独资, 外资...), if any."""
    qgrams = _bigrams(re.sub(GLUE, " ", question.lower())) - _bigrams(ignore.lower())
    qgrams = {g for g in qgrams if cjk_fraction(g) < 1.0 or not re.search(r"可以|能否|是否", g)}
    best: Fact | None = None
    for sent in (s for text in texts for s in sentences(text)):
        shared = sorted(qgrams & _bigrams(sent.lower()))
        if shared and (best is None or len(shared) > best.score):
            best = Fact(max(shared, key=len), sent, float(len(shared)))
    return best
