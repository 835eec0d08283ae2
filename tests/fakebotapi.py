"""A faithful fake Telegram Bot API server (aiohttp, real HTTP on 127.0.0.1) for tests/benchmarks.

It answers like Telegram (the in-memory bot.local.api.LocalBotAPI does the methods), serves
getUpdates long polling with timeout and offset, file downloads under /file/bot<token>/, records
every call, and lets a test act as users: send messages, press buttons, type inline queries,
upload documents, then wait for the bot's answers. Faults (429 / 500 / 403) can be injected.

    async with FakeBotAPI() as server:
        env["TUIJIE_TELEGRAM_API_URL"] = server.base_url
        server.user(42, language_code="zh")
        since = server.mark()
        await server.send_text(42, "光伏")
        reply = await server.wait_for("sendMessage", chat_id=42, since=since)
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.local.api import BotAPIError, Call, Fault, LocalBotAPI

TOKEN = "123:fake-token"
STR_KEYS = {
    "text", "caption", "query", "next_offset", "parse_mode", "callback_query_id",
    "inline_query_id", "file_id", "description", "short_description", "language_code", "url",
    "switch_pm_text", "switch_pm_parameter", "name", "action", "business_connection_id",
}  # fmt: skip


def _coerce(key: str, value: str) -> Any:
    """A form field as python-telegram-bot encoded it (JSON for non-strings)."""
    if key in STR_KEYS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeBotAPI:
    """The server; one bot (token), any number of users."""

    def __init__(self, token: str = TOKEN, *, username: str = "tuijie_test_bot") -> None:
        self.token = token
        self.api = LocalBotAPI(username=username)
        self.updates: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.get_updates_calls = 0

    # ---- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> FakeBotAPI:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        """Stop listening (pending long polls are cut)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What TUIJIE_TELEGRAM_API_URL should be."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ---- HTTP --------------------------------------------------------------------------------
    async def _params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, tuple[str | None, bytes, str | None]]]:
        params: dict[str, Any] = {}
        files: dict[str, tuple[str | None, bytes, str | None]] = {}
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
            return (body if isinstance(body, dict) else {}), files
        if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read(), value.content_type)
                else:
                    params[key] = _coerce(key, str(value))
        params.update({k: _coerce(k, v) for k, v in request.query.items()})
        return params, files

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params, files = await self._params(request)
        if method.lower() == "getupdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        status, body = self.api.call(method, params, files)
        async with self._changed:
            self._changed.notify_all()
        return web.json_response(body, status=status)

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        try:
            return web.Response(body=self.api.download(request.match_info["path"]))
        except BotAPIError:
            return web.Response(status=404)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.get_updates_calls += 1
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not self.updates and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        return self.updates[:limit]

    async def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for the bot's next getUpdates."""
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return update

    # ---- acting as users ---------------------------------------------------------------------
    def user(self, user_id: int, **kwargs: Any) -> dict[str, Any]:
        """Make a user known (first_name, username, language_code)."""
        return self.api.add_user(user_id, **kwargs)

    async def send_text(self, user_id: int, text: str) -> dict[str, Any]:
        """The user sends `text` to the bot."""
        return await self.push(self.api.user_message(user_id, text))

    async def press(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        """The user presses the button with callback `data` under message `message_id`."""
        return await self.push(self.api.callback(user_id, message_id, data))

    async def inline(self, user_id: int, query: str, offset: str = "") -> dict[str, Any]:
        """The user types `@bot query` (optionally asking for the page at `offset`)."""
        return await self.push(self.api.inline_query(user_id, query, offset))

    async def send_document(
        self, user_id: int, file_name: str, content: bytes, *, caption: str | None = None
    ) -> dict[str, Any]:
        """The user uploads a file (optionally with a caption such as /import)."""
        return await self.push(self.api.user_document(user_id, file_name, content, caption=caption))

    def add_fault(self, fault: Fault) -> None:
        """Answer matching calls with an error (429 / 500 / 403) `fault.count` times."""
        self.api.faults.append(fault)

    # ---- reading what the bot did ------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        return self.api.calls

    def mark(self) -> int:
        """A position in the call log; pass it as `since` to wait for what comes after."""
        return len(self.api.calls)

    def find(
        self,
        method: str | None = None,
        *,
        chat_id: int | None = None,
        since: int = 0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Successful calls after `since` matching method, chat and predicate."""
        return [
            c
            for c in self.api.calls[since:]
            if c.error is None
            and (method is None or c.method == method)
            and (chat_id is None or c.chat_id == chat_id)
            and (where is None or where(c))
        ]

    async def wait_for(
        self,
        method: str | None = None,
        *,
        chat_id: int | None = None,
        since: int = 0,
        where: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 20.0,
    ) -> Call:
        """Wait until `count` matching calls happened after `since`; the last of them."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                found = self.find(method, chat_id=chat_id, since=since, where=where)
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    recent = [(c.method, c.chat_id, (c.text or "")[:80], c.error)
                              for c in self.api.calls[since:]]  # fmt: skip
                    raise TimeoutError(f"no {method} to {chat_id} after call {since}; saw {recent}")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    continue


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any half-open window of `window` seconds (rate limits are per second)."""
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best
