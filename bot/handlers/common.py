"""What every handler needs: who is asking, in which language, and sending HTML safely."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import BotContext
from bot.services import Services
from bot.views.i18n import lang_from_code, normalize_lang, text_lang
from bot.views.render import split_message
from catalog.db import session_scope
from catalog.investors import get_investor, get_or_create_investor
from catalog.models import Investor

Context = BotContext
T = TypeVar("T")
_log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True)
class UserRef:
    """The Telegram user behind an update, as the catalog stores them."""

    telegram_user_id: int
    chat_id: int | None
    username: str | None
    full_name: str | None
    language_code: str | None


def stored_investor(session: Session, user: UserRef) -> Investor:
    """The catalog's investor for this user, created on first contact (names kept current)."""
    return get_or_create_investor(
        session,
        telegram_user_id=user.telegram_user_id,
        chat_id=user.chat_id,
        username=user.username,
        full_name=user.full_name,
    )


def user_ref(update: Update) -> UserRef:
    """The effective user of an update."""
    user = update.effective_user
    assert user is not None, "handler registered for updates without a user"
    chat = update.effective_chat
    return UserRef(
        telegram_user_id=user.id,
        chat_id=chat.id if chat and chat.type == "private" else None,
        username=user.username,
        full_name=user.full_name,
        language_code=user.language_code,
    )


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking work (database, encoding, FAISS) off the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def _stored_language(svc: Services, user_id: int) -> str | None:
    with session_scope(svc.db) as session:
        investor = get_investor(session, telegram_user_id=user_id)
        return investor.language if investor else None


async def lang_of(update: Update, context: Context) -> str:
    """The language to answer in: the stored /lang choice always wins.

    Until the user chooses, a message is answered in the language it is written in
    (simplified, traditional or English); Telegram's language decides for updates without
    words (a button press, a bare command, an amount).
    """
    user = update.effective_user
    if user is None or context.user_data is None:
        return "en"
    if not context.lang_known:
        stored = await blocking(_stored_language, context.services, user.id)
        context.lang = normalize_lang(stored) if stored else None
    if context.lang:
        return context.lang
    message = update.message  # the user's own words (a button's message is the bot's)
    written = text_lang(message.text or message.caption if message is not None else None)
    return written or lang_from_code(user.language_code)


def bot_username(context: Context) -> str:
    """The bot's @username (known after getMe)."""
    return context.bot.username or "tuijie_bot"


async def send(
    context: Context, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Send HTML, split over several messages when longer than Telegram allows (buttons last)."""
    parts = split_message(text)
    message: Message | None = None
    for i, part in enumerate(parts):
        message = await context.bot.send_message(
            chat_id,
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if i == len(parts) - 1 else None,
            link_preview_options=NO_PREVIEW,
        )
    assert message is not None
    return message


async def reply(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Answer in the chat the update came from."""
    chat = update.effective_chat
    assert chat is not None
    return await send(context, chat.id, text, markup)


async def edit(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the text of the message whose button was pressed (send anew if too long)."""
    query = update.callback_query
    assert query is not None and query.message is not None
    parts = split_message(text)
    if len(parts) > 1:
        await reply(update, context, text, markup)
        return
    try:
        await context.bot.edit_message_text(
            text,
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=NO_PREVIEW,
        )
    except BadRequest as exc:
        if "not modified" not in str(exc):
            raise
