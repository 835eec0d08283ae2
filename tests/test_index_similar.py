"""Similar projects: vector neighbours, published only, optionally same region or sector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from index_support import dev_records, load, new_db, write_jsonl
from sqlalchemy import text

from bot.cli import main
from index import SearchEngine
from index.understanding.regions import gazetteer


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    tmp: Path = tmp_path_factory.mktemp("similar")
    db = new_db(tmp / "db")
    load(db, dev_records(), tmp / "imports")
    eng = SearchEngine(db, tmp / "index")
    eng.open()
    return eng


def test_neighbours_of_a_data_centre_are_computing_projects(engine: SearchEngine) -> None:
    hits = engine.similar("DEV-001", k=3)
    got = [h.project.code for h in hits]
    assert len(got) == 3 and "DEV-001" not in got
    assert "DEV-002" in got  # 乌兰察布绿色算力产业园: the other green computing park
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_same_region_and_same_sector(engine: SearchEngine) -> None:
    records = {r["code"]: r for r in dev_records()}
    province = gazetteer().parse(records["DEV-006"]["region"]).province
    same_region = engine.similar("DEV-006", k=10, same="region")
    assert same_region
    for h in same_region:
        assert gazetteer().parse(h.project.region).province == province
    same_sector = engine.similar("DEV-001", k=10, same="sector")
    assert same_sector and len(same_sector) < len(engine.similar("DEV-001", k=10))


def test_withdrawn_projects_and_unknown_codes(engine: SearchEngine) -> None:
    with engine.db.begin() as conn:
        conn.execute(text("UPDATE project SET status='withdrawn' WHERE code='DEV-002'"))
    engine.refresh(["DEV-002"])
    try:
        assert "DEV-002" not in [h.project.code for h in engine.similar("DEV-001", k=10)]
        assert engine.similar("DEV-002") == []  # not published: not in the index
        assert engine.similar("NO-SUCH") == []
        with pytest.raises(ValueError):
            engine.similar("DEV-001", same="colour")
    finally:
        with engine.db.begin() as conn:
            conn.execute(text("UPDATE project SET status='published' WHERE code='DEV-002'"))
        engine.refresh(["DEV-002"])


def test_cli_similar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TUIJIE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TUIJIE_DATABASE_URL", raising=False)
    monkeypatch.delenv("TUIJIE_EMBEDDING_MODEL", raising=False)
    assert main(["import", str(write_jsonl(tmp_path / "c.jsonl", dev_records()[:12]))]) == 0
    capsys.readouterr()
    assert main(["similar", "DEV-001", "--k", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(rows) == 2 and "DEV-001" not in {r["code"] for r in rows}
    assert main(["similar", "NOPE-1"]) == 2
    assert "NOPE-1" in capsys.readouterr().err
