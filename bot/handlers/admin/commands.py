"""Admin commands: /edit, /withdraw, /restore, /export, /audit, /publish.

/add (guided conversation) lives in admin_add.py, the document import in admin_import.py,
/stats in admin_stats.py.
Each handler parses its input, calls one catalog use-case in a thread, maps domain errors to a
clear message, and after a commit makes the search index follow (refresh off the event loop).
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.delivery.broadcast import sender_of
from bot.delivery.digest import select_codes
from bot.handlers.common import Context, blocking, edit, lang_of, reply
from bot.permissions import admin_only
from bot.services import Services, services
from bot.views.i18n import t
from bot.views.render import esc, money
from catalog import admin, audit, outbox
from catalog.db import session_scope
from catalog.errors import ProjectNotFound
from catalog.exchange import AMOUNTS, FORMATS
from catalog.importer import export_file
from catalog.investors import get_investor
from catalog.models import AuditEntry

_log = logging.getLogger(__name__)
AUDIT_PAGE = 10
VALUE_WIDTH = 60


# --- shared helpers (also used by admin_add and admin_import) ---------------------------------


def actor(update: Update) -> str:
    """The audit actor for the admin behind an update."""
    user = update.effective_user
    return audit.actor_of(user.id if user else None)


def command_rest(update: Update) -> str:
    """The text after the /command word (kept verbatim, so quotes survive)."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def refresh_index(context: Context, codes: Iterable[str]) -> None:
    """Make the search index follow a committed catalog change (in a thread)."""
    wanted = sorted(set(codes))
    svc = services(context)
    if not wanted or svc.search is None:
        return
    try:
        await blocking(svc.search.refresh, wanted)
    except Exception:  # the catalog is committed; startup sync repairs a stale index
        _log.exception("index refresh failed for %d code(s)", len(wanted))


def short(value: Any, lang: str = "zh", name: str = "") -> str:
    """A field value for a chat message: escaped, one line, at most VALUE_WIDTH characters.

    Amount fields are written as money (36亿元 / 3.6 billion yuan), not raw yuan.
    """
    if value is None or value == []:
        return "∅"
    if name in AMOUNTS and isinstance(value, int | float) and not isinstance(value, bool):
        return money(lang, value)
    text = ";".join(map(str, value)) if isinstance(value, list) else str(value)
    text = " ".join(text.split())
    if len(text) > VALUE_WIDTH:
        text = text[: VALUE_WIDTH - 1] + "…"
    return esc(text)


def describe_changes(changes: dict[str, Any], lang: str = "zh") -> str:
    """One line per field: `field: old → new`."""
    lines = []
    for name, pair in changes.items():
        if isinstance(pair, list) and len(pair) == 2:
            old, new = short(pair[0], lang, name), short(pair[1], lang, name)
            lines.append(f"• <code>{esc(name)}</code>: {old} → {new}")
        else:
            lines.append(f"• <code>{esc(name)}</code>: {short(pair, lang, name)}")
    return "\n".join(lines)


def describe_errors(errors: Iterable[Any], *, limit: int = 20, lines: bool = False) -> str:
    """Row errors as a list (with line numbers for files)."""
    errors = list(errors)
    out = []
    for e in errors[:limit]:
        where = f"{esc(e.location)}, " if lines else ""
        field = f"<code>{esc(e.field)}</code>: " if e.field else ""
        out.append(f"• {where}{field}{esc(e.reason)}")
    if len(errors) > limit:
        out.append(f"… +{len(errors) - limit}")
    return "\n".join(out)


# --- /edit /withdraw /restore -----------------------------------------------------------------


def _edit(svc: Services, code: str, text: str, who: str) -> admin.Change:
    raw = admin.parse_assignments(text, allowed=admin.EDITABLE)
    values = {name: admin.typed_value(name, value) for name, value in raw.items()}
    with session_scope(svc.db) as session:
        return admin.edit_project(session, code=code, values=values, actor=who)


@admin_only
async def cmd_edit(update: Update, context: Context) -> None:
    """/edit CODE field=value ...: change fields, validated like an import, audited."""
    lang = await lang_of(update, context)
    code, _, text = command_rest(update).partition(" ")
    if not code or not text.strip():
        fields = ", ".join(admin.EDITABLE)
        await reply(update, context, t(lang, "admin.usage.edit", fields=esc(fields)))
        return
    try:
        change = await blocking(_edit, services(context), code, text, actor(update))
    except ProjectNotFound:
        await reply(update, context, t(lang, "admin.not_found", code=esc(code)))
        return
    except admin.InvalidAssignment as exc:
        await reply(update, context, t(lang, "admin.bad_args", error=esc(str(exc))))
        return
    except admin.InvalidProject as exc:
        errors = describe_errors(exc.errors)
        await reply(update, context, t(lang, "admin.invalid", errors=errors))
        return
    if not change.changed:
        await reply(update, context, t(lang, "admin.unchanged", code=esc(code)))
        return
    await refresh_index(context, [code])
    text = t(lang, "admin.edited", code=esc(code), changes=describe_changes(change.changes, lang))
    await reply(update, context, text)


