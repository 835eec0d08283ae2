"""The index follows the catalog: incremental refresh, save/load, repair, atomic saves, rebuilds."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from index_support import codes, dev_records, load, new_db
from sqlalchemy import text
from sqlalchemy.engine import Engine

from index import SearchEngine
from index.store import storage as index_storage
from index.store.vectors import VectorSnapshot, VectorStore


def _catalog(n: int = 12) -> list[dict[str, Any]]:
    return [dict(r) for r in dev_records()[:n]]


@pytest.fixture
def small(tmp_path: Path) -> tuple[Engine, SearchEngine, Path]:
    db = new_db(tmp_path / "db")
    load(db, _catalog(), tmp_path / "imports")
    engine = SearchEngine(db, tmp_path / "index")
    report = engine.open()
    assert report.rebuilt and report.added == 12
    return db, engine, tmp_path


def _new_project(code: str = "NEW-001", **changes: Any) -> dict[str, Any]:
    base = {
        "code": code,
        "name": "大同云冈文旅康养小镇项目",
        "name_en": "Datong Yungang Wellness Town",
        "batch": "2025-1",
        "region": "山西省大同市云冈区",
        "industry": "康养",
        "investment_cny": 880000000,
        "private_capital_cny": 400000000,
        "cooperation": "合资",
        "stage": "前期",
        "summary": "依托云冈石窟景区建设康养度假小镇，引入民间资本合资运营。",
        "tags": ["康养", "文旅"],
    }
    base.update(changes)
    return base


def test_refresh_adds_updates_and_removes_incrementally(small: tuple) -> None:
    db, engine, tmp = small
    report = load(db, [_new_project()], tmp / "imports")
    engine.refresh(report.changed)
    assert engine.count() == 13
    assert codes(engine.search("大同的康养项目"))[0] == "NEW-001"
    assert codes(engine.search("projects in Datong")) == ["NEW-001"]

    changed = _new_project(
        name="大同云冈冰雪运动小镇项目",
        industry="体育",
        tags=["滑雪", "冰雪运动"],
        summary="建设滑雪场和冰雪运动训练基地，引入民间资本合资运营。",
    )
    report = load(db, [changed], tmp / "imports")
    engine.refresh(report.changed)
    assert engine.count() == 13
    assert codes(engine.search("滑雪场"))[0] == "NEW-001"
    assert "NEW-001" not in codes(engine.search("康养 养老"))

    report = load(db, [_new_project(status="withdrawn")], tmp / "imports")
    engine.refresh(report.changed)
    assert engine.count() == 12
    assert engine.search("projects in Datong").hits == []


def test_refresh_does_not_reembed_unchanged_projects(small: tuple, monkeypatch: Any) -> None:
    db, engine, tmp = small
    encoded: list[int] = []
    real = engine.embedder.encode_passages

    def counting(texts: list[str], **kw: Any) -> Any:
        encoded.append(len(texts))
        return real(texts, **kw)

    monkeypatch.setattr(engine.embedder, "encode_passages", counting)
    report = load(db, [_new_project()], tmp / "imports")
    engine.refresh([*report.changed, "DEV-001", "DEV-002"])
    assert sum(encoded) == 1


def test_saved_index_loads_without_rebuilding(small: tuple) -> None:
    db, engine, tmp = small
    before = codes(engine.search("风电", k=3))
    again = SearchEngine(db, tmp / "index")
    report = again.open()
    assert not report.rebuilt and (report.added, report.updated, report.removed) == (0, 0, 0)
    assert again.count() == 12
    assert codes(again.search("风电", k=3)) == before


def test_open_repairs_changes_made_behind_its_back(small: tuple) -> None:
    db, engine, tmp = small
    engine.close()
    with db.begin() as conn:
        conn.execute(text("UPDATE project SET name='定边县光伏制氢示范项目' WHERE code='DEV-006'"))
        conn.execute(text("UPDATE project SET status='withdrawn' WHERE code='DEV-008'"))
        conn.execute(text("DELETE FROM project WHERE code='DEV-012'"))
    load(db, [_new_project()], tmp / "imports")
    again = SearchEngine(db, tmp / "index")
    report = again.open()
    assert not report.rebuilt
    assert (report.added, report.updated, report.removed) == (1, 1, 2)
    assert again.count() == 11
    assert "DEV-008" not in codes(again.search("风电", k=10))
    # by its new name (with vectors on Chinese, 光伏制氢 alone also fits DEV-010's 风光制氢)
    assert codes(again.search("定边县光伏制氢示范项目", k=1)) == ["DEV-006"]


def test_a_crash_while_saving_leaves_the_old_index(small: tuple, monkeypatch: Any) -> None:
    db, engine, tmp = small

    def broken_save(self: VectorSnapshot, directory: Path, previous: Path | None = None) -> None:
        (directory / "vectors.json").write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(VectorSnapshot, "save", broken_save)
    report = load(db, [_new_project()], tmp / "imports")
    engine.refresh(report.changed)  # searchable now; the save fails in the background
    assert codes(engine.search("大同的康养项目"))[0] == "NEW-001"
    engine.flush()
    assert isinstance(engine.saver.last_error, OSError)  # logged, not raised into the edit
    with pytest.raises(OSError):
        engine.save()  # an explicit save says so
    monkeypatch.undo()
    assert not any(p.name.startswith("tmp-") for p in (tmp / "index").iterdir())
    again = SearchEngine(db, tmp / "index")
    result = again.open()
    assert not result.rebuilt and result.added == 1  # the old files loaded, then repaired
    assert again.count() == 13


def test_another_model_means_a_rebuild(small: tuple) -> None:
    db, _engine, tmp = small
    gen = index_storage.current_dir(tmp / "index")
    assert gen is not None
    meta = json.loads((gen / "meta.json").read_text())
    meta["model"] = "intfloat/multilingual-e5-small"
    (gen / "meta.json").write_text(json.dumps(meta))
    again = SearchEngine(db, tmp / "index")
    report = again.open()
    assert report.rebuilt and report.added == 12
    saved = index_storage.read_meta(tmp / "index")
    assert saved is not None and saved["model"] == again.embedder.info.name


def test_damaged_files_are_rebuilt_not_fatal(small: tuple) -> None:
    db, _engine, tmp = small
    gen = index_storage.current_dir(tmp / "index")
    assert gen is not None
    (gen / "docs.json").write_text("{not json")
    again = SearchEngine(db, tmp / "index")
    assert again.open().rebuilt
    assert again.count() == 12


def test_reindex_rebuilds_from_scratch(small: tuple) -> None:
    _db, engine, tmp = small
    engine.reindex()
    assert engine.count() == 12
    assert index_storage.exists(tmp / "index")


def test_searches_while_refreshing_from_another_thread(small: tuple) -> None:
    db, engine, tmp = small
    records = [_new_project(f"NEW-{i:03d}") for i in range(20)]
    report = load(db, records, tmp / "imports")
    errors: list[BaseException] = []

    def searcher() -> None:
        try:
            for _ in range(30):
                for hit in engine.search("康养 风电 光伏", k=20).hits:
                    assert hit.project.status == "published"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(3)]
    for t in threads:
        t.start()
    for code in report.changed:
        engine.refresh([code], save=False)
    for t in threads:
        t.join()
    assert not errors
    assert engine.count() == 32


def test_empty_catalog(tmp_path: Path) -> None:
    db = new_db(tmp_path / "db")
    engine = SearchEngine(db, tmp_path / "index")
    engine.open()
    assert engine.count() == 0
    result = engine.search("光伏")
    assert result.notice == "empty_catalog" and result.hits == []
    assert engine.ask("光伏项目").kind == "none"
    assert engine.project("NOPE") is None


def test_updates_saved_with_gaps_reload_cleanly(small: tuple) -> None:
    db, engine, tmp = small
    changed = dict(
        dev_records()[5], name="定边县光伏制氢示范项目", summary="光伏制氢示范。", tags=["制氢"]
    )
    changed.pop("summary_en", None)
    changed.pop("name_en", None)
    report = load(db, [changed], tmp / "imports")
    engine.refresh(report.changed)
    engine.flush()
    assert engine._state is not None and engine._state.lexical.slots == 13  # a gap, no rewrite
    again = SearchEngine(db, tmp / "index")
    result = again.open()
    assert (result.added, result.updated, result.removed, result.rebuilt) == (0, 0, 0, False)
    assert again.count() == 12
    # by its new name (with vectors on Chinese, 光伏制氢 alone also fits DEV-010's 风光制氢)
    assert codes(again.search("定边县光伏制氢示范项目", k=1)) == ["DEV-006"]
    assert "DEV-006" not in codes(again.search("治沙", k=10))


def test_vectors_of_another_dimension_mean_a_rebuild(small: tuple) -> None:
    import numpy as np

    db, engine, tmp = small
    state = engine._state
    assert state is not None
    ids = np.asarray(sorted(state.records), dtype=np.int64)
    state.vectors = VectorStore.build(ids, np.ones((len(ids), 8), dtype=np.float32) / 8**0.5)
    engine.save()
    again = SearchEngine(db, tmp / "index")
    report = again.open()
    assert report.rebuilt
    assert again._state is not None and again._state.vectors is not None
    assert again._state.vectors.dim == again.embedder.dim
    assert codes(again.search("hydrogen refuelling stations", k=1)) == ["DEV-011"]
