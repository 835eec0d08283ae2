"""The outbox sender: delivers batch digests under Telegram's limits and resumes after a crash.

Only the process holding the outbox lease sends (outbox_lease.py here); another `tuijie run` on
the same database (an overlapping restart, webhook replicas) answers users, stands by and takes
over when that lease is released or expires. The holder's task feeds pending Delivery rows to a
few workers. Each worker takes a send slot from the shared SendLimiter FIRST, then commits the
row "sending" (fenced by the lease, naming this process), then makes the request and commits the
outcome, so the only window where a crash leaves an ambiguous row is the request itself. Rows
left "sending" by a holder whose lease expired become "unknown" when the next holder takes over
and are not resent (at-most-once for that window; see catalog/outbox.py and the README).
Errors: 429 pauses all sends for retry_after, requeues the row (no attempt counted); a timeout
(maybe delivered) makes it "unknown", resent only on an admin's order; 5xx / connection errors
retry with backoff up to max_attempts, then "failed"; 403 "blocked" (unsubscribed); 4xx "failed".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.delivery.digest import Message, digest_for
from bot.delivery.outbox_lease import LeaseKeeper
from bot.delivery.progress import ProgressReporter, Watch, progress_text
from bot.delivery.ratelimit import SendLimiter, TelegramRateLimiter, retry_after_seconds
from bot.views.i18n import normalize_lang
from catalog import outbox
from catalog.db import session_scope
from catalog.investors import get_investor
from catalog.models import Delivery

_log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
__all__ = ["Message", "Sender", "SenderConfig", "Watch", "make_sender", "progress_text"]

# Builds the digest for one row (blocking; run in a thread); None = nothing left to send.
Renderer = Callable[[Delivery], Message | None]


@dataclass
class SenderConfig:
    workers: int = 12
    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    progress_every: float = 5.0
    poll_every: float = 5.0
    stop_timeout: float = 10.0
    lease_seconds: float = 30.0  # the outbox lease lasts this long without a renewal


@dataclass
class Sender:
    """Delivers the outbox. `run()` until `stop()`; `wake()` after new rows were committed."""

    bot: Bot
    db: Engine
    render: Renderer
    limiter: SendLimiter
    via_rate_limiter: bool = False  # the bot's requests pass a TelegramRateLimiter
    config: SenderConfig = field(default_factory=SenderConfig)
    admin_lang: Callable[[int], str] = lambda _user_id: "zh"
    _busy: set[int] = field(default_factory=set)
    _not_before: dict[int, float] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: bool = False
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    lease: LeaseKeeper = field(init=False)
    progress: ProgressReporter = field(init=False)

    def __post_init__(self) -> None:
        self.lease = LeaseKeeper(self.db, self.config.lease_seconds)
        self.progress = ProgressReporter(
            self.bot,
            self.db,
            self.admin_lang,
            self.config.progress_every,
            busiest=lambda: self.limiter.busiest,
        )

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        """Start the sender task: it sends while it holds the outbox lease, else stands by."""
        task = asyncio.create_task(self.run(), name="tuijie-outbox-sender")
        self._tasks.append(task)
        return task

    def wake(self) -> None:
        """New pending rows were committed: look for them now."""
        self._changed.set()

    async def stop(self) -> None:
        """Let in-flight sends finish (bounded), then cancel everything."""
        self._stopping = True
        self._changed.set()
        tasks = [t for t in self._tasks if not t.done()]
        if tasks:
            _done, late = await asyncio.wait(tasks, timeout=self.config.stop_timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def run(self) -> None:
        """Report progress; send while holding the outbox lease, else stand by and retry."""
        reporter = asyncio.create_task(self.progress.run(), name="tuijie-outbox-progress")
        standby = False
        try:
            while not self._stopping:
                try:
                    if await self.lease.acquire():
                        standby = False
                        await self._hold()
                        continue
                    if not standby and not self._stopping:
                        standby = True
                        await self._say_standby()
                except Exception:  # a database error mid-way: the lease loop must go on
                    _log.exception("the outbox sender failed; trying again")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), self.lease.every)
                self._changed.clear()
        finally:
            reporter.cancel()
            await asyncio.gather(reporter, return_exceptions=True)
            await self.lease.release()

    async def _say_standby(self) -> None:
        info = await asyncio.to_thread(self.lease.current)
        _log.info(
            "another process (%s) sends the outbox for %.0f s more unless it renews;"
            " this one answers users and takes over when that lease ends",
            info.holder,
            info.seconds_left,
        )

    async def _hold(self) -> None:
        """Holding the lease: resolve what a dead holder left, then feed the workers until this
        process stops or loses the lease."""
        _log.info("this process sends the outbox (lease holder %s)", self.lease.holder)
        interrupted = await asyncio.to_thread(self._resolve_interrupted)
        if interrupted:
            _log.warning("%d digest(s) were interrupted mid-send; marked unknown", interrupted)
        await self.progress.resume()
        queue: asyncio.Queue[Delivery] = asyncio.Queue()
        workers = [
            asyncio.create_task(self._worker(queue), name=f"tuijie-outbox-worker-{i}")
            for i in range(self.config.workers)
        ]
        keeper = asyncio.create_task(self.lease.keep(self._changed.set), name="tuijie-lease")
        try:
            await self._feed(queue)
        finally:
            keeper.cancel()
            for _ in workers:
                queue.put_nowait(_STOP)
            await asyncio.gather(keeper, *workers, return_exceptions=True)
        if not self.lease.held and not self._stopping:
            _log.warning(
                "the outbox lease was lost (taken over, or no renewal in time): standing by"
            )

    # --- feeding ---------------------------------------------------------------------------

    def _resolve_interrupted(self) -> int:
        with session_scope(self.db) as session:
            return outbox.resolve_interrupted(session)

    def _fetch(self, limit: int, exclude: list[int]) -> list[Delivery]:
        with Session(self.db, expire_on_commit=False) as session:
            return outbox.pending(session, limit=limit, exclude=exclude)

    async def _feed(self, queue: asyncio.Queue[Delivery]) -> None:
        depth = self.config.workers * 2
        while not self._stopping and self.lease.held:
            self._changed.clear()
            now = time.monotonic()
            waiting = {i: at for i, at in self._not_before.items() if at > now}
            self._not_before = waiting
            rows: list[Delivery] = []
            if len(self._busy) < depth:
                exclude = sorted(self._busy | set(waiting))
                rows = await asyncio.to_thread(self._fetch, depth - len(self._busy), exclude)
            for row in rows:
                self._busy.add(row.id or 0)
                queue.put_nowait(row)
            timeout = self.config.poll_every
            if waiting:
                timeout = min(timeout, max(0.05, min(waiting.values()) - now))
            if rows and len(self._busy) < depth:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    async def _worker(self, queue: asyncio.Queue[Delivery]) -> None:
        while True:
            row = await queue.get()
            if row is _STOP:
                return
            try:
                if not self._stopping and self.lease.held:
                    await self._deliver(row)
            except Exception:
                _log.exception("delivery %s: unexpected error", row.id)
            finally:
                self._busy.discard(row.id or 0)
                self._changed.set()

    # --- one delivery ------------------------------------------------------------------------

    def _update(self, fn: Callable[..., bool], **kwargs: Any) -> bool:
        with session_scope(self.db) as session:
            return fn(session, **kwargs)

    async def _mark(self, fn: Callable[..., bool], **kwargs: Any) -> bool:
        """Record a claim or an outcome of this process's claim (named by its lease holder id)."""
        kwargs["sender"] = self.lease.holder
        return await asyncio.to_thread(self._update, fn, **kwargs)

    def _count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def _backoff(self, attempts: int) -> float:
        return float(min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempts - 1)))

    async def _deliver(self, row: Delivery) -> None:
        """Send one digest and record the outcome (see the module docstring)."""
        rid = row.id or 0
        message = await asyncio.to_thread(self.render, row)
        if message is None:
            reason = "nothing left to send"
            await asyncio.to_thread(
                self._update, outbox.mark_skipped, delivery_id=rid, reason=reason
            )
            self._count(outbox.SKIPPED)
            return
        await self.limiter.acquire(bulk=True, chat_id=row.chat_id)
        if not await self._mark(outbox.mark_sending, delivery_id=rid):
            return  # someone else has it (or it was deleted by /forget)
        attempts = row.attempts + 1
        extra: dict[str, Any] = {}
        if self.via_rate_limiter:  # the rate limiter runs dispatch() right before the request
            extra["rate_limit_args"] = {"preacquired": True, "bulk": True}
        else:
            await self.limiter.dispatch(row.chat_id)
        try:
            sent = await self.bot.send_message(
                chat_id=row.chat_id,
                text=message.text,
                parse_mode=ParseMode.HTML,
                reply_markup=message.markup,
                link_preview_options=NO_PREVIEW,
                **extra,
            )
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            self.limiter.pause(seconds)
            self._not_before[rid] = time.monotonic() + seconds
            await self._mark(
                outbox.mark_unsent, delivery_id=rid, error=f"429 retry after {seconds}"
            )
            self._count("retry_after")
        except Forbidden as exc:
            await self._mark(outbox.mark_blocked, delivery_id=rid, error=str(exc))
            _log.info("chat %s blocked the bot: subscription deactivated", row.chat_id)
            self._count(outbox.BLOCKED)
        except BadRequest as exc:  # permanent (chat not found, bad markup...): no retry
            await self._mark(outbox.mark_failed, delivery_id=rid, error=str(exc))
            _log.warning("delivery %s to chat %s refused: %s", rid, row.chat_id, exc)
            self._count(outbox.FAILED)
        except TimedOut as exc:  # the request may have arrived: at most once, admins decide
            await self._mark(outbox.mark_uncertain, delivery_id=rid, error=str(exc))
            self._count(outbox.UNKNOWN)
        except NetworkError as exc:  # 5xx, connection errors
            if attempts >= self.config.max_attempts:
                await self._mark(outbox.mark_failed, delivery_id=rid, error=str(exc))
                self._count(outbox.FAILED)
            else:
                self._not_before[rid] = time.monotonic() + self._backoff(attempts)
                await self._mark(outbox.mark_retry, delivery_id=rid, error=str(exc))
                self._count("retry")
        except TelegramError as exc:
            await self._mark(outbox.mark_failed, delivery_id=rid, error=str(exc))
            self._count(outbox.FAILED)
        except Exception as exc:  # a bug: do not leave the row ambiguous
            await self._mark(outbox.mark_unsent, delivery_id=rid, error=repr(exc))
            raise
        else:
            await self._mark(outbox.mark_sent, delivery_id=rid, message_id=sent.message_id)
            self._count(outbox.SENT)

    # --- progress for the admin ----------------------------------------------------------

    async def watch(self, *, batch: str, chat_id: int, message_id: int, lang: str) -> None:
        """Edit this message with the batch's progress until it is done."""
        self.progress.watch(batch=batch, chat_id=chat_id, message_id=message_id, lang=lang)
        self._changed.set()


