"""Importing a catalog file sent as a document: dry-run report, then Apply / Cancel.

The file is streamed (getFile + the file URL, the size limit enforced while it arrives) to
data_dir/pending/<token>.<ext> with a small <token>.meta beside it; nothing touches the catalog
until the admin who sent it presses Apply, which validates the file again and applies it in one
transaction with its audit entries. A bad file, Cancel, or a second press change nothing.
Pending files older than a day are removed. An .xlsx sheet that names no batch takes it from
the document's caption.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import filters

from bot.handlers.admin.commands import actor, describe_errors, refresh_index
from bot.handlers.admin.downloads import DownloadFailed, TooBig, download_capped
from bot.handlers.common import Context, blocking, edit, lang_of, reply
from bot.permissions import admin_only
from bot.services import Services, services
from bot.views.i18n import t
from bot.views.render import esc
from catalog import admin
from catalog.db import session_scope
from catalog.errors import InvalidCatalogFile
from catalog.exchange import UnsupportedFormat, format_of
from catalog.projects import ImportReport
from catalog.sheets import plan_lines

_log = logging.getLogger(__name__)
MAX_IMPORT_BYTES = 10 * 1024 * 1024
PENDING_TTL = 24 * 3600
EXAMPLES = 5
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,32}")


@dataclass(frozen=True)
class Pending:
    token: str
    path: Path
    meta: Path
    name: str
    fmt: str
    uploader: int | None = None
    batch: str | None = None


def pending_dir(svc: Services) -> Path:
    """Where uploaded files wait for confirmation."""
    path = Path(svc.settings.data_dir) / "pending"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cleanup(folder: Path) -> None:
    """Forget pending uploads nobody confirmed within PENDING_TTL."""
    cutoff = time.time() - PENDING_TTL
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def _find(svc: Services, token: str) -> Pending | None:
    if not _TOKEN.fullmatch(token):
        return None
    folder = pending_dir(svc)
    meta = folder / f"{token}.meta"
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = folder / f"{token}.{info['fmt']}"
    if not path.exists():
        return None
    uploader = info.get("uploader")
    return Pending(
        token,
        path,
        meta,
        str(info["name"]),
        str(info["fmt"]),
        int(uploader) if uploader is not None else None,
        info.get("batch"),
    )


def _discard(pending: Pending) -> None:
    for path in (pending.path, pending.meta):
        path.unlink(missing_ok=True)


def _dry_run(svc: Services, pending: Pending) -> ImportReport:
    with session_scope(svc.db) as session:
        report = admin.import_catalog(
            session,
            path=pending.path,
            fmt=pending.fmt,
            actor="dry-run",
            source=pending.name,
            dry_run=True,
            batch=pending.batch,
        )
        session.rollback()
    return report


def _apply(svc: Services, pending: Pending, who: str) -> ImportReport:
    with session_scope(svc.db) as session:
        return admin.import_catalog(
            session,
            path=pending.path,
            fmt=pending.fmt,
            actor=who,
            source=pending.name,
            batch=pending.batch,
        )


def _examples(codes: list[str]) -> str:
    shown = ", ".join(esc(c) for c in codes[:EXAMPLES])
    return shown + (f" … +{len(codes) - EXAMPLES}" if len(codes) > EXAMPLES else "")


def _report_text(lang: str, name: str, report: ImportReport) -> str:
    return t(
        lang,
        "admin.import.report",
        file=esc(name),
        new=len(report.new),
        updated=len(report.updated),
        unchanged=len(report.unchanged),
        new_codes=_examples(report.new) or "—",
        updated_codes=_examples(report.updated) or "—",
    )


@admin_only
async def cmd_import(update: Update, context: Context) -> None:
    """/import without a file: say how to send one."""
    lang = await lang_of(update, context)
    limit_mb = MAX_IMPORT_BYTES // (1024 * 1024)
    await reply(update, context, t(lang, "admin.import.how", limit=limit_mb))


@admin_only
async def on_document(update: Update, context: Context) -> None:
    """An admin sent a catalog file: download it, dry-run it, ask to apply."""
    lang = await lang_of(update, context)
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    name = document.file_name or "catalog"
    try:
        fmt = format_of(name)
    except UnsupportedFormat:
        await reply(update, context, t(lang, "admin.import.bad_type", file=esc(name)))
        return
    limit_mb = MAX_IMPORT_BYTES // (1024 * 1024)
    if document.file_size is not None and document.file_size > MAX_IMPORT_BYTES:
        megabytes = f"{document.file_size / 1024 / 1024:.1f}"
        text = t(lang, "admin.import.too_big", size=megabytes, limit=limit_mb)
        await reply(update, context, text)
        return
    svc = services(context)
    folder = pending_dir(svc)
    await blocking(_cleanup, folder)
    token = secrets.token_urlsafe(12)
    uploader = update.effective_user.id if update.effective_user else None
    batch = (message.caption or "").strip() or None if fmt == "xlsx" else None
    pending = Pending(
        token, folder / f"{token}.{fmt}", folder / f"{token}.meta", name, fmt, uploader, batch
    )
    try:
        await download_capped(context.bot, document.file_id, pending.path, MAX_IMPORT_BYTES)
    except TooBig as exc:
        text = t(lang, "admin.import.too_big", size=f"{exc.size / 1024 / 1024:.1f}", limit=limit_mb)
        await reply(update, context, text)
        return
    except DownloadFailed:
        await reply(update, context, t(lang, "admin.import.download_failed"))
        return
    meta = {"name": name, "fmt": fmt, "uploader": uploader, "batch": batch, "at": time.time()}
    pending.meta.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    try:
        report = await blocking(_dry_run, svc, pending)
    except InvalidCatalogFile as exc:
        await blocking(_discard, pending)
        errors = describe_errors(exc.errors, lines=True)
        text = t(lang, "admin.import.errors", file=esc(name), count=len(exc.errors), errors=errors)
        await reply(update, context, text)
        return
    if not report.changed:
        await blocking(_discard, pending)
        text = t(lang, "admin.import.nothing", file=esc(name), unchanged=len(report.unchanged))
        await reply(update, context, text)
        return
    apply = InlineKeyboardButton(t(lang, "admin.button.apply"), callback_data=f"adm:imp:ok:{token}")
    cancel = InlineKeyboardButton(
        t(lang, "admin.button.cancel"), callback_data=f"adm:imp:no:{token}"
    )
    buttons = InlineKeyboardMarkup([[apply, cancel]])
    text = _report_text(lang, name, report)
    if fmt == "xlsx":
        lines = await blocking(plan_lines, pending.path, batch=batch)
        text = t(lang, "admin.import.mapping", lines=esc("\n".join(lines))) + "\n\n" + text
    await reply(update, context, text, buttons)


def _claim(pending: Pending) -> Pending | None:
    """Take the pending file for this press only (a second press finds nothing)."""
    claimed = pending.path.with_name(f"{pending.token}.applying.{pending.fmt}")  # keeps its type
    try:
        os.rename(pending.path, claimed)
    except OSError:
        return None
    return Pending(
        pending.token,
        claimed,
        pending.meta,
        pending.name,
        pending.fmt,
        pending.uploader,
        pending.batch,
    )


@admin_only
async def on_import_button(update: Update, context: Context) -> None:
    """Apply or Cancel under a dry-run report."""
    query = update.callback_query
    assert query is not None
    lang = await lang_of(update, context)
    match = re.fullmatch(r"adm:imp:(ok|no):(.+)", query.data or "")
    svc = services(context)
    found = await blocking(_find, svc, match.group(2)) if match else None
    if match is None or found is None:
        await query.answer(t(lang, "admin.import.expired"), show_alert=True)
        return
    presser = update.effective_user.id if update.effective_user else None
    if found.uploader is not None and presser != found.uploader:
        _log.warning("admin %s pressed another admin's import", presser)
        await query.answer(t(lang, "admin.import.not_yours"), show_alert=True)
        return
    if match.group(1) == "no":
        await blocking(_discard, found)
        await query.answer()
        await edit(update, context, t(lang, "admin.import.cancelled", file=esc(found.name)))
        return
    claimed = await blocking(_claim, found)
    if claimed is None:
        await query.answer(t(lang, "admin.import.expired"), show_alert=True)
        return
    await query.answer()
    try:
        report = await blocking(_apply, svc, claimed, actor(update))
    except InvalidCatalogFile as exc:  # the file or the catalog changed since the dry run
        errors = describe_errors(exc.errors, lines=True)
        count = len(exc.errors)
        text = t(lang, "admin.import.errors", file=esc(found.name), count=count, errors=errors)
        await edit(update, context, text)
        return
    finally:
        await blocking(_discard, claimed)
    await refresh_index(context, report.changed)
    text = t(
        lang,
        "admin.import.applied",
        file=esc(found.name),
        new=len(report.new),
        updated=len(report.updated),
        unchanged=len(report.unchanged),
    )
    await edit(update, context, text)


# Documents the import handles: the exchange format's extensions (any other file is ignored).
DOCUMENTS = (
    filters.Document.FileExtension("jsonl")
    | filters.Document.FileExtension("json")
    | filters.Document.FileExtension("csv")
    | filters.Document.FileExtension("xlsx")
)
