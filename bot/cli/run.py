"""`tuijie run` (long polling on Telegram) and `tuijie chat` (the same bot in this terminal)."""

from __future__ import annotations

import argparse
import logging
import sys

from telegram import Update

from bot.settings import Settings

NO_TOKEN = """\
tuijie: no Telegram bot token (TELEGRAM_BOT_TOKEN is not set). To get one, open Telegram, \
start a chat with @BotFather, send /newbot, pick a display name and a username ending in \
"bot", and copy the token it replies with (it looks like 123456789:AAH...). Then either \
export it in your shell (export TELEGRAM_BOT_TOKEN=123456789:AAH...) or put the line \
TELEGRAM_BOT_TOKEN=123456789:AAH... in a file named .env in the directory you start the bot \
from, and run `make run` (or `tuijie run`) again. Keep the token secret: anyone who has it \
controls the bot. To try the bot without a token, run `tuijie chat`."""


class RedactSecret(logging.Filter):
    """Replaces a secret in every log record (message, arguments and traceback)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact, never drop."""
        message = record.getMessage()
        if self.secret in message:
            record.msg = message.replace(self.secret, "<token>")
            record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = text.replace(self.secret, "<token>")
        return True


def redact_logs(secret: str) -> None:
    """Keep `secret` out of every log line written through the root handlers."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecret(secret))
    # httpx logs each request URL, and the URL holds the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Start the bot with long polling; without a token explain how to get one."""
    if settings.telegram_bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        if sys.stdin.isatty() and sys.stdout.isatty():
            print("\nStarting the bot in this terminal instead (tuijie chat).\n", file=sys.stderr)
            return cmd_chat(args, settings)
        return 2
    from telegram.error import TelegramError

    from bot.app import build_application
    from bot.cli.reachability import check_telegram, failure_sentence

    redact_logs(settings.telegram_bot_token.get_secret_value())
    problem = check_telegram(settings)  # before anything logs a traceback quoting the token
    if problem is not None:
        print(problem, file=sys.stderr)
        return 3
    application = build_application(settings)
    logging.getLogger(__name__).info(
        "starting the bot (long polling) against %s", _host(settings.telegram_api_url)
    )
    try:
        application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=10, poll_interval=0.0)
    except TelegramError as exc:  # Telegram went away or refused us while starting
        print(failure_sentence(exc, settings), file=sys.stderr)
        return 3
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Talk to the bot in this terminal: no token, no network."""
    from bot.local.terminal import run_chat

    return run_chat(settings, user_id=getattr(args, "user_id", 1) or 1)


def _host(url: str) -> str:
    """The scheme and host of a URL (what is safe to log)."""
    parts = url.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 else url
