"""What a post adds: the difference between what is posted and what is due.

No database of its own: the stored rows it needs come through a callback.
``plan_posting`` compares the live posted
entries of a scheme (earned and not yet reversed) with a fresh evaluation:

- a posted entry no longer supported (its entitlement gone, or its amount
  changed) gets a **reversal** with the reason;
- an entitlement not posted (new, late, or corrected after a reversal) gets a
  new **earned** entry in the posting period, keeping its ``earned_on``.

Entitlements are matched by ``basis_id``: the evaluation's deterministic entry
id.  Posting the same inputs again therefore plans nothing.  The diff is polars
joins; Python rows are made only for what is appended.  The events table is
queried lazily: an eager query would first copy all its columns, read in
chunks, into one (about 0.2 s each at 3 M events).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import polars as pl

from kasvufee.ledger import Ledger
from kasvufee.money import cents_to_text, format_cents
from kasvufee.scheme.describe import describe, describe_cap
from kasvufee.scheme.model import Scheme

# The columns of the posted entries the plan diffs against (loaded in chain order)
POSTED = {"entry_id": pl.String(), "basis_id": pl.String(), "kind": pl.String(),
          "amount_cents": pl.Int64(), "reverses": pl.String()}


def live_entries(posted: pl.DataFrame) -> pl.DataFrame:
    """Earned entries not reversed: at most one per basis id, since a basis is
    entered again only in the post that reverses its live entry."""
    reversed_ids = posted["reverses"].drop_nulls().implode()
    return posted.filter((pl.col("kind") == "earned") & ~pl.col("entry_id").is_in(reversed_ids))


def plan_posting(scheme: Scheme, ledger: Ledger, events: pl.DataFrame, posted: pl.DataFrame,
                 period: str, stored: Callable[[list[str]], Mapping[str, Mapping[str, Any]]],
                 failed: Mapping[str, str] | None = None,
                 cuts: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    """The rows a post must append (without chain fields), reversals first.

    ``posted`` has the ``POSTED`` columns of the scheme's entries in chain order;
    ``stored`` gives the stored rows of the entries to reverse, by entry id (only
    those few are read in full).  ``failed`` names the basis ids whose entries
    failed validation, with the reason (``kasvufee.assurance.cycle``): their
    live entry is reversed, and they are not paid again while the failure stands;
    ``cuts`` the partial failures among them, by the cents not supported: those
    are paid again less that part.
    """
    failed, cuts = failed or {}, cuts or {}
    live = live_entries(posted)
    due = ledger.frame
    whole = [b for b in failed if b not in cuts]
    if whole:
        due = due.filter(~pl.col("entry_id").is_in(whole))
    if cuts:
        cut = pl.col("entry_id").replace_strict(dict(cuts), default=0, return_dtype=pl.Int64)
        reduced = cut > 0
        due = due.with_columns(
            pl.when(reduced).then(pl.max_horizontal(pl.col("amount") - cut, pl.lit(0)))
            .otherwise(pl.col("amount")).alias("amount"),
            pl.when(reduced).then(pl.format(
                "{} Less {} €, not supported: {}.", pl.col("explanation"), cents_to_text(cut),
                pl.col("entry_id").replace_strict(dict(failed), default="")))
            .otherwise(pl.col("explanation")).alias("explanation"))
    # a live entry is reversed when its basis is no longer due, or due with another amount
    stale = (live.join(due.select(pl.col("entry_id").alias("basis_id"), "amount", "cap"),
                       on="basis_id", how="left", maintain_order="left")
             .filter(pl.col("amount").ne_missing(pl.col("amount_cents"))))
    olds = stored(stale["entry_id"].to_list())
    rows: list[dict[str, Any]] = []
    why: _Reasons | None = None  # built once, only when something is no longer supported
    for entry_id, amount, cap in stale.select("entry_id", "amount", "cap").iter_rows():
        old = olds[entry_id]
        if old["basis_id"] in failed:
            reason = failed[old["basis_id"]]
        elif amount is not None:
            reason = _amount_changed(old, amount, cap)
        else:
            why = why or _Reasons(ledger, events, olds.values())
            reason = why.of(old)
        rows.append(_reversal(old, reason, period))
    # what is due and not live with the same amount: new, late, or corrected
    to_add = due.join(live.select(pl.col("basis_id").alias("entry_id"),
                                  pl.col("amount_cents").alias("amount")),
                      on=["entry_id", "amount"], how="anti", maintain_order="left")
    used_ids = set(posted["entry_id"].to_list())
    fields = _event_fields(events, to_add["event_ids"])
    enrolments = _enrolments(events, to_add.select("provider_id", "client_id"))
    rules = {(v.version, c.id): describe(v, c) for v in scheme.versions for c in v.components}
    caps = [describe_cap(c) for v in scheme.versions for c in v.caps]
    for new in to_add.iter_rows(named=True):
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


CORRECTIONS = ("recovery", "adjustment")


def plan_corrections(due: list[dict[str, Any]], posted: pl.DataFrame, period: str,
                     stored: Callable[[list[str]], Mapping[str, Mapping[str, Any]]]
                     ) -> list[dict[str, Any]]:
    """The recovery and adjustment rows a post appends: those due
    (``kasvufee.assurance.cycle.due_corrections``) and not posted with the same
    amount, after a reversal of each posted one no longer due as it stands."""
    reversed_ids = posted["reverses"].drop_nulls().implode()
    live = {basis: (entry_id, amount) for entry_id, basis, amount in posted.filter(
        pl.col("kind").is_in(CORRECTIONS) & ~pl.col("entry_id").is_in(reversed_ids))
        .select("entry_id", "basis_id", "amount_cents").iter_rows()}
    wanted = {r["basis_id"]: r for r in due}
    stale = [(entry_id, wanted.get(basis)) for basis, (entry_id, amount) in live.items()
             if basis not in wanted or wanted[basis]["amount_cents"] != amount]
    olds = stored([entry_id for entry_id, _ in stale])
    rows = []
    for entry_id, now in stale:
        reason = ("no longer due as the validation results stand" if now is None else
                  f"the amount is now {format_cents(now['amount_cents'])} as the validation "
                  "results stand")
        rows.append(_reversal(olds[entry_id], reason, period))
    used = set(posted["entry_id"].to_list())
    for basis, row in wanted.items():
        if basis in live and live[basis][1] == row["amount_cents"]:
            continue
        entry_id = _fresh_id(basis, used)
        used.add(entry_id)
        rows.append({**row, "entry_id": entry_id})
    return rows


def _fresh_id(basis: str, used: set[str]) -> str:
    """The basis id, or ``basis.2``, ``basis.3`` … when re-entered after a reversal."""
    if basis not in used:
        return basis
    n = 2
    while f"{basis}.{n}" in used:
        n += 1
    return f"{basis}.{n}"


def _amount_changed(old: Mapping[str, Any], amount: int, cap: str | None) -> str:
    now = f"the amount is now {format_cents(amount)} €, not " \
          f"{format_cents(old['amount_cents'])} €"
    if cap is not None:
        return f"{now} (cap {cap} leaves {format_cents(amount)} €)"
    if old["cap"] is not None:
        return f"{now} (cap {old['cap']} no longer cuts it)"
    return now


class _Reasons:
    """Why posted entries are no longer supported, looked up from one pass over
    the voids and the held items (not one scan of the events per reversal); only
    the held items of the ``olds`` to reverse are read (W3 holds 120 000)."""

    def __init__(self, ledger: Ledger, events: pl.DataFrame,
                 olds: Iterable[Mapping[str, Any]]) -> None:
        self.ledger = ledger
        self.void_reasons: dict[str, str] = {}
        if "reason" in events.columns:
            voids = (events.lazy()
                     .filter(pl.col("event_id").is_in(list(ledger.voided.values()))
                             & pl.col("reason").is_not_null())
                     .select("event_id", pl.col("reason").cast(pl.String)).collect())
            self.void_reasons = dict(voids.iter_rows())
        firsts = [ids[0] for old in olds if (ids := json.loads(old["event_ids"]))]
        held = ledger.held_frame.select(
            "component", "provider_id", pl.col("event_ids").list.first().alias("first"),
            "reason").filter(pl.col("first").is_in(firsts) | pl.col("first").is_null())
        self.held: dict[tuple[str, str, str | None], str] = {}
        for component, provider, first, reason in held.iter_rows():
            self.held.setdefault((component, provider, first), reason)

    def of(self, old: Mapping[str, Any]) -> str:
        events = json.loads(old["event_ids"])
        voided = [e for e in events if e in self.ledger.voided]
        if voided:
            voids = [self.ledger.voided[e] for e in voided]
            reasons = [self.void_reasons[v] for v in voids if v in self.void_reasons]
            why = f" ({'; '.join(reasons)})" if reasons else ""
            return (f"no longer supported: event {', '.join(voided)} was voided by "
                    f"{', '.join(voids)}{why}")
        held = self.held.get((old["component"], old["provider_id"],
                              events[0] if events else None))
        if held is not None:
            return f"no longer supported: {held}"
        return (f"no longer supported by the events known on "
                f"{self.ledger.as_of.isoformat()} (events {', '.join(events) or 'none'})")


def _reversal(row: Mapping[str, Any], reason: str, period: str) -> dict[str, Any]:
    return {
        "entry_id": f"{row['entry_id']}-rev", "basis_id": row["basis_id"],
        "scheme_id": row["scheme_id"], "scheme_version": row["scheme_version"],
        "component": row["component"], "provider_id": row["provider_id"],
        "client_id": row["client_id"], "earned_on": row["earned_on"], "period": period,
        "amount_cents": -row["amount_cents"], "kind": "reversal", "event_ids": row["event_ids"],
        "explanation": f"Reverses {row['entry_id']} ({format_cents(row['amount_cents'])} €, "
                       f"{row['component']}, posted in {row['period']}): {reason}.",
        "capped_from_cents": None, "cap": None, "reverses": row["entry_id"],
        "derivation": json.dumps({"reason": reason, "reverses": row["entry_id"]},
                                 ensure_ascii=False, sort_keys=True),
    }


def _event_fields(events: pl.DataFrame, id_lists: pl.Series) -> dict[str, dict[str, Any]]:
    """The fields of the events named in ``id_lists`` (for the derivation)."""
    wanted = id_lists.explode().drop_nulls().implode()
    rows = events.lazy().filter(pl.col("event_id").is_in(wanted)).collect()
    return {r["event_id"]: r for r in _records(rows)}


def _enrolments(events: pl.DataFrame, clients: pl.DataFrame
                ) -> dict[tuple[str, str], dict[str, Any]]:
    """The first ``enrolled`` event of each (provider, client) in ``clients``: the
    client's attributes (only those clients' enrolments are sorted and described)."""
    first = (events.lazy().filter(pl.col("type") == "enrolled")
             .join(clients.lazy(), on=["provider_id", "client_id"], how="semi")
             .sort("occurred_on", "recorded_at", "event_id")
             .unique(["provider_id", "client_id"], keep="first", maintain_order=True)
             .collect())
    return {(r["provider_id"], r["client_id"]): r for r in _records(first)}


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The rows' fields that have a value, as JSON values (the events table has
    a column per attribute of any type: most are empty in a given selection).

    The columns are made JSON-ready by polars, not value by value in Python
    (half a million values at W3's 22 000 new entries): dates and date-times
    in ISO form, decimals as their exact text."""
    filled = [c for c in frame.columns if frame[c].null_count() < frame.height]
    ready = frame.select(_json_ready(c, frame.schema[c]) for c in filled)
    return [{k: v for k, v in r.items() if v is not None} for r in ready.iter_rows(named=True)]


def _json_ready(name: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    if isinstance(dtype, pl.Datetime):  # as datetime.isoformat: no fraction when it is zero
        return (pl.when(col.dt.microsecond() == 0).then(col.dt.strftime("%Y-%m-%dT%H:%M:%S"))
                .otherwise(col.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f")).alias(name))
    if dtype == pl.String or dtype == pl.Boolean or dtype.is_integer() or (
            isinstance(dtype, pl.List) and dtype.inner.is_integer()):
        return col
    return col.cast(pl.String)  # a date in ISO form; a decimal as its exact text
