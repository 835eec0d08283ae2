"""Per-user flood control: a sliding window of accepted messages, one polite warning, then drops."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum

LIMIT = 5  # messages a user may send ...
WINDOW = 3.0  # ... in this many seconds (admins are exempt: bot.app.throttle_gate)


class Verdict(Enum):
    OK = "ok"
    WARN = "warn"  # over the limit for the first time in this window: say "slow down" once
    DROP = "drop"  # still over the limit: ignore silently


class Throttle:
    """At most `limit` messages per `window` seconds per user (tests pass their own limits)."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"a flood limit needs limit >= 1 and window > 0, not {limit}/{window}")
        self.limit = limit
        self.window = window
        self.clock = clock
        self._accepted: dict[int, deque[float]] = {}
        self._warned: set[int] = set()
        self._checks = 0

    def hit(self, user_id: int) -> Verdict:
        """Count one message from `user_id` and say whether to answer it."""
        now = self.clock()
        self._checks += 1
        if self._checks % 1000 == 0:
            self._forget_idle(now)
        times = self._accepted.setdefault(user_id, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.discard(user_id)
            return Verdict.OK
        if user_id in self._warned:
            return Verdict.DROP
        self._warned.add(user_id)
        return Verdict.WARN

    def _forget_idle(self, now: float) -> None:
        idle = [u for u, times in self._accepted.items() if not times or now - times[-1] > 60]
        for user_id in idle:
            del self._accepted[user_id]
            self._warned.discard(user_id)
