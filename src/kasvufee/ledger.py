"""The payment ledger: entries, held items and their sums.

A ``Ledger`` wraps two polars tables (columnar, for speed at scale) and
offers the records a person or a script reads: ``Entry`` and ``HeldItem``,
immutable values with the fields of the design's ledger contract.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl

from kasvufee.money import cents_to_text, format_cents
from kasvufee.store import DEFAULT_LEDGER

if TYPE_CHECKING:
    from kasvufee.store import PostedLedger

ENTRY_FIELDS = ("entry_id", "scheme_id", "scheme_version", "component", "provider_id",
                "client_id", "earned_on", "period", "amount", "kind", "event_ids",
                "explanation", "capped_from", "cap", "currency")


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger line.

    Attributes:
        entry_id: deterministic id: the same inputs give the same id.
        scheme_id, scheme_version: the scheme and version that priced it.
        component: the component id.
        provider_id: who is paid.
        client_id: for whom (None for contract-level entries).
        earned_on: the date the condition became true.
        period: ``YYYY-MM`` payout period (the month of ``earned_on`` in a run).
        amount: a two-decimal string in ``currency``, negative for a reversal.
        kind: ``earned`` (``reversal`` in posted ledgers).
        event_ids: the events that made the condition true.
        explanation: one sentence: rule, inputs, result, cap applied.
        capped_from, cap: the amount before a cap cut it, and the cap's id.
        facts: the inputs and steps the explanation is made of.
        cap_usage: for each cap over this entry, what it had paid out before and after.
        currency: the ISO 4217 code of the scheme's amounts (``EUR``, ``GBP``, ``AUD``).
    """

    entry_id: str
    scheme_id: str
    scheme_version: str
    component: str
    provider_id: str
    client_id: str | None
    earned_on: dt.date
    period: str
    amount: str
    kind: str
    event_ids: tuple[str, ...]
    explanation: str
    capped_from: str | None
    cap: str | None
    facts: tuple[str, ...] = ()
    cap_usage: tuple[str, ...] = ()
    currency: str = "EUR"

    def to_dict(self) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in ENTRY_FIELDS}
        d["earned_on"] = self.earned_on.isoformat()
        d["event_ids"] = list(self.event_ids)
        return d


@dataclass(frozen=True, slots=True)
class HeldItem:
    """A candidate that earned nothing, and why (ineligible, no proof, pending …)."""

    component: str
    provider_id: str
    client_id: str | None
    earned_on: dt.date | None
    event_ids: tuple[str, ...]
    reason: str
    amount: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component, "provider_id": self.provider_id,
            "client_id": self.client_id,
            "earned_on": self.earned_on.isoformat() if self.earned_on else None,
            "event_ids": list(self.event_ids), "reason": self.reason, "amount": self.amount,
        }


class Ledger:
    """The result of ``evaluate``: entries in earning order and held items.

    ``frame`` holds the entries with ``amount`` and ``capped_from`` as Int64
    cents; ``entries`` gives them as ``Entry`` records with two-decimal strings,
    in the scheme's ``currency``.
    """

    def __init__(self, scheme_id: str, frame: pl.DataFrame, held: pl.DataFrame,
                 as_of: dt.date, voided: Mapping[str, str] | None = None,
                 currency: str = "EUR") -> None:
        self.scheme_id = scheme_id
        self.currency = currency
        self.frame = frame
        self.held_frame = held
        self.as_of = as_of
        # the events removed by voids known on as_of: voided id -> void id
        self.voided: Mapping[str, str] = voided or {}

    @staticmethod
    def open(target: str | os.PathLike[str] = DEFAULT_LEDGER) -> PostedLedger:
        """Open a posted ledger (SQLite path or ``postgresql://`` DSN) to post,
        close, verify, explain and report: see ``kasvufee.store.PostedLedger``."""
        from kasvufee.store import PostedLedger

        return PostedLedger.open(target)

    def __len__(self) -> int:
        return self.frame.height

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    @property
    def entries(self) -> tuple[Entry, ...]:
        out = []
        for r in self.frame.iter_rows(named=True):
            out.append(Entry(
                entry_id=r["entry_id"], scheme_id=r["scheme_id"],
                scheme_version=r["scheme_version"], component=r["component"],
                provider_id=r["provider_id"], client_id=r["client_id"],
                earned_on=r["earned_on"], period=r["period"], amount=format_cents(r["amount"]),
                kind=r["kind"], event_ids=tuple(r["event_ids"]), explanation=r["explanation"],
                capped_from=None if r["capped_from"] is None else format_cents(r["capped_from"]),
                cap=r["cap"], facts=tuple(r["facts"]), cap_usage=tuple(r["cap_usage"]),
                currency=r["currency"]))
        return tuple(out)

    @property
    def held(self) -> tuple[HeldItem, ...]:
        return tuple(
            HeldItem(r["component"], r["provider_id"], r["client_id"], r["earned_on"],
                     tuple(r["event_ids"]), r["reason"], r["amount"])
            for r in self.held_frame.iter_rows(named=True))

    def total(self) -> Decimal:
        return _euros(int(self.frame["amount"].sum()))

    def by(self, column: str) -> dict[str, Decimal]:
        """Sums of ``amount`` by a column (component, provider_id, client_id, period)."""
        sums = (self.frame.filter(pl.col(column).is_not_null())
                .group_by(column).agg(pl.col("amount").sum()).sort(column))
        return {k: _euros(v) for k, v in sums.iter_rows()}

    def output_frame(self) -> pl.DataFrame:
        """Entries as a flat table with euro strings (csv, parquet, xlsx outputs)."""
        return self.frame.with_columns(
            cents_to_text(pl.col("amount")).alias("amount"),
            pl.when(pl.col("capped_from").is_not_null())
            .then(cents_to_text(pl.col("capped_from"))).alias("capped_from"),
        )


def _euros(cents: int) -> Decimal:
    return Decimal(format_cents(cents))
