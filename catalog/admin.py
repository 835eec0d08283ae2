"""Admin use-cases on the catalog: add, edit, withdraw, restore and import, each audited.

Every change is validated by the exchange format's own row check (`validate_record`), so a
project added in the chat obeys exactly the rules of an imported file, and every change writes
its audit entries in the caller's transaction (the caller commits both or neither).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from catalog import audit
from catalog.errors import CatalogError, InvalidCatalogFile, ProjectNotFound, RowError
from catalog.exchange import (
    AMOUNTS,
    FIELDS,
    LIST_SEPARATOR,
    REQUIRED,
    record_dict,
    validate_record,
)
from catalog.importer import checked_records, scan_file
from catalog.models import PUBLISHED, WITHDRAWN, ProjectCreate, ProjectPublic
from catalog.projects import ImportReport, apply_records, get_project, get_projects, set_status

EDITABLE: tuple[str, ...] = tuple(f for f in FIELDS if f != "code")
OPTIONAL: tuple[str, ...] = tuple(f for f in FIELDS if f not in REQUIRED and f != "status")
REQUIRED_ORDER: tuple[str, ...] = tuple(f for f in FIELDS if f in REQUIRED)
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.S)
_UNITS = {"万": 1e4, "亿": 1e8, "w": 1e4, "k": 1e3, "m": 1e6, "b": 1e9}
# Stand-ins for required fields while checking a single field on its own.
_QUOTE_PAIRS = (("“", "”"), ("‘", "’"), ("「", "」"), ("『", "』"))
_UNCLOSED = (
    "cannot read the arguments: a quotation mark is not closed; put a value with spaces in "
    'matching quotes, e.g. name="太原 半导体"'
)
_PLACEHOLDER = {"code": "X", "name": "X", "batch": "X", "summary": "X"}


class ProjectExists(CatalogError):
    def __init__(self, code: str) -> None:
        super().__init__(f"a project with code {code!r} already exists")
        self.code = code


class InvalidProject(CatalogError):
    """Values that break the exchange format's rules (one RowError per problem)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(f"{e.field or 'row'}: {e.reason}" for e in errors))
        self.errors = errors


class InvalidAssignment(CatalogError):
    """A command argument that is not `field=value`, or names an unknown field."""


@dataclass(frozen=True)
class Change:
    """What one admin command did to one project."""

    code: str
    action: str
    changes: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def straight_quotes(text: str) -> str:
    """Pairs of “…” ‘…’ 「…」 『…』 rewritten as shell quoting (a lone ’ stays an apostrophe)."""
    for opening, closing in _QUOTE_PAIRS:
        text = re.sub(f"{opening}([^{closing}]*){closing}", lambda m: shlex.quote(m.group(1)), text)
    if any(mark in text for mark in "“”‘「」『』"):
        raise InvalidAssignment(_UNCLOSED)
    return text


def parse_assignments(text: str, *, allowed: tuple[str, ...] = FIELDS) -> dict[str, str]:
    """`a=1 b="two words"` -> {"a": "1", "b": "two words"} (shell quoting, like shlex).

    Curly and corner quotes (“…” ‘…’ 「…」 『…』), as phones type them, quote like "…".
    """
    text = straight_quotes(text)
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise InvalidAssignment(_UNCLOSED) from exc
    values: dict[str, str] = {}
    for token in tokens:
        match = _ASSIGNMENT.fullmatch(token)
        if match is None:
            raise InvalidAssignment(f"{token!r} is not field=value")
        name, value = match.group(1), match.group(2)
        if name not in allowed:
            raise InvalidAssignment(f"unknown field {name!r}; fields: {', '.join(allowed)}")
        values[name] = value
    return values


def _number(text: str) -> float | str:
    """A chat amount: plain digits, or with a unit (3500万, 5亿, 1.2b); text if unreadable."""
    cleaned = text.replace(",", "").replace("，", "").strip().lower()
    cleaned = cleaned.removesuffix("元").removesuffix("yuan").strip()
    scale = 1.0
    if cleaned and cleaned[-1] in _UNITS:
        scale, cleaned = _UNITS[cleaned[-1]], cleaned[:-1].strip()
    try:
        return float(cleaned) * scale
    except ValueError:
        return text


def typed_value(name: str, text: str) -> Any:
    """A chat text value in the type the exchange format holds for `name` (empty -> None)."""
    text = text.strip()
    if not text or text == "-":
        return None
    if name == "tags":
        return [tag for tag in text.split(LIST_SEPARATOR)]
    if name in AMOUNTS:
        return _number(text)
    return text


