"""The send limiter and the outbox sender, against the in-memory Bot API (real PTB, real SQLite)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fakebotapi import max_in_window
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram.ext import ExtBot

from bot.delivery.broadcast import Message, Sender, SenderConfig, make_sender, progress_text
from bot.delivery.ratelimit import SendLimiter, TelegramRateLimiter, counted
from bot.local.api import Call, Fault, LocalBotAPI
from bot.local.request import LocalRequest
from catalog import outbox, subscriptions
from catalog.db import session_scope
from catalog.models import Delivery, Investor, Project, Subscription

TOKEN = "123:TEST"
ADMIN = 900


async def test_limiter_keeps_global_and_per_chat_limits_with_replies_first() -> None:
    limiter = SendLimiter()
    grants: list[tuple[float, str, int | None]] = []

    async def take(kind: str, chat: int | None) -> float:
        asked = time.monotonic()
        at = await limiter.acquire(bulk=kind == "bulk", chat_id=chat)
        grants.append((at, kind, chat))
        return at - asked

    bulk = [asyncio.create_task(take("bulk", i % 45)) for i in range(50)]
    await asyncio.sleep(0.3)
    urgent_waits = await asyncio.gather(*(take("urgent", 1000 + i) for i in range(15)))
    await asyncio.gather(*bulk)

    times = [g[0] for g in grants]
    assert max_in_window(times) <= 24  # the client keeps one below Telegram-side 25
    gaps = [b - a for a, b in zip(sorted(times), sorted(times)[1:], strict=False)]
    assert min(gaps) >= 1 / 48 - 1e-6  # spaced, with half a slot forgiven for lateness
    per_chat: dict[int | None, list[float]] = defaultdict(list)
    for at, kind, chat in grants:
        if kind == "bulk":
            per_chat[chat].append(at)
    for chat_times in per_chat.values():
        chat_times.sort()
        assert all(b - a >= 1.0 - 1e-6 for a, b in itertools.pairwise(chat_times))
    # replies overtook the queued broadcast: none waited for the 50 bulk sends (~2 s)
    assert max(urgent_waits) < 1.0
    # and the sustained rate is close to the configured 24/s
    assert len(times) / (max(times) - min(times)) > 22


async def test_dispatch_gate_spreads_sends_held_up_after_their_slots() -> None:
    limiter = SendLimiter()
    for chat in range(30):  # 30 slots granted over ~1.2 s ...
        await limiter.acquire(bulk=True, chat_id=chat)
    left: list[float] = []
    order: list[int] = []

    async def leave(chat: int) -> None:
        await limiter.dispatch(chat)
        left.append(time.monotonic())
        order.append(chat)

    # ... but held up (a slow commit, a stalled loop) and now all trying to leave at once
    await asyncio.gather(*(leave(chat) for chat in range(30)))
    assert len(left) == 30 and max_in_window(left) <= 24
    assert limiter.busiest == 24
    # one chat's messages leave a second apart even if their slots were not
    start = time.monotonic()
    await limiter.dispatch(order[-1])
    assert time.monotonic() - start >= 0.9


async def test_limiter_pause_holds_everything() -> None:
    limiter = SendLimiter()
    await limiter.acquire()
    limiter.pause(0.5)
    started = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - started >= 0.45


def test_counted_methods() -> None:
    assert counted("sendMessage") and counted("editMessageText") and counted("sendDocument")
    assert not counted("answerCallbackQuery") and not counted("sendChatAction")
    assert not counted("getUpdates") and not counted("getFile")


# --- the sender ---------------------------------------------------------------------------


def seed_subscribers(engine: Engine, n: int, *, chat_base: int = 5000) -> list[int]:
    """n investors subscribed to everything; one project in batch B1; returns their chat ids."""
    with session_scope(engine) as session:
        session.add(Project(code="P1", name="光伏", batch="B1", summary="s"))
        session.add(Project(code="P2", name="储能", batch="B1", summary="s"))
        chats = []
        for i in range(n):
            chat = chat_base + i
            inv = Investor(telegram_user_id=chat, chat_id=chat)
            session.add(inv)
            session.flush()
            subscriptions.subscribe(session, investor_id=inv.id or 0, chat_id=chat, mode="all")
            chats.append(chat)
    return chats


def publish(engine: Engine) -> None:
    with session_scope(engine) as session:
        outbox.publish_batch(
            session,
            batch_code="B1",
            actor_id=ADMIN,
            select_codes=lambda sub, inv, projects: [p.code for p in projects],
        )


def render(row: Delivery) -> Message:
    return Message(f"<b>{row.batch_code}</b>: {', '.join(row.project_codes)}")


@pytest.fixture
async def api_bot() -> AsyncIterator[tuple[LocalBotAPI, ExtBot[Any], list[float]]]:
    api = LocalBotAPI()
    stamps: list[float] = []

    def stamp(call: Call) -> None:
        if counted(call.method):
            stamps.append(time.monotonic())

    bot: ExtBot[Any] = ExtBot(
        TOKEN, request=LocalRequest(api, on_call=stamp), rate_limiter=TelegramRateLimiter()
    )
    await bot.initialize()
    yield api, bot, stamps
    await bot.shutdown()


def delivered(api: LocalBotAPI) -> dict[int, int]:
    """Successful sendMessage calls per chat."""
    counts: dict[int, int] = defaultdict(int)
    for call in api.calls:
        if call.method == "sendMessage" and call.error is None and call.chat_id is not None:
            counts[call.chat_id] += 1
    return counts


async def wait_done(engine: Engine, timeout: float = 30.0) -> outbox.Progress:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as session:
            progress = outbox.progress(session, batch_code="B1")
        if progress.done:
            return progress
        await asyncio.sleep(0.1)
    raise AssertionError(f"broadcast not done: {progress.counts}")


async def test_sender_delivers_once_and_handles_429_500_403(
    db_engine: Engine, api_bot: tuple[LocalBotAPI, ExtBot[Any], list[float]]
) -> None:
    api, bot, stamps = api_bot
    chats = seed_subscribers(db_engine, 30)
    for chat in [*chats, ADMIN]:
        api.add_user(chat)
    flaky, limited, blocked, dead = chats[3], chats[5], chats[7], chats[9]
    api.faults += [
        Fault("sendMessage", 429, count=1, chat=lambda c: c == limited, retry_after=1),
        Fault("sendMessage", 500, count=2, chat=lambda c: c == flaky),
        Fault("sendMessage", 403, count=1, chat=lambda c: c == blocked),
        Fault("sendMessage", 500, count=99, chat=lambda c: c == dead),
    ]
    publish(db_engine)
    config = SenderConfig(max_attempts=3, backoff_base=0.1, progress_every=0.5)
    sender = make_sender(bot, db_engine, render, config=config)
    assert sender.via_rate_limiter
    progress_msg = await bot.send_message(ADMIN, "publishing…")
    await sender.watch(batch="B1", chat_id=ADMIN, message_id=progress_msg.message_id, lang="en")
    sender.start()
    progress = await wait_done(db_engine)
    await asyncio.sleep(1.2)  # let the reporter write the final figures
    await sender.stop()

    assert progress.counts == {"sent": 28, "blocked": 1, "failed": 1}
    got = delivered(api)
    assert all(got[c] == 1 for c in chats if c not in (blocked, dead))
    assert got[blocked] == 0 and got[dead] == 0
    with Session(db_engine) as session:
        rows = {d.chat_id: d for d in session.exec(select(Delivery))}
        sub = session.exec(select(Subscription).where(Subscription.chat_id == blocked)).one()
    assert not sub.active and sub.deactivated_reason == "blocked"
    assert (rows[dead].status, rows[dead].attempts) == ("failed", 3)
    assert rows[flaky].attempts == 3 and rows[flaky].status == "sent"
    assert rows[limited].attempts == 1  # a 429 does not use up an attempt
    assert rows[chats[0]].message_id is not None
    assert max_in_window(stamps) <= 25
    edits = [c for c in api.calls if c.method == "editMessageText" and c.chat_id == ADMIN]
    assert edits and "sent 28" in (edits[-1].text or "")
    assert edits[-1].text == progress_text("en", progress)


async def test_sender_resumes_pending_and_never_resends_interrupted_rows(
    db_engine: Engine, api_bot: tuple[LocalBotAPI, ExtBot[Any], list[float]]
) -> None:
    api, bot, _stamps = api_bot
    chats = seed_subscribers(db_engine, 6)
    for chat in [*chats, ADMIN]:
        api.add_user(chat)
    publish(db_engine)
    # a previous process sent two and was killed while the third request was in flight
    with session_scope(db_engine) as session:
        ids = [d.id or 0 for d in outbox.pending(session, limit=3)]
        for rid in ids:
            outbox.mark_sending(session, delivery_id=rid)
        for rid in ids[:2]:
            outbox.mark_sent(session, delivery_id=rid, message_id=1)
    sender: Sender = make_sender(
        bot, db_engine, render, config=SenderConfig(progress_every=0.2), admin_lang=lambda _: "en"
    )
    sender.start()
    progress = await wait_done(db_engine)
    await asyncio.sleep(1.2)
    await sender.stop()
    assert progress.counts == {"sent": 5, "unknown": 1}
    assert sorted(set(delivered(api)) - {ADMIN}) == chats[3:]
    # the admin who published is told the batch resumed, then sees the final figures
    to_admin = [c for c in api.calls if c.chat_id == ADMIN]
    assert "restarted" in (to_admin[0].text or "")
    assert "1 uncertain" in (to_admin[-1].text or "")


async def test_withdrawn_projects_make_a_row_skipped(
    db_engine: Engine, api_bot: tuple[LocalBotAPI, ExtBot[Any], list[float]]
) -> None:
    api, bot, _stamps = api_bot
    chats = seed_subscribers(db_engine, 2)
    for chat in chats:
        api.add_user(chat)
    publish(db_engine)

    def render_live(row: Delivery) -> Message | None:
        return None if row.chat_id == chats[0] else render(row)

    sender = make_sender(bot, db_engine, render_live)
    sender.start()
    progress = await wait_done(db_engine)
    await sender.stop()
    assert progress.counts == {"sent": 1, "skipped": 1}
    assert dict(delivered(api)) == {chats[1]: 1}
