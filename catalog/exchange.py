"""The catalog exchange format: its fields, checking one record, writing .jsonl, .json and .csv.

Reading files is in catalog/readers.py.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from catalog.cells import to_cell
from catalog.errors import CatalogError, RowError
from catalog.models import PROJECT_STATUSES, PUBLISHED, ProjectCreate
from catalog.stages import STAGES, normalise_stage

FIELDS: tuple[str, ...] = (
    "code",
    "name",
    "name_en",
    "batch",
    "published_on",
    "region",
    "industry",
    "investment_cny",
    "private_capital_cny",
    "cooperation",
    "stage",
    "owner",
    "contact",
    "summary",
    "summary_en",
    "tags",
    "status",
)
REQUIRED: frozenset[str] = frozenset({"code", "name", "batch", "summary"})
AMOUNTS: tuple[str, ...] = ("investment_cny", "private_capital_cny")
TEXTS: frozenset[str] = frozenset(FIELDS) - {"published_on", "tags", *AMOUNTS}
MAX_LENGTH: dict[str, int] = {"code": 128, "batch": 64}
# One limit for every text field in every format, on import and on export: a CSV cell (the
# tags joined) never exceeds it, so whatever the catalog holds can be read back from any format.
MAX_TEXT = 65_536
MAX_AMOUNT = 10**14  # yuan: 100 trillion, far above any project; larger is a typo or garbage
FORMATS: tuple[str, ...] = ("jsonl", "json", "csv", "xlsx")
TEXT_FORMATS: tuple[str, ...] = ("jsonl", "json", "csv")
LIST_SEPARATOR = ";"

_STAGES = "use " + ", ".join(STAGES) + " (early, under construction, partly or fully in operation)"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A project code is one word: no whitespace or control characters, so commands can name it.
CODE = re.compile(r"[^\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202f\ufeff]+")


class UnsupportedFormat(CatalogError):
    """A file whose extension is not one of the exchange formats."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name}: unsupported file type; use .jsonl, .json, .csv or .xlsx")
        self.name = name


