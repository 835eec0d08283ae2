"""The audit log: who changed what in the catalog, written in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from catalog.models import AuditEntry

# Actions written to the log (AuditEntry.action).
ADD = "add"
EDIT = "edit"
WITHDRAW = "withdraw"
RESTORE = "restore"
IMPORT = "import"
PUBLISH = "publish"


def actor_of(user_id: int | None) -> str:
    """The actor string for a Telegram user id ("tg:<id>"), or "cli" without one."""
    return f"tg:{user_id}" if user_id is not None else "cli"


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value (dates as ISO strings, tuples as lists)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | set):
        return list(value)
    return value


def field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Every field whose value differs: {field: [old, new]} (missing counts as None)."""
    changes: dict[str, list[Any]] = {}
    for name in sorted(set(old) | set(new)):
        before, after = _plain(old.get(name)), _plain(new.get(name))
        if before != after:
            changes[name] = [before, after]
    return changes


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    project_code: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry to the session (committed with the caller's transaction)."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        project_code=project_code,
        changes={k: _plain(v) for k, v in (changes or {}).items()},
    )
    session.add(entry)
    return entry


def recent(
    session: Session, *, project_code: str | None = None, limit: int = 10, offset: int = 0
) -> list[AuditEntry]:
    """The newest entries first, optionally only those about one project."""
    query = select(AuditEntry)
    if project_code is not None:
        query = query.where(AuditEntry.project_code == project_code)
    query = query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    return list(session.exec(query.offset(offset).limit(limit)).all())


def count(session: Session, *, project_code: str | None = None) -> int:
    """How many entries there are (about one project, or in all)."""
    query = select(func.count()).select_from(AuditEntry)
    if project_code is not None:
        query = query.where(AuditEntry.project_code == project_code)
    return int(session.exec(query).one())
