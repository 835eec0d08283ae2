"""What the search engine hands out: hits, the understood query, answers, sync reports."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from catalog.models import ProjectPublic
from index.understanding.money import format_cny


@dataclass(frozen=True)
class Hit:
    project: ProjectPublic
    score: float


@dataclass(frozen=True)
class Understanding:
    """What the query was understood to ask: content words, sectors and hard filters."""

    terms: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    region: str | None = None
    investment_min: float | None = None
    investment_max: float | None = None
    private_capital_min: float | None = None
    private_capital_max: float | None = None
    cooperation: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    batch: str | None = None
    regions: list[str] = field(default_factory=list)  # every place the filter accepts
    sector_names: list[str] = field(default_factory=list)  # display names of `sectors`
    exclude_regions: list[str] = field(default_factory=list)  # 除了四川以外 / not in Sichuan
    exclude_cooperation: list[str] = field(default_factory=list)
    exclude_stages: list[str] = field(default_factory=list)
    published_year: int | None = None  # 2024年发布的 / published in 2024
    term_min: float | None = None  # cooperation / concession term in years
    term_max: float | None = None

    @property
    def has_filters(self) -> bool:
        """Whether any hard filter applies."""
        return bool(
            self.regions
            or self.exclude_regions
            or self.exclude_cooperation
            or self.exclude_stages
            or self.cooperation
            or self.stages
            or self.batch
            or self.published_year
            or any(
                v is not None
                for v in (
                    self.investment_min,
                    self.investment_max,
                    self.private_capital_min,
                    self.private_capital_max,
                    self.term_min,
                    self.term_max,
                )
            )
        )

    def describe(self, lang: str = "zh") -> str:
        """One line such as "地区: 山西省 · 总投资 ≤ 5亿元" (or English)."""
        zh = lang.startswith("zh")
        parts: list[str] = []
        if self.sector_names:
            parts.append(("行业: " if zh else "sector: ") + "/".join(self.sector_names))
        if self.regions:
            parts.append(("地区: " if zh else "region: ") + "/".join(self.regions))
        for label_zh, label_en, lo, hi in (
            ("总投资", "total investment", self.investment_min, self.investment_max),
            ("民间资本", "private capital", self.private_capital_min, self.private_capital_max),
        ):
            label = label_zh if zh else label_en
            if lo is not None and hi is not None:
                parts.append(f"{label} {format_cny(lo, lang)}–{format_cny(hi, lang)}")
            elif lo is not None:
                parts.append(f"{label} ≥ {format_cny(lo, lang)}")
            elif hi is not None:
                parts.append(f"{label} ≤ {format_cny(hi, lang)}")
        if self.cooperation:
            parts.append(("合作方式: " if zh else "cooperation: ") + "/".join(self.cooperation))
        if self.stages:
            parts.append(("阶段: " if zh else "stage: ") + "/".join(self.stages))
        if self.batch:
            parts.append(("批次: " if zh else "batch: ") + self.batch)
        if self.published_year:
            parts.append(("发布年份: " if zh else "published: ") + str(self.published_year))
        if self.term_min is not None or self.term_max is not None:
            lo, hi = self.term_min, self.term_max
            span = f"{lo:g}" if lo == hi else f"≥ {lo:g}" if hi is None else f"≤ {hi:g}"
            parts.append(("合作期: " if zh else "term: ") + span + ("年" if zh else " years"))
        excluded = self.exclude_regions + self.exclude_cooperation + self.exclude_stages
        if excluded:
            parts.append(("不含: " if zh else "excluding: ") + "/".join(excluded))
        if self.terms and not parts:
            parts.append(("关键词: " if zh else "keywords: ") + " ".join(self.terms))
        return " · ".join(parts)


@dataclass(frozen=True)
class SearchResult:
    query: str
    understanding: Understanding
    hits: list[Hit]
    total: int
    notice: str | None = None


@dataclass(frozen=True)
class Answer:
    """What the domain says to a question; bot/ words it from the locale files.

    kind "attribute": `projects[0]` is the project asked about, `field` the record attribute
    (or "summary" for a fact quoted from a sentence), `value` the figure as the record gives
    it, `sentence` the sentence quoted, `fact` the kind of fact asked (length, duration...).
    `stated` is False when the record does not hold the fact: `value` is None then.
    `others` are further projects that matched the question about as well.
    kind "list": `projects` are matches and `which` says the question asked about one of them.
    kind "none": `notice` says why ("empty_catalog", "no_match", "unknown_project").
    """

    question: str
    kind: str  # "attribute" | "list" | "none"
    projects: list[ProjectPublic]
    field: str | None = None
    value: str | None = None
    lang: str = "zh"
    fact: str | None = None
    sentence: str | None = None
    stated: bool = True
    others: list[ProjectPublic] = dataclasses.field(default_factory=list)
    total: int = 0
    which: bool = False
    notice: str | None = None


@dataclass(frozen=True)
class SyncReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    rebuilt: bool = False
