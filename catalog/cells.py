"""Spreadsheet safety for text cells (CSV and .xlsx): a value that begins like a formula is
written behind an apostrophe, so spreadsheet programs show it instead of running it (CSV
injection), and reading our own file gives the original text back."""

from __future__ import annotations

# What spreadsheet programs read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def _needs_quote(text: str) -> bool:
    if text.startswith(FORMULA_STARTS):
        return True
    # an apostrophe before a formula start must survive the round trip too
    return text.startswith(QUOTE) and (text[1:].startswith(FORMULA_STARTS) or text[1:2] == QUOTE)


def to_cell(text: str) -> str:
    """A text value as it is written into a spreadsheet cell."""
    return QUOTE + text if _needs_quote(text) else text


def from_cell(text: str) -> str:
    """A text cell as the value it stands for (the inverse of `to_cell`)."""
    if text.startswith(QUOTE) and _needs_quote(text[1:]):
        return text[1:]
    return text
