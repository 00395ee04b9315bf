"""The assurance cycle over the ledger's records: what stands, and what to post.

The posted ledger keeps each step as a record (``kasvufee_assurance``): a
*draw* (the sample, with its frame's strata), a *result* per sampled entry
(passed or failed, reason, evidence), a confirmed *recovery*, a *dispute* and
its *decision*.  This module reads those records and says, with no database
of its own:

- which validation failures stand (a failure stands until a dispute over it,
  or over its reversal, is accepted): the next post reverses the entry and
  does not pay its basis again;
- which corrections are due: one *recovery* entry per stratum of a confirmed
  recovery (recomputed as the results stand: a failure overturned later
  lowers it, and the next post reverses and replaces the recovery posted),
  one *adjustment* per dispute accepted with an amount;
- each stratum's recovery, from a draw and its results (``recoveries``).

A record is a mapping with the table's columns and ``body`` decoded.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from kasvufee.assurance.recovery import Recovery, StratumResult, extrapolate
from kasvufee.errors import LedgerStateError
from kasvufee.money import format_cents
from kasvufee.plural import count

Record = Mapping[str, Any]
OUTCOMES = ("passed", "failed")


@dataclass(frozen=True, slots=True)
class StratumRecovery:
    """One stratum of a draw: its validation and the recovery it extrapolates to."""

    provider_id: str
    component: str
    size: int
    sampled: int
    failed: int
    sampled_cents: int
    failed_cents: int
    unsampled_cents: int
    recovery: Recovery


def by_kind(records: Iterable[Record], kind: str) -> list[Record]:
    return [r for r in records if r["kind"] == kind]


def decisions(records: Iterable[Record]) -> dict[str, Record]:
    """The decision of each decided dispute, by the dispute's record id."""
    return {r["body"]["dispute"]: r for r in records if r["kind"] == "decision"}


def standing_failures(records: Sequence[Record]) -> dict[str, Record]:
    """The failed results that stand, by entry id: not overturned by an
    accepted dispute (over the entry or its reversal) without an amount."""
    failed = {r["entry_id"]: r for r in by_kind(records, "result")
              if r["body"]["outcome"] == "failed"}
    decided = decisions(records)
    for dispute in by_kind(records, "dispute"):
        decision = decided.get(dispute["record_id"])
        if decision is None or decision["body"]["decision"] != "accepted" \
                or decision["body"].get("amount_cents") is not None:
            continue
        failed.pop(dispute["body"].get("overturns") or "", None)
    return failed


def failure_reason(result: Record) -> str:
    """A reversal's reason: the validation that failed, with its evidence (and,
    for a partial failure, the part that is not supported)."""
    b = result["body"]
    part = ("" if failed_by(result) >= b["amount_cents"] else
            f"; {format_cents(failed_by(result))} of {format_cents(b['amount_cents'])} not "
            "supported")
    return (f"failed validation in draw {b['draw']} on {result['recorded_at']:%Y-%m-%d}: "
            f"{b['reason']} (evidence {b['evidence']}){part}")


def failed_by(result: Record) -> int:
    """What a failed result takes off its entry, in cents: all of it unless the
    result says a part (``failed_cents``)."""
    b = result["body"]
    cents = b.get("failed_cents")
    return int(b["amount_cents"] if cents is None else cents)


def outcomes(records: Sequence[Record], draw_id: str) -> dict[str, str]:
    """The standing outcome of each validated entry of a draw: ``passed``,
    ``failed``, or ``overturned`` (a failure a dispute overturned: for the
    estimator, it passed)."""
    standing = standing_failures(records)
    out = {}
    for r in by_kind(records, "result"):
        if r["body"]["draw"] == draw_id:
            found = r["body"]["outcome"]
            out[r["entry_id"]] = ("overturned" if found == "failed"
                                  and r["entry_id"] not in standing else found)
    return out


def failed_parts(records: Sequence[Record], draw_id: str) -> dict[str, int]:
    """What each failed result of a draw takes off its entry, in cents."""
    return {r["entry_id"]: failed_by(r) for r in by_kind(records, "result")
            if r["body"]["draw"] == draw_id and r["body"]["outcome"] == "failed"}


def due_corrections(records: Sequence[Record], scheme_id: str, period: str
                    ) -> list[dict[str, Any]]:
    """The recovery and adjustment entries due, each under its basis id: one
    per stratum of a confirmed recovery that owes (recomputed from the results
    as they stand, so an overturned failure lowers it), one per dispute
    accepted with an amount."""
    rows: list[dict[str, Any]] = []
    draws = {d["record_id"]: d for d in by_kind(records, "draw")}
    for rec in by_kind(records, "recovery"):
        draw_id = rec["body"]["draw"]
        basis = rec["body"]["basis"]
        for s in recovery_body(draw_id, basis, recoveries(
                draws[draw_id], outcomes(records, draw_id), basis,
                failed_parts(records, draw_id)))["strata"]:
            if s["amount_cents"] <= 0:
                continue
            reason = (f"confirmed on {rec['recorded_at']:%Y-%m-%d} from draw {draw_id}: "
                      f"{_recovery_text(s)}")
            rows.append(_correction(f"{rec['record_id']}-{s['provider_id']}-{s['component']}",
                                    "recovery", scheme_id, s["provider_id"], s["component"],
                                    None, rec["recorded_at"].date(), period,
                                    -s["amount_cents"], reason, rec))
    decided = decisions(records)
    for dispute in by_kind(records, "dispute"):
        decision = decided.get(dispute["record_id"])
        if decision is None or decision["body"].get("amount_cents") is None:
            continue
        d, b = decision["body"], dispute["body"]
        reason = (f"{dispute['record_id']} accepted on {decision['recorded_at']:%Y-%m-%d}: "
                  f"{d['reason']} (the provider's claim: {b['reason']})")
        rows.append(_correction(f"{dispute['record_id']}-adjustment", "adjustment", scheme_id,
                                dispute["provider_id"], b["component"], b.get("client_id"),
                                decision["recorded_at"].date(), period, d["amount_cents"],
                                reason, decision))
    return rows


