"""Two `tuijie run` polling Telegram with one token: say so, and let the later one leave.

Telegram serves one getUpdates at a time per bot: a new one ends the one waiting with 409
"Conflict: terminated by other getUpdates request", so two pollers take turns, each seeing
conflicts, and each getting only some of the updates (a conversation could jump between them).
What an operator expects:

- Both log one clear sentence when a conflict starts (not a traceback per retry).
- The instance that came second exits with status 4 and one sentence on stderr once the conflict
  has lasted `grace` seconds (TUIJIE_POLL_CONFLICT_SECONDS): a second `tuijie run` by mistake
  goes away by itself, while an overlapping restart (the old process stops polling within a few
  seconds) goes through. It came second if none of its getUpdates had been answered when the
  conflict began: the first poll of a newcomer is ended by the running instance's next poll.
- The instance that was running first keeps serving: it was not the mistake.

Sending digests is decided separately, by the outbox lease (bot/delivery/outbox_lease.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram.error import Conflict
from telegram.request import HTTPXRequest

_log = logging.getLogger(__name__)
EXIT_CONFLICT = 4
STREAK_GAP = 90.0  # python-telegram-bot retries at most 30 s apart; a longer quiet ends a streak
RUNNING_TOO = (
    "tuijie: Telegram answered 409 Conflict: another instance of this bot is polling with the "
    "same token, and each of them gets only some of the updates; stop one of them (a "
    "`tuijie run` started while another one runs exits by itself after "
    "TUIJIE_POLL_CONFLICT_SECONDS)."
)
GIVING_UP = (
    "tuijie: another instance of this bot is already running with the same token (Telegram "
    "answered 409 Conflict for {seconds:.0f} s): this one exits; stop the other first, or give "
    "this one another token."
)


def _nothing() -> None:
    """Until attach(): nothing to stop."""


@dataclass
class ConflictWatch:
    """Follows the 409 Conflicts of `tuijie run`'s polling and decides when to leave."""

    grace: float
    stop: Callable[[], None] = _nothing  # Application.stop_running, set by attach()
    clock: Callable[[], float] = time.monotonic
    answered: bool = False  # one of our getUpdates was answered (200) before
    came_second: bool = False  # the current streak began before any of our polls was answered
    first: float | None = None  # when the current streak of conflicts began
    last: float | None = None
    gave_up: bool = False

    @property
    def sentence(self) -> str:
        """What `tuijie run` prints on stderr when it gave up."""
        return GIVING_UP.format(seconds=(self.last or 0) - (self.first or 0))

    def polled(self, status: int) -> None:
        """A getUpdates was answered with this HTTP status."""
        if status == 200:
            self.answered = True

    def on_error(self, exc: BaseException | None) -> None:
        """Note one failed getUpdates: a conflict starts or continues a streak."""
        if not isinstance(exc, Conflict):
            return
        now = self.clock()
        if self.first is None or self.last is None or now - self.last > STREAK_GAP:
            self.first, self.came_second = now, not self.answered
            _log.warning(RUNNING_TOO)
        self.last = now
        if self.came_second and now - self.first >= self.grace and not self.gave_up:
            self.gave_up = True
            _log.error(self.sentence)
            self.stop()

    async def error_handler(self, update: object, context: Any) -> None:
        """The application's error handler for polling conflicts (run_polling hands polling
        errors to the error handlers with no update); bot/app.py's on_error leaves them to it."""
        if update is None:
            self.on_error(context.error)

    def request(self) -> PollingRequest:
        """The getUpdates request object to build the application with."""
        return PollingRequest(self.polled)

    def attach(self, application: Any) -> None:
        """Follow this application's polling errors; stop it when giving up."""
        self.stop = application.stop_running
        application.add_error_handler(self.error_handler)


class PollingRequest(HTTPXRequest):
    """python-telegram-bot's default getUpdates request (one connection), reporting each
    answer's status: whether this process had been polling before a conflict began."""

    def __init__(self, on_status: Callable[[int], None]) -> None:
        super().__init__(connection_pool_size=1)
        self.on_status = on_status

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Make the request; report its status."""
        status, body = await super().do_request(*args, **kwargs)
        self.on_status(status)
        return status, body
