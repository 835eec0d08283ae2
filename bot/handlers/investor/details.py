"""A project's details: from a card's button (d:<id>) or a deep link (/start p_<code>)."""

from __future__ import annotations

from sqlmodel import col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers.common import Context, blocking, bot_username, lang_of, reply
from bot.services import Services, services
from bot.views.i18n import t
from bot.views.links import parse_start
from bot.views.render import card, details, project_buttons, results_keyboard, title
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
    """Every field plus the interested / share buttons and the similar-projects buttons."""
    similar = [
        InlineKeyboardButton(t(lang, "details.similar_button"), callback_data=f"sim:{project.id}"),
        InlineKeyboardButton(
            t(lang, "details.similar_same_region"), callback_data=f"sim:{project.id}:region"
        ),
    ]
    rows = [project_buttons(lang, project, username), similar]
    return details(lang, project), InlineKeyboardMarkup(rows)


async def show_similar(update: Update, context: Context) -> None:
    """sim:<project id>[:region|sector]: the nearest published projects as cards."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await lang_of(update, context)
    parts = query.data.split(":")
    raw = parts[1] if len(parts) > 1 else ""
    same = parts[2] if len(parts) > 2 else ""
    svc = services(context)
    project = await blocking(published_project, svc, project_id=int(raw)) if raw.isdigit() else None
    if project is None:
        await query.answer(t(lang, "details.not_found"), show_alert=True)
        return
    await query.answer()
    hits = await blocking(
        svc.search.similar, project.code, k=5, same=same if same in ("region", "sector") else None
    )
    if not hits:
        await reply(update, context, t(lang, "details.similar_none"))
        return
    projects = [h.project for h in hits]
    head = t(lang, "details.similar_title", name=title(lang, project))
    body = "\n\n".join([head] + [card(lang, p, i) for i, p in enumerate(projects, 1)])
    markup = results_keyboard(lang, projects, bot_username(context), first=1, back=None, more=None)
    await reply(update, context, body, markup)


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
