"""catalog.admin + catalog.audit on a real SQLite database: every change validated and audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from catalog import admin, audit
from catalog.db import session_scope
from catalog.errors import InvalidCatalogFile, ProjectNotFound
from catalog.models import AuditEntry, Batch, Project
from catalog.projects import get_project

ACTOR = "tg:42"


def _row(code: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": f"项目{code}", "batch": "2024-4", "summary": "光伏组件", **extra}


def _seed(engine: Engine, *codes: str) -> None:
    with session_scope(engine) as session:
        for code in codes:
            admin.add_project(session, values=_row(code, region="山西省太原市"), actor="cli")


def _entries(engine: Engine, code: str | None = None) -> list[AuditEntry]:
    with Session(engine) as session:
        return audit.recent(session, project_code=code, limit=100)


def test_parse_assignments_quotes_and_refusals() -> None:
    got = admin.parse_assignments('name="太原 半导体" investment_cny=5亿 tags=a;b')
    assert got == {"name": "太原 半导体", "investment_cny": "5亿", "tags": "a;b"}
    with pytest.raises(admin.InvalidAssignment, match="not field=value"):
        admin.parse_assignments("name")
    with pytest.raises(admin.InvalidAssignment, match="unknown field 'colour'"):
        admin.parse_assignments("colour=red")
    with pytest.raises(admin.InvalidAssignment, match="cannot read"):
        admin.parse_assignments('name="unclosed')


def test_typed_values_follow_the_exchange_types() -> None:
    assert admin.typed_value("investment_cny", "3500万") == 35_000_000
    assert admin.typed_value("investment_cny", "1,200,000") == 1_200_000
    assert admin.typed_value("tags", "光伏;储能") == ["光伏", "储能"]
    assert admin.typed_value("region", " - ") is None
    _value, errors = admin.check_field("investment_cny", "lots")
    assert [e.field for e in errors] == ["investment_cny"]
    _value, errors = admin.check_field("published_on", "2024-13-01")
    assert errors and "date" in errors[0].reason


def test_add_is_validated_like_an_import_and_audited(db_engine: Engine) -> None:
    with session_scope(db_engine) as session:
        change = admin.add_project(
            session, values=_row("A1", investment_cny=1e8, tags=["光伏"]), actor=ACTOR
        )
    assert change.changes["investment_cny"] == [None, 1e8]
    with Session(db_engine) as session:
        assert get_project(session, code="A1").tags == ["光伏"]
        assert session.exec(select(Batch).where(Batch.code == "2024-4")).first() is not None
    (entry,) = _entries(db_engine, "A1")
    assert (entry.actor, entry.action, entry.changes["name"]) == (ACTOR, "add", [None, "项目A1"])

    with pytest.raises(admin.ProjectExists), session_scope(db_engine) as session:
        admin.add_project(session, values=_row("A1"), actor=ACTOR)
    # private capital above the total is refused by the import's own rule
    with pytest.raises(admin.InvalidProject) as bad, session_scope(db_engine) as session:
        admin.add_project(
            session, values=_row("A2", investment_cny=1.0, private_capital_cny=2.0), actor=ACTOR
        )
    assert bad.value.errors[0].field == "private_capital_cny"
    with pytest.raises(admin.InvalidProject), session_scope(db_engine) as session:
        admin.add_project(session, values={"code": "A3", "name": "x"}, actor=ACTOR)
    with Session(db_engine) as session:
        assert session.exec(select(Project.code)).all() == ["A1"]
    assert len(_entries(db_engine)) == 1


def test_edit_records_old_and_new_values(db_engine: Engine) -> None:
    _seed(db_engine, "E1")
    with session_scope(db_engine) as session:
        change = admin.edit_project(
            session,
            code="E1",
            values={"stage": "在建", "region": None, "investment_cny": 2e8},
            actor=ACTOR,
        )
    assert change.changes == {
        "investment_cny": [None, 2e8],
        "region": ["山西省太原市", None],
        "stage": [None, "在建"],
    }
    with Session(db_engine) as session:
        project = get_project(session, code="E1")
    assert (project.stage, project.region, project.investment_cny) == ("在建", None, 2e8)
    newest = _entries(db_engine, "E1")[0]
    assert newest.action == "edit" and newest.changes == json.loads(json.dumps(change.changes))

    # no real change: nothing written
    with session_scope(db_engine) as session:
        assert not admin.edit_project(
            session, code="E1", values={"stage": "在建"}, actor=ACTOR
        ).changed
    assert len(_entries(db_engine, "E1")) == 2
    with pytest.raises(admin.InvalidProject), session_scope(db_engine) as session:
        admin.edit_project(session, code="E1", values={"summary": None}, actor=ACTOR)
    with pytest.raises(admin.InvalidAssignment), session_scope(db_engine) as session:
        admin.edit_project(session, code="E1", values={"code": "E2"}, actor=ACTOR)
    with pytest.raises(ProjectNotFound), session_scope(db_engine) as session:
        admin.edit_project(session, code="NOPE", values={"stage": "x"}, actor=ACTOR)
    assert len(_entries(db_engine, "E1")) == 2


def test_withdraw_and_restore_are_audited_once(db_engine: Engine) -> None:
    _seed(db_engine, "W1")
    with session_scope(db_engine) as session:
        assert admin.withdraw_project(session, code="W1", actor=ACTOR).changed
    with session_scope(db_engine) as session:
        assert not admin.withdraw_project(session, code="W1", actor=ACTOR).changed
    with Session(db_engine) as session:
        assert get_project(session, code="W1").status == "withdrawn"
    with session_scope(db_engine) as session:
        assert admin.restore_project(session, code="W1", actor=ACTOR).changes == {
            "status": ["withdrawn", "published"]
        }
    actions = [e.action for e in _entries(db_engine, "W1")]
    assert actions == ["restore", "withdraw", "add"]


def test_audit_is_written_in_the_same_transaction(db_engine: Engine) -> None:
    _seed(db_engine, "T1")
    with pytest.raises(RuntimeError), session_scope(db_engine) as session:
        admin.edit_project(session, code="T1", values={"stage": "前期"}, actor=ACTOR)
        raise RuntimeError("crash before commit")
    with Session(db_engine) as session:
        assert get_project(session, code="T1").stage is None
    assert [e.action for e in _entries(db_engine, "T1")] == ["add"]


def test_audit_recent_pages_newest_first(db_engine: Engine) -> None:
    _seed(db_engine, "P1", "P2")
    for owner in ("a", "b", "c"):  # free text: any value is a change
        with session_scope(db_engine) as session:
            admin.edit_project(session, code="P1", values={"owner": owner}, actor=ACTOR)
    with Session(db_engine) as session:
        first = audit.recent(session, project_code="P1", limit=2)
        second = audit.recent(session, project_code="P1", limit=2, offset=2)
        assert audit.count(session, project_code="P1") == 4
        assert audit.count(session) == 5
    assert [e.changes["owner"][1] for e in first] == ["c", "b"]
    assert [e.action for e in second] == ["edit", "add"]


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_import_reports_then_applies_with_per_project_audit(
    db_engine: Engine, tmp_path: Path
) -> None:
    _seed(db_engine, "I1", "I2")
    with Session(db_engine) as session:
        keep = get_project(session, code="I2")
    rows = [
        _row("I1", region="山西省太原市", stage="在建"),  # updated
        {k: v for k, v in keep.model_dump().items() if k in admin.FIELDS and v not in (None, [])}
        | {"published_on": None},
        _row("I3"),  # new
    ]
    rows[1].pop("published_on")
    path = _write_jsonl(tmp_path / "c.jsonl", rows)
    with session_scope(db_engine) as session:
        dry = admin.import_catalog(
            session, path=path, fmt="jsonl", actor=ACTOR, source="c.jsonl", dry_run=True
        )
        session.rollback()
    assert (dry.new, dry.updated, dry.unchanged) == (["I3"], ["I1"], ["I2"])
    with Session(db_engine) as session:
        assert session.get(Project, 3) is None
    with session_scope(db_engine) as session:
        admin.import_catalog(session, path=path, fmt="jsonl", actor=ACTOR, source="c.jsonl")
    assert _entries(db_engine, "I1")[0].changes == {"stage": [None, "在建"]}
    assert _entries(db_engine, "I3")[0].action == "import"
    summary = next(e for e in _entries(db_engine) if e.project_code is None)
    assert summary.changes == {"source": "c.jsonl", "new": 1, "updated": 1, "unchanged": 1}


def test_a_bad_file_changes_nothing(db_engine: Engine, tmp_path: Path) -> None:
    _seed(db_engine, "B1")
    path = _write_jsonl(
        tmp_path / "bad.jsonl",
        [_row("B1", stage="在建"), _row("B2", investment_cny="many"), {"code": "B3"}],
    )
    with pytest.raises(InvalidCatalogFile) as bad, session_scope(db_engine) as session:
        admin.import_catalog(session, path=path, fmt="jsonl", actor=ACTOR, source="bad.jsonl")
    assert {(e.line, e.field) for e in bad.value.errors} >= {(2, "investment_cny"), (3, "name")}
    with Session(db_engine) as session:
        assert get_project(session, code="B1").stage is None
        assert session.exec(select(Project.code)).all() == ["B1"]
    assert len(_entries(db_engine)) == 1
