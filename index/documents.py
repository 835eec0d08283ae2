"""What the index keeps per project: facets for filters, sector strengths, texts, a content hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from catalog.models import PUBLISHED, Project, ProjectPublic
from index.taxonomy import Taxonomy
from index.text import normalize, tokenize

# fields the index depends on; a change in any of them means re-indexing the project
INDEXED_FIELDS = (
    "code",
    "name",
    "name_en",
    "batch",
    "published_on",
    "region",
    "industry",
    "investment_cny",
    "private_capital_cny",
    "cooperation",
    "stage",
    "summary",
    "summary_en",
    "tags",
    "status",
)
# lexical field weights: a word in the name counts three times one in the summary
FIELD_WEIGHTS = {
    "name": 3.0,
    "name_en": 2.0,
    "tags": 2.0,
    "industry": 2.0,
    "region": 1.0,
    "cooperation": 1.0,
    "stage": 1.0,
    "summary": 1.0,
    "summary_en": 1.0,
}
DENSE_SUMMARY_CHARS = 200


@dataclass
class DocRecord:
    """One indexed project: enough to filter and rank without touching the database."""

    id: int
    code: str
    hash: str
    name: str
    batch: str
    published_on: str | None
    region: str | None
    investment: float | None
    private_capital: float | None
    cooperation: str | None
    stage: str | None
    sectors: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DocRecord:
        return cls(**raw)


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def content_hash(values: dict[str, Any]) -> str:
    """A stable hash of the indexed fields of a project (a row mapping or model dump)."""
    payload = "\x1f".join([repr(_plain(values.get(k))) for k in INDEXED_FIELDS])
    return hashlib.blake2b(payload.encode("utf-8"), digest_size=12).hexdigest()


def make_record(project: ProjectPublic, taxonomy: Taxonomy) -> DocRecord:
    """The index record of a project."""
    return DocRecord(
        id=project.id,
        code=project.code,
        hash=content_hash(project.model_dump()),
        name=project.name,
        batch=project.batch,
        published_on=project.published_on.isoformat() if project.published_on else None,
        region=project.region,
        investment=project.investment_cny,
        private_capital=project.private_capital_cny,
        cooperation=project.cooperation,
        stage=project.stage,
        sectors={k: round(v, 3) for k, v in taxonomy.strengths(project).items()},
    )


def lexical_counts(project: ProjectPublic) -> dict[str, float]:
    """Weighted term frequencies over the searchable fields."""
    counts: dict[str, float] = {}
    fields = {
        "name": project.name,
        "name_en": project.name_en,
        "tags": " ".join(project.tags or []),
        "industry": project.industry,
        "region": project.region,
        "cooperation": project.cooperation,
        "stage": project.stage,
        "summary": project.summary,
        "summary_en": project.summary_en,
    }
    for fname, raw in fields.items():
        if not raw:
            continue
        weight = FIELD_WEIGHTS[fname]
        for token in tokenize(normalize(raw)):
            counts[token] = counts.get(token, 0.0) + weight
    return counts


def dense_text(project: ProjectPublic, multilingual: bool) -> str:
    """A bounded passage for the embedding model (English first for English-only models)."""
    tags = ", ".join(project.tags or [])
    if multilingual:
        parts = [
            project.name,
            project.name_en or "",
            project.industry or "",
            tags,
            (project.summary or "")[:DENSE_SUMMARY_CHARS],
        ]
    elif project.name_en or project.summary_en:
        # an English-only model reads Chinese as noise: give it the English fields only
        parts = [project.name_en or "", (project.summary_en or "")[:DENSE_SUMMARY_CHARS]]
    else:
        parts = [
            project.name,
            project.industry or "",
            tags,
            (project.summary or "")[:DENSE_SUMMARY_CHARS],
        ]
    return ". ".join(p for p in parts if p)


def to_public(row: Project) -> ProjectPublic:
    """A detached public copy of a table row."""
    return ProjectPublic.model_validate(row, from_attributes=True)


def iter_projects(
    db: Engine,
    *,
    codes: Iterable[str] | None = None,
    ids: Iterable[int] | None = None,
    batch_size: int = 2000,
) -> Iterator[ProjectPublic]:
    """Projects from the database (all, or those codes/ids), in id order."""
    with Session(db) as session:
        stmt = select(Project).order_by(Project.id)  # type: ignore[arg-type]
        if codes is not None:
            stmt = stmt.where(Project.code.in_(list(codes)))  # type: ignore[attr-defined]
        if ids is not None:
            stmt = stmt.where(Project.id.in_(list(ids)))  # type: ignore[union-attr]
        for row in session.execute(stmt.execution_options(yield_per=batch_size)).scalars():
            yield to_public(row)


def current_hashes(db: Engine) -> dict[int, tuple[str, str]]:
    """id -> (code, content hash) of every published project, read without building models."""
    cols = [getattr(Project, f) for f in ("id", *INDEXED_FIELDS)]
    out: dict[int, tuple[str, str]] = {}
    with db.connect() as conn:
        result = conn.execute(select(*cols).where(Project.status == PUBLISHED))  # type: ignore[arg-type]
        for row in result.mappings():
            values = dict(row)
            out[int(values["id"])] = (str(values["code"]), content_hash(values))
    return out
