"""Limits on what an events file may hold, checked on the parsed columns.

What a hostile or careless provider could use to be paid twice or to stop a
run is refused here, cell by cell, for every format alike:

* numbers outside the one range (:data:`~kasvufee.events.types.NUMBER_LIMIT`),
  lists longer than :data:`MAX_LIST_ITEMS`, dates outside
  :data:`FIRST_DATE` … :data:`LAST_DATE`;
* ids (``event_id``, ``provider_id``, ``client_id``) with control, format,
  space or combining characters (``A1`` followed by a zero-width or a
  no-break space would be another client) or with letters of two scripts
  (a Cyrillic A among Latin letters);
* two different client or provider ids that look alike (``A1`` and
  ``A1`` written with a Cyrillic or a full-width A): reported, naming both lines;
* control characters in any other text cell (they break spreadsheets).

Ids are refused rather than normalised: a provider's system that writes a
zero-width space has a bug the provider must see.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl

from kasvufee.events._problems import MAX_PROBLEMS, ProblemLog, quote
from kasvufee.events.types import DECIMAL_DTYPE, NUMBER_DIGITS, NUMBER_LIMIT

MAX_COLUMNS: Final = 1000
"""At most this many columns (keys) in an events file."""
MAX_LIST_ITEMS: Final = 100
"""At most this many integers in a list cell (survey answers)."""
FIRST_DATE: Final = dt.date(1900, 1, 1)
LAST_DATE: Final = dt.date(2199, 12, 31)
"""Dates in events are from :data:`FIRST_DATE` to :data:`LAST_DATE`."""

ID_COLUMNS: Final = ("event_id", "provider_id", "client_id")

# Rust regex classes: controls, format characters (zero-width space, BOM), every
# space (no-break space too), combining marks, private use, and the fillers that
# render as nothing
_NOT_IN_ID: Final = (r"[\p{Cc}\p{Cf}\p{Z}\p{M}\p{Co}"
                     r"\x{115F}\x{1160}\x{3164}\x{FFA0}\x{2800}]")
_OTHER_SCRIPTS: Final = r"[\p{Cyrillic}\p{Greek}\p{Armenian}\p{Cherokee}\p{Coptic}]"
# C0 controls but tab and line breaks, and DEL (an xlsx cell cannot hold them);
# searched as a set of strings (Aho-Corasick), three times faster than a regex class
_CONTROL: Final = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]
# anything but printable ASCII: an id without it has nothing the id checks refuse
NOT_PRINTABLE_ASCII: Final = r"[^!-~]"

# pairs of a letter and the ASCII letter it looks like: Cyrillic, then Greek
_PAIRS: Final = (
    "\u0410A\u0412B\u0415E\u041aK\u041cM\u041dH\u041eO\u0420P"
    "\u0421C\u0422T\u0425X\u0423Y\u0406I\u0408J\u0405S\u051aQ"
    "\u051cW\u0430a\u0435e\u043eo\u0440p\u0441c\u0443y\u0445x"
    "\u0456i\u0458j\u0455s\u0501d\u051bq\u051dw\u04bbh"
    "\u0391A\u0392B\u0395E\u0396Z\u0397H\u0399I\u039aK\u039cM"
    "\u039dN\u039fO\u03a1P\u03a4T\u03a5Y\u03a7X\u03bfo\u03bdv"
    "\u03b9i\u03b1a\u03c1p"
)
_LOOKALIKES: Final = {
    **{_PAIRS[i]: _PAIRS[i + 1] for i in range(0, len(_PAIRS), 2)},
    # full-width forms of ASCII
    **{chr(0xFF01 + i): chr(0x21 + i) for i in range(94)},
}
"""Letters that look like ASCII ones: ids equal after this mapping look alike."""


def too_many_columns(count: int, problems: ProblemLog) -> bool:
    """Add a problem if ``count`` columns are more than :data:`MAX_COLUMNS`."""
    if count <= MAX_COLUMNS:
        return False
    problems.add(1, None, f"at most {MAX_COLUMNS} columns", f"{count}")
    return True


def check_limits(parsed: pl.DataFrame, text: pl.DataFrame, kinds: dict[str, str],
                 line: str, problems: ProblemLog) -> None:
    """Add a problem for every cell beyond a limit.

    ``parsed`` holds the parsed columns, ``text`` the same rows before parsing
    (text, or a typed Parquet column), both with the line column ``line``.
    """
    checks = {name: check for name, kind in kinds.items()
              if (check := _check(name, kind)) is not None}
    ids = [name for name in ID_COLUMNS if name in kinds]
    # one pass for every column: which have a cell beyond its limit, and which id
    # columns have anything but printable ASCII (nearly always none: the id checks,
    # several Unicode classes each, then run on those rows only)
    flagged = parsed.select(
        *(bad.fill_null(False).any() for bad, _ in checks.values()),
        *(pl.col(name).str.contains(NOT_PRINTABLE_ASCII).fill_null(False).any() for name in ids),
    ).row(0) if checks or ids else ()
    for (name, (bad, expected)), any_bad in zip(checks.items(), flagged[:len(checks)],
                                                  strict=True):
        if any_bad:
            _report(parsed, text, name, bad.fill_null(False), expected, line, problems)
    for name, unusual in zip(ids, flagged[len(checks):], strict=True):
        if unusual:
            _id_cells(parsed, name, problems, line)


def _check(name: str, kind: str) -> tuple[pl.Expr, str] | None:
    """The cells of column ``name`` beyond its limit, and what is expected there."""
    value = pl.col(name)
    if kind in ("decimal", "integer"):
        # an integer literal cast: a Decimal literal makes polars import numpy (0.2 s)
        limit = (pl.lit(NUMBER_LIMIT, pl.Int64).cast(DECIMAL_DTYPE) if kind == "decimal"
                 else pl.lit(NUMBER_LIMIT, pl.Int64))
        return ((value >= limit) | (value <= -limit),
                f"a number with at most {NUMBER_DIGITS} digits before the point")
    if kind == "integer_list":
        return ((value.list.len() > MAX_LIST_ITEMS) | value.list.eval(
            (pl.element() >= NUMBER_LIMIT) | (pl.element() <= -NUMBER_LIMIT)).list.any(),
            f"at most {MAX_LIST_ITEMS} integers of at most {NUMBER_DIGITS} digits each")
    if kind in ("date", "datetime"):
        first: dt.date = FIRST_DATE
        last: dt.date = LAST_DATE
        if kind == "datetime":
            first = dt.datetime.combine(FIRST_DATE, dt.time())
            last = dt.datetime.combine(LAST_DATE, dt.time.max)
        return ((value < pl.lit(first)) | (value > pl.lit(last)),
                f"a date from {FIRST_DATE} to {LAST_DATE}")
    if kind == "string" and name not in ID_COLUMNS:
        return value.str.contains_any(_CONTROL), "text without control characters"
    return None


def _report(parsed: pl.DataFrame, text: pl.DataFrame, name: str, bad: pl.Expr, expected: str,
            line: str, problems: ProblemLog) -> None:
    mask = parsed.select(bad).to_series()
    if not mask.any():
        return
    raw = text.filter(mask)
    column = raw.get_column(name)
    if column.dtype == pl.String:
        shown = pl.col(name)
    elif column.dtype.is_temporal():
        # a far date cannot be turned into text safely: its day number can
        shown = pl.format("day {} counted from 1970-01-01",
                          pl.col(name).cast(pl.Date).to_physical())
    else:
        shown = pl.col(name).cast(pl.String)
    cells = raw.select(line, shown.alias(name))
    problems.add_cells(cells, name, lambda _: expected,
                       (lambda t: quote(t)) if column.dtype == pl.String else (lambda t: t))


def _id_cells(parsed: pl.DataFrame, name: str, problems: ProblemLog, line: str) -> None:
    """The id problems of column ``name``, which has a cell not in printable ASCII."""
    value = pl.col(name)
    unusual = parsed.filter(value.str.contains(NOT_PRINTABLE_ASCII).fill_null(False))
    invisible = value.str.contains(_NOT_IN_ID)
    mixed = value.str.contains(r"\p{Latin}") & value.str.contains(_OTHER_SCRIPTS)
    _report(unusual, unusual, name, invisible.fill_null(False),
            "an id without spaces, control, format (zero-width) or combining characters",
            line, problems)
    _report(unusual, unusual, name, (mixed & ~invisible).fill_null(False),
            "an id in one script (a Cyrillic or Greek letter among Latin ones looks like "
            "another id)", line, problems)
    if name != "event_id":
        _lookalikes(parsed, name, problems, line)


def _lookalikes(parsed: pl.DataFrame, name: str, problems: ProblemLog, line: str) -> None:
    """Two different ids that look alike: the later one is reported."""
    ids = parsed.select(line, name).filter(
        pl.col(name).is_not_null() & pl.col(name).str.contains(r"[^\x00-\x7f]"))
    if ids.height == 0:
        return  # ASCII ids look like no other ASCII id
    skeleton = pl.col(name).str.replace_many(_LOOKALIKES)
    # the first line of every distinct id, and its look-alike form
    firsts = (parsed.select(line, name).filter(pl.col(name).is_not_null())
              .group_by(name).agg(pl.col(line).min())
              .with_columns(skeleton.alias("_look")))
    clashes = (firsts.filter(pl.col("_look").is_duplicated())
               .sort(line).with_columns(pl.col(name).first().over("_look").alias("_first"),
                                        pl.col(line).first().over("_look").alias("_at"))
               .filter(pl.col(name) != pl.col("_first")))
    if clashes.height == 0:
        return
    shown = clashes.sort(line).head(MAX_PROBLEMS)
    problems.leave_out(clashes.height - shown.height)
    for at_line, text, first, first_line in shown.select(line, name, "_first", "_at").iter_rows():
        problems.add(at_line, name, f"an id that does not look like another ({quote(first)} "
                     f"on line {first_line})", quote(text))
