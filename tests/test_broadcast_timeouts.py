"""A sendMessage that times out may have been delivered: the digest is counted uncertain, never
retried on its own, and resent only when an admin orders it (issue 11, item 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram.error import TimedOut
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

from bot.delivery.broadcast import SenderConfig, make_sender, progress_text
from bot.delivery.ratelimit import TelegramRateLimiter
from bot.local.api import LocalBotAPI
from bot.local.request import LocalRequest
from catalog import outbox
from catalog.db import session_scope
from catalog.models import AuditEntry, Delivery


class DeliversThenTimesOut(LocalRequest):
    """The request reaches Telegram (the message is delivered), then the answer is lost."""

    def __init__(self, api: LocalBotAPI, chat: int, times: int) -> None:
        super().__init__(api)
        self.chat, self.times = chat, times

    async def do_request(self, url: str, method: str, request_data: Any = None, **kw: Any) -> Any:
        answer = await super().do_request(url, method, request_data, **kw)
        params = request_data.parameters if request_data is not None else {}
        if url.endswith("/sendMessage") and params.get("chat_id") == self.chat and self.times:
            self.times -= 1
            raise TimedOut("Timed out")
        return answer


async def test_a_timed_out_digest_is_uncertain_and_resent_only_on_order(db_engine: Engine) -> None:
    api = LocalBotAPI()
    chats = seed_subscribers(db_engine, 5)
    for chat in [*chats, ADMIN]:
        api.add_user(chat)
    slow = chats[2]
    request = DeliversThenTimesOut(api, slow, times=2)
    bot: ExtBot[Any] = ExtBot(TOKEN, request=request, rate_limiter=TelegramRateLimiter())
    await bot.initialize()
    publish(db_engine)
    config = SenderConfig(max_attempts=3, backoff_base=0.1, progress_every=0.2, poll_every=0.2)
    sender = make_sender(bot, db_engine, render, config=config, admin_lang=lambda _: "en")
    sender.start()
    try:
        progress = await wait_done(db_engine)
        assert progress.counts == {"sent": 4, "unknown": 1}
        assert delivered(api)[slow] == 1  # it arrived once, and was not sent again
        with Session(db_engine) as session:
            row = session.exec(select(Delivery).where(Delivery.chat_id == slow)).one()
        assert row.attempts == 1 and "may have been delivered" in (row.last_error or "")
        assert "To resend them anyway" in progress_text("en", progress)

        with session_scope(db_engine) as session:  # the admin chooses to resend
            assert outbox.resend_uncertain(session, batch_code="B1") == 1
        sender.wake()
        progress = await wait_done(db_engine)  # its second try times out again: uncertain
        assert progress.counts == {"sent": 4, "unknown": 1} and delivered(api)[slow] == 2
        with session_scope(db_engine) as session:
            assert outbox.resend_uncertain(session, batch_code="B1") == 1
        sender.wake()
        progress = await wait_done(db_engine)
        assert progress.counts == {"sent": 5} and delivered(api)[slow] == 3
        assert all(delivered(api)[c] == 1 for c in chats if c != slow)
    finally:
        await sender.stop()
        await bot.shutdown()


async def test_admins_order_the_resend_of_a_batchs_uncertain_digests(tmp_path: Path) -> None:
    from botharness import BotHarness
    from botsetup import ADMIN_ID
    from test_admin_handlers import seeded_services

    svc = seeded_services(tmp_path)
    chats = seed_subscribers(svc.db, 3, chat_base=7000)
    with session_scope(svc.db) as session:
        publish_b1 = outbox.publish_batch(
            session, batch_code="B1", actor_id=ADMIN_ID, select_codes=lambda s, i, p: ["P1"]
        )
        assert publish_b1.to_send == 3
        rows = outbox.pending(session, limit=3)
        for row in rows:
            outbox.mark_sending(session, delivery_id=row.id or 0)
        outbox.mark_uncertain(session, delivery_id=rows[0].id or 0, error="Timed out")
        outbox.mark_sent(session, delivery_id=rows[1].id or 0, message_id=1)
        outbox.mark_uncertain(session, delivery_id=rows[2].id or 0, error="Timed out")
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, language_code="en")
        for chat in chats:  # the sender may send them their digests meanwhile
            harness.user(chat, language_code="en")
        answer = (await harness.send(ADMIN_ID, "/publish B1 resend-uncertain")).texts()[0]
        assert "2 uncertain digest(s) queued" in answer
        again = (await harness.send(ADMIN_ID, "/publish B1 resend-uncertain")).texts()[0]
        assert "0 uncertain digest(s) queued" in again
        refused = (await harness.send(chats[0], "/publish B1 resend-uncertain")).texts()
        assert not any("queued" in text for text in refused)  # admins only
    with Session(svc.db) as session:
        statuses = sorted(d.status for d in session.exec(select(Delivery)))
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "resend-uncertain"))
        assert [a.changes for a in audit] == [{"batch": "B1", "digests": 2}]
    assert statuses.count("unknown") == 0 and statuses.count("sent") >= 1
    svc.db.dispose()
