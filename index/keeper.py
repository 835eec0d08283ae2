"""Keeping the index in step with the catalog without making searches wait.

Two locks: `_lock` guards the in-memory state (searches hold it while they rank; writers
only to apply a prepared change), `_write` lets one writer at a time read the database,
analyse, embed and apply (refresh, sync, repair, compaction, the snapshot of a save). The
slow parts of a change (reading rows, tokenising, embedding, rebuilding postings) run under
`_write` alone; saves run in the background (index.store.saver). A repair works in chunks, so an
edit waits one chunk at most, and saves a checkpoint every `checkpoint_every` projects: killed
half-way, the next start resumes from the last checkpoint instead of starting over.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from index.indexing import CHUNK, Indexing
from index.progress import Progress, Status
from index.results import SyncReport
from index.store import storage
from index.store.documents import current_hashes, usable_projects
from index.store.embedder import Embedder
from index.store.saver import Saver
from index.store.state import IndexState, StateSnapshot, fingerprint, text_version
from index.store.vectors import VectorStore
from index.understanding.query import teach_tokenizer
from index.understanding.taxonomy import load_taxonomy

log = logging.getLogger("index.engine")

CHECKPOINT_EVERY = 10_000  # projects between two checkpoint saves of a long repair
FOREGROUND = 2_000  # projects a start repairs before serving; more are repaired meanwhile


def info_pair(info: Any) -> tuple[str, str]:
    return info.backend, info.name


@dataclass
class _Diff:
    """What a repair has to do: the database's (code, hash) per id, what left, what changed."""

    rows: dict[int, tuple[str, str]]
    gone: list[int]
    changed: list[int]
    new: set[int]


