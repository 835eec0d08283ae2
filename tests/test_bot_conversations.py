"""Leaving a conversation: another command ends it cleanly (draft dropped, nothing said) and is
handled as usual; /cancel says so; a step's typed answer never also runs a search."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botharness import BotHarness, Calls
from botsetup import ADMIN_2, ADMIN_ID, shared_services
from sqlmodel import Session, col, select

from bot.handlers.admin import add as admin_add
from bot.handlers.investor import interest, profile
from bot.local.api import parse_html
from bot.services import Services
from catalog.db import session_scope
from catalog.investors import get_or_create_investor, update_profile
from catalog.models import Interest, Investor, Project


@pytest.fixture
def svc() -> Services:
    return shared_services()


@pytest.fixture
async def bot(svc: Services) -> AsyncIterator[BotHarness]:
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, first_name="Admin", language_code="en")
        harness.user(ADMIN_2, first_name="Admin2")
        yield harness


def investor(svc: Services, user_id: int) -> Investor | None:
    with Session(svc.db) as session:
        return session.exec(
            select(Investor).where(col(Investor.telegram_user_id) == user_id)
        ).first()


def interests(svc: Services, user_id: int) -> list[Interest]:
    who = investor(svc, user_id)
    if who is None:
        return []
    with Session(svc.db) as session:
        return list(session.exec(select(Interest).where(col(Interest.investor_id) == who.id)))


def only_reply(calls: Calls, chat_id: int) -> str:
    """The one message the bot sent (to anyone), as the user reads it."""
    sent = calls.of("sendMessage")
    assert len(sent) == 1, [(c.chat_id, c.text) for c in sent]
    assert sent[0].chat_id == chat_id
    return parse_html(sent[0].text or "")


def is_search(text: str) -> bool:
    """A search reply in either language (a Chinese message is answered in Chinese)."""
    return any(
        words in text for words in ("Results for", "Nothing in the catalog", "的结果", "没有与")
    )


async def at_ticket_step(bot: BotHarness, user_id: int) -> None:
    """A new investor in /profile's guided questions, at the typed ticket step."""
    bot.user(user_id, language_code="en", chosen="en")
    await bot.send(user_id, "/profile")
    await bot.press(user_id, "p:skip")  # sectors
    calls = await bot.press(user_id, "p:skip")  # regions
    assert "3/5" in (calls.last("editMessageText").text or "")


async def at_note_step(bot: BotHarness, user_id: int) -> int:
    """An investor who pressed ♥ Interested and consented; the project id."""
    bot.user(user_id, language_code="en", chosen="en", username=f"u{user_id}")
    results = (await bot.send(user_id, "data center")).last("sendMessage")
    project_id = int(results.buttons[1]["callback_data"].removeprefix("i:"))
    calls = await bot.press(user_id, f"i:{project_id}")
    assert len(calls.of("answerCallbackQuery")) == 1
    calls = await bot.press(user_id, f"i:{project_id}:y")
    assert "note" in (calls.last("editMessageText").text or "")
    return project_id


async def test_a_command_at_the_ticket_step_ends_the_profile_questions(
    bot: BotHarness, svc: Services
) -> None:
    await at_ticket_step(bot, 4101)
    text = only_reply(await bot.send(4101, "/help"), 4101)
    assert "What I can do" in text
    assert profile.DRAFT not in bot.app.user_data[4101]
    # text with an amount in it is a search now, not a ticket size
    text = only_reply(await bot.send(4101, "太原 2亿"), 4101)
    assert is_search(text)
    stored = investor(svc, 4101)
    assert stored is not None and stored.ticket_min_cny is None and stored.ticket_max_cny is None
    # the old Skip button is out of date
    calls = await bot.press(4101, "p:skip")
    assert calls.last("answerCallbackQuery").params.get("text") == (
        "These results have expired; please search again."
    )
    assert "sendMessage" not in calls.methods and "editMessageText" not in calls.methods


async def test_cancel_in_the_profile_questions_says_it_stopped(bot: BotHarness) -> None:
    await at_ticket_step(bot, 4102)
    text = only_reply(await bot.send(4102, "/cancel"), 4102)
    assert "Cancelled" in text
    assert profile.DRAFT not in bot.app.user_data[4102]
    assert is_search(only_reply(await bot.send(4102, "数据中心 5亿"), 4102))


async def test_a_command_at_the_note_step_records_nothing_and_is_answered(
    bot: BotHarness, svc: Services
) -> None:
    await at_note_step(bot, 4103)
    text = only_reply(await bot.send(4103, "/interests"), 4103)
    assert "not marked any project" in text
    assert interest.DRAFT not in bot.app.user_data[4103]
    # the next text is a search, not a note passed on to the admins
    assert is_search(only_reply(await bot.send(4103, "光伏 山西"), 4103))
    assert interests(svc, 4103) == []


async def test_cancel_at_the_note_step_records_nothing(bot: BotHarness, svc: Services) -> None:
    await at_note_step(bot, 4104)
    text = only_reply(await bot.send(4104, "/cancel"), 4104)
    assert "Cancelled" in text and "nothing was recorded" in text
    assert is_search(only_reply(await bot.send(4104, "光伏"), 4104))
    calls = await bot.press(4104, "i:skip")  # under the note question: out of date
    assert calls.methods == ["answerCallbackQuery"]
    assert "expired" in (calls.last("answerCallbackQuery").params.get("text") or "")
    assert interests(svc, 4104) == []


