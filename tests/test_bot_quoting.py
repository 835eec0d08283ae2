"""A user's long text is quoted back short: at most ~100 characters (with …) in replies, ~60 in
/stats, and a long search is answered in one message."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botharness import BotHarness
from botsetup import ADMIN_ID, shared_services

from bot.local.api import parse_html
from bot.services import Services

LONG = "光伏电站项目投资合作" * 500  # 5000 characters


@pytest.fixture
async def bot() -> AsyncIterator[BotHarness]:
    svc: Services = shared_services()
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, first_name="Admin")
        yield harness


async def test_a_very_long_search_is_answered_in_one_message_quoting_its_start(
    bot: BotHarness,
) -> None:
    bot.user(7101, language_code="en", chosen="en")
    await bot.choose_language(7101, "en")
    calls = await bot.send(7101, LONG)
    (sent,) = calls.of("sendMessage")
    text = parse_html(sent.text or "")
    assert "searched with its beginning" in text
    quoted = text.split("“")[1].split("”")[0]
    assert quoted.endswith("…") and len(quoted) <= 100
    assert LONG.startswith(quoted[:-1])


async def test_stats_cuts_long_queries(bot: BotHarness) -> None:
    bot.user(7102, language_code="zh")
    marker = "月球背面" + "矿" * 300
    await bot.send(7102, marker)
    text = parse_html((await bot.send(ADMIN_ID, "/stats")).texts()[0])
    lines = [line for line in text.splitlines() if line.startswith("• 月球背面")]
    assert lines, "the query is listed (frequent and found nothing)"
    for line in lines:
        shown = line.removeprefix("• ").rsplit(" — ", 1)[0]
        assert shown.endswith("…") and len(shown) <= 60


async def test_an_unreadable_ticket_is_quoted_short(bot: BotHarness) -> None:
    bot.user(7103, language_code="en", chosen="en")
    await bot.send(7103, "/profile")
    await bot.press(7103, "p:skip")
    await bot.press(7103, "p:skip")
    calls = await bot.send(7103, "5" + "x" * 400)
    text = parse_html(calls.last("sendMessage").text or "")
    quoted = text.split("“")[1].split("”")[0]
    assert "could not read" in text and quoted.endswith("…") and len(quoted) <= 100


async def test_the_understood_keywords_of_a_long_message_are_cut(bot: BotHarness) -> None:
    bot.user(7104, language_code="en", chosen="en")
    words = " ".join(f"zorblax{i}" for i in range(400))
    (sent,) = (await bot.send(7104, words)).of("sendMessage")
    first = parse_html(sent.text or "").splitlines()[0]
    assert first.startswith("🔎") and first.endswith("…") and len(first) <= 205
