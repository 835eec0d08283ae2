"""The search index on PostgreSQL: built, reopened without spurious repairs, refreshed.

Runs when TUIJIE_TEST_POSTGRES_URL is set (CI starts a server, see .ci/run).
"""

from __future__ import annotations

from pathlib import Path

from conftest import requires_postgres
from index_support import codes, dev_records, load
from sqlalchemy.engine import Engine

from index import SearchEngine

pytestmark = requires_postgres


def test_index_on_postgres(pg_engine: Engine, tmp_path: Path) -> None:
    load(pg_engine, dev_records(), tmp_path / "imports")
    engine = SearchEngine(pg_engine, tmp_path / "index")
    assert engine.open().rebuilt
    assert set(codes(engine.search("有没有风电项目", k=2))) == {"DEV-008", "DEV-010"}
    again = SearchEngine(pg_engine, tmp_path / "index")
    report = again.open()  # the content hashes agree with what PostgreSQL returns
    assert (report.added, report.updated, report.removed, report.rebuilt) == (0, 0, 0, False)
    withdrawn = dict(dev_records()[7], status="withdrawn")
    again.refresh(load(pg_engine, [withdrawn], tmp_path / "imports").changed)
    assert "DEV-008" not in codes(again.search("风电", k=10))
    assert again.count() == 35
