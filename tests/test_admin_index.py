"""The search index follows admin changes at once (real model, real FAISS, real SQLite)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botharness import BotHarness
from botsetup import ADMIN_ID
from test_admin_handlers import seeded_services

from index.engine import SearchEngine


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    svc = seeded_services(tmp_path)
    search = SearchEngine(svc.db, svc.settings.index_dir, svc.settings.embedding_model)
    search.open()
    svc = dataclasses.replace(svc, search=search)
    async with BotHarness(svc.settings, svc) as harness:
        harness.user(ADMIN_ID, language_code="en", chosen="en")
        yield harness
    search.close()
    svc.db.dispose()


def codes(bot: BotHarness, query: str, k: int = 5) -> list[str]:
    return [hit.project.code for hit in bot.services.search.search(query, k=k).hits]


async def test_edit_withdraw_restore_and_import_are_searchable_at_once(bot: BotHarness) -> None:
    assert "DEV-032" in codes(bot, "寿光 智慧温室 蔬菜")
    assert "DEV-032" not in codes(bot, "郁金香花卉 鲜切花 出口基地")

    await bot.send(
        ADMIN_ID,
        '/edit DEV-032 name="寿光市郁金香花卉出口基地项目" summary="郁金香 鲜切花 花卉 出口基地"',
    )
    assert codes(bot, "郁金香花卉 鲜切花 出口基地")[0] == "DEV-032"

    await bot.send(ADMIN_ID, "/withdraw DEV-032")
    assert "DEV-032" not in codes(bot, "郁金香花卉 鲜切花 出口基地", k=10)

    await bot.send(ADMIN_ID, "/restore DEV-032")
    assert codes(bot, "郁金香花卉 鲜切花 出口基地")[0] == "DEV-032"

    row = {"code": "TY-NEW", "name": "太原贝尔油库扩建项目", "batch": "2024-4",
           "summary": "山西贝尔油库扩建，新增成品油储罐", "region": "山西省太原市"}  # fmt: skip
    calls = await bot.send_document(ADMIN_ID, "b.jsonl", json.dumps(row).encode() + b"\n")
    assert "TY-NEW" not in codes(bot, "贝尔油库扩建")  # not before Apply
    await bot.press(ADMIN_ID, calls.last("sendMessage").buttons[0]["callback_data"])
    assert codes(bot, "贝尔油库扩建")[0] == "TY-NEW"

    await bot.send(
        ADMIN_ID, '/add code=TY-ADD name="清徐醋文化产业园" batch=2024-4 summary="老陈醋 酿造 文旅"'
    )
    assert codes(bot, "老陈醋 酿造 文旅")[0] == "TY-ADD"
