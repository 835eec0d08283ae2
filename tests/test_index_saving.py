"""No search waits for a save (issue 9): edits are searchable at once, the files follow in the
background, and a save held open never stops searches or further edits.

A save is held open deterministically: the storage writer waits on an event the test sets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from index_support import codes, dev_records, load, new_db
from sqlalchemy.engine import Engine

from index import SearchEngine
from index.store import storage as index_storage

WAIT = 120  # seconds: a deadline for work that takes milliseconds, never a measurement


def _project(code: str, name: str, summary: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "batch": "2025-1",
        "region": "山西省大同市云冈区",
        "industry": "文旅",
        "cooperation": "合资",
        "summary": summary,
    }


SNOW = _project("NEW-SNOW", "大同冰雪运动小镇项目", "建设滑雪场和冰雪运动训练基地。")
TEA = _project("NEW-TEA", "大同黄花茶饮料厂项目", "建设黄花茶饮料生产线。")


@pytest.fixture
def small(tmp_path: Path) -> tuple[Engine, SearchEngine, Path]:
    db = new_db(tmp_path / "db")
    load(db, [dict(r) for r in dev_records()[:12]], tmp_path / "imports")
    engine = SearchEngine(db, tmp_path / "index")
    engine.open()
    return db, engine, tmp_path


class HeldSave:
    """Replaces storage.save_generation: a save signals `started`, then waits for `release`
    (only the first `hold` saves when given)."""

    def __init__(self, hold: int | None = None) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.hold = hold
        self.calls = 0
        self.saves = 0
        self._real = index_storage.save_generation

    def __call__(self, index_dir: Path, meta: dict[str, Any], write: Callable[[Path], None]) -> Any:
        self.calls += 1
        if self.hold is None or self.calls <= self.hold:
            self.started.set()
            assert self.release.wait(WAIT), "the test never released the save"
        self.saves += 1
        return self._real(index_dir, meta, write)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldSave]:
    hold = HeldSave()
    monkeypatch.setattr(index_storage, "save_generation", hold)
    yield hold
    hold.release.set()


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(work()), daemon=True)
    thread.start()
    return thread, out


def test_a_search_completes_while_a_save_is_in_progress(small: tuple, held: HeldSave) -> None:
    db, engine, tmp = small
    changed = load(db, [SNOW], tmp / "imports").changed
    editor, _ = in_thread(lambda: engine.refresh(changed))  # as an admin edit does
    assert held.started.wait(WAIT), "the edit asked for no save"
    # the save is now open and stays open until released
    searcher, found = in_thread(lambda: codes(engine.search("冰雪运动小镇", k=3)))
    searcher.join(WAIT)
    assert not searcher.is_alive(), "the search waited for the save"
    assert found[0][0] == "NEW-SNOW"  # the edit was searchable before its save finished
    editor.join(WAIT)
    assert not editor.is_alive(), "the edit waited for its save"
    assert not held.release.is_set() and held.saves == 0


def test_edits_go_on_while_a_save_is_held_open(small: tuple, held: HeldSave) -> None:
    db, engine, tmp = small
    engine.refresh(load(db, [SNOW], tmp / "imports").changed)
    assert held.started.wait(WAIT)
    second, _ = in_thread(lambda: engine.refresh(load(db, [TEA], tmp / "imports").changed))
    second.join(WAIT)
    assert not second.is_alive(), "an edit waited for the save of the one before"
    assert codes(engine.search("黄花茶饮料", k=1)) == ["NEW-TEA"]
    assert held.saves == 0
    held.release.set()
    engine.flush()
    # both edits reached the files: a fresh process finds nothing to repair
    again = SearchEngine(db, tmp / "index")
    report = again.open()
    assert (report.added, report.updated, report.removed, report.rebuilt) == (0, 0, 0, False)
    assert {"NEW-SNOW", "NEW-TEA"} <= set(codes(again.search("大同", k=20)))


def test_a_burst_of_edits_is_saved_once(small: tuple, held: HeldSave) -> None:
    db, engine, tmp = small
    records = [_project(f"NEW-{i:02d}", f"大同第{i}号冰雪小镇项目", "冰雪运动。") for i in range(8)]
    changed = load(db, records, tmp / "imports").changed
    for code in changed:  # one edit after another, each asking for a save
        engine.refresh([code])
    held.release.set()
    engine.flush()
    assert held.saves <= 2  # coalesced (one for the burst, at most one started in between)
    meta = index_storage.read_meta(tmp / "index")
    assert meta is not None and meta["count"] == 20


def test_a_process_killed_before_the_save_loses_nothing(
    small: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The save never finishes (the process dies): the old files stay whole and the next start
    repairs the edit from the database."""
    db, engine, tmp = small
    held = HeldSave(hold=1)  # this engine's save hangs; the next start's saves go through
    monkeypatch.setattr(index_storage, "save_generation", held)
    before = index_storage.current_dir(tmp / "index")
    try:
        engine.refresh(load(db, [SNOW], tmp / "imports").changed)
        assert held.started.wait(WAIT)
        assert index_storage.current_dir(tmp / "index") == before  # nothing half-written in use
        again = SearchEngine(db, tmp / "index")  # "the next start"
        report = again.open()
        assert not report.rebuilt and report.added == 1  # repaired from the database
        assert codes(again.search("冰雪运动小镇", k=1)) == ["NEW-SNOW"]
    finally:
        held.release.set()
