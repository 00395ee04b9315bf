"""Reading a Parquet events file into a raw frame (see ``_canon``).

Columns already of their canonical dtype (or safely castable to it: narrower
integers, a naive date-time of another unit, a decimal with at most 10 decimals)
are kept typed; any other column is turned into text and parsed like CSV, so
that its bad values are reported cell by cell.  Floats become their shortest
text (``0.1`` → ``'0.1'``), a float column of whole numbers is accepted as
integers, a date-time at midnight as a date.  ``line`` is the row index + 1.
Only the columns asked for are read (projection pushdown into the scan).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Final, NoReturn

import polars as pl

from kasvufee.events._canon import COLUMN_KINDS, LINE, TARGET_DTYPES, RawEvents, left_out_types
from kasvufee.events._limits import too_many_columns
from kasvufee.events._problems import ProblemLog
from kasvufee.events.types import (
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    REQUIRED_COLUMNS,
    AttributeType,
    attribute_type,
)

_INTEGERS: Final = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32)
_MAX_NAMES_SHOWN: Final = 30


def _is_nested(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.List | pl.Array | pl.Struct)


def _as_text(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.List | pl.Array):
        return col.cast(pl.List(pl.String)).list.join(";")
    return col.cast(pl.String)


def _coerce(name: str, kind: str, dtype: pl.DataType) -> pl.Expr | None:
    """``name`` as its canonical dtype or as text to parse; None if it cannot be read."""
    col = pl.col(name)
    if kind == "string":
        return None if _is_nested(dtype) else col.cast(pl.String)
    target = TARGET_DTYPES[kind]
    if dtype == target:
        return col
    if kind == "decimal":
        if isinstance(dtype, pl.Decimal):
            scale = dtype.scale or 0
            precision = dtype.precision or DECIMAL_PRECISION
            if scale <= DECIMAL_SCALE and precision - scale <= DECIMAL_PRECISION - DECIMAL_SCALE:
                return col.cast(target)
        return _as_text(col, dtype)
    if kind == "integer":
        if isinstance(dtype, _INTEGERS):
            return col.cast(target)
        if isinstance(dtype, pl.Float32 | pl.Float64):
            return col.cast(pl.String).str.replace(r"\.0$", "")
        return _as_text(col, dtype)
    if kind == "date":
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
            return col.cast(pl.String).str.replace(r"[ T]00:00:00(?:\.0+)?$", "")
        return _as_text(col, dtype)
    if kind == "datetime":
        if isinstance(dtype, pl.Date) or (
            isinstance(dtype, pl.Datetime) and dtype.time_zone is None
        ):
            return col.cast(target)
        return _as_text(col, dtype)
    if kind == "integer_list":
        if isinstance(dtype, pl.List | pl.Array) and isinstance(dtype.inner, _INTEGERS):
            return col.cast(target)
        return _as_text(col, dtype)
    return _as_text(col, dtype)  # boolean from anything but Boolean


def read_parquet(
    path: Path,
    problems: ProblemLog,
    *,
    types: Mapping[str, AttributeType],
    progress: Callable[[int, int], None] | None,
    columns: Collection[str] | None = None,
    keep: Collection[str] | None = None,
) -> tuple[RawEvents, int]:
    """The raw frame of a Parquet file and the progress total (rows); with
    ``columns``, only those columns are read from the file; with ``keep``, the
    rows of other types are left out in the scan (see ``_canon.split_types``)."""
    try:
        # the row index comes from the scan, in the same chunks as the columns
        scan = pl.scan_parquet(path, row_index_name=LINE, row_index_offset=1)
        schema = scan.collect_schema()
        if progress is not None:
            progress(0, scan.select(pl.len()).collect().item())
    except Exception as exc:  # polars, pyarrow and OS errors alike: the file is unreadable
        _unreadable(problems, exc)

    present = [name for name in schema if name != LINE]
    if too_many_columns(len(present), problems):
        problems.fail()
    shown = ", ".join(present[:_MAX_NAMES_SHOWN]) + (
        ", ..." if len(present) > _MAX_NAMES_SHOWN else ""
    )
    for name in REQUIRED_COLUMNS:
        if name not in present:
            problems.add(None, "columns", f"a column '{name}'", f"columns {shown}")
    selected: dict[str, pl.Expr] = {}
    for name in present:
        if name == "line" or (columns is not None and name not in columns):
            continue  # "line": the canonical table's own column, e.g. a table written back
        kind = COLUMN_KINDS.get(name) or attribute_type(name, types)
        expr = _coerce(name, kind, schema[name])
        if expr is None:
            problems.add(None, name, "a column of single values", f"a column of {schema[name]}")
        else:
            selected[name] = expr.alias(name)
    problems.raise_if_any()
    try:
        others: list[str] = []
        if keep is not None and "type" in selected and "event_id" in selected:
            # the types first (one column), then both parts in one pass: the rows
            # of types no rule reads are never decoded beyond their id and type
            found = scan.select(pl.col("type").cast(pl.String).unique()).collect()
            others = left_out_types(found.get_column("type").to_list(), keep)
        if not others:
            table = scan.select(LINE, *selected.values()).collect()
            return RawEvents(table), table.height
        is_other = pl.col("type").cast(pl.String).is_in(others)
        table, left_out = pl.collect_all([
            scan.filter(~is_other).select(LINE, *selected.values()),
            scan.filter(is_other).select(LINE, selected["event_id"], selected["type"]),
        ])
    except Exception as exc:
        _unreadable(problems, exc)
    return RawEvents(table, left_out=left_out), table.height + left_out.height


def _unreadable(problems: ProblemLog, exc: Exception) -> NoReturn:
    problems.add(None, None, "a readable Parquet file", "a damaged or non-Parquet file")
    problems.fail(exc)
