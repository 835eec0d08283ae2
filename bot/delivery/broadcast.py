"""The outbox sender: delivers batch digests under Telegram's limits and resumes after a crash.

One asyncio task (started from post_init) feeds pending Delivery rows to a few workers. Each
worker takes a send slot from the shared SendLimiter FIRST, then commits the row "sending",
then makes the request and commits the outcome, so the only window where a crash leaves an
ambiguous row is the request itself. Rows found "sending" at startup become "unknown" and are
not resent (at-most-once for that window; see catalog/outbox.py and the README).
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
from telegram.ext import Application

from bot.delivery.digest import Message, digest_for
from bot.delivery.ratelimit import SendLimiter, TelegramRateLimiter, retry_after_seconds
from bot.services import KEY, Services
from bot.views.i18n import normalize_lang, t
from catalog import outbox
from catalog.db import session_scope
from catalog.investors import get_investor
from catalog.models import Delivery

_log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

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


@dataclass
class Watch:
    """An admin's progress message for one batch, edited as the batch goes out."""

    batch: str
    chat_id: int
    message_id: int
    lang: str
    last_text: str = ""
    edited_at: float = 0.0


def progress_text(lang: str, progress: outbox.Progress) -> str:
    """The progress (or final) line an admin sees for a batch."""
    counts = {
        "batch": progress.batch,
        "sent": progress.of(outbox.SENT),
        "skipped": progress.of(outbox.SKIPPED),
        "failed": progress.of(outbox.FAILED),
        "blocked": progress.of(outbox.BLOCKED),
        "unknown": progress.of(outbox.UNKNOWN),
        "done": progress.finished,
        "total": progress.total,
    }
    key = "broadcast.done" if progress.done else "broadcast.progress"
    text = t(lang, key, **counts)
    if progress.of(outbox.UNKNOWN):
        text += "\n" + t(lang, "broadcast.unknown", **counts)
    return text


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
    _watches: dict[str, Watch] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: bool = False
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        """Start the sender task (resolves interrupted rows first, then resumes pending ones)."""
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
        """Resolve crash leftovers, announce resumed batches, then feed the workers forever."""
        interrupted = await asyncio.to_thread(self._resolve_interrupted)
        if interrupted:
            _log.warning("%d digest(s) were interrupted mid-send; marked unknown", interrupted)
        await self._resume_watches()
        queue: asyncio.Queue[Delivery] = asyncio.Queue()
        workers = [
            asyncio.create_task(self._worker(queue), name=f"tuijie-outbox-worker-{i}")
            for i in range(self.config.workers)
        ]
        reporter = asyncio.create_task(self._report_loop(), name="tuijie-outbox-progress")
        try:
            await self._feed(queue)
        finally:
            for _ in workers:
                queue.put_nowait(_STOP)
            await asyncio.gather(*workers, return_exceptions=True)
            reporter.cancel()
            await asyncio.gather(reporter, return_exceptions=True)

    # --- feeding ---------------------------------------------------------------------------

    def _resolve_interrupted(self) -> int:
        with session_scope(self.db) as session:
            return outbox.resolve_interrupted(session)

    def _fetch(self, limit: int, exclude: list[int]) -> list[Delivery]:
        with Session(self.db, expire_on_commit=False) as session:
            return outbox.pending(session, limit=limit, exclude=exclude)

    async def _feed(self, queue: asyncio.Queue[Delivery]) -> None:
        depth = self.config.workers * 2
        while not self._stopping:
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
                if not self._stopping:
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
            await self._mark(outbox.mark_skipped, delivery_id=rid, reason="nothing left to send")
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
        self._watches[batch] = Watch(batch, chat_id, message_id, lang)
        self._changed.set()

    def _progress(self, batch: str) -> outbox.Progress:
        with Session(self.db) as session:
            return outbox.progress(session, batch_code=batch)

    def _announcers(self) -> list[tuple[str, int | None]]:
        with Session(self.db) as session:
            found = []
            for code in outbox.batches_in_flight(session):
                batch = outbox.get_batch(session, code=code)
                found.append((code, batch.announced_by if batch else None))
            return found

    async def _resume_watches(self) -> None:
        """After a restart, tell each publishing admin that their batch is going out again."""
        for batch, admin_id in await asyncio.to_thread(self._announcers):
            if admin_id is None or batch in self._watches:
                continue
            lang = await asyncio.to_thread(self.admin_lang, admin_id)
            progress = await asyncio.to_thread(self._progress, batch)
            text = t(lang, "broadcast.resumed", batch=batch) + "\n" + progress_text(lang, progress)
            try:
                sent = await self.bot.send_message(chat_id=admin_id, text=text)
            except TelegramError as exc:
                _log.warning(
                    "cannot tell admin %s about resumed batch %s: %s", admin_id, batch, exc
                )
                continue
            self._watches[batch] = Watch(batch, admin_id, sent.message_id, lang, text)

    async def _report_loop(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.config.progress_every))
            for watch in list(self._watches.values()):
                try:
                    await self._report(watch)
                except Exception:
                    _log.exception("progress report for batch %s failed", watch.batch)

    async def _report(self, watch: Watch) -> None:
        """Edit the admin's message if the figures changed (at most every progress_every)."""
        progress = await asyncio.to_thread(self._progress, watch.batch)
        now = time.monotonic()
        if not progress.done and now - watch.edited_at < self.config.progress_every:
            return
        text = progress_text(watch.lang, progress)
        if text != watch.last_text:
            try:
                await self.bot.edit_message_text(
                    chat_id=watch.chat_id, message_id=watch.message_id, text=text
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    raise
            watch.last_text, watch.edited_at = text, now
        if progress.done:
            self._watches.pop(watch.batch, None)
            _log.info(
                "batch %s done: %s; busiest second so far: %d messages",
                watch.batch,
                progress.counts,
                self.limiter.busiest,
            )


_STOP: Any = object()


def make_sender(bot: Bot, db: Engine, render: Renderer, **kwargs: Any) -> Sender:
    """A sender sharing the bot's TelegramRateLimiter if it has one (else its own limiter)."""
    rate_limiter = getattr(bot, "rate_limiter", None)
    if isinstance(rate_limiter, TelegramRateLimiter):
        return Sender(bot, db, render, rate_limiter.limiter, via_rate_limiter=True, **kwargs)
    return Sender(bot, db, render, SendLimiter(), **kwargs)


# --- wiring into the application (called from bot/app.py post_init / post_shutdown) ----------

SENDER_KEY = "broadcast.sender"


def _admin_lang(svc: Services) -> Callable[[int], str]:
    def lang(user_id: int) -> str:
        with Session(svc.db) as session:
            investor = get_investor(session, telegram_user_id=user_id)
        return normalize_lang(investor.language) if investor and investor.language else "zh"

    return lang


async def start_broadcast(app: Application[Any, Any, Any, Any, Any, Any]) -> Sender | None:
    """Start the outbox sender (resuming whatever a previous process left pending)."""
    svc = app.bot_data.get(KEY)
    if not isinstance(svc, Services):
        return None
    username = app.bot.username or "tuijie_bot"

    def render(row: Delivery) -> Message | None:
        return digest_for(svc.db, row, username)

    sender = make_sender(app.bot, svc.db, render, admin_lang=_admin_lang(svc))
    svc.extras[SENDER_KEY] = sender
    sender.start()
    return sender


async def stop_broadcast(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop the sender, letting in-flight sends finish."""
    svc = app.bot_data.get(KEY)
    if isinstance(svc, Services):
        sender = svc.extras.pop(SENDER_KEY, None)
        if isinstance(sender, Sender):
            await sender.stop()


def sender_of(context: Any) -> Sender | None:
    """The running sender, if any (handlers call wake()/watch() on it)."""
    svc = context.application.bot_data.get(KEY)
    sender = svc.extras.get(SENDER_KEY) if isinstance(svc, Services) else None
    return sender if isinstance(sender, Sender) else None
