"""Query understanding: hard filters (region, amounts, cooperation, stage, batch) and content."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.results import Understanding
from index.understanding.amounts import find_amounts, zh_number
from index.understanding.periods import find_term, find_year
from index.understanding.regions import Place, find_group, gazetteer
from index.understanding.taxonomy import TermHit, load_taxonomy
from index.understanding.text import STOPWORDS, add_words, cjk_fraction, normalize, tokenize

MAX_QUERY_CHARS = 500

STAGE_PATTERNS: list[tuple[str, str]] = [
    (
        "部分投产",
        r"部分投产|部分建成|部分运营|部分投运|一期(?:已)?投产|partly in production|partially "
        r"(?:in production|operational|in operation|completed)|partly operational",
    ),
    (
        "已投产",
        r"已经?投产运营|投产运营|已经?投产|已经?(?:全部)?建成|全部建成|建成投产|建成运营|已经?运营|正在运营|"
        r"运营中|在运营|投入运营|存量|盘活|已完工|in operation|already operating|operating|"
        r"operational|completed|in production|brownfield|existing assets?",
    ),
    (
        "在建",
        r"在建|正在建设|建设中|正在施工|施工中|施工阶段|已开工|"
        r"under construction|being built|construction stage",
    ),
    (
        "前期",
        r"前期|筹建|规划中|拟建|未开工|尚未开工|即将开工|待开工|前期阶段|"
        r"early[- ]stage|preliminary|planning stage|pre-construction|greenfield|not yet started",
    ),
]
COOP_PATTERNS: list[tuple[tuple[str, ...], str]] = [
    (("EPC+O",), r"epc\s*\+\s*o|epco|epc\+运营"),
    (
        ("合同能源管理",),
        r"合同能源管理|能源托管|节能效益分享|shared savings|energy performance contract"
        r"(?:ing)?|energy management contract|(?<![a-z0-9])emc(?![a-z0-9])",
    ),
    (("PPP",), r"ppp|政府和社会资本合作|public[- ]private partnership"),
    (
        ("特许经营", "BOT", "TOT", "BOO", "ROT", "BOOT"),
        r"特许经营|特许|经营权|concession|franchise",
    ),
    (("BOT",), r"(?<![a-z0-9])bot(?![a-z0-9])|build[- ]operate[- ]transfer"),
    (("TOT",), r"(?<![a-z0-9])tot(?![a-z0-9])|transfer[- ]operate[- ]transfer"),
    (("BOO",), r"(?<![a-z0-9])boo(?![a-z0-9])|build[- ]own[- ]operate"),
    (
        ("独资",),
        r"独资|全资|sole proprietorship|wholly[- ]owned|sole (?:owner|investor)|"
        r"100% (?:owned|ownership)",
    ),
    (("合资",), r"合资|joint[- ]venture|(?<![a-z0-9])jv(?![a-z0-9])"),
    (("股权合作", "合资"), r"股权合作|股权投资|参股|入股|equity"),
    (("租赁",), r"融资租赁|租赁经营|(?<![a-z0-9])lease(?![a-z0-9])|leasing"),
]
NEG_BEFORE = re.compile(
    r"(不是|不要|不想要?|除了|除去|排除|不含|不包括|不在|非|except(?: for)?|excluding|not in|not|"
    r"other than|outside(?: of)?|apart from|besides)\s*(?:在|是|做)?\s*$"
)
NEG_AFTER = re.compile(r"\s*(以外|之外|除外)")
NEAR = re.compile(r"(附近|周边|周围|一带|邻近|旁边|near|close to|around|next to|nearby)")
LATEST_BATCH = re.compile(
    r"最新一批|最新批次|最近一批|最新的一批|最新推介|latest batch|newest batch|"
    r"most recent batch|latest round|new batch"
)
BATCH_RE = re.compile(
    r"(20\d\d)\s*(?:年度?|年的)?\s*(?:第?\s*([一二三四五六七八九十\d]+)\s*批|[-/.]\s*(\d{1,2})(?!\d)"
    r"(?:\s*批)?)|(?:batch|round)\s*(\d{1,2})\s*(?:of|in)\s*(20\d\d)|"
    r"(20\d\d)\s*(?:batch|round)\s*(\d{1,2})|"
    r"第\s*([一二三四五六七八九十\d]+)\s*批"
)
# words that carry no content once filters are taken out of the query
GENERIC = frozenset(
    """大 小 大型 小型 需求 资金 资本 总投资 投资额 额 阶段 合作 方式 模式 推介 批 批次 做
    省 市 县 区 地区 地方 民间 社会 民营 元 亿 万 规模 金额 钱 目前 处于 进展 状态
    province city county region
    stage total capital private batch phase mode cooperation based located area amount need money
    yuan rmb cny billion million public ones one kind type types sector 总 哪些项目 联系 电话
    联系电话 联系方式 负责 负责人 谁 什么时候 时候 预计 进展 到 哪 use expect
    expected contact phone email who responsible""".split()  # noqa: SIM905
)
# words about the investor, not the project ("适合民营企业参股的"): they name who asks
INVESTOR_WORDS = re.compile(
    r"民营企业|私营企业|民企|企业家|投资者|投资人|投资方|我们公司|我公司|适合|"
    r"(?<![a-z])(?:private (?:companies|company|firms?|investors?)|investors?|suitable for)"
    r"(?![a-z])"
)
FUNCTION_CHARS = frozenset(
    "的有哪什么吗呢了是在那个这些之类和或者相关方面下给跟里啊呀吧谁怎想找可以项目推介要少投点"
)
FIELD_WORDS = re.compile(
    # "拟引入民间资本" is the column header of the public promotion lists
    r"(?:拟|计划|准备)?(?:引入|吸引|引进|招引)(?=民间|社会|民营|民资|private)|民间资本|社会资本|民营资本|民资|民间投资|总投资额?|投资总额|投资额|投资规模|需求|资金需求|"
    r"private capital|total investment"
)


@dataclass
class ParsedQuery:
    """The understood query plus what the ranker needs."""

    text: str  # normalised query
    understanding: Understanding
    places: list[Place] = field(default_factory=list)
    place_strings: list[str] = field(default_factory=list)  # fallback: raw region substrings
    sector_hits: list[TermHit] = field(default_factory=list)
    sector_terms: list[str] = field(default_factory=list)  # the taxonomy terms the query used
    focus: dict[str, float] = field(default_factory=dict)  # sector key -> weight (most specific)
    content: str = ""  # the query text with filter phrases removed
    tokens: list[str] = field(default_factory=list)
    soft_terms: list[str] = field(default_factory=list)  # place names used softly ("near X")
    lang: str = "zh"
    truncated: bool = False
    latest_batch: bool = False
    batch_number: int | None = None  # 第四批 without a year
    exclude_places: list[Place] = field(default_factory=list)  # 除了四川以外
    exclude_cooperation: list[str] = field(default_factory=list)  # 不要PPP
    exclude_stages: list[str] = field(default_factory=list)  # 不是前期的

    @property
    def filter_only(self) -> bool:
        """A query that names only filters (河南有哪些项目): list everything that passes."""
        return not self.tokens and not self.sector_hits and not self.soft_terms


_TAUGHT = False


def teach_tokenizer() -> None:
    """Add taxonomy terms to jieba's dictionary once, so 算力, 冷链 stay whole."""
    global _TAUGHT
    if not _TAUGHT:
        add_words(load_taxonomy().all_terms())
        _TAUGHT = True


