"""Plain text and /search: answers about one project, or cards five at a time with paging."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from sqlmodel import col, select
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
from bot.views.answers import answer_lang, render_answer_text
from bot.views.i18n import base_lang, script, t, to_simplified
from bot.views.render import (
    PAGE_SIZE,
    QUOTE_CHARS,
    card,
    clip,
    esc,
    industry_label,
    project_buttons,
    region_label,
    results_keyboard,
)
from bot.views.understood import describe_understanding
from catalog.db import session_scope
from catalog.investors import get_query, log_query
from catalog.models import PUBLISHED, Project
from index.results import Answer, SearchResult
from index.understanding.facts import is_question
from index.understanding.regions import province_of
from index.understanding.text import normalize

# Only a message that asks for one fact of a project (amount, contact, length, term...) goes
# to SearchEngine.ask first; anything else is searched directly (one engine pass, not two).
SUGGESTIONS = 6
# Messages that greet rather than search: answered with a hint, not searched or logged.
GREETINGS = frozenset(
    {
        "你好", "您好", "你们好", "大家好", "嗨", "哈喽", "哈啰", "喂", "在吗", "在么", "早",
        "早上好", "上午好", "中午好", "下午好", "晚上好", "开始", "你好呀", "你好啊", "您好啊",
        "hello", "hi", "hey", "hiya", "yo", "hello there", "hi there", "hey there", "greetings",
        "good morning", "good afternoon", "good evening", "start", "begin", "hallo", "howdy",
    }
)  # fmt: skip
NOTICE_ONLY = {"empty_query", "unusable_query"}  # notices that replace the results


@dataclass(frozen=True)
class Page:
    """One page of results of a logged query."""

    query_id: int | None
    result: SearchResult
    offset: int
    sectors: list[str]  # suggestions when nothing was found
    regions: list[str]


def catalog_facets(svc: Services) -> tuple[list[str], list[str]]:
    """The most common sectors and provinces of the published catalog (for suggestions)."""
    with session_scope(svc.db) as session:
        rows = session.exec(
            select(Project.industry, Project.region).where(col(Project.status) == PUBLISHED)
        ).all()
    sectors = Counter(industry for industry, _ in rows if industry)
    provinces = Counter(p for _, region in rows if region and (p := province_of(region)))
    return (
        [s for s, _ in sectors.most_common(SUGGESTIONS)],
        [p for p, _ in provinces.most_common(SUGGESTIONS)],
    )


def _log(svc: Services, user: UserRef, text: str, results: int) -> int | None:
    with session_scope(svc.db) as session:
        investor = stored_investor(session, user)
        entry = log_query(
            session,
            investor_id=investor.id,
            query=text,
            normalized=normalize(text),
            results=results,
        )
        return entry.id


def run_search(svc: Services, user: UserRef, text: str) -> Page:
    """Search, log the query, and gather suggestions when nothing was found."""
    result = svc.search.search(text, k=PAGE_SIZE, offset=0)
    query_id = _log(svc, user, text, result.total)
    sectors, regions = catalog_facets(svc) if result.total == 0 else ([], [])
    return Page(query_id, result, 0, sectors, regions)


def run_ask(svc: Services, user: UserRef, text: str) -> Answer | None:
    """The direct answer about one project, if the message is such a question."""
    answer = svc.search.ask(text)
    if answer.kind != "attribute" or not answer.projects:
        return None
    _log(svc, user, text, len(answer.projects))
    return answer


def run_page(svc: Services, query_id: int, offset: int) -> Page | None:
    """Another page of a logged query (None if the query is unknown)."""
    with session_scope(svc.db) as session:
        entry = get_query(session, query_id=query_id)
        text = entry.query if entry else None
    if text is None:
        return None
    result = svc.search.search(text, k=PAGE_SIZE, offset=offset)
    return Page(query_id, result, offset, [], [])


def suggested_region(lang: str, province: str) -> str:
    """A province to try: its English name in English, its full name in Chinese (escaped)."""
    return esc(region_label(lang, province) if base_lang(lang) == "en" else script(lang, province))


def render_page(lang: str, page: Page, username: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of a results page (or the nothing-found answer)."""
    result = page.result
    lines: list[str] = []
    understood = clip(describe_understanding(lang, result.understanding), 2 * QUOTE_CHARS)
    if understood:
        lines.append(t(lang, "search.understood", description=esc(understood)))
    if result.notice in NOTICE_ONLY and not result.hits:
        lines.append(t(lang, f"search.notice.{result.notice}"))
        return "\n".join(lines), None
    if result.notice == "empty_catalog":
        return t(lang, "start.catalog_empty"), None
    if result.notice in ("query_truncated", "indexing"):
        lines.append(t(lang, f"search.notice.{result.notice}"))
    query = esc(script(lang, clip(result.query)))
    if not result.hits:
        lines.append(t(lang, "search.none", query=query))
        if page.sectors or page.regions:
            sep = "、" if base_lang(lang) == "zh" else ", "
            lines.append(
                t(
                    lang,
                    "search.suggest",
                    sectors=sep.join(industry_label(lang, s) for s in page.sectors) or "—",
                    regions=sep.join(suggested_region(lang, r) for r in page.regions) or "—",
                )
            )
        return "\n".join(lines), None
    first = page.offset + 1
    last = page.offset + len(result.hits)
    lines.append(t(lang, "search.header", total=result.total, query=query, start=first, end=last))
    for i, hit in enumerate(result.hits):
        lines += ["", card(lang, hit.project, first + i)]
    back = more = None
    if page.query_id is not None:
        if page.offset > 0:
            back = f"m:q:{page.query_id}:{max(page.offset - PAGE_SIZE, 0)}"
        if last < result.total:
            more = f"m:q:{page.query_id}:{last}"
    markup = results_keyboard(
        lang, [h.project for h in result.hits], username, first=first, back=back, more=more
    )
    return "\n".join(lines), markup


