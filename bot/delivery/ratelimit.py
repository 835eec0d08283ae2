"""Outbound rate limiting that can be proven: every message the bot sends passes one limiter.

`SendLimiter` grants send slots: at most `max_per_window` in any `window` seconds (the hard
bound), spaced 1/`rate` apart on an ideal timeline (a grant that woke a little late does not
push the following ones back, so the sustained rate holds on a busy event loop), nothing while
paused by flood control (429), and for bulk sends (broadcast digests) at least
`chat_interval` seconds between messages to one chat. Replies to
users ("urgent") go before waiting bulk sends. `TelegramRateLimiter` plugs it into
python-telegram-bot (ApplicationBuilder.rate_limiter), so handlers' replies and the broadcast
share one budget.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

_log = logging.getLogger(__name__)

# Telegram's documented limits are 30 messages/s overall and about 1/s per chat; we keep a margin.
MAX_PER_SECOND = 24  # at the client; network jitter can add one at the server
RATE = 24.0
CHAT_INTERVAL = 1.0
# Bot API methods that put or change a message in a chat: these count against the budget.
_COUNTED_PREFIXES = ("send", "edit", "copy", "forward", "stopPoll")
_NOT_COUNTED = frozenset({"sendChatAction"})
MAX_URGENT_RETRY_AFTER = 30.0


def counted(endpoint: str) -> bool:
    """True if a Bot API method sends or edits a message (and so counts against the limit)."""
    return endpoint.startswith(_COUNTED_PREFIXES) and endpoint not in _NOT_COUNTED


def retry_after_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after in seconds, whether PTB gives an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class SendLimiter:
    """Grants send slots under a global sliding window, even spacing and a per-chat interval."""

    def __init__(
        self,
        *,
        max_per_window: int = MAX_PER_SECOND,
        window: float = 1.0,
        rate: float = RATE,
        chat_interval: float = CHAT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_per_window = max_per_window
        self.window = window
        self.interval = 1.0 / rate
        self.chat_interval = chat_interval
        self._clock = clock
        self._sleep = sleep
        self._grants: deque[float] = deque()
        self._next = -math.inf  # the theoretical time of the next slot (GCRA)
        self.tolerance = self.interval / 2  # event-loop lateness forgiven, so it does not add up
        self._paused_until = -math.inf
        self._chat_next: dict[int, float] = {}
        self._urgent_waiting = 0
        self._lock = asyncio.Lock()
        self._bulk_gate = asyncio.Lock()
        self.granted = 0
        self._sent: deque[float] = deque()  # when requests actually left (see dispatch)
        self._chat_sent: dict[int, float] = {}
        self.busiest = 0  # the most requests that left within any `window` so far

    def pause(self, seconds: float) -> None:
        """Flood control: grant nothing for `seconds` from now."""
        until = self._clock() + max(0.0, seconds)
        if until > self._paused_until:
            self._paused_until = until
            _log.warning("flood control: sending paused for %.1f s", seconds)

    @property
    def paused_for(self) -> float:
        """Seconds left in the current flood-control pause (0 if none)."""
        return max(0.0, self._paused_until - self._clock())

    def _delay(self, now: float) -> float:
        """How long to wait before a slot may be granted at `now`."""
        while self._grants and self._grants[0] <= now - self.window:
            self._grants.popleft()
        delay = max(self._next - now, self._paused_until - now)
        if len(self._grants) >= self.max_per_window:
            delay = max(delay, self._grants[0] + self.window - now)
        return delay

    def _note_chat(self, chat_id: int | None, now: float) -> None:
        if chat_id is None:
            return
        self._chat_next[chat_id] = max(
            self._chat_next.get(chat_id, -math.inf), now + self.chat_interval
        )
        if len(self._chat_next) > 50_000:  # forget chats whose interval has long passed
            stale = [c for c, t in self._chat_next.items() if t < now]
            for c in stale:
                del self._chat_next[c]

    def _chat_wait(self, chat_id: int | None, now: float) -> float:
        if chat_id is None:
            return 0.0
        return self._chat_next.get(chat_id, -math.inf) - now

    async def acquire(self, *, bulk: bool = False, chat_id: int | None = None) -> float:
        """Wait for a slot and take it; returns the monotonic time it was granted."""
        if not bulk:
            self._urgent_waiting += 1
            try:
                granted = await self._take(None, chat_id)
            finally:
                self._urgent_waiting -= 1
            assert granted is not None
            return granted
        while True:  # bulk: wait for the chat, then queue one at a time behind any replies
            wait = self._chat_wait(chat_id, self._clock())
            if wait > 0:
                await self._sleep(wait)
                continue
            async with self._bulk_gate:
                while self._urgent_waiting:
                    await self._sleep(self.interval / 4)
                granted = await self._take(chat_id, chat_id)
            if granted is not None:
                return granted

    async def _take(self, wait_chat: int | None, note_chat: int | None) -> float | None:
        """Take the next global slot; None if `wait_chat` got a message meanwhile (retry)."""
        async with self._lock:
            while True:
                now = self._clock()
                delay = self._delay(now)
                if delay <= 0:
                    break
                await self._sleep(delay)
            if self._chat_wait(wait_chat, now) > 0:
                return None
            self._grants.append(now)
            self._next = max(self._next, now - self.tolerance) + self.interval
            self._note_chat(note_chat, now)
            self.granted += 1
            return now

    async def dispatch(self, chat_id: int | None = None) -> None:
        """Right before a request leaves: the hard cap again, on the actual send times.

        Slots are granted a little ahead (the sender commits a row between its slot and its
        request); if something stalled in between, requests granted apart could leave together.
        This gate keeps any `window` at `max_per_window` sends and one chat's messages
        `chat_interval` apart by the times they really leave. It rarely waits.
        """
        while True:
            now = self._clock()
            while self._sent and self._sent[0] <= now - self.window:
                self._sent.popleft()
            wait = 0.0
            if len(self._sent) >= self.max_per_window:
                wait = self._sent[0] + self.window - now
            if chat_id is not None and chat_id in self._chat_sent:
                wait = max(wait, self._chat_sent[chat_id] + self.chat_interval - now)
            if wait <= 0:
                break
            await self._sleep(wait)
        self._sent.append(now)
        self.busiest = max(self.busiest, len(self._sent))
        if chat_id is not None:
            self._chat_sent[chat_id] = now
            if len(self._chat_sent) > 50_000:
                old = [c for c, at in self._chat_sent.items() if at < now - self.chat_interval]
                for c in old:
                    del self._chat_sent[c]


def _chat_of(data: dict[str, Any]) -> int | None:
    chat = data.get("chat_id")
    return chat if isinstance(chat, int) else None


class TelegramRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """python-telegram-bot's hook: every counted request takes a slot from one SendLimiter.

    rate_limit_args: {"bulk": True} for broadcast sends (lower priority, per-chat interval);
    {"preacquired": True} when the caller already holds a slot (the broadcast sender takes
    its slot before marking a row "sending", to keep the crash window small). Every counted
    request then passes `dispatch`, the hard cap on the times requests really leave.
    """

    def __init__(self, limiter: SendLimiter | None = None) -> None:
        self.limiter = limiter or SendLimiter()

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Take a slot (unless pre-acquired), call, and pause everything on a 429."""
        options = rate_limit_args or {}
        bulk = bool(options.get("bulk"))
        is_counted = counted(endpoint)
        chat = _chat_of(data)
        if is_counted and not options.get("preacquired"):
            await self.limiter.acquire(bulk=bulk, chat_id=chat)
        if is_counted:
            await self.limiter.dispatch(chat if bulk else None)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            self.limiter.pause(seconds)
            if bulk or options.get("preacquired") or seconds > MAX_URGENT_RETRY_AFTER:
                raise  # the broadcast sender records and reschedules it
            _log.warning("%s hit flood control; retrying once in %.1f s", endpoint, seconds)
            if is_counted:
                await self.limiter.acquire(chat_id=chat)
                await self.limiter.dispatch()
            else:
                await asyncio.sleep(seconds)
            return await callback(*args, **kwargs)
