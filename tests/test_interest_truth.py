""" "Interested" says what is true (issue 12 item 6): no admin configured means nobody is told,
and cancelling a second go keeps (and says it keeps) the first interest."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from botharness import BotHarness
from botsetup import ADMIN_2, ADMIN_ID, settings_for, shared_services
from sqlmodel import Session, col, select

from bot.local.api import parse_html
from catalog.investors import get_investor
from catalog.models import Interest, Lead, LeadNote


@pytest.fixture
async def bot() -> AsyncIterator[BotHarness]:
    svc = shared_services()
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, first_name="Admin")
        harness.user(ADMIN_2, first_name="Admin2")
        yield harness


async def first_project(bot: BotHarness, user_id: int, words: str) -> int:
    results = (await bot.send(user_id, words)).last("sendMessage")
    return int(results.buttons[1]["callback_data"].removeprefix("i:"))


def interests(bot: BotHarness, user_id: int) -> list[Interest]:
    with Session(bot.services.db) as session:
        investor = get_investor(session, telegram_user_id=user_id)
        assert investor is not None
        return list(
            session.exec(select(Interest).where(col(Interest.investor_id) == investor.id)).all()
        )


async def test_without_admins_the_investor_is_not_told_the_team_will_see_it() -> None:
    svc = shared_services()
    settings = settings_for(svc.settings.data_dir, TUIJIE_ADMIN_IDS="")
    assert settings.admin_ids == frozenset()
    svc = dataclasses.replace(svc, settings=settings)
    async with BotHarness(settings, svc) as bot:
        bot.user(7301, language_code="en")
        project_id = await first_project(bot, 7301, "光伏")
        await bot.press(7301, f"i:{project_id}")
        await bot.press(7301, f"i:{project_id}:y")
        calls = await bot.press(7301, "i:skip")
        mine = parse_html(calls.last("editMessageText").text or "")
        assert "no one at the promoting office is set up to receive it" in mine
        assert "team will see" not in mine and "passed on" not in mine
        assert calls.methods.count("sendMessage") == 0
        assert len(interests(bot, 7301)) == 1


@pytest.mark.parametrize("cancel", ["button", "command"])
async def test_cancelling_a_second_interest_says_the_first_one_stays(
    bot: BotHarness, cancel: str
) -> None:
    user = 7302 if cancel == "button" else 7303
    bot.user(user, language_code="en")
    project_id = await first_project(bot, user, "数据中心")
    await bot.press(user, f"i:{project_id}")
    await bot.press(user, f"i:{project_id}:y")
    await bot.send(user, "Ready to invest")
    await bot.press(user, f"i:{project_id}")
    if cancel == "button":
        calls = await bot.press(user, "i:cancel")
        text = parse_html(calls.last("editMessageText").text or "")
    else:
        await bot.press(user, f"i:{project_id}:n")  # changes their mind on consent, then cancels
        calls = await bot.send(user, "/cancel")
        text = parse_html(calls.last("sendMessage").text or "")
    assert "nothing was recorded" not in text
    assert "nothing new was recorded" in text and "stays as it was" in text
    kept = interests(bot, user)
    assert len(kept) == 1 and kept[0].share_contact is True and kept[0].note == "Ready to invest"
    with Session(bot.services.db) as session:  # the lead the office follows, consent as given
        (lead,) = session.exec(select(Lead).where(col(Lead.investor_id) == kept[0].investor_id))
        assert (lead.status, lead.share_contact) == ("new", True)
        (note,) = session.exec(select(LeadNote).where(col(LeadNote.lead_id) == lead.id))
        assert (note.author, note.text) == ("investor", "Ready to invest")


async def test_cancelling_a_first_interest_still_says_nothing_was_recorded(
    bot: BotHarness,
) -> None:
    bot.user(7304, language_code="en")
    project_id = await first_project(bot, 7304, "光伏")
    await bot.press(7304, f"i:{project_id}")
    calls = await bot.press(7304, "i:cancel")
    assert "Cancelled; nothing was recorded." in parse_html(
        calls.last("editMessageText").text or ""
    )
