"""What the conversations (/profile, "I'm interested", /add) share: how a step ends its update,
and how a conversation ends when the user turns to something else.

bot/app.py registers each ConversationHandler in a handler group of its own, before the group
of commands, buttons and the plain-text search. A step's callback is final for its update
(`stops`): a typed answer never also reaches the search. Any command other than the
conversation's own (its entry command, /cancel) ends the conversation silently, its draft
dropped, and the update goes on to the command's own handler in a later group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, NoReturn

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.handlers.common import Context, lang_of, reply
from bot.i18n import t

END = ConversationHandler.END


def stops(fn: Callable[[Update, Context], Awaitable[object]]) -> Callable[[Update, Context], Any]:
    """Make a conversation callback final for the update (no later handler group sees it)."""

    @wraps(fn)
    async def wrapper(update: Update, context: Context) -> NoReturn:
        raise ApplicationHandlerStop(await fn(update, context))

    return wrapper


def drop_draft(context: Context, key: str) -> None:
    """Forget a conversation's unfinished answers."""
    if context.user_data is not None:
        context.user_data.pop(key, None)


def left_for_another_command(draft_key: str) -> list[BaseHandler[Update, Context, Any]]:
    """Fallbacks (after the conversation's own commands): another command ends it quietly.

    The callback returns END without stopping the update, so the command is then handled by
    its own handler as if no conversation had been going on.
    """

    async def leave(update: Update, context: Context) -> int:
        drop_draft(context, draft_key)
        return END

    return [MessageHandler(filters.COMMAND, leave)]


async def nothing_to_cancel(update: Update, context: Context) -> None:
    """/cancel outside any conversation."""
    lang = await lang_of(update, context)
    await reply(update, context, t(lang, "cancel.nothing"))
