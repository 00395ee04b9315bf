"""Raw frames from rows of Python values: JSON Lines files and in-memory records.

Every value becomes the text the CSV reader would have seen (a number its
exact decimal text, a date its ISO form, a list of integers ``4;4;3``), so the
one vectorised parser in ``_canon`` validates all formats alike.  Values that
have no text form for their column (a list in a non-list column, an object)
are reported here.

Rows are handled in chunks: a chunk's columns are built with list
comprehensions and turned into text by polars when a column holds one plain
type (all ``str``, all ``int``, all ``bool``, lists of ``int``); only mixed
columns are converted value by value.

JSON Lines are decoded with :mod:`json` (polars' and pyarrow's NDJSON readers
skip blank lines, losing the line numbers, read numbers as floats, losing
exactness, and turn a list in a text column into text silently).  Numbers are
decoded as :class:`~decimal.Decimal`, so ``0.1`` is exactly 0.1 (and a JSON
number with an exponent, ``1e3``, is exactly 1000).  A chunk of lines is
decoded at once as one JSON array; a chunk with a problem is decoded again
line by line to report each bad line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import polars as pl

from kasvufee.events._canon import COLUMN_KINDS, LINE, RawEvents
from kasvufee.events._limits import too_many_columns
from kasvufee.events._problems import ProblemLog
from kasvufee.events.types import REQUIRED_COLUMNS, AttributeType, attribute_type

_EMPTY_JSON: Final = "no value"
_CHUNK_ROWS: Final = 20_000
_PROGRESS_CALLS: Final = 20
_LIST_EXPECTED: Final = "integers separated by ';' like 4;4;3"
_BOM: Final = b"\xef\xbb\xbf"
_NONE_TYPE: Final = type(None)
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return result


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


MAX_NUMBER_CHARS: Final = 40
"""A JSON number of more characters is refused before it is converted (a
5 000-digit integer, ``1e999999999`` written out in full)."""


def _number(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters, more than {MAX_NUMBER_CHARS}")
    return Decimal(text)


def _integer(text: str) -> int:
    return int(_number(text))


_DECODER: Final = json.JSONDecoder(
    parse_float=_number, parse_int=_integer, parse_constant=_no_constant,
    object_pairs_hook=_unique_keys,
)


def _show(value: object, limit: int = 60) -> str:
    """A short JSON-like rendering of ``value`` for a message (however deeply nested)."""
    if isinstance(value, Mapping | list | tuple):
        items = list(value.items()) if isinstance(value, Mapping) else list(value)
        parts: list[str] = []
        used = 2
        for item in items:
            if used > limit:
                parts.append("...")
                break
            part = (f"{_show(item[0], limit - used)}: {_show(item[1], limit - used)}"
                    if isinstance(value, Mapping) else _show(item, limit - used))
            parts.append(part)
            used += len(part) + 2
        left, right = ("{", "}") if isinstance(value, Mapping) else ("[", "]")
        text = left + ", ".join(parts) + right
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: object) -> str:
    if isinstance(value, Mapping):
        return f"an object {_show(value)}"
    if isinstance(value, list | tuple):
        return f"a list {_show(value)}"
    return f"a value of type {type(value).__name__}"


def _list_text(items: Iterable[object]) -> str | None:
    """``4;4;3`` for a list of integers (or of texts, checked later), else None."""
    parts: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str):
            return None
        parts.append(str(item))
    return ";".join(parts)


def _scalar_text(value: object) -> str | None:
    """The text of a scalar value, or None if it has none."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return None


def _boolean_text(value: bool) -> str:
    return "true" if value else "false"


def _decimal_text(value: Decimal) -> str:
    """Exact text without an exponent; NaN stays 'NaN', and a number too large
    or too small for any column keeps its exponent (``1E+999999999`` written out
    would be a billion digits), which the decimal parser then refuses."""
    if value.is_finite() and abs(value.adjusted()) <= MAX_NUMBER_CHARS:
        return format(value, "f")
    return str(value)


_CONVERTERS: Final[Mapping[type, Callable[[Any], str]]] = {
    str: str,
    int: str,
    bool: _boolean_text,
    Decimal: _decimal_text,
    float: repr,
    dt.date: dt.date.isoformat,
    dt.datetime: dt.datetime.isoformat,
}
"""Text of values of these exact types (what :func:`_scalar_text` does, faster)."""


