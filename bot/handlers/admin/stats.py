"""/stats for admins: projects by status and batch, audience, interest and queries, then four
pictures (searches per day, leads by status, interest per project, what the catalog lacks);
/report [FROM TO]: the period's .xlsx (leads, interest per project, search gaps)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from sqlmodel import Session
from telegram import Update

from bot.handlers.admin.commands import command_rest
from bot.handlers.common import Context, blocking, lang_of, reply
from bot.permissions import admin_only
from bot.services import Services, services
from bot.views.i18n import t
from bot.views.office_report import report_workbook, stats_charts
from bot.views.render import clip, esc
from catalog import reports, stats
from catalog.errors import CatalogError
from catalog.projects import count_projects

STATS_QUERY_CHARS = 60  # queries in /stats are cut to this many characters


def _stats(svc: Services) -> tuple[stats.CatalogStats, int]:
    with Session(svc.db) as session:
        return stats.catalog_stats(session), count_projects(session)


def _pairs(items: Iterable[tuple[str, int]]) -> str:
    return "\n".join(f"• {esc(clip(text, STATS_QUERY_CHARS))} — {n}" for text, n in items) or "—"


@admin_only
async def cmd_stats(update: Update, context: Context) -> None:
    """/stats: projects by status and batch, audience, interests, frequent and empty queries."""
    lang = await lang_of(update, context)
    figures, total = await blocking(_stats, services(context))
    batches = "\n".join(
        f"• {esc(batch)}: "
        + ", ".join(f"{t(lang, 'admin.stats.' + s)} {n}" for s, n in sorted(c.items()))
        for batch, c in figures.by_batch.items()
    )
    modes = ", ".join(
        f"{t(lang, 'admin.stats.mode.' + m)} {n}"
        for m, n in sorted(figures.subscribers_by_mode.items())
    )
    interests = "\n".join(
        f"• <code>{esc(code)}</code> {esc(name)} — {n}" for code, name, n in figures.interests
    )
    text = t(
        lang,
        "admin.stats.text",
        total=total,
        published=figures.by_status.get("published", 0),
        withdrawn=figures.by_status.get("withdrawn", 0),
        batches=batches or "—",
        investors=figures.investors,
        subscribers=figures.subscribers,
        modes=modes or "—",
        interests=interests or "—",
        queries=figures.queries,
        top=_pairs(figures.top_queries),
        empty=_pairs(figures.empty_queries),
    )
    left_out = getattr(services(context).search, "skipped", None) or {}  # no engine in some tests
    skipped = sorted(code for code, _ in left_out.values())
    if skipped:
        codes = ", ".join(f"<code>{esc(ascii(code)[1:-1])}</code>" for code in skipped[:20])
        text += "\n\n" + t(lang, "admin.stats.skipped", codes=codes + (" …" * (len(skipped) > 20)))
    await reply(update, context, text)
    pictures = await blocking(_charts, services(context), lang)
    chat = update.effective_chat
    assert chat is not None
    for png, key in zip(pictures, CHART_CAPTIONS, strict=True):
        await context.bot.send_photo(chat.id, photo=png, caption=t(lang, key))


CHART_CAPTIONS = (
    "admin.chart.searches_title",
    "admin.chart.leads_title",
    "admin.chart.interest_title",
    "admin.chart.gaps_title",
)


def _charts(svc: Services, lang: str) -> list[bytes]:
    with Session(svc.db) as session:
        return stats_charts(session, lang)


def parse_period(text: str) -> reports.Period:
    """'' (the last 30 days) or 'YYYY-MM-DD YYYY-MM-DD' (both days included)."""
    words = text.split()
    if not words:
        return reports.Period.last_days()
    if len(words) != 2 or not all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", w) for w in words):
        raise reports.InvalidPeriod("give two dates as YYYY-MM-DD")
    try:
        first, last = date.fromisoformat(words[0]), date.fromisoformat(words[1])
    except ValueError as exc:
        raise reports.InvalidPeriod(str(exc)) from exc
    return reports.Period.of_days(first, last)


def _report(svc: Services, period: reports.Period) -> bytes:
    with Session(svc.db) as session:
        return report_workbook(session, period=period)


@admin_only
async def cmd_report(update: Update, context: Context) -> None:
    """/report [FROM TO]: the period's workbook as a document (default: the last 30 days)."""
    lang = await lang_of(update, context)
    try:
        period = parse_period(command_rest(update))
    except CatalogError as exc:
        await reply(update, context, t(lang, "admin.report.usage", reason=esc(str(exc))))
        return
    content = await blocking(_report, services(context), period)
    first, last = period.since.date(), period.last_day
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        document=content,
        filename=f"tuijie-report-{first:%Y%m%d}-{last:%Y%m%d}.xlsx",
        caption=t(lang, "admin.report.caption", first=first, last=last),
    )
