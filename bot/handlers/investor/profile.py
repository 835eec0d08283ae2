"""/profile: a guided conversation (sectors, regions, ticket, cooperation, stages), editable.

Multi-select steps edit one message's keyboard (p:t:<i> toggles, p:ok / p:skip); the ticket
is typed ("1亿-5亿", "50m-200m"). Steps end their update (`stops`) so the plain-text search
never sees a conversation's answer; any other command ends the conversation
(bot/handlers/conversation.py).
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationHandlerStop,
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
    PROFILE_MENU,
    drop_draft,
    left_for_something_else,
    stops,
)
from bot.services import Services
from bot.views.i18n import script, t
from bot.views.render import clip, esc, profile_summary, region_label, sector_label
from catalog.db import session_scope
from catalog.investors import get_or_create_investor, has_profile, update_profile
from catalog.models import PUBLISHED, Project, ProjectPublic
from index.match import Profile, parse_ticket
from index.understanding.regions import province_of
from index.understanding.taxonomy import load_taxonomy

MENU, PICK, TICKET = range(3)
STEPS = ("sectors", "regions", "ticket", "cooperation_modes", "stages")
ASK = {"sectors": "profile.ask.sectors", "regions": "profile.ask.regions",
       "ticket": "profile.ask.ticket", "cooperation_modes": "profile.ask.cooperation",
       "stages": "profile.ask.stages"}  # fmt: skip
LABEL = {"sectors": "profile.sectors", "regions": "profile.regions", "ticket": "profile.ticket",
         "cooperation_modes": "profile.cooperation", "stages": "profile.stages"}  # fmt: skip
DRAFT = "profile.draft"
OPTIONS_TTL = 300.0
MAX_OPTIONS = 24
CONVERSATION_TIMEOUT = 900  # seconds; an abandoned step stops waiting for its answer


@dataclass
class Draft:
    """The step being answered: its options, what is ticked, and the steps still to come."""

    step: str
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    queue: list[str] = field(default_factory=list)
    guided: bool = False


def catalog_options(svc: Services) -> dict[str, list[str]]:
    """Choices offered per step: sectors, provinces, cooperation modes and stages in the catalog."""
    cached = svc.profile_options
    if cached and time.monotonic() - cached[0] < OPTIONS_TTL:
        return dict(cached[1])
    taxonomy = load_taxonomy()
    sectors: Counter[str] = Counter()
    provinces: Counter[str] = Counter()
    modes: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    with session_scope(svc.db) as session:
        rows = session.exec(select(Project).where(col(Project.status) == PUBLISHED)).all()
        projects = [ProjectPublic.model_validate(r.model_dump()) for r in rows]
    for project in projects:
        sectors.update(taxonomy.sector_of(project))
        if project.region and (province := province_of(project.region)):
            provinces[province] += 1
        if project.cooperation:
            modes[project.cooperation] += 1
        if project.stage:
            stages[project.stage] += 1
    order = {s.key: i for i, s in enumerate(taxonomy.sectors)}
    options = {
        "sectors": sorted(
            [k for k, _ in sectors.most_common(MAX_OPTIONS)], key=lambda k: order.get(k, 999)
        ),
        "regions": [p for p, _ in provinces.most_common(MAX_OPTIONS)],
        "cooperation_modes": [m for m, _ in modes.most_common(12)],
        "stages": [s for s, _ in stages.most_common(8)],
    }
    svc.profile_options = (time.monotonic(), options)
    return options


def load_profile(svc: Services, user: UserRef) -> tuple[Profile, bool]:
    """The investor's profile (created on first contact) and whether anything is set."""
    with session_scope(svc.db) as session:
        investor = stored_investor(session, user)
        return Profile.of(investor), has_profile(investor)


def save_step(svc: Services, user: UserRef, step: str, value: Any) -> Profile:
    """Store one answered step."""
    with session_scope(svc.db) as session:
        get_or_create_investor(session, telegram_user_id=user.telegram_user_id)
        if step == "ticket":
            low, high = value
            changes: dict[str, Any] = {"ticket_min_cny": low, "ticket_max_cny": high}
        else:
            changes = {step: list(value)}
        investor = update_profile(session, telegram_user_id=user.telegram_user_id, **changes)
        return Profile.of(investor)


