"""What the index keeps per project: facets for filters, sector strengths, texts, a content hash."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from catalog.exchange import FIELDS, stored_problem
from catalog.models import PUBLISHED, Project, ProjectPublic
from index.understanding.periods import record_term
from index.understanding.taxonomy import Taxonomy
from index.understanding.text import normalize, tokenize

log = logging.getLogger(__name__)

# fields the index depends on (every exchange field but the owner and contact, which are read
# from the database when shown); a change in any of them means re-indexing the project
INDEXED_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f not in ("owner", "contact"))
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
IN_BATCH = 500


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
    term_years: float | None = None  # the cooperation / concession term the record states

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))  # shallow: records are never changed once made

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DocRecord:
        return cls(**raw)


def content_hash(values: tuple[Any, ...]) -> str:
    """A stable hash of a stored project row's indexed fields (as the driver returns them)."""
    return hashlib.blake2b(repr(values).encode("utf-8"), digest_size=12).hexdigest()


def make_record(project: ProjectPublic, taxonomy: Taxonomy, content: str) -> DocRecord:
    """The index record of a project (`content`: its hash from `current_hashes`)."""
    return DocRecord(
        id=project.id,
        code=project.code,
        hash=content,
        name=project.name,
        batch=project.batch,
        published_on=project.published_on.isoformat() if project.published_on else None,
        region=project.region,
        investment=project.investment_cny,
        private_capital=project.private_capital_cny,
        cooperation=project.cooperation,
        stage=project.stage,
        sectors={k: round(v, 3) for k, v in taxonomy.strengths(project).items()},
        term_years=record_term(f"{project.cooperation or ''} {project.summary or ''}"),
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
    if codes is not None or ids is not None:
        col = Project.code if codes is not None else Project.id
        keys = list(codes if codes is not None else ids or [])
        for start in range(0, len(keys), IN_BATCH):  # stay under SQL variable limits
            with Session(db) as session:
                stmt = select(Project).where(col.in_(keys[start : start + IN_BATCH]))  # type: ignore[union-attr]
                rows = session.execute(stmt.order_by(Project.id)).scalars().all()  # type: ignore[arg-type]
                yield from (to_public(r) for r in rows)
        return
    with Session(db) as session:
        stmt = select(Project).order_by(Project.id)  # type: ignore[arg-type]
        for row in session.execute(stmt.execution_options(yield_per=batch_size)).scalars():
            yield to_public(row)


def usable_projects(
    db: Engine,
    skipped: dict[int, tuple[str, str]],
    *,
    codes: Iterable[str] | None = None,
    ids: Iterable[int] | None = None,
) -> Iterator[ProjectPublic]:
    """iter_projects without the rows no index can hold (see stored_problem): each is logged
    once and kept in `skipped` (id -> code, problem) for admins to see."""
    for p in iter_projects(db, codes=codes, ids=ids):
        problem = stored_problem(p)
        if problem is None:
            skipped.pop(p.id, None)
            yield p
        elif p.id not in skipped:
            log.warning("project %a left out of the index: %s", p.code, problem)
            skipped[p.id] = (p.code, problem)


def current_hashes(
    db: Engine, *, ids: Iterable[int] | None = None, published_only: bool = True
) -> dict[int, tuple[str, str]]:
    """id -> (code, content hash) of projects, hashed from the values as the driver stores them.

    Plain SQL and no decoding keep the startup check of a large catalog fast; the index
    records get their hashes from this same function, so both sides always agree.
    """
    table = Project.__tablename__
    base = f"SELECT id, {', '.join(INDEXED_FIELDS)} FROM {table}"
    conditions = [f"status = '{PUBLISHED}'"] if published_only else []
    keys = None if ids is None else [int(i) for i in ids]  # ints only: safe to inline
    batches: list[list[int] | None] = (
        [None] if keys is None else [keys[i : i + IN_BATCH] for i in range(0, len(keys), IN_BATCH)]
    )
    out: dict[int, tuple[str, str]] = {}
    with db.connect() as conn:
        for batch in batches:
            where = list(conditions)
            if batch is not None:
                if not batch:
                    continue
                where.append(f"id IN ({', '.join(map(str, batch))})")
            sql = base + (" WHERE " + " AND ".join(where) if where else "")
            for row in conn.exec_driver_sql(sql):
                out[int(row[0])] = (str(row[1]), content_hash(tuple(row[1:])))
    return out
