"""Before `tuijie run` polls: can Telegram be reached, and does it accept the token?

Every failure becomes one sentence (what failed, what to check) that never holds the token:
python-telegram-bot's own errors quote the token, and its start-up logs a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError, TimedOut

from bot.settings import Settings

CHECK_TIMEOUT = 20.0  # seconds for the getMe call


def host_of(url: str) -> str:
    """The scheme and host of a URL (what is safe to show)."""
    parts = url.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 else url


def failure_sentence(exc: BaseException, settings: Settings) -> str:
    """One sentence for a failure to reach Telegram or to be accepted by it."""
    host = host_of(settings.telegram_api_url)
    reason = _redacted(str(exc) or type(exc).__name__, settings)
    if isinstance(exc, InvalidToken):
        if "not found" in reason.lower():
            return (
                f"tuijie: the Bot API at {host} answered 404 Not Found: check "
                "TUIJIE_TELEGRAM_API_URL (leave it unset for https://api.telegram.org/bot) "
                "and TELEGRAM_BOT_TOKEN."
            )
        return (
            f"tuijie: the Bot API at {host} rejected the bot token ({reason}): check "
            "TELEGRAM_BOT_TOKEN (copy it again from @BotFather; it may have been revoked)."
        )
    if isinstance(exc, Conflict):
        return (
            "tuijie: another instance of this bot is already running with the same token "
            "(Telegram answered 409 Conflict): stop it first, or give this one another token."
        )
    if isinstance(exc, TimedOut):
        return (
            f"tuijie: cannot reach the Telegram Bot API at {host} (no answer in time): check "
            "the network, a proxy and TUIJIE_TELEGRAM_API_URL."
        )
    if isinstance(exc, NetworkError):
        return (
            f"tuijie: cannot reach the Telegram Bot API at {host} ({reason}): check the "
            "network and TUIJIE_TELEGRAM_API_URL."
        )
    return (
        f"tuijie: the Telegram Bot API at {host} answered with an error ({reason}): check "
        "TUIJIE_TELEGRAM_API_URL and TELEGRAM_BOT_TOKEN."
    )


def _redacted(text: str, settings: Settings) -> str:
    token = settings.telegram_bot_token
    if token is not None and token.get_secret_value():
        text = text.replace(token.get_secret_value(), "<token>")
    return text


async def _get_me(settings: Settings) -> None:
    assert settings.telegram_bot_token is not None
    bot = Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_url)
    try:
        await bot.get_me(read_timeout=CHECK_TIMEOUT, connect_timeout=CHECK_TIMEOUT)
    finally:
        with contextlib.suppress(TelegramError):
            await bot.shutdown()


def check_telegram(settings: Settings) -> str | None:
    """None when getMe succeeds; else the sentence saying what failed and what to check."""
    library = logging.getLogger("telegram")  # its tracebacks would say the same, less clearly
    level = library.level
    library.setLevel(logging.CRITICAL)
    try:
        asyncio.run(_get_me(settings))
    except TelegramError as exc:
        return failure_sentence(exc, settings)
    except OSError as exc:
        return failure_sentence(NetworkError(exc.strerror or type(exc).__name__), settings)
    finally:
        library.setLevel(level)
    return None
