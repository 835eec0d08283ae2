"""Batch digests: which of a batch's projects fit a subscriber, and the one message they get."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram import InlineKeyboardMarkup

from bot.local.api import MAX_TEXT
from bot.views.i18n import normalize_lang, t
from bot.views.render import card, esc, project_buttons
from catalog.models import PUBLISHED, Delivery, Investor, ProjectPublic, Subscription
from catalog.projects import get_projects
from catalog.subscriptions import FILTER, PROFILE
from index.match import Profile, fits

MAX_CARDS = 8


def select_codes(
    sub: Subscription, investor: Investor | None, projects: list[ProjectPublic]
) -> list[str]:
    """The codes of the batch's projects this subscriber should hear about."""
    if sub.mode == PROFILE:
        profile = Profile.of(investor)
    elif sub.mode == FILTER:
        profile = Profile(sectors=list(sub.sectors), regions=list(sub.regions))
    else:
        return [p.code for p in projects]
    return [p.code for p in projects if fits(profile, p) is not None]


@dataclass(frozen=True)
class Message:
    """What to send to one subscriber."""

    text: str
    markup: InlineKeyboardMarkup | None = None


def render_digest(
    lang: str, batch: str, projects: list[ProjectPublic], bot_username: str
) -> Message:
    """One message: a header, up to MAX_CARDS cards with buttons, and how to see the rest."""
    shown = projects[:MAX_CARDS]
    while True:
        lines = [t(lang, "digest.header", batch=esc(batch), count=len(projects)), ""]
        for n, project in enumerate(shown, start=1):
            lines += [card(lang, project, n), ""]
        if len(shown) < len(projects):
            lines.append(t(lang, "digest.more", more=len(projects) - len(shown), batch=esc(batch)))
        lines.append(t(lang, "digest.footer"))
        text = "\n".join(lines)
        if len(text) <= MAX_TEXT or len(shown) <= 1:
            break
        shown = shown[:-1]
    rows = [project_buttons(lang, p, bot_username, n=n) for n, p in enumerate(shown, start=1)]
    return Message(text[:MAX_TEXT], InlineKeyboardMarkup(rows) if rows else None)


def digest_for(db: Engine, row: Delivery, bot_username: str) -> Message | None:
    """The digest for one outbox row, or None if none of its projects is still published."""
    with Session(db) as session:
        projects = [
            p for p in get_projects(session, codes=list(row.project_codes)) if p.status == PUBLISHED
        ]
        investor = session.exec(select(Investor).where(Investor.id == row.investor_id)).first()
    if not projects:
        return None
    order = {code: i for i, code in enumerate(row.project_codes)}
    projects.sort(key=lambda p: order.get(p.code, 0))
    lang = normalize_lang(investor.language if investor else None)
    if investor is None or investor.language is None:
        lang = "zh"
    return render_digest(lang, row.batch_code, projects, bot_username)
