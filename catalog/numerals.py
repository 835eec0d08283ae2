"""Chinese numerals (三, 十五, 二百五十), read the same way by sheets, queries and answers."""

from __future__ import annotations

ZH_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000}


def zh_number(text: str) -> float | None:
    """Chinese numerals up to the thousands (三, 十五, 二百五十) as a number."""
    if all(c.isdigit() or c == "." for c in text):
        return float(text)
    total, current = 0, 0
    for ch in text:
        if ch in ZH_DIGITS:
            current = ZH_DIGITS[ch]
        elif ch in ZH_UNITS:
            total += (current or 1) * ZH_UNITS[ch]
            current = 0
        else:
            return None
    return float(total + current)
