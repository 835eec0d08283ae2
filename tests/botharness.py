"""Handler tests without a network: the real Application, updates fed to process_update, every
Bot API call recorded by an in-memory API that answers like Telegram (bot.local.api).

Any exception in a handler fails the test (an extra error handler re-raises it after the update).

    async with BotHarness(settings, services) as bot:
        bot.user(42, language_code="zh")
        calls = await bot.send(42, "光伏")
        assert calls.last("sendMessage").text.startswith(...)
        calls = await bot.press(42, "m:...")      # presses the button with this data
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.handlers.common import UserRef
from bot.handlers.investor.language import store_language
from bot.local.api import Call, LocalBotAPI
from bot.local.request import LocalRequest
from bot.services import Services
from bot.settings import Settings


class HandlerFailed(AssertionError):
    """A handler raised while processing an update."""


class Calls(list[Call]):
    """The Bot API calls one update caused."""

    def of(self, method: str) -> list[Call]:
        """Calls of one method, in order."""
        return [c for c in self if c.method == method]

    def last(self, method: str) -> Call:
        """The last call of `method` (AssertionError if there is none)."""
        found = self.of(method)
        assert found, f"no {method} call; calls were {[(c.method, c.text) for c in self]}"
        return found[-1]

    def texts(self, method: str = "sendMessage") -> list[str]:
        """The texts of every call of `method`."""
        return [c.text or "" for c in self.of(method)]

    @property
    def methods(self) -> list[str]:
        return [c.method for c in self]


class BotHarness:
    """One application over a LocalBotAPI; users act through send / press / inline."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        *,
        username: str = "tuijie_test_bot",
        strict_api: bool = True,
    ) -> None:
        self.api = LocalBotAPI(username=username)
        self.settings = settings
        self.services = services
        self.strict_api = strict_api  # fail when the bot made a call Telegram would refuse
        self.errors: list[BaseException] = []
        self.app: Application = build_application(
            settings,
            services=services,
            request=LocalRequest(self.api),
            get_updates_request=LocalRequest(self.api),
        )
        self.app.add_error_handler(self._record_error)

    async def _record_error(self, update: object, context: Any) -> None:
        self.errors.append(context.error)

    async def __aenter__(self) -> BotHarness:
        await self.app.initialize()
        if self.app.post_init is not None:
            await self.app.post_init(self.app)
        await self.app.start()  # the JobQueue runs (conversation timeouts); updates come from us
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.app.stop()
        if self.app.post_shutdown is not None:
            await self.app.post_shutdown(self.app)
        await self.app.shutdown()

    def user(self, user_id: int, *, chosen: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """Make a user known (first_name, username, language_code); `chosen`: their /lang choice.

        Without a choice a message is answered in the language it is written in; tests about
        other things whose users read English while typing Chinese words say chosen="en".
        """
        user = self.api.add_user(user_id, **kwargs)
        if chosen is not None:
            ref = UserRef(
                user_id, user_id, kwargs.get("username"), None, kwargs.get("language_code")
            )
            store_language(self.services, ref, chosen)
        return user

    async def process(self, update: dict[str, Any]) -> Calls:
        """Feed one update through the application; the calls it caused."""
        start = len(self.api.calls)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        calls = Calls(self.api.calls[start:])
        if self.errors:
            error = self.errors[0]
            self.errors.clear()
            raise HandlerFailed(f"handler raised {error!r}") from error
        if self.strict_api:
            refused = [(c.method, c.error) for c in calls if c.error]
            assert not refused, f"Telegram would refuse: {refused}"
        return calls

    async def send(self, user_id: int, text: str) -> Calls:
        """The user sends `text`."""
        return await self.process(self.api.user_message(user_id, text))

    async def send_document(
        self,
        user_id: int,
        file_name: str,
        content: bytes,
        *,
        caption: str | None = None,
        size_known: bool = True,
    ) -> Calls:
        """The user uploads a file (optionally with a caption; `size_known=False`: Telegram
        reports no size)."""
        return await self.process(
            self.api.user_document(
                user_id, file_name, content, caption=caption, size_known=size_known
            )
        )

    def find_button(self, user_id: int, data: str) -> int:
        """The id of the newest bot message in the user's chat with a button `data`."""
        for (chat_id, message_id), message in sorted(self.api.messages.items(), reverse=True):
            if chat_id != user_id:
                continue
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                if any(b.get("callback_data") == data for b in row):
                    return message_id
        raise LookupError(f"no message in chat {user_id} has a button with data {data!r}")

    async def press(self, user_id: int, data: str, *, message_id: int | None = None) -> Calls:
        """The user presses the button with callback `data` (under the newest message having it)."""
        message_id = message_id or self.find_button(user_id, data)
        return await self.process(self.api.callback(user_id, message_id, data))

    async def choose_language(self, user_id: int, lang: str) -> Calls:
        """The user picks a language with /lang (then every reply is in it)."""
        await self.send(user_id, "/lang")
        return await self.press(user_id, f"lang:{lang}")

    async def inline(self, user_id: int, query: str, offset: str = "") -> Calls:
        """The user types `@bot query`."""
        return await self.process(self.api.inline_query(user_id, query, offset))

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """A message as Telegram now holds it (after edits)."""
        return self.api.messages[(chat_id, message_id)]

    def chat(self, chat_id: int) -> Iterator[dict[str, Any]]:
        """The messages of a chat, oldest first."""
        for (cid, _), message in sorted(self.api.messages.items()):
            if cid == chat_id:
                yield message
