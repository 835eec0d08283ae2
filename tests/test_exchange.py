"""The exchange format on its own: validation of one row, reading each file type, writing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from catalog import readers
from catalog.errors import RowError
from catalog.exchange import (
    UnsupportedFormat,
    format_of,
    record_dict,
    validate_record,
    write_records,
)
from catalog.models import ProjectCreate
from catalog.readers import read_rows

GOOD: dict[str, Any] = {
    "code": "TY-1",
    "name": "太原半导体生态科技港项目",
    "batch": "2024-4",
    "summary": "半导体产业基地",
    "published_on": "2024-11-20",
    "investment_cny": 1_000_000,
    "private_capital_cny": 400_000.5,
    "tags": ["半导体", "光电"],
}


def test_a_good_row_becomes_a_project_with_defaults() -> None:
    record, errors = validate_record(GOOD, 3)
    assert errors == []
    assert record is not None
    assert record.published_on == date(2024, 11, 20)
    assert record.investment_cny == 1_000_000.0
    assert record.status == "published"
    assert record.tags == ["半导体", "光电"]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"colour": "red"}, "colour", "unknown field"),
        ({"investment_cny": -5}, "investment_cny", "negative"),
        ({"private_capital_cny": 2_000_000}, "private_capital_cny", "more than investment_cny"),
        ({"published_on": "2024/11/20"}, "published_on", "YYYY-MM-DD"),
        ({"published_on": "2024-02-30"}, "published_on", "YYYY-MM-DD"),
        ({"published_on": 20241120}, "published_on", "YYYY-MM-DD"),
        ({"investment_cny": "一百万"}, "investment_cny", "is not a number"),
        ({"investment_cny": True}, "investment_cny", "must be a number"),
        ({"investment_cny": float("nan")}, "investment_cny", "finite"),
        ({"name": 12}, "name", "must be a string"),
        ({"tags": "半导体"}, "tags", "list of strings"),
        ({"tags": ["a;b"]}, "tags", "must not contain"),
        ({"code": "  "}, "code", "required"),
        ({"name": None}, "name", "required"),
        ({"batch": ""}, "batch", "required"),
        ({"summary": "   "}, "summary", "required"),
        ({"status": "draft"}, "status", "published, withdrawn"),
        ({"code": "x" * 129}, "code", "longer than 128"),
    ],
)
def test_each_kind_of_bad_value_is_named_with_line_and_field(
    change: dict[str, Any], field: str, reason: str
) -> None:
    record, errors = validate_record({**GOOD, **change}, 7)
    assert record is None
    assert [(e.line, e.field) for e in errors] == [(7, field)]
    assert reason in errors[0].reason


def test_every_problem_of_a_row_is_reported_not_just_the_first() -> None:
    raw = {"code": "", "name": "n", "summary": "s", "investment_cny": -1, "extra": 1}
    _, errors = validate_record(raw, 2)
    assert {e.field for e in errors} == {"code", "batch", "investment_cny", "extra"}


def test_format_follows_the_extension() -> None:
    assert format_of("a/B.JSONL") == "jsonl"
    assert format_of("x.csv") == "csv"
    assert format_of("清单.XLSX") == "xlsx"
    with pytest.raises(UnsupportedFormat):
        format_of("catalog.xls")


def _rows(path: Path) -> list[tuple[int, dict[str, Any] | RowError]]:
    return list(read_rows(path))


def test_jsonl_rows_carry_file_lines_and_invalid_json_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"code": "A"}\n\n{"code": \n[1, 2]\n{"code": "B"}\n', encoding="utf-8")
    rows = _rows(path)
    assert [line for line, _ in rows] == [1, 3, 4, 5]
    assert rows[0][1] == {"code": "A"}
    assert isinstance(rows[1][1], RowError) and "invalid JSON" in rows[1][1].reason
    assert isinstance(rows[2][1], RowError) and "JSON object" in rows[2][1].reason
    assert rows[3][1] == {"code": "B"}


@pytest.mark.parametrize("chunk", [3, 7, 1 << 20])
def test_json_array_elements_carry_the_line_they_start_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(readers, "_READ_CHUNK", chunk)  # exercise the refill path too
    path = tmp_path / "c.json"
    path.write_text(
        '[\n  {"code": "A", "n": 12345},\n\n  {"code": "B",\n   "tags": ["x"]},\n'
        '  {"code": "C"}\n]\n',
        encoding="utf-8",
    )
    assert _rows(path) == [
        (2, {"code": "A", "n": 12345}),
        (4, {"code": "B", "tags": ["x"]}),
        (6, {"code": "C"}),
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('{"code": "A"}', 1, "JSON array"),
        ('[\n{"code": "A"},\n{"code": }\n]', 3, "invalid JSON"),
        ('[\n{"code": "A"},\n]', 3, "invalid JSON"),
        ('[\n{"code": "A"}\n', 3, "not closed"),
        ('[{"code": "A"}] x', 1, "extra data"),
        ('[{"code": "A"}, 5]', 1, "JSON object"),
    ],
)
def test_broken_json_arrays_are_row_errors(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    errors = [row for _, row in _rows(path) if isinstance(row, RowError)]
    assert len(errors) == 1
    assert errors[0].line == line and reason in errors[0].reason


def test_an_empty_json_array_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(" [ ] \n", encoding="utf-8")
    assert _rows(path) == []


def test_csv_with_bom_multiline_cells_and_semicolon_tags(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        "\ufeffcode,name,batch,summary,tags,investment_cny\n"
        'A,甲,2024-1,"第一行\n第二行",半导体; 光电 ;,3600000000\n'
        "\n"
        "B,乙,2024-1,摘要,,12.5\n".encode()
    )
    rows = _rows(path)
    assert [line for line, _ in rows] == [2, 5]
    first, second = rows[0][1], rows[1][1]
    assert isinstance(first, dict) and isinstance(second, dict)
    assert first["summary"] == "第一行\n第二行"
    assert first["investment_cny"] == 3600000000
    record, errors = validate_record(first, 2)
    assert errors == [] and record is not None and record.tags == ["半导体", "光电"]
    assert "tags" not in second and second["investment_cny"] == 12.5


def test_csv_header_problems_are_reported_on_line_1(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("code,name,colour,summary\nA,n,red,s\n", encoding="utf-8")
    errors = [row for _, row in _rows(path)]
    assert {(e.line, e.field) for e in errors if isinstance(e, RowError)} == {
        (1, "colour"),
        (1, "batch"),
    }


def test_csv_text_in_a_number_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("code,name,batch,summary,investment_cny\nA,n,b,s,about 5\n", encoding="utf-8")
    [(line, row)] = _rows(path)
    assert isinstance(row, dict)
    _, errors = validate_record(row, line)
    assert [(e.line, e.field) for e in errors] == [(2, "investment_cny")]


def test_a_csv_row_with_too_many_values_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("code,name,batch,summary\nA,n,b,s,extra\n", encoding="utf-8")
    [(line, row)] = _rows(path)
    assert isinstance(row, RowError) and line == 2


def test_invalid_utf8_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"code": "A"}\n{"code": "\xff"}\n')
    errors = [row for _, row in _rows(path) if isinstance(row, RowError)]
    assert errors and "UTF-8" in errors[0].reason


def test_integral_amounts_are_written_as_integers_and_absent_fields_left_out() -> None:
    project = ProjectCreate.model_validate(
        {**GOOD, "investment_cny": 3600000000.0, "published_on": date(2024, 11, 20)}
    )
    out = record_dict(project)
    assert list(out) == [
        "code",
        "name",
        "batch",
        "published_on",
        "investment_cny",
        "private_capital_cny",
        "summary",
        "tags",
        "status",
    ]
    text = json.dumps(out)
    assert '"investment_cny": 3600000000,' in text
    assert '"private_capital_cny": 400000.5' in text


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_written_files_read_back_to_the_same_projects(tmp_path: Path, fmt: str) -> None:
    projects = [
        ProjectCreate.model_validate({**GOOD, "code": f"C{i}", "summary": 'a, "b"\nc'})
        for i in range(3)
    ]
    path = tmp_path / f"out.{fmt}"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        assert write_records(fh, projects, fmt) == 3
    back = []
    for line, row in read_rows(path):
        assert isinstance(row, dict)
        record, errors = validate_record(row, line)
        assert errors == [] and record is not None
        back.append(record)
    assert back == projects
