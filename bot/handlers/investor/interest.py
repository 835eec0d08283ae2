""" "I'm interested" (i:<id>): consent to share the contact, an optional note, admins told at once.

/interests lists the investor's own interests.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.handlers.common import (
    Context,
    UserRef,
    blocking,
    edit,
    lang_of,
    reply,
    stored_investor,
    user_ref,
)
from bot.handlers.conversation import (
    END,
    INTEREST_START,
    drop_draft,
    left_for_something_else,
    stops,
)
from bot.handlers.investor.details import published_project
from bot.handlers.investor.profile import CONVERSATION_TIMEOUT
from bot.services import Services
from bot.views.i18n import normalize_lang, t
from bot.views.render import esc, plain_title, title
from catalog.db import session_scope
from catalog.investors import (
    get_investor,
    interests_of,
    record_interest,
)
from catalog.leads import open_lead
from catalog.models import Interest, Investor, ProjectPublic

CONSENT, NOTE = range(2)
DRAFT = "interest.draft"
MAX_NOTE = 500
MAX_LISTED = 30
_log = logging.getLogger(__name__)


@dataclass
class Draft:
    project_id: int
    share_contact: bool = False
    earlier_day: str | None = None  # the day of an interest recorded before (kept on cancel)


@dataclass(frozen=True)
class Earlier:
    """An interest the investor already expressed in the same project."""

    day: str
    note: str | None
    share_contact: bool


@dataclass(frozen=True)
class Recorded:
    project: ProjectPublic
    investor: Investor
    note: str | None
    share_contact: bool
    admin_langs: dict[int, str]
    earlier: Earlier | None = None

    @property
    def news(self) -> bool:
        """Whether the admins should hear of it: a first interest, a new note, a new consent."""
        if self.earlier is None:
            return True
        new_note = bool(self.note) and self.note != self.earlier.note
        return new_note or (self.share_contact and not self.earlier.share_contact)


def _earlier(session: Session, investor_id: int, project_id: int) -> Earlier | None:
    row = session.exec(
        select(Interest).where(
            col(Interest.investor_id) == investor_id, col(Interest.project_id) == project_id
        )
    ).first()
    if row is None:
        return None
    return Earlier(row.created_at.date().isoformat(), row.note, row.share_contact)


def earlier_interest(svc: Services, user: UserRef, project_id: int) -> Earlier | None:
    """The investor's interest in this project recorded before, if any."""
    with session_scope(svc.db) as session:
        investor = get_investor(session, telegram_user_id=user.telegram_user_id)
        if investor is None or investor.id is None:
            return None
        return _earlier(session, investor.id, project_id)


def record(svc: Services, user: UserRef, draft: Draft, note: str | None) -> Recorded | None:
    """Store the interest; None if the project is gone. Also the admins' languages."""
    project = published_project(svc, project_id=draft.project_id)
    if project is None:
        return None
    with session_scope(svc.db) as session:
        investor = stored_investor(session, user)
        assert investor.id is not None
        earlier = _earlier(session, investor.id, draft.project_id)
        record_interest(
            session,
            investor_id=investor.id,
            project_id=draft.project_id,
            note=note,
            share_contact=draft.share_contact,
        )
        open_lead(
            session,
            investor_id=investor.id,
            project_id=draft.project_id,
            share_contact=draft.share_contact,
            note=note,
        )
        langs = {}
        for admin_id in svc.settings.admin_ids:
            admin = get_investor(session, telegram_user_id=admin_id)
            langs[admin_id] = normalize_lang(admin.language) if admin and admin.language else "zh"
    return Recorded(project, investor, note, draft.share_contact, langs, earlier)


def admin_text(lang: str, done: Recorded, user: UserRef) -> str:
    """What the admins read: project, investor (named only with consent), note, consent."""
    investor_id = done.investor.id
    if done.share_contact:
        name = esc(user.full_name or str(user.telegram_user_id))
        link = f'<a href="tg://user?id={user.telegram_user_id}">{name}</a>'
        contact = f"@{esc(user.username)}" if user.username else link
        investor = f"{link} (#{investor_id})"
        consent = t(lang, "interest.admin_shared", contact=contact)
    else:
        investor = f"#{investor_id}"
        consent = t(lang, "interest.admin_private", investor_id=investor_id)
    return t(
        lang,
        "interest.admin",
        name=title(lang, done.project),
        code=esc(done.project.code),
        investor=investor,
        note=esc(done.note) if done.note else t(lang, "interest.admin_no_note"),
        consent=consent,
    )


async def notify_admins(context: Context, done: Recorded, user: UserRef) -> int:
    """Tell every admin at once; how many were reached (failures are logged, not raised)."""
    reached = 0
    for admin_id, lang in sorted(done.admin_langs.items()):
        try:
            await context.bot.send_message(
                admin_id, admin_text(lang, done, user), parse_mode=ParseMode.HTML
            )
            reached += 1
        except TelegramError as exc:
            _log.warning("could not tell admin %s about an interest: %s", admin_id, exc)
    return reached


async def interest_start(update: Update, context: Context) -> int:
    """i:<id>: ask whether the investor's Telegram contact may be shared.

    An entry point: it does not stop the update, so another conversation going on ends.
    """
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    lang = await lang_of(update, context)
    project = await blocking(
        published_project, context.services, project_id=int(query.data.removeprefix("i:"))
    )
    if project is None:
        await query.answer(t(lang, "details.not_found"), show_alert=True)
        return END
    await query.answer()
    earlier = await blocking(earlier_interest, context.services, user_ref(update), project.id)
    context.user_data[DRAFT] = Draft(project.id, earlier_day=earlier.day if earlier else None)
    pid = project.id
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(lang, "button.consent_yes"), callback_data=f"i:{pid}:y")],
            [InlineKeyboardButton(t(lang, "button.consent_no"), callback_data=f"i:{pid}:n")],
            [InlineKeyboardButton(t(lang, "button.cancel"), callback_data="i:cancel")],
        ]
    )
    text = t(lang, "interest.consent", name=title(lang, project))
    if earlier is not None:
        text = t(lang, "interest.already", date=earlier.day) + "\n\n" + text
    await reply(update, context, text, markup)
    return CONSENT


