"""Turning a raw events frame into the canonical, validated events table.

A reader produces a *raw frame*: the column ``LINE`` (the source line of each
row, UInt32) and the file's columns under their own names, each either text
(``pl.String``) or already of its canonical dtype (typed Parquet columns).
:func:`canonicalise` parses the text columns vectorised, finds the bad cells
as "text present but parsed value null" (plus pattern checks where polars is
more lenient than the contract), reports them and builds the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Final

import polars as pl

from kasvufee.events._limits import NOT_PRINTABLE_ASCII, check_limits
from kasvufee.events._problems import ProblemLog, quote
from kasvufee.events.types import (
    ATTRIBUTE_DTYPES,
    CORE_SCHEMA,
    DECIMAL_DTYPE,
    DECIMAL_SCALE,
    EVENT_TYPE_PATTERN,
    NUMBER_DIGITS,
    REQUIRED_COLUMNS,
    AttributeType,
    attribute_type,
    type_spelling,
)

LINE: Final = "\x00line"
"""Name of the line-number column of a raw frame (cannot clash with a file's column)."""

_BLANKS: Final = " \t"

# Rust regexes: `\d` would also match non-ASCII digits, so digits are spelt [0-9].
_INT_RE: Final = r"^[+-]?[0-9]+$"
_INT_ITEM: Final = r"[ \t]*[+-]?[0-9]{1,18}[ \t]*"
_INT_LIST_RE: Final = rf"^{_INT_ITEM}(?:;{_INT_ITEM})*$"
_DEC_RE: Final = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
_DEC_TOO_PRECISE_RE: Final = rf"\.[0-9]{{{DECIMAL_SCALE}}}[0-9]*[1-9]"
_DATE_RE: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME_RE: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ](?:[01][0-9]|2[0-3]):[0-5][0-9]"
    r"(?::[0-5][0-9](?:\.[0-9]{1,6})?)?$"
)
_FI_DATE_RE: Final = r"^(?<d>[0-9]{1,2})\.(?<m>[0-9]{1,2})\.(?<y>[0-9]{4})$"
_FI_DATETIME_RE: Final = (
    r"^(?<d>[0-9]{1,2})\.(?<m>[0-9]{1,2})\.(?<y>[0-9]{4})"
    r"(?: (?<H>[0-9]{1,2})[.:](?<M>[0-9]{2})(?:[.:](?<S>[0-9]{2}))?)?$"
)

_PY_DEC_EXPONENT = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+$")
_PY_DEC = re.compile(_DEC_RE)
_PY_DEC_TOO_PRECISE = re.compile(_DEC_TOO_PRECISE_RE)
_PY_INT = re.compile(_INT_RE)
_EVENT_TYPE = re.compile(EVENT_TYPE_PATTERN)
_PY_TIME_ZONE = re.compile(r"(?:[zZ]|[+-][0-9]{2}:?[0-9]{2}|\s*UTC)$")

COLUMN_KINDS: Final[Mapping[str, str]] = {
    "event_id": "string",
    "type": "string",
    "provider_id": "string",
    "client_id": "string",
    "occurred_on": "date",
    "recorded_at": "datetime",
}


@dataclass(frozen=True, slots=True)
class RawEvents:
    """What a reader hands to :func:`canonicalise`."""

    frame: pl.DataFrame
    finnish: bool = False
    empty: str = "an empty cell"
    """How an absent required value is described after ``got``."""
    left_out: pl.DataFrame | None = None
    """``LINE``, ``event_id`` and ``type`` of the rows of types no rule reads
    (see :func:`split_types`), their cells as read."""


@dataclass(frozen=True, slots=True)
class _Parsed:
    value: pl.Expr
    checked: bool
    """Whether text present but parsed null is a bad cell."""
    expected: Callable[[str], str]


# --------------------------------------------------------------------------- messages


_FINNISH_HINT: Final = " (a Finnish spreadsheet export is read with --finnish)"
_PY_FI_DATE = re.compile(r"^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}(?: .*)?$")
_PY_FI_DECIMAL = re.compile(r"^[+-]?[0-9]+,[0-9]+$")


def _expected_decimal(finnish: bool) -> Callable[[str], str]:
    like = "0,5" if finnish else "0.5"

    def expected(text: str) -> str:
        if not finnish and _PY_FI_DECIMAL.fullmatch(text):
            return f"a decimal number like {like}{_FINNISH_HINT}"
        normal = text.replace(",", ".") if finnish else text
        if _PY_DEC_EXPONENT.fullmatch(normal):
            return f"a decimal number like {like}, written without an exponent"
        if _PY_DEC.fullmatch(normal):
            if _PY_DEC_TOO_PRECISE.search(normal):
                return f"a decimal number with at most {DECIMAL_SCALE} decimals"
            return f"a number with at most {NUMBER_DIGITS} digits before the point"
        return f"a decimal number like {like}"

    return expected