def format_of(path: str | Path) -> str:
    """The exchange format named by a file's extension ('jsonl', 'json' or 'csv')."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UnsupportedFormat(str(path))
    return suffix


# --- validating one record ---------------------------------------------------------------

# Control characters (tab and line breaks are text), lone surrogates (not Unicode: nothing can
# encode them) and noncharacters; such text would crash every writer or drive terminals.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def text_problem(text: str) -> str | None:
    """Why this text cannot be stored (a control character, invalid Unicode), or None."""
    bad = _BAD_CHAR.search(text)
    if bad is None:
        return None
    char = bad.group()
    kind = "invalid Unicode" if "\ud800" <= char <= "\udfff" else "a control character"
    return f"contains {kind} (U+{ord(char):04X} at character {bad.start() + 1})"


def stored_problem(project: Any) -> str | None:
    """Why a project already stored cannot be used (see text_problem), or None.

    Defence in depth for rows written before the checks existed or by other tools.
    """
    for field in TEXTS:
        value = getattr(project, field, None)
        if not isinstance(value, str):
            continue
        if len(value) > MAX_LENGTH.get(field, MAX_TEXT):
            return f"{field} longer than {MAX_LENGTH.get(field, MAX_TEXT)} characters"
        if problem := text_problem(value):
            return f"{field} {problem}"
    tags = [tag for tag in getattr(project, "tags", None) or [] if isinstance(tag, str)]
    if len(LIST_SEPARATOR.join(tags)) > MAX_TEXT:
        return f"tags longer than {MAX_TEXT} characters in all"
    for tag in tags:
        if problem := text_problem(tag):
            return f"tags {problem}"
    return None


def _check_text(field: str, value: Any, line: int) -> tuple[str | None, RowError | None]:
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, RowError(line, field, f"must be a string, not {kind_of(value)}")
    text = value.strip()
    limit = MAX_LENGTH.get(field, MAX_TEXT)
    if len(text) > limit:
        return None, RowError(line, field, f"longer than {limit} characters")
    if field != "code" and (problem := text_problem(text)):  # a code has its own check
        return None, RowError(line, field, problem)
    return text or None, None


def _check_amount(field: str, value: Any, line: int) -> tuple[float | None, RowError | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return None, RowError(line, field, f"{shown!r} is not a number")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, RowError(line, field, f"must be a number, not {kind_of(value)}")
    if not math.isfinite(value):
        return None, RowError(line, field, "must be a finite number")
    if value < 0:
        return None, RowError(line, field, f"must not be negative (got {_number_text(value)})")
    if value > MAX_AMOUNT:
        return None, RowError(line, field, "must be at most 10^14 yuan (100 trillion)")
    return float(value), None


def _check_date(value: Any, line: int) -> tuple[date | None, RowError | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if not isinstance(value, str):
        return None, RowError(
            line, "published_on", f"must be a YYYY-MM-DD string, not {kind_of(value)}"
        )
    text = value.strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text), None
    except ValueError:
        return None, RowError(line, "published_on", f"{text!r} is not a date in YYYY-MM-DD form")


def _check_tags(value: Any, line: int) -> tuple[list[str], RowError | None]:
    if value is None:
        return [], None
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        return [], RowError(line, "tags", f"must be a list of strings, not {kind_of(value)}")
    tags = [tag.strip() for tag in value if tag.strip()]
    if any(LIST_SEPARATOR in tag for tag in tags):
        return [], RowError(line, "tags", f"a tag must not contain {LIST_SEPARATOR!r}")
    if len(LIST_SEPARATOR.join(tags)) > MAX_TEXT:
        return [], RowError(line, "tags", f"longer than {MAX_TEXT} characters in all")
    for tag in tags:
        if problem := text_problem(tag):
            return [], RowError(line, "tags", problem)
    return tags, None


def validate_record(
    raw: Mapping[str, Any], line: int
) -> tuple[ProjectCreate | None, list[RowError]]:
    """Check one decoded row against the format; the project, or every problem with its field."""
    errors = [RowError(line, key, "unknown field") for key in raw if key not in FIELDS]
    values: dict[str, Any] = {}
    for field in TEXTS:
        values[field], error = _check_text(field, raw.get(field), line)
        errors += [error] if error else []
    code = values["code"]
    if code is not None and (not CODE.fullmatch(code) or text_problem(code)):
        errors.append(RowError(line, "code", "must be one word: no spaces or control characters"))
    if values["stage"] is not None:
        stage = normalise_stage(values["stage"])
        if stage is None:
            errors.append(RowError(line, "stage", f"{values['stage']!r} is not a stage; {_STAGES}"))
        values["stage"] = stage
    for field in AMOUNTS:
        values[field], error = _check_amount(field, raw.get(field), line)
        errors += [error] if error else []
    values["published_on"], error = _check_date(raw.get("published_on"), line)
    errors += [error] if error else []
    values["tags"], error = _check_tags(raw.get("tags"), line)
    errors += [error] if error else []
    invalid = {e.field for e in errors}
    for field in sorted(REQUIRED - invalid, key=FIELDS.index):
        if values[field] is None:
            errors.append(RowError(line, field, "required, must not be empty"))
    status = values["status"] or PUBLISHED
    if "status" not in invalid and status not in PROJECT_STATUSES:
        errors.append(RowError(line, "status", f"{status!r} is not one of published, withdrawn"))
    values["status"] = status
    total, private = values["investment_cny"], values["private_capital_cny"]
    if total is not None and private is not None and private > total:
        errors.append(
            RowError(
                line,
                "private_capital_cny",
                f"{_number_text(private)} is more than investment_cny {_number_text(total)}",
            )
        )
    if errors:
        return None, errors
    try:
        return ProjectCreate.model_validate(values), []
    except ValidationError as exc:  # a constraint of the model the checks above missed
        return None, [
            RowError(line, ".".join(str(p) for p in e["loc"]) or None, e["msg"])
            for e in exc.errors()
        ]


def kind_of(value: Any) -> str:
    """How a JSON value is named in error messages ("a list", "null"...)."""
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


# --- writing files -------------------------------------------------------------------------


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def json_number(value: float) -> int | float:
    """An amount as JSON writes it: integral values as integers (3600000000, not 3600000000.0)."""
    return int(value) if float(value).is_integer() else float(value)


def record_dict(project: Any) -> dict[str, Any]:
    """A project (model or row) as an exchange object: fields in order, absent ones left out."""
    out: dict[str, Any] = {}
    for field in FIELDS:
        value = getattr(project, field)
        if value is None or (field == "tags" and not value):
            continue
        if field in AMOUNTS:
            value = json_number(value)
        elif field == "published_on":
            value = value.isoformat()
        elif field == "tags":
            value = list(value)
        out[field] = value
    return out


def _csv_cells(record: dict[str, Any]) -> list[str]:
    cells = []
    for field in FIELDS:
        value = record.get(field)
        if value is None:
            cells.append("")
        elif field == "tags":
            cells.append(LIST_SEPARATOR.join(to_cell(tag) for tag in value))
        elif field in AMOUNTS:
            cells.append(_number_text(value))
        else:
            cells.append(to_cell(str(value)))
    return cells


def write_records(fh: TextIO, projects: Iterable[Any], fmt: str) -> int:
    """Write projects to an open text file in `fmt`; the count written (streams)."""
    count = 0
    if fmt == "csv":
        fh.write("\ufeff")  # spreadsheet programs need the BOM to read UTF-8
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(FIELDS)
        for project in projects:
            writer.writerow(_csv_cells(record_dict(project)))
            count += 1
        return count
    if fmt == "json":
        fh.write("[")
    for project in projects:
        text = json.dumps(record_dict(project), ensure_ascii=False)
        if fmt == "json":
            fh.write(("," if count else "") + "\n  " + text)
        else:
            fh.write(text + "\n")
        count += 1
    if fmt == "json":
        fh.write("\n]\n" if count else "]\n")
    return count
