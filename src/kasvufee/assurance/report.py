"""The assurance report: per scheme, provider and component, what was sampled,
passed and failed, the error rate, the recovery confirmed and the disputes open.

A failure a dispute overturned is counted apart (``overturned``) and counts
as passed for the error rate: the failed amount (of the failures that stand)
over the sampled amount, the ratio the recovery extrapolates.  ``recovered``
is what the confirmed recoveries come to as the results stand now.  Pure: over
the records of ``PostedLedger.assurance``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from kasvufee.assurance.cycle import (
    Record,
    by_kind,
    decisions,
    due_corrections,
    failed_parts,
    open_disputes,
    outcomes,
)
from kasvufee.money import cents_to_euros

KEY = ("scheme_id", "provider_id", "component")
COUNTS = ("sampled", "passed", "failed", "overturned", "pending", "open_disputes")
CENTS = ("sampled_cents", "failed_cents", "recovered_cents")


def assurance_table(records: Sequence[Record]) -> pl.DataFrame:
    """One row per (scheme, provider, component) with any assurance record;
    amounts as decimal(18,2) euros, the error rate as text to four decimals."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}

    def at(scheme: str, provider: str, component: str) -> dict[str, Any]:
        return rows.setdefault((scheme, provider, component),
                               dict.fromkeys(COUNTS + CENTS, 0))

    for draw in by_kind(records, "draw"):
        outcome = outcomes(records, draw["record_id"])
        parts = failed_parts(records, draw["record_id"])
        for s in draw["body"]["sample"]:
            row = at(draw["scheme_id"], s["provider_id"], s["component"])
            found = outcome.get(s["entry_id"], "pending")
            row["sampled"] += 1
            row[found] += 1
            row["sampled_cents"] += s["amount_cents"]
            row["failed_cents"] += (parts.get(s["entry_id"], s["amount_cents"])
                                    if found == "failed" else 0)
    for scheme_id in sorted({r["scheme_id"] for r in by_kind(records, "recovery")}):
        mine = [r for r in records if r["scheme_id"] == scheme_id]
        for due in due_corrections(mine, scheme_id, "-"):
            if due["kind"] == "recovery":
                at(scheme_id, due["provider_id"], due["component"])["recovered_cents"] -= \
                    due["amount_cents"]
    for d in open_disputes(records):
        at(d["scheme_id"], d["provider_id"], d["body"]["component"])["open_disputes"] += 1
    table = pl.DataFrame([{**dict(zip(KEY, k, strict=True)), **v} for k, v in rows.items()],
                         schema={**dict.fromkeys(KEY, pl.String()),
                                 **dict.fromkeys(COUNTS + CENTS, pl.Int64())})
    rate = pl.when(pl.col("sampled_cents") > 0).then(
        (pl.col("failed_cents").cast(pl.Decimal(38, 6))
         / pl.col("sampled_cents").cast(pl.Decimal(38, 6))).round(4))
    return table.sort(KEY).select(
        *KEY, *COUNTS[:5], cents_to_euros(pl.col("sampled_cents")).alias("sampled_amount"),
        cents_to_euros(pl.col("failed_cents")).alias("failed_amount"),
        rate.cast(pl.Decimal(10, 4)).cast(pl.String).alias("error_rate"),
        cents_to_euros(pl.col("recovered_cents")).alias("recovered"), "open_disputes")


def dispute_table(records: Sequence[Record]) -> pl.DataFrame:
    """Every dispute with its subject and, once decided, the decision."""
    decided = decisions(records)
    out = []
    for d in by_kind(records, "dispute"):
        b, done = d["body"], decided.get(d["record_id"])
        out.append({
            "dispute": d["record_id"], "scheme_id": d["scheme_id"],
            "provider_id": d["provider_id"], "period": d["period"],
            "subject": d["entry_id"] or f"claim: {b['component']} {b.get('client_id') or ''}"
            .strip(),
            "opened_on": d["recorded_at"].date(), "claim": b["reason"],
            "status": "open" if done is None else done["body"]["decision"],
            "decided_on": None if done is None else done["recorded_at"].date(),
            "decision": None if done is None else done["body"]["reason"],
        })
    return pl.DataFrame(out, schema={
        "dispute": pl.String(), "scheme_id": pl.String(), "provider_id": pl.String(),
        "period": pl.String(), "subject": pl.String(), "opened_on": pl.Date(),
        "claim": pl.String(), "status": pl.String(), "decided_on": pl.Date(),
        "decision": pl.String()})