def _status(svc: Services, code: str, who: str, withdraw: bool) -> admin.Change:
    with session_scope(svc.db) as session:
        if withdraw:
            return admin.withdraw_project(session, code=code, actor=who)
        return admin.restore_project(session, code=code, actor=who)


async def _set_status(update: Update, context: Context, *, withdraw: bool) -> None:
    lang = await lang_of(update, context)
    name = "withdraw" if withdraw else "restore"
    code = command_rest(update).split(maxsplit=1)[0] if command_rest(update) else ""
    if not code:
        await reply(update, context, t(lang, f"admin.usage.{name}"))
        return
    try:
        change = await blocking(_status, services(context), code, actor(update), withdraw)
    except ProjectNotFound:
        await reply(update, context, t(lang, "admin.not_found", code=esc(code)))
        return
    if change.changed:
        await refresh_index(context, [code])
    key = f"admin.{name}.done" if change.changed else f"admin.{name}.already"
    await reply(update, context, t(lang, key, code=esc(code)))


@admin_only
async def cmd_withdraw(update: Update, context: Context) -> None:
    """/withdraw CODE: keep the project but never show or match it again."""
    await _set_status(update, context, withdraw=True)


@admin_only
async def cmd_restore(update: Update, context: Context) -> None:
    """/restore CODE: publish a withdrawn project again."""
    await _set_status(update, context, withdraw=False)


# --- /export ---------------------------------------------------------------------------------


@admin_only
async def cmd_export(update: Update, context: Context) -> None:
    """/export [jsonl|json|csv|xlsx]: the whole catalog as a file in the exchange format."""
    lang = await lang_of(update, context)
    fmt = (command_rest(update) or "jsonl").lower().lstrip(".")
    if fmt not in FORMATS:
        await reply(update, context, t(lang, "admin.usage.export"))
        return
    svc = services(context)
    name = f"tuijie-catalog-{datetime.now(UTC):%Y%m%d-%H%M}.{fmt}"
    with tempfile.TemporaryDirectory(dir=_work_dir(svc)) as tmp:
        path = Path(tmp) / name
        count = await blocking(export_file, svc.db, path, fmt=fmt)
        chat = update.effective_chat
        assert chat is not None
        with open(path, "rb") as fh:
            await context.bot.send_document(
                chat.id,
                document=fh,
                filename=name,
                caption=t(lang, "admin.export.caption", count=count, format=fmt),
            )


def _work_dir(svc: Services) -> Path:
    path = Path(svc.settings.data_dir) / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- /audit ----------------------------------------------------------------------------------


def _audit_page(svc: Services, code: str | None, offset: int) -> tuple[list[AuditEntry], int]:
    with Session(svc.db) as session:
        entries = audit.recent(session, project_code=code, limit=AUDIT_PAGE, offset=offset)
        return entries, audit.count(session, project_code=code)


def _audit_text(
    lang: str, code: str | None, entries: list[AuditEntry], total: int, offset: int
) -> str:
    scope = t(lang, "admin.audit.scope", code=esc(code)) if code else ""
    if not entries:
        return t(lang, "admin.audit.empty", scope=scope)
    lines = [
        t(lang, "admin.audit.title", scope=scope, first=offset + 1,
          last=offset + len(entries), total=total),
    ]  # fmt: skip
    for entry in entries:
        head = f"\n<b>{entry.at:%Y-%m-%d %H:%M}</b> · {esc(entry.actor)} · {esc(entry.action)}" + (
            f" <code>{esc(entry.project_code)}</code>" if entry.project_code else ""
        )
        lines.append(head)
        if entry.changes:
            lines.append(describe_changes(dict(entry.changes), lang))
    return "\n".join(lines)


def _audit_markup(
    lang: str, code: str | None, offset: int, total: int
) -> InlineKeyboardMarkup | None:
    following = offset + AUDIT_PAGE
    if following >= total:
        return None
    data = f"adm:au:{following}:{code or ''}"
    if len(data.encode()) > 64:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(lang, "admin.audit.older"), callback_data=data)]]
    )


