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

log = logging.getLogger(__name__)


def _valid_records(
    path: Path, fmt: str
) -> Iterator[tuple[int, ProjectCreate | None, list[RowError]]]:
    for line, row in read_rows(path, fmt):
        if isinstance(row, RowError):
            yield line, None, [row]
        else:
            record, errors = validate_record(row, line)
            yield line, record, errors


def scan_file(path: str | Path, *, fmt: str | None = None, progress: bool = False) -> int:
    """First pass: validate every row, keeping only the codes seen; the row count.

    Raises InvalidCatalogFile naming every bad row (line, field, reason).
    """
    path = Path(path)
    fmt = fmt or format_of(path)
    first_line: dict[str, int] = {}
    errors: list[RowError] = []
    rows = _valid_records(path, fmt)
    bar = tqdm(rows, desc="checking", unit=" rows", disable=not progress, file=sys.stderr)
    for line, record, row_errors in bar:
        errors.extend(row_errors)
        if record is None:
            continue
        seen = first_line.setdefault(record.code, line)
        if seen != line:
            errors.append(
                RowError(line, "code", f"duplicate code {record.code!r} (first on line {seen})")
            )
    if errors:
        raise InvalidCatalogFile(errors, source=path.name)
    return len(first_line)


def _apply_pass(path: Path, fmt: str) -> Iterator[ProjectCreate]:
    """Second pass: the same rows again, now known to be valid."""
    for _line, record, errors in _valid_records(path, fmt):
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
) -> ImportReport:
    """Validate the whole file, then upsert it through `session` (the caller commits)."""
    path = Path(path)
    fmt = fmt or format_of(path)
    total = scan_file(path, fmt=fmt, progress=progress)
    records = tqdm(
        _apply_pass(path, fmt),
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
) -> ImportReport:
    """Import a catalog file in one transaction: all of it, or (on any error) nothing.

    `fmt` overrides the extension (for downloads saved under another name); with `actor`
    an audit entry records the import. A dry run computes the report and writes nothing.
    A clash with another writer (the same new codes, a lock held too long) retries the whole
    import, which then sees the other's rows; after the last try, CatalogBusy.
    """
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        try:
            return _import_once(engine, Path(path), fmt, dry_run, progress, actor, chunk_size)
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
) -> ImportReport:
    with session_scope(engine) as session:
        report = import_into(
            session, path, fmt=fmt, dry_run=dry_run, progress=progress, chunk_size=chunk_size
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
        with open(part, "w", encoding="utf-8", newline="") as fh:
            count = export_to(engine, fh, fmt)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return count
