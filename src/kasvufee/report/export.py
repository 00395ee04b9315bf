"""Ledger exports for ``kasvufee run``: csv, jsonl, xlsx, parquet and a table.

Every writer takes a ``Ledger`` and a binary stream, so the command line can
write to a temporary file and move it into place only when the run has
succeeded (a failed run writes nothing).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import IO

import polars as pl

from kasvufee.ledger import ENTRY_FIELDS, Ledger

FORMATS = ("table", "csv", "jsonl", "xlsx", "parquet")
BINARY = ("xlsx", "parquet")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_jsonl(ledger: Ledger, out: IO[bytes]) -> None:
    """One JSON object per entry, fields in the contract's order."""
    ledger.output_frame().with_columns(pl.col("earned_on").dt.strftime("%Y-%m-%d")).select(
        ENTRY_FIELDS).write_ndjson(out)


def _flat(ledger: Ledger) -> pl.DataFrame:
    return ledger.output_frame().with_columns(
        pl.col("event_ids").list.join(";"),
        pl.col("earned_on").dt.strftime("%Y-%m-%d"),
    ).select(ENTRY_FIELDS)


def write_csv(ledger: Ledger, out: IO[bytes]) -> None:
    _flat(ledger).write_csv(out)


def write_parquet(ledger: Ledger, out: IO[bytes]) -> None:
    ledger.output_frame().select(ENTRY_FIELDS).write_parquet(out)


def write_xlsx(ledger: Ledger, out: IO[bytes]) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "ledger"
    ws.append(list(ENTRY_FIELDS))
    amount_cols = {ENTRY_FIELDS.index("amount") + 1, ENTRY_FIELDS.index("capped_from") + 1}
    for r, row in enumerate(_flat(ledger).iter_rows(), start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if c in amount_cols and value is not None:
                cell.value = Decimal(value)
                cell.number_format = "#,##0.00"
            else:
                cell.value = value
                if isinstance(value, str) and value.startswith(FORMULA_START):
                    cell.data_type = "s"  # text, never a formula
    for c, name in enumerate(ENTRY_FIELDS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = 60 if name == "explanation" else 16
    ws.freeze_panes = "A2"
    wb.save(out)


def write_table(ledger: Ledger, out: IO[bytes]) -> None:
    from rich.console import Console
    from rich.table import Table

    text = io.StringIO()
    console = Console(file=text, width=160, force_terminal=False, color_system=None)
    table = Table(title=f"{ledger.scheme_id}: ledger as of {ledger.as_of.isoformat()}",
                  show_lines=False)
    for name, justify in (("component", "left"), ("provider", "left"), ("client", "left"),
                          ("earned on", "left"), ("amount €", "right"), ("cap", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in ledger.entries:
        cap = f"{e.cap} (from {e.capped_from})" if e.cap else ""
        table.add_row(e.component, e.provider_id, e.client_id or "—", e.earned_on.isoformat(),
                      e.amount, cap)
    table.add_section()
    table.add_row("total", "", "", "", f"{ledger.total():.2f}", "")
    console.print(table)
    out.write(text.getvalue().encode())


WRITERS: dict[str, Callable[[Ledger, IO[bytes]], None]] = {
    "table": write_table, "csv": write_csv, "jsonl": write_jsonl,
    "xlsx": write_xlsx, "parquet": write_parquet,
}
