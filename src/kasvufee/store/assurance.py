"""The assurance records in the database: reading, appending, the sampling frame.

One table, ``kasvufee_assurance``, one row per record (draw, result, recovery,
dispute, decision) with its details as JSON in ``body``.  Every row is sealed
(``kasvufee.store.seals``) by the seal of the transaction that wrote it, so
``verify`` names a record changed, removed or inserted behind the library's
back; what the records mean is ``kasvufee.assurance.cycle``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select

from kasvufee.store import schema as t
from kasvufee.store.seals import read_rows, records


def read_records(conn: Connection, scheme_id: str | None = None,
                 until: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The records in the order written (of one scheme; recorded up to ``until``)."""
    where = None
    if scheme_id is not None:
        where = t.assurance.c.scheme_id == scheme_id
    if until is not None:
        after = t.assurance.c.recorded_at <= until
        where = after if where is None else where & after
    out = []
    for row in read_rows(conn, t.assurance, where, order="record_no"):
        row["body"] = json.loads(row["body"])
        out.append(row)
    return out


def append_records(conn: Connection, rows: Sequence[dict[str, Any]],
                   stamp: dt.datetime) -> list[list[str]]:
    """Insert the records, numbered after the last; return their seal records."""
    last = int(conn.execute(select(func.coalesce(func.max(t.assurance.c.record_no), 0))
                            ).scalar_one())
    stored = [{**r, "record_no": n, "recorded_at": stamp,
               "body": json.dumps(r["body"], ensure_ascii=False, sort_keys=True)}
              for n, r in enumerate(rows, start=last + 1)]
    conn.execute(t.assurance.insert(), stored)
    return records(conn, t.assurance.name, t.assurance.c.record_no > last)


def sampling_frame(conn: Connection, scheme_id: str, first: str, last: str) -> pl.DataFrame:
    """The entries a draw samples: the scheme's earned entries posted in periods
    ``first`` to ``last`` and not reversed (an entry already reversed pays
    nothing to validate)."""
    e = t.entries.c
    reversed_ids = select(e.reverses).where(e.reverses.is_not(None))
    rows = conn.execute(
        select(e.entry_id, e.basis_id, e.provider_id, e.component, e.client_id, e.period,
               e.amount_cents)
        .where((e.scheme_id == scheme_id) & (e.kind == "earned") & (e.period >= first)
               & (e.period <= last) & e.entry_id.not_in(reversed_ids))
        .order_by(e.chain_no)).all()
    return pl.DataFrame(rows, orient="row", schema={
        "entry_id": pl.String(), "basis_id": pl.String(), "provider_id": pl.String(),
        "component": pl.String(), "client_id": pl.String(), "period": pl.String(),
        "amount_cents": pl.Int64()})
