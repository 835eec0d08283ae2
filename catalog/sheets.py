"""Reading .xlsx promotion lists as offices publish them (推介项目清单), streamed row by row.

A sheet may have title rows, a units note ("单位：亿元"), a two-level header with merged cells
(投资规模 → 总投资 / 拟引入民间资本), a 序号 column, blank rows, section rows ("一、交通运输"),
合计 rows and no code or batch column. Each sheet is first *planned* (its header rows found and
mapped, its unit and batch read); then its data rows become exchange rows (`SheetRow`), each
knowing the cell every field came from, so errors name the sheet and the cell.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from catalog.cells import from_cell
from catalog.errors import CatalogError, RowError
from catalog.exchange import AMOUNTS, LIST_SEPARATOR
from catalog.sheet_headers import (
    CONTACT_PERSON,
    SEQUENCE,
    Header,
    batch_of_title,
    read_header,
    unit_note,
    unit_of,
)
from catalog.stages import normalise_stage

HEADER_SEARCH_ROWS = 20
_TOTALS = {"合计", "小计", "总计", "共计", "total", "subtotal", "sum"}
_SECTION = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十]+[)）])\s*(.+)$"
)
_COUNT_NOTE = re.compile(r"[（(]\s*\d+\s*个?\s*[)）]\s*$")
_NOTE = re.compile(r"^\s*(注|备注|说明|note)\s*[:：]?", re.I)
_AMOUNT_TEXT = re.compile(r"^约?\s*([+-]?\d+(?:\.\d+)?)\s*(亿元|亿|万元|万|千元|元)?$")
_TAG_SPLIT = re.compile(r"[;；、]")


class SheetRow(dict[str, Any]):
    """An exchange row read from a sheet, with the cell each field came from."""

    def __init__(self, sheet: str, row: int, values: dict[str, Any], columns: dict[str, str]):
        super().__init__(values)
        self.sheet, self.row, self.columns = sheet, row, columns

    def locate(self, error: RowError) -> RowError:
        """The error of the row check, named at its sheet and cell."""
        column = self.columns.get(error.field or "")
        return RowError(self.row, error.field, error.reason, sheet=self.sheet, column=column)


@dataclass
class SheetPlan:
    """How one sheet is read: where its header is, what each column means, unit and batch."""

    sheet: str
    header_rows: tuple[int, ...] = ()
    headers: list[Header] = field(default_factory=list)
    unit: float | None = None
    batch: str | None = None
    batch_source: str = ""
    problems: list[RowError] = field(default_factory=list)

    @property
    def mapped(self) -> dict[str, Header]:
        return {h.field: h for h in self.headers if h.field and h.field != SEQUENCE}

    @property
    def unmapped(self) -> list[Header]:
        return [h for h in self.headers if h.field is None and h.text]

    def describe(self) -> list[str]:
        """The mapping as the dry run shows it: '总投资（亿元） → investment_cny × 1亿'."""
        lines = []
        for header in self.headers:
            if header.field is None or header.field == SEQUENCE:
                continue
            unit = ""
            if header.field in AMOUNTS:
                unit = f" × {_unit_name(header.unit or self.unit)}"
            lines.append(f"{header.text} → {header.field}{unit}")
        if self.unmapped:
            lines.append("not imported: " + ", ".join(h.text for h in self.unmapped))
        if self.batch:
            lines.append(f"batch {self.batch} ({self.batch_source})")
        return lines


def _unit_name(unit: float | None) -> str:
    return {1e8: "1亿", 1e4: "1万", 1e3: "1千", 1.0: "1元", 1e6: "1 million", 1e9: "1 billion"}.get(
        unit or 0.0, "?"
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _letter(column: int) -> str:
    return get_column_letter(column + 1)


def _plan(sheet: str, rows: Sequence[Sequence[Any]], batch: str | None) -> SheetPlan:
    plan = SheetPlan(sheet)
    scored = [
        (sum(1 for c in row if read_header(0, _text(c)).field not in (None, SEQUENCE)), i)
        for i, row in enumerate(rows)
    ]
    best, top = max(scored, default=(0, -1), key=lambda pair: (pair[0], -pair[1]))
    if best < 2:
        plan.problems.append(
            RowError(1, None, "no header row found (项目名称, 总投资, 建设内容 …)", sheet=sheet)
        )
        return plan
    headers = [read_header(i, _text(c)) for i, c in enumerate(rows[top])]
    plan.header_rows = (top + 1,)
    if top + 1 < len(rows):
        merged = _two_level(rows[top], rows[top + 1])
        if merged is not None:
            headers, plan.header_rows = merged, (top + 1, top + 2)
    plan.headers = headers
    above = [_text(c) for row in rows[:top] for c in row if _text(c)] + [sheet]
    plan.unit = next((u for u in map(unit_note, above) if u), None)
    plan.unit = plan.unit or next((unit_note(h.text) for h in headers if unit_note(h.text)), None)
    _choose_batch(plan, batch, above)
    _check_plan(plan)
    return plan


def _two_level(top: Sequence[Any], sub: Sequence[Any]) -> list[Header] | None:
    """Join a merged two-level header (投资规模 over 总投资 / 拟引入民间资本), or None."""
    upper = [read_header(i, _text(c)) for i, c in enumerate(top)]
    lower = [read_header(i, _text(c)) for i, c in enumerate(sub)]
    if not any(h.field and (i >= len(upper) or not upper[i].field) for i, h in enumerate(lower)):
        return None
    joined, carried = [], Header(0, "", None)
    for i in range(max(len(upper), len(lower))):
        up = upper[i] if i < len(upper) else Header(i, "", None)
        low = lower[i] if i < len(lower) else Header(i, "", None)
        carried = up if up.text else carried
        if not low.text:
            joined.append(up if up.text else Header(i, "", None))
            continue
        group = carried.text
        name = f"{group} {low.text}".strip()
        mapped = low.field or read_header(i, name).field
        joined.append(Header(i, name, mapped, low.unit or carried.unit))
    return joined


def _choose_batch(plan: SheetPlan, batch: str | None, above: list[str]) -> None:
    if "batch" in plan.mapped:
        plan.batch_source = "column"
        return
    if batch:
        plan.batch, plan.batch_source = batch, "given"
        return
    for text in above:
        found = batch_of_title(text)
        if found:
            plan.batch, plan.batch_source = found, f"title {text[:40]!r}"
            return
    plan.problems.append(
        RowError(
            plan.header_rows[0],
            "batch",
            "no batch: add a 批次 column, name it in a title (2025年第一批), "
            "or give it (tuijie import FILE --batch 2025-1; in the chat, as the file's caption)",
            sheet=plan.sheet,
        )
    )


def _check_plan(plan: SheetPlan) -> None:
    mapped = plan.mapped
    if "name" not in mapped:
        plan.problems.append(
            RowError(plan.header_rows[0], "name", "no 项目名称 column", sheet=plan.sheet)
        )
    for amount in AMOUNTS:
        header = mapped.get(amount)
        if header and (header.unit or plan.unit) is None:
            plan.problems.append(
                RowError(
                    plan.header_rows[-1],
                    amount,
                    f"{header.text!r}: no unit; write it in the header (总投资（万元）) or a note "
                    "above the table (单位：万元)",
                    sheet=plan.sheet,
                    column=_letter(header.column),
                )
            )


def _amount(value: Any, unit: float) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return round(value * unit, 2)
    text = _text(value).replace(",", "").replace("，", "")
    match = _AMOUNT_TEXT.match(text)
    if match is None:
        return text  # the row check names it
    cell_unit = unit_of(match.group(2)) if match.group(2) else unit
    return round(float(match.group(1)) * (cell_unit or unit), 2)


def _date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return _text(value)


def _is_skipped(texts: list[str], plan: SheetPlan) -> bool:
    """Blank rows, 合计/小计 rows, a repeated header, notes below the table."""
    if not texts:
        return True
    keys = {t.replace(" ", "").lower() for t in texts}
    if keys & _TOTALS:
        return True
    return len(texts) == 1 and bool(_NOTE.match(texts[0]))


def derived_code(batch: str, name: str) -> str:
    """A stable code for a row without one: the same batch and name give the same code."""
    digest = hashlib.sha1(f"{batch}\n{name.strip()}".encode()).hexdigest()[:10]
    return f"{batch}-{digest}"


def _row(plan: SheetPlan, number: int, cells: Sequence[Any], section: str | None) -> SheetRow:
    values: dict[str, Any] = {}
    columns: dict[str, str] = {}
    person = ""
    for header in plan.headers:
        if header.field in (None, SEQUENCE) or header.column >= len(cells):
            continue
        raw = cells[header.column]
        if raw is None or _text(raw) == "":
            continue
        name = header.field
        columns.setdefault(name, _letter(header.column))
        if name in AMOUNTS:
            values[name] = _amount(raw, header.unit or plan.unit or 1.0)
        elif name == "published_on":
            values[name] = _date(raw)
        elif name == "tags":
            values[name] = [from_cell(t) for t in _TAG_SPLIT.split(_text(raw)) if t.strip()]
        elif name == CONTACT_PERSON:
            person = _text(raw)
        else:
            values[name] = from_cell(_text(raw))
    if person:
        values["contact"] = f"{person} {values.get('contact', '')}".strip()
        columns.setdefault("contact", columns.get(CONTACT_PERSON, ""))
    _stage_wording(values)
    if section and "industry" not in values:
        values["industry"] = section
    if "batch" not in values and plan.batch:
        values["batch"] = plan.batch
    if "code" not in values and values.get("batch") and values.get("name"):
        values["code"] = derived_code(str(values["batch"]), str(values["name"]))
    return SheetRow(plan.sheet, number, values, columns)


def _stage_wording(values: dict[str, Any]) -> None:
    """Keep an office's longer progress wording in the summary when the stage says less."""
    wording = values.get("stage")
    if not isinstance(wording, str):
        return
    stage = normalise_stage(wording)
    if stage is not None and wording != stage and "summary" in values:
        values["summary"] = f"{values['summary']}\n项目进展：{wording}"


