"""Reading a CSV events file into a raw frame (see ``_canon``).

Two passes over the file, both in polars:

1. ``scan_lines`` counts the physical lines, the lines with a quote character
   and, for every other line, the separators in it: a line without quotes whose
   field count differs from the header's is a ragged row (polars itself fills a
   short row with nulls silently and rejects a long one without saying where).
2. ``read_csv`` with every column as text and no header (the header is row 0,
   so its names are checked here: empty, repeated, missing required columns).

``line`` is the physical line a record starts on, the header being line 1:
blank lines count (polars returns them as all-null rows, dropped later), and
when the file has quoted cells the newlines inside them are counted too, so a
record after a multi-line cell still gets its real line number.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Final, TypedDict

import polars as pl

from kasvufee.errors import UsageError
from kasvufee.events._canon import LINE, RawEvents
from kasvufee.events._limits import too_many_columns
from kasvufee.events._problems import MAX_PROBLEMS, ProblemLog, quote
from kasvufee.events.types import REQUIRED_COLUMNS

_QUOTE: Final = '"'
# every cell as text, no header handling: the reader parses and checks columns itself
class _TextCells(TypedDict):
    has_header: bool
    infer_schema: bool
    quote_char: str
    raise_if_empty: bool


_TEXT_CELLS: Final[_TextCells] = {"has_header": False, "infer_schema": False,
                                  "quote_char": _QUOTE, "raise_if_empty": True}
_PROGRESS_BATCHES: Final = 20
_MIN_BATCH_ROWS: Final = 50_000
_MAX_NAMES_SHOWN: Final = 30
_MAX_MESSAGE_CHARS: Final = 100


def is_utf8(encoding: str) -> bool:
    """Whether ``encoding`` names UTF-8 (with or without BOM); raises UsageError if unknown."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise UsageError(f"--encoding: expected an encoding such as utf-8 or cp1252, got "
                         f"{encoding!r}") from None
    return name in ("utf-8", "utf-8-sig")


def decode_problem(data: bytes, encoding: str, problems: ProblemLog) -> bool:
    """Add a problem where ``data`` does not decode as ``encoding``; False if it decodes."""
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        hint = " (a Finnish Excel export is usually cp1252: --encoding cp1252)" if is_utf8(
            encoding) else ""
        problems.add(line, None, f"text in {encoding}{hint}", f"the byte 0x{byte}")
        return True
    return False


def _report_unreadable(
    exc: Exception,
    path: Path,
    encoded: bytes | None,
    separator: str,
    problems: ProblemLog,
) -> None:
    """A problem for a file polars could not read, located when we can.

    This is the slow path of a broken file: the bytes are decoded again to find
    the first undecodable byte, then parsed with the :mod:`csv` module to find an
    unclosed quote.
    """
    try:
        data = encoded if encoded is not None else path.read_bytes()
    except OSError:
        data = None
    if data is not None:
        if decode_problem(data, "utf-8", problems):
            return
        text = data.decode("utf-8").removeprefix("\ufeff")
        if _locate_with_csv_module(text, separator, problems):
            return
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if len(message) > _MAX_MESSAGE_CHARS:
        message = message[: _MAX_MESSAGE_CHARS - 3] + "..."
    problems.add(
        None,
        None,
        'a readable CSV file (a quote " may only open and close a cell)',
        f"an error from the CSV parser: {message}",
    )


