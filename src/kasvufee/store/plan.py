"""What a post adds: the difference between what is posted and what is due.

Pure functions, no database.  ``plan_posting`` compares the live posted
entries of a scheme (earned and not yet reversed) with a fresh evaluation:

- a posted entry no longer supported (its entitlement gone, or its amount
  changed) gets a **reversal** with the reason;
- an entitlement not posted (new, late, or corrected after a reversal) gets a
  new **earned** entry in the posting period, keeping its ``earned_on``.

Entitlements are matched by ``basis_id``: the evaluation's deterministic entry
id.  Posting the same inputs again therefore plans nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from kasvufee.ledger import Ledger
from kasvufee.money import format_cents
from kasvufee.scheme.describe import describe, describe_cap
from kasvufee.scheme.model import Scheme


@dataclass(frozen=True, slots=True)
class Posted:
    """A posted entry as the planner needs it."""

    entry_id: str
    basis_id: str
    kind: str
    amount_cents: int
    reverses: str | None
    row: Mapping[str, Any]


def live_entries(posted: Sequence[Posted]) -> dict[str, Posted]:
    """Earned entries not reversed, by basis id."""
    reversed_ids = {p.reverses for p in posted if p.reverses}
    return {p.basis_id: p for p in posted if p.kind == "earned" and p.entry_id not in reversed_ids}


def plan_posting(scheme: Scheme, ledger: Ledger, events: pl.DataFrame,
                 posted: Sequence[Posted], period: str) -> list[dict[str, Any]]:
    """The rows a post must append (without chain fields), reversals first."""
    live = live_entries(posted)
    used_ids = {p.entry_id for p in posted}
    due = {r["entry_id"]: r for r in ledger.frame.iter_rows(named=True)}
    rows: list[dict[str, Any]] = []
    why: _Reasons | None = None  # built once, only when something is no longer supported
    for basis, old in live.items():
        new = due.get(basis)
        if new is not None and new["amount"] == old.amount_cents:
            continue
        if new is not None:
            reason = _amount_changed(old, new)
        else:
            why = why or _Reasons(ledger, events)
            reason = why.of(old)
        rows.append(_reversal(old, reason, period))
    to_add = [new for basis, new in due.items()
              if basis not in live or live[basis].amount_cents != new["amount"]]
    fields = _event_fields(events, [new["event_ids"] for new in to_add])
    enrolments = _enrolments(events, {(n["provider_id"], n["client_id"]) for n in to_add
                                      if n["client_id"] is not None})
    rules = {(v.version, c.id): describe(v, c) for v in scheme.versions for c in v.components}
    caps = [describe_cap(c) for v in scheme.versions for c in v.caps]
    for new in to_add:
        basis = new["entry_id"]
        entry_id = _fresh_id(basis, used_ids)
        used_ids.add(entry_id)
        derivation = {
            "scheme": scheme.scheme, "title": scheme.title,
            "version": new["scheme_version"],
            "rule": rules[(new["scheme_version"], new["component"])],
            "as_of": ledger.as_of.isoformat(),
            "facts": list(new["facts"]), "cap_usage": list(new["cap_usage"]),
            "caps": caps,
            "events": [fields[e] for e in new["event_ids"] if e in fields],
            "client": enrolments.get((new["provider_id"], new["client_id"])),
        }
        rows.append({
            "entry_id": entry_id, "basis_id": basis, "scheme_id": new["scheme_id"],
            "scheme_version": new["scheme_version"], "component": new["component"],
            "provider_id": new["provider_id"], "client_id": new["client_id"],
            "earned_on": new["earned_on"], "period": period, "amount_cents": new["amount"],
            "kind": "earned", "event_ids": json.dumps(list(new["event_ids"])),
            "explanation": new["explanation"], "capped_from_cents": new["capped_from"],
            "cap": new["cap"], "reverses": None,
            "derivation": json.dumps(derivation, ensure_ascii=False, sort_keys=True),
        })
    return rows


def _fresh_id(basis: str, used: set[str]) -> str:
    """The basis id, or ``basis.2``, ``basis.3`` … when re-entered after a reversal."""
    if basis not in used:
        return basis
    n = 2
    while f"{basis}.{n}" in used:
        n += 1
    return f"{basis}.{n}"


def _amount_changed(old: Posted, new: Mapping[str, Any]) -> str:
    now = f"the amount is now {format_cents(new['amount'])} €, not " \
          f"{format_cents(old.amount_cents)} €"
    if new["cap"] is not None:
        return f"{now} (cap {new['cap']} leaves {format_cents(new['amount'])} €)"
    if old.row["cap"] is not None:
        return f"{now} (cap {old.row['cap']} no longer cuts it)"
    return now


class _Reasons:
    """Why posted entries are no longer supported, looked up from one pass over
    the voids and the held items (not one scan of the events per reversal)."""

    def __init__(self, ledger: Ledger, events: pl.DataFrame) -> None:
        self.ledger = ledger
        self.void_reasons: dict[str, str] = {}
        if "reason" in events.columns:
            voids = events.filter(pl.col("event_id").is_in(list(ledger.voided.values()))
                                  & pl.col("reason").is_not_null())
            self.void_reasons = dict(zip(voids["event_id"].to_list(),
                                         voids["reason"].cast(pl.String).to_list(),
                                         strict=True))
        held = ledger.held_frame.select(
            "component", "provider_id", pl.col("event_ids").list.first().alias("first"),
            "reason")
        self.held: dict[tuple[str, str, str | None], str] = {}
        for component, provider, first, reason in held.iter_rows():
            self.held.setdefault((component, provider, first), reason)

    def of(self, old: Posted) -> str:
        events = json.loads(old.row["event_ids"])
        voided = [e for e in events if e in self.ledger.voided]
        if voided:
            voids = [self.ledger.voided[e] for e in voided]
            reasons = [self.void_reasons[v] for v in voids if v in self.void_reasons]
            why = f" ({'; '.join(reasons)})" if reasons else ""
            return (f"no longer supported: event {', '.join(voided)} was voided by "
                    f"{', '.join(voids)}{why}")
        held = self.held.get((old.row["component"], old.row["provider_id"],
                              events[0] if events else None))
        if held is not None:
            return f"no longer supported: {held}"
        return (f"no longer supported by the events known on "
                f"{self.ledger.as_of.isoformat()} (events {', '.join(events) or 'none'})")


def _reversal(old: Posted, reason: str, period: str) -> dict[str, Any]:
    row = old.row
    return {
        "entry_id": f"{old.entry_id}-rev", "basis_id": old.basis_id,
        "scheme_id": row["scheme_id"], "scheme_version": row["scheme_version"],
        "component": row["component"], "provider_id": row["provider_id"],
        "client_id": row["client_id"], "earned_on": row["earned_on"], "period": period,
        "amount_cents": -old.amount_cents, "kind": "reversal", "event_ids": row["event_ids"],
        "explanation": f"Reverses {old.entry_id} ({format_cents(old.amount_cents)} €, "
                       f"{row['component']}, posted in {row['period']}): {reason}.",
        "capped_from_cents": None, "cap": None, "reverses": old.entry_id,
        "derivation": json.dumps({"reason": reason, "reverses": old.entry_id},
                                 ensure_ascii=False, sort_keys=True),
    }


def _event_fields(events: pl.DataFrame, id_lists: Sequence[Sequence[str]]
                  ) -> dict[str, dict[str, Any]]:
    """The fields of the events named in ``id_lists`` (for the derivation)."""
    wanted = sorted({e for ids in id_lists for e in ids})
    if not wanted:
        return {}
    rows = events.filter(pl.col("event_id").is_in(wanted))
    out: dict[str, dict[str, Any]] = {}
    for r in rows.iter_rows(named=True):
        out[r["event_id"]] = {k: _plain(v) for k, v in r.items() if v is not None}
    return out


def _enrolments(events: pl.DataFrame, clients: set[tuple[str, str]]
                ) -> dict[tuple[str, str], dict[str, Any]]:
    """The first ``enrolled`` event of each (provider, client): the client's attributes."""
    if not clients:
        return {}
    first = (events.filter(pl.col("type") == "enrolled")
             .sort("occurred_on", "recorded_at", "event_id")
             .unique(["provider_id", "client_id"], keep="first", maintain_order=True))
    return {(r["provider_id"], r["client_id"]): {k: _plain(v) for k, v in r.items()
                                                 if v is not None}
            for r in first.iter_rows(named=True)
            if (r["provider_id"], r["client_id"]) in clients}


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (int, str, bool)) or value is None:
        return value
    return str(value)  # Decimal: exact text
