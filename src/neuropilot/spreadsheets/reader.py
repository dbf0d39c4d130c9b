"""Reading an uploaded CSV (CONTRACT §16): the body, its encoding, the header and the records,
each record with the line it starts on, and every problem found, located by line and column.

Problems are collected, not raised one at a time: a 422 lists every invalid cell of the file
(`{path: "line 13: unit_cost", line, column, message}`), so a person fixes the file once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from neuropilot.errors import Problem

MAX_ROWS = 10_000
MAX_BYTES = 2 * 1024 * 1024
MAX_PROBLEMS = 1_000  # listed in one answer; the detail says how many there were in all
BOM = "\ufeff"
_NUMBER = re.compile(r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_COMMA_DECIMAL = re.compile(r"^[0-9]{1,3}(?:[ .'][0-9]{3})*,[0-9]+$|^[0-9]+,[0-9]+$")
_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029\x85]")
TRUE, FALSE = ("true", "yes", "1"), ("false", "no", "0")


@dataclass
class Problems:
    """Every problem of one file, in the order found."""

    found: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    def add(self, line: int, column: str | None, message: str) -> None:
        self.total += 1
        if len(self.found) < MAX_PROBLEMS:
            path = f"line {line}" + (f": {column}" if column else "")
            self.found.append({"path": path, "line": line, "column": column, "message": message})

    def check(self) -> None:
        """422 listing every problem, if there is any: then nothing is written."""
        if not self.found:
            return
        self.found.sort(key=lambda problem: problem["line"])  # stable: a line's problems keep their order
        first = self.found[0]
        more = f" (and {self.total - 1} more)" if self.total > 1 else ""
        shown = f"; the first {len(self.found)} are listed" if self.total > len(self.found) else ""
        detail = f"{first['path']}: {first['message']}{more}{shown}. Nothing was imported."
        raise Problem(422, detail, errors=self.found)


@dataclass(frozen=True)
class Record:
    line: int  # where the record starts (the header is line 1); a quoted cell may span lines
    cells: dict[str, str]  # column → the cell's text, surrounding spaces removed


@dataclass(frozen=True)
class Sheet:
    columns: tuple[str, ...]
    records: list[Record]


def _content_type_ok(request: Request) -> bool:
    media, *params = request.headers.get("content-type", "").split(";")
    if media.strip().lower() != "text/csv":
        return False
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def _decode(body: bytes, problems: Problems) -> str:
    try:
        return body.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        byte = body[exc.start]
        problems.add(line, None, f'not UTF-8 (byte 0x{byte:02X}): save the file as "CSV UTF-8" and upload it again')
        problems.check()
        raise AssertionError("unreachable") from None


def _records(text: str, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each record; blank lines (and rows of empty cells) are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.add(line + 1, None, f"the CSV is malformed ({exc}): check the quotes of this row")
            return
        start, line = line + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


async def read_sheet(request: Request, known: tuple[str, ...], required: tuple[str, ...]) -> Sheet:
    """The file's records by column name, or a problem: 415 not text/csv, 422 for the file's faults
    (not UTF-8, no header, an unknown, repeated or missing column, a row with more or fewer cells
    than the header, more than MAX_ROWS rows). The body limit (413) is the edge's (security.py)."""
    if not _content_type_ok(request):
        raise Problem(415, "Send the file as text/csv (UTF-8, comma-separated, the first line naming the columns).")
    problems = Problems()
    text = _decode(await request.body(), problems)
    records = _records(text, problems)
    first = next(records, None)
    if first is None or first[0] != 1:
        example = ",".join(known[:3])
        problems.add(1, None, f"the first line names the columns, e.g. {example}; this file has no header")
        problems.check()
    assert first is not None
    columns = _header(first[1], known, required, problems)
    problems.check()
    found: list[Record] = []
    for line, cells in records:
        if len(found) == MAX_ROWS:
            problems.add(line, None, f"more than {MAX_ROWS} rows: split the file")
            break
        if len(cells) != len(columns):
            problems.add(line, None, f"{len(cells)} cells, but the header names {len(columns)} columns")
            continue
        if any("\x00" in cell for cell in cells):
            problems.add(line, None, "a cell contains a NUL character")
            continue
        found.append(Record(line, {c: cell.strip() for c, cell in zip(columns, cells, strict=True)}))
    if not found and not problems.found:
        problems.add(2, None, "no rows below the header: nothing to import")
    problems.check()
    return Sheet(columns, found)