def _locate_with_csv_module(text: str, separator: str, problems: ProblemLog) -> bool:
    """Find an unclosed quote or a ragged row with the csv module; False if none."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    start = 1
    width: int | None = None
    found = 0
    try:
        for row in reader:
            if width is None:
                width = len(row)
            elif len(row) != width and any(cell.strip(" \t") for cell in row):
                found += 1
                if found <= MAX_PROBLEMS:
                    problems.add(start, None, f"{width} fields like the header", f"{len(row)}")
            start = reader.line_num + 1
    except csv.Error as exc:
        message = str(exc)
        if "unexpected end of data" in message:
            problems.add(start, None, 'a closing quote " for the cell opened on this line', "none")
        elif "expected after" in message:
            problems.add(
                reader.line_num,
                None,
                f"'{separator}' or the end of the line after a closing quote \"",
                "more text",
            )
        else:
            problems.add(reader.line_num, None, "well-formed CSV", message)
        found += 1
    problems.leave_out(max(0, found - MAX_PROBLEMS))
    return found > 0


def read_csv(
    path: Path,
    problems: ProblemLog,
    *,
    finnish: bool,
    encoding: str,
    progress: Callable[[int, int], None] | None,
    columns: Collection[str] | None = None,
) -> tuple[RawEvents, int]:
    """The raw frame of a CSV file and the progress total (bytes); with
    ``columns``, only those columns are kept (and, in a file without quotes,
    only they are read: no cell spans lines, so the line numbers need no other)."""
    separator = ";" if finnish else ","
    source: str | bytes = str(path)
    encoded: bytes | None = None
    if not is_utf8(encoding):
        data = path.read_bytes()
        if decode_problem(data, encoding, problems):
            problems.fail()
        encoded = data.decode(encoding).removeprefix("\ufeff").encode("utf-8")
        source = encoded

    # Pass 1: the line structure.
    try:
        shape = (
            pl.scan_lines(source)
            .select(
                n=pl.col("line").str.count_matches(separator, literal=True).cast(pl.UInt32),
                q=pl.col("line").str.contains(_QUOTE, literal=True),
                length=pl.col("line").str.len_bytes(),
                cr=pl.col("line").str.ends_with("\r").cast(pl.UInt32),
            )
            .collect()
        )
    except (pl.exceptions.PolarsError, OSError) as exc:
        _report_unreadable(exc, path, encoded, separator, problems)
        problems.fail(exc)
    total_lines = shape.height
    if total_lines == 0:
        problems.add(1, "header", "a header row naming the columns", "an empty file")
        problems.fail()
    size = path.stat().st_size if encoded is None else len(encoded)
    if progress is not None:
        progress(0, size)
    header_separators = int(shape["n"][0])
    if too_many_columns(header_separators + 1, problems):
        problems.fail()
    odd = (
        shape.with_row_index("i", offset=1)
        .filter((pl.col("n") != header_separators) & ~pl.col("q"))
        # a line of only separators is blank (a blank row), not a ragged one
        .filter(pl.col("length") != pl.col("n") + pl.col("cr"))
        .select("i", "n")
    )
    any_quotes = bool(shape["q"].any())
    # bytes up to the end of each line, for progress: the line, its '\n'
    ends = (shape["length"].cast(pl.UInt64) + 1).cum_sum() if progress is not None else None
    del shape

    # Pass 2: the cells, as text.
    try:
        cells = pl.scan_csv(source, separator=separator, **_TEXT_CELLS)
        names: list[str] | None = None
        if columns is not None and not any_quotes:
            header = cells.head(1).collect()
            keep = [(c, n) for c, n in zip(header.columns, _header(
                header, separator, finnish, problems), strict=True) if n in columns]
            problems.raise_if_any()
            cells = cells.select(c for c, _ in keep)
            names = [n for _, n in keep]
        if progress is None or ends is None:
            table = cells.collect()
        else:
            table = _read_in_batches(cells, progress, ends, size)
    except pl.exceptions.NoDataError as exc:
        problems.add(1, "header", "a header row naming the columns", "an empty file")
        problems.fail(exc)
    except (pl.exceptions.PolarsError, OSError) as exc:
        if header_separators == 0 and _separator_hint(source, separator, finnish, problems):
            problems.fail(exc)
        ragged = _report_ragged(
            source, odd, header_separators, None, problems, any_quotes=any_quotes
        )
        if odd.height and ragged:
            problems.fail(exc)
        _report_unreadable(exc, path, encoded, separator, problems)
        problems.fail(exc)

    if names is None:
        names = _header(table, separator, finnish, problems)
        problems.raise_if_any()
        if table.width != header_separators + 1:
            odd = odd.clear()  # the header has a quoted separator: field counts are unreliable
    frame = table.select(
        _line_numbers(table.columns, any_quotes).alias(LINE),
        *(pl.col(c).alias(n) for c, n in zip(table.columns, names, strict=True)
          if n and (columns is None or n in columns)),
    )
    if odd.height:
        _report_ragged(source, odd, header_separators, frame[LINE], problems, any_quotes=any_quotes)
    problems.raise_if_any()
    return RawEvents(frame.slice(1), finnish=finnish), size


def _read_in_batches(
    cells: pl.LazyFrame,
    progress: Callable[[int, int], None],
    ends: pl.Series,
    size: int,
) -> pl.DataFrame:
    """``cells`` collected in batches of rows, calling ``progress(bytes, size)`` after each.

    The bytes done are estimated from the physical lines (``ends``: the bytes up
    to the end of each line) as if no record spanned two lines.
    """
    rows = max(_MIN_BATCH_ROWS, ends.len() // _PROGRESS_BATCHES)
    batches: list[pl.DataFrame] = []
    done = 0
    for batch in cells.collect_batches(chunk_size=rows):
        batches.append(batch)
        done += batch.height
        progress(min(int(ends[min(done, ends.len()) - 1]), size), size)
    if not batches:
        raise pl.exceptions.NoDataError("empty CSV")
    return pl.concat(batches, rechunk=True)


def _line_numbers(columns: list[str], any_quotes: bool) -> pl.Expr:
    """The physical line each record (the header included) starts on."""
    index = pl.int_range(1, pl.len() + 1, dtype=pl.UInt32)
    if not any_quotes:
        return index
    newlines = pl.sum_horizontal(
        pl.col(c).str.count_matches("\n", literal=True).fill_null(0).cast(pl.UInt32)
        for c in columns
    )
    return index + newlines.cum_sum() - newlines


def _report_ragged(
    source: str | bytes,
    odd: pl.DataFrame,
    header_separators: int,
    lines: pl.Series | None,
    problems: ProblemLog,
    *,
    any_quotes: bool,
) -> bool:
    """Problems for lines with another number of fields than the header.

    ``odd`` holds the unquoted lines (``i``) whose separator count ``n`` differs
    from the header's.  Blank lines (only spaces and separators) are fine.  A line
    inside a multi-line quoted cell is not a record: with ``lines`` (the record
    start lines) known, such lines are skipped; without it, in a file with
    quotes only lines with too many fields are reported.
    """
    if lines is None:
        if any_quotes:
            odd = odd.filter(pl.col("n") > header_separators)
    else:
        starts = lines.sort()
        record = starts.search_sorted(odd["i"], side="right").cast(pl.Int64) - 1
        starts_there = starts.gather(record.clip(0)) == odd["i"]
        odd = odd.filter(starts_there)
    if not odd.height:
        return False
    # Lines of only spaces and separators are blank rows: look at the text of the
    # first few candidates (these are rare: a file without problems has none).
    wanted = odd.head(2 * MAX_PROBLEMS)
    texts = (
        pl.scan_lines(source)
        .with_row_index("i", offset=1)
        .join(wanted.lazy(), on="i", how="semi")
        .collect()
    )
    blank = {i for i, text in texts.iter_rows() if not text.strip(" \t\r,;")}
    ragged = [(i, n) for i, n in wanted.iter_rows() if i not in blank]
    for i, n in ragged:
        problems.add(i, None, f"{header_separators + 1} fields like the header", f"{n + 1}")
    problems.leave_out(odd.height - wanted.height)
    return bool(ragged) or odd.height > wanted.height


def _add_separator_hint(header: str, finnish: bool, problems: ProblemLog) -> bool:
    """If ``header`` is one name holding the other separator, say which option reads it."""
    separator, other = (";", ",") if finnish else (",", ";")
    if other not in header:
        return False
    option = "without --finnish" if finnish else "with --finnish"
    problems.add(
        1,
        "header",
        f"columns separated by '{separator}' (a file separated by '{other}' is read {option})",
        quote(header.removeprefix("\ufeff").strip()),
    )
    return True


def _separator_hint(
    source: str | bytes, separator: str, finnish: bool, problems: ProblemLog
) -> bool:
    """:func:`_add_separator_hint` for the first line of ``source``."""
    first = pl.scan_lines(source, n_rows=1).collect().to_series()
    return first.len() == 1 and _add_separator_hint(first[0] or "", finnish, problems)


def _header(table: pl.DataFrame, separator: str, finnish: bool, problems: ProblemLog) -> list[str]:
    """The checked column names (row 0 of ``table``); '' for an unnamed empty column."""
    raw = [(cell or "").strip(" \t") for cell in table.row(0)]
    if raw:
        raw[0] = raw[0].removeprefix("\ufeff").strip(" \t")
    names: list[str] = []
    first_seen: dict[str, int] = {}
    for index, name in enumerate(raw, start=1):
        column = table.columns[index - 1]
        if not name:
            if table.get_column(column).slice(1).null_count() < table.height - 1:
                problems.add(1, "header", f"a name for column {index}", "an empty cell")
            names.append("")
            continue
        if name in first_seen:
            problems.add(
                1,
                "header",
                "unique column names",
                f"{quote(name)} in columns {first_seen[name]} and {index}",
            )
        first_seen.setdefault(name, index)
        names.append(name)

    present = [n for n in names if n]
    missing = [name for name in REQUIRED_COLUMNS if name not in first_seen]
    if missing and len(present) == 1 and _add_separator_hint(present[0], finnish, problems):
        return names
    shown = ", ".join(present[:_MAX_NAMES_SHOWN]) + (
        ", ..." if len(present) > _MAX_NAMES_SHOWN else ""
    )
    for name in missing:
        problems.add(1, "header", f"a column '{name}'", f"columns {shown}" if present else "none")
    return names
