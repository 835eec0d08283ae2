"""`tuijie chat`: the real Application in a terminal, answered by an in-memory Bot API.

Each typed line becomes an Update fed to application.process_update. Replies print with their
buttons as numbered choices; typing a number presses the button (a callback_query update).
`@words` runs an inline query. Ctrl-D (EOF) or Ctrl-C leaves.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from telegram import Update

from bot.local.api import Call, LocalBotAPI
from bot.local.request import LocalRequest
from bot.settings import Settings

_TAG = re.compile(r"<[^>]+>")
HELP = (
    "Type a message for the bot (e.g. 新能源, /profile, /help). A number presses a button, "
    "@words runs an inline query, Ctrl-D leaves."
)


def to_terminal(text: str, color: bool) -> str:
    """Telegram HTML as terminal text (bold/italic as ANSI when the terminal has colour)."""
    if color:
        text = re.sub(r"<b>(.*?)</b>", "\033[1m\\1\033[0m", text, flags=re.S)
        text = re.sub(r"<i>(.*?)</i>", "\033[3m\\1\033[0m", text, flags=re.S)
    return html.unescape(_TAG.sub("", text))


@dataclass
class Choice:
    message_id: int | None
    button: dict[str, Any]


@dataclass
class Printer:
    """Prints the bot's calls and remembers the buttons as numbered choices."""

    user_id: int
    color: bool = False
    choices: list[Choice] = field(default_factory=list)
    fresh: bool = True
    out: Any = sys.stdout

    def show(self, call: Call) -> None:
        """Print one Bot API call the way a chat window would show it."""
        if call.error is not None:
            print(f"  [bot error: {call.method}: {call.error}]", file=self.out)
            return
        if call.method in ("sendMessage", "editMessageText"):
            mark = "(edited) " if call.method == "editMessageText" else ""
            print(f"\nbot> {mark}{to_terminal(call.text or '', self.color)}", file=self.out)
            self._buttons(call, call.result.get("message_id"))
        elif call.method == "editMessageReplyMarkup":
            self._buttons(call, call.result.get("message_id"))
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            print(f"  [{call.params['text']}]", file=self.out)
        elif call.method == "answerInlineQuery":
            self._inline(call)
        elif call.method == "sendDocument":
            print(f"\nbot> [file: {call.result['document'].get('file_name')}]", file=self.out)
        self.out.flush()

    def _start_choices(self) -> None:
        if self.fresh:
            self.choices = []
            self.fresh = False

    def _buttons(self, call: Call, message_id: int | None) -> None:
        if not call.keyboard:
            return
        self._start_choices()
        for row in call.keyboard:
            labels = []
            for button in row:
                self.choices.append(Choice(message_id, button))
                labels.append(f"[{len(self.choices)}] {button['text']}")
            print("     " + "   ".join(labels), file=self.out)

    def _inline(self, call: Call) -> None:
        results = call.params.get("results") or []
        if not results:
            print("  (no inline results)", file=self.out)
        self._start_choices()
        for result in results:
            content = result.get("input_message_content") or {}
            self.choices.append(Choice(None, {"text": result.get("title"), "inline": content}))
            print(f"     [{len(self.choices)}] {result.get('title')}", file=self.out)
        if call.params.get("next_offset"):
            print(f"     (more: @offset={call.params['next_offset']} ...)", file=self.out)


async def _read(prompt: str) -> str | None:
    def read() -> str | None:
        try:
            return input(prompt)
        except EOFError:
            return None

    return await asyncio.to_thread(read)


def _update_for(
    api: LocalBotAPI, printer: Printer, user_id: int, line: str
) -> dict[str, Any] | None:
    """The update a typed line stands for (None when the line was handled locally)."""
    if line.isdigit() and 1 <= int(line) <= len(printer.choices):
        choice = printer.choices[int(line) - 1]
        button = choice.button
        if "callback_data" in button and choice.message_id is not None:
            return api.callback(user_id, choice.message_id, button["callback_data"])
        if "url" in button:
            print(f"  (link: {button['url']})", file=printer.out)
            return None
        if "inline" in button:
            text = button["inline"].get("message_text", "")
            print(f"\n(you shared) {to_terminal(text, printer.color)}", file=printer.out)
            return None
        if "switch_inline_query" in button:
            return api.inline_query(user_id, button["switch_inline_query"])
        return None
    if line.startswith("@"):
        words = line[1:].split(" ", 1)
        query = words[1] if len(words) > 1 and words[0] == api.username else line[1:]
        offset = ""
        match = re.match(r"offset=(\S+)\s*(.*)", query)
        if match:
            offset, query = match.group(1), match.group(2)
        return api.inline_query(user_id, query, offset)
    return api.user_message(user_id, line)


async def _chat(settings: Settings, user_id: int, language_code: str) -> int:
    from bot.app import build_application

    api = LocalBotAPI()
    api.add_user(user_id, first_name="You", username="terminal_user", language_code=language_code)
    printer = Printer(user_id, color=sys.stdout.isatty())
    application = build_application(
        settings,
        request=LocalRequest(api, on_call=printer.show),
        get_updates_request=LocalRequest(api),
    )
    print("Loading the catalog and the search index (the first time takes a while)...", flush=True)
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()  # runs the JobQueue; updates are fed in below
        print(HELP, flush=True)
        while True:
            line = await _read("\nyou> ")
            if line is None:
                print()
                break
            line = line.strip()
            if not line:
                continue
            update = _update_for(api, printer, user_id, line)
            if update is None:
                continue
            printer.fresh = True
            await application.process_update(Update.de_json(update, application.bot))
    finally:
        if application.running:
            await application.stop()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        await application.shutdown()
    return 0


def run_chat(settings: Settings, *, user_id: int = 1, language_code: str | None = None) -> int:
    """Run the terminal chat until EOF; returns the exit status."""
    logging.getLogger().setLevel(logging.WARNING)
    import locale

    code = language_code or (locale.getlocale()[0] or "en")[:2].lower()
    try:
        return asyncio.run(_chat(settings, user_id, "zh" if code == "zh" else "en"))
    except KeyboardInterrupt:
        print()
        return 0
