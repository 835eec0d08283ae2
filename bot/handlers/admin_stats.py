"""/stats for admins: projects by status and batch, audience, interest and queries."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session
from telegram import Update

from bot.handlers.common import Context, blocking, lang_of, reply
from bot.i18n import t
from bot.permissions import admin_only
from bot.render import clip, esc
from bot.services import Services, services
from catalog import stats
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
