"""``evaluate(scheme, events, as_of)``: the pure core.

1. ``prepare``: what was known on ``as_of``, voids applied, events ordered;
2. each component of each version produces candidates through its kind in
   ``KINDS`` (one registry, one signature: ``(component, version, prepared)
   -> candidate frame``);
3. a candidate is priced by the version in force on its ``price_date``
   (the client's enrolment, else the date the condition became true);
4. once-per keys keep the first qualifying occurrence (earliest ``earned_on``,
   then event order); a provisional payment is topped up by the realised one;
5. conditions true after ``as_of`` are pending, not earned;
6. caps cut entries in earning order;
7. entries get their deterministic id, period and explanation.

Nothing here reads or writes files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from kasvufee.calendar import as_date
from kasvufee.engine.caps import apply_caps, cap_limit
from kasvufee.engine.checkpoint import evaluate_checkpoint
from kasvufee.engine.event_fee import evaluate_event_fee
from kasvufee.engine.frame import (
    by_value,
    date_text,
    hold,
    money_text,
    run_sum,
    spread,
)
from kasvufee.engine.prepare import Prepared, prepare
from kasvufee.engine.schedule import evaluate_schedule
from kasvufee.ledger import Ledger
from kasvufee.money import Currency, cents_to_text
from kasvufee.scheme import expr as ex
from kasvufee.scheme.model import (
    Cap,
    CheckpointFee,
    EventFee,
    OneOf,
    ScheduleFee,
    Scheme,
    Table,
    Tier,
    Version,
)
from kasvufee.scheme.prices import (
    effective_caps,
    effective_tiers,
    event_columns,
    event_types,
    one_of_groups,
)

Kind = Callable[[Any, Version, Prepared], pl.DataFrame]
KINDS: dict[type, Kind] = {
    EventFee: evaluate_event_fee,
    ScheduleFee: evaluate_schedule,
    CheckpointFee: evaluate_checkpoint,
}
EARNING_ORDER = ["earned_on", "stage", "ord", "component_no", "seq", "provider_id", "client_id"]


def evaluate(scheme: Scheme, events: pl.DataFrame, as_of: dt.date | str) -> Ledger:
    """Price ``events`` under ``scheme`` as known on ``as_of`` (a date, or an ISO
    date ``"2018-12-31"``).

    Returns the ``Ledger``: its entries in earning order and the held items
    (candidates that earned nothing, each with its reason).  Raises
    ``UsageError`` for an ``as_of`` that is neither.
    """
    as_of = as_date(as_of, "as_of")
    p = prepare(events, as_of, scheme.attributes, event_types(scheme), event_columns(scheme),
                scheme.trust, scheme.contract, scheme.money)
    order = {c.id: n for v in scheme.versions for n, c in enumerate(v.components)}
    cand = pl.concat(_in_force(KINDS[type(c)](c, v, p), scheme, i, c.id).with_columns(
        pl.lit(order[c.id], dtype=pl.Int64).alias("component_no"))
        for i, v in enumerate(scheme.versions) for c in v.components)
    # from here on in earning order, which filters keep; two components at the
    # same place in different versions can tie: maintain_order keeps such rows
    # in the order of the versions, so the result never depends on the sort
    cand = cand.sort(EARNING_ORDER, nulls_last=True, maintain_order=True)
    cand = _once_per(cand, scheme.money, one_of_groups(scheme))
    cand = _requires_earned(cand, scheme)
    cand = hold(cand, pl.col("earned_on") > pl.lit(as_of),
                pl.format("pending: the condition becomes true on {}, after {}",
                          date_text(pl.col("earned_on")), pl.lit(as_of.isoformat())))
    cand = _tiers(cand, effective_tiers(scheme), p)
    caps = effective_caps(scheme)
    cand = _cap_limits(cand, caps, p)
    earned = apply_caps(cand.filter(pl.col("held").is_null()), caps, scheme.money)
    held = _held(cand.filter(pl.col("held").is_not_null()))
    voided = p.voided
    # the candidates and the working table are the run's largest tables: freed
    # before the explanations are written (yrittajasta: a tenth of the peak)
    del cand, p
    return Ledger(scheme.scheme, _entries(scheme, earned), held, as_of, voided,
                  scheme.currency)


def _requires_earned(cand: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """A component that ``requires_earned`` others pays once they are earned for
    the same provider and client (both null for contract level): on the later
    of its own date and theirs; held when one of them is not earned.  Each
    requirement is applied after those it depends on (the check refuses
    cycles), so a chain holds as a whole; the rows are then in earning order
    again, for the tiers and caps that count in it."""
    rules = [(v.version, c.id, c.requires_earned) for v in scheme.versions
             for c in _dependency_order(v.components) if c.requires_earned]
    if not rules:
        return cand
    who = ["provider_id", "client_id"]
    for version, component, needed in rules:
        earned = (cand.lazy().filter(pl.col("component").is_in(list(needed))
                                     & pl.col("held").is_null())
                  .group_by(*who, "component").agg(pl.col("earned_on").min())
                  .group_by(who).agg(pl.col("earned_on").max().alias("_req_on"),
                                     pl.len().alias("_req_n")).collect())
        cand = cand.join(earned, on=who, how="left", nulls_equal=True, maintain_order="left")
        mine = ((pl.col("component") == component) & (pl.col("version") == version)
                & pl.col("held").is_null())
        names = ", ".join(needed)
        cand = hold(cand, mine & (pl.col("_req_n").fill_null(0) < len(needed)), pl.format(
            "requires {} earned for this client first: not earned", pl.lit(names)))
        met = mine & pl.col("held").is_null()
        later = met & (pl.col("_req_on") > pl.col("earned_on"))
        cand = cand.with_columns(
            pl.when(later).then(pl.col("_req_on")).otherwise(pl.col("earned_on"))
            .alias("earned_on"),
            pl.when(met).then(pl.concat_list("facts", pl.format(
                "requires {} earned first: earned by {}", pl.lit(names),
                date_text(pl.col("_req_on"))))).otherwise(pl.col("facts")).alias("facts"),
        ).drop("_req_on", "_req_n")
    return cand.sort(EARNING_ORDER, nulls_last=True, maintain_order=True)


def _dependency_order(components: Sequence[Any]) -> list[Any]:
    """The components, each after those it ``requires_earned`` (no cycles: checked)."""
    by_id = {c.id: c for c in components}
    done: dict[str, Any] = {}

    def visit(c: Any) -> None:
        for other in c.requires_earned:
            if other in by_id and other not in done:
                visit(by_id[other])
        done.setdefault(c.id, c)

    for c in components:
        visit(c)
    return list(done.values())


def _tiers(cand: pl.DataFrame, tiers: tuple[Tier, ...], p: Prepared) -> pl.DataFrame:
    """Volume prices: the live entries of a tier's components numbered per provider
    and cohort in earning order (``cand`` is in earning order; held rows, also the
    pending ones, are not counted); from ``from_number`` on they pay the tier's amount."""
    for tier in tiers:
        inside = pl.col("component").is_in(list(tier.components))
        if tier.cohort_years_from is not None:
            if "client.enrolled_on" not in cand.columns:
                cand = cand.join(p.clients().select("provider_id", "client_id",
                                                    "client.enrolled_on"),
                                 on=["provider_id", "client_id"], how="left")
            start = pl.lit(p.contract[tier.cohort_years_from.removeprefix("contract.")])
            cohort = ex.between_years(start, pl.col("client.enrolled_on")) + 1
            cand = hold(cand, inside & cohort.is_null(), pl.format(
                "tier {}: no enrolment, so the cohort is unknown", pl.lit(tier.id)))
        else:
            cohort = pl.lit(1, dtype=pl.Int64)
        live = inside & pl.col("held").is_null()
        number = live.cast(pl.Int64).cum_sum().over("provider_id", cohort)
        raised = live & (number >= tier.from_number)
        fact = pl.format("outcome {} of {} in cohort {} of tier {}: from number {} on, {}",
                         number, pl.col("provider_id"), cohort, pl.lit(tier.id),
                         pl.lit(tier.from_number), money_text(pl.lit(tier.amount), p.money))
        cand = cand.with_columns(
            pl.when(raised).then(pl.lit(tier.amount, dtype=pl.Int64))
            .otherwise(pl.col("amount")).alias("amount"),
            pl.when(raised).then(pl.concat_list("facts", fact))
            .otherwise(pl.col("facts")).alias("facts"))
    return cand


