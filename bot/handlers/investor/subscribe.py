"""/subscribe, /unsubscribe, /subscriptions: hearing about new batches.

`/subscribe` shows the choices as buttons (every batch / what fits my profile); `/subscribe
新能源 山西` subscribes to those sectors and regions (places and taxonomy sectors are recognised;
other words are named back and left out); `/subscribe all` and `/subscribe profile` work as
words too.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers.common import (
    Context,
    UserRef,
    blocking,
    edit,
    lang_of,
    reply,
    stored_investor,
    user_ref,
)
from bot.services import Services
from bot.views.i18n import base_lang, script, t
from bot.views.render import clip, esc, industry_label, region_label
from catalog import subscriptions
from catalog.db import session_scope
from catalog.investors import get_investor, has_profile
from catalog.models import Subscription
from index.understanding.regions import match_region

MODE_WORDS = {
    "all": subscriptions.ALL, "全部": subscriptions.ALL, "所有": subscriptions.ALL,
    "profile": subscriptions.PROFILE, "画像": subscriptions.PROFILE,
    "匹配": subscriptions.PROFILE,
}  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    subscription: Subscription
    has_profile: bool
    previous: Subscription | None = None  # the subscription this one replaced


@dataclass(frozen=True)
class Filter:
    """The words of `/subscribe words`: sectors and places recognised, and the rest."""

    sectors: list[str]
    regions: list[str]
    unknown: list[str]


def is_sector(text: str) -> bool:
    """Whether the taxonomy knows `text` as (a term of) a sector."""
    from index.understanding.taxonomy import load_taxonomy

    return bool(load_taxonomy().expand(text))


def parse_filter(words: list[str]) -> Filter:
    """Split words into sectors (taxonomy terms), regions (places) and unrecognised words.

    Neighbouring unrecognised words are tried together ("data centre").
    """
    parts = [
        part.strip()
        for word in words
        for part in word.replace("，", ",").replace("、", ",").split(",")
        if part.strip()
    ]
    sectors: list[str] = []
    regions: list[str] = []
    unknown: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            phrase = " ".join(run)
            if len(run) > 1 and is_sector(phrase):
                sectors.append(phrase)
            else:
                unknown.extend(run)
            run.clear()

    for part in parts:
        place = match_region(part)
        if place:
            flush()
            regions.append(place)
        elif is_sector(part):
            flush()
            sectors.append(part)
        else:
            run.append(part)
    flush()
    return Filter(sectors, regions, unknown)


def _subscribe(
    svc: Services, user: UserRef, lang: str, mode: str, sectors: list[str], regions: list[str]
) -> Outcome:
    assert user.chat_id is not None
    with session_scope(svc.db) as session:
        investor = stored_investor(session, user)
        if investor.language is None:  # digests are written in the language they subscribed in
            investor.language = lang
            session.add(investor)
        current = subscriptions.active_of(session, investor_id=investor.id or 0)
        previous = (
            Subscription(
                investor_id=current.investor_id,
                chat_id=current.chat_id,
                mode=current.mode,
                sectors=list(current.sectors),
                regions=list(current.regions),
            )
            if current is not None
            else None
        )
        sub = subscriptions.subscribe(
            session,
            investor_id=investor.id or 0,
            chat_id=user.chat_id,
            mode=mode,
            sectors=sectors,
            regions=regions,
        )
        return Outcome(sub, has_profile(investor), previous)


def _place(lang: str, region: str) -> str:
    """A subscribed place: its English name in English, as stored in Chinese (not escaped)."""
    return region_label(lang, region) if base_lang(lang) == "en" else script(lang, region)


def describe(lang: str, sub: Subscription) -> str:
    """What a subscription brings, in one sentence."""
    if sub.mode == subscriptions.FILTER:
        return t(
            lang,
            "sub.filter",
            sectors=", ".join(industry_label(lang, s) for s in sub.sectors) or t(lang, "sub.any"),
            regions=esc(", ".join(_place(lang, r) for r in sub.regions)) or t(lang, "sub.any"),
        )
    return t(lang, f"sub.{sub.mode}")


def _confirmation(lang: str, outcome: Outcome) -> str:
    text = t(lang, "sub.done", what=describe(lang, outcome.subscription))
    if outcome.subscription.mode == subscriptions.PROFILE and not outcome.has_profile:
        text += "\n" + t(lang, "sub.no_profile")
    if outcome.previous is not None:
        text += "\n" + t(lang, "sub.replaced", what=describe(lang, outcome.previous))
    return text


def _choices(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(lang, "sub.button.all"), callback_data="sub:all")],
            [InlineKeyboardButton(t(lang, "sub.button.profile"), callback_data="sub:profile")],
        ]
    )


async def cmd_subscribe(update: Update, context: Context) -> None:
    """/subscribe [all | profile | sectors and regions]."""
    lang = await lang_of(update, context)
    user = user_ref(update)
    if user.chat_id is None:
        await reply(update, context, t(lang, "sub.private_only"))
        return
    words = list(context.args or [])
    if not words:
        await reply(update, context, t(lang, "sub.choose"), _choices(lang))
        return
    mode = MODE_WORDS.get(words[0].lower()) if len(words) == 1 else None
    found = Filter([], [], []) if mode else parse_filter(words)
    unknown = esc(clip(", ".join(found.unknown)))
    if not mode and not (found.sectors or found.regions):
        await reply(update, context, t(lang, "sub.unknown_all", words=unknown))
        return
    outcome = await blocking(
        _subscribe,
        context.services,
        user,
        lang,
        mode or subscriptions.FILTER,
        found.sectors,
        found.regions,
    )
    text = _confirmation(lang, outcome)
    if found.unknown:
        text += "\n" + t(lang, "sub.unknown_some", words=unknown)
    await reply(update, context, text)


async def on_choice(update: Update, context: Context) -> None:
    """A button under /subscribe."""
    query = update.callback_query
    assert query is not None
    lang = await lang_of(update, context)
    mode = (query.data or "").removeprefix("sub:")
    user = user_ref(update)
    if mode not in (subscriptions.ALL, subscriptions.PROFILE) or user.chat_id is None:
        await query.answer()
        return
    outcome = await blocking(_subscribe, context.services, user, lang, mode, [], [])
    await query.answer()
    await edit(update, context, _confirmation(lang, outcome))


def _unsubscribe(svc: Services, user_id: int) -> bool:
    with session_scope(svc.db) as session:
        investor = get_investor(session, telegram_user_id=user_id)
        if investor is None or investor.id is None:
            return False
        return subscriptions.unsubscribe(session, investor_id=investor.id)


async def cmd_unsubscribe(update: Update, context: Context) -> None:
    """/unsubscribe: stop hearing about new batches."""
    lang = await lang_of(update, context)
    user = user_ref(update)
    stopped = await blocking(_unsubscribe, context.services, user.telegram_user_id)
    await reply(update, context, t(lang, "sub.stopped" if stopped else "sub.none"))


def _current(svc: Services, user_id: int) -> Subscription | None:
    with session_scope(svc.db) as session:
        investor = get_investor(session, telegram_user_id=user_id)
        if investor is None or investor.id is None:
            return None
        return subscriptions.active_of(session, investor_id=investor.id)


async def cmd_subscriptions(update: Update, context: Context) -> None:
    """/subscriptions: what this investor is subscribed to."""
    lang = await lang_of(update, context)
    user = user_ref(update)
    sub = await blocking(_current, context.services, user.telegram_user_id)
    if sub is None:
        await reply(update, context, t(lang, "sub.none"), _choices(lang))
        return
    since = f"{sub.updated_at:%Y-%m-%d}"
    await reply(update, context, t(lang, "sub.current", what=describe(lang, sub), since=since))
