"""Generic fixtures shared by the whole suite (area-specific ones live in their own modules)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from catalog.db import open_database, sqlite_url


@pytest.fixture
def db_engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite database in tmp_path, migrated to the newest schema."""
    engine = open_database(sqlite_url(tmp_path / "db"))
    yield engine
    engine.dispose()
