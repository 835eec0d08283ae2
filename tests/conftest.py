"""Generic fixtures shared by the whole suite (area-specific ones live in their own modules)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from catalog.db import open_database, sqlite_url


@pytest.fixture
def db_engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite database in tmp_path, migrated to the newest schema."""
    engine = open_database(sqlite_url(tmp_path / "db"))
    yield engine
    engine.dispose()


POSTGRES_URL = os.environ.get("TUIJIE_TEST_POSTGRES_URL", "")
requires_postgres = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="TUIJIE_TEST_POSTGRES_URL is not set"),
]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a new, empty database on the test server (TUIJIE_TEST_POSTGRES_URL; CI starts
    one, see .ci/run), dropped afterwards."""
    server = make_url(POSTGRES_URL)
    name = f"tuijie_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """That database, migrated to the newest schema."""
    engine = open_database(pg_url)
    yield engine
    engine.dispose()
