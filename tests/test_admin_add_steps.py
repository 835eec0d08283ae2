"""/add step by step (issue 12, item 4): each value is checked at its step against the values
already given, and when Save fails the draft is kept and the field at fault asked again;
/cancel still cancels it. The admins send no language_code, as many Telegram clients do."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botharness import BotHarness
from botsetup import ADMIN_2, ADMIN_ID, bare_services
from sqlmodel import Session, select

from bot.local.api import parse_html
from catalog.models import Project
from catalog.projects import get_project
from index.engine import SearchEngine


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    svc = bare_services(tmp_path)
    svc = dataclasses.replace(svc, search=SearchEngine(svc.db, svc.settings.index_dir))
    svc.search.open()
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, first_name="Admin", language_code=None)
        harness.user(ADMIN_2, first_name="Admin2", language_code=None)
        yield harness
    svc.db.dispose()


def codes(bot: BotHarness) -> list[str]:
    with Session(bot.services.db) as session:
        return sorted(p.code for p in session.exec(select(Project)).all())


async def last_text(bot: BotHarness, user_id: int, text: str) -> str:
    return parse_html((await bot.send(user_id, text)).last("sendMessage").text)


async def draft_up_to_amounts(bot: BotHarness, code: str) -> str:
    """Answer the required fields, skip name_en..industry; the reply asking for the total."""
    await bot.send(ADMIN_ID, "/add")
    for answer in (code, "清徐油库扩建项目", "2024-4", "油库扩建，新增库容10万立方米"):
        await bot.send(ADMIN_ID, answer)
    for _ in ("name_en", "published_on", "region"):
        await bot.press(ADMIN_ID, "adm:add:skip")
    calls = await bot.press(ADMIN_ID, "adm:add:skip")  # industry
    return parse_html(calls.last("sendMessage").text)


async def test_private_capital_above_the_total_is_refused_at_its_step(bot: BotHarness) -> None:
    assert "9/16 · investment_cny" in await draft_up_to_amounts(bot, "TY-A1")
    assert "10/16 · private_capital_cny" in await last_text(bot, ADMIN_ID, "12亿")
    refused = await last_text(bot, ADMIN_ID, "20亿")
    assert "2000000000 is more than investment_cny 1200000000" in refused  # the reason
    assert "10/16 · private_capital_cny" in refused  # the same field asked again
    assert "11/16" not in refused
    assert "11/16 · cooperation" in await last_text(bot, ADMIN_ID, "3.5亿")
    saved = await bot.press(ADMIN_ID, "adm:add:save")
    assert "TY-A1" in parse_html(saved.last("sendMessage").text)
    with Session(bot.services.db) as session:
        p = get_project(session, code="TY-A1")
    assert (p.investment_cny, p.private_capital_cny) == (1.2e9, 3.5e8)


async def test_when_save_fails_the_draft_is_kept_and_the_field_asked_again(
    bot: BotHarness,
) -> None:
    await draft_up_to_amounts(bot, "TY-B1")
    await bot.send(ADMIN_ID, "12亿")
    await bot.send(ADMIN_ID, "3亿")
    # meanwhile another admin adds a project with the same code
    await bot.send(ADMIN_2, "/add code=TY-B1 name=其他项目 batch=2024-4 summary=另一个项目")
    failed = parse_html((await bot.press(ADMIN_ID, "adm:add:save")).last("sendMessage").text)
    assert "TY-B1" in failed and "1/16 · code" in failed  # why, and the field at fault
    done = await last_text(bot, ADMIN_ID, "TY-B2")  # the answer goes to the draft, saved
    assert "TY-B2" in done and "清徐油库扩建项目" in done
    with Session(bot.services.db) as session:
        p = get_project(session, code="TY-B2")
    assert (p.name, p.investment_cny, p.private_capital_cny) == ("清徐油库扩建项目", 1.2e9, 3e8)
    assert codes(bot) == ["TY-B1", "TY-B2"]


async def test_after_a_failed_save_cancel_still_cancels_the_draft(bot: BotHarness) -> None:
    await draft_up_to_amounts(bot, "TY-C1")
    await bot.send(ADMIN_2, "/add code=TY-C1 name=其他项目 batch=2024-4 summary=另一个项目")
    await bot.press(ADMIN_ID, "adm:add:save")
    cancelled = await last_text(bot, ADMIN_ID, "/cancel")
    assert "Cancelled; nothing was added." in cancelled
    assert codes(bot) == ["TY-C1"]
    # the draft is gone: a code typed now is a search, not the answer to a question
    after = await last_text(bot, ADMIN_ID, "TY-C2")
    assert "code" not in after and "TY-C2" not in codes(bot)
