"""Import and export against a real SQLite database: round trips, refusals, upserts, atomicity."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.cli import catalog as cli_catalog
from bot.settings import Settings
from catalog import projects
from catalog.db import open_database, sqlite_url
from catalog.demo import DEMO_CATALOG, load_demo_if_empty
from catalog.errors import InvalidCatalogFile, ProjectNotFound
from catalog.exchange import FIELDS, write_records
from catalog.importer import export_file, import_file, scan_file
from catalog.models import AuditEntry, Batch, Project, ProjectCreate
from catalog.projects import (
    InvalidStatus,
    count_projects,
    get_project,
    get_projects,
    iter_project_chunks,
    set_status,
)

FORMATS = ["jsonl", "json", "csv"]


def sample_projects(n: int = 5) -> list[ProjectCreate]:
    """Projects that exercise every field: absent ones, fractions, quotes, newlines, withdrawn."""
    out = []
    for i in range(n):
        full = i % 2 == 0
        out.append(
            ProjectCreate.model_validate(
                {
                    "code": f"P-{i:03d}",
                    "name": f"太原示例项目{i}",
                    "name_en": f"Taiyuan sample {i}" if full else None,
                    "batch": f"2024-{i % 3 + 1}",
                    "published_on": date(2024, 3 + i % 3, 15) if full else None,
                    "region": "山西省太原市清徐县" if full else None,
                    "industry": "半导体",
                    "investment_cny": 3_600_000_000 + i if full else 1234.5,
                    "private_capital_cny": 1_000_000_000.25 if full else None,
                    "cooperation": "股权合作" if full else None,
                    "stage": "前期",
                    "owner": 'Owner "Quoted", Ltd.' if full else None,
                    "contact": "0351-5550000",
                    "summary": f"第{i}个项目，含逗号, 和\n换行。",
                    "summary_en": "An English summary." if full else None,
                    "tags": ["半导体", "光电"] if full else [],
                    "status": "withdrawn" if i == 3 else "published",
                }
            )
        )
    return out


def write_file(path: Path, records: list[ProjectCreate]) -> Path:
    fmt = path.suffix.lstrip(".")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        write_records(fh, records, fmt)
    return path


def snapshot(engine: Engine) -> list[dict[str, Any]]:
    """Every project and batch row, ids and timestamps included."""
    with Session(engine) as session:
        rows = [dict(r._mapping) for r in session.execute(select(*Project.__table__.c))]  # type: ignore[attr-defined]
        rows += [dict(r._mapping) for r in session.execute(select(*Batch.__table__.c))]  # type: ignore[attr-defined]
    return sorted(rows, key=repr)


@pytest.fixture
def other_engine(tmp_path: Path) -> Engine:
    return open_database(sqlite_url(tmp_path / "other"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_import_export_is_byte_identical(
    db_engine: Engine, other_engine: Engine, tmp_path: Path, fmt: str
) -> None:
    source = write_file(tmp_path / f"in.{fmt}", sample_projects())
    assert len(import_file(db_engine, source).new) == 5
    first, second = tmp_path / f"first.{fmt}", tmp_path / f"second.{fmt}"
    assert export_file(db_engine, first) == 5
    import_file(other_engine, first)
    export_file(other_engine, second)
    assert first.read_bytes() == second.read_bytes()
    assert b"3600000000," in first.read_bytes()  # integral amounts stay integers
    with Session(other_engine) as session:
        stored = [
            ProjectCreate.model_validate(p.model_dump())
            for p in get_projects(session, codes=[p.code for p in sample_projects()])
        ]
    assert stored == sample_projects()


def test_all_three_formats_export_the_same_catalog(db_engine: Engine, tmp_path: Path) -> None:
    import_file(db_engine, write_file(tmp_path / "in.csv", sample_projects()))
    for fmt in FORMATS:
        export_file(db_engine, tmp_path / f"out.{fmt}")
    jsonl = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert json.loads((tmp_path / "out.json").read_text("utf-8")) == jsonl
    assert [r["code"] for r in jsonl] == sorted(r["code"] for r in jsonl)
    assert (tmp_path / "out.csv").read_bytes().startswith("\ufeffcode,name,".encode())


_BASE = {"name": "n", "batch": "b", "summary": "s"}
BAD_JSONL = [
    ({"code": "OK-1", **_BASE}, None),
    ({"code": "B-1", **_BASE, "colour": 1}, "colour"),
    ({"code": "OK-1", **_BASE}, "code"),
    ({"code": "B-3", **_BASE, "investment_cny": -1}, "investment_cny"),
    (
        {"code": "B-4", **_BASE, "investment_cny": 1, "private_capital_cny": 2},
        "private_capital_cny",
    ),
    ({"code": "B-5", **_BASE, "published_on": "2024-13-01"}, "published_on"),
    ({"code": "B-6", **_BASE, "tags": "x"}, "tags"),
    ({"code": "B-7", **_BASE, "name": ""}, "name"),
    ({"code": "B-8", **_BASE, "status": "gone"}, "status"),
]


def test_a_bad_file_names_every_bad_row_and_changes_nothing(
    db_engine: Engine, tmp_path: Path
) -> None:
    import_file(db_engine, write_file(tmp_path / "base.jsonl", sample_projects()))
    before = snapshot(db_engine)
    lines = [json.dumps(row, ensure_ascii=False) for row, _ in BAD_JSONL]
    lines.insert(3, '{"code": "broken"')  # invalid JSON on line 4
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidCatalogFile) as caught:
        import_file(db_engine, path)
    expected: set[tuple[int, str | None]] = {
        (n + 1, field) for n, (_, field) in enumerate(BAD_JSONL[:3]) if field
    }
    expected |= {(n + 2, field) for n, (_, field) in enumerate(BAD_JSONL) if field and n >= 3}
    expected.add((4, None))
    assert {(e.line, e.field) for e in caught.value.errors} == expected
    assert snapshot(db_engine) == before


def test_a_bad_csv_row_is_named_by_its_file_line(db_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        'code,name,batch,summary,investment_cny\nA,n,b,"two\nlines",5\nB,n,b,s,-5\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidCatalogFile) as caught:
        import_file(db_engine, path)
    assert [(e.line, e.field) for e in caught.value.errors] == [(4, "investment_cny")]
    assert snapshot(db_engine) == []


def test_csv_with_bom_and_semicolon_tags_imports(db_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(
        "\ufeffcode,name,batch,summary,tags,published_on\n"
        "SX-1,山西贝尔油库扩建项目,2024-3,油库扩建,油库;能源;物流,2024-09-10\n".encode()
    )
    report = import_file(db_engine, path)
    assert report.new == ["SX-1"] and report.new_batches == ["2024-3"]
    with Session(db_engine) as session:
        project = get_project(session, code="SX-1")
        batch = session.execute(select(Batch)).scalar_one()
    assert project.tags == ["油库", "能源", "物流"]
    assert (batch.code, batch.published_on) == ("2024-3", date(2024, 9, 10))


def test_reimport_updates_in_place_and_keeps_created_at(db_engine: Engine, tmp_path: Path) -> None:
    records = sample_projects()
    import_file(db_engine, write_file(tmp_path / "a.jsonl", records))
    with Session(db_engine) as session:
        before = {p.code: p for chunk in iter_project_chunks(session) for p in chunk}
    records[1] = records[1].model_copy(update={"stage": "在建"})
    records.append(ProjectCreate(code="P-NEW", name="新", batch="2024-4", summary="s"))
    report = import_file(db_engine, write_file(tmp_path / "b.jsonl", records))
    assert (report.new, report.updated) == (["P-NEW"], ["P-001"])
    assert sorted(report.unchanged) == ["P-000", "P-002", "P-003", "P-004"]
    assert report.new_batches == ["2024-4"]
    with Session(db_engine) as session:
        assert count_projects(session) == 6
        after = {p.code: p for p in get_projects(session, codes=list(before))}
    assert after["P-001"].stage == "在建"
    assert after["P-001"].id == before["P-001"].id
    assert after["P-001"].created_at == before["P-001"].created_at
    assert after["P-001"].updated_at > before["P-001"].updated_at
    assert after["P-002"].updated_at == before["P-002"].updated_at


def test_dry_run_reports_and_writes_nothing(db_engine: Engine, tmp_path: Path) -> None:
    records = sample_projects()
    import_file(db_engine, write_file(tmp_path / "a.jsonl", records[:3]))
    before = snapshot(db_engine)
    records[0] = records[0].model_copy(update={"name": "改名"})
    report = import_file(db_engine, write_file(tmp_path / "b.jsonl", records), dry_run=True)
    assert report.dry_run
    assert (report.new, report.updated, report.unchanged) == (
        ["P-003", "P-004"],
        ["P-000"],
        ["P-001", "P-002"],
    )
    assert snapshot(db_engine) == before


def test_an_import_interrupted_midway_leaves_the_database_as_before(
    db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = sample_projects()
    import_file(db_engine, write_file(tmp_path / "a.jsonl", records[:2]))
    before = snapshot(db_engine)
    real_apply = projects._apply_chunk
    calls = []

    def failing_apply(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        real_apply(*args, **kwargs)

    monkeypatch.setattr(projects, "_apply_chunk", failing_apply)
    changed = [r.model_copy(update={"stage": "已投产"}) for r in records]
    with pytest.raises(RuntimeError):
        import_file(db_engine, write_file(tmp_path / "b.jsonl", changed), chunk_size=2)
    assert len(calls) == 2  # the first chunk was written, then thrown away
    assert snapshot(db_engine) == before


def test_import_records_an_audit_entry_when_something_changed(
    db_engine: Engine, tmp_path: Path
) -> None:
    path = write_file(tmp_path / "a.jsonl", sample_projects(2))
    import_file(db_engine, path, actor="cli")
    import_file(db_engine, path, actor="cli")  # unchanged: no second entry
    with Session(db_engine) as session:
        entries = session.execute(select(AuditEntry)).scalars().all()
    assert [(e.actor, e.action, e.changes["new"]) for e in entries] == [("cli", "import", 2)]


def test_get_project_and_set_status(db_engine: Engine, tmp_path: Path) -> None:
    import_file(db_engine, write_file(tmp_path / "a.jsonl", sample_projects(2)))
    with Session(db_engine) as session:
        with pytest.raises(ProjectNotFound):
            get_project(session, code="NOPE")
        with pytest.raises(InvalidStatus):
            set_status(session, code="P-000", status="deleted")
        assert set_status(session, code="P-000", status="withdrawn") is True
        assert set_status(session, code="P-000", status="withdrawn") is False
        session.commit()
        assert get_project(session, code="P-000").status == "withdrawn"
        published = [p.code for c in iter_project_chunks(session, status="published") for p in c]
    assert published == ["P-001"]


def test_iter_project_chunks_yields_every_project_once_in_chunks(
    db_engine: Engine, tmp_path: Path
) -> None:
    import_file(db_engine, write_file(tmp_path / "a.jsonl", sample_projects(7)))
    with Session(db_engine) as session:
        chunks = list(iter_project_chunks(session, chunk_size=3))
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert [p.code for c in chunks for p in c] == [f"P-{i:03d}" for i in range(7)]


# --- the command line ----------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(TUIJIE_DATA_DIR=tmp_path / "data")


def run(cmd: str, settings: Settings, file: str, dry_run: bool = False) -> int:
    handler = getattr(cli_catalog, f"cmd_{cmd}")
    return int(handler(argparse.Namespace(file=file, dry_run=dry_run), settings))


def test_cli_import_prints_the_summary_and_export_to_stdout(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_file(tmp_path / "a.json", sample_projects(3))
    assert run("import", settings, str(path), dry_run=True) == 0
    assert "would import 3 new, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert run("import", settings, str(path)) == 0
    assert "Imported: 3 new, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert run("export", settings, "-") == 0
    out = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["code"] for line in out] == ["P-000", "P-001", "P-002"]


def test_cli_import_of_a_bad_file_lists_rows_and_exits_1(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"code": "A"}\n{"code": "B", "name": "n", "batch": "b", "summary": "s"}\nnope\n'
    )
    assert run("import", settings, str(path)) == 1
    err = capsys.readouterr().err
    assert "line 1, field 'name'" in err and "line 3: invalid JSON" in err
    assert "Traceback" not in err
    engine = open_database(settings.database_url)
    with Session(engine) as session:
        assert count_projects(session) == 0
    engine.dispose()


@pytest.mark.parametrize("name", ["missing.jsonl", "catalog.xls"])
def test_cli_import_of_a_missing_or_unknown_file_exits_2(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (tmp_path / "catalog.xls").write_text("x")
    assert run("import", settings, str(tmp_path / name)) == 2
    assert capsys.readouterr().err.startswith("tuijie: ")


# --- the demo catalog ----------------------------------------------------------------------


def test_demo_catalog_is_valid_complete_and_marked_illustrative() -> None:
    assert scan_file(DEMO_CATALOG) >= 12
    rows = [json.loads(line) for line in DEMO_CATALOG.read_text("utf-8").splitlines()]
    for row in rows:
        assert set(row) == set(FIELDS), row["code"]  # every field filled
        assert "示例数据/illustrative" in row["tags"]
        assert "示例数据" in row["summary"] and "illustrative" in row["summary_en"]
    names = {row["name"]: row for row in rows}
    for promoted in (
        "杉数科技（山西）求解器智算中心项目",
        "太原半导体生态科技港项目",
        "山西贝尔油库扩建项目",
    ):
        assert promoted in names
    assert names["山西贝尔油库扩建项目"]["private_capital_cny"] > 0
    assert any(r["cooperation"] == "特许经营" and "特许经营期" in r["summary"] for r in rows)


def test_demo_loads_only_into_an_empty_catalog(db_engine: Engine, tmp_path: Path) -> None:
    loaded = load_demo_if_empty(db_engine)
    assert loaded == scan_file(DEMO_CATALOG)
    assert load_demo_if_empty(db_engine) == 0
    export_file(db_engine, tmp_path / "demo.jsonl")
    assert (tmp_path / "demo.jsonl").read_bytes() == DEMO_CATALOG.read_bytes()


def test_demo_is_not_loaded_over_an_existing_catalog(db_engine: Engine, tmp_path: Path) -> None:
    import_file(db_engine, write_file(tmp_path / "a.jsonl", sample_projects(1)))
    assert load_demo_if_empty(db_engine) == 0
    with Session(db_engine) as session:
        assert count_projects(session) == 1
