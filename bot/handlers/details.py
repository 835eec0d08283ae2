"""A project's details: from a card's button (d:<id>) or a deep link (/start p_<code>)."""

from __future__ import annotations

from sqlmodel import col, select
from telegram import InlineKeyboardMarkup, Update

from bot.handlers.common import Context, blocking, bot_username, lang_of, reply
from bot.i18n import t
from bot.links import parse_start
from bot.render import details, project_buttons
from bot.services import Services, services
from catalog.db import session_scope
from catalog.models import PUBLISHED, Project, ProjectPublic


def published_project(
    svc: Services, *, project_id: int | None = None, code: str | None = None
) -> ProjectPublic | None:
    """A published project by id or code (None if unknown or withdrawn)."""
    with session_scope(svc.db) as session:
        query = select(Project).where(col(Project.status) == PUBLISHED)
        if project_id is not None:
            query = query.where(col(Project.id) == project_id)
        elif code is not None:
            query = query.where(col(Project.code) == code)
        else:
            return None
        row = session.exec(query).first()
        return ProjectPublic.model_validate(row.model_dump()) if row else None


def render_details(
    lang: str, project: ProjectPublic, username: str
) -> tuple[str, InlineKeyboardMarkup]:
    """Every field plus the interested / share buttons."""
    return details(lang, project), InlineKeyboardMarkup([project_buttons(lang, project, username)])


async def show_details(update: Update, context: Context) -> None:
    """d:<project id>: send the project's details as a new message."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await lang_of(update, context)
    raw = query.data.partition(":")[2]
    project = (
        await blocking(published_project, services(context), project_id=int(raw))
        if raw.isdigit()
        else None
    )
    if project is None:
        await query.answer(t(lang, "details.not_found"), show_alert=True)
        return
    await query.answer()
    body, markup = render_details(lang, project, bot_username(context))
    await reply(update, context, body, markup)


async def open_start_link(update: Update, context: Context, param: str) -> bool:
    """/start p_<code>: show that project's details; False if `param` is no project link."""
    target = parse_start(param)
    if target is None:
        return False
    lang = await lang_of(update, context)
    kind, value = target
    svc = services(context)
    if kind == "id":
        project = await blocking(published_project, svc, project_id=int(value))
    else:
        project = await blocking(published_project, svc, code=value)
    if project is None:
        await reply(update, context, t(lang, "details.not_found"))
        return True
    body, markup = render_details(lang, project, bot_username(context))
    await reply(update, context, body, markup)
    return True
