"""/forget: delete the investor's profile, interests and subscriptions after a confirmation."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers.common import Context, blocking, edit, lang_of, reply, user_ref
from bot.services import Services, services
from bot.views.i18n import t
from catalog.db import session_scope
from catalog.investors import Forgotten, forget_investor


def forget(svc: Services, telegram_user_id: int) -> Forgotten:
    """Delete everything stored about this Telegram user."""
    with session_scope(svc.db) as session:
        return forget_investor(session, telegram_user_id=telegram_user_id)


async def forget_command(update: Update, context: Context) -> None:
    """Ask for confirmation with two buttons."""
    lang = await lang_of(update, context)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(lang, "button.forget_yes"), callback_data="f:yes"),
                InlineKeyboardButton(t(lang, "button.forget_no"), callback_data="f:no"),
            ]
        ]
    )
    await reply(update, context, t(lang, "forget.confirm"), markup)


async def forget_chosen(update: Update, context: Context) -> None:
    """f:yes deletes, f:no keeps; the question is replaced by the outcome."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await lang_of(update, context)
    await query.answer()
    if query.data != "f:yes":
        await edit(update, context, t(lang, "forget.kept"))
        return
    await blocking(forget, services(context), user_ref(update).telegram_user_id)
    if context.user_data is not None:
        context.user_data.clear()
    await edit(update, context, t(lang, "forget.done"))
