"""The details view's "Similar" buttons, through the real Application and search engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botharness import BotHarness
from botsetup import shared_services
from sqlmodel import Session, col, select

from bot.services import Services
from catalog.models import Project, ProjectPublic


@pytest.fixture
def svc() -> Services:
    return shared_services()


@pytest.fixture
async def bot(svc: Services) -> AsyncIterator[BotHarness]:
    async with BotHarness(svc.settings, svc) as harness:
        yield harness


def _project(svc: Services, code: str) -> ProjectPublic:
    with Session(svc.db) as session:
        row = session.exec(select(Project).where(col(Project.code) == code)).one()
        return ProjectPublic.model_validate(row.model_dump())


async def test_details_offer_similar_and_it_lists_neighbours(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(2101, language_code="en")
    p = _project(svc, "DEV-001")
    msg = (await bot.send(2101, "data center")).last("sendMessage").result["message_id"]
    details = (await bot.press(2101, f"d:{p.id}", message_id=msg)).last("sendMessage")
    assert details.button("Similar projects")["callback_data"] == f"sim:{p.id}"
    assert details.button("Similar, same province")["callback_data"] == f"sim:{p.id}:region"
    listed = (await bot.press(2101, f"sim:{p.id}", message_id=msg)).last("sendMessage")
    expected = svc.search.similar("DEV-001", k=5)
    assert expected and "Projects similar to" in listed.text
    buttons = [b["callback_data"] for b in listed.buttons if b.get("callback_data", "")[:2] == "d:"]
    assert buttons == [f"d:{h.project.id}" for h in expected]
    assert f"d:{p.id}" not in buttons


async def test_similar_in_chinese_same_province(bot: BotHarness, svc: Services) -> None:
    bot.user(2102, language_code="zh")
    p = _project(svc, "DEV-006")
    msg = (await bot.send(2102, "光伏")).last("sendMessage").result["message_id"]
    listed = (await bot.press(2102, f"sim:{p.id}:region", message_id=msg)).last("sendMessage")
    expected = svc.search.similar("DEV-006", k=5, same="region")
    assert expected  # the dev catalog has other 陕西省 projects
    assert listed.text.startswith("与")
    got = [b["callback_data"] for b in listed.buttons if b.get("callback_data", "")[:2] == "d:"]
    assert got == [f"d:{h.project.id}" for h in expected]