def _header(cells: list[str], known: tuple[str, ...], required: tuple[str, ...], problems: Problems) -> tuple[str, ...]:
    names = tuple(cell.strip().lower() for cell in cells)
    for name in names:
        if name not in known:
            problems.add(1, name or None, f"unknown column {name!r}; the columns are {', '.join(known)}")
    for name in {n for n in names if names.count(n) > 1}:
        problems.add(1, name, "named twice")
    for name in required:
        if name not in names:
            problems.add(1, name, "missing: this column is required")
    return names


# --- cells: each parser returns the value, or adds a problem and returns None ---

Parser = Callable[[Record, str, Problems], Any]


def given(record: Record, parsers: dict[str, Parser], nullable: tuple[str, ...], problems: Problems) -> dict[str, Any]:
    """The fields a row sets (the columns in parsers): its non-empty cells, and null for an empty
    cell of a nullable column; an empty cell elsewhere sets nothing (the field keeps its value)."""
    found: dict[str, Any] = {}
    for column, cell in record.cells.items():
        if column not in parsers or (cell == "" and column not in nullable):
            continue
        value = None if cell == "" else parsers[column](record, column, problems)
        if value is not None or cell == "":
            found[column] = value
    return found


def required_text(record: Record, column: str, problems: Problems, *, max_length: int) -> str | None:
    """A one-line text cell that must not be empty (an item_number)."""
    value = text(record, column, problems, max_length=max_length, one_line=True)
    if value == "":
        problems.add(record.line, column, "required")
        return None
    return value


def decimal(
    record: Record, column: str, problems: Problems, *, digits: int, scale: int, positive: bool = False
) -> Decimal | None:
    """A decimal with at most `digits` digits before the point and `scale` after (trailing zeros
    beyond it are fine: 1.2500 is 1.25), never negative; a comma decimal or grouping is refused."""
    text = record.cells[column]
    if len(text) > digits + scale + 40 or not _NUMBER.match(text):
        if _COMMA_DECIMAL.match(text):
            fixed = re.sub(r"[ .']", "", text).replace(",", ".")
            hint = f"'{text}' has a decimal comma: write it with a point, e.g. {fixed}"
            problems.add(record.line, column, hint + " (and no thousands separators)")
        elif text.startswith("-") and _NUMBER.match(text[1:]):
            problems.add(record.line, column, "may not be negative")
        else:
            problems.add(record.line, column, f"'{text[:40]}' is not a number: write it like 12.5")
        return None
    whole, _, fraction = text.partition(".")
    if len(whole.lstrip("0")) > digits:
        problems.add(record.line, column, f"too large: at most {'9' * digits}.{'9' * scale}")
        return None
    if len(fraction.rstrip("0")) > scale:
        problems.add(record.line, column, f"at most {scale} decimals")
        return None
    value = Decimal(text)
    if positive and value == 0:
        problems.add(record.line, column, "must be more than 0")
        return None
    return value.quantize(Decimal(1).scaleb(-scale))


def boolean(record: Record, column: str, problems: Problems) -> bool | None:
    text = record.cells[column].lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    problems.add(record.line, column, f"'{record.cells[column][:40]}' is not true or false")
    return None


def choice(record: Record, column: str, problems: Problems, choices: tuple[str, ...]) -> str | None:
    text = record.cells[column].lower()
    if text in choices:
        return text
    problems.add(record.line, column, f"'{record.cells[column][:40]}' is not one of {', '.join(choices)}")
    return None


def text(record: Record, column: str, problems: Problems, *, max_length: int, one_line: bool = False) -> str | None:
    """A text cell; a leading ' before = + - @ (what the export adds against formulas) is dropped."""
    value = record.cells[column]
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        value = value[1:]
    if len(value) > max_length:
        problems.add(record.line, column, f"at most {max_length} characters (this has {len(value)})")
        return None
    if one_line and _LINE_BREAK.search(value):
        problems.add(record.line, column, "may not contain a line break")
        return None
    return value
