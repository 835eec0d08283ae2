"""Two senders on one database (issue 11, item 12): only the lease holder sends, the other
stands by without touching the holder's rows, and takes over when the holder stops or its lease
expires, resolving a dead holder's in-flight rows then. Real PTB, real SQLite, the in-memory
Bot API."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from telegram.ext import ExtBot
from test_admin_broadcast import (
    ADMIN,
    TOKEN,
    delivered,
    publish,
    render,
    seed_subscribers,
    wait_done,
)

from bot.delivery.broadcast import Sender, SenderConfig, make_sender
from bot.delivery.ratelimit import TelegramRateLimiter
from bot.local.api import LocalBotAPI
from bot.local.request import LocalRequest
from catalog import lease, outbox
from catalog.db import session_scope
from catalog.models import Delivery, Lease

DEAD = "crashed-host:4242:dead"


class SlowSends(LocalRequest):
    """Each sendMessage takes `delay` seconds to be answered (a slow network)."""

    def __init__(self, api: LocalBotAPI, delay: float) -> None:
        super().__init__(api)
        self.delay = delay

    async def do_request(self, url: str, method: str, request_data: Any = None, **kw: Any) -> Any:
        answer = await super().do_request(url, method, request_data, **kw)
        if url.endswith("/sendMessage"):
            await asyncio.sleep(self.delay)
        return answer


async def new_bot(api: LocalBotAPI, delay: float = 0.0) -> ExtBot[Any]:
    bot: ExtBot[Any] = ExtBot(
        TOKEN, request=SlowSends(api, delay), rate_limiter=TelegramRateLimiter()
    )
    await bot.initialize()
    return bot


def sender_for(bot: ExtBot[Any], engine: Engine, lease_seconds: float) -> Sender:
    config = SenderConfig(progress_every=0.2, poll_every=0.2, lease_seconds=lease_seconds)
    return make_sender(bot, engine, render, config=config, admin_lang=lambda _: "en")


async def until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


def count(engine: Engine, status: str) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Delivery).where(Delivery.status == status)).all())


def sends(api: LocalBotAPI) -> int:
    return sum(delivered(api).values())


async def test_the_standby_sender_sends_nothing_and_takes_over_after_a_clean_stop(
    db_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.delivery.broadcast")
    api_a, api_b = LocalBotAPI(), LocalBotAPI()  # who sent what, per process
    chats = seed_subscribers(db_engine, 40)
    for api in (api_a, api_b):
        for chat in [*chats, ADMIN]:
            api.add_user(chat)
    bot_a, bot_b = await new_bot(api_a, delay=0.2), await new_bot(api_b)
    first, second = sender_for(bot_a, db_engine, 10.0), sender_for(bot_b, db_engine, 10.0)
    publish(db_engine)
    first.start()
    try:
        await until(lambda: count(db_engine, "sending") > 0, "the first sender never claimed")
        second.start()  # a second process starts in the middle of the broadcast
        await until(lambda: "takes over when that lease ends" in caplog.text, "no standby")
        await until(lambda: sends(api_a) >= 10, "the first sender stalled")
        # the defect: the second's start-up made the first's in-flight rows unknown
        assert count(db_engine, "unknown") == 0 and sends(api_b) == 0
        await first.stop()  # an overlapping restart: the old process stops cleanly
        assert not first.lease.held
        progress = await wait_done(db_engine)
        assert second.lease.held
    finally:
        await first.stop()
        await second.stop()
        await bot_a.shutdown()
        await bot_b.shutdown()
    assert progress.counts == {"sent": 40}
    a, b = delivered(api_a), delivered(api_b)
    assert all(a[c] + b[c] == 1 for c in chats) and sends(api_b) > 0
    with Session(db_engine) as session:
        senders = {d.sender for d in session.exec(select(Delivery))}
    assert senders == {first.lease.holder, second.lease.holder}


async def test_a_dead_senders_rows_wait_for_its_lease_then_are_resolved(
    db_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.delivery.broadcast")
    api = LocalBotAPI()
    chats = seed_subscribers(db_engine, 8)
    for chat in [*chats, ADMIN]:
        api.add_user(chat)
    publish(db_engine)
    # a process was SIGKILLed with two digests in flight; its lease still runs
    with session_scope(db_engine) as session:
        assert lease.acquire(session, name=lease.OUTBOX, holder=DEAD, seconds=600)
        ids = [d.id or 0 for d in outbox.pending(session, limit=2)]
        for rid in ids:
            assert outbox.mark_sending(session, delivery_id=rid, sender=DEAD)
    bot = await new_bot(api)
    sender = sender_for(bot, db_engine, 1.0)  # tries to take over every 0.2 s
    sender.start()
    try:
        await until(lambda: "takes over when that lease ends" in caplog.text, "no standby")
        await asyncio.sleep(1.0)  # five attempts while the dead holder's lease is live
        assert sends(api) == 0 and count(db_engine, "sending") == 2
        with session_scope(db_engine) as session:  # its lease runs out
            session.execute(update(Lease).where(Lease.name == lease.OUTBOX).values(expires_at=0))
        progress = await wait_done(db_engine)
    finally:
        await sender.stop()
        await bot.shutdown()
    assert progress.counts == {"sent": 6, "unknown": 2}
    with Session(db_engine) as session:
        rows = session.exec(select(Delivery)).all()
    unknown = [d for d in rows if d.status == "unknown"]
    assert sorted(d.id or 0 for d in unknown) == sorted(ids)  # the dead one's, not resent
    assert all(d.last_error == outbox.INTERRUPTED and d.sender == DEAD for d in unknown)
    got = delivered(api)
    assert {d.chat_id: got[d.chat_id] for d in rows} == {
        d.chat_id: int(d.status == "sent") for d in rows
    }
    assert "2 digest(s) were interrupted" in caplog.text


async def test_a_sender_that_loses_its_lease_stops_claiming(db_engine: Engine) -> None:
    api = LocalBotAPI()
    chats = seed_subscribers(db_engine, 30)
    for chat in [*chats, ADMIN]:
        api.add_user(chat)
    bot = await new_bot(api, delay=0.1)
    sender = sender_for(bot, db_engine, 1.0)
    publish(db_engine)
    sender.start()
    try:
        await until(lambda: sends(api) >= 3, "the sender never started")
        with session_scope(db_engine) as session:  # another process took the lease
            session.execute(
                update(Lease)
                .where(Lease.name == lease.OUTBOX)
                .values(holder="thief:1:1", expires_at=time.time() + 600)
            )
        await until(lambda: not sender.lease.held, "the loss was not noticed")
        await until(lambda: count(db_engine, "sending") == 0, "in-flight sends not finished")
        at_loss = sends(api)
        await asyncio.sleep(1.0)  # several renewal periods
        assert sends(api) == at_loss and count(db_engine, "pending") > 0
    finally:
        await sender.stop()
        await bot.shutdown()


async def test_a_database_error_while_taking_over_does_not_stop_the_sender(
    db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = LocalBotAPI()
    chats = seed_subscribers(db_engine, 3)
    for chat in [*chats, ADMIN]:
        api.add_user(chat)
    real = outbox.resolve_interrupted
    failures = [OperationalError("UPDATE delivery", {}, Exception("database is locked"))]

    def flaky(session: Session) -> int:
        if failures:
            raise failures.pop()
        return real(session)

    monkeypatch.setattr(outbox, "resolve_interrupted", flaky)
    bot = await new_bot(api)
    sender = sender_for(bot, db_engine, 1.0)
    publish(db_engine)
    sender.start()
    try:
        progress = await wait_done(db_engine)
    finally:
        await sender.stop()
        await bot.shutdown()
    assert failures == [] and progress.counts == {"sent": 3}