def option_label(lang: str, step: str, value: str) -> str:
    """A choice as shown on its button (plain text)."""
    if step == "sectors":
        return sector_label(lang, value)
    if step == "regions":
        return region_label(lang, value)
    key = f"value.{value}"
    label = t(lang, key)
    return label if label != key else script(lang, value)


def pick_keyboard(lang: str, draft: Draft) -> InlineKeyboardMarkup:
    """The options as toggles (✓ when chosen), then Done and Skip."""
    buttons = [
        InlineKeyboardButton(
            ("✓ " if value in draft.selected else "") + option_label(lang, draft.step, value),
            callback_data=f"p:t:{i}",
        )
        for i, value in enumerate(draft.options)
    ]
    per_row = 3 if draft.step in ("sectors", "regions") else 2
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    rows.append(
        [
            InlineKeyboardButton(t(lang, "button.done"), callback_data="p:ok"),
            InlineKeyboardButton(t(lang, "button.skip"), callback_data="p:skip"),
        ]
    )
    return InlineKeyboardMarkup(rows)


def menu_keyboard(lang: str) -> InlineKeyboardMarkup:
    """Change one part, start over, or finish."""
    parts = [InlineKeyboardButton(t(lang, LABEL[s]), callback_data=f"p:e:{s}") for s in STEPS]
    return InlineKeyboardMarkup(
        [
            parts[:3],
            parts[3:],
            [
                InlineKeyboardButton(t(lang, "button.restart"), callback_data="p:restart"),
                InlineKeyboardButton(t(lang, "button.done"), callback_data="p:close"),
            ],
        ]
    )


def _draft(context: Context) -> Draft | None:
    value = (context.user_data or {}).get(DRAFT)
    return value if isinstance(value, Draft) else None


async def _ask(update: Update, context: Context, lang: str, draft: Draft, *, new: bool) -> int:
    """Show the question of `draft.step` (editing the pressed message unless `new`)."""
    assert context.user_data is not None
    context.user_data[DRAFT] = draft
    if draft.step == "ticket":
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(t(lang, "button.skip"), callback_data="p:skip")]]
        )
        state = TICKET
    else:
        draft.options = catalog_options(context.services).get(draft.step, [])
        markup = pick_keyboard(lang, draft)
        state = PICK
    text = t(lang, ASK[draft.step])
    if new or update.callback_query is None:
        await reply(update, context, text, markup)
    else:
        await edit(update, context, text, markup)
    return state


async def _advance(update: Update, context: Context, lang: str, profile: Profile) -> int:
    """After a step: the next guided question, or the summary (menu when editing)."""
    draft = _draft(context)
    new = update.callback_query is None
    if draft is not None and draft.guided and draft.queue:
        step, *rest = draft.queue
        current = _current(profile, step)
        return await _ask(update, context, lang, Draft(step, [], current, rest, True), new=new)
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    if draft is not None and draft.guided:
        text = "\n\n".join([t(lang, "profile.saved"), profile_summary(lang, profile),
                            t(lang, "profile.next")])  # fmt: skip
        await (reply(update, context, text) if new else edit(update, context, text))
        return END
    text = f"{profile_summary(lang, profile)}\n\n{t(lang, 'profile.edit')}"
    markup = menu_keyboard(lang)
    await (reply(update, context, text, markup) if new else edit(update, context, text, markup))
    return MENU


def _current(profile: Profile, step: str) -> list[str]:
    return list(getattr(profile, step)) if step != "ticket" else []


async def profile_command(update: Update, context: Context) -> int:
    """Show the profile with parts to change, or start the guided questions when empty.

    An entry point does not stop the update: another conversation going on sees the command
    and ends (no later handler takes /profile).
    """
    lang = await lang_of(update, context)
    profile, exists = await blocking(load_profile, context.services, user_ref(update))
    if not exists:
        await reply(update, context, t(lang, "profile.intro"))
        draft = Draft("sectors", [], [], list(STEPS[1:]), True)
        return await _ask(update, context, lang, draft, new=True)
    text = f"{profile_summary(lang, profile)}\n\n{t(lang, 'profile.edit')}"
    await reply(update, context, text, menu_keyboard(lang))
    return MENU