def _section(texts: list[str]) -> str | None:
    if len(texts) != 1:
        return None
    match = _SECTION.match(texts[0])
    return _COUNT_NOTE.sub("", match.group(1)).strip() or None if match else None


def sheet_plans(path: str | Path, *, batch: str | None = None) -> list[SheetPlan]:
    """How each sheet of the workbook will be read (reads only the first rows of each)."""
    return [plan for plan, _rows in _sheets(path, batch)]


class UnreadableWorkbook(CatalogError):
    """A file named .xlsx that openpyxl cannot open."""


def _sheets(path: str | Path, batch: str | None) -> Iterator[tuple[SheetPlan, Iterator[Any]]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise UnreadableWorkbook(f"not a readable .xlsx workbook ({exc})") from exc
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(min_row=1, values_only=True)
            head = []
            for row in rows:
                head.append(row)
                if len(head) >= HEADER_SEARCH_ROWS:
                    break
            if not any(_text(c) for row in head for c in row):
                continue  # an empty sheet
            plan = _plan(sheet.title, head, batch)
            start = (plan.header_rows or (0,))[-1]
            yield plan, _chain(head[start:], start, rows)
    finally:
        workbook.close()


def _chain(head: list[Any], start: int, rest: Iterator[Any]) -> Iterator[tuple[int, Any]]:
    number = start
    for row in head:
        number += 1
        yield number, row
    for row in rest:
        number += 1
        yield number, row


def xlsx_rows(path: str | Path, *, batch: str | None = None) -> Iterator[tuple[int, Any]]:
    """Stream (row number, SheetRow or RowError) over every sheet of the workbook."""
    try:
        yield from _workbook_rows(path, batch)
    except UnreadableWorkbook as exc:
        yield 1, RowError(1, None, str(exc))


def _workbook_rows(path: str | Path, batch: str | None) -> Iterator[tuple[int, Any]]:
    for plan, rows in _sheets(path, batch):
        if plan.problems:
            for problem in plan.problems:
                yield problem.line, problem
            continue
        section: str | None = None
        for number, cells in rows:
            texts = [_text(c) for c in cells if _text(c)]
            heading = _section(texts)
            if heading is not None:  # "一、交通运输（5个）": the sector of the rows below
                section = heading
                continue
            if _is_skipped(texts, plan):
                continue
            yield number, _row(plan, number, cells, section)


def plan_lines(path: str | Path, *, batch: str | None = None) -> list[str]:
    """The dry run's account of how the workbook is read, a sheet at a time."""
    lines: list[str] = []
    try:
        plans = sheet_plans(path, batch=batch)
    except UnreadableWorkbook:
        return []  # the import names it
    for plan in plans:
        rows = "+".join(str(r) for r in plan.header_rows) or "?"
        lines.append(f"{plan.sheet} (header row {rows}):")
        lines += [f"  {line}" for line in plan.describe()]
    return lines


__all__ = ["LIST_SEPARATOR", "SheetPlan", "SheetRow", "derived_code", "plan_lines", "xlsx_rows"]
