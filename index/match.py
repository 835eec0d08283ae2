"""Matching an investor's profile to projects: hard constraints, sector relevance, reasons.

`fits(profile, project)` says whether a project satisfies the profile and why (structured
reasons the bot localises). `match_projects` ranks every fitting published project: sector
strength from the taxonomy plus the search engine's relevance for the profile's sectors/words.

Rules (documented in README "What investors can do"):
- regions, cooperation modes, stages: when set, the project must state a matching value;
- ticket range: compared with private_capital_cny, or investment_cny when that is absent;
  a project stating neither amount is not excluded (no amount reason is given);
- sectors (taxonomy keys, broader sectors include narrower ones, or free words): the project
  must belong to one of them (taxonomy) or mention a free word in its name/industry/tags/summary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from catalog.models import PUBLISHED, ProjectPublic
from index.understanding.amounts import AMOUNT, find_amounts, zh_number
from index.understanding.regions import Place, gazetteer
from index.understanding.taxonomy import load_taxonomy
from index.understanding.text import normalize

if TYPE_CHECKING:
    from index.engine import SearchEngine

REASON_KINDS = ("industry", "region", "amount", "cooperation", "stage", "text")


@dataclass(frozen=True)
class Profile:
    """What an investor looks for; empty fields mean "any"."""

    sectors: list[str] = field(default_factory=list)  # taxonomy keys or free words
    regions: list[str] = field(default_factory=list)  # provinces/cities, Chinese canonical
    ticket_min_cny: float | None = None
    ticket_max_cny: float | None = None
    cooperation_modes: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, investor: Any) -> Profile:
        """The profile stored on an Investor row (or anything with the same attributes)."""
        if investor is None:
            return cls()
        return cls(
            sectors=list(investor.sectors or []),
            regions=list(investor.regions or []),
            ticket_min_cny=investor.ticket_min_cny,
            ticket_max_cny=investor.ticket_max_cny,
            cooperation_modes=list(investor.cooperation_modes or []),
            stages=list(investor.stages or []),
        )

    @property
    def is_empty(self) -> bool:
        """No preference at all."""
        return not (
            self.sectors
            or self.regions
            or self.cooperation_modes
            or self.stages
            or self.ticket_min_cny is not None
            or self.ticket_max_cny is not None
        )


@dataclass(frozen=True)
class Reason:
    """Why a project fits: kind is one of REASON_KINDS; value is a sector key, a place..."""

    kind: str
    value: str


@dataclass(frozen=True)
class Match:
    project: ProjectPublic
    score: float
    reasons: list[Reason]


@lru_cache(maxsize=4096)
def _places(name: str) -> tuple[Place, ...]:
    found = gazetteer().find(normalize(name))
    return tuple(found[0][2]) if found else ()


def _region_reason(wanted: list[str], region: str | None) -> Reason | None:
    if not region:
        return None
    gaz = gazetteer()
    for name in wanted:
        places = _places(name)
        if any(gaz.matches(place, region) for place in places) or (not places and name in region):
            return Reason("region", name)
    return None


def _same(a: str, b: str) -> bool:
    a, b = normalize(a), normalize(b)
    return bool(a and b) and (a == b or a in b or b in a)


def _choice_reason(kind: str, wanted: list[str], value: str | None) -> Reason | None:
    if not value:
        return None
    for option in wanted:
        if _same(option, value):
            return Reason(kind, value)
    return None


def _amount_of(project: ProjectPublic) -> float | None:
    if project.private_capital_cny is not None:
        return project.private_capital_cny
    return project.investment_cny


def _text_of(project: ProjectPublic) -> str:
    parts = [project.name, project.name_en or "", project.industry or "", " ".join(project.tags)]
    parts += [project.summary, project.summary_en or ""]
    return normalize(" ".join(parts))


def _sector_reason(profile: Profile, project: ProjectPublic) -> tuple[Reason | None, float]:
    """The sector reason and its strength (1.0 for industry/name/tags, less for summaries)."""
    taxonomy = load_taxonomy()
    strengths = taxonomy.strengths(project)
    best: tuple[Reason | None, float] = (None, 0.0)
    text: str | None = None
    for wanted in profile.sectors:
        if wanted in taxonomy.by_key:
            strength = strengths.get(wanted, 0.0)
            if strength >= 0.8 and strength > best[1]:
                best = (Reason("industry", wanted), strength)
        else:
            text = text if text is not None else _text_of(project)
            word = normalize(wanted)
            keys = taxonomy.expand(wanted)
            strength = max((strengths.get(k, 0.0) for k in keys), default=0.0)
            if strength >= 0.8 and strength > best[1]:
                best = (Reason("industry", keys[0]), strength)
            elif word and word in text and best[1] < 0.5:
                best = (Reason("text", wanted), 0.5)
    return best


def _fit(profile: Profile, project: ProjectPublic) -> tuple[list[Reason], float] | None:
    if project.status != PUBLISHED:
        return None
    reasons: list[Reason] = []
    strength = 0.0
    if profile.sectors:
        reason, strength = _sector_reason(profile, project)
        if reason is None:
            return None
        reasons.append(reason)
    if profile.regions:
        region = _region_reason(profile.regions, project.region)
        if region is None:
            return None
        reasons.append(region)
    if profile.ticket_min_cny is not None or profile.ticket_max_cny is not None:
        amount = _amount_of(project)
        if amount is not None:
            low, high = profile.ticket_min_cny, profile.ticket_max_cny
            if (low is not None and amount < low) or (high is not None and amount > high):
                return None
            reasons.append(Reason("amount", str(amount)))
    for kind, wanted, value in (
        ("cooperation", profile.cooperation_modes, project.cooperation),
        ("stage", profile.stages, project.stage),
    ):
        if wanted:
            reason = _choice_reason(kind, wanted, value)
            if reason is None:
                return None
            reasons.append(reason)
    return reasons, strength


def fits(profile: Profile, project: ProjectPublic) -> list[Reason] | None:
    """The reasons `project` fits `profile`, or None when it does not fit."""
    found = _fit(profile, project)
    return found[0] if found is not None else None


def _sector_query(profile: Profile) -> str:
    taxonomy = load_taxonomy()
    words = []
    for wanted in profile.sectors:
        sector = taxonomy.by_key.get(wanted)
        words.append(f"{sector.zh} {sector.en}" if sector else wanted)
    return " ".join(words)


def match_projects(
    engine: SearchEngine,
    profile: Profile,
    *,
    k: int = 10,
    offset: int = 0,
    codes: Iterable[str] | None = None,
) -> list[Match]:
    """Published projects that fit `profile`, best first (optionally only among `codes`)."""
    from catalog.db import session_scope
    from catalog.projects import get_projects, iter_project_chunks

    with session_scope(engine.db) as session:
        if codes is not None:
            projects = get_projects(session, codes=list(dict.fromkeys(codes)))
        else:
            chunks = iter_project_chunks(session, status=PUBLISHED)
            projects = [p for chunk in chunks for p in chunk]
    fitting = []
    for project in projects:
        found = _fit(profile, project)
        if found is not None:
            fitting.append((project, *found))
    if not fitting:
        return []
    relevance: dict[str, float] = {}
    query = _sector_query(profile)
    if query:
        result = engine.search(query, k=max(len(fitting), 10) * 2)
        if result.hits:
            top = max(h.score for h in result.hits) or 1.0
            relevance = {h.project.code: max(h.score, 0.0) / top for h in result.hits}
    ranked = []
    for project, reasons, strength in fitting:
        score = 1.0 + strength + 0.5 * relevance.get(project.code, 0.0) + 0.05 * len(reasons)
        ranked.append(Match(project=project, score=round(score, 4), reasons=reasons))
    ranked.sort(
        key=lambda m: (-m.score, -(m.project.published_on.toordinal() if m.project.published_on
                                   else 0), m.project.code)
    )  # fmt: skip
    return ranked[offset : offset + k]


def parse_ticket(text: str) -> tuple[float | None, float | None] | None:
    """An investor's ticket size typed as "1亿-5亿", "50m-200m", "3000万以上", "up to 2 billion".

    A single amount ("5000万") is read as an upper bound; None if no amount is found.
    """
    clean = normalize(text)
    found = find_amounts(clean)
    if found:
        return found[0].low, found[0].high
    single = re.fullmatch(rf"\s*{AMOUNT}\s*", clean)
    if single:
        base = zh_number(single.group(1))
        unit = (single.group(2) or single.group(3) or "").lower()
        factor = {"亿": 1e8, "万": 1e4, "千万": 1e7, "百万": 1e6, "billion": 1e9, "bn": 1e9,
                  "b": 1e9, "million": 1e6, "mn": 1e6, "m": 1e6}.get(unit)  # fmt: skip
        if base is not None and factor:
            return None, base * factor
    return None
