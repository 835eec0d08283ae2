"""Writing the catalog as one .xlsx sheet in the exchange format's fields: Chinese and English
header names, amounts in yuan, a frozen header row and column widths that fit. Streamed
(openpyxl's write-only mode); reading it back with `tuijie import` gives every field again."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from catalog.cells import to_cell
from catalog.exchange import AMOUNTS, FIELDS, LIST_SEPARATOR, record_dict

SHEET = "推介项目 Projects"
CHINESE = {
    "code": "项目编号",
    "name": "项目名称",
    "name_en": "英文名称",
    "batch": "批次",
    "published_on": "发布日期",
    "region": "所在地区",
    "industry": "所属行业",
    "investment_cny": "总投资（元）",
    "private_capital_cny": "拟引入民间资本（元）",
    "cooperation": "合作方式",
    "stage": "项目进展",
    "owner": "项目单位",
    "contact": "联系方式",
    "summary": "项目简介",
    "summary_en": "英文简介",
    "tags": "标签",
    "status": "状态",
}
HEADERS = tuple(f"{CHINESE[field]} / {field}" for field in FIELDS)
MAX_WIDTH, SAMPLE = 60, 500


def _cells(record: dict[str, Any]) -> list[Any]:
    cells: list[Any] = []
    for field in FIELDS:
        value = record.get(field)
        if value is None:
            cells.append(None)
        elif field in AMOUNTS:
            cells.append(value)
        elif field == "tags":
            cells.append(LIST_SEPARATOR.join(to_cell(tag) for tag in value))
        else:
            cells.append(to_cell(str(value)))
    return cells


def _width(value: Any) -> int:
    """Display width of a cell's first line: CJK characters count double."""
    text = str(value).split("\n", 1)[0] if value is not None else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_xlsx(path: str | Path, projects: Iterable[Any]) -> int:
    """Write the projects to `path` as one sheet; the count written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    rows = (_cells(record_dict(project)) for project in projects)
    sample = list(itertools.islice(rows, SAMPLE))
    for column, header in enumerate(HEADERS):
        widest = max([_width(header), *(_width(row[column]) for row in sample)])
        sheet.column_dimensions[get_column_letter(column + 1)].width = min(widest + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.append(list(HEADERS))
    count = 0
    for row in itertools.chain(sample, rows):
        sheet.append(row)
        count += 1
    workbook.save(path)
    return count
