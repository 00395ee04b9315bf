"""Anchors: the dates windows, deadlines and checkpoints count from, and the
last dates (``until``) they stop at.

A scheme writes a date reference in one of three forms:

- an event type (``enrolled``): the client's first such event with the provider;
- ``client.X``: the date attribute X of the client's enrolment
  (``client.referral_date``);
- ``contract.X``: a fixed date of the contract (``contract:`` of the scheme).

Each compiles to a column: a joined event date, the client's attribute
column, or a literal date.  A client for whom the date is missing is held by
the caller with :func:`missing_text`.
"""

from __future__ import annotations

import polars as pl

from kasvufee.engine.prepare import ENROLLED, Prepared

CLIENT, CONTRACT = "client.", "contract."


def is_event(ref: str) -> bool:
    """Whether ``ref`` names an event type (not a client or contract date)."""
    return not ref.startswith((CLIENT, CONTRACT))


def with_date(df: pl.DataFrame, p: Prepared, ref: str) -> tuple[pl.DataFrame, pl.Expr]:
    """``df`` (rows of clients, with ``client.X`` columns of the attributes the
    component names) with what ``ref`` needs joined, and the date's expression."""
    if ref.startswith(CONTRACT):
        return df, pl.lit(p.contract[ref.removeprefix(CONTRACT)], dtype=pl.Date)
    if ref.startswith(CLIENT):
        return df, pl.col(ref)
    column = f"{ref}_date"
    if column not in df.columns:
        df = df.join(p.first(ref), on=["provider_id", "client_id"], how="left")
    return df, pl.col(column)


def anchor_rows(p: Prepared, ref: str) -> pl.DataFrame:
    """One row per client with its anchor: the client's enrolment columns and
    ``_anchor`` (the date, null when missing), ``_anchor_id`` and ``_anchor_ord``
    (the anchor event, or the enrolment for a client or contract date)."""
    clients = p.clients()
    if is_event(ref) and ref != ENROLLED:
        rows = p.first(ref).join(clients, on=["provider_id", "client_id"], how="left")
        return rows.with_columns(pl.col(f"{ref}_date").alias("_anchor"),
                                 pl.col(f"{ref}_id").alias("_anchor_id"),
                                 pl.col(f"{ref}_ord").alias("_anchor_ord"))
    rows, date = with_date(clients, p, ref)
    return rows.with_columns(date.alias("_anchor"), pl.col("enrolled_id").alias("_anchor_id"),
                             pl.col("enrolled_ord").alias("_anchor_ord"))


def missing_text(ref: str, what: str) -> str:
    """The held reason of a client without the date: ``no enrolled event for the
    client, so the window is unknown``."""
    if is_event(ref):
        return f"no {ref} event for the client, so the {what} is unknown"
    return f"no {ref} for the client, so the {what} is unknown"