def render_answer(lang: str, answer: Answer, username: str) -> tuple[str, InlineKeyboardMarkup]:
    """A direct answer naming the project, with its details / interested / share buttons."""
    text = t(lang, "ask.answer", answer=render_answer_text(answer, lang, html=True))
    project = answer.projects[0]
    return text, InlineKeyboardMarkup([project_buttons(lang, project, username, n=1)])


async def answer_text(update: Update, context: Context, text: str) -> None:
    """Answer a question about one project directly, else show the best projects."""
    lang = await lang_of(update, context)
    svc = context.services
    user = user_ref(update)
    if context.bot.username and text.startswith(f"@{context.bot.username}"):
        text = text[len(context.bot.username) + 1 :].strip()
    if is_question(normalize(text)):
        answer = await blocking(run_ask, svc, user, text)
        if answer is not None:
            if base_lang(answer.lang) != base_lang(lang):
                lang = answer_lang(answer)  # the whole reply (buttons too) in its language
            body, buttons = render_answer(lang, answer, bot_username(context))
            await reply(update, context, body, buttons)
            return
    page = await blocking(run_search, svc, user, text)
    body, markup = render_page(lang, page, bot_username(context))
    await reply(update, context, body, markup)


def is_greeting(text: str) -> bool:
    """Whether a message only says hello (你好, hi!, Good morning…), in either script."""
    words = re.sub(r"[\W_]+", " ", to_simplified(text).lower()).split()
    return " ".join(words) in GREETINGS


async def text_message(update: Update, context: Context) -> None:
    """Any plain text in a private chat is a search or a question (a greeting gets a hint)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    if is_greeting(message.text):
        lang = await lang_of(update, context)
        await reply(update, context, t(lang, "greeting"))
        return
    await answer_text(update, context, message.text.strip())


async def search_command(update: Update, context: Context) -> None:
    """/search <words>."""
    words = " ".join(context.args or []).strip()
    if not words:
        lang = await lang_of(update, context)
        await reply(update, context, t(lang, "search.usage"))
        return
    await answer_text(update, context, words)


async def more_results(update: Update, context: Context) -> None:
    """Paging: m:q:<query id>:<offset> edits the results message in place."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await lang_of(update, context)
    try:
        _, _, qid, offset = query.data.split(":")
        page = await blocking(run_page, context.services, int(qid), max(int(offset), 0))
    except ValueError:
        page = None
    if page is None or not page.result.hits:
        await query.answer(t(lang, "search.expired"))
        return
    await query.answer()
    body, markup = render_page(lang, page, bot_username(context))
    await edit(update, context, body, markup)
