"""The catalog on PostgreSQL: migrations, round trips and upserts as on SQLite.

Runs when TUIJIE_TEST_POSTGRES_URL points at a server where the user may create databases
(CI starts one: see .ci/run); each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import requires_postgres
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from test_import_export import sample_projects, snapshot, write_file
from test_migrations import schema_diffs

from catalog import projects
from catalog.demo import DEMO_CATALOG, load_demo_if_empty
from catalog.errors import InvalidCatalogFile
from catalog.importer import export_file, import_file
from catalog.models import Batch, ProjectCreate
from catalog.projects import count_projects, get_project

pytestmark = requires_postgres


def test_migrations_match_the_models_on_postgres(pg_engine: Engine) -> None:
    assert schema_diffs(pg_engine) == []
    with Session(pg_engine) as session:  # BigInteger and timezone-aware columns hold their values
        session.add(Batch(code="2024-9", announced_by=2**40, announced_at=datetime.now(UTC)))
        session.commit()
        batch = session.exec(select(Batch)).one()
    assert batch.announced_by == 2**40
    assert batch.created_at.tzinfo is not None and batch.announced_at is not None
    assert batch.announced_at.tzinfo is not None


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_export_import_export_is_byte_identical_on_postgres(
    pg_engine: Engine, db_engine: Engine, tmp_path: Path, fmt: str
) -> None:
    import_file(pg_engine, write_file(tmp_path / f"in.{fmt}", sample_projects()))
    first, second, from_sqlite = (tmp_path / f"{n}.{fmt}" for n in ("a", "b", "sqlite"))
    export_file(pg_engine, first)
    import_file(pg_engine, first)
    export_file(pg_engine, second)
    assert first.read_bytes() == second.read_bytes()
    import_file(db_engine, first)  # and SQLite writes the very same file
    export_file(db_engine, from_sqlite)
    assert from_sqlite.read_bytes() == first.read_bytes()


def test_reimport_upserts_in_place_on_postgres(pg_engine: Engine, tmp_path: Path) -> None:
    records = sample_projects()
    import_file(pg_engine, write_file(tmp_path / "a.jsonl", records))
    with Session(pg_engine) as session:
        before = get_project(session, code="P-002")
    amount = 3_700_000_000.75
    records[2] = records[2].model_copy(update={"tags": ["新标签"], "investment_cny": amount})
    records.append(ProjectCreate(code="P-NEW", name="新", batch="2024-4", summary="s"))
    report = import_file(pg_engine, write_file(tmp_path / "b.csv", records))
    assert (report.new, report.updated, len(report.unchanged)) == (["P-NEW"], ["P-002"], 4)
    with Session(pg_engine) as session:
        after = get_project(session, code="P-002")
        assert count_projects(session) == 6
        batches = session.exec(select(Batch.code)).all()
    assert (after.id, after.created_at) == (before.id, before.created_at)
    assert after.updated_at > before.updated_at and after.updated_at.tzinfo is not None
    assert (after.tags, after.investment_cny) == (["新标签"], amount)
    assert sorted(batches) == ["2024-1", "2024-2", "2024-3", "2024-4"]


def test_bad_or_interrupted_imports_change_nothing_on_postgres(
    pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = sample_projects()
    import_file(pg_engine, write_file(tmp_path / "a.jsonl", records[:2]))
    before = snapshot(pg_engine)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"code": "X", "name": "n", "batch": "b", "summary": "s", "status": "?"}\n')
    with pytest.raises(InvalidCatalogFile):
        import_file(pg_engine, bad)
    real_apply, calls = projects._apply_chunk, []

    def failing_apply(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        real_apply(*args, **kwargs)

    monkeypatch.setattr(projects, "_apply_chunk", failing_apply)
    changed = [r.model_copy(update={"stage": "已投产"}) for r in records]
    with pytest.raises(RuntimeError):
        import_file(pg_engine, write_file(tmp_path / "b.jsonl", changed), chunk_size=2)
    assert snapshot(pg_engine) == before


def test_demo_loads_on_postgres(pg_engine: Engine, tmp_path: Path) -> None:
    assert load_demo_if_empty(pg_engine) >= 12
    assert load_demo_if_empty(pg_engine) == 0
    export_file(pg_engine, tmp_path / "demo.jsonl")
    assert (tmp_path / "demo.jsonl").read_bytes() == DEMO_CATALOG.read_bytes()
