"""What the conversations (/profile, "I'm interested", /add) share: how a step ends its update,
and how a conversation ends when the user turns to something else.

bot/app.py registers each ConversationHandler in a handler group of its own, before the group
of commands, buttons and the plain-text search. A step's callback is final for its update
(`stops`): a typed answer never also reaches the search. Any command other than the
conversation's own (its entry command, /cancel), or a button that starts another
conversation, ends the conversation silently, its draft dropped, and the update goes on to
its own handler in a later group. Entry points do not stop the update, so whichever group
comes first, a user is in one conversation at a time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, NoReturn

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.handlers.common import Context, lang_of, reply
from bot.views.i18n import t

END = ConversationHandler.END
# Buttons that start (or re-enter) a conversation: the parts of /profile's menu, ♥ Interested.
PROFILE_MENU = r"p:(?:e:\w+|restart|close)"
INTEREST_START = r"i:\d+"
STARTS = rf"^(?:{PROFILE_MENU}|{INTEREST_START})$"
# Buttons of a conversation step (p:…, i:…) pressed when that step is no longer awaited.
STALE_STEPS = rf"^(?!(?:{PROFILE_MENU}|{INTEREST_START})$)[pi]:"


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


def left_for_something_else(draft_key: str) -> list[BaseHandler[Update, Context, Any]]:
    """Fallbacks (after the conversation's own): another command, or a button starting another
    conversation, ends this one quietly.

    The callback returns END without stopping the update, so the command or button is then
    handled by its own handler as if no conversation had been going on.
    """

    async def leave(update: Update, context: Context) -> int:
        drop_draft(context, draft_key)
        return END

    return [MessageHandler(filters.COMMAND, leave), CallbackQueryHandler(leave, pattern=STARTS)]


async def nothing_to_cancel(update: Update, context: Context) -> None:
    """/cancel outside any conversation."""
    lang = await lang_of(update, context)
    await reply(update, context, t(lang, "cancel.nothing"))
