"""Excel promotion lists in and out: sheets written the way offices write them, read as they are."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sheetmaker import office_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session
from test_import_export import sample_projects, write_file

from bot.cli import catalog as cli_catalog
from bot.settings import Settings
from catalog.db import open_database, sqlite_url
from catalog.errors import InvalidCatalogFile
from catalog.importer import export_file, import_file
from catalog.projects import count_projects, iter_project_rows
from catalog.sheets import derived_code, plan_lines


def _projects(engine: Engine) -> dict[str, dict[str, Any]]:
    with Session(engine) as session:
        return {p.name: dict(p._mapping) for p in iter_project_rows(session)}


def test_an_office_sheet_is_read_as_it_is(tmp_path: Path, db_engine: Engine) -> None:
    path = office_workbook(tmp_path / "清单.xlsx")
    report = import_file(db_engine, path)
    assert len(report.new) == 4 and not report.updated
    got = _projects(db_engine)
    wind = got["朔州风光储一体化项目"]
    # title batch, 亿元 from the note, merged two-level header, stage wording mapped and kept
    assert wind["batch"] == "2025-1"
    assert (wind["investment_cny"], wind["private_capital_cny"]) == (12e8, 3.5e8)
    assert wind["stage"] == "前期" and wind["summary"].endswith("项目进展：前期工作推进中")
    assert wind["code"] == derived_code("2025-1", "朔州风光储一体化项目")
    hydrogen = got["大同氢能产业园"]  # amounts written as text, with and without a unit
    assert (hydrogen["investment_cny"], hydrogen["private_capital_cny"]) == (8.5e8, 2e8)
    assert hydrogen["stage"] == "在建"
    logistics = got["临汾物流枢纽"]  # no sector cell: the section row above names it
    assert logistics["industry"] == "交通运输" and logistics["private_capital_cny"] is None
    town = got["忻州文旅小镇"]  # second sheet: other wording, 万元 in the header, contact joined
    assert town["batch"] == "2025-2"  # 2025年度第二批 in its title
    assert (town["investment_cny"], town["private_capital_cny"]) == (8e8, 3e8)
    assert (town["owner"], town["contact"], town["stage"]) == (
        "忻州文旅集团",
        "张三 0350-1234567",
        "已投产",
    )
    assert "合计" not in got and len(got) == 4  # 合计, blank and section rows are not projects
    again = import_file(db_engine, path)
    assert not again.changed and len(again.unchanged) == 4  # stable codes: nothing changes


def test_the_dry_run_shows_the_mapping_and_the_columns_left_out(tmp_path: Path) -> None:
    path = office_workbook(tmp_path / "清单.xlsx")
    lines = plan_lines(path)
    assert "推介项目清单 (header row 3+4):" in lines
    assert "  投资规模 总投资 → investment_cny × 1亿" in lines
    assert "  计划总投资（万元） → investment_cny × 1万" in lines
    assert "  not imported: 备注" in lines
    assert any("batch 2025-1 (title" in line for line in lines)


def test_cli_dry_run_prints_the_mapping_then_the_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = office_workbook(tmp_path / "清单.xlsx")
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    args = argparse.Namespace(file=str(path), dry_run=True, batch="2025-2")
    assert cli_catalog.cmd_import(args, settings) == 0
    out = capsys.readouterr().out
    assert out.index("→ investment_cny × 1亿") < out.index("would import 4 new")
    with Session(open_database(settings.database_url)) as session:
        assert count_projects(session) == 0


def test_a_sheet_without_any_batch_is_refused_saying_how(tmp_path: Path, db_engine: Engine) -> None:
    path = office_workbook(tmp_path / "清单.xlsx", second_title=None)
    with pytest.raises(InvalidCatalogFile) as caught:
        import_file(db_engine, path)
    (error,) = caught.value.errors
    assert error.sheet == "第二批" and "--batch" in error.reason and "批次" in error.reason
    assert not _projects(db_engine)
    report = import_file(db_engine, path, batch="2025-7")  # a given batch serves every sheet
    assert len(report.new) == 4
    assert {p["batch"] for p in _projects(db_engine).values()} == {"2025-7"}


def test_bad_cells_are_named_by_sheet_and_cell_and_nothing_is_applied(
    tmp_path: Path, db_engine: Engine
) -> None:
    rows = [
        [1, "好项目", "山西省", "新能源", "建设内容。", 2, 1, "合资", "在建"],
        [2, "金额写成文字", "山西省", "新能源", "建设内容。", "约两亿", None, "合资", "在建"],
        [3, "民资超过总投资", "山西省", "新能源", "建设内容。", 2, 5, "合资", "在建"],
        [4, "阶段不明", "山西省", "新能源", "建设内容。", 2, 1, "合资", "打酱油"],
    ]
    path = office_workbook(tmp_path / "bad.xlsx", second_sheet=False, rows=rows)
    with pytest.raises(InvalidCatalogFile) as caught:
        import_file(db_engine, path)
    where = {e.location: e for e in caught.value.errors}
    assert set(where) == {"推介项目清单!F7", "推介项目清单!G8", "推介项目清单!I9"}
    assert "'约两亿' is not a number" in where["推介项目清单!F7"].reason
    assert "more than investment_cny" in where["推介项目清单!G8"].reason
    assert "前期" in where["推介项目清单!I9"].reason
    assert "推介项目清单!F7, field 'investment_cny'" in str(caught.value)
    assert not _projects(db_engine)


def test_a_sheet_with_a_code_column_and_english_headers(tmp_path: Path, db_engine: Engine) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Code", "Project name", "Batch", "Total investment (million yuan)", "Summary"])
    sheet.append(["SX-001", "Wind farm", "2025-3", 120, "A 100 MW wind farm."])
    workbook.save(tmp_path / "en.xlsx")
    report = import_file(db_engine, tmp_path / "en.xlsx")
    assert report.new == ["SX-001"]
    assert _projects(db_engine)["Wind farm"]["investment_cny"] == 120e6


def test_amounts_without_a_unit_are_refused_at_the_header(
    tmp_path: Path, db_engine: Engine
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["项目名称", "批次", "总投资", "项目简介"])
    sheet.append(["某项目", "2025-1", 5, "简介。"])
    workbook.save(tmp_path / "nounit.xlsx")
    with pytest.raises(InvalidCatalogFile) as caught:
        import_file(db_engine, tmp_path / "nounit.xlsx")
    (error,) = caught.value.errors
    assert error.location == "Sheet!C1" and "单位" in error.reason


def test_a_file_that_is_not_a_workbook_is_one_clear_error(
    tmp_path: Path, db_engine: Engine
) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(InvalidCatalogFile) as caught:
        import_file(db_engine, path)
    assert "not a readable .xlsx workbook" in str(caught.value)


def test_xlsx_export_import_export_keeps_every_field(tmp_path: Path) -> None:
    first = open_database(sqlite_url(tmp_path / "a.db"))
    records = sample_projects(6)
    import_file(first, write_file(tmp_path / "in.jsonl", records))
    export_file(first, tmp_path / "out.xlsx")
    export_file(first, tmp_path / "a.jsonl")
    sheet = load_workbook(tmp_path / "out.xlsx", read_only=False)["推介项目 Projects"]
    assert sheet.freeze_panes == "A2"
    assert (
        sheet["A1"].value == "项目编号 / code"
        and sheet["H1"].value == "总投资（元） / investment_cny"
    )
    assert sheet.column_dimensions["N"].width > sheet.column_dimensions["A"].width
    second = open_database(sqlite_url(tmp_path / "b.db"))
    import_file(second, tmp_path / "out.xlsx")
    export_file(second, tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "'=kept"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_text_is_not_a_formula_and_comes_back(tmp_path: Path, fmt: str) -> None:
    first = open_database(sqlite_url(tmp_path / "a.db"))
    rows = [
        {"code": f"F{i}", "name": text, "batch": "2025-1", "summary": text, "tags": [text]}
        for i, text in enumerate(FORMULAS)
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    import_file(first, source)
    export_file(first, tmp_path / f"out.{fmt}")
    if fmt == "csv":
        with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as fh:
            cells = [cell for row in list(csv.reader(fh))[1:] for cell in row]
    else:
        sheet = load_workbook(tmp_path / "out.xlsx")["推介项目 Projects"]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        cells = [str(c.value) for row in sheet.iter_rows(min_row=2) for c in row if c.value]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in cells)
    second = open_database(sqlite_url(tmp_path / "b.db"))
    import_file(second, tmp_path / f"out.{fmt}")
    export_file(first, tmp_path / "a.jsonl")
    export_file(second, tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
