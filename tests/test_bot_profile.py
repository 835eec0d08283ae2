"""The investor's side beyond search: profile conversation, /match reasons, "I'm interested"
with the admins told, /interests, /forget and flood control, through the real Application."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botharness import BotHarness
from botsetup import ADMIN_2, ADMIN_ID, shared_services
from sqlmodel import Session, col, select

from bot.delivery.throttle import Throttle
from bot.handlers.investor.profile import catalog_options
from bot.local.api import parse_html
from bot.services import Services
from catalog import subscriptions
from catalog.db import session_scope
from catalog.investors import get_or_create_investor, update_profile
from catalog.models import Interest, Investor, Project, Subscription
from index.match import Profile, match_projects


@pytest.fixture
def svc() -> Services:
    return shared_services()


@pytest.fixture
async def bot(svc: Services) -> AsyncIterator[BotHarness]:
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, first_name="Admin")
        harness.user(ADMIN_2, first_name="Admin2")
        yield harness


def investor(svc: Services, user_id: int) -> Investor | None:
    with Session(svc.db) as session:
        return session.exec(
            select(Investor).where(col(Investor.telegram_user_id) == user_id)
        ).first()


def option(svc: Services, step: str, value: str) -> str:
    return f"p:t:{catalog_options(svc)[step].index(value)}"


async def test_profile_conversation_end_to_end_then_match_with_reasons(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(3001, language_code="en", chosen="en")
    await bot.choose_language(3001, "en")
    calls = await bot.send(3001, "/profile")
    intro, question = calls.of("sendMessage")
    assert "five short questions" in (intro.text or "")
    assert "1/5" in (question.text or "")
    assert question.button("New energy")["callback_data"] == option(svc, "sectors", "new_energy")

    calls = await bot.press(3001, option(svc, "sectors", "new_energy"))
    ticked = calls.last("editMessageReplyMarkup")
    assert ticked.button("✓ New energy")
    calls = await bot.press(3001, "p:ok")
    assert "2/5" in (calls.last("editMessageText").text or "")
    assert calls.last("editMessageText").button("Inner Mongolia")
    await bot.press(3001, option(svc, "regions", "内蒙古自治区"))
    calls = await bot.press(3001, "p:ok")
    assert "3/5" in (calls.last("editMessageText").text or "")

    calls = await bot.send(3001, "plenty, maybe 5")
    assert "could not read" in (calls.last("sendMessage").text or "")
    calls = await bot.send(3001, "1亿-50亿")
    assert "4/5" in (calls.last("sendMessage").text or "")
    calls = await bot.press(3001, "p:skip")
    assert "5/5" in (calls.last("editMessageText").text or "")
    calls = await bot.press(3001, "p:skip")
    done = parse_html(calls.last("editMessageText").text or "")
    assert "Profile saved" in done and "/match" in done
    assert "Sectors: New energy" in done and "Regions: Inner Mongolia" in done
    assert "Ticket size: 100 million yuan – 5 billion yuan" in done

    stored = investor(svc, 3001)
    assert stored is not None
    assert (stored.sectors, stored.regions) == (["new_energy"], ["内蒙古自治区"])
    assert (stored.ticket_min_cny, stored.ticket_max_cny) == (1e8, 5e9)
    assert stored.cooperation_modes == [] and stored.stages == []

    expected = match_projects(svc.search, Profile.of(stored), k=5)
    assert expected, "the dev catalog has new-energy projects in Inner Mongolia"
    calls = await bot.send(3001, "/match")
    text = parse_html(calls.last("sendMessage").text or "")
    for n, m in enumerate(expected, start=1):
        assert f"{n}. {m.project.name_en or m.project.name}" in text
    assert text.count("✓ sector: New energy · region: Inner Mongolia") == len(expected)
    assert "amount within your range" in text
    assert [r[0]["callback_data"] for r in calls.last("sendMessage").keyboard] == [
        f"d:{m.project.id}" for m in expected
    ]


async def test_profile_is_shown_and_one_part_can_be_changed(bot: BotHarness, svc: Services) -> None:
    bot.user(3002, language_code="zh")
    with session_scope(svc.db) as session:
        get_or_create_investor(session, telegram_user_id=3002)
        update_profile(session, telegram_user_id=3002, sectors=["data_center"])
    calls = await bot.send(3002, "/profile")
    overview = calls.last("sendMessage")
    assert "行业：数据中心" in parse_html(overview.text or "")
    assert overview.button("合作方式")["callback_data"] == "p:e:cooperation_modes"

    calls = await bot.press(3002, "p:e:cooperation_modes")
    assert "合作方式" in (calls.last("editMessageText").text or "")
    await bot.press(3002, option(svc, "cooperation_modes", "股权合作"))
    calls = await bot.press(3002, "p:ok")
    back = parse_html(calls.last("editMessageText").text or "")
    assert "合作方式：股权合作" in back and "行业：数据中心" in back
    stored = investor(svc, 3002)
    assert stored is not None and stored.cooperation_modes == ["股权合作"]
    assert stored.sectors == ["data_center"]

    calls = await bot.press(3002, "p:close")
    assert "/match" in (calls.last("editMessageText").text or "")
    # the conversation is over: plain text is a search again
    calls = await bot.send(3002, "数据中心")
    assert "“数据中心”的结果" in (calls.last("sendMessage").text or "")


async def test_match_without_profile_explains_how_to_set_one(bot: BotHarness) -> None:
    bot.user(3003, language_code="en", chosen="en")
    text = (await bot.send(3003, "/match")).last("sendMessage").text or ""
    assert "/profile" in text


async def test_interest_with_consent_tells_every_admin_with_the_contact(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(3004, language_code="en", chosen="en", username="alice", first_name="Alice")
    await bot.choose_language(3004, "en")
    results = (await bot.send(3004, "数据中心")).last("sendMessage")
    project_id = int(results.buttons[1]["callback_data"].removeprefix("i:"))
    with Session(svc.db) as session:
        project = session.get(Project, project_id)
    assert project is not None

    calls = await bot.press(3004, f"i:{project_id}")
    consent = calls.last("sendMessage")
    assert "May I share your Telegram contact" in (consent.text or "")
    assert consent.button("Yes")["callback_data"] == f"i:{project_id}:y"
    calls = await bot.press(3004, f"i:{project_id}:y")
    assert "note" in (calls.last("editMessageText").text or "")
    calls = await bot.send(3004, "About 200 million, this year")

    to_admins = {c.chat_id: parse_html(c.text or "") for c in calls.of("sendMessage")
                 if c.chat_id in (ADMIN_ID, ADMIN_2)}  # fmt: skip
    assert set(to_admins) == {ADMIN_ID, ADMIN_2}
    for text in to_admins.values():
        assert project.name in text and project.code in text
        assert "@alice" in text and "同意分享联系方式" in text
        assert "About 200 million, this year" in text
    mine = [c for c in calls.of("sendMessage") if c.chat_id == 3004][-1]
    assert "passed on" in (mine.text or "") and "may contact you" in (mine.text or "")

    stored = investor(svc, 3004)
    assert stored is not None
    with Session(svc.db) as session:
        interest = session.exec(
            select(Interest).where(col(Interest.investor_id) == stored.id)
        ).one()
    assert (interest.project_id, interest.share_contact) == (project_id, True)
    assert interest.note == "About 200 million, this year"

    listed = (await bot.send(3004, "/interests")).last("sendMessage")
    assert project.name_en and project.name_en in parse_html(listed.text or "")
    assert "contact shared" in (listed.text or "")
    assert listed.keyboard[0][0]["callback_data"] == f"d:{project_id}"


async def test_interest_without_consent_keeps_the_investor_anonymous(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(3005, language_code="zh", username="bob_private", first_name="Bob")
    results = (await bot.send(3005, "光伏")).last("sendMessage")
    project_id = int(results.buttons[1]["callback_data"].removeprefix("i:"))
    await bot.press(3005, f"i:{project_id}")
    await bot.press(3005, f"i:{project_id}:n")
    calls = await bot.press(3005, "i:skip")
    admin_texts = [parse_html(c.text or "") for c in calls.of("sendMessage")]
    assert len(admin_texts) == 2
    stored = investor(svc, 3005)
    assert stored is not None
    for text in admin_texts:
        assert "bob_private" not in text and "Bob" not in text
        assert f"#{stored.id}" in text and "不同意分享联系方式" in text
    assert "未被分享" in (calls.last("editMessageText").text or "")


async def test_forget_asks_first_then_deletes_everything(bot: BotHarness, svc: Services) -> None:
    bot.user(3006, language_code="en", chosen="en")
    await bot.send(3006, "数据中心")
    with session_scope(svc.db) as session:
        who = get_or_create_investor(session, telegram_user_id=3006, chat_id=3006)
        update_profile(session, telegram_user_id=3006, sectors=["solar"])
        project = session.exec(select(Project)).first()
        assert who.id is not None and project is not None and project.id is not None
        session.add(Interest(investor_id=who.id, project_id=project.id))
        subscriptions.subscribe(session, investor_id=who.id, chat_id=3006, mode="all")

    calls = await bot.send(3006, "/forget")
    assert [b["callback_data"] for b in calls.last("sendMessage").buttons] == ["f:yes", "f:no"]
    calls = await bot.press(3006, "f:no")
    assert "Nothing was deleted" in (calls.last("editMessageText").text or "")
    assert investor(svc, 3006) is not None

    await bot.send(3006, "/forget")
    calls = await bot.press(3006, "f:yes")
    assert "deleted" in (calls.last("editMessageText").text or "")
    assert investor(svc, 3006) is None
    with Session(svc.db) as session:
        assert not session.exec(select(Interest).where(col(Interest.investor_id) == who.id)).all()
        assert not session.exec(
            select(Subscription).where(col(Subscription.investor_id) == who.id)
        ).all()


async def test_flooding_gets_one_polite_warning_then_silence_until_the_window_passes(
    svc: Services,
) -> None:
    now = [1000.0]
    svc.throttle = Throttle(limit=5, window=3.0, clock=lambda: now[0])
    async with BotHarness(svc.settings, svc) as bot:
        bot.user(3007, language_code="en", chosen="en")
        answers = [await bot.send(3007, "/help") for _ in range(8)]
        texts = [c.texts() for c in answers]
        assert all("What I can do" in t[0] for t in texts[:5])
        assert texts[5] == ["You are sending messages very quickly; please wait a few seconds."]
        assert texts[6] == [] and texts[7] == []
        now[0] += 3.1
        assert "What I can do" in (await bot.send(3007, "/help")).texts()[0]
        # other users are not affected by one user's flood
        bot.user(3008, language_code="en", chosen="en")
        assert (await bot.send(3008, "/help")).texts()
