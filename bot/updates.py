"""Update processing: concurrent across users, in order within one user's conversation.

One slow search never stalls other chats, while one user's updates (a conversation step, a
button press right after a message) are handled in the order they arrived, as
ConversationHandler requires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Up to `max_concurrent_updates` at once; updates of one user one after another."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._arrivals: dict[int, bool] = {}  # running update id -> its user was busy then

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run `coroutine` once no earlier update of the same user is still running."""
        key = _key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None:
            self._arrivals[update_id] = self._users.get(key, 0) > 0
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            if update_id is not None:
                self._arrivals.pop(update_id, None)
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    def arrived_busy(self, update: Update) -> bool | None:
        """Whether `update` came while an earlier update of its user was still being answered
        (None for an update this processor is not running, e.g. fed to process_update)."""
        return self._arrivals.get(update.update_id)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None
