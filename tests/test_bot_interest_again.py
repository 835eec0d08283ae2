""" "I'm interested" twice on one project: the investor is told when they expressed it, admins
hear again only when the note (or consent) changed; when no admin can be reached the investor
is not told it was passed on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botharness import BotHarness, Calls
from botsetup import ADMIN_2, ADMIN_ID, shared_services

from bot.local.api import Call, Fault, parse_html
from bot.services import Services


@pytest.fixture
async def bot() -> AsyncIterator[BotHarness]:
    svc: Services = shared_services()
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, first_name="Admin")
        harness.user(ADMIN_2, first_name="Admin2")
        yield harness


def to_admins(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendMessage" and c.chat_id in (ADMIN_ID, ADMIN_2)]


async def interested(bot: BotHarness, user_id: int, project_id: int, note: str | None) -> Calls:
    """Press ♥, consent, then type `note` (or Skip); every call made on the way."""
    calls = await bot.press(user_id, f"i:{project_id}")
    calls += await bot.press(user_id, f"i:{project_id}:n")
    calls += await (bot.send(user_id, note) if note else bot.press(user_id, "i:skip"))
    return Calls(calls)


async def test_a_second_interest_says_when_and_notifies_only_a_changed_note(
    bot: BotHarness,
) -> None:
    bot.user(7201, language_code="en", chosen="en")
    results = (await bot.send(7201, "数据中心")).last("sendMessage")
    project_id = int(results.buttons[1]["callback_data"].removeprefix("i:"))
    calls = await interested(bot, 7201, project_id, "About 100 million")
    assert len(to_admins(calls)) == 2

    again = await bot.press(7201, f"i:{project_id}")
    question = parse_html(again.last("sendMessage").text or "")
    assert question.startswith("ℹ️ You already expressed interest in this project on 20")
    await bot.press(7201, f"i:{project_id}:n")
    calls = await bot.press(7201, "i:skip")
    assert to_admins(calls) == []
    mine = parse_html(calls.last("editMessageText").text or "")
    assert "was already recorded on" in mine and "not told again" in mine

    calls = await interested(bot, 7201, project_id, "About 300 million now")
    assert len(to_admins(calls)) == 2
    assert all("About 300 million now" in parse_html(c.text or "") for c in to_admins(calls))
    assert "updated interest" in parse_html(calls[-1].text or "")


async def test_when_no_admin_can_be_told_the_interest_is_recorded_not_passed_on(
    bot: BotHarness,
) -> None:
    bot.strict_api = False  # the admins' chats refuse on purpose
    bot.user(7202, language_code="en", chosen="en")
    results = (await bot.send(7202, "光伏")).last("sendMessage")
    project_id = int(results.buttons[1]["callback_data"].removeprefix("i:"))
    bot.api.faults.append(
        Fault("sendMessage", 403, count=2, chat=lambda c: c in (ADMIN_ID, ADMIN_2))
    )
    calls = await interested(bot, 7202, project_id, None)
    assert [c.error is not None for c in to_admins(calls)] == [True, True]
    mine = parse_html(calls.last("editMessageText").text or "")
    assert "could not be told right now; it is on their list of leads" in mine
    assert "passed on" not in mine