def check_field(
    name: str, text: str, given: Mapping[str, Any] | None = None
) -> tuple[Any, list[RowError]]:
    """Validate one field with the import's rules, against the values already `given`;
    (typed value, errors).

    The errors are this field's own and those the value causes together with the given ones
    (a private capital above the total given, or a total below the private capital given):
    whatever the whole record's check would refuse because of this value is refused now.
    """
    value = typed_value(name, text)
    others = {k: v for k, v in (given or {}).items() if k != name and v is not None}
    base = {**_PLACEHOLDER, **others}
    _record, before = validate_record(base, 0)
    _record, after = validate_record({**base, name: value}, 0)
    known = {(e.field, e.reason) for e in before}
    return value, [e for e in after if e.field == name or (e.field, e.reason) not in known]


def _validated(raw: Mapping[str, Any]) -> ProjectCreate:
    record, errors = validate_record(dict(raw), 0)
    if record is None:
        raise InvalidProject(errors)
    return record


def add_project(session: Session, *, values: Mapping[str, Any], actor: str) -> Change:
    """Create one project from typed values; ProjectExists if its code is taken."""
    record = _validated({k: v for k, v in values.items() if v is not None})
    try:
        get_project(session, code=record.code)
    except ProjectNotFound:
        pass
    else:
        raise ProjectExists(record.code)
    apply_records(session, [record])
    changes = audit.field_changes({}, record_dict(record))
    audit.record(session, actor=actor, action=audit.ADD, project_code=record.code, changes=changes)
    return Change(record.code, audit.ADD, changes)


def edit_project(session: Session, *, code: str, values: Mapping[str, Any], actor: str) -> Change:
    """Change some fields of a project (None clears an optional field); audited if it changed."""
    if "code" in values and values["code"] != code:
        raise InvalidAssignment("the code of a project cannot be changed")
    existing = get_project(session, code=code)
    merged = record_dict(existing)
    for name, value in values.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    record = _validated(merged)
    changes = audit.field_changes(record_dict(existing), record_dict(record))
    if not changes:
        return Change(code, audit.EDIT)
    apply_records(session, [record])
    audit.record(session, actor=actor, action=audit.EDIT, project_code=code, changes=changes)
    return Change(code, audit.EDIT, changes)


def _set_status(session: Session, *, code: str, status: str, action: str, actor: str) -> Change:
    before = get_project(session, code=code).status
    if not set_status(session, code=code, status=status):
        return Change(code, action)
    changes = {"status": [before, status]}
    audit.record(session, actor=actor, action=action, project_code=code, changes=changes)
    return Change(code, action, changes)


def withdraw_project(session: Session, *, code: str, actor: str) -> Change:
    """Withdraw a project (kept, never matched); unchanged if it already was."""
    return _set_status(session, code=code, status=WITHDRAWN, action=audit.WITHDRAW, actor=actor)


def restore_project(session: Session, *, code: str, actor: str) -> Change:
    """Publish a withdrawn project again; unchanged if it was published."""
    return _set_status(session, code=code, status=PUBLISHED, action=audit.RESTORE, actor=actor)


def _records(path: Path, fmt: str, batch: str | None) -> list[ProjectCreate]:
    """Every record of a file already checked by scan_file (refuses if it changed since)."""
    records: list[ProjectCreate] = []
    for _where, record, errors in checked_records(path, fmt, batch=batch):
        if record is None:
            raise InvalidCatalogFile(errors, source=path.name)
        records.append(record)
    return records


def import_catalog(
    session: Session,
    *,
    path: Path,
    fmt: str,
    actor: str,
    source: str,
    dry_run: bool = False,
    batch: str | None = None,
) -> ImportReport:
    """Validate a whole file, then upsert it with one audit entry per changed project.

    InvalidCatalogFile (every bad row named) if any row is bad; nothing is applied then.
    A dry run only reports. The caller's transaction holds the changes and the audit.
    """
    scan_file(path, fmt=fmt, batch=batch)
    records = _records(path, fmt, batch)
    before = {p.code: p for p in get_projects(session, codes=[r.code for r in records])}
    report = apply_records(session, records, dry_run=dry_run)
    if dry_run:
        return report
    by_code = {r.code: r for r in records}
    for code in report.new:
        changes = audit.field_changes({}, record_dict(by_code[code]))
        audit.record(session, actor=actor, action=audit.IMPORT, project_code=code, changes=changes)
    for code in report.updated:
        changes = audit.field_changes(record_dict(before[code]), record_dict(by_code[code]))
        audit.record(session, actor=actor, action=audit.IMPORT, project_code=code, changes=changes)
    audit.record(
        session,
        actor=actor,
        action=audit.IMPORT,
        changes={
            "source": source,
            "new": len(report.new),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
        },
    )
    return report


def project_or_none(session: Session, *, code: str) -> ProjectPublic | None:
    """The project with this code, or None."""
    try:
        return get_project(session, code=code)
    except ProjectNotFound:
        return None
