"""Saving the index off the search path: snapshot quickly, write in a background thread.

Edits only mark the index dirty and ask for a save. A short-lived thread coalesces the
requests (a burst of edits is one save), takes a snapshot through the engine (cheap, under
its writer lock, never its search lock) and writes a new generation with `storage`, so no
search and no edit waits for the files. A crash before the write finishes loses nothing the
database does not hold: the next start compares the two and repairs the difference.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from index.store import storage
from index.store.state import StateSnapshot

log = logging.getLogger(__name__)

SAVE_DELAY = 0.5  # seconds an edit waits for others before its save starts (coalescing)
SAVE_SPACING = 5.0  # seconds between the starts of two background saves, at least

Snapshot = Callable[[], tuple[dict[str, Any], StateSnapshot] | None]


class Saver:
    """Background, coalescing saves of one engine's index into `index_dir`."""

    def __init__(
        self,
        index_dir: Path,
        snapshot: Snapshot,
        *,
        delay: float = SAVE_DELAY,
        spacing: float = SAVE_SPACING,
    ) -> None:
        self.index_dir = index_dir
        self._snapshot = snapshot
        self.delay = delay
        self.spacing = spacing
        self._cond = threading.Condition()
        self._requested = 0  # requests so far
        self._saved = 0  # requests covered by a finished save (or a failed one)
        self._hurry = 0  # flush() waiting: skip the delays
        self._thread: threading.Thread | None = None
        self._last_start = float("-inf")
        self._writing = threading.Lock()  # one writer of this engine's files at a time
        self.saves = 0  # finished saves (for tests and figures)
        self.last_error: BaseException | None = None

    # ------------------------------------------------------------------ verbs
    def request(self, *, soon: bool = False) -> None:
        """Save soon (after `delay`, and `spacing` after the previous save unless `soon`)."""
        with self._cond:
            self._requested += 1
            if soon:
                self._last_start = float("-inf")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="tuijie-index-saver", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def pending(self) -> bool:
        """Whether a requested save has not finished yet."""
        with self._cond:
            return self._saved < self._requested

    def flush(self) -> None:
        """Wait until every requested save has finished (without the coalescing delays)."""
        with self._cond:
            target = self._requested
            if self._saved >= target:
                return
            self._hurry += 1
            self._cond.notify_all()
            try:
                while self._saved < target:
                    self._cond.wait()
            finally:
                self._hurry -= 1

    def save_now(self) -> None:
        """Save in this thread (errors propagate), covering every request made so far."""
        with self._cond:
            target = self._requested
        self._write()
        with self._cond:
            self._saved = max(self._saved, target)
            self._cond.notify_all()

    # -------------------------------------------------------------- internals
    def _run(self) -> None:
        while True:
            with self._cond:
                if self._saved >= self._requested:
                    self._thread = None
                    self._cond.notify_all()
                    return
                # let a burst of edits gather, and keep saves apart while edits stream in
                gather = time.monotonic() + self.delay
                while not self._hurry:
                    left = max(gather, self._last_start + self.spacing) - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                target = self._requested
                self._last_start = time.monotonic()
            try:
                self._write()
            except Exception as exc:  # disk full, permissions: the next start repairs
                self.last_error = exc
                log.warning("could not save the search index (%s); it is repaired at start", exc)
            with self._cond:
                self._saved = max(self._saved, target)
                self._cond.notify_all()

    def _write(self) -> None:
        with self._writing:
            taken = self._snapshot()
            if taken is None:
                return
            meta, snap = taken
            previous = storage.current_dir(self.index_dir)
            write = partial(snap.save_into, previous=previous)
            storage.save_generation(self.index_dir, meta, write)
            self.saves += 1
