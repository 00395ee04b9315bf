"""The evaluation ledger: what ``evaluate`` found, entries, held items and sums.

A ``Ledger`` wraps two polars tables (columnar, for speed at scale) and
offers the records a person or a script reads: ``Entry`` and ``HeldItem``,
immutable values with the fields of the design's ledger contract.  Money is
``Decimal`` euros (``Decimal('900.00')``); an entry keeps its integer cents
as ``amount_cents``.  The *posted* ledger, in a database, is
``kasvufee.PostedLedger``: this pure module does not import it.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from kasvufee.money import cents_to_text, format_cents
from kasvufee.plural import count

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
        amount_cents: the amount in integer cents of ``currency``, negative for a
            reversal; ``amount`` is the same as a ``Decimal`` (``Decimal('900.00')``).
        kind: ``earned`` (``reversal`` in posted ledgers).
        event_ids: the events that made the condition true.
        explanation: one sentence: rule, inputs, result, cap applied.
        capped_from_cents, cap: the amount in cents before a cap cut it, and the
            cap's id; ``capped_from`` is that amount as ``Decimal`` euros.
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
    amount_cents: int
    kind: str
    event_ids: tuple[str, ...]
    explanation: str
    capped_from_cents: int | None
    cap: str | None
    facts: tuple[str, ...] = ()
    cap_usage: tuple[str, ...] = ()
    currency: str = "EUR"

    @property
    def amount(self) -> Decimal:
        """The amount in euros, negative for a reversal."""
        return euros(self.amount_cents)

    @property
    def capped_from(self) -> Decimal | None:
        """The amount in euros before a cap cut it, or None."""
        return None if self.capped_from_cents is None else euros(self.capped_from_cents)

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data: the design's contract, euros as two-decimal text."""
        d = {f: getattr(self, f) for f in ENTRY_FIELDS}
        d["earned_on"] = self.earned_on.isoformat()
        d["event_ids"] = list(self.event_ids)
        d["amount"] = format_cents(self.amount_cents)
        d["capped_from"] = (None if self.capped_from_cents is None
                            else format_cents(self.capped_from_cents))
        return d


@dataclass(frozen=True, slots=True)
class HeldItem:
    """A candidate that earned nothing, and why (ineligible, no proof, pending …);
    ``amount``: the euros it would pay when that is known (a pending fee), else None."""

    component: str
    provider_id: str
    client_id: str | None
    earned_on: dt.date | None
    event_ids: tuple[str, ...]
    reason: str
    amount: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        """The held item as JSON-ready data, euros as two-decimal text."""
        return {
            "component": self.component, "provider_id": self.provider_id,
            "client_id": self.client_id,
            "earned_on": self.earned_on.isoformat() if self.earned_on else None,
            "event_ids": list(self.event_ids), "reason": self.reason,
            "amount": None if self.amount is None else f"{self.amount:.2f}",
        }


class Ledger:
    """The result of ``evaluate`` (the evaluation ledger, in memory): entries in
    earning order and held items.

    ``frame`` holds the entries with ``amount`` and ``capped_from`` as Int64
    cents; ``entries`` gives them as ``Entry`` records with ``Decimal`` amounts
    in the scheme's ``currency``. In Jupyter a ledger shows its first entries
    and totals.
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
                earned_on=r["earned_on"], period=r["period"], amount_cents=r["amount"],
                kind=r["kind"], event_ids=tuple(r["event_ids"]), explanation=r["explanation"],
                capped_from_cents=r["capped_from"], cap=r["cap"], facts=tuple(r["facts"]),
                cap_usage=tuple(r["cap_usage"]), currency=r["currency"]))
        return tuple(out)

    @property
    def held(self) -> tuple[HeldItem, ...]:
        return tuple(
            HeldItem(r["component"], r["provider_id"], r["client_id"], r["earned_on"],
                     tuple(r["event_ids"]), r["reason"],
                     None if r["amount"] is None else Decimal(r["amount"]))
            for r in self.held_frame.iter_rows(named=True))

    def total(self) -> Decimal:
        """The sum of the entries in euros."""
        return euros(int(self.frame["amount"].sum()))

    def by(self, column: str) -> dict[str, Decimal]:
        """Sums of ``amount`` by a column (component, provider_id, client_id, period)."""
        sums = (self.frame.filter(pl.col(column).is_not_null())
                .group_by(column).agg(pl.col("amount").sum()).sort(column))
        return {k: euros(v) for k, v in sums.iter_rows()}

    def output_frame(self) -> pl.DataFrame:
        """Entries as a flat table with euro strings (csv, parquet, xlsx outputs)."""
        return self.frame.with_columns(
            cents_to_text(pl.col("amount")).alias("amount"),
            pl.when(pl.col("capped_from").is_not_null())
            .then(cents_to_text(pl.col("capped_from"))).alias("capped_from"),
        )


    def _repr_html_(self, first: int = 10) -> str:
        """Jupyter's view: the first entries, and the totals by component."""
        e = html.escape
        head = ("<tr><th>entry</th><th>component</th><th>provider</th><th>client</th>"
                "<th>earned on</th><th>amount €</th><th>cap</th></tr>")
        rows = "".join(
            f"<tr><td>{e(x.entry_id)}</td><td>{e(x.component)}</td><td>{e(x.provider_id)}</td>"
            f"<td>{e(x.client_id or '—')}</td><td>{x.earned_on.isoformat()}</td>"
            f"<td style='text-align:right'>{x.amount}</td><td>{e(x.cap or '')}</td></tr>"
            for x in self.entries[:first])
        more = (f"<p>… and {count(len(self) - first, 'more entry')}</p>"
                if len(self) > first else "")
        totals = "".join(f"<tr><td>{e(k)}</td><td style='text-align:right'>{v}</td></tr>"
                         for k, v in self.by("component").items())
        return (f"<div><p><b>{e(self.scheme_id)}</b>: {count(len(self), 'entry')}, total "
                f"{self.total()} € as of {self.as_of.isoformat()}; "
                f"{count(len(self.held_frame), 'item')} held</p><table>{head}{rows}</table>{more}"
                f"<table><tr><th>component</th><th>total €</th></tr>{totals}"
                f"<tr><td><b>total</b></td><td style='text-align:right'><b>{self.total()}</b>"
                "</td></tr></table></div>")


def euros(cents: int) -> Decimal:
    """Integer cents as ``Decimal`` euros with two decimals (``90000`` → ``900.00``)."""
    return Decimal(format_cents(cents))
