"""/subscribe, /unsubscribe, /subscriptions and the digest a subscriber gets on /publish."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botharness import BotHarness
from botsetup import ADMIN_ID
from sqlmodel import Session, select
from test_admin_handlers import seeded_services

from bot.handlers.investor.subscribe import Filter, parse_filter
from bot.local.api import parse_html
from catalog import outbox
from catalog.investors import get_investor
from catalog.models import Delivery, Project, Subscription

ALICE, BOB, CAROL, DAN = 870_001, 870_002, 870_003, 870_004


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    svc = seeded_services(tmp_path)
    async with BotHarness(svc.settings, svc) as harness:
        for user in (ADMIN_ID, ALICE, BOB, CAROL, DAN):
            harness.user(user, language_code="en", chosen="en")
        yield harness
    svc.db.dispose()


def subscription(bot: BotHarness, user: int) -> Subscription | None:
    with Session(bot.services.db) as session:
        investor = get_investor(session, telegram_user_id=user)
        if investor is None:
            return None
        return session.exec(
            select(Subscription).where(
                Subscription.investor_id == investor.id,
                Subscription.active == True,  # noqa: E712
            )
        ).first()


def test_parse_filter_tells_places_from_sectors_and_unknown_words() -> None:
    assert parse_filter(["新能源", "山西"]) == Filter(["新能源"], ["山西省"], [])
    assert parse_filter(["半导体，太原、光伏"]) == Filter(["半导体", "光伏"], ["山西省太原市"], [])
    assert parse_filter(["data", "centre", "Guizhou", "火星"]) == Filter(
        ["data centre"], ["贵州省"], ["火星"]
    )


async def test_subscribe_with_no_known_word_is_refused_with_examples(bot: BotHarness) -> None:
    text = parse_html((await bot.send(CAROL, "/subscribe 火星 月球")).texts()[0])
    assert "did not recognise 火星, 月球" in text and "nothing was subscribed" in text
    assert "/subscribe 新能源 山西" in text
    assert subscription(bot, CAROL) is None


async def test_subscribe_names_the_words_it_left_out_and_what_it_replaced(
    bot: BotHarness,
) -> None:
    await bot.send(DAN, "/subscribe all")
    text = parse_html((await bot.send(DAN, "/subscribe 光伏 火星 山西")).texts()[0])
    assert "sectors: Solar power; regions: Shanxi" in text
    assert "left out: 火星" in text
    assert "replaced your previous subscription: every new batch" in text
    sub = subscription(bot, DAN)
    assert sub is not None and (sub.sectors, sub.regions) == (["光伏"], ["山西省"])


async def test_subscribe_with_buttons_then_show_and_stop(bot: BotHarness) -> None:
    calls = await bot.send(ALICE, "/subscribe")
    choices = [b["callback_data"] for b in calls.last("sendMessage").buttons]
    assert choices == ["sub:all", "sub:profile"]
    calls = await bot.press(ALICE, "sub:profile")
    text = calls.last("editMessageText").text or ""
    assert "fit your profile" in text and "/profile" in text  # no profile yet: says so
    sub = subscription(bot, ALICE)
    assert sub is not None and (sub.mode, sub.chat_id) == ("profile", ALICE)
    assert "fit your profile" in (await bot.send(ALICE, "/subscriptions")).texts()[0]
    assert "Unsubscribed" in (await bot.send(ALICE, "/unsubscribe")).texts()[0]
    assert subscription(bot, ALICE) is None
    assert "not subscribed" in (await bot.send(ALICE, "/unsubscribe")).texts()[0]
    assert "not subscribed" in (await bot.send(ALICE, "/subscriptions")).texts()[0]


async def test_subscribe_with_sectors_and_regions(bot: BotHarness) -> None:
    text = parse_html((await bot.send(BOB, "/subscribe 新能源 山西")).texts()[0])
    assert "sectors: New energy; regions: Shanxi" in text  # one language per reply
    sub = subscription(bot, BOB)
    assert sub is not None and (sub.mode, sub.sectors, sub.regions) == (
        "filter",
        ["新能源"],
        ["山西省"],
    )
    await bot.send(BOB, "/subscribe all")  # replaces, does not add a second one
    sub = subscription(bot, BOB)
    assert sub is not None and sub.mode == "all" and sub.sectors == []
    with Session(bot.services.db) as session:
        assert len(session.exec(select(Subscription)).all()) == 1


async def wait_until_done(bot: BotHarness, batch: str, timeout: float = 20.0) -> outbox.Progress:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(bot.services.db) as session:
            progress = outbox.progress(session, batch_code=batch)
        if progress.total and progress.done:
            return progress
        await asyncio.sleep(0.1)
    raise AssertionError(f"not delivered: {progress.counts}")


async def test_publish_sends_one_fitting_digest_per_subscriber(bot: BotHarness) -> None:
    await bot.send(ALICE, "/subscribe all")
    await bot.send(BOB, "/subscribe 智能制造")
    await bot.send(CAROL, "/subscribe 医疗卫生")  # nothing of the kind in batch 2024-3
    await bot.send(DAN, "/subscribe 物流 广东")
    start = len(bot.api.calls)
    calls = await bot.send(ADMIN_ID, "/publish 2024-3")
    started = parse_html(calls.last("sendMessage").text or "")
    assert "3 of 4 subscriber(s) get a digest, 1 have nothing fitting" in started
    progress = await wait_until_done(bot, "2024-3")
    assert progress.counts == {"sent": 3, "skipped": 1}

    digests = {
        c.chat_id: c
        for c in bot.api.calls[start:]
        if c.method == "sendMessage" and c.chat_id in (ALICE, BOB, CAROL, DAN)
    }
    assert set(digests) == {ALICE, BOB, DAN}
    with Session(bot.services.db) as session:
        ids = {p.code: p.id for p in session.exec(select(Project))}
        rows = {d.chat_id: d for d in session.exec(select(Delivery))}
    batch = ["DEV-009", "DEV-022", "DEV-027", "DEV-030", "DEV-035", "DEV-036"]
    assert sorted(rows[ALICE].project_codes) == batch
    assert rows[BOB].project_codes == ["DEV-030"]
    assert rows[DAN].project_codes == ["DEV-036"]
    assert rows[CAROL].status == "skipped" and rows[CAROL].project_codes == []
    bob = digests[BOB]
    assert "New batch 2024-3" in (bob.text or "") and "Xinxiang New Energy" in (bob.text or "")
    assert f"d:{ids['DEV-030']}" in [b.get("callback_data") for b in bob.buttons]
    assert (
        len([b for b in digests[ALICE].buttons if b.get("callback_data", "").startswith("d:")]) == 6
    )

    # the details button under a digest opens the project (the investor side's handler)
    details = await bot.press(BOB, f"d:{ids['DEV-030']}")
    assert any("Xinxiang New Energy" in (c.text or "") for c in details)

    # the admin's progress message ends with the final figures
    await asyncio.sleep(1.5)
    final = [c for c in bot.api.calls if c.method == "editMessageText" and c.chat_id == ADMIN_ID]
    assert final and "sent 3, skipped 1" in (final[-1].text or "")
