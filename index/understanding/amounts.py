"""Money amounts in queries: "5亿以下", "低于3亿元", "5亿到10亿之间", "over 2 billion yuan"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from catalog.numerals import zh_number

UNIT = {
    "亿": 1e8,
    "亿元": 1e8,
    "万": 1e4,
    "万元": 1e4,
    "千万": 1e7,
    "千万元": 1e7,
    "百万": 1e6,
    "百万元": 1e6,
    "元": 1.0,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "yuan": 1.0,
    "rmb": 1.0,
}
NUM = r"(?:rmb|cny|¥|人民币)?\s*(\d+(?:\.\d+)?|[零一二两三四五六七八九十百千]+)"
ZH_UNIT = r"(千万|百万|亿|万)(?:元|人民币)?"
EN_UNIT = r"\s*(billion|bn|million|mn|m|b)(?![a-z0-9])(?:\s*(?:yuan|rmb|cny))?"
AMOUNT = rf"{NUM}\s*(?:{ZH_UNIT}|{EN_UNIT})"

# A comparison word negated (不低于 = at least, 不超过 = at most) flips its direction: the bare
# words must not match inside the negated ones, hence the look-behinds.
NOT_NEGATED = r"(?<!不)(?<!没)(?<!no )(?<!not )"
LE_BEFORE = (
    r"(?:不超过|不高于|不大于|不多于|no more than|not more than|not over|not above|"
    rf"{NOT_NEGATED}(?:低于|少于|小于|不到|不足|最多|至多|under|below|less than|up to|at most|"
    r"max(?:imum)?|<=?|≤))"
)
GE_BEFORE = (
    r"(?:不低于|不少于|不小于|no less than|not less than|not under|not below|"
    rf"{NOT_NEGATED}(?:高于|多于|大于|超过|至少|最少|over|above|more than|at least|exceeding|"
    r"min(?:imum)?|>=?|≥))"
)
LE_AFTER = r"(?:以下|以内|之内|及以下|或以下|以下的|or less|and below|or below)"
GE_AFTER = r"(?:以上|及以上|或以上|多|or more|and above|or above|\+)"
ABOUT_BEFORE = r"约|大约|大概|around|about|approximately|roughly|circa"
ABOUT_AFTER = r"左右|上下|前后"
ABOUT_SPAN = 0.3  # "about 3亿" accepts 2.1亿 .. 3.9亿
RANGE_SEP = r"\s*(?:到|至|~|-|–|—|and|to)\s*"

PRIVATE_WORDS = re.compile(
    r"(民间资本|社会资本|民营资本|民资|民间投资|引资|引入资本|募资|融资|private capital|"
    r"private investment|private funding|private investors?|from private)"
)


@dataclass(frozen=True)
class AmountFilter:
    field: str  # "investment" | "private_capital"
    low: float | None
    high: float | None
    start: int
    end: int


def _value(num: str, zh_unit: str | None, en_unit: str | None) -> float | None:
    base = zh_number(num)
    if base is None:
        return None
    return base * UNIT[(zh_unit or en_unit or "元").lower()]


PRIVATE_AFTER = re.compile(
    r"\s*(?:yuan|rmb|cny|元)?\s*(?:(?:of|in)\s+(?:private|social)\s+(?:capital|investment|funding)"
    r"|的?(?:民间资本|社会资本|民营资本|民资))"
)


def _field(text: str, start: int, end: int) -> str:
    """Private capital when such words stand shortly before the amount ("民间资本需求2000万以上")
    or right after it ("1 billion yuan of private capital"), else total investment."""
    window = text[max(0, start - 24) : start]
    if PRIVATE_WORDS.search(window) or PRIVATE_AFTER.match(text, end):
        return "private_capital"
    return "investment"


def find_amounts(text: str) -> list[AmountFilter]:
    """Every amount condition in normalised text."""
    out: list[AmountFilter] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], low: float | None, high: float | None) -> None:
        if any(a < m.end() and m.start() < b for a, b in taken):
            return
        taken.append((m.start(), m.end()))
        out.append(AmountFilter(_field(text, m.start(), m.end()), low, high, m.start(), m.end()))

    range_re = re.compile(
        rf"(?:between\s*|在\s*|介于\s*)?{NUM}\s*(?:{ZH_UNIT}|{EN_UNIT})?{RANGE_SEP}{AMOUNT}"
        r"\s*(?:之间|以内|范围内|左右)?"
    )
    for m in range_re.finditer(text):
        high = _value(m.group(4), m.group(5), m.group(6))
        low = _value(m.group(1), m.group(2) or m.group(5), m.group(3) or m.group(6))
        if low is not None and high is not None and low <= high:
            add(m, low, high)
    for pattern, kind in (
        (rf"{LE_BEFORE}\s*{AMOUNT}\s*{LE_AFTER}?", "le"),
        (rf"{GE_BEFORE}\s*{AMOUNT}\s*{GE_AFTER}?", "ge"),
        (rf"{AMOUNT}\s*{LE_AFTER}", "le"),
        (rf"{AMOUNT}\s*{GE_AFTER}", "ge"),
        (rf"(?:{ABOUT_BEFORE})\s*{AMOUNT}\s*(?:{ABOUT_AFTER})?", "about"),
        (rf"{AMOUNT}\s*(?:{ABOUT_AFTER})", "about"),
    ):
        for m in re.finditer(pattern, text):
            value = _value(m.group(1), m.group(2), m.group(3))
            if value is None:
                continue
            if kind == "about":
                add(m, value * (1 - ABOUT_SPAN), value * (1 + ABOUT_SPAN))
            else:
                add(m, None if kind == "le" else value, value if kind == "le" else None)
    for m in re.finditer(r"过亿|上亿|亿元级|(百|十)亿级|(百|十)亿以上", text):
        scale = {"百": 1e10, "十": 1e9}.get(m.group(1) or m.group(2) or "", 1e8)
        add(m, scale, None)
    return sorted(out, key=lambda a: a.start)