def _expected_integer(text: str) -> str:
    if _PY_INT.fullmatch(text):
        return f"a number with at most {NUMBER_DIGITS} digits before the point"
    return "a whole number like 12"


def _constant(message: str) -> Callable[[str], str]:
    def expected(text: str) -> str:
        return message

    return expected


def _expected_datetime(finnish: bool) -> Callable[[str], str]:
    like = "2018-03-01 or 2018-03-01T12:30:00"
    if finnish:
        like += " or 1.3.2018 12:30"

    def expected(text: str) -> str:
        if not finnish and _PY_FI_DATE.fullmatch(text):
            return f"a date or date-time like {like}{_FINNISH_HINT}"
        if _PY_TIME_ZONE.search(text):
            return f"a date or date-time like {like}, without a time zone"
        return f"a date or date-time like {like}"

    return expected


def _found_type(text: str) -> str:
    guess = type_spelling(text)
    return f"{quote(text)} (did you mean {guess}?)" if guess else quote(text)


def _expected_date(finnish: bool) -> Callable[[str], str]:
    def expected(text: str) -> str:
        if finnish:
            return "a date YYYY-MM-DD or d.m.yyyy"
        return "a date YYYY-MM-DD" + (_FINNISH_HINT if _PY_FI_DATE.fullmatch(text) else "")

    return expected


# --------------------------------------------------------------------------- parsers


def _finnish_dates_to_iso(text: pl.Expr, *, with_time: bool) -> pl.Expr:
    """``d.m.yyyy`` (and, ``with_time``, ``d.m.yyyy H:MM[:SS]``) rewritten as ISO text."""
    groups = text.str.extract_groups(_FI_DATETIME_RE if with_time else _FI_DATE_RE)
    date = pl.concat_str(
        groups.struct.field("y"),
        pl.lit("-"),
        groups.struct.field("m").str.zfill(2),
        pl.lit("-"),
        groups.struct.field("d").str.zfill(2),
    )
    if with_time:
        hour = groups.struct.field("H")
        time = (
            pl.when(hour.is_not_null())
            .then(
                pl.concat_str(
                    pl.lit("T"),
                    hour.str.zfill(2),
                    pl.lit(":"),
                    groups.struct.field("M"),
                    pl.lit(":"),
                    groups.struct.field("S").fill_null("00"),
                )
            )
            .otherwise(pl.lit(""))
        )
        date = pl.concat_str(date, time)
    return pl.coalesce(date, text)


def _parse_date(text: pl.Expr, finnish: bool) -> pl.Expr:
    if finnish:
        text = _finnish_dates_to_iso(text, with_time=False)
    return pl.when(text.str.contains(_DATE_RE)).then(text.str.to_date("%Y-%m-%d", strict=False))


