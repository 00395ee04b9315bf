"""Validation results from a spreadsheet: CSV or xlsx, one sampled entry a row.

Columns (a header row, in any order; others are ignored): ``entry_id``,
``outcome`` (``passed`` or ``failed``), ``reason``, ``evidence``, and
optionally ``failed_amount``: for a partial failure, the part of the entry's
amount that is not supported (``500.00``; empty: all of it).  Every
problem is reported with its ``file:line`` and nothing is recorded; checking
each row against the draw is ``PostedLedger.record_results``'s.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from kasvufee.assurance.cycle import ValidationResult
from kasvufee.errors import InputError, Problem
from kasvufee.money import parse_euros

COLUMNS = ("entry_id", "outcome", "reason", "evidence")
MAX_BYTES = 50_000_000  # a sample is thousands of rows, not millions


def read_results(path: str | Path) -> list[ValidationResult]:
    """The results in ``path`` (``.xlsx``, else CSV), every problem at once."""
    source = str(path)
    file = Path(path)
    expected = "an existing results file (CSV or xlsx)"
    try:
        size = file.stat().st_size
    except OSError:
        raise InputError([Problem(source, None, None, expected, "no such file")]) from None
    if not file.is_file():
        raise InputError([Problem(source, None, None, expected, "a folder")])
    if size > MAX_BYTES:
        raise InputError([Problem(source, None, None, f"at most {MAX_BYTES} bytes",
                                  f"{size} bytes")])
    rows = _xlsx_rows(file) if file.suffix.lower() == ".xlsx" else _csv_rows(file)
    return _results(source, rows)


def _csv_rows(file: Path) -> Iterable[tuple[int, Sequence[str]]]:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(file), None, None, "UTF-8 text (CSV) or an xlsx file",
                                  f"a byte {exc.object[exc.start]:#04x} that is not UTF-8")]
                         ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    return [(reader.line_num, row) for row in reader]


def _xlsx_rows(file: Path) -> Iterable[tuple[int, Sequence[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is no workbook
        raise InputError([Problem(str(file), None, None, "an xlsx workbook",
                                  "a file openpyxl cannot read")]) from None
    try:
        sheet = book.worksheets[0]
        return [(n, ["" if v is None else str(v) for v in row])
                for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()


def _results(source: str, rows: Iterable[tuple[int, Sequence[str]]]) -> list[ValidationResult]:
    lines = [(n, [c.strip() for c in row]) for n, row in rows if any(c.strip() for c in row)]
    if not lines:
        raise InputError([Problem(source, None, None, "a header row "
                                  f"({', '.join(COLUMNS)}) and a row per result", "an empty file")])
    head_line, header = lines[0]
    where = {name: header.index(name) for name in COLUMNS if name in header}
    missing = [c for c in COLUMNS if c not in where]
    if missing:
        raise InputError([Problem(source, head_line, None, "a header row with the columns "
                                  f"{', '.join(COLUMNS)}", f"no {', '.join(missing)} in "
                                  f"{', '.join(header)[:120]!r}")])
    out, problems = [], []
    for n, row in lines[1:]:
        cells = {name: row[i] if i < len(row) else "" for name, i in where.items()}
        if not cells["entry_id"]:
            problems.append(Problem(source, n, "entry_id", "a sampled entry's id", "nothing"))
            continue
        part = row[header.index("failed_amount")].strip() if (
            "failed_amount" in header and header.index("failed_amount") < len(row)) else ""
        cents = None
        if part:
            try:
                cents = parse_euros(part)
            except ValueError:
                problems.append(Problem(source, n, "failed_amount",
                                        "an amount like 500.00, or nothing for all of it",
                                        repr(part)))
                continue
        out.append(ValidationResult(cells["entry_id"], cells["outcome"].lower(),
                                    cells["reason"], cells["evidence"], source, n, cents))
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError([Problem(source, None, None, "at least one result row",
                                  "only the header")])
    return out