def _cap_limits(cand: pl.DataFrame, caps: tuple[Cap, ...], p: Prepared) -> pl.DataFrame:
    """The client attributes that caps by table read, joined onto the candidates; a
    candidate inside such a cap whose client has no limit there is held."""
    for cap in caps:
        if not isinstance(cap.amount, Table):
            continue
        by = cap.amount.by
        if by not in cand.columns:
            cand = cand.join(p.clients().select("provider_id", "client_id", by),
                             on=["provider_id", "client_id"], how="left")
        inside = pl.col("client_id").is_not_null()
        if cap.components is not None:
            inside = inside & pl.col("component").is_in(list(cap.components))
        known = ", ".join(cap.amount.table)
        cand = hold(cand, inside & cap_limit(cap).is_null(), pl.format(
            "cap {}: no limit for {} = {} (needs one of {})", pl.lit(cap.id), pl.lit(by),
            pl.col(by).cast(pl.String).fill_null("missing"), pl.lit(known)))
    return cand


def _in_force(cand: pl.DataFrame, scheme: Scheme, index: int, component: str) -> pl.DataFrame:
    """Keep the rows this version prices.

    Rows priced by another version are that version's business, unless it has
    no such component: then this version holds them with the reason, so that
    nothing disappears silently.  Rows before the first version are held too.
    """
    versions = scheme.versions
    starts = [pl.lit(v.valid_from) for v in versions]
    # the index of the version in force on price_date (-1: before the first)
    in_force = pl.sum_horizontal([(pl.col("price_date") >= s).cast(pl.Int64) for s in starts]) - 1
    cand = cand.with_columns(in_force.alias("_v"))
    names = pl.Series([v.version for v in versions])
    lacking = [i for i, v in enumerate(versions) if component not in {c.id for c in v.components}]
    cand = hold(cand, pl.col("_v").is_in(lacking),
                pl.format("priced by version {} (in force on {}), which has no component {}",
                          pl.col("_v").replace_strict(dict(enumerate(names.to_list())),
                                                      default=None, return_dtype=pl.String),
                          date_text(pl.col("price_date")), pl.lit(component)))
    cand = hold(cand, pl.col("_v") < 0,
                pl.format("no scheme version in force on {} (first: {})",
                          date_text(pl.col("price_date")),
                          pl.lit(versions[0].valid_from.isoformat())))
    # each held row is reported once: by the first version that has this component
    first_with = min(i for i, v in enumerate(versions)
                     if component in {c.id for c in v.components})
    mine = (pl.col("_v") == index) | (
        (pl.col("_v").is_in([*lacking, -1]) | pl.col("_v").is_null()) & pl.lit(index == first_with))
    return cand.filter(mine).drop("_v")


