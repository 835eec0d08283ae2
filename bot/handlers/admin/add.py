"""/add: a new project, either as `field=value` pairs in one message or by a guided conversation
(required fields first, then optional ones with Skip / Save now). Values are checked field by
field with the import's own rules, and the whole record again when saved.
"""

from __future__ import annotations

import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.handlers.admin.commands import actor, command_rest, describe_errors, refresh_index
from bot.handlers.common import Context, blocking, edit, lang_of, reply
from bot.handlers.conversation import left_for_something_else, stops
from bot.permissions import admin_only
from bot.services import Services, services
from bot.views.i18n import t
from bot.views.render import esc
from catalog import admin
from catalog.db import session_scope
from catalog.errors import RowError

ASKING = 1
STATE_KEY = "admin.add"
QUESTIONS: tuple[str, ...] = admin.REQUIRED_ORDER + admin.OPTIONAL


def _save(svc: Services, values: dict[str, Any], who: str) -> admin.Change:
    with session_scope(svc.db) as session:
        return admin.add_project(session, values=values, actor=who)


def _code_taken(svc: Services, code: str) -> bool:
    with session_scope(svc.db) as session:
        return admin.project_or_none(session, code=code) is not None


def _state(context: Context) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    state = data.setdefault(STATE_KEY, {"values": {}, "i": 0})
    assert isinstance(state, dict)
    return state


def _question(lang: str, index: int) -> tuple[str, InlineKeyboardMarkup]:
    name = QUESTIONS[index]
    required = name in admin.REQUIRED_ORDER
    text = t(
        lang,
        "admin.add.ask",
        n=index + 1,
        total=len(QUESTIONS),
        field=name,
        hint=t(lang, f"admin.field.{name}"),
        need=t(lang, "admin.add.required" if required else "admin.add.optional"),
    )
    row = []
    if not required:
        row.append(InlineKeyboardButton(t(lang, "admin.button.skip"), callback_data="adm:add:skip"))
        row.append(InlineKeyboardButton(t(lang, "admin.button.save"), callback_data="adm:add:save"))
    row.append(InlineKeyboardButton(t(lang, "admin.button.cancel"), callback_data="adm:add:cancel"))
    return text, InlineKeyboardMarkup([row])


async def _finish(update: Update, context: Context, lang: str, values: dict[str, Any]) -> int:
    """Save the collected values; on a problem say what and keep asking nothing more."""
    if context.user_data is not None:
        context.user_data.pop(STATE_KEY, None)
    try:
        change = await blocking(_save, services(context), values, actor(update))
    except admin.ProjectExists as exc:
        await reply(update, context, t(lang, "admin.add.exists", code=esc(exc.code)))
        return ConversationHandler.END
    except admin.InvalidProject as exc:
        text = t(lang, "admin.invalid", errors=describe_errors(exc.errors))
        await reply(update, context, text)
        return ConversationHandler.END
    await refresh_index(context, [change.code])
    text = t(
        lang,
        "admin.add.done",
        code=esc(change.code),
        name=esc(values.get("name", "")),
        batch=esc(values.get("batch", "")),
    )
    await reply(update, context, text)
    return ConversationHandler.END


@admin_only
async def add_start(update: Update, context: Context) -> int:
    """/add with pairs saves at once; /add alone starts the questions.

    An entry point does not stop the update: another conversation going on sees the command
    and ends (no later handler takes /add).
    """
    lang = await lang_of(update, context)
    rest = command_rest(update)
    if rest:
        try:
            raw = admin.parse_assignments(rest)
        except admin.InvalidAssignment as exc:
            await reply(update, context, t(lang, "admin.bad_args", error=esc(str(exc))))
            return ConversationHandler.END
        values = {name: admin.typed_value(name, value) for name, value in raw.items()}
        return await _finish(update, context, lang, values)
    if context.user_data is not None:
        context.user_data[STATE_KEY] = {"values": {}, "i": 0}
    text, markup = _question(lang, 0)
    await reply(update, context, t(lang, "admin.add.intro") + "\n\n" + text, markup)
    return ASKING


async def _next(update: Update, context: Context, lang: str, state: dict[str, Any]) -> int:
    state["i"] += 1
    if state["i"] >= len(QUESTIONS):
        return await _finish(update, context, lang, state["values"])
    text, markup = _question(lang, state["i"])
    await reply(update, context, text, markup)
    return ASKING


@admin_only
async def add_answer(update: Update, context: Context) -> int:
    """One answer: check this field with the import's rules, then ask the next."""
    lang = await lang_of(update, context)
    state = _state(context)
    name = QUESTIONS[state["i"]]
    message = update.effective_message
    text = (message.text or "") if message else ""
    value, errors = admin.check_field(name, text)
    if name in admin.REQUIRED_ORDER and value is None:
        errors = errors or [RowError(0, name, t(lang, "admin.add.empty"))]
    if not errors and name == "code" and await blocking(_code_taken, services(context), value):
        await reply(update, context, t(lang, "admin.add.exists", code=esc(value)))
        return ASKING
    if errors:
        await reply(update, context, t(lang, "admin.add.bad_value", errors=describe_errors(errors)))
        return ASKING
    if value is not None:
        state["values"][name] = value
    return await _next(update, context, lang, state)


@admin_only
async def add_button(update: Update, context: Context) -> int:
    """Skip / Save now / Cancel under a question."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    lang = await lang_of(update, context)
    state = _state(context)
    action = (query.data or "").rsplit(":", 1)[-1]
    if action == "cancel":
        return await add_cancel(update, context)
    required_left = state["i"] < len(admin.REQUIRED_ORDER)
    if required_left:  # a stale button: required fields cannot be skipped
        text, markup = _question(lang, state["i"])
        await reply(update, context, text, markup)
        return ASKING
    if action == "save":
        return await _finish(update, context, lang, state["values"])
    return await _next(update, context, lang, state)


async def add_cancel(update: Update, context: Context) -> int:
    """/cancel (or the Cancel button): drop the draft."""
    lang = await lang_of(update, context)
    if context.user_data is not None:
        context.user_data.pop(STATE_KEY, None)
    if update.callback_query is not None:
        await edit(update, context, t(lang, "admin.add.cancelled"))
    else:
        await reply(update, context, t(lang, "admin.add.cancelled"))
    return ConversationHandler.END


def add_conversation() -> ConversationHandler[Any]:
    """The /add conversation (registered in bot/app.py's admin block)."""
    with warnings.catch_warnings():
        # per_message=False is what we want: the buttons belong to the admin's one draft
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("add", add_start)],
            states={
                ASKING: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, stops(add_answer)),
                    CallbackQueryHandler(stops(add_button), pattern=r"^adm:add:"),
                ]
            },
            fallbacks=[
                CommandHandler("cancel", stops(add_cancel)),
                *left_for_something_else(STATE_KEY),
            ],
            name="admin_add",
            allow_reentry=True,
        )
