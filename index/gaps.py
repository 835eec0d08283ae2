"""What investors want that the catalog lacks: sectors and provinces named in searches that
found nothing and in subscriptions, minus those the published catalog covers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from index.understanding.regions import province_of
from index.understanding.taxonomy import load_taxonomy
from index.understanding.text import normalize


def _sectors_in(text: str) -> set[str]:
    taxonomy = load_taxonomy()
    if text in taxonomy.by_key:
        return {text}
    return {key for hit in taxonomy.find(normalize(text)) for key in hit.sectors}


def wanted_missing(
    *,
    empty_searches: Iterable[tuple[str, int]],
    subscribed_sectors: Counter[str],
    subscribed_regions: Counter[str],
    industries: Iterable[str],
    regions: Iterable[str],
    top: int = 10,
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(sector key, times wanted) and (province, times wanted) the catalog has nothing for."""
    taxonomy = load_taxonomy()
    covered_sectors: set[str] = set()
    for industry in industries:
        for key in _sectors_in(industry):
            covered_sectors |= taxonomy.ancestors(key)
    covered_provinces = {p for p in (province_of(r) for r in regions) if p}
    sectors: Counter[str] = Counter()
    provinces: Counter[str] = Counter()
    for text, n in empty_searches:
        for key in _sectors_in(text):
            sectors[key] += n
        province = province_of(text)
        if province:
            provinces[province] += n
    for word, n in subscribed_sectors.items():
        for key in _sectors_in(word):
            sectors[key] += n
    for word, n in subscribed_regions.items():
        province = province_of(word)
        if province:
            provinces[province] += n
    missing_sectors = [(k, n) for k, n in sectors.most_common() if k not in covered_sectors]
    missing_provinces = [(p, n) for p, n in provinces.most_common() if p not in covered_provinces]
    return missing_sectors[:top], missing_provinces[:top]
