"""What the publishing admin sees while a batch goes out: one message, edited with the figures.

The reporter runs in every bot process, holder of the outbox lease or not: the figures come from
the database, so the process that answered /publish reports progress even when another process
sends the digests. The process that takes the outbox over (a restart, or a takeover after the
previous sender died) tells each publishing admin that their batch is going out again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.views.i18n import t
from catalog import outbox

_log = logging.getLogger(__name__)


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
class ProgressReporter:
    """Edits each watched batch's message at most every `every` seconds, and once at the end."""

    bot: Bot
    db: Engine
    admin_lang: Callable[[int], str]
    every: float = 5.0
    busiest: Callable[[], int] = lambda: 0  # the limiter's busiest second, for the final log
    watches: dict[str, Watch] = field(default_factory=dict)

    def watch(self, *, batch: str, chat_id: int, message_id: int, lang: str) -> None:
        """Edit this message with the batch's progress until it is done."""
        self.watches[batch] = Watch(batch, chat_id, message_id, lang)

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

    async def resume(self) -> None:
        """After a restart or a takeover, tell each publishing admin their batch goes out again."""
        for batch, admin_id in await asyncio.to_thread(self._announcers):
            if admin_id is None or batch in self.watches:
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
            self.watches[batch] = Watch(batch, admin_id, sent.message_id, lang, text)

    async def run(self) -> None:
        """Report forever (cancel to stop)."""
        while True:
            await asyncio.sleep(min(1.0, self.every))
            for watch in list(self.watches.values()):
                try:
                    await self.report(watch)
                except Exception:
                    _log.exception("progress report for batch %s failed", watch.batch)

    async def report(self, watch: Watch) -> None:
        """Edit the admin's message if the figures changed (at most every `every` seconds)."""
        progress = await asyncio.to_thread(self._progress, watch.batch)
        now = time.monotonic()
        if not progress.done and now - watch.edited_at < self.every:
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
            self.watches.pop(watch.batch, None)
            _log.info(
                "batch %s done: %s; busiest second so far: %d messages",
                watch.batch,
                progress.counts,
                self.busiest(),
            )
