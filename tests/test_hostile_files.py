"""Hostile import files and bad rows already stored: refused with their line, never stored, never
a crash; a bad stored row never stops the index, the export or start-up (issue 11, items 1-6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from catalog.errors import InvalidCatalogFile
from catalog.exchange import MAX_TEXT, write_records
from catalog.importer import export_file, import_file
from catalog.models import ProjectCreate
from catalog.projects import count_projects
from index.engine import SearchEngine

GOOD = {"code": "OK-1", "name": "太原半导体项目", "batch": "2024-1", "summary": "光电芯片封装。"}


def jsonl(path: Path, *rows: Any) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def refusal(db: Engine, path: Path) -> list[str]:
    """The errors of both the dry run and the real import (which must agree), as text."""
    with pytest.raises(InvalidCatalogFile) as dry:
        import_file(db, path, dry_run=True)
    with pytest.raises(InvalidCatalogFile) as real:
        import_file(db, path)
    assert [str(e) for e in dry.value.errors] == [str(e) for e in real.value.errors]
    return [str(e) for e in real.value.errors]


def stored(db: Engine) -> int:
    from sqlmodel import Session

    with Session(db) as session:
        return count_projects(session)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("tags", ["bad\ud800"], "invalid Unicode (U+D800"),
        ("name", "bad\ud800name", "invalid Unicode (U+D800"),
        ("owner", "\x1b]0;PWNED\x07\x1b[2J", "a control character (U+001B"),
        ("summary", "ring\x07", "a control character (U+0007"),
        ("contact", "nul\x00", "a control character (U+0000"),
    ],
)
def test_invalid_text_is_refused_by_the_dry_run_and_the_import(
    db_engine: Engine, tmp_path: Path, field: str, value: Any, reason: str
) -> None:
    path = jsonl(tmp_path / "bad.jsonl", GOOD, {**GOOD, "code": "BAD-1", field: value})
    errors = refusal(db_engine, path)
    assert len(errors) == 1 and errors[0].startswith(f"line 2, field '{field}': contains {reason}")
    assert stored(db_engine) == 0


def test_tabs_and_line_breaks_stay_text(db_engine: Engine, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "ok.jsonl", {**GOOD, "summary": "一\t二\r\n三"})
    assert len(import_file(db_engine, path).new) == 1


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_deep_nesting_is_refused_with_its_line(db_engine: Engine, tmp_path: Path, fmt: str) -> None:
    deep = '{"code": "X", "tags": ' + "[" * 100_000 + "]" * 100_000 + "}"
    if fmt == "jsonl":
        path = tmp_path / "deep.jsonl"
        path.write_text(json.dumps(GOOD) + "\n" + deep + "\n", encoding="utf-8")
    else:
        path = tmp_path / "deep.json"
        path.write_text("[\n" + json.dumps(GOOD) + ",\n" + deep + "\n]\n", encoding="utf-8")
    errors = refusal(db_engine, path)
    line = 2 if fmt == "jsonl" else 3
    assert errors == [f"line {line}: invalid JSON: nested too deeply"]


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_key_twice_in_one_object_is_refused(db_engine: Engine, tmp_path: Path, fmt: str) -> None:
    twice = '{"code": "A", "name": "n", "batch": "b", "summary": "s", "code": "B"}'
    path = tmp_path / f"twice.{fmt}"
    body = json.dumps(GOOD) + "\n" + twice + "\n"
    if fmt == "json":
        body = "[\n" + json.dumps(GOOD) + ",\n" + twice + "\n]\n"
    path.write_text(body, encoding="utf-8")
    errors = refusal(db_engine, path)
    line = 2 if fmt == "jsonl" else 3
    assert errors == [f"line {line}: invalid JSON: the key 'code' appears twice in one object"]


@pytest.mark.parametrize("amount", ["1e308", "1" + "0" * 30, "1" + "0" * 5000])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_absurd_amounts_are_refused(
    db_engine: Engine, tmp_path: Path, amount: str, fmt: str
) -> None:
    if fmt == "jsonl":
        path = jsonl(
            tmp_path / "big.jsonl", json.dumps(GOOD)[:-1] + f', "investment_cny": {amount}}}'
        )
    else:
        path = tmp_path / "big.csv"
        path.write_text(f"code,name,batch,summary,investment_cny\nA,n,b,s,{amount}\n", "utf-8")
    errors = refusal(db_engine, path)
    assert len(errors) == 1 and errors[0].startswith(f"line {1 if fmt == 'jsonl' else 2}")
    assert len(errors[0]) < 200  # one sentence, not the number printed back in 300 digits


def test_the_largest_amount_allowed_is_accepted(db_engine: Engine, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "max.jsonl", {**GOOD, "investment_cny": 10**14})
    assert len(import_file(db_engine, path).new) == 1


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json"])
def test_bad_utf8_names_its_own_line(db_engine: Engine, tmp_path: Path, fmt: str) -> None:
    lines = [json.dumps({**GOOD, "code": f"C-{i}"}, ensure_ascii=False) for i in range(50_002)]
    if fmt == "csv":
        lines = ["code,name,batch,summary"] + [f"C-{i},名称{i},b,摘要" for i in range(50_002)]
    if fmt == "json":
        lines = ["["] + [line + "," for line in lines[:-1]] + [lines[-1], "]"]
    data = [line.encode("utf-8") for line in lines]
    data[50_000] = data[50_000].replace(b"C-", b"C\xff-", 1)  # line 50001
    path = tmp_path / f"bad.{fmt}"
    path.write_bytes(b"\n".join(data) + b"\n")
    errors = refusal(db_engine, path)
    assert errors == ["line 50001: the line is not valid UTF-8 text"]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_one_text_limit_in_every_format(db_engine: Engine, tmp_path: Path, fmt: str) -> None:
    longest = ProjectCreate.model_validate({**GOOD, "summary": "长" * MAX_TEXT})
    too_long = ProjectCreate.model_validate({**GOOD, "code": "L-2", "summary": "长" * 140_000})
    path = tmp_path / f"ok.{fmt}"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        write_records(fh, [longest], fmt)
    assert len(import_file(db_engine, path).new) == 1
    again = tmp_path / f"again.{fmt}"
    export_file(db_engine, again)
    assert len(import_file(db_engine, again).unchanged) == 1  # what is exported reads back
    with open(path, "w", encoding="utf-8", newline="") as fh:
        write_records(fh, [too_long], fmt)
    errors = refusal(db_engine, path)
    line = 1 if fmt == "jsonl" else 2
    assert errors == [f"line {line}, field 'summary': longer than {MAX_TEXT} characters"]


def _poison(db: Engine, tmp_path: Path) -> None:
    """Two good projects, then one made bad behind the importer's back (an older version's
    import, another tool): a lone surrogate in its tags, an escape sequence in its name."""
    rows = [{**GOOD, "code": f"OK-{i}", "summary": f"光电芯片封装{i}。"} for i in range(2)]
    import_file(db, jsonl(tmp_path / "good.jsonl", *rows, {**GOOD, "code": "BAD-1"}))
    with db.begin() as conn:
        conn.execute(
            text("UPDATE project SET tags = :tags, name = :name WHERE code = 'BAD-1'"),
            {"tags": '["bad\\ud800"]', "name": "\x1b]0;PWNED\x07"},
        )


def test_a_bad_stored_row_never_stops_the_index(db_engine: Engine, tmp_path: Path) -> None:
    _poison(db_engine, tmp_path)
    engine = SearchEngine(db_engine, tmp_path / "index")
    engine.open()
    assert engine.count() == 2
    assert [code for code, _ in engine.skipped.values()] == ["BAD-1"]
    assert engine.search("光电芯片").hits
    assert engine.project("BAD-1") is None and engine.project("OK-1") is not None
    assert engine.sync().added == 0  # not tried again and again while it stays the same
    engine.reindex()
    assert engine.count() == 2


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_a_bad_stored_row_never_stops_a_backup(db_engine: Engine, tmp_path: Path, fmt: str) -> None:
    _poison(db_engine, tmp_path)
    path = tmp_path / f"backup.{fmt}"
    assert export_file(db_engine, path) == 2
    assert "PWNED" not in path.read_text(encoding="utf-8")
    assert len(import_file(db_engine, path).unchanged) == 2
