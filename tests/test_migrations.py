"""The schema is Alembic's: the migrations build it from nothing and match the models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import catalog.models  # noqa: F401  (registers every table on SQLModel.metadata)
from catalog.db import alembic_config, make_engine, open_database, sqlite_url


def schema_diffs(engine: Engine) -> list[Any]:
    """What autogenerate would still write: empty when models and migrations agree."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return list(compare_metadata(context, SQLModel.metadata))


def test_migrations_build_an_empty_sqlite_file_that_matches_the_models(tmp_path: Path) -> None:
    db_file = tmp_path / "fresh" / "tuijie.db"
    engine = open_database(sqlite_url(db_file.parent))
    assert db_file.exists()
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert schema_diffs(engine) == []
    engine.dispose()


def test_upgrade_is_idempotent_and_downgrade_removes_everything(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    open_database(url).dispose()
    engine = open_database(url)  # a second start must not fail or change anything
    assert schema_diffs(engine) == []
    cfg = alembic_config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")
    engine.dispose()
    fresh = make_engine(url)
    assert set(inspect(fresh).get_table_names()) == {"alembic_version"}
    fresh.dispose()
