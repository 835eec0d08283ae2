"""Projects and batches: keyword-only CRUD that takes the session, and the bulk upsert."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlmodel import Session, col

from catalog.errors import CatalogError, ProjectNotFound
from catalog.exchange import FIELDS
from catalog.models import PROJECT_STATUSES, Batch, Project, ProjectCreate, ProjectPublic, utcnow

CHUNK_SIZE = 1000
_COLUMNS = tuple(Project.__table__.c)  # type: ignore[attr-defined]


class InvalidStatus(CatalogError):
    """A project status other than published / withdrawn."""

    def __init__(self, status: str) -> None:
        super().__init__(f"{status!r} is not a project status ({', '.join(PROJECT_STATUSES)})")
        self.status = status


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), by project code."""

    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    new_batches: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> list[str]:
        """Codes whose rows were inserted or updated (what the search index must refresh)."""
        return self.new + self.updated

    @property
    def total(self) -> int:
        return len(self.new) + len(self.updated) + len(self.unchanged)


def _public(row: Row[Any]) -> ProjectPublic:
    return ProjectPublic.model_validate(dict(row._mapping))


def get_project(session: Session, *, code: str) -> ProjectPublic:
    """The project with `code`, detached; ProjectNotFound if there is none."""
    row = session.execute(select(*_COLUMNS).where(col(Project.code) == code)).first()
    if row is None:
        raise ProjectNotFound(code)
    return _public(row)


def get_projects(session: Session, *, codes: Sequence[str]) -> list[ProjectPublic]:
    """The projects with these codes, in code order; unknown codes are skipped."""
    found: list[ProjectPublic] = []
    for start in range(0, len(codes), CHUNK_SIZE):
        part = list(codes[start : start + CHUNK_SIZE])
        rows = session.execute(select(*_COLUMNS).where(col(Project.code).in_(part)))
        found.extend(_public(row) for row in rows)
    return sorted(found, key=lambda p: p.code)


def count_projects(session: Session, *, status: str | None = None) -> int:
    """How many projects there are (with `status`, if given)."""
    query = select(func.count()).select_from(Project)
    if status is not None:
        query = query.where(col(Project.status) == status)
    return int(session.execute(query).scalar_one())


def iter_project_rows(
    session: Session, *, status: str | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[Row[Any]]:
    """Stream every project row (all columns) in code order, never all in memory."""
    query = select(*_COLUMNS).order_by(col(Project.code))
    if status is not None:
        query = query.where(col(Project.status) == status)
    yield from session.execute(query.execution_options(yield_per=chunk_size))


def iter_project_chunks(
    session: Session, *, status: str | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[list[ProjectPublic]]:
    """Every project (or those with `status`) as ProjectPublic lists of up to chunk_size."""
    chunk: list[ProjectPublic] = []
    for row in iter_project_rows(session, status=status, chunk_size=chunk_size):
        chunk.append(_public(row))
        if len(chunk) >= chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def set_status(session: Session, *, code: str, status: str, now: datetime | None = None) -> bool:
    """Publish or withdraw a project; True if its status changed."""
    if status not in PROJECT_STATUSES:
        raise InvalidStatus(status)
    current = session.execute(select(col(Project.status)).where(col(Project.code) == code)).scalar()
    if current is None:
        raise ProjectNotFound(code)
    if current == status:
        return False
    session.execute(
        update(Project)
        .where(col(Project.code) == code)
        .values(status=status, updated_at=now or utcnow())
    )
    return True


def diff_project(existing: Any, incoming: ProjectCreate) -> dict[str, tuple[Any, Any]]:
    """Fields whose values differ, as {field: (old, new)}; `existing` is a row or a model."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name in FIELDS:
        old, new = getattr(existing, name), getattr(incoming, name)
        if name == "tags":
            old = list(old or [])
        if old != new:
            changes[name] = (old, new)
    return changes


def apply_records(
    session: Session,
    records: Iterable[ProjectCreate],
    *,
    dry_run: bool = False,
    chunk_size: int = CHUNK_SIZE,
    now: datetime | None = None,
) -> ImportReport:
    """Upsert validated projects by code in chunks, inside the caller's transaction."""
    now = now or utcnow()
    report = ImportReport(dry_run=dry_run)
    batches: dict[str, date | None] = {}
    chunk: list[ProjectCreate] = []
    for record in records:
        if batches.get(record.batch) is None:
            batches[record.batch] = record.published_on
        chunk.append(record)
        if len(chunk) >= chunk_size:
            _apply_chunk(session, chunk, report, now=now, dry_run=dry_run)
            chunk = []
    if chunk:
        _apply_chunk(session, chunk, report, now=now, dry_run=dry_run)
    report.new_batches = ensure_batches(session, batches=batches, now=now, dry_run=dry_run)
    return report


def _apply_chunk(
    session: Session,
    chunk: list[ProjectCreate],
    report: ImportReport,
    *,
    now: datetime,
    dry_run: bool,
) -> None:
    """Compare one chunk with the stored rows, then insert the new and update the changed."""
    by_code = {record.code: record for record in chunk}  # a repeated code: the last one wins
    query = select(*_COLUMNS).where(col(Project.code).in_(list(by_code)))
    existing = {row.code: row for row in session.execute(query)}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for code, record in by_code.items():
        values = record.model_dump(include=set(FIELDS))
        row = existing.get(code)
        if row is None:
            report.new.append(code)
            inserts.append({**values, "created_at": now, "updated_at": now})
        elif diff_project(row, record):
            report.updated.append(code)
            updates.append({**values, "id": row.id, "updated_at": now})
        else:
            report.unchanged.append(code)
    if dry_run:
        return
    if inserts:
        session.execute(insert(Project), inserts)
    if updates:
        session.execute(update(Project), updates)


def ensure_batches(
    session: Session,
    *,
    batches: dict[str, date | None],
    now: datetime | None = None,
    dry_run: bool = False,
) -> list[str]:
    """Create missing Batch rows (and fill a missing published_on); the codes created."""
    if not batches:
        return []
    codes = sorted(batches)
    known = {
        batch.code: batch
        for batch in session.execute(select(Batch).where(col(Batch.code).in_(codes))).scalars()
    }
    created = [code for code in codes if code not in known]
    if dry_run:
        return created
    for code in created:
        session.add(Batch(code=code, published_on=batches[code], created_at=now or utcnow()))
    for code, batch in known.items():
        if batch.published_on is None and batches[code] is not None:
            batch.published_on = batches[code]
    session.flush()
    return created