class IndexKeeper(Indexing):
    """The index's lifecycle: load, repair, follow changes, save (SearchEngine adds queries)."""

    def __init__(
        self,
        db: Engine,
        index_dir: Path,
        model_name: str | None = None,
        *,
        progress: bool = False,
        checkpoint_every: int = CHECKPOINT_EVERY,
    ) -> None:
        self.db = db
        self.index_dir = Path(index_dir)
        self.embedder = Embedder(model_name)
        self.progress = progress  # a bar on stderr for long runs (terminal commands only)
        self.checkpoint_every = checkpoint_every
        self._lock = threading.RLock()
        self._write = threading.RLock()
        self._state: IndexState | None = None
        # projects the database holds but the index cannot use (id -> code, problem): logged,
        # left out and shown to admins, so one bad row never stops start-up
        self.skipped: dict[int, tuple[str, str]] = {}
        self._skipped_hash: dict[int, str] = {}
        self._usable = partial(usable_projects, db, self.skipped)
        self.taxonomy = load_taxonomy()
        teach_tokenizer()  # documents and queries must be cut with the same dictionary
        self.saver = Saver(self.index_dir, self._snapshot)
        self._repairing: threading.Thread | None = None
        self._progress: Progress | None = None
        self._stop = threading.Event()
        # edits waiting for the writer lock: a repair lets them in before its next chunk
        # (a lock is not fair: the repair would otherwise take it again at once)
        self._edits = threading.Condition()
        self._edits_waiting = 0

    # ------------------------------------------------------------- lifecycle
    def open(self) -> SyncReport:
        """Load the saved index (build it if none or built with another model), repair it
        from the database and wait until that is saved."""
        report = self._open()
        self.flush()
        return report

    def start(self, *, foreground: int | None = None) -> None:
        """Load the model and what is saved, and serve: a repair of up to `foreground`
        projects is done first, a larger one in the background (searches meanwhile see what
        is indexed so far; `repair_status` says how far it is)."""
        limit = FOREGROUND if foreground is None else foreground
        self.embedder.load()
        self._stop.clear()
        with self._write:
            plan = self._load()
        diff = None if plan == "relex" else self._diff()
        size = self.count() if diff is None else len(diff.changed)
        if size <= limit:
            log.info("search index ready: %s", self._repair(plan, diff))
            return
        thread = threading.Thread(
            target=self._repair_logged, args=(plan, diff), name="tuijie-index-repair", daemon=True
        )
        self._repairing = thread
        thread.start()

    def wait_repaired(self, timeout: float | None = None) -> bool:
        """Wait for a background repair to finish; True when none is running."""
        thread = self._repairing
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    @property
    def repairing(self) -> bool:
        thread = self._repairing
        return thread is not None and thread.is_alive()

    def repair_status(self) -> Status | None:
        """How far a running repair is (None when none runs)."""
        progress = self._progress
        return progress.status() if progress is not None and self.repairing else None

    def close(self) -> None:
        """Stop a repair (it resumes at the next start), write pending changes, drop the
        in-memory index (the saved files stay)."""
        self._stop.set()
        self.wait_repaired()
        self.flush()
        with self._lock:
            self._state = None

    def count(self) -> int:
        """How many projects the index holds."""
        with self._lock:
            return self._state.count() if self._state else 0

    # ------------------------------------------------------------- keeping up
    def reindex(self) -> None:
        """Rebuild everything from the database (and wait for the save)."""
        with self._write:
            self._state = self._empty()
        self._sync(label="index rebuild", rebuilt=True)
        self.flush()

    def sync(self) -> SyncReport:
        """Compare every project with the index and repair the difference incrementally."""
        return self._sync(label="index sync")

    def refresh(self, codes: Any, *, save: bool = True) -> None:
        """Re-index these projects after a catalog change; withdrawn or deleted ones leave.

        The change is searchable when this returns; the files follow in the background.
        """
        codes = list(dict.fromkeys(c for c in codes if c))
        touched = False
        for start in range(0, len(codes), CHUNK):
            with self._edits:
                self._edits_waiting += 1
            admitted = False
            try:
                with self._write:
                    self._edit_admitted()
                    admitted = True
                    touched |= self._refresh_chunk(codes[start : start + CHUNK])
            finally:
                if not admitted:
                    self._edit_admitted()
        if save and touched:
            self.saver.request()

    def save(self) -> None:
        """Write the index to disk now (in this thread; errors propagate)."""
        self.saver.save_now()

    def flush(self) -> None:
        """Wait until the changes made so far are saved."""
        self.saver.flush()

    # -------------------------------------------------------------- internals
    def _edit_admitted(self) -> None:
        """An edit got the writer lock (or gave up): it no longer holds a repair back."""
        with self._edits:
            self._edits_waiting -= 1
            self._edits.notify_all()

    def _require(self) -> IndexState:
        if self._state is None:
            self._open()
        assert self._state is not None
        return self._state

    def _empty(self) -> IndexState:
        return IndexState(VectorStore(self.embedder.dim))

    def _open(self) -> SyncReport:
        with self._write:
            plan = self._load()
        return self._repair(plan)

    def _load(self) -> str:
        """Set the state from the saved files; say what the repair must do."""
        try:
            meta = storage.read_meta(self.index_dir)
        except storage.IndexCorrupt as exc:
            log.warning("index unreadable (%s); rebuilding", exc)
            meta = None
        info = self.embedder.info
        built_with = (meta or {}).get("backend", "sentence-transformers"), (meta or {}).get("model")
        state = None
        if meta is not None and built_with != (info.backend, info.name):
            log.info(
                "index was built with %s/%s; rebuilding for %s/%s", *built_with, *info_pair(info)
            )
        elif meta is not None:
            gen = storage.current_dir(self.index_dir)
            assert gen is not None
            try:
                state = IndexState.load_from(gen)
            except Exception as exc:  # a damaged file: rebuild rather than fail to start
                log.warning("index unreadable (%s); rebuilding", exc)
            if state is not None and (
                state.vectors is None
                or state.vectors.count() != state.count()
                or (self.embedder.loaded and state.vectors.dim != self.embedder.dim)
            ):
                state = None
        with self._lock:
            self._state = state if state is not None else self._empty()
        if state is None:
            return "rebuild"
        return "relex" if meta and meta.get("text_version") != text_version() else "sync"

    def _repair_logged(self, plan: str, diff: _Diff | None) -> None:
        try:
            log.info("search index ready: %s", self._repair(plan, diff, stoppable=True))
        except Exception:
            log.exception("the index repair failed; the next start tries again")

    def _repair(
        self, plan: str, diff: _Diff | None = None, *, stoppable: bool = False
    ) -> SyncReport:
        if plan == "relex":
            self._relex()
        label = "index build" if plan == "rebuild" else "index repair"
        return self._catch_up(
            diff or self._diff(),
            label=label,
            rebuilt=plan == "rebuild",
            checkpoints=True,
            stoppable=stoppable,
        )

    def _sync(self, *, label: str, rebuilt: bool = False) -> SyncReport:
        return self._catch_up(self._diff(), label=label, rebuilt=rebuilt)

    def _diff(self) -> _Diff:
        """Compare the database with the index; drop what left (the rest is for _catch_up)."""
        with self._write:
            state = self._require()
            rows = current_hashes(self.db)
            have = state.records
            # an id now holding another code (a deleted row's id reused) is a removal + an add
            gone = [p for p, rec in have.items() if p not in rows or rows[p][0] != rec.code]
            with self._lock:
                for pid in gone:
                    state.remove(pid)
            changed = sorted(
                pid
                for pid, (_, h) in rows.items()
                if (pid not in have or have[pid].hash != h) and self._skipped_hash.get(pid) != h
            )
            return _Diff(rows, gone, changed, {pid for pid in changed if pid not in have})

    def _catch_up(
        self,
        diff: _Diff,
        *,
        label: str,
        rebuilt: bool = False,
        checkpoints: bool = False,
        stoppable: bool = False,
    ) -> SyncReport:
        """Index what changed, a chunk per writer step, with progress and checkpoints."""
        changed = diff.changed
        progress = Progress(len(changed), indexed=self.count(), label=label, bar=self.progress)
        self._progress = progress
        since_checkpoint, done = 0, []
        for start in range(0, len(changed), CHUNK):
            if stoppable and self._stop.is_set():
                break
            chunk = changed[start : start + CHUNK]
            with self._edits:  # an edit waiting goes first: it waits one chunk at most
                self._edits.wait_for(lambda: self._edits_waiting == 0)
            with self._write:
                self._index_ids(chunk)
                for pid in chunk:
                    if pid in self.skipped:
                        self._skipped_hash[pid] = diff.rows[pid][1]  # not tried until it changes
                    else:
                        done.append(pid)
                indexed = self.count()
            progress.update(len(chunk), indexed=indexed)
            since_checkpoint += len(chunk)
            more = start + len(chunk) < len(changed)
            if checkpoints and more and since_checkpoint >= self.checkpoint_every:
                self.save()  # a checkpoint: from here on, progress survives a kill
                since_checkpoint = 0
        progress.close(stopped=stoppable and self._stop.is_set())
        if done or diff.gone or rebuilt or not storage.exists(self.index_dir):
            self.saver.request(soon=True)
        added = len(diff.new.intersection(done))
        return SyncReport(added, len(done) - added, len(diff.gone), rebuilt)

    def _snapshot(self) -> tuple[dict[str, Any], StateSnapshot] | None:
        """What the saver writes (taken under the writer lock: no search waits for it)."""
        with self._write:
            state = self._state
            if state is None:
                return None
            snap = state.snapshot()
            progress = self._progress
            complete = progress is None or progress.done >= progress.total
        meta = {
            "backend": self.embedder.info.backend,
            "model": self.embedder.info.name,
            "dim": snap.vectors.dim if snap.vectors else None,
            "fingerprint": fingerprint({pid: r.hash for pid, r in snap.records.items()}),
            "count": len(snap.records),
            "text_version": text_version(),
            "complete": complete,
        }
        return meta, snap