def _once_per(cand: pl.DataFrame, money: Currency,
              groups: Mapping[str, OneOf]) -> pl.DataFrame:
    """Keep the first qualifying row per (component, key); top up provisionals.
    The components of an at-most-one group count as one (``groups``).

    Rows with ``seq`` 1 are provisional ("probable") payments of an
    ``EventFee`` with ``provisional``.  Per key, in earning order: the first
    realised row pays; the first provisional row pays only when no realised
    row came before it, and then the realised row pays only the difference.

    Only the live keyed rows take part, with only the columns this step reads;
    the results (``_lost``: why a row lost; ``_paid``, ``_top_up``: a top-up)
    go back to the candidates by position.
    """
    live_rows = pl.col("key").is_not_null() & pl.col("held").is_null()
    group = pl.col("component")
    label = pl.lit("already earned once for this key")
    if groups:
        group = group.replace_strict({c: g.id for c, g in groups.items()}, default=group)
        label = pl.col("component").replace_strict(
            {c: f"at most one of {', '.join(g.components)} per client: already earned"
             for c, g in groups.items()}, default=label)
    live = cand.lazy().with_row_index("_row").filter(live_rows).select(
        "_row", group.alias("component"), "key", *EARNING_ORDER,
        "amount", pl.col("event_ids").list.first().alias("_id"), label.alias("_label")
    ).collect()
    provisionals = bool((live.get_column("seq") != 0).any())
    cand = spread(cand, _provisional_runs(live, money) if provisionals
                  else _first_per_key(live))
    if provisionals:
        top_up = pl.col("_paid").is_not_null()
        cand = cand.with_columns(
            pl.when(top_up).then(pl.col("amount") - pl.col("_paid"))
            .otherwise(pl.col("amount")).alias("amount"),
            pl.when(top_up).then(pl.concat_list("facts", pl.concat_list("_top_up")))
            .otherwise(pl.col("facts")).alias("facts"),
        ).drop("_paid", "_top_up")
    lost = pl.col("_lost").is_not_null()
    # a losing policy row (deadline passed, stage 1) was never an event: drop it
    # (filtering copies every column: only when there is one)
    never = lost & (pl.col("stage") == 1)
    if cand.select(never.any()).item():
        cand = cand.filter(~never)
    return hold(cand, lost, pl.col("_lost")).drop("_lost")


def _lost(winner: pl.Expr, winner_on: pl.Expr) -> pl.Expr:
    return pl.format("{} by {} on {}", pl.col("_label"), winner, date_text(winner_on))


def _first_per_key(live: pl.DataFrame) -> pl.DataFrame:
    """Without provisional rows the first row of each key (in earning order) pays."""
    ranked = live.with_columns(
        pl.col("key").is_first_distinct().over("component").alias("_pays"))
    winners = ranked.filter("_pays").select("component", "key", "_id", "earned_on")
    return (ranked.filter(~pl.col("_pays")).join(winners, on=["component", "key"], suffix="_w")
            .select("_row", _lost(pl.col("_id_w"), pl.col("earned_on_w")).alias("_lost")))


