"""/start, /help, the command menu and the error handler, through the real Application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botharness import BotHarness, HandlerFailed
from botsetup import ADMIN_ID, bare_services
from telegram.ext import CommandHandler, ConversationHandler

from bot.app import MENU_COMMANDS


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotHarness]:
    svc = bare_services(tmp_path)
    async with BotHarness(svc.settings, svc) as harness:
        yield harness
    svc.db.dispose()


async def test_post_init_sets_the_command_menu_in_both_languages(bot: BotHarness) -> None:
    en = bot.api.commands[("default", "")]
    zh = bot.api.commands[("default", "zh")]
    assert [c["command"] for c in en] == MENU_COMMANDS
    assert [c["command"] for c in zh] == MENU_COMMANDS
    assert dict((c["command"], c["description"]) for c in zh)["forget"] == "删除您的数据"
    assert dict((c["command"], c["description"]) for c in en)["forget"] == "Delete your data"


def investor_commands(bot: BotHarness) -> set[str]:
    """Every command the application answers for anyone (admin-only ones left out)."""
    found: set[str] = set()
    handlers = [h for group in bot.app.handlers.values() for h in group]
    while handlers:
        handler = handlers.pop()
        if isinstance(handler, ConversationHandler):
            handlers += handler.entry_points + handler.fallbacks
            handlers += [h for state in handler.states.values() for h in state]
        elif isinstance(handler, CommandHandler) and not getattr(
            handler.callback, "__wrapped_admin__", False
        ):
            found |= set(handler.commands)
    return found


async def test_every_investor_command_is_in_the_menu_with_a_description(bot: BotHarness) -> None:
    commands = investor_commands(bot) - {"cancel"}  # /cancel is mentioned where it applies
    assert {"subscribe", "unsubscribe", "subscriptions", "profile", "help"} <= commands
    for lang, code in (("en", ""), ("zh", "zh")):
        menu = {c["command"]: c["description"] for c in bot.api.commands[("default", code)]}
        assert set(menu) == commands, lang
        assert all(d and not d.startswith("cmd.") for d in menu.values()), menu
    zh = {c["command"]: c["description"] for c in bot.api.commands[("default", "zh")]}
    assert "订阅" in zh["subscribe"] and "退订" in zh["unsubscribe"]


async def test_start_greets_in_the_users_language_and_escapes_their_name(bot: BotHarness) -> None:
    bot.user(11, first_name="<Li & Co>", language_code="zh-hans")
    calls = await bot.send(11, "/start")
    text = calls.last("sendMessage").text or ""
    assert "欢迎" in text
    assert "&lt;Li &amp; Co&gt;" in text
    assert calls.last("sendMessage").params["parse_mode"] == "HTML"

    bot.user(12, first_name="Ann", language_code="en-GB")
    calls = await bot.send(12, "/start")
    assert "Welcome" in (calls.last("sendMessage").text or "")


async def test_help_lists_the_commands_and_the_inline_usage(bot: BotHarness) -> None:
    bot.user(13, language_code="en", chosen="en")
    text = (await bot.send(13, "/help")).last("sendMessage").text or ""
    for command in ("/profile", "/match", "/interests", "/lang", "/forget", "/search",
                    "/subscribe", "/subscriptions", "/unsubscribe"):  # fmt: skip
        assert command in text
    assert "@tuijie_test_bot" in text


@pytest.mark.parametrize(("code", "heading"), [("en", "Admin commands"), ("zh", "管理员命令")])
async def test_help_for_an_admin_adds_the_admin_commands(
    bot: BotHarness, code: str, heading: str
) -> None:
    bot.user(ADMIN_ID, language_code=code)
    bot.user(15, language_code=code)
    admin_help = (await bot.send(ADMIN_ID, "/help")).last("sendMessage").text or ""
    assert heading in admin_help
    for command in ("/add", "/edit", "/withdraw", "/restore", "/import", "/export",
                    "/publish", "/audit", "/stats"):  # fmt: skip
        assert command in admin_help, command
    investor_help = (await bot.send(15, "/help")).last("sendMessage").text or ""
    assert heading not in investor_help and "/withdraw" not in investor_help
    assert admin_help.startswith(investor_help)


async def test_a_failing_handler_is_logged_and_the_user_gets_a_polite_message(
    bot: BotHarness,
) -> None:
    # bare services have no search engine: a search fails inside the handler
    bot.user(14, language_code="en", chosen="en")
    with pytest.raises(HandlerFailed):
        await bot.send(14, "光伏")
    apology = [c for c in bot.api.calls if c.method == "sendMessage" and c.chat_id == 14]
    assert [c.text for c in apology] == [
        "Sorry, something went wrong on my side. Please try again in a moment."
    ]
