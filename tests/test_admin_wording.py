"""Admin-facing wording: who announced a batch is named, audit amounts read as money, and /help
lists all three languages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botharness import BotHarness
from botsetup import ADMIN_2, ADMIN_ID, DEV_CATALOG, bare_services

from bot.local.api import parse_html
from catalog.db import session_scope
from catalog.importer import import_into
from catalog.models import Investor


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    svc = bare_services(tmp_path)
    with session_scope(svc.db) as session:
        import_into(session, DEV_CATALOG, fmt="jsonl")
        session.add(Investor(telegram_user_id=ADMIN_2, username="carol_admin", full_name="Carol"))
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, language_code="en", chosen="en")
        harness.user(ADMIN_2, language_code="zh", username="carol_admin")
        yield harness
    svc.db.dispose()


async def test_a_second_publish_names_the_admin_who_announced(bot: BotHarness) -> None:
    await bot.send(ADMIN_2, "/publish 2024-2")
    again = parse_html((await bot.send(ADMIN_ID, "/publish 2024-2")).texts()[0])
    assert "already announced on" in again and "(by @carol_admin)" in again
    assert str(ADMIN_2) not in again


async def test_audit_and_edit_show_amounts_as_money(bot: BotHarness) -> None:
    edited = parse_html((await bot.send(ADMIN_ID, "/edit DEV-001 investment_cny=40亿")).texts()[0])
    assert "investment_cny: 3.6 billion yuan → 4 billion yuan" in edited
    text = parse_html((await bot.send(ADMIN_2, "/audit DEV-001")).texts()[0])
    assert "investment_cny: 36亿元 → 40亿元" in text and "3600000000" not in text


@pytest.mark.parametrize("code", ["en", "zh"])
async def test_help_names_all_three_languages(bot: BotHarness, code: str) -> None:
    bot.user(7301, language_code=code)
    text = parse_html((await bot.send(7301, "/help")).texts()[0])
    assert "/lang — 简体中文 / 繁體中文 / English" in text