async def test_cancel_outside_a_conversation_says_there_is_nothing_to_cancel(
    bot: BotHarness,
) -> None:
    bot.user(4107, language_code="en", chosen="en")
    assert only_reply(await bot.send(4107, "/cancel"), 4107) == "There is nothing to cancel."
    await at_ticket_step(bot, 4107)
    assert "Cancelled" in only_reply(await bot.send(4107, "/cancel"), 4107)
    assert only_reply(await bot.send(4107, "/cancel"), 4107) == "There is nothing to cancel."


async def test_profile_started_at_the_note_step_ends_the_interest(
    bot: BotHarness, svc: Services
) -> None:
    await at_note_step(bot, 4105)
    calls = await bot.send(4105, "/profile")
    assert [c.chat_id for c in calls.of("sendMessage")] == [4105, 4105]  # intro, question 1
    assert "1/5" in (calls.last("sendMessage").text or "")
    # while the sectors are being ticked, a typed text is a search (not an interest note)
    assert is_search(only_reply(await bot.send(4105, "数据中心"), 4105))
    assert interests(svc, 4105) == []


async def test_the_note_is_still_taken_as_a_note_and_not_searched(
    bot: BotHarness, svc: Services
) -> None:
    project_id = await at_note_step(bot, 4106)
    calls = await bot.send(4106, "data centre this year")
    mine = [parse_html(c.text or "") for c in calls.of("sendMessage") if c.chat_id == 4106]
    assert len(mine) == 1 and "passed on" in mine[0]
    assert [(i.project_id, i.note) for i in interests(svc, 4106)] == [
        (project_id, "data centre this year")
    ]


async def test_a_command_during_add_drops_the_draft_and_is_answered(
    bot: BotHarness, svc: Services
) -> None:
    await bot.send(ADMIN_ID, "/add")
    await bot.send(ADMIN_ID, "TY-ABANDONED")  # the code; the name is asked next
    text = only_reply(await bot.send(ADMIN_ID, "/help"), ADMIN_ID)
    assert "What I can do" in text
    assert admin_add.STATE_KEY not in bot.app.user_data[ADMIN_ID]
    # the next text is a search, not the project's name
    assert is_search(only_reply(await bot.send(ADMIN_ID, "太原"), ADMIN_ID))
    with Session(svc.db) as session:
        assert session.exec(select(Project).where(Project.code == "TY-ABANDONED")).first() is None
    # the questions start from the first one again
    assert "1/16 · code" in only_reply(await bot.send(ADMIN_ID, "/add"), ADMIN_ID)


async def test_pressing_interested_at_the_ticket_step_leaves_the_profile_questions(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(4108, language_code="en", chosen="en", username="u4108")
    await bot.choose_language(4108, "en")
    results = (await bot.send(4108, "数据中心")).last("sendMessage")
    project_id = int(results.buttons[1]["callback_data"].removeprefix("i:"))
    await at_ticket_step(bot, 4108)
    await bot.press(4108, f"i:{project_id}", message_id=results.result["message_id"])
    await bot.press(4108, f"i:{project_id}:y")
    assert profile.DRAFT not in bot.app.user_data[4108]
    # a note with an amount in it is the note, not the profile's ticket size
    calls = await bot.send(4108, "2亿 this year")
    mine = [parse_html(c.text or "") for c in calls.of("sendMessage") if c.chat_id == 4108]
    assert len(mine) == 1 and "passed on" in mine[0]
    assert [(i.project_id, i.note) for i in interests(svc, 4108)] == [(project_id, "2亿 this year")]
    stored = investor(svc, 4108)
    assert stored is not None and stored.ticket_min_cny is None


async def test_changing_the_profile_at_the_note_step_leaves_the_interest(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(4109, language_code="en", chosen="en")
    await bot.choose_language(4109, "en")
    with session_scope(svc.db) as session:
        get_or_create_investor(session, telegram_user_id=4109)
        update_profile(session, telegram_user_id=4109, sectors=["data_center"])
    menu = (await bot.send(4109, "/profile")).last("sendMessage")
    assert menu.button("Sectors")["callback_data"] == "p:e:sectors"
    await at_note_step(bot, 4109)
    assert profile.DRAFT not in bot.app.user_data[4109]
    calls = await bot.press(4109, "p:e:sectors", message_id=menu.result["message_id"])
    assert "1/5" in (calls.last("editMessageText").text or "")
    assert len(calls.of("answerCallbackQuery")) == 1
    assert interest.DRAFT not in bot.app.user_data[4109]
    # while ticking sectors, a typed text is a search, not a note passed on to the admins
    assert is_search(only_reply(await bot.send(4109, "光伏"), 4109))
    assert interests(svc, 4109) == []


async def test_words_without_an_amount_at_the_ticket_step_keep_the_question_open(
    bot: BotHarness, svc: Services
) -> None:
    await at_ticket_step(bot, 4111)
    text = only_reply(await bot.send(4111, "lots"), 4111)
    assert text.startswith("I could not read “lots” as an amount")
    assert not is_search(text)
    assert profile.DRAFT in bot.app.user_data[4111]
    text = only_reply(await bot.send(4111, "2亿以上"), 4111)
    assert "4/5" in text
    stored = investor(svc, 4111)
    assert stored is not None and stored.ticket_min_cny == 2e8
