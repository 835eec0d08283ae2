"""The "understood" line of a search reply, every label and value in the reply's language.

index.results.Understanding.describe speaks in catalog values (山西省, 合资); here sectors
take the taxonomy's name, places the gazetteer's English name and catalog values their
locale text, so an English reply never shows "region: 山西省" nor a Chinese one "solar power".
"""

from __future__ import annotations

from bot.views.i18n import base_lang, has_key, script, t
from bot.views.render import region_label, sector_label
from index.results import Understanding
from index.understanding.money import format_cny


def _value(lang: str, value: str) -> str:
    """A catalog value (合资, 在建) in `lang` when the catalogs know it, else as written."""
    key = f"value.{value}"
    return t(lang, key) if has_key(key) else script(lang, value)


def _amount(lang: str, label: str, low: float | None, high: float | None) -> str | None:
    cny = base_lang(lang)
    if low is not None and high is not None:
        return f"{label} {format_cny(low, cny)}–{format_cny(high, cny)}"
    if low is not None:
        return f"{label} ≥ {format_cny(low, cny)}"
    if high is not None:
        return f"{label} ≤ {format_cny(high, cny)}"
    return None


def describe_understanding(lang: str, u: Understanding) -> str:
    """One line such as "region: Shanxi · total investment ≤ 500 million yuan" (not escaped)."""
    parts: list[str] = []

    def part(key: str, values: list[str]) -> None:
        if values:
            parts.append(t(lang, f"understood.{key}", value="/".join(values)))

    part("sector", [sector_label(lang, key) for key in u.sectors])
    part("region", [region_label(lang, place) for place in u.regions])
    for key, low, high in (
        ("investment", u.investment_min, u.investment_max),
        ("private_capital", u.private_capital_min, u.private_capital_max),
    ):
        amount = _amount(lang, t(lang, f"understood.{key}"), low, high)
        if amount:
            parts.append(amount)
    part("cooperation", [_value(lang, v) for v in u.cooperation])
    part("stage", [_value(lang, v) for v in u.stages])
    part("batch", [script(lang, u.batch)] if u.batch else [])
    part(
        "excluding",
        [region_label(lang, p) for p in u.exclude_regions]
        + [_value(lang, v) for v in u.exclude_cooperation + u.exclude_stages],
    )
    if u.terms and not parts:
        parts.append(t(lang, "understood.keywords", value=" ".join(u.terms)))
    return script(lang, " · ".join(parts))
