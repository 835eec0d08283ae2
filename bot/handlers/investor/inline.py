"""Inline mode: `@bot words` in any chat lists projects, ten at a time (next_offset)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode

from bot.handlers.common import NO_PREVIEW, Context, blocking, bot_username, lang_of
from bot.services import Services, services
from bot.views.i18n import base_lang, script, t
from bot.views.links import deep_link
from bot.views.render import card, plain_title
from catalog.db import session_scope
from catalog.models import PUBLISHED, Project, ProjectPublic
from index.understanding.money import format_cny

INLINE_PAGE = 10
MAX_OFFSET = 1000


def inline_projects(svc: Services, text: str, offset: int) -> tuple[list[ProjectPublic], int]:
    """A page of projects for an inline query and how many there are in all."""
    if text:
        result = svc.search.search(text, k=INLINE_PAGE, offset=offset)
        return [h.project for h in result.hits], result.total
    with session_scope(svc.db) as session:
        published = col(Project.status) == PUBLISHED
        rows = session.exec(
            select(Project)
            .where(published)
            .order_by(col(Project.published_on).desc(), col(Project.code))
            .offset(offset)
            .limit(INLINE_PAGE)
        ).all()
        total = int(session.exec(select(func.count()).where(published)).one())
        return [ProjectPublic.model_validate(r.model_dump()) for r in rows], total


def _article(lang: str, project: ProjectPublic, username: str) -> InlineQueryResultArticle:
    link = deep_link(username, project)
    amount = project.private_capital_cny or project.investment_cny
    description = t(
        lang,
        "inline.description",
        region=script(lang, project.region or "—"),
        industry=script(lang, project.industry or "—"),
        amount=script(lang, format_cny(amount, base_lang(lang))),
    )
    text = f'{card(lang, project)}\n<a href="{link}">{t(lang, "button.open_bot")}</a>'
    return InlineQueryResultArticle(
        id=str(project.id),
        title=plain_title(lang, project),
        description=description,
        input_message_content=InputTextMessageContent(
            text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        ),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(t(lang, "button.open_bot"), url=link)]]
        ),
    )


async def inline_query(update: Update, context: Context) -> None:
    """Answer `@bot words` with project articles; next_offset pages on."""
    query = update.inline_query
    assert query is not None
    lang = await lang_of(update, context)
    offset = int(query.offset) if query.offset.isdigit() else 0
    offset = min(offset, MAX_OFFSET)
    projects, total = await blocking(
        inline_projects, services(context), query.query.strip(), offset
    )
    username = bot_username(context)
    results = [_article(lang, p, username) for p in projects]
    following = offset + len(projects)
    next_offset = str(following) if projects and following < total else ""
    await query.answer(results, cache_time=10, is_personal=False, next_offset=next_offset)
