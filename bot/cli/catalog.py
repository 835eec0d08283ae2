"""`tuijie import` / `tuijie export`: parse the arguments, call the catalog use-case, report."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from bot.settings import Settings
from catalog.db import open_database
from catalog.errors import CatalogBusy, InvalidCatalogFile
from catalog.exchange import UnsupportedFormat, format_of
from catalog.importer import export_file, export_to, import_file
from catalog.projects import ImportReport
from catalog.sheets import plan_lines


def _fail(message: str, code: int) -> int:
    print(f"tuijie: {message}", file=sys.stderr)
    return code


def describe_report(report: ImportReport) -> str:
    """One line saying what an import did (or would do)."""
    counts = (
        f"{len(report.new)} new, {len(report.updated)} updated, {len(report.unchanged)} unchanged"
    )
    if report.dry_run:
        return f"试运行，未写入 / Dry run, nothing written: would import {counts}"
    return f"导入完成 / Imported: {counts}"


def _after_import(settings: Settings, report: ImportReport) -> None:
    """Hook run after a successful (non-dry-run) import.

    The search index follows the catalog here: `report.changed` (new + updated codes) is
    what must be re-encoded. Only an existing index is refreshed: without one, the next
    start (or `tuijie reindex`) builds it.
    """
    from index import SearchEngine
    from index.store.storage import exists as index_exists

    if not report.changed or not index_exists(settings.index_dir):
        return
    engine = SearchEngine(
        open_database(settings.database_url), settings.index_dir, settings.embedding_model
    )
    engine.open()  # repairs any other drift too
    engine.refresh(report.changed)
    engine.close()  # waits for the save
    print(f"索引已更新 / Search index updated: {len(report.changed)} project(s)")


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Validate FILE, then upsert it in one transaction (or only report, with --dry-run)."""
    path = Path(args.file)
    try:
        fmt = format_of(path)
    except UnsupportedFormat as exc:
        return _fail(str(exc), 2)
    if not path.is_file():
        return _fail(f"{path}: no such file", 2)
    batch = getattr(args, "batch", None)
    if batch is not None and fmt != "xlsx":
        return _fail("--batch is for .xlsx sheets; the exchange formats name each row's batch", 2)
    engine = open_database(settings.database_url)
    try:
        if fmt == "xlsx" and args.dry_run:
            print("\n".join(plan_lines(path, batch=batch)))
        report = import_file(
            engine,
            path,
            fmt=fmt,
            dry_run=args.dry_run,
            progress=sys.stderr.isatty(),
            actor="cli",
            batch=batch,
        )
    except InvalidCatalogFile as exc:
        rows = len({error.row_key for error in exc.errors})
        print(
            f"tuijie: {path}: {rows} bad row(s), {len(exc.errors)} problem(s); nothing imported",
            file=sys.stderr,
        )
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    except CatalogBusy as exc:
        return _fail(f"{path}: {exc}", 1)
    except OSError as exc:
        return _fail(f"{path}: cannot read: {exc.strerror or exc}", 2)
    finally:
        engine.dispose()
    if not report.dry_run:
        _after_import(settings, report)
    print(describe_report(report))
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the catalog to FILE in the format its extension names ('-': JSON lines to stdout)."""
    to_stdout = args.file == "-"
    path = Path(args.file)
    if not to_stdout:
        try:
            format_of(path)
        except UnsupportedFormat as exc:
            return _fail(str(exc), 2)
        if not path.parent.is_dir():
            return _fail(f"{path.parent}: no such directory", 2)
    engine = open_database(settings.database_url)
    try:
        if to_stdout:
            sys.stdout.flush()
            out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
            try:
                count = export_to(engine, out, "jsonl")
            finally:
                out.flush()
                out.detach()
        else:
            count = export_file(engine, path)
    except OSError as exc:
        return _fail(f"{args.file}: cannot write: {exc.strerror or exc}", 2)
    finally:
        engine.dispose()
    where = "stdout" if to_stdout else str(path)
    print(f"导出完成 / Exported {count} projects to {where}", file=sys.stderr)
    return 0
