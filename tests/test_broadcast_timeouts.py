"""A sendMessage that times out may have been delivered: the digest is counted uncertain, never
retried on its own, and resent only when an admin orders it (issue 11, item 11)."""

from __future__ import annotations

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

from bot.broadcast import SenderConfig, make_sender, progress_text
from bot.localapi import LocalBotAPI
from bot.localrequest import LocalRequest
from bot.ratelimit import TelegramRateLimiter
from catalog import outbox
from catalog.db import session_scope
from catalog.models import Delivery


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
