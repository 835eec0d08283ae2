"""Direct answers in the chat: the same resolution as `tuijie ask`, worded from the locale files."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botharness import BotHarness
from botsetup import shared_services

from bot.local.api import parse_html
from bot.services import Services
from bot.views.answers import render_answer_text


@pytest.fixture
def svc() -> Services:
    return shared_services()


@pytest.fixture
async def bot(svc: Services) -> AsyncIterator[BotHarness]:
    async with BotHarness(svc.settings, svc) as harness:
        yield harness


async def test_a_single_candidate_is_answered_not_asked_which(
    bot: BotHarness, svc: Services
) -> None:
    bot.user(2101, language_code="zh")
    question = "阜阳垃圾发电特许期是多少年"
    sent = (await bot.send(2101, question)).last("sendMessage")
    text = parse_html(sent.text or "")
    assert "哪个项目" not in text and "30年" in text and "阜阳市颍州区生活垃圾焚烧发电项目" in text
    assert render_answer_text(svc.search.ask(question)) in text
    project = svc.search.ask(question).projects[0]
    assert sent.keyboard[0][0]["callback_data"] == f"d:{project.id}"


async def test_an_english_question_gets_the_english_summary_fact(bot: BotHarness) -> None:
    bot.user(2102, language_code="zh")
    sent = (await bot.send(2102, "How long is the Yan'an gas pipeline concession?")).last(
        "sendMessage"
    )
    text = parse_html(sent.text or "")
    assert "30-year" in text and "Yan'an Baota-Yanchuan Natural Gas Branch Pipeline" in text
    assert "Which project" not in text


async def test_a_fact_the_record_lacks_is_said_to_be_not_stated(bot: BotHarness) -> None:
    bot.user(2103, language_code="zh")
    sent = (await bot.send(2103, "貴安數據中心二期什麼時候開工")).last("sendMessage")
    text = parse_html(sent.text or "")
    assert "資料沒有寫明" in text and "0851-5550184" in text  # traditional, with the contact
    assert "2023" not in text and "2024" not in text


async def test_an_unknown_project_gets_cards_of_related_projects_not_a_figure(
    bot: BotHarness,
) -> None:
    bot.user(2104, language_code="zh")
    sent = (await bot.send(2104, "贝尔油库扩建项目需要多少民间资本?")).last("sendMessage")
    text = parse_html(sent.text or "")
    assert "拟引入民间资本" not in text
