"""/leads for admins: follow up each interest (take it, move its status, add dated notes).

Buttons: ld:t:<id> take, ld:s:<id>:<status> move, ld:n:<id> how to add a note (/note ID text).
A daily job lists each owner's open leads untouched for 7 days.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.handlers.admin.commands import command_rest
from bot.handlers.common import Context, blocking, edit, lang_of, reply, send
from bot.permissions import admin_only
from bot.services import Services, services
from bot.views.i18n import t
from bot.views.render import esc
from catalog import leads
from catalog.audit import actor_of
from catalog.db import session_scope
from catalog.errors import CatalogError, ProjectNotFound
from catalog.investors import get_investor
from catalog.models import LEAD_STATUSES

_log = logging.getLogger(__name__)
LISTED = 10  # leads shown by one /leads
REMINDER_JOB = "leads.reminder"
REMINDER_AT = dt.time(1, 0, tzinfo=dt.UTC)  # 09:00 in China


def lead_text(lang: str, view: leads.LeadView) -> str:
    """One lead: project, status, owner, contact (only with consent), dated notes."""
    lead = view.lead
    if view.contact is not None:
        contact = t(lang, "admin.leads.contact", contact=esc(view.contact))
    elif lead.investor_id is None:
        contact = t(lang, "admin.leads.forgotten")
    else:
        contact = t(lang, "admin.leads.private", investor_id=lead.investor_id)
    owner = (
        t(lang, "admin.leads.owner", owner=lead.owner_id)
        if lead.owner_id
        else t(lang, "admin.leads.unowned")
    )
    lines = [
        t(
            lang,
            "admin.leads.item",
            id=lead.id,
            code=esc(view.code),
            name=esc(view.name),
            status=t(lang, f"admin.leads.status.{lead.status}"),
            date=f"{lead.created_at:%Y-%m-%d}",
        ),
        f"{owner} · {contact}",
    ]
    for note in view.notes:
        who = t(lang, "admin.leads.by_investor") if note.author == "investor" else note.author
        lines.append(f"📝 {note.at:%Y-%m-%d} {esc(who)}: {esc(note.text)}")
    return "\n".join(lines)


def lead_markup(lang: str, view: leads.LeadView) -> InlineKeyboardMarkup:
    """Take, every other status, note."""
    lid = view.lead.id
    moves = [
        InlineKeyboardButton(t(lang, f"admin.leads.status.{s}"), callback_data=f"ld:s:{lid}:{s}")
        for s in LEAD_STATUSES
        if s != view.lead.status
    ]
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(lang, "admin.leads.take"), callback_data=f"ld:t:{lid}"),
                InlineKeyboardButton(t(lang, "admin.leads.note"), callback_data=f"ld:n:{lid}"),
            ],
            moves[:2],
            moves[2:],
        ]
    )


def _list(svc: Services, code: str | None) -> list[leads.LeadView]:
    with session_scope(svc.db) as session:
        return leads.list_leads(session, project_code=code, open_only=code is None, limit=LISTED)


@admin_only
async def cmd_leads(update: Update, context: Context) -> None:
    """/leads [CODE]: open leads newest first (or every lead of one project), with buttons."""
    lang = await lang_of(update, context)
    code = command_rest(update).split(maxsplit=1)[0] if command_rest(update) else None
    try:
        views = await blocking(_list, services(context), code)
    except ProjectNotFound:
        await reply(update, context, t(lang, "admin.not_found", code=esc(code)))
        return
    if not views:
        await reply(update, context, t(lang, "admin.leads.none"))
        return
    head = "admin.leads.title_project" if code else "admin.leads.title"
    await reply(update, context, t(lang, head, n=len(views), code=esc(code or "")))
    for view in views:
        await reply(update, context, lead_text(lang, view), lead_markup(lang, view))


def _change(svc: Services, data: str, user_id: int) -> leads.LeadView:
    actor = actor_of(user_id)
    with session_scope(svc.db) as session:
        match = re.fullmatch(r"ld:([ts]):(\d+)(?::(\w+))?", data)
        if match is None:
            raise leads.InvalidLead(f"unknown button {data!r}")
        kind, lead_id = match.group(1), int(match.group(2))
        if kind == "t":
            leads.take_lead(session, lead_id=lead_id, admin_id=user_id, actor=actor)
        else:
            leads.set_status(session, lead_id=lead_id, status=match.group(3) or "", actor=actor)
        return leads.get_lead(session, lead_id=lead_id)


@admin_only
async def on_lead_button(update: Update, context: Context) -> None:
    """ld:t / ld:s: take the lead or move it; the message shows the lead as it now is."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    lang = await lang_of(update, context)
    if query.data.startswith("ld:n:"):
        lead_id = query.data.removeprefix("ld:n:")
        await query.answer(t(lang, "admin.leads.note_how", id=lead_id), show_alert=True)
        return
    try:
        view = await blocking(_change, services(context), query.data, update.effective_user.id)
    except CatalogError as exc:
        await query.answer(t(lang, "admin.leads.failed", reason=str(exc))[:190], show_alert=True)
        return
    await query.answer(t(lang, "admin.leads.saved"))
    await edit(update, context, lead_text(lang, view), lead_markup(lang, view))


def _note(svc: Services, lead_id: int, text: str, user_id: int) -> leads.LeadView:
    with session_scope(svc.db) as session:
        leads.add_note(session, lead_id=lead_id, text=text, actor=actor_of(user_id))
        return leads.get_lead(session, lead_id=lead_id)


@admin_only
async def cmd_note(update: Update, context: Context) -> None:
    """/note ID text: add a dated note to a lead."""
    assert update.effective_user is not None
    lang = await lang_of(update, context)
    match = re.fullmatch(r"#?(\d+)\s+(.+)", command_rest(update), re.S)
    if match is None:
        await reply(update, context, t(lang, "admin.leads.note_usage"))
        return
    try:
        view = await blocking(
            _note, services(context), int(match.group(1)), match.group(2), update.effective_user.id
        )
    except CatalogError as exc:
        await reply(update, context, t(lang, "admin.leads.failed", reason=esc(str(exc))))
        return
    await reply(update, context, lead_text(lang, view), lead_markup(lang, view))


def _stale(svc: Services) -> dict[int, tuple[str, list[leads.LeadView]]]:
    with session_scope(svc.db) as session:
        found = leads.stale_leads(session)
        out = {}
        for owner, views in found.items():
            admin = get_investor(session, telegram_user_id=owner)
            lang = admin.language if admin is not None and admin.language else "zh"
            out[owner] = (lang, views)
        return out


async def remind_stale_leads(context: Context) -> None:
    """The daily job: each owner hears of their open leads untouched for 7 days."""
    for owner, (lang, views) in sorted((await blocking(_stale, services(context))).items()):
        body = "\n\n".join(lead_text(lang, view) for view in views)
        text = t(lang, "admin.leads.reminder", n=len(views), days=leads.STALE_DAYS) + "\n\n" + body
        try:
            await send(context, owner, text)
        except TelegramError as exc:
            _log.warning("could not remind admin %s of their leads: %s", owner, exc)


def schedule_reminder(app: Application) -> None:
    """Register the daily reminder on the application's JobQueue (once)."""
    queue = app.job_queue
    if queue is None or queue.get_jobs_by_name(REMINDER_JOB):
        return
    queue.run_daily(remind_stale_leads, time=REMINDER_AT, name=REMINDER_JOB)