async def menu_choice(update: Update, context: Context) -> int:
    """p:e:<step> edits one part; p:restart asks everything again; p:close finishes.

    An entry point: it does not stop the update, so another conversation going on ends.
    """
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    lang = await lang_of(update, context)
    profile, _ = await blocking(load_profile, context.services, user_ref(update))
    if query.data == "p:close":
        await edit(
            update, context, f"{profile_summary(lang, profile)}\n\n{t(lang, 'profile.next')}"
        )
        return END
    if query.data == "p:restart":
        draft = Draft("sectors", [], list(profile.sectors), list(STEPS[1:]), True)
        return await _ask(update, context, lang, draft, new=False)
    step = query.data.removeprefix("p:e:")
    if step not in STEPS:
        return MENU
    return await _ask(update, context, lang, Draft(step, [], _current(profile, step)), new=False)


@stops
async def pick_toggle(update: Update, context: Context) -> int:
    """p:t:<i>: tick or untick one option (only the keyboard changes)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await lang_of(update, context)
    draft = _draft(context)
    index = int(query.data.removeprefix("p:t:"))
    if draft is None or not 0 <= index < len(draft.options):
        await query.answer(t(lang, "search.expired"))
        return END
    value = draft.options[index]
    if value in draft.selected:
        draft.selected.remove(value)
    else:
        draft.selected.append(value)
    await query.answer()
    await query.edit_message_reply_markup(pick_keyboard(lang, draft))
    return PICK


@stops
async def pick_done(update: Update, context: Context) -> int:
    """p:ok stores the ticked options; p:skip leaves this part as it was."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    lang = await lang_of(update, context)
    draft = _draft(context)
    svc = context.services
    user = user_ref(update)
    if draft is None:
        return END
    if query.data == "p:ok" and draft.step != "ticket":
        profile = await blocking(save_step, svc, user, draft.step, draft.selected)
    else:
        profile, _ = await blocking(load_profile, svc, user)
    return await _advance(update, context, lang, profile)


async def ticket_text(update: Update, context: Context) -> int:
    """A typed ticket size: stored when it reads as an amount, else asked again.

    Any unreadable text (with or without digits) keeps the question open; Skip or /cancel leave.
    """
    message = update.effective_message
    assert message is not None and message.text is not None
    parsed = parse_ticket(message.text)
    lang = await lang_of(update, context)
    if parsed is None:
        text = t(lang, "profile.bad_amount", text=esc(clip(message.text)))
        await reply(update, context, text)
        raise ApplicationHandlerStop(TICKET)
    profile = await blocking(save_step, context.services, user_ref(update), "ticket", parsed)
    raise ApplicationHandlerStop(await _advance(update, context, lang, profile))


async def leave(update: Update, context: Context) -> int:
    """Leave the conversation, forgetting the unfinished step."""
    drop_draft(context, DRAFT)
    return END


@stops
async def cancel(update: Update, context: Context) -> int:
    """/cancel: stop the questions (answers already confirmed are stored and stay)."""
    await leave(update, context)
    lang = await lang_of(update, context)
    await reply(update, context, t(lang, "profile.cancelled"))
    return END


def profile_conversation() -> ConversationHandler[Any]:
    """The /profile ConversationHandler (in a group of its own, before the main handlers)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("profile", profile_command),
                CallbackQueryHandler(menu_choice, pattern=rf"^{PROFILE_MENU}$"),
            ],
            states={
                MENU: [CallbackQueryHandler(menu_choice, pattern=rf"^{PROFILE_MENU}$")],
                PICK: [
                    CallbackQueryHandler(pick_toggle, pattern=r"^p:t:\d+$"),
                    CallbackQueryHandler(pick_done, pattern=r"^p:(ok|skip)$"),
                ],
                TICKET: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, ticket_text),
                    CallbackQueryHandler(pick_done, pattern=r"^p:skip$"),
                ],
            },
            fallbacks=[CommandHandler("cancel", cancel), *left_for_something_else(DRAFT)],
            allow_reentry=True,
            conversation_timeout=CONVERSATION_TIMEOUT,
            name="profile",
        )