@stops
async def consent_chosen(update: Update, context: Context) -> int:
    """i:<id>:y / i:<id>:n: remember the consent, then offer a note (or Skip)."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    await query.answer()
    lang = await lang_of(update, context)
    _, pid, answer = query.data.split(":")
    before = context.user_data.get(DRAFT)
    earlier_day = before.earlier_day if isinstance(before, Draft) else None
    context.user_data[DRAFT] = Draft(int(pid), answer == "y", earlier_day)
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(lang, "button.skip"), callback_data="i:skip")]]
    )
    await edit(update, context, t(lang, "interest.note"), markup)
    return NOTE


async def _finish(update: Update, context: Context, note: str | None) -> int:
    lang = await lang_of(update, context)
    draft = (context.user_data or {}).pop(DRAFT, None)
    if not isinstance(draft, Draft):
        return END
    user = user_ref(update)
    done = await blocking(record, context.services, user, draft, note)
    if done is None:
        await reply(update, context, t(lang, "details.not_found"))
        return END
    name = title(lang, done.project)
    if done.news:
        reached = await notify_admins(context, done, user)
        if not done.admin_langs:  # nobody to tell: the office has no admin configured
            key = "interest.recorded_no_team"
        elif not reached:  # the admins could not be reached now; /leads lists it for them
            key = "interest.recorded_quiet"
        else:
            key = "interest.updated" if done.earlier is not None else "interest.recorded"
        head = t(lang, key, name=name)
    else:
        assert done.earlier is not None
        head = t(lang, "interest.unchanged", name=name, date=done.earlier.day)
    line = "interest.shared_line" if done.share_contact else "interest.private_line"
    text = f"{head}\n{t(lang, line)}"
    if update.callback_query is not None:
        await edit(update, context, text)
    else:
        await reply(update, context, text)
    return END


@stops
async def note_skipped(update: Update, context: Context) -> int:
    """i:skip: record without a note."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await _finish(update, context, None)


@stops
async def note_text(update: Update, context: Context) -> int:
    """The typed note: record with it."""
    message = update.effective_message
    assert message is not None and message.text is not None
    return await _finish(update, context, message.text.strip()[:MAX_NOTE])


@stops
async def interest_cancelled(update: Update, context: Context) -> int:
    """i:cancel (the button, edited into the answer) or /cancel: record nothing new."""
    draft = (context.user_data or {}).get(DRAFT)
    earlier_day = draft.earlier_day if isinstance(draft, Draft) else None
    drop_draft(context, DRAFT)
    lang = await lang_of(update, context)
    text = (
        t(lang, "interest.cancelled_kept", date=earlier_day)
        if earlier_day
        else t(lang, "interest.cancelled")
    )
    if update.callback_query is not None:
        await update.callback_query.answer()
        await edit(update, context, text)
    else:
        await reply(update, context, text)
    return END


def interest_conversation() -> ConversationHandler[Any]:
    """The "I'm interested" ConversationHandler (in a group of its own, before the main ones)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[CallbackQueryHandler(interest_start, pattern=rf"^{INTEREST_START}$")],
            states={
                CONSENT: [CallbackQueryHandler(consent_chosen, pattern=r"^i:\d+:[yn]$")],
                NOTE: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, note_text),
                    CallbackQueryHandler(note_skipped, pattern=r"^i:skip$"),
                ],
            },
            fallbacks=[
                CallbackQueryHandler(interest_cancelled, pattern=r"^i:cancel$"),
                CommandHandler("cancel", interest_cancelled),
                *left_for_something_else(DRAFT),
            ],
            allow_reentry=True,
            conversation_timeout=CONVERSATION_TIMEOUT,
            name="interest",
        )


def list_interests(
    svc: Services, user: UserRef
) -> list[tuple[ProjectPublic, str, str | None, bool]]:
    """(project, date, note, contact shared) for each of the investor's interests."""
    with session_scope(svc.db) as session:
        investor = get_investor(session, telegram_user_id=user.telegram_user_id)
        if investor is None or investor.id is None:
            return []
        return [
            (v.project, v.interest.created_at.date().isoformat(), v.interest.note,
             v.interest.share_contact)
            for v in interests_of(session, investor_id=investor.id)[:MAX_LISTED]
        ]  # fmt: skip


async def interests_command(update: Update, context: Context) -> None:
    """/interests: the projects the investor marked, newest first, with details buttons."""
    lang = await lang_of(update, context)
    items = await blocking(list_interests, context.services, user_ref(update))
    if not items:
        await reply(update, context, t(lang, "interests.none"))
        return
    lines = [t(lang, "interests.title"), ""]
    buttons = []
    for n, (project, day, note, shared) in enumerate(items, start=1):
        extra = t(lang, "interests.shared") if shared else ""
        lines.append(
            t(lang, "interests.item", n=n, name=title(lang, project), date=day, shared=extra)
        )
        if note:
            lines.append(t(lang, "interests.item_note", note=esc(note)))
        label = f"{n} · {plain_title(lang, project)}"[:60]
        buttons.append([InlineKeyboardButton(label, callback_data=f"d:{project.id}")])
    await reply(update, context, "\n".join(lines), InlineKeyboardMarkup(buttons))
