"""/lang: choose 中文, 繁體中文 or English; stored on the investor."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

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
from bot.services import Services
from bot.views.i18n import LANGS, t
from catalog.db import session_scope
from catalog.investors import set_language

CHOICES = (("zh", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English"))


def store_language(svc: Services, user: UserRef, lang: str) -> None:
    """Remember the investor's language choice."""
    with session_scope(svc.db) as session:
        stored_investor(session, user)
        set_language(session, telegram_user_id=user.telegram_user_id, language=lang)


async def lang_command(update: Update, context: Context) -> None:
    """Offer the languages as buttons."""
    lang = await lang_of(update, context)
    buttons = [InlineKeyboardButton(label, callback_data=f"lang:{code}") for code, label in CHOICES]
    await reply(update, context, t(lang, "lang.choose"), InlineKeyboardMarkup([buttons]))


async def lang_chosen(update: Update, context: Context) -> None:
    """lang:<code>: store the choice and confirm in the new language."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = query.data.partition(":")[2]
    if lang not in LANGS:
        await query.answer()
        return
    await blocking(store_language, context.services, user_ref(update), lang)
    context.lang = lang
    await query.answer()
    await edit(update, context, t(lang, "lang.set"))
