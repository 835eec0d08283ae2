"""A command the bot does not know (/foobar) is answered with a hint to /help, not silence."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler

from bot.handlers.common import Context, lang_of, send
from bot.views.i18n import t
from bot.views.render import clip, esc


def _commands(handlers: list[BaseHandler]) -> set[str]:
    names: set[str] = set()
    for handler in handlers:
        if isinstance(handler, CommandHandler):
            names |= set(handler.commands)
        elif isinstance(handler, ConversationHandler):
            names |= _commands(list(handler.entry_points))
    return names


def known_commands(context: Context) -> set[str]:
    """Every command some handler of the application answers (conversation entries included)."""
    return _commands([h for group in context.application.handlers.values() for h in group])


async def unknown_command(update: Update, context: Context) -> None:
    """/foobar: say it is not a command and point to /help (known ones are left alone)."""
    message = update.message
    if message is None or not message.text:
        return
    name = message.text.split()[0].removeprefix("/").split("@")[0].lower()
    if name in known_commands(context):
        return
    lang = await lang_of(update, context)
    text = t(lang, "command.unknown", command=esc(clip("/" + name, 40)))
    await send(context, message.chat_id, text)