def _recovery_text(s: Mapping[str, Any]) -> str:
    return (f"{s['failed']} of {count(s['sampled'], 'sampled entry')} failed "
            f"({format_cents(s['failed_cents'])} of {format_cents(s['sampled_cents'])}, error "
            f"rate {Decimal(s['error_rate']):.4f}), extrapolated to the "
            f"{format_cents(s['unsampled_cents'])} of the {s['size'] - s['sampled']} unsampled "
            f"entries: {s['basis']} {format_cents(s['amount_cents'])} (95 % interval "
            f"{format_cents(s['lower_cents'])} to {format_cents(s['upper_cents'])})")


def _correction(entry_id: str, kind: str, scheme_id: str, provider_id: str, component: str,
                client_id: str | None, on: dt.date, period: str, amount: int, reason: str,
                record: Record) -> dict[str, Any]:
    label = "Recovery" if kind == "recovery" else "Adjustment:"
    return {
        "entry_id": entry_id, "basis_id": entry_id, "scheme_id": scheme_id,
        "scheme_version": "-", "component": component, "provider_id": provider_id,
        "client_id": client_id, "earned_on": on, "period": period, "amount_cents": amount,
        "kind": kind, "event_ids": "[]", "explanation": f"{label} {reason}.",
        "capped_from_cents": None, "cap": None, "reverses": None,
        "derivation": json.dumps({"reason": reason, "assurance": record["record_id"]},
                                 ensure_ascii=False, sort_keys=True),
    }


def recoveries(draw: Record, outcome: Mapping[str, str],
               basis: Literal["lower", "point"] = "lower",
               parts: Mapping[str, int] | None = None) -> list[StratumRecovery]:
    """Each stratum's recovery from ``draw`` and the ``outcome`` of each sampled
    entry (``outcomes``: every one must have one; ``LedgerStateError`` names
    those that do not); a failure fails by its whole amount, or by its part in
    ``parts`` (``failed_parts``)."""
    parts = parts or {}
    sample = draw["body"]["sample"]
    missing = [s["entry_id"] for s in sample if s["entry_id"] not in outcome]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                          else "")
        raise LedgerStateError(f"draw {draw['record_id']}: {count(len(missing), 'sampled entry')}"
                               f" without a validation result ({shown}): record every result "
                               "before the recovery")
    out = []
    for stratum in draw["body"]["strata"]:
        key = (stratum["provider_id"], stratum["component"])
        pairs = [(s["amount_cents"], parts.get(s["entry_id"], s["amount_cents"])
                  if outcome[s["entry_id"]] == "failed" else 0)
                 for s in sample if (s["provider_id"], s["component"]) == key]
        unsampled = stratum["total_cents"] - sum(a for a, _ in pairs)
        result = extrapolate(StratumResult(stratum["N"], unsampled, pairs), basis=basis)
        out.append(StratumRecovery(
            *key, stratum["N"], len(pairs), sum(1 for _, f in pairs if f), sum(a for a, _ in pairs),
            sum(f for _, f in pairs), unsampled, result))
    return out


def recovery_body(draw_id: str, basis: Literal["lower", "point"],
                  strata: Sequence[StratumRecovery]) -> dict[str, Any]:
    """What a confirmed recovery records: every figure, per stratum."""
    return {"draw": draw_id, "basis": basis, "strata": [
        {"provider_id": s.provider_id, "component": s.component, "size": s.size,
         "sampled": s.sampled, "failed": s.failed, "sampled_cents": s.sampled_cents,
         "failed_cents": s.failed_cents, "unsampled_cents": s.unsampled_cents,
         "error_rate": str(s.recovery.error_rate), "point_cents": s.recovery.point_cents,
         "lower_cents": s.recovery.lower_cents, "upper_cents": s.recovery.upper_cents,
         "amount_cents": s.recovery.amount_cents, "basis": s.recovery.basis}
        for s in strata]}


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The buyer's finding on one sampled entry, and where it was read from."""

    entry_id: str
    outcome: str  # passed or failed
    reason: str
    evidence: str
    source: str = "<results>"
    line: int | None = None
    failed_cents: int | None = None  # a partial failure: the part not supported


def open_disputes(records: Sequence[Record]) -> list[Record]:
    """The disputes not decided yet, in the order opened."""
    decided = decisions(records)
    return [d for d in by_kind(records, "dispute") if d["record_id"] not in decided]
