"""Repairs checkpoint and resume (issue 11, item 9), show progress, and let searches (and the
bot) answer meanwhile.

Work is held or interrupted at a chosen chunk (an embedder that raises, blocks on an event or
never returns), never by timing; the chunk and checkpoint sizes are made small instead of
building a large catalog.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from index_support import codes, dev_records, load, new_db
from sqlalchemy.engine import Engine

import index.keeper as keeper
import index.progress as progress
from index import SearchEngine
from index.store import storage as index_storage
from index.store.embedder import Embedder

WAIT = 300  # seconds: deadlines for work that takes a few seconds, never measurements
CHUNK = 10
CHECKPOINT = 30
COPIES = 4  # the 36 dev projects, four times under other codes: 144 projects


def _catalog() -> list[dict[str, Any]]:
    out = []
    for copy in range(COPIES):
        for r in dev_records():
            row = dict(r)
            if copy:
                row["code"] = f"{r['code']}-{copy}"
                row["name"] = f"{r['name']}（第{copy}期）"
            out.append(row)
    return out


TOTAL = len(_catalog())


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, Path]:
    monkeypatch.setattr(keeper, "CHUNK", CHUNK)
    db = new_db(tmp_path / "db")
    load(db, _catalog(), tmp_path / "imports")
    return db, tmp_path


class Counting:
    """Wraps an engine's encode_passages and counts the texts. A chunk that would pass
    `limit` texts raises (`hold=False`) or waits until `allow` raises the limit."""

    def __init__(self, engine: SearchEngine, *, limit: int | None = None, hold: bool = False):
        self.real = engine.embedder.encode_passages
        self.texts = 0
        self.limit = limit
        self.hold = hold
        self.held = threading.Event()  # a chunk is waiting
        self._cond = threading.Condition()
        engine.embedder.encode_passages = self  # type: ignore[method-assign]

    def allow(self, more: int | None) -> None:
        """Let `more` texts through (None: all)."""
        with self._cond:
            self.limit = None if more is None or self.limit is None else self.limit + more
            self.held.clear()
            self._cond.notify_all()

    def __call__(self, texts: list[str], **kw: Any) -> Any:
        with self._cond:
            if self.limit is not None and self.texts + len(texts) > self.limit:
                if not self.hold:
                    raise OSError("killed")
                self.held.set()
                self._cond.wait_for(
                    lambda: self.limit is None or self.texts + len(texts) <= self.limit, WAIT
                )
            self.texts += len(texts)
        return self.real(texts, **kw)


def test_an_interrupted_build_resumes_from_its_last_checkpoint(catalog: tuple) -> None:
    db, tmp = catalog
    first = SearchEngine(db, tmp / "index", checkpoint_every=CHECKPOINT)
    Counting(first, limit=2 * CHECKPOINT + 5)  # dies in the chunk after the second checkpoint
    with pytest.raises(OSError):
        first.open()
    meta = index_storage.read_meta(tmp / "index")
    assert meta is not None and meta["count"] == 2 * CHECKPOINT and not meta["complete"]

    again = SearchEngine(db, tmp / "index", checkpoint_every=CHECKPOINT)
    counting = Counting(again)
    report = again.open()
    assert counting.texts == TOTAL - 2 * CHECKPOINT  # resumed, not started over
    assert not report.rebuilt and report.added == TOTAL - 2 * CHECKPOINT
    assert again.count() == TOTAL
    assert codes(again.search("贵安新区绿色数据中心二期项目（第3期）", k=1)) == ["DEV-001-3"]
    meta = index_storage.read_meta(tmp / "index")
    assert meta is not None and meta["complete"] and meta["count"] == TOTAL


CHILD = """
import sys, threading
from pathlib import Path
import index.keeper as keeper
from catalog.db import open_database, sqlite_url
from index import SearchEngine

keeper.CHUNK = {chunk}
folder = Path(sys.argv[1])
db = open_database(sqlite_url(folder / "db"))
engine = SearchEngine(db, folder / "index", checkpoint_every={checkpoint})
real = engine.embedder.encode_passages
seen = [0]

def encode(texts, **kw):
    if seen[0] + len(texts) > {limit}:
        threading.Event().wait()  # hangs here until killed
    seen[0] += len(texts)
    return real(texts, **kw)

