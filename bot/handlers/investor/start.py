"""/start (with deep-link payloads) and /help."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select
from telegram import Update

from bot.handlers.common import (
    Context,
    UserRef,
    blocking,
    bot_username,
    lang_of,
    reply,
    stored_investor,
    user_ref,
)
from bot.handlers.permissions import is_admin
from bot.services import Services
from bot.views.i18n import t
from bot.views.render import esc
from catalog.db import session_scope
from catalog.models import PUBLISHED, Project


def _welcome_facts(svc: Services, user: UserRef) -> tuple[int, int]:
    """Register the investor; count published projects and batches."""
    with session_scope(svc.db) as session:
        stored_investor(session, user)
        count, batches = session.exec(
            select(func.count(), func.count(func.distinct(Project.batch))).where(
                col(Project.status) == PUBLISHED
            )
        ).one()
    return int(count), int(batches)


async def start(update: Update, context: Context) -> None:
    """Greet the investor, or open the project a deep link points at."""
    if context.args:
        from bot.handlers.investor.details import open_start_link

        if await open_start_link(update, context, context.args[0]):
            return
    lang = await lang_of(update, context)
    ref = user_ref(update)
    count, batches = await blocking(_welcome_facts, context.services, ref)
    facts = (
        t(lang, "start.catalog", count=count, batches=batches)
        if count
        else t(lang, "start.catalog_empty")
    )
    name = esc(update.effective_user.first_name if update.effective_user else "")
    await reply(update, context, t(lang, "start.welcome", name=name, catalog=facts))


async def help_command(update: Update, context: Context) -> None:
    """List what the bot can do."""
    lang = await lang_of(update, context)
    text = t(lang, "help.text", bot=esc(bot_username(context)))
    user = update.effective_user
    if is_admin(context.services.settings, user.id if user else None):
        text += "\n\n" + t(lang, "admin.help")
    await reply(update, context, text)