class _Builder:
    """Raw frame chunks from chunks of rows."""

    def __init__(self, types: Mapping[str, AttributeType], problems: ProblemLog,
                 columns: Collection[str] | None = None) -> None:
        self.types = types
        self.problems = problems
        self.columns = columns
        self.chunks: list[pl.DataFrame] = []
        self.names: dict[str, None] = {}

    def add(self, lines: list[int], rows: list[Mapping[str, object]]) -> None:
        if not rows:
            return
        first = rows[0].keys()
        keys: dict[object, None] = dict.fromkeys(first)
        if not all(row.keys() == first for row in rows):
            for row in rows:
                keys.update(dict.fromkeys(row))
        if too_many_columns(len(keys.keys() | self.names.keys()), self.problems):
            self.problems.fail()
        data: dict[str, pl.Series] = {LINE: pl.Series(LINE, lines, dtype=pl.UInt32)}
        for key in keys:
            name = str(key)
            if name == "line" or name in data:
                continue  # kasvufee numbers the rows itself; str(key) made two keys equal
            if self.columns is not None and name not in self.columns:
                continue
            if _SURROGATE.search(name):
                self.problems.add(lines[0], None, "keys without unpaired surrogates",
                                  ascii(name)[:60])
                continue
            data[name] = self._column(name, lines, [row.get(key) for row in rows])  # type: ignore[call-overload]
            self.names.setdefault(name)
        self.chunks.append(pl.DataFrame(data))

    def _column(self, name: str, lines: list[int], values: list[object]) -> pl.Series:
        kind = COLUMN_KINDS.get(name) or attribute_type(name, self.types)
        types = set(map(type, values))
        types.discard(_NONE_TYPE)
        if types <= {str}:
            return self._strings(name, lines, values)
        if types == {int} or types == {bool}:
            try:
                dtype = pl.Int64 if int in types else pl.Boolean
                return pl.Series(name, values, dtype=dtype).cast(pl.String)
            except (OverflowError, TypeError, ValueError, pl.exceptions.PolarsError):
                pass  # beyond Int64: value by value, the integer parser reports it
        if kind == "integer_list" and types <= {list} and self._all_int_items(values):
            with contextlib.suppress(OverflowError, TypeError, ValueError,
                                     pl.exceptions.PolarsError):  # beyond Int64: one by one
                items = pl.Series(name, values, dtype=pl.List(pl.Int64))
                return items.cast(pl.List(pl.String)).list.join(";")
        if types <= _CONVERTERS.keys() and not (kind == "date" and dt.datetime in types):
            convert = _CONVERTERS
            texts = [None if v is None else convert[type(v)](v) for v in values]
        else:
            texts = [self._text(line, name, kind, v) for line, v in zip(lines, values, strict=True)]
        return self._strings(name, lines, texts)

    def _strings(self, name: str, lines: list[int], values: list[Any]) -> pl.Series:
        """A text column; a text with an unpaired surrogate (JSON ``"\\ud800"``)
        cannot be UTF-8, so it is a problem on its line."""
        try:
            return pl.Series(name, values, dtype=pl.String)
        except UnicodeEncodeError:
            pass
        kept: list[str | None] = []
        for line, value in zip(lines, values, strict=True):
            if value is not None and _SURROGATE.search(value):
                self.problems.add(line, name, "text without unpaired surrogates",
                                  ascii(value)[:60])
                value = None
            kept.append(value)
        return pl.Series(name, kept, dtype=pl.String)

    @staticmethod
    def _all_int_items(values: list[object]) -> bool:
        for value in values:
            if isinstance(value, list) and not all(type(i) is int for i in value):
                return False
        return True

    def _text(self, line: int, name: str, kind: str, value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, list | tuple):
            if kind == "integer_list":
                text = _list_text(value)
                if text is not None:
                    return text or None
                self.problems.add(line, name, _LIST_EXPECTED, _describe(value))
                return None
            self.problems.add(line, name, "a single value", _describe(value))
            return None
        if (
            kind == "date"
            and isinstance(value, dt.datetime)
            and value.tzinfo is None
            and value.time() == dt.time()
        ):
            return value.date().isoformat()  # e.g. a pandas Timestamp at midnight
        text = _scalar_text(value)
        if text is None:
            self.problems.add(line, name, "text, a number, a date or a list", _describe(value))
        return text

    def raw(self) -> RawEvents:
        """The raw frame of every row added; raises if a required key is in no row."""
        if self.chunks:
            for name in REQUIRED_COLUMNS:
                if name not in self.names:
                    self.problems.add(None, name, f"a key '{name}' in every record", "it in none")
            if any(name not in self.names for name in REQUIRED_COLUMNS):
                self.problems.fail()
            frame = pl.concat(self.chunks, how="diagonal")
            frame = frame.select(LINE, *self.names)
        else:
            frame = pl.DataFrame(
                {LINE: pl.Series(LINE, [], dtype=pl.UInt32)}
                | {name: pl.Series(name, [], dtype=pl.String) for name in REQUIRED_COLUMNS}
            )
        return RawEvents(frame, empty=_EMPTY_JSON)