def _parse_datetime(text: pl.Expr, finnish: bool) -> pl.Expr:
    if finnish:
        text = _finnish_dates_to_iso(text, with_time=True)
    with_t = text.str.replace(" ", "T", literal=True)
    with_seconds = (
        pl.when(with_t.str.len_bytes() == 16)
        .then(pl.concat_str(with_t, pl.lit(":00")))
        .otherwise(with_t)
    )
    return (
        pl.when(text.str.contains(_DATE_RE))
        .then(text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")))
        .when(text.str.contains(_DATETIME_RE))
        .then(with_seconds.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us"))
    )


def _parse_decimal(text: pl.Expr, finnish: bool) -> pl.Expr:
    if finnish:
        text = text.str.replace(",", ".", literal=True)
    return (
        pl.when(text.str.contains(_DEC_RE) & ~text.str.contains(_DEC_TOO_PRECISE_RE))
        .then(text.str.to_decimal(scale=DECIMAL_SCALE))
        .cast(DECIMAL_DTYPE)
    )


def _parse_integer(text: pl.Expr) -> pl.Expr:
    # polars' cast accepts exactly [+-]?[0-9]+ within Int64 (no spaces, no exponent)
    return text.cast(pl.Int64, strict=False)


def _parse_boolean(text: pl.Expr, finnish: bool) -> pl.Expr:
    lower = text.str.to_lowercase()
    true = lower == "true"
    false = lower == "false"
    if finnish:
        true = true | (lower == "tosi")
        false = false | (lower == "epätosi")
    return pl.when(true).then(pl.lit(True)).when(false).then(pl.lit(False))


def _parse_integer_list(text: pl.Expr) -> pl.Expr:
    # Items of at most 18 digits cannot overflow Int64, so a matching text parses.
    items = text.str.replace_all(r"[ \t]", "").str.split(";")
    numbers = items.list.eval(pl.element().cast(pl.Int64, strict=False))
    return pl.when(text.str.contains(_INT_LIST_RE)).then(numbers)


TARGET_DTYPES: Final[Mapping[str, pl.DataType]] = {
    **{str(kind): dtype for kind, dtype in ATTRIBUTE_DTYPES.items()},
    "datetime": CORE_SCHEMA["recorded_at"],
}


def _parser(kind: str, name: str, dtype: pl.DataType, finnish: bool) -> _Parsed:
    """How to parse column ``name`` of kind ``kind`` whose raw dtype is ``dtype``."""
    col = pl.col(name)
    if dtype != pl.String() or kind == "string":
        # Already typed by the reader (see _parquet), or text kept as text.
        return _Parsed(col.cast(TARGET_DTYPES[kind]), False, _constant(""))
    if kind == "decimal":
        value = _parse_decimal(col, finnish)
        expected = _expected_decimal(finnish)
    elif kind == "integer":
        value, expected = _parse_integer(col), _expected_integer
    elif kind == "boolean":
        value, expected = _parse_boolean(col, finnish), _constant("true or false")
    elif kind == "date":
        value, expected = _parse_date(col, finnish), _expected_date(finnish)
    elif kind == "datetime":
        value, expected = _parse_datetime(col, finnish), _expected_datetime(finnish)
    elif kind == "integer_list":
        value = _parse_integer_list(col)
        expected = _constant("integers separated by ';' like 4;4;3")
    else:  # pragma: no cover - kinds are checked by resolve_attribute_types
        raise AssertionError(kind)
    return _Parsed(value, True, expected)


# --------------------------------------------------------------------------- tables


def clean_text(frame: pl.DataFrame, *, drop_blank: bool = True) -> pl.DataFrame:
    """Strip spaces and tabs around text cells, make empty cells null, drop blank rows
    (with ``drop_blank``).

    Only the columns that need it are rewritten: a cheap check first (a blank
    anywhere in a cell, one byte search, is cheaper than four at its ends).
    """
    text_columns = [
        name for name, dtype in frame.schema.items() if name != LINE and dtype == pl.String()
    ]
    if text_columns:
        needs = frame.select(
            (pl.col(c).str.contains_any(list(_BLANKS)) | (pl.col(c).str.len_bytes() == 0))
            .any()
            .alias(c)
            for c in text_columns
        ).row(0)
        dirty = [c for c, flag in zip(text_columns, needs, strict=True) if flag]
        if dirty:
            frame = frame.with_columns(
                pl.col(c).str.strip_chars(_BLANKS).replace("", None).alias(c) for c in dirty
            )
    data_columns = [c for c in frame.columns if c not in (LINE, "line")]
    if data_columns and drop_blank:
        blank = pl.all_horizontal(pl.col(c).is_null() for c in data_columns)
        if frame.select(blank.any()).item():
            frame = frame.filter(~blank)
    return frame


def left_out_types(found: Iterable[str | None], keep: Collection[str]) -> list[str]:
    """The types of ``found`` whose events are left out: plainly spelt (no spaces
    around them, which :func:`clean_text` would strip) and not in ``keep``.

    Everything else is kept, cleaned and checked with the rest; the engine
    ignores a kept type no rule reads.  The types are classified once each,
    not once per row.
    """
    return sorted(t for t in found if t is not None and t not in keep and _EVENT_TYPE.match(t))


def split_types(raw: RawEvents, keep: Collection[str]) -> RawEvents:
    """``raw`` with the rows of types no rule reads moved to ``left_out`` (the
    ``LINE``, ``event_id`` and ``type`` of each), unless a reader did so already.

    What no rule reads is not parsed: the left-out rows are checked only for
    their id in :func:`canonicalise` (their types are reported by the run's
    coverage; a repeated id is still an error).
    """
    frame = raw.frame
    if raw.left_out is not None or "type" not in frame.columns or "event_id" not in frame.columns:
        return raw
    others = left_out_types(frame.get_column("type").unique().to_list(), keep)
    if not others:
        return raw
    mask = frame.select(pl.col("type").is_in(others)).to_series()
    return replace(raw, frame=frame.filter(~mask),
                   left_out=frame.select(LINE, "event_id", "type").filter(mask))


def _bad_types(frame: pl.DataFrame) -> pl.DataFrame:
    """The ``LINE`` and ``type`` of the cells that are not an event type's spelling."""
    bad = [t for t in frame.get_column("type").unique().to_list()
           if t is not None and not _EVENT_TYPE.match(t)]
    return frame.filter(pl.col("type").is_in(bad)).select(LINE, "type")


def _kind(name: str, types: Mapping[str, AttributeType]) -> str:
    return COLUMN_KINDS.get(name) or attribute_type(name, types)


def canonicalise(
    raw: RawEvents, types: Mapping[str, AttributeType], problems: ProblemLog
) -> pl.DataFrame:
    """The canonical table of ``raw``; raises ``EventsError`` with every problem found.

    ``raw.frame`` must have cleaned text (see :func:`clean_text`) and every required
    column; problems already in ``problems`` are raised together with those found here.
    The ids of ``raw.left_out`` are checked too (an id is unique among all rows).
    """
    frame = raw.frame
    names = [c for c in frame.columns if c not in (LINE, "line")]
    problems.column_order = {name: index for index, name in enumerate(names)}
    schema = frame.schema
    parsers = {
        # the schema once: frame.schema builds it anew each time (quadratic in columns)
        name: _parser(_kind(name, types), name, schema[name], raw.finnish) for name in names
    }
    parsed = frame.select(pl.col(LINE), *(p.value.alias(name) for name, p in parsers.items()))

    for name in names:
        text, value = frame[name], parsed[name]
        if name in REQUIRED_COLUMNS and text.null_count():
            cells = frame.filter(text.is_null()).select(LINE, pl.lit(""))
            problems.add_cells(cells, name, _constant("a value"), _constant(raw.empty))
        if parsers[name].checked and value.null_count() > text.null_count():
            cells = frame.filter(text.is_not_null() & value.is_null()).select(LINE, name)
            problems.add_cells(cells, name, parsers[name].expected)
    kinds = {name: _kind(name, types) for name in names}
    check_limits(parsed, frame, kinds, LINE, problems)
    ids = parsed.select(LINE, "event_id")
    if "type" in names:
        problems.add_cells(_bad_types(frame), "type", _constant(
            "an event type in lowercase letters, digits and _ like employment_started"),
            _found_type)
    if raw.left_out is not None:
        left_out = _left_out_ids(raw.left_out, problems, raw.empty)
        ids = pl.concat([ids, left_out])
    # hashes first (fast): equal ids have equal hashes; a collision only costs the exact check
    if ids["event_id"].hash().n_unique() < ids.height and ids["event_id"].n_unique() < ids.height:
        _report_duplicates(ids, problems)
    problems.raise_if_any()

    occurred = pl.col("occurred_on")
    recorded = (
        pl.col("recorded_at").fill_null(occurred.cast(pl.Datetime("us")))
        if "recorded_at" in parsers
        else occurred.cast(pl.Datetime("us"))
    )
    client = pl.col("client_id") if "client_id" in parsers else pl.lit(None, pl.String())
    return parsed.select(
        "event_id",
        "type",
        "provider_id",
        client.alias("client_id"),
        occurred,
        recorded.alias("recorded_at"),
        pl.col(LINE).cast(pl.UInt32()).alias("line"),
        *(name for name in names if name not in COLUMN_KINDS),
    )


def _left_out_ids(left_out: pl.DataFrame, problems: ProblemLog, empty: str) -> pl.DataFrame:
    """The ``LINE`` and cleaned ``event_id`` of the left-out rows, checked."""
    ids = left_out.select(LINE, "event_id")
    # an id of printable ASCII, not empty, has no blank to strip and nothing to refuse
    event_id = pl.col("event_id")
    if ids.select((event_id.str.contains(NOT_PRINTABLE_ASCII) | (event_id == "")).any()).item():
        ids = clean_text(ids, drop_blank=False)
        check_limits(ids, ids, {"event_id": "string"}, LINE, problems)
    if ids["event_id"].null_count():
        cells = ids.filter(pl.col("event_id").is_null()).select(LINE, pl.lit(""))
        problems.add_cells(cells, "event_id", _constant("a value"), _constant(empty))
    return ids


def _report_duplicates(frame: pl.DataFrame, problems: ProblemLog) -> None:
    """One problem per repeated ``event_id``, naming the line it first appeared on."""
    repeated = (
        frame.select(LINE, "event_id")
        .filter(pl.col("event_id").is_not_null() & pl.col("event_id").is_duplicated())
        .with_columns(pl.col(LINE).min().over("event_id").alias("first"))
    )
    first_line = dict(repeated.select("event_id", "first").unique().iter_rows())

    def found(text: str) -> str:
        return f"{quote(text)} (also on line {first_line[text]})"

    cells = repeated.filter(pl.col(LINE) != pl.col("first")).sort(LINE).select(LINE, "event_id")
    problems.add_cells(cells, "event_id", _constant("a unique id"), found)


def empty_frame(columns: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """A zero-row table with the core columns and then ``columns``."""
    return pl.DataFrame(schema={**CORE_SCHEMA, **columns})
