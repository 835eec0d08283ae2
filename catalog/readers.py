"""Reading exchange files: rows streamed from .jsonl, .json (one array) and .csv files, each with
the line it starts on, or the RowError that stops it from being decoded."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from catalog.cells import from_cell
from catalog.errors import RowError
from catalog.exchange import (
    AMOUNTS,
    FIELDS,
    LIST_SEPARATOR,
    MAX_TEXT,
    REQUIRED,
    format_of,
    kind_of,
)
from catalog.sheets import xlsx_rows

_INT = re.compile(r"[+-]?\d+")
_READ_CHUNK = 1 << 20
# a CSV cell a little over the text limit still reads, so validation names it with its field
_CSV_FIELD_LIMIT = MAX_TEXT * 4

RawRow = tuple[int, dict[str, Any] | RowError]


class _BadUtf8(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def _decode_problem(exc: Exception) -> str:
    """What stops a JSON text from being decoded, in one sentence."""
    if isinstance(exc, _DuplicateKey):
        return f"invalid JSON: the key {exc.key!r} appears twice in one object"
    if isinstance(exc, RecursionError):
        return "invalid JSON: nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} (column {exc.colno})"
    return "invalid JSON: a number with too many digits"  # int() refuses thousands of digits


class _Utf8Text:
    """A binary file read as UTF-8 text, line by line, knowing the line a bad byte is on."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.lines = 0  # complete lines handed out so far
        self.first = True

    def _decode(self, data: bytes) -> str:
        if self.first:
            self.first = False
            data = data.removeprefix(b"\xef\xbb\xbf")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _BadUtf8(self.lines + data.count(b"\n", 0, exc.start) + 1) from None
        self.lines += data.count(b"\n")
        return text

    def __iter__(self) -> Iterator[str]:
        for data in self.raw:
            yield self._decode(data)

    def read(self, size: int) -> str:
        data = self.raw.read(size)
        if data and not data.endswith(b"\n"):
            data += self.raw.readline()  # end on a line break: no character is cut in two
        return self._decode(data)


def read_rows(
    path: str | Path, fmt: str | None = None, *, batch: str | None = None
) -> Iterator[RawRow]:
    """Stream (line, decoded row) pairs, or (line, RowError) where a row cannot be decoded.

    `batch` is the batch of an .xlsx sheet that names none (the exchange formats always do).
    """
    fmt = fmt or format_of(path)
    if fmt == "xlsx":
        yield from xlsx_rows(path, batch=batch)
        return
    with open(path, "rb") as raw:
        fh = _Utf8Text(raw)
        reader = {"jsonl": _jsonl_rows, "json": _json_array_rows, "csv": _csv_rows}[fmt]
        try:
            yield from reader(fh)
        except _BadUtf8 as exc:
            yield exc.line, RowError(exc.line, None, "the line is not valid UTF-8 text")


def _jsonl_rows(fh: _Utf8Text) -> Iterator[RawRow]:
    for number, text in enumerate(fh, start=1):
        if not text.strip():
            continue
        try:
            row = _DECODER.decode(text)
        except (ValueError, RecursionError) as exc:
            yield number, RowError(number, None, _decode_problem(exc))
            continue
        if not isinstance(row, dict):
            yield number, RowError(number, None, f"must be a JSON object, not {kind_of(row)}")
            continue
        yield number, row


def _json_array_rows(fh: _Utf8Text) -> Iterator[RawRow]:
    """Stream the elements of a top-level JSON array with the line each one starts on."""
    decoder = _DECODER
    buf, pos, line, eof = "", 0, 1, False

    def more() -> bool:
        nonlocal buf, pos, eof
        chunk = fh.read(_READ_CHUNK)
        buf, pos, eof = buf[pos:] + chunk, 0, not chunk
        return bool(chunk)

    def skip_space() -> str:
        nonlocal pos, line
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                line += buf[pos] == "\n"
                pos += 1
            if pos < len(buf) or not more():
                return buf[pos] if pos < len(buf) else ""

    if skip_space() != "[":
        yield line, RowError(line, None, "a .json file must hold a JSON array of objects")
        return
    pos += 1
    expect_value, seen = True, 0
    while True:
        char = skip_space()
        if char == "]" and not (expect_value and seen):
            pos += 1
            if skip_space():
                yield line, RowError(line, None, "invalid JSON: extra data after the array")
            return
        if not char:
            yield line, RowError(line, None, "invalid JSON: the array is not closed with ']'")
            return
        if not expect_value:
            if char != ",":
                yield line, RowError(line, None, "invalid JSON: expected ',' or ']'")
                return
            pos += 1
            expect_value = True
            continue
        start_line = line
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
                if end < len(buf) or eof:  # a number may go on in the next chunk
                    break
            except json.JSONDecodeError as exc:
                if eof:
                    where = start_line + buf.count("\n", pos, exc.pos)
                    yield where, RowError(where, None, f"invalid JSON: {exc.msg}")
                    return
            except (ValueError, RecursionError) as exc:  # complete but not acceptable
                yield start_line, RowError(start_line, None, _decode_problem(exc))
                return
            more()  # moves the unread text to the front: decode it again
        line += buf.count("\n", pos, end)
        pos = end
        expect_value, seen = False, seen + 1
        if isinstance(value, dict):
            yield start_line, value
        else:
            yield (
                start_line,
                RowError(start_line, None, f"must be a JSON object, not {kind_of(value)}"),
            )


def _csv_rows(fh: _Utf8Text) -> Iterator[RawRow]:
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    reader = csv.reader(fh, strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, RowError(1, None, f"invalid CSV: {exc}")
        return
    problems = [RowError(1, name, "unknown field") for name in header if name not in FIELDS]
    problems += [
        RowError(1, name, "column appears twice") for name in set(header) if header.count(name) > 1
    ]
    problems += [
        RowError(1, name, "required column is missing")
        for name in sorted(REQUIRED)
        if name not in header
    ]
    if problems:
        for problem in problems:
            yield 1, problem
        return
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            too_long = "field limit" in str(exc)
            reason = f"a value is longer than {MAX_TEXT} characters" if too_long else f"{exc}"
            yield start, RowError(start, None, f"invalid CSV: {reason}")
            return
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            yield start, RowError(start, None, f"{len(cells)} values but {len(header)} columns")
            continue
        yield start, _csv_record(dict(zip(header, cells, strict=False)), start)


def _csv_record(cells: dict[str, str], line: int) -> dict[str, Any] | RowError:
    """Turn CSV text cells into the typed values a JSON row would hold."""
    row: dict[str, Any] = {}
    for field, text in cells.items():
        text = text.strip()
        if not text:
            continue
        if field == "tags":
            row[field] = [from_cell(tag) for tag in text.split(LIST_SEPARATOR)]
        elif field in AMOUNTS:
            row[field] = _parse_number(text)
        else:
            row[field] = from_cell(text)
    return row


def _parse_number(text: str) -> int | float | str:
    """A CSV cell as a number; unparsable text stays text so validation names it."""
    if _INT.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # thousands of digits: Python refuses to convert it
            return text
    try:
        return float(text)
    except ValueError:
        return text
