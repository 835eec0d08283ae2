"""Progress of a long indexing run: log lines for a server, a bar for a terminal command.

The bot only logs (its users never see a bar: the chat is not a terminal); `tuijie reindex`
and the other commands run with `progress=True` also draw a tqdm bar on stderr.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("index.progress")

LOG_EVERY = 10.0  # seconds between two progress lines
BAR_FROM = 1024  # projects: shorter runs draw no bar


@dataclass(frozen=True)
class Status:
    """Where a repair stands: `done` of `total` projects still to (re)index."""

    done: int
    total: int
    indexed: int  # projects the index holds now


class Progress:
    """Counts projects as they are indexed; logs every LOG_EVERY seconds and at the end."""

    def __init__(self, total: int, *, indexed: int = 0, label: str, bar: bool = False) -> None:
        self.total = total
        self.done = 0
        self.indexed = indexed
        self.label = label
        self._start = time.monotonic()
        self._last_log = self._start
        self._lock = threading.Lock()
        self._bar: Any = None
        if bar and total >= BAR_FROM:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, unit="project")
        self._level = logging.INFO if total >= BAR_FROM else logging.DEBUG  # small: quiet
        if total:
            resumed = f", resuming with {indexed:,} already indexed" if indexed else ""
            log.log(self._level, "%s: %s projects to index%s", label, f"{total:,}", resumed)

    def status(self) -> Status:
        with self._lock:
            return Status(self.done, self.total, self.indexed)

    def update(self, n: int, *, indexed: int) -> None:
        """`n` more projects done; the index now holds `indexed`."""
        with self._lock:
            self.done += n
            self.indexed = indexed
            now = time.monotonic()
            due = now - self._last_log >= LOG_EVERY
            if due:
                self._last_log = now
        if self._bar is not None:
            self._bar.update(n)
        if due and self.done < self.total:
            rate = self.done / max(now - self._start, 1e-9)
            left = (self.total - self.done) / rate if rate else float("inf")
            log.log(
                self._level,
                "%s: %s of %s projects (%.0f%%), %.0f/s, about %s left",
                self.label,
                f"{self.done:,}",
                f"{self.total:,}",
                100.0 * self.done / self.total,
                rate,
                _duration(left),
            )

    def close(self, *, stopped: bool = False) -> None:
        if self._bar is not None:
            self._bar.close()
        if not self.total:
            return
        took = time.monotonic() - self._start
        if stopped:
            log.log(
                self._level,
                "%s: stopped at %s of %s projects; the next start resumes",
                self.label,
                f"{self.done:,}",
                f"{self.total:,}",
            )
        else:
            rate = self.done / max(took, 1e-9)
            log.log(
                self._level,
                "%s: %s projects in %s (%.0f/s)",
                self.label,
                f"{self.done:,}",
                _duration(took),
                rate,
            )


def _duration(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