@admin_only
async def cmd_audit(update: Update, context: Context) -> None:
    """/audit [CODE]: who changed what, newest first, ten at a time."""
    lang = await lang_of(update, context)
    code = command_rest(update).split(maxsplit=1)[0] if command_rest(update) else None
    entries, total = await blocking(_audit_page, services(context), code, 0)
    text = _audit_text(lang, code, entries, total, 0)
    await reply(update, context, text, _audit_markup(lang, code, 0, total))


@admin_only
async def on_audit_page(update: Update, context: Context) -> None:
    """The "older" button under an audit page."""
    query = update.callback_query
    assert query is not None
    lang = await lang_of(update, context)
    match = re.fullmatch(r"adm:au:(\d+):(.*)", query.data or "", re.S)
    if match is None:
        await query.answer()
        return
    offset, code = int(match.group(1)), match.group(2) or None
    entries, total = await blocking(_audit_page, services(context), code, offset)
    await query.answer()
    text = _audit_text(lang, code, entries, total, offset)
    await edit(update, context, text, _audit_markup(lang, code, offset, total))


# --- /publish --------------------------------------------------------------------------------


def _publish(svc: Services, batch: str, admin_id: int) -> outbox.PublishResult:
    with session_scope(svc.db) as session:
        return outbox.publish_batch(
            session, batch_code=batch, actor_id=admin_id, select_codes=select_codes
        )


def admin_name(svc: Services, lang: str, user_id: int | None) -> str:
    """How admins name each other: @username or name when the bot knows them, else "admin <id>"."""
    if user_id is None:
        return "?"
    with Session(svc.db) as session:
        known = get_investor(session, telegram_user_id=user_id)
    if known is not None and known.username:
        return f"@{known.username}"
    if known is not None and known.full_name:
        return known.full_name
    return t(lang, "admin.someone", id=user_id)


def _batches(svc: Services) -> str:
    with Session(svc.db) as session:
        return ", ".join(outbox.known_batches(session)) or "—"


RESEND_UNCERTAIN = "resend-uncertain"


def _resend_uncertain(svc: Services, batch: str, admin_id: int) -> int:
    with session_scope(svc.db) as session:
        count = outbox.resend_uncertain(session, batch_code=batch)
        if count:
            session.add(
                AuditEntry(
                    actor=f"tg:{admin_id}",
                    action="resend-uncertain",
                    changes={"batch": batch, "digests": count},
                )
            )
        return count


@admin_only
async def cmd_publish(update: Update, context: Context) -> None:
    """/publish BATCH: announce a batch to subscribers, once; progress is edited in place."""
    lang = await lang_of(update, context)
    svc = services(context)
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    words = command_rest(update).split()
    batch = words[0] if words else ""
    if len(words) == 2 and words[1] == RESEND_UNCERTAIN:
        count = await blocking(_resend_uncertain, svc, batch, user.id)
        await reply(update, context, t(lang, "admin.publish.resent", batch=esc(batch), n=count))
        sender = sender_of(context)
        if sender is not None and count:
            sender.wake()
        return
    if not batch:
        batches = await blocking(_batches, svc)
        await reply(update, context, t(lang, "admin.publish.usage", batches=esc(batches)))
        return
    try:
        result = await blocking(_publish, svc, batch, user.id)
    except outbox.BatchNotFound as exc:
        known = esc(", ".join(exc.known) or "—")
        await reply(
            update, context, t(lang, "admin.publish.unknown", batch=esc(batch), batches=known)
        )
        return
    except outbox.BatchAlreadyAnnounced as exc:
        when = f"{exc.at:%Y-%m-%d %H:%M} UTC" if exc.at else "?"
        by = esc(await blocking(admin_name, svc, lang, exc.by))
        text = t(lang, "admin.publish.already", batch=esc(batch), at=when, by=by)
        await reply(update, context, text)
        return
    if result.to_send == 0:
        key = "admin.publish.no_subscribers" if not result.subscribers else "admin.publish.none_fit"
        text = t(lang, key, batch=esc(result.batch), subscribers=result.subscribers)
        await reply(update, context, text)
        return
    text = t(
        lang,
        "admin.publish.started",
        batch=esc(result.batch),
        projects=result.projects,
        subscribers=result.subscribers,
        to_send=result.to_send,
        skipped=result.skipped,
    )
    message = await reply(update, context, text)
    sender = sender_of(context)
    if sender is not None:
        await sender.watch(
            batch=result.batch, chat_id=chat.id, message_id=message.message_id, lang=lang
        )
        sender.wake()