def rows_to_raw(
    records: Iterable[Mapping[str, object]],
    types: Mapping[str, AttributeType],
    problems: ProblemLog,
) -> RawEvents:
    """The raw frame of in-memory records; ``line`` is the 1-based index."""
    builder = _Builder(types, problems)
    lines: list[int] = []
    rows: list[Mapping[str, object]] = []
    for index, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            problems.add(index, None, "a mapping of column names to values", _describe(record))
            continue
        lines.append(index)
        rows.append(record)
        if len(rows) >= _CHUNK_ROWS:
            builder.add(lines, rows)
            lines, rows = [], []
    builder.add(lines, rows)
    return builder.raw()


def _decode_line(
    number: int, raw: bytes, encoding: str, problems: ProblemLog
) -> dict[str, object] | None:
    """One line's object, or None after adding its problem."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        problems.add(number, None, f"text in {encoding}", f"the byte 0x{raw[exc.start]:02x}")
        return None
    try:
        value = _DECODER.decode(text)
    except _DuplicateKeyError as exc:
        problems.add(number, exc.key, "each key once per record", "it twice")
        return None
    except json.JSONDecodeError as exc:
        where = f"{exc.msg} at column {exc.colno}"
        problems.add(number, None, "a JSON object on one line", f"invalid JSON ({where})")
        return None
    except ValueError as exc:
        problems.add(number, None, "a JSON object on one line", f"invalid JSON ({exc})")
        return None
    except RecursionError:
        problems.add(number, None, "a JSON object nested at most a few hundred levels deep",
                     "deeper nesting")
        return None
    if not isinstance(value, dict):
        problems.add(number, None, "a JSON object on one line", _describe(value))
        return None
    return value


def _decode_chunk(
    numbers: list[int], raws: list[bytes], encoding: str, problems: ProblemLog
) -> tuple[list[int], list[Mapping[str, object]]]:
    """The objects of a chunk of non-blank lines, decoded as one JSON array if possible."""
    try:
        values = _DECODER.decode("[" + b",".join(raws).decode(encoding) + "]")
    except (ValueError, UnicodeDecodeError, RecursionError):
        values = None
    if (
        isinstance(values, list)
        and len(values) == len(raws)
        and all(type(value) is dict for value in values)
    ):
        return numbers, values
    lines: list[int] = []
    rows: list[Mapping[str, object]] = []
    for number, raw in zip(numbers, raws, strict=True):
        value = _decode_line(number, raw, encoding, problems)
        if value is not None:
            lines.append(number)
            rows.append(value)
    return lines, rows


def _line_chunks(path: Path) -> Iterator[tuple[list[int], list[bytes], int]]:
    """Chunks of (line numbers, lines) of the non-blank lines, with the bytes read so far."""
    numbers: list[int] = []
    raws: list[bytes] = []
    done = 0
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            done += len(raw)
            if number == 1:
                raw = raw.removeprefix(_BOM)
            if not raw.strip():
                continue
            numbers.append(number)
            raws.append(raw)
            if len(raws) >= _CHUNK_ROWS:
                yield numbers, raws, done
                numbers, raws = [], []
    yield numbers, raws, done


def read_jsonl(
    path: Path,
    problems: ProblemLog,
    *,
    types: Mapping[str, AttributeType],
    encoding: str,
    progress: Callable[[int, int], None] | None,
    columns: Collection[str] | None = None,
) -> tuple[RawEvents, int]:
    """The raw frame of a JSON Lines file and the progress total (bytes); with
    ``columns``, the other keys are skipped."""
    total = path.stat().st_size
    builder = _Builder(types, problems, columns)
    step = max(1, total // _PROGRESS_CALLS)
    reported = 0
    if progress is not None:
        progress(0, total)
    for numbers, raws, done in _line_chunks(path):
        builder.add(*_decode_chunk(numbers, raws, encoding, problems))
        if progress is not None and done - reported >= step:
            reported = min(done, total)
            progress(reported, total)
    return builder.raw(), total
