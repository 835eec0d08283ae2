"""Who may run the catalog: the Telegram user ids in TUIJIE_ADMIN_IDS, nobody else."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import Update

from bot.handlers.common import Context, lang_of, reply
from bot.settings import Settings
from bot.views.i18n import t

_log = logging.getLogger(__name__)
R = TypeVar("R")
Handler = Callable[[Update, Context], Coroutine[Any, Any, R]]


def is_admin(settings: Settings, user_id: int | None) -> bool:
    """True if this Telegram user id is one of the configured admins."""
    return user_id is not None and user_id in settings.admin_ids


def _settings(context: Context) -> Settings:
    from bot.app import settings_of  # the composition root owns the settings key

    return settings_of(context.application)


def _what(update: Update) -> str:
    """A short description of the refused update for the log (never its arguments)."""
    if update.callback_query is not None:
        return "button " + (update.callback_query.data or "").split(":", 2)[0] + ":…"
    message = update.effective_message
    if message is not None and message.document is not None:
        return "document upload"
    if message is not None and message.text:
        return message.text.split(maxsplit=1)[0][:32]
    return "update"


async def refuse(update: Update, context: Context) -> None:
    """Tell a non-admin, always in the same words, that this is for admins only; log it."""
    user = update.effective_user
    _log.warning(
        "refused admin-only %s from user %s", _what(update), user.id if user else "unknown"
    )
    lang = await lang_of(update, context)
    text = t(lang, "admin.refused")
    query = update.callback_query
    if query is not None:
        await query.answer(text, show_alert=True)
        return
    if update.effective_chat is not None:
        await reply(update, context, text)


def admin_only(handler: Handler[R]) -> Handler[R | None]:
    """Run the handler only for admins; everyone else gets the same refusal and a log line."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: Context) -> R | None:
        user = update.effective_user
        if not is_admin(_settings(context), user.id if user else None):
            await refuse(update, context)
            return None
        return await handler(update, context)

    guarded.__wrapped_admin__ = True  # type: ignore[attr-defined]
    return guarded


def admin_ids(context: Context) -> frozenset[int]:
    """The configured admins (for notifications)."""
    return _settings(context).admin_ids