def query_lang(text: str) -> str:
    """ "zh" when the query is mostly Chinese, else "en"."""
    return "zh" if cjk_fraction(text) >= 0.3 else "en"


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _negation(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of a negation (不是/除了…以外/except) around text[start:end], if any."""
    before = NEG_BEFORE.search(text[max(0, start - 12) : start])
    after = NEG_AFTER.match(text[end : end + 6])
    if not before and not after:
        return None
    lo = max(0, start - 12) + before.start() if before else start
    hi = end + after.end() if after else end
    return lo, hi


def _stages(text: str, pq: ParsedQuery) -> tuple[list[str], str]:
    stages: list[str] = []
    for stage, pattern in STAGE_PATTERNS:
        for m in re.finditer(pattern, text):
            neg = _negation(text, m.start(), m.end())
            target = pq.exclude_stages if neg else stages
            if stage not in target:
                target.append(stage)
            text = _blank(text, *(neg or (m.start(), m.end())))
    return stages, text


def _cooperation(text: str, pq: ParsedQuery) -> tuple[list[str], str]:
    modes: list[str] = []
    for values, pattern in COOP_PATTERNS:
        for m in re.finditer(pattern, text):
            neg = _negation(text, m.start(), m.end())
            target = pq.exclude_cooperation if neg else modes
            target.extend(v for v in values if v not in target)
            text = _blank(text, *(neg or (m.start(), m.end())))
    return modes, text


def _batch(text: str, pq: ParsedQuery) -> tuple[str | None, str]:
    m = LATEST_BATCH.search(text)
    if m:
        pq.latest_batch = True
        return None, _blank(text, m.start(), m.end())
    m = BATCH_RE.search(text)
    if not m:
        return None, text
    g = m.groups()
    text = _blank(text, m.start(), m.end())
    if g[0]:
        num = zh_number(g[1]) if g[1] else float(g[2])
        return (f"{g[0]}-{int(num)}" if num else None), text
    if g[3]:
        return f"{g[4]}-{int(g[3])}", text
    if g[5]:
        return f"{g[5]}-{int(g[6])}", text
    num = zh_number(g[7])
    pq.batch_number = int(num) if num else None
    return None, text


def _regions(text: str, pq: ParsedQuery) -> str:
    gaz = gazetteer()
    near = NEAR.search(text)
    found = gaz.find(text)
    group = find_group(text)
    places: list[Place] = []
    for start, end, cands in found:
        neg = _negation(text, start, end)
        if near and (abs(near.start() - end) <= 2 or abs(start - near.end()) <= 2):
            pq.soft_terms.extend(c.label for c in cands)
        elif neg:
            pq.exclude_places.extend(cands)
        else:
            places.extend(cands)
        text = _blank(text, *(neg or (start, end)))
    if group:
        start, end, key, members = group
        if near:
            pq.soft_terms.append(key)
        else:
            places.extend(members)
        text = _blank(text, start, end)
    if near:
        text = _blank(text, near.start(), near.end())
    # keep the most specific: 陕西 + 榆林 -> 榆林
    keep = [
        p
        for p in places
        if not any(q is not p and (q.province == p.name or q.city == p.name) for q in places)
    ]
    pq.places = list(dict.fromkeys(keep))
    return text


def parse_query(query: str, *, latest_batch: str | None = None) -> ParsedQuery:
    """Understand a query: filters are taken out first, what is left is content."""
    raw = query or ""
    truncated = len(raw) > MAX_QUERY_CHARS
    text = normalize(raw[:MAX_QUERY_CHARS])
    pq = ParsedQuery(
        text=text, understanding=Understanding(), lang=query_lang(text), truncated=truncated
    )
    teach_tokenizer()
    rest = text
    amounts = find_amounts(rest)
    for a in amounts:
        rest = _blank(rest, a.start, a.end)
    year, span = find_year(rest)
    if span:
        rest = _blank(rest, *span)
    term, span = find_term(rest)
    if span:
        rest = _blank(rest, *span)
    batch, rest = _batch(rest, pq)
    if pq.latest_batch and latest_batch:
        batch = latest_batch
    stages, rest = _stages(rest, pq)
    coop, rest = _cooperation(rest, pq)
    rest = _regions(rest, pq)
    tax = load_taxonomy()
    hits = tax.find(rest)
    taken = [(h.start, h.end) for h in hits]
    hits += tax.find_fuzzy(rest, taken)
    pq.sector_hits = hits
    pq.sector_terms = list(dict.fromkeys(h.term for h in hits if not h.fuzzy))
    pq.focus = _focus_sectors(hits)
    sectors = list(pq.focus)
    content, residual = rest, rest
    for h in sorted(hits, key=lambda h: -h.start):
        residual = _blank(residual, h.start, h.end)
        if h.fuzzy:  # the typo itself would only add noise to the lexical leg
            content = _blank(content, h.start, h.end)
    pq.content = re.sub(r"\s+", " ", INVESTOR_WORDS.sub(" ", FIELD_WORDS.sub(" ", content))).strip()
    residual = re.sub(r"\s+", " ", INVESTOR_WORDS.sub(" ", FIELD_WORDS.sub(" ", residual))).strip()
    pq.tokens = [
        t
        for t in tokenize(residual)
        if t not in STOPWORDS and t not in GENERIC and not _generic(t.lstrip("~"), t[0] == "~")
    ]
    inv = [a for a in amounts if a.field == "investment"]
    priv = [a for a in amounts if a.field == "private_capital"]
    pq.understanding = Understanding(
        terms=[t for t in pq.tokens if not t.startswith("~")] + pq.sector_terms,
        sectors=sectors,
        region=pq.places[0].canonical if pq.places else None,
        investment_min=max((a.low for a in inv if a.low is not None), default=None),
        investment_max=min((a.high for a in inv if a.high is not None), default=None),
        private_capital_min=max((a.low for a in priv if a.low is not None), default=None),
        private_capital_max=min((a.high for a in priv if a.high is not None), default=None),
        cooperation=coop,
        stages=stages,
        batch=batch,
        regions=[p.canonical for p in pq.places],
        exclude_regions=[p.canonical for p in pq.exclude_places],
        exclude_cooperation=pq.exclude_cooperation,
        exclude_stages=pq.exclude_stages,
        sector_names=[tax.label(k, pq.lang) for k in sectors],
        published_year=year,
        term_min=term.low if term else None,
        term_max=term.high if term else None,
    )
    return pq


def _focus_sectors(hits: list[TermHit]) -> dict[str, float]:
    """Sector keys the query names, dropping any that is broader than another one named.

    "农作物良种繁育": 农作物 (agriculture) is broader than 良种繁育 (seeds), so seeds decide.
    A sector reached only through a homophone typo weighs a little less.
    """
    tax = load_taxonomy()
    weights: dict[str, float] = {}
    for h in hits:
        for k in h.sectors:
            w = 0.9 if h.fuzzy else 1.0
            weights[k] = max(weights.get(k, 0.0), w)
    return {
        k: w
        for k, w in weights.items()
        if not any(o != k and k in tax.ancestors(o) for o in weights)
    }


def _generic(token: str, bigram: bool) -> bool:
    """Function-word noise: a bigram touching a function character, or a word made of them."""
    if token in GENERIC:
        return True
    if bigram:
        return any(c in FUNCTION_CHARS for c in token)
    return all(c in FUNCTION_CHARS for c in token)