def _provisional_runs(live: pl.DataFrame, money: Currency) -> pl.DataFrame:
    """Sorted by key (stably: then in earning order), each key is a run of rows:
    counts within a run are running sums minus the running sum at its first row
    (scans, no hashing)."""
    start = ((pl.col("component") != pl.col("component").shift())
             | (pl.col("key") != pl.col("key").shift())).fill_null(True)
    realised = (pl.col("seq") == 0).cast(pl.Int64)
    provisional = 1 - realised
    live = live.sort("component", "key", maintain_order=True).with_columns(
        run_sum(realised, start).alias("_r"),
        run_sum(provisional, start).alias("_p"),
    ).with_columns(
        ((realised == 1) & (pl.col("_r") == 1)).alias("_pays"),
        ((provisional == 1) & (pl.col("_p") == 1) & (pl.col("_r") == 0)).alias("_prov"),
    )
    prov_amount = pl.when(pl.col("_prov")).then(pl.col("amount")).otherwise(0)
    paid = run_sum(prov_amount, start)
    top_up = pl.col("_pays") & (paid > 0)
    return live.select(
        "_row",
        pl.when(top_up).then(paid).alias("_paid"),
        pl.when(top_up).then(pl.format(
            "top-up: {} less the {} paid for the probable outcome {} on {}",
            money_text(pl.col("amount"), money), money_text(paid, money),
            pl.when(pl.col("_prov")).then(pl.col("_id")).forward_fill(),
            date_text(pl.when(pl.col("_prov")).then(pl.col("earned_on")).forward_fill()),
        )).alias("_top_up"),
        pl.when(~(pl.col("_pays") | pl.col("_prov"))).then(_lost(
            pl.when(start).then(pl.col("_id")).forward_fill(),
            pl.when(start).then(pl.col("earned_on")).forward_fill())).alias("_lost"),
    )


def _entries(scheme: Scheme, earned: pl.DataFrame) -> pl.DataFrame:
    amount = money_text(pl.col("amount"), scheme.money)
    who = pl.when(pl.col("client_id").is_not_null()).then(
        pl.format(" for client {}", pl.col("client_id"))).otherwise(pl.lit(" (contract level)"))
    capped = pl.when(pl.col("cap").is_not_null()).then(pl.format(
        "; cut from {} to the {} left under cap {}",
        money_text(pl.col("capped_from"), scheme.money),
        money_text(pl.col("cap_room"), scheme.money), pl.col("cap"))).otherwise(pl.lit(""))
    explanation = pl.format(
        "{} pays {} to {}{}, earned {}: {}{}. Scheme {} version {}.",
        pl.col("component"), amount, pl.col("provider_id"), who,
        date_text(pl.col("earned_on")), pl.col("facts").list.join("; "), capped,
        pl.lit(scheme.scheme), pl.col("version"))
    # one select: polars works out the ids and the explanations side by side
    return earned.select(
        _entry_ids(scheme.scheme),
        pl.lit(scheme.scheme).alias("scheme_id"),
        pl.col("version").alias("scheme_version"),
        "component", "provider_id", "client_id", "earned_on",
        date_text(pl.col("earned_on"), "%Y-%m").alias("period"),
        "amount",
        pl.lit("earned").alias("kind"),
        "event_ids",
        explanation.alias("explanation"),
        "capped_from", "cap", "facts", "cap_usage",
        pl.lit(scheme.currency).alias("currency"),
    )


def _entry_ids(scheme_id: str) -> pl.Expr:
    """Stable, readable ids from what identifies the entitlement, never from row order:
    ``scheme:version:component:trigger:earned_on[:n]``.

    The trigger is the first event that earned the entry (the provider for a
    schedule's instalments); ``n`` tells a provisional payment from its top-up.
    For example ``varsinais-suomi:1:placement:e0002:20180430``.
    """
    key = pl.concat_str([
        pl.lit(scheme_id), pl.col("version"), pl.col("component"),
        pl.coalesce(pl.col("event_ids").list.first(), pl.col("provider_id")),
        date_text(pl.col("earned_on"), "%Y%m%d"),
    ], separator=":")
    key = pl.when(pl.col("seq") > 0).then(pl.format("{}:{}", key, pl.col("seq"))).otherwise(key)
    return key.alias("entry_id")


def _held(held: pl.DataFrame) -> pl.DataFrame:
    return held.select(
        "component", "provider_id", "client_id", "earned_on", "event_ids",
        pl.col("held").alias("reason"),
        pl.when(pl.col("amount").is_not_null()).then(by_value(pl.col("amount"), cents_to_text))
        .alias("amount"),
    )
