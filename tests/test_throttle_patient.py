"""Issue 12, item 8: the flood limit never drops a user who waits for each reply; a burst
sent while earlier messages are still being answered gets one "slow down", then silence.

Updates go through the application's own update processor, as `tuijie run` feeds them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from botharness import BotHarness
from botsetup import shared_services
from telegram import Update

from bot.delivery.throttle import LIMIT
from bot.services import Services

SLOW_DOWN = "You are sending messages very quickly; please wait a few seconds."


@pytest.fixture
def svc() -> Services:
    return shared_services()


@pytest.fixture
async def bot(svc: Services) -> AsyncIterator[BotHarness]:
    async with BotHarness(svc.settings, svc) as harness:
        yield harness


async def deliver(bot: BotHarness, user_id: int, text: str) -> None:
    """One message through the update processor, as the polling loop hands it over."""
    update = Update.de_json(bot.api.user_message(user_id, text), bot.app.bot)
    await bot.app.update_processor.process_update(update, bot.app.process_update(update))


def replies(bot: BotHarness, user_id: int) -> list[str]:
    return [
        c.text or "" for c in bot.api.calls if c.method == "sendMessage" and c.chat_id == user_id
    ]


async def test_a_user_who_waits_for_each_reply_is_never_dropped(bot: BotHarness) -> None:
    bot.user(3201, language_code="en")
    questions = ["solar", "wind power", "data center", "hydrogen", "batteries", "logistics"] * 3
    for text in questions:  # each one after the previous answer: many within a few seconds
        await deliver(bot, 3201, text)
    answers = replies(bot, 3201)
    assert len(answers) == len(questions) and SLOW_DOWN not in answers


async def test_a_burst_gets_one_slow_down_then_silence(bot: BotHarness) -> None:
    bot.user(3202, language_code="en")
    burst = [f"solar {n}" for n in range(3 * LIMIT)]
    await asyncio.gather(*(deliver(bot, 3202, text) for text in burst))
    answers = replies(bot, 3202)
    assert answers.count(SLOW_DOWN) == 1, answers
    assert len(answers) < len(burst), "some of the burst was not answered"
