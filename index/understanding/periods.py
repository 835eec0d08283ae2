"""Time filters real investors ask for: the year a project was published, the cooperation term.

Queries: "2024年发布的项目", "published in 2024", "合作期30年的项目", "特许经营期20年以上",
"a 30-year concession". Records: the published date (else the batch year) and the term the
summary states ("合作期限30年", "特许经营期25年", "经营期20年").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.understanding.amounts import zh_number

TERM_WORDS = r"(?:合作|特许经营|特许|经营|运营|租赁|承包|收费|经营权)(?:期限?|年限)"
NUM = r"(\d{1,3}|[一二三四五六七八九十两]{1,3})"
RECORD_TERM = re.compile(TERM_WORDS + r"\s*(?:为|是|约|不超过|暂定)?\s*" + NUM + r"\s*年")
QUERY_TERM = re.compile(
    TERM_WORDS
    + r"\s*(超过|多于|不少于|不低于|至少|不超过|不到|少于|低于|最多)?\s*"
    + NUM
    + r"\s*年\s*(以上|及以上|以下|以内|之内|内)?"
    + r"|(\d{1,3})[- ]year (?:concession|term|cooperation|operating)"
    + r"|(?:concession|cooperation|operating) (?:term|period) of (\d{1,3}) years"
)
QUERY_YEAR = re.compile(
    r"(20\d\d)\s*年(?:度)?\s*(?:发布|公布|推介|推出|入选|发的|出的)"
    r"|(?:published|announced|promoted|released|listed) in (20\d\d)"
    r"|(20\d\d)\s*年(?:度)?的项目"
)


@dataclass(frozen=True)
class TermFilter:
    low: float | None
    high: float | None


def _number(raw: str) -> float | None:
    if raw.isdigit():
        return float(raw)
    value = zh_number(raw)
    return float(value) if value else None


def record_term(text: str | None) -> float | None:
    """The cooperation / concession term in years a record's text states, if it states one."""
    m = RECORD_TERM.search(text or "")
    return _number(m.group(1)) if m else None


def record_year(published_on: str | None, batch: str | None) -> int | None:
    """The year the project was published: its date, else the year in its batch."""
    for raw in (published_on, batch):
        m = re.search(r"(20\d\d)", raw or "")
        if m:
            return int(m.group(1))
    return None


def find_year(text: str) -> tuple[int | None, tuple[int, int] | None]:
    """The published year a query asks for, and where it stands."""
    m = QUERY_YEAR.search(text)
    if not m:
        return None, None
    year = next(g for g in m.groups() if g)
    return int(year), m.span()


def find_term(text: str) -> tuple[TermFilter | None, tuple[int, int] | None]:
    """The term condition of a query ("合作期30年以上" -> at least 30 years)."""
    m = QUERY_TERM.search(text)
    if not m:
        return None, None
    before, raw, after, en1, en2 = m.groups()
    n = _number(raw or en1 or en2)
    if n is None:
        return None, None
    if before in ("超过", "多于", "不少于", "不低于", "至少") or after in ("以上", "及以上"):
        return TermFilter(n, None), m.span()
    if before in ("不超过", "不到", "少于", "低于", "最多") or after in (
        "以下",
        "以内",
        "之内",
        "内",
    ):
        return TermFilter(None, n), m.span()
    return TermFilter(n, n), m.span()
