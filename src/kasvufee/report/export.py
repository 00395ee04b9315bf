"""Ledger exports for ``kasvufee run``: csv, jsonl, xlsx, parquet and a table.

Every writer takes a ``Ledger`` and a binary stream, so the command line can
write to a temporary file and move it into place only when the run has
succeeded (a failed run writes nothing).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from decimal import Decimal
from typing import IO, Any

import polars as pl

from kasvufee.ledger import ENTRY_FIELDS, Ledger
from kasvufee.money import EURO_DTYPE

FORMATS = ("table", "csv", "jsonl", "xlsx", "parquet")
BINARY = ("xlsx", "parquet")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


AMOUNT_COLUMNS = ("amount", "capped_from", "sampled_amount", "failed_amount", "recovered")


def write_frame(df: pl.DataFrame, fmt: str, out: IO[bytes], sheet: str = "ledger") -> None:
    """Write a table of entries (euro amounts as two-decimal text) as csv, jsonl,
    xlsx or parquet.

    Parquet has amounts as decimal(18,2); xlsx as numbers with dates as dates;
    csv and jsonl keep the text (``"900.00"``), with dates as ISO text.  Lists are
    ``;``-joined where the format has none (csv, xlsx); jsonl and parquet keep them.
    """
    amounts = [c for c in AMOUNT_COLUMNS if c in df.columns]
    if fmt == "parquet":
        df.with_columns(pl.col(c).cast(EURO_DTYPE) for c in amounts).write_parquet(out)
        return
    # decimal euros as two-decimal text (the posted ledger's entries)
    df = df.with_columns(pl.col(c).cast(pl.String) for c in amounts)
    lists = [c for c, t in df.schema.items() if isinstance(t, pl.List)]
    if fmt == "xlsx":
        _write_xlsx(df.with_columns([pl.col(c).list.join(";") for c in lists]), out, sheet)
        return
    dates = [c for c, t in df.schema.items() if t in (pl.Date, pl.Datetime)]
    df = df.with_columns([pl.col(c).dt.to_string("iso") if df.schema[c] == pl.Datetime
                          else pl.col(c).dt.strftime("%Y-%m-%d") for c in dates])
    if fmt == "jsonl":
        df.write_ndjson(out)
    elif fmt == "csv":
        formula_safe(df.with_columns([pl.col(c).list.join(";") for c in lists])).write_csv(out)
    else:
        raise ValueError(f"unknown format {fmt!r}")


def neutralise(text: str | None) -> str:
    """Text for a csv cell: a leading ``'`` when a spreadsheet would read it as
    a formula (``=HYPERLINK(...)``, ``+``, ``-``, ``@``, tab, carriage return)."""
    if text is None:
        return ""
    return "'" + text if text.startswith(FORMULA_START) else text


_FORMULA_PATTERN = "^[" + re.escape("".join(FORMULA_START)) + "]"


def formula_safe(df: pl.DataFrame, amounts: tuple[str, ...] = AMOUNT_COLUMNS) -> pl.DataFrame:
    """The columnar ``neutralise`` for every text column but the ``amounts`` (a
    reversal's ``-900.00`` is a number to the spreadsheet, and must stay one)."""
    text = [c for c, t in df.schema.items() if t == pl.String and c not in amounts]
    return df.with_columns([
        pl.when(pl.col(c).str.contains(_FORMULA_PATTERN))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c) for c in text])


def safe_cell(cell: Any, value: Any) -> None:
    """Put ``value`` in a worksheet cell; text that a spreadsheet would read as a
    formula (``=HYPERLINK(...)``) stays text."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"


def _write_xlsx(df: pl.DataFrame, out: IO[bytes], sheet: str) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(df.columns)
    money = {i for i, c in enumerate(df.columns, start=1) if c in AMOUNT_COLUMNS}
    formats = {i: "yyyy-mm-dd" if t == pl.Date else "yyyy-mm-dd hh:mm:ss"
               for i, t in enumerate(df.dtypes, start=1) if t in (pl.Date, pl.Datetime)}
    for r, row in enumerate(df.iter_rows(), start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if c in money and value is not None:
                cell.value = Decimal(value)
                cell.number_format = "#,##0.00"
            else:
                safe_cell(cell, value)
                if c in formats:
                    cell.number_format = formats[c]
    for c, name in enumerate(df.columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = 60 if name == "explanation" else 16
    header_row(ws)
    wb.save(out)


def header_row(ws: Any) -> None:
    """Freeze the header row of a worksheet and put an autofilter on its table."""
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def _ledger_writer(fmt: str) -> Callable[[Ledger, IO[bytes]], None]:
    def write(ledger: Ledger, out: IO[bytes]) -> None:
        write_frame(ledger.output_frame().select(ENTRY_FIELDS), fmt, out)
    return write


def write_table(ledger: Ledger, out: IO[bytes]) -> None:
    from rich.console import Console
    from rich.table import Table

    text = io.StringIO()
    console = Console(file=text, width=160, force_terminal=False, color_system=None)
    table = Table(title=f"{ledger.scheme_id}: ledger as of {ledger.as_of.isoformat()}",
                  show_lines=False)
    for name, justify in (("component", "left"), ("provider", "left"), ("client", "left"),
                          ("earned on", "left"), (f"amount {ledger.currency}", "right"),
                          ("cap", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in ledger.entries:
        cap = f"{e.cap} (from {e.capped_from})" if e.cap else ""
        table.add_row(e.component, e.provider_id, e.client_id or "—", e.earned_on.isoformat(),
                      f"{e.amount:.2f}", cap)
    table.add_section()
    table.add_row("total", "", "", "", f"{ledger.total():.2f}", "")
    console.print(table)
    out.write(text.getvalue().encode())


WRITERS: dict[str, Callable[[Ledger, IO[bytes]], None]] = {
    "table": write_table, **{fmt: _ledger_writer(fmt) for fmt in ("csv", "jsonl", "xlsx",
                                                                    "parquet")}}
