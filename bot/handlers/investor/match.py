"""/match: projects that fit the investor's profile, five at a time, each with why it fits."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update

from bot.handlers.common import (
    Context,
    UserRef,
    blocking,
    bot_username,
    edit,
    lang_of,
    reply,
    stored_investor,
    user_ref,
)
from bot.services import Services
from bot.views.i18n import t
from bot.views.render import PAGE_SIZE, card, reason_text, results_keyboard
from catalog.db import session_scope
from catalog.investors import has_profile
from index.match import Match, Profile, match_projects


@dataclass(frozen=True)
class MatchPage:
    has_profile: bool
    matches: list[Match]
    offset: int
    more: bool


def run_match(svc: Services, user: UserRef, offset: int) -> MatchPage:
    """The investor's profile matched against the catalog (one page, and whether more follow)."""
    with session_scope(svc.db) as session:
        investor = stored_investor(session, user)
        profile = Profile.of(investor)
        exists = has_profile(investor)
    if not exists:
        return MatchPage(False, [], offset, False)
    found = match_projects(svc.search, profile, k=PAGE_SIZE + 1, offset=offset)
    return MatchPage(True, found[:PAGE_SIZE], offset, len(found) > PAGE_SIZE)


def render_matches(
    lang: str, page: MatchPage, username: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Cards with a "why it fits" line each, and paging buttons."""
    if not page.has_profile:
        return t(lang, "match.no_profile"), None
    if not page.matches:
        return t(lang, "match.none"), None
    first = page.offset + 1
    lines = [t(lang, "match.header", start=first, end=page.offset + len(page.matches))]
    for i, match in enumerate(page.matches):
        lines += ["", card(lang, match.project, first + i)]
        if match.reasons:
            why = " · ".join(reason_text(lang, r) for r in match.reasons)
            lines.append(t(lang, "match.why", reasons=why))
    back = f"m:p:{max(page.offset - PAGE_SIZE, 0)}" if page.offset > 0 else None
    more = f"m:p:{page.offset + PAGE_SIZE}" if page.more else None
    projects = [m.project for m in page.matches]
    markup = results_keyboard(lang, projects, username, first=first, back=back, more=more)
    return "\n".join(lines), markup


async def match_command(update: Update, context: Context) -> None:
    """/match: the best fitting projects for the stored profile."""
    lang = await lang_of(update, context)
    page = await blocking(run_match, context.services, user_ref(update), 0)
    body, markup = render_matches(lang, page, bot_username(context))
    await reply(update, context, body, markup)


async def more_matches(update: Update, context: Context) -> None:
    """m:p:<offset>: another page of matches, editing the message."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await lang_of(update, context)
    raw = query.data.removeprefix("m:p:")
    offset = int(raw) if raw.isdigit() else 0
    page = await blocking(run_match, context.services, user_ref(update), offset)
    if not page.matches:
        await query.answer(t(lang, "search.expired"))
        return
    await query.answer()
    body, markup = render_matches(lang, page, bot_username(context))
    await edit(update, context, body, markup)
