"""Money in yuan: formatting for people (亿元/万元, million/billion yuan)."""

from __future__ import annotations

YI = 100_000_000.0
WAN = 10_000.0


def _trim(value: float, digits: int = 2) -> str:
    """A number with at most `digits` decimals and no trailing zeros."""
    text = f"{value:,.{digits}f}" if value >= 10_000 else f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_cny(amount: float | None, lang: str = "zh") -> str:
    """ "12亿元", "3500万元" / "1.2 billion yuan", "350 million yuan"; "—" when unknown."""
    if amount is None:
        return "未知" if lang.startswith("zh") else "not stated"
    amount = float(amount)
    if lang.startswith("zh"):
        if abs(amount) >= YI:
            return f"{_trim(amount / YI)}亿元"
        if abs(amount) >= WAN:
            return f"{_trim(amount / WAN)}万元"
        return f"{_trim(amount)}元"
    if abs(amount) >= 1e9:
        return f"{_trim(amount / 1e9)} billion yuan"
    if abs(amount) >= 1e6:
        return f"{_trim(amount / 1e6)} million yuan"
    return f"{_trim(amount)} yuan"
