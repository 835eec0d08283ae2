"""Issue 12, items 1-2: a reply is in the language the message is written in (until /lang),
and every label and value of a reply is in that one language."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from botharness import BotHarness
from botsetup import shared_services

from bot.local.api import parse_html
from bot.services import Services
from bot.views.i18n import has_chinese, text_lang


@pytest.fixture
def svc() -> Services:
    return shared_services()


@pytest.fixture
async def bot(svc: Services) -> AsyncIterator[BotHarness]:
    async with BotHarness(svc.settings, svc) as harness:
        yield harness


def test_text_lang_reads_the_script_and_ignores_commands_and_numbers() -> None:
    assert text_lang("有没有半导体相关的项目") == "zh"
    assert text_lang("有沒有半導體相關的項目") == "zh-hant"
    assert text_lang("solar projects in Shanxi") == "en"
    assert text_lang("/search 光伏") == "zh"
    assert text_lang("/start") is None
    assert text_lang("12345") is None
    assert text_lang("/audit DEV-001") is None  # a project code is not English
    assert text_lang("") is None


@pytest.mark.parametrize("code", [None, "en"])
async def test_chinese_question_from_english_telegram_is_answered_in_chinese(
    bot: BotHarness, code: str | None
) -> None:
    bot.user(3101, **({"language_code": code} if code else {}))
    text = parse_html((await bot.send(3101, "有没有半导体相关的项目")).last("sendMessage").text)
    assert "Results" not in text and "Semiconductor" not in text, text
    assert "半导体" in text


async def test_traditional_question_gets_traditional_and_english_gets_english(
    bot: BotHarness,
) -> None:
    bot.user(3102, language_code="zh-hans")
    hant = parse_html((await bot.send(3102, "有沒有光伏項目")).last("sendMessage").text)
    assert "項目" in hant or "結果" in hant, hant
    english = parse_html((await bot.send(3102, "solar power projects")).last("sendMessage").text)
    assert "项目" not in english and "結果" not in english, english


async def test_a_bare_command_follows_telegram_language(bot: BotHarness) -> None:
    bot.user(3103, language_code="zh-hans")
    zh = parse_html((await bot.send(3103, "/help")).last("sendMessage").text)
    bot.user(3104, language_code="en")
    en = parse_html((await bot.send(3104, "/help")).last("sendMessage").text)
    assert zh != en and "search" in en.lower()


async def test_english_reply_names_places_and_values_in_english(bot: BotHarness) -> None:
    bot.user(3105)
    text = parse_html((await bot.send(3105, "joint venture solar projects in Shanxi")).texts()[-1])
    understood = text.splitlines()[0]
    assert "Shanxi" in understood and "joint venture" in understood, understood
    assert not has_chinese(understood), understood


async def test_chinese_reply_names_sectors_and_values_in_chinese(bot: BotHarness) -> None:
    bot.user(3106, language_code="en")
    text = parse_html((await bot.send(3106, "山西 光伏 合资")).texts()[-1])
    understood = text.splitlines()[0]
    assert "山西" in understood and "合资" in understood and "光伏" in understood, understood
    assert not re.search(r"[A-Za-z]{3,}", understood), understood


async def test_a_chosen_language_wins_over_the_message(bot: BotHarness) -> None:
    bot.user(3107)
    await bot.choose_language(3107, "en")
    text = parse_html((await bot.send(3107, "有没有半导体相关的项目")).last("sendMessage").text)
    assert not has_chinese(text.splitlines()[0]), text


async def test_an_unknown_command_gets_a_hint_to_help(bot: BotHarness) -> None:
    bot.user(3108, language_code="en")
    text = parse_html((await bot.send(3108, "/foobar")).last("sendMessage").text)
    assert "/foobar" in text and "/help" in text
    bot.user(3109, language_code="zh-hans")
    zh = parse_html((await bot.send(3109, "/foobar@tuijie_test_bot")).last("sendMessage").text)
    assert "/foobar" in zh and "/help" in zh and "命令" in zh


async def test_known_commands_are_not_called_unknown(bot: BotHarness) -> None:
    bot.user(3110, language_code="en")
    for command in ("/profile", "/help", "/lang", "/cancel", "/subscriptions"):
        texts = (await bot.send(3110, command)).texts()
        assert texts and not any("don't know the command" in t for t in texts), (command, texts)
