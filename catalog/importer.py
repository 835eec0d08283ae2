"""Import and export use-cases: validate a whole file, then apply it in one transaction."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session
from tqdm import tqdm

from catalog.db import session_scope
from catalog.errors import CatalogBusy, InvalidCatalogFile, RowError
from catalog.exchange import format_of, stored_problem, validate_record, write_records
from catalog.models import AuditEntry, ProjectCreate
from catalog.projects import CHUNK_SIZE, ImportReport, apply_records, iter_project_rows
from catalog.readers import read_rows
from catalog.sheet_export import write_xlsx
from catalog.sheets import SheetRow

Checked = tuple[RowError, ProjectCreate | None, list[RowError]]

log = logging.getLogger(__name__)


def checked_records(path: Path, fmt: str, *, batch: str | None = None) -> Iterator[Checked]:
    """Every row of the file through the row check: (where, record or None, its errors).

    `where` is an error without a reason: the row's line, or its sheet and row; a
    spreadsheet row's errors name its sheet and cell."""
    for line, row in read_rows(path, fmt, batch=batch):
        if isinstance(row, RowError):
            yield row, None, [row]
            continue
        record, errors = validate_record(row, line)
        where = RowError(line, None, "")
        if isinstance(row, SheetRow):
            errors = [row.locate(error) for error in errors]
            where = row.locate(RowError(line, "code", ""))
        yield where, record, errors


def scan_file(
    path: str | Path, *, fmt: str | None = None, progress: bool = False, batch: str | None = None
) -> int:
    """First pass: validate every row, keeping only the codes seen; the row count.

    Raises InvalidCatalogFile naming every bad row (line, field, reason).
    """
    path = Path(path)
    fmt = fmt or format_of(path)
    first_seen: dict[str, str] = {}
    errors: list[RowError] = []
    rows = checked_records(path, fmt, batch=batch)
    bar = tqdm(rows, desc="checking", unit=" rows", disable=not progress, file=sys.stderr)
    for where, record, row_errors in bar:
        errors.extend(row_errors)
        if record is None:
            continue
        seen = first_seen.setdefault(record.code, where.location)
        if seen != where.location:
            reason = f"duplicate code {record.code!r} (first on {seen})"
            errors.append(RowError(where.line, "code", reason, where.sheet, where.column))
    if errors:
        raise InvalidCatalogFile(errors, source=path.name)
    return len(first_seen)


def _apply_pass(path: Path, fmt: str, batch: str | None) -> Iterator[ProjectCreate]:
    """Second pass: the same rows again, now known to be valid."""
    for _where, record, errors in checked_records(path, fmt, batch=batch):
        if errors or record is None:  # the file changed under us: refuse, roll back
            raise InvalidCatalogFile(errors, source=path.name)
        yield record


def import_into(
    session: Session,
    path: str | Path,
    *,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: bool = False,
    chunk_size: int = CHUNK_SIZE,
    batch: str | None = None,
) -> ImportReport:
    """Validate the whole file, then upsert it through `session` (the caller commits).

    `batch` is for spreadsheets whose sheets name no batch (see catalog/sheets.py)."""
    path = Path(path)
    fmt = fmt or format_of(path)
    total = scan_file(path, fmt=fmt, progress=progress, batch=batch)
    records = tqdm(
        _apply_pass(path, fmt, batch),
        total=total,
        desc="checking changes" if dry_run else "importing",
        unit=" rows",
        disable=not progress,
        file=sys.stderr,
    )
    return apply_records(session, records, dry_run=dry_run, chunk_size=chunk_size)


IMPORT_ATTEMPTS = 4


def _retryable(exc: DBAPIError) -> str | None:
    """What a concurrent writer did, when retrying the whole import can succeed; else None."""
    if isinstance(exc, IntegrityError):  # another import created the same new codes first
        return "another process was importing the same projects at the same time"
    text = str(exc.orig).lower()
    if any(word in text for word in ("locked", "busy", "deadlock", "could not serialize")):
        return "the catalog database was busy with another writer (an import or the bot)"
    return None


def import_file(
    engine: Engine,
    path: str | Path,
    *,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: bool = False,
    actor: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    batch: str | None = None,
) -> ImportReport:
    """Import a catalog file in one transaction: all of it, or (on any error) nothing.

    `fmt` overrides the extension (for downloads saved under another name); with `actor`
    an audit entry records the import. A dry run computes the report and writes nothing.
    A clash with another writer (the same new codes, a lock held too long) retries the whole
    import, which then sees the other's rows; after the last try, CatalogBusy.
    """
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        try:
            return _import_once(
                engine, Path(path), fmt, dry_run, progress, actor, chunk_size, batch
            )
        except (IntegrityError, OperationalError) as exc:
            what = _retryable(exc)
            if what is None:
                raise
            if attempt == IMPORT_ATTEMPTS:
                raise CatalogBusy(what) from None
            log.info("import clashed with another writer (%s); trying again", what)
            time.sleep(0.25 * attempt)
    raise AssertionError("unreachable")


def _import_once(
    engine: Engine,
    path: Path,
    fmt: str | None,
    dry_run: bool,
    progress: bool,
    actor: str | None,
    chunk_size: int,
    batch: str | None,
) -> ImportReport:
    with session_scope(engine) as session:
        report = import_into(
            session,
            path,
            fmt=fmt,
            dry_run=dry_run,
            progress=progress,
            chunk_size=chunk_size,
            batch=batch,
        )
        if dry_run:
            session.rollback()
        elif actor and report.changed:
            session.add(
                AuditEntry(
                    actor=actor,
                    action="import",
                    changes={
                        "source": path.name,
                        "new": len(report.new),
                        "updated": len(report.updated),
                        "unchanged": len(report.unchanged),
                    },
                )
            )
    return report


def _writable(rows: Iterable[Any]) -> Iterator[Any]:
    """Rows the format can hold; a bad one already stored is logged and left out, so one
    row cannot stop a backup (it could not be imported again either)."""
    for row in rows:
        problem = stored_problem(row)
        if problem is None:
            yield row
        else:
            log.warning("export: left out project %a: %s", row.code, problem)


def export_to(engine: Engine, fh: TextIO, fmt: str) -> int:
    """Write the whole catalog, in code order, to an open text file; the count written."""
    with Session(engine) as session:
        return write_records(fh, _writable(iter_project_rows(session)), fmt)


def export_file(engine: Engine, path: str | Path, *, fmt: str | None = None) -> int:
    """Write the catalog to `path` (format by extension), replacing it only when complete."""
    path = Path(path)
    fmt = fmt or format_of(path)
    part = path.with_name(f".{path.name}.part")
    try:
        if fmt == "xlsx":
            with Session(engine) as session:
                count = write_xlsx(part, iter_project_rows(session))
        else:
            with open(part, "w", encoding="utf-8", newline="") as fh:
                count = export_to(engine, fh, fmt)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return count