engine.embedder.encode_passages = encode
engine.open()
"""


def test_a_build_killed_part_way_resumes_instead_of_starting_over(catalog: tuple) -> None:
    db, tmp = catalog
    script = CHILD.format(chunk=CHUNK, checkpoint=CHECKPOINT, limit=3 * CHECKPOINT + 5)
    child = subprocess.Popen([sys.executable, "-c", script, str(tmp)], env=os.environ.copy())
    try:
        deadline = time.monotonic() + WAIT
        while True:  # wait for the third checkpoint; the child then hangs in the next chunk
            meta = index_storage.read_meta(tmp / "index")
            if meta is not None and meta["count"] >= 3 * CHECKPOINT:
                break
            assert child.poll() is None, "the child ended before its checkpoints"
            assert time.monotonic() < deadline, "no checkpoint was written"
            time.sleep(0.1)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(WAIT)
    assert meta["count"] == 3 * CHECKPOINT

    again = SearchEngine(db, tmp / "index", checkpoint_every=CHECKPOINT)
    counting = Counting(again)
    report = again.open()
    assert counting.texts == TOTAL - 3 * CHECKPOINT
    assert (report.added, report.rebuilt) == (TOTAL - 3 * CHECKPOINT, False)
    assert again.count() == TOTAL
    assert not any(p.name.startswith("tmp-") for p in (tmp / "index").iterdir())


def test_a_long_repair_says_how_far_it_is(
    catalog: tuple, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    db, tmp = catalog
    monkeypatch.setattr(progress, "LOG_EVERY", 0.0)
    monkeypatch.setattr(progress, "BAR_FROM", 1)
    caplog.set_level(logging.INFO, logger="index.progress")
    SearchEngine(db, tmp / "index").open()
    lines = [r.getMessage() for r in caplog.records if r.name == "index.progress"]
    assert lines[0] == f"index build: {TOTAL} projects to index"
    assert f"index build: {CHUNK} of {TOTAL} projects" in lines[1]
    assert "about" in lines[1] and "/s" in lines[1]
    assert lines[-1].startswith(f"index build: {TOTAL} projects in ")


def test_searches_see_a_background_repair_as_it_goes(catalog: tuple) -> None:
    db, tmp = catalog
    engine = SearchEngine(db, tmp / "index", checkpoint_every=CHECKPOINT)
    held = Counting(engine, limit=CHUNK, hold=True)  # the second chunk waits
    engine.start(foreground=0)
    try:
        assert held.held.wait(WAIT)
        assert engine.repairing and engine.count() == CHUNK
        status = engine.repair_status()
        assert status is not None and (status.done, status.total) == (CHUNK, TOTAL)
        result = engine.search("贵安新区绿色数据中心二期项目", k=1)  # DEV-001: in the first chunk
        assert codes(result) == ["DEV-001"] and result.notice == "indexing"
        answer = engine.ask("贵安新区绿色数据中心二期项目的总投资是多少？")
        assert [p.code for p in answer.projects] == ["DEV-001"]
    finally:
        held.allow(None)
    assert engine.wait_repaired(WAIT)
    assert engine.count() == TOTAL and not engine.repairing
    result = engine.search("贵安新区绿色数据中心二期项目（第3期）", k=1)
    assert codes(result) == ["DEV-001-3"] and result.notice is None
    engine.close()


def _wait_for(condition: Any) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_an_edit_during_a_repair_waits_one_chunk_at_most(catalog: tuple) -> None:
    db, tmp = catalog
    engine = SearchEngine(db, tmp / "index", checkpoint_every=10 * TOTAL)
    held = Counting(engine, limit=CHUNK, hold=True)  # the repair waits inside its 2nd chunk
    engine.start(foreground=0)
    try:
        assert held.held.wait(WAIT)
        edited = dict(dev_records()[-1], name="朔州冰川滑雪度假区项目")  # not indexed yet
        changed = load(db, [edited], tmp / "imports").changed
        editor = threading.Thread(target=engine.refresh, args=(changed,), daemon=True)
        editor.start()
        _wait_for(lambda: engine._edits_waiting == 1)  # the edit waits for the writer lock
        held.allow(CHUNK + 1)  # the held chunk and the edit's text; the 3rd chunk waits again
        editor.join(WAIT)
        assert not editor.is_alive(), "the edit waited for more than the chunk under way"
        assert engine.repairing and engine.count() == 2 * CHUNK + 1
        assert codes(engine.search("冰川滑雪度假区", k=1)) == [edited["code"]]
    finally:
        held.allow(None)
    assert engine.wait_repaired(WAIT)
    assert engine.count() == TOTAL
    assert codes(engine.search("冰川滑雪度假区", k=1)) == [edited["code"]]
    engine.close()


def test_close_stops_a_repair_and_the_next_start_resumes(catalog: tuple) -> None:
    db, tmp = catalog
    engine = SearchEngine(db, tmp / "index", checkpoint_every=10 * TOTAL)  # no checkpoint
    held = Counting(engine, limit=2 * CHUNK, hold=True)
    engine.start(foreground=0)
    assert held.held.wait(WAIT)
    closing = threading.Thread(target=engine.close, daemon=True)
    closing.start()  # asks the repair to stop after the chunk it is in
    _wait_for(engine._stop.is_set)
    held.allow(None)
    closing.join(WAIT)
    assert not closing.is_alive()
    meta = index_storage.read_meta(tmp / "index")
    assert meta is not None and meta["count"] == 3 * CHUNK  # what was indexed was saved

    again = SearchEngine(db, tmp / "index")
    counting = Counting(again)
    again.open()
    assert counting.texts == TOTAL - 3 * CHUNK


def test_the_bot_answers_during_a_repair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from botharness import BotHarness
    from botsetup import settings_for

    from bot.services import open_services

    monkeypatch.setattr(keeper, "CHUNK", CHUNK)
    monkeypatch.setattr(keeper, "FOREGROUND", 0)  # every repair in the background
    settings = settings_for(tmp_path)
    db = new_db(tmp_path)
    load(db, _catalog(), tmp_path / "imports")
    gate = threading.Event()
    release = threading.Event()
    real = Embedder.encode_passages
    seen = [0]

    def encode(self: Embedder, texts: list[str], **kw: Any) -> Any:
        if seen[0] >= CHUNK:
            gate.set()
            assert release.wait(WAIT)
        seen[0] += len(texts)
        return real(self, texts, **kw)

    monkeypatch.setattr(Embedder, "encode_passages", encode)
    svc = open_services(settings)  # what post_init does: returns with the repair under way
    try:
        assert gate.wait(WAIT) and svc.search.repairing

        async def chat() -> str:
            async with BotHarness(settings, svc) as bot:
                bot.user(4242, chosen="zh")
                calls = await bot.send(4242, "贵安新区绿色数据中心")
                release.set()  # (leaving closes the services, which waits for the repair)
                return calls.last("sendMessage").text or ""

        text = asyncio.run(chat())
        assert "贵安新区绿色数据中心二期项目" in text
        assert "搜索索引仍在建立中" in text
    finally:
        release.set()
        svc.close()
