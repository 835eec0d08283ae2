"""A clock for tests of timing logic that the machine's load cannot disturb: time moves only
when every task is waiting on it, straight to the next wake-up.

    clock = VirtualClock()
    limiter = SendLimiter(clock=clock, sleep=clock.sleep)
    results = await clock.run(task_a(), task_b())
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable
from typing import Any

SETTLE_STEPS = 50  # event-loop turns that let every runnable task reach its next wait


class VirtualClock:
    """`clock()` reads the virtual time; `await clock.sleep(s)` waits `s` virtual seconds."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, self._seq, future))
        self._seq += 1
        await future

    async def _settle(self) -> None:
        for _ in range(SETTLE_STEPS):
            await asyncio.sleep(0)

    async def run(self, *awaitables: Awaitable[Any]) -> list[Any]:
        """Run the awaitables to their end, moving time on whenever all of them wait."""
        tasks = [asyncio.ensure_future(a) for a in awaitables]
        while True:
            await self._settle()
            if all(task.done() for task in tasks):
                return [task.result() for task in tasks]
            if not self._sleepers:
                for task in tasks:
                    task.cancel()
                raise AssertionError("deadlock: tasks wait on something other than the clock")
            at, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, at)
            if not future.done():
                future.set_result(None)
