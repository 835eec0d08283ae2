"""The search index on PostgreSQL: built, reopened without spurious repairs, refreshed.

Runs when TUIJIE_TEST_POSTGRES_URL is set (CI starts a server, see .ci/run).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from index_support import codes, dev_records, load
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from catalog.db import open_database
from index import SearchEngine

POSTGRES_URL = os.environ.get("TUIJIE_TEST_POSTGRES_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="TUIJIE_TEST_POSTGRES_URL is not set"),
]


@pytest.fixture
def pg_db() -> Iterator[Engine]:
    server = make_url(POSTGRES_URL)
    name = f"tuijie_index_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = open_database(server.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_index_on_postgres(pg_db: Engine, tmp_path: Path) -> None:
    load(pg_db, dev_records(), tmp_path / "imports")
    engine = SearchEngine(pg_db, tmp_path / "index")
    assert engine.open().rebuilt
    assert set(codes(engine.search("有没有风电项目", k=2))) == {"DEV-008", "DEV-010"}
    again = SearchEngine(pg_db, tmp_path / "index")
    report = again.open()  # the content hashes agree with what PostgreSQL returns
    assert (report.added, report.updated, report.removed, report.rebuilt) == (0, 0, 0, False)
    withdrawn = dict(dev_records()[7], status="withdrawn")
    again.refresh(load(pg_db, [withdrawn], tmp_path / "imports").changed)
    assert "DEV-008" not in codes(again.search("风电", k=10))
    assert again.count() == 35
