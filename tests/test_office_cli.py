"""`tuijie leads [--status S] [--json]` and `tuijie report FROM TO FILE.xlsx`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.cli import main
from bot.views.office_report import SHEETS
from catalog import leads
from catalog.db import open_database, session_scope, sqlite_url
from catalog.importer import import_into
from catalog.investors import get_or_create_investor
from catalog.models import Project

DEV_CATALOG = Path("/work/shared/eval/dev/catalog.jsonl")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("TUIJIE_DATA_DIR", str(data))
    monkeypatch.delenv("TUIJIE_DATABASE_URL", raising=False)
    db = open_database(sqlite_url(data))
    with session_scope(db) as session:
        import_into(session, DEV_CATALOG, fmt="jsonl")
        code_ids = dict(session.exec(select(Project.code, Project.id)).all())
        for n, (user, code, share) in enumerate(
            [(1, "DEV-001", True), (2, "DEV-002", False), (3, "DEV-003", True)]
        ):
            investor = get_or_create_investor(session, telegram_user_id=user, username=f"u{user}")
            assert investor.id is not None
            lead = leads.open_lead(
                session, investor_id=investor.id, project_id=code_ids[code], share_contact=share
            )
            assert lead.id is not None
            if n == 2:
                leads.set_status(session, lead_id=lead.id, status="signed", actor="cli")
    db.dispose()
    return data


def test_leads_lists_open_ones_and_filters_by_status(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["leads", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["code"], r["status"], r["contact"]) for r in rows] == [
        ("DEV-002", "new", None),  # no consent: no contact
        ("DEV-001", "new", "@u1"),
    ]
    assert main(["leads", "--status", "signed"]) == 0
    out = capsys.readouterr()
    assert out.out.count("\n") == 1 and "DEV-003" in out.out and "@u3" in out.out
    assert "1 lead(s)" in out.err


def test_leads_refuses_an_unknown_status(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["leads", "--status", "won"])
    assert exit_.value.code == 2 and "invalid choice: 'won'" in capsys.readouterr().err


def test_report_writes_the_workbook(data_dir: Path, tmp_path: Path) -> None:
    today = datetime.now(UTC).date().isoformat()
    target = tmp_path / "report.xlsx"
    assert main(["report", today, today, str(target)]) == 0
    book = load_workbook(target)
    assert tuple(book.sheetnames) == SHEETS
    summary = dict(book["Summary"].iter_rows(values_only=True))
    assert (summary["Leads"], summary["Leads signed"]) == (3, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2026-12-02", "2026-12-01", "r.xlsx"], "ends (2026-12-01) before it starts"),
        (["2026-13-01", "2026-12-01", "r.xlsx"], "bad date"),
        (["2026-12-01", "2026-12-02", "r.csv"], "is an .xlsx file"),
    ],
)
def test_report_refuses_bad_input_and_writes_nothing(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    target = tmp_path / args[2]
    assert main(["report", args[0], args[1], str(target)]) == 2
    assert message in capsys.readouterr().err and not target.exists()