_STOP: Any = object()


def make_sender(bot: Bot, db: Engine, render: Renderer, **kwargs: Any) -> Sender:
    """A sender sharing the bot's TelegramRateLimiter if it has one (else its own limiter)."""
    rate_limiter = getattr(bot, "rate_limiter", None)
    if isinstance(rate_limiter, TelegramRateLimiter):
        return Sender(bot, db, render, rate_limiter.limiter, via_rate_limiter=True, **kwargs)
    return Sender(bot, db, render, SendLimiter(), **kwargs)


# --- wiring: bot/app.py starts one sender in post_init and stops it in post_shutdown ---------


def _admin_lang(db: Engine) -> Callable[[int], str]:
    def lang(user_id: int) -> str:
        with Session(db) as session:
            investor = get_investor(session, telegram_user_id=user_id)
        return normalize_lang(investor.language) if investor and investor.language else "zh"

    return lang


def start_sender(bot: Bot, db: Engine, *, lease_seconds: float) -> Sender:
    """Start the outbox sender (resuming whatever a previous process left pending)."""
    username = bot.username or "tuijie_bot"

    def render(row: Delivery) -> Message | None:
        return digest_for(db, row, username)

    config = SenderConfig(lease_seconds=lease_seconds)
    sender = make_sender(bot, db, render, config=config, admin_lang=_admin_lang(db))
    sender.start()
    return sender
