"""Reading events: CSV, JSON Lines and Parquet files into the canonical events table.

The canonical table (the contract with the engine) has, in this order:

========================  ===================  ====================================
column                    dtype                meaning
========================  ===================  ====================================
``event_id``              String, non-null     unique in the data set
``type``                  String, non-null     what happened
``provider_id``           String, non-null     the provider the fact belongs to
``client_id``             String               null for contract-level facts
``occurred_on``           Date, non-null       when it happened
``recorded_at``           Datetime("us")       when the buyer learned it
                                               (default: midnight of occurred_on)
``line``                  UInt32               the source line of the row
attributes...             by name, see below   every other column, in file order
========================  ===================  ====================================

An attribute's dtype comes from its type (:data:`ATTRIBUTE_TYPES` updated with
the caller's ``attribute_types``; any other attribute is a string): string →
String, decimal → Decimal(38, 10), integer → Int64, boolean → Boolean, date →
Date, integer_list → List(Int64).  An empty cell, a JSON null or a missing key
is null (absent).

``line``: for CSV the physical line the record starts on, the header being
line 1 (blank lines and newlines inside quoted cells are counted); for JSON
Lines the physical line; for Parquet the row index + 1; for records the index + 1.

A column (or key) named ``line`` in the input is ignored: kasvufee numbers the
rows itself, so a canonical table written to a file reads back unchanged
(Parquet: but for ``line``, which is then the row index + 1).

Text rules, the same for every format:

* spaces and tabs around a value are ignored; a blank row (only separators or
  spaces) is skipped;
* dates are ``YYYY-MM-DD`` (and ``d.m.yyyy`` with ``finnish=True``); a
  calendar-impossible date (``2018-02-30``, ``2019-02-29``) is an error;
  ``recorded_at`` is a date or a date-time ``YYYY-MM-DD[T| ]HH:MM[:SS[.ffffff]]``
  without a time zone (Finnish: also ``d.m.yyyy H:MM[:SS]``, ``H.MM`` too);
* decimals are parsed from text, never through a float, so they are exact;
  in text, scientific notation (``1e3``) is rejected, as are more than 10
  decimals (trailing zeros aside) and more than 28 digits before the point.
  A JSON *number* is read from its literal as a ``Decimal``, so ``1e3`` there
  is exactly 1000; a Python ``float`` (records, Parquet) by its shortest text;
* integers are ``[+-]digits`` within Int64; booleans ``true``/``false`` in any
  case (Finnish: also ``tosi``/``epätosi``); lists are integers separated by
  ``;``, spaces allowed (a JSON array or a Python list of integers too; an
  empty list is absent).

CSV specifics: every cell is read as text by polars, then each column is
parsed vectorised; a row with another number of fields than the header is an
error (checked on the lines without quotes), as is an unclosed quote.  JSON
Lines are decoded with :mod:`json` (exact, line-accurate, but about ten times
slower than CSV: use CSV or Parquet for millions of events).  Parquet columns
that already have the canonical dtype are taken as they are.

Every problem is collected and raised once as an :class:`~kasvufee.errors.EventsError`
(at most :data:`MAX_PROBLEMS` are listed, then one saying how many more),
ordered by line and then column.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Final, Literal

import polars as pl

from kasvufee.errors import UsageError
from kasvufee.events._canon import RawEvents, canonicalise, clean_text, empty_frame, split_types
from kasvufee.events._csv import is_utf8, read_csv
from kasvufee.events._parquet import read_parquet
from kasvufee.events._problems import MAX_PROBLEMS, ProblemLog
from kasvufee.events._rows import read_jsonl, rows_to_raw
from kasvufee.events.types import (
    ALWAYS_READ,
    ATTRIBUTE_DTYPES,
    AttributeType,
    resolve_attribute_types,
)

__all__ = ["MAX_PROBLEMS", "EventsFormat", "empty_events", "events_from_records", "read_events"]

EventsFormat = Literal["csv", "jsonl", "parquet"]

_EXTENSIONS: Final[Mapping[str, EventsFormat]] = {
    ".csv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def _format_of(path: Path, problems: ProblemLog) -> EventsFormat:
    suffix = path.suffix.lower()
    found = _EXTENSIONS.get(suffix)
    if found is None:
        names = ", ".join(_EXTENSIONS)
        problems.add(
            None,
            None,
            f"a file name ending in one of {names} (or the format given explicitly)",
            f"'{suffix}'" if suffix else "no extension",
        )
        problems.fail()
    return found


def read_events(
    path: str | os.PathLike[str],
    *,
    finnish: bool = False,
    attribute_types: Mapping[str, AttributeType] | None = None,
    format: EventsFormat | None = None,
    progress: Callable[[int, int], None] | None = None,
    encoding: str = "utf-8",
    columns: Iterable[str] | None = None,
    event_types: Iterable[str] | None = None,
    left_out: dict[str, int] | None = None,
) -> pl.DataFrame:
    """Read an events file into the canonical events table.

    Args:
        path: a CSV, JSON Lines or Parquet file.
        finnish: read a Finnish spreadsheet export: ``;`` between fields, a
            decimal comma, dates also as ``d.m.yyyy`` (date-times as
            ``d.m.yyyy H:MM``), booleans also as ``tosi``/``epätosi``.  Lists
            still use ``;`` (in quoted cells).  CSV only: ignored for JSON Lines
            and Parquet.
        attribute_types: types of attributes, added to / overriding
            :data:`ATTRIBUTE_TYPES` (a scheme declares the attributes it reads).
        format: ``csv``, ``jsonl`` or ``parquet``; default from the extension
            (``.csv``/``.txt``, ``.jsonl``/``.ndjson``/``.json``, ``.parquet``/``.pq``).
        progress: called as ``progress(done, total)`` a modest number of times
            (about 20 on a large file): bytes for CSV (estimated from the lines
            read) and JSON Lines, rows for Parquet; the last call is
            ``progress(total, total)``, after validation.
        encoding: the text encoding of a CSV or JSON Lines file (a Python codec
            name); Finnish Excel exports are often ``cp1252``.  A UTF-8 BOM is
            always ignored.
        columns: read and check only these attribute columns (the core
            columns and ``voids`` always): a scheme's ``kasvufee.scheme.prices.event_columns``
            reads what it can price, faster and in less memory.  The other
            columns are not read, so their bad cells are not reported; a row
            blank in every column read is skipped as blank.  Default: all.
        event_types: keep only the events of these types (a scheme's
            ``kasvufee.scheme.prices.event_types``, what its engine reads):
            the others are checked for their ``event_id`` (present, a valid id,
            unique among all rows) and ``type`` only, and left out of the table;
            a row without a type is kept (and reported).  Default: all.
        left_out: a dictionary that receives the number of events of each
            type ``event_types`` left out (for
            ``kasvufee.report.coverage.coverage``, which reports them).

    Returns:
        The canonical table (see the module documentation).

    Raises:
        EventsError: the file is missing, unreadable or has invalid content;
            it lists every problem as ``file:line: field: expected …, got …``.
        UsageError: ``attribute_types``, ``format`` or ``encoding`` is not valid.
    """
    types = resolve_attribute_types(attribute_types)
    file = Path(path)
    problems = ProblemLog(os.fspath(path))
    if format is not None and format not in ("csv", "jsonl", "parquet"):
        raise UsageError(f"format: expected csv, jsonl or parquet, got {format!r}")
    is_utf8(encoding)  # raises UsageError for an unknown codec
    kind = format or _format_of(file, problems)
    wanted = None if columns is None else frozenset((*ALWAYS_READ, *columns))
    keep = None if event_types is None else frozenset(event_types)
    if not file.exists():
        problems.add(None, None, "an events file", "nothing at this path")
        problems.fail()
    if file.is_dir():
        problems.add(None, None, "an events file", "a directory")
        problems.fail()

    try:
        if kind == "csv":
            raw, total = read_csv(
                file, problems, finnish=finnish, encoding=encoding, progress=progress,
                columns=wanted,
            )
        elif kind == "jsonl":
            raw, total = read_jsonl(
                file, problems, types=types, encoding=encoding, progress=progress,
                columns=wanted,
            )
        else:
            raw, total = read_parquet(
                file, problems, types=types, progress=progress, columns=wanted,
                keep=keep,
            )
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        problems.add(None, None, "a readable events file", f"an error opening it ({reason})")
        problems.fail(exc)
    table = _finish(raw, types, problems, keep, left_out)
    if progress is not None:
        progress(total, total)
    return table


def events_from_records(
    records: Iterable[Mapping[str, object]],
    *,
    source: str = "<records>",
    attribute_types: Mapping[str, AttributeType] | None = None,
) -> pl.DataFrame:
    """The canonical events table of in-memory rows, validated like a file.

    Values may be ``str``, ``datetime.date``, ``datetime.datetime`` (naive),
    ``Decimal``, ``int``, ``bool``, ``float`` (by its shortest text), a list
    of ``int`` (for list attributes) or ``None``.  Text values follow the same
    rules as a CSV cell.  ``line`` is the 1-based index of the record and
    problems are reported as ``source:line: …``.

    Raises:
        EventsError: every problem found.
    """
    types = resolve_attribute_types(attribute_types)
    problems = ProblemLog(source)
    return _finish(rows_to_raw(records, types, problems), types, problems)


def empty_events(attribute_types: Mapping[str, AttributeType] | None = None) -> pl.DataFrame:
    """A zero-row canonical table: the core columns, then one per given attribute."""
    resolve_attribute_types(attribute_types)  # checks the names and types
    columns = {name: ATTRIBUTE_DTYPES[kind] for name, kind in (attribute_types or {}).items()}
    return empty_frame(columns)


def _finish(
    raw: RawEvents, types: Mapping[str, AttributeType], problems: ProblemLog,
    keep: frozenset[str] | None = None, counts: dict[str, int] | None = None,
) -> pl.DataFrame:
    if keep is not None:
        raw = split_types(raw, keep)
    table = canonicalise(replace(raw, frame=clean_text(raw.frame)), types, problems)
    if counts is not None and raw.left_out is not None:
        counts.update(raw.left_out.group_by("type").len().iter_rows())
    return table
