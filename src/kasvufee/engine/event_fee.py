"""``kind: event`` — a fee earned on events of a type.

The trigger events pass through the component's conditions as a pipeline of
column operations; each step may hold rows (with the reason), move
``earned_on`` later, or add events to the evidence of an entry.  The order
is fixed: filter → client attributes → eligible → requires → window →
evidence → accumulate → lasts → amount → (provisional, missing-data rows).
Evidence comes before a running sum so that the sum counts only proven
events, each from its qualifying date.
"""

from __future__ import annotations

import polars as pl

from kasvufee.calendar import Duration
from kasvufee.engine.amounts import pays_text, price, resolve_number
from kasvufee.engine.anchors import anchor_rows, missing_text, with_date
from kasvufee.engine.frame import (
    DECIMAL,
    add_fact,
    attribute_columns,
    attribute_name,
    column,
    combine,
    date_text,
    finish,
    hold,
    hold_not_a_number,
    inputs_note,
    matches,
    money_text,
    number_text,
    run_sum,
    spread,
)
from kasvufee.engine.prepare import Prepared
from kasvufee.scheme import expr as ex
from kasvufee.scheme.model import CountTable, EventFee, Lasts, Missing, Version
from kasvufee.scheme.prices import attribute_names, full_amount, pays_cents

FINAL, PROVISIONAL = "final", "provisional"


def evaluate_event_fee(c: EventFee, version: Version, p: Prepared) -> pl.DataFrame:
    ev = p.events
    names = attribute_names(c)
    # only the columns this component reads travel with its rows
    kept = [n for n in ev.columns if n in _EVENT_COLUMNS or n in names]

    def rows(cond: pl.Expr, stage: str) -> pl.DataFrame:
        return (ev.lazy().filter(cond).select(*kept, pl.lit(stage).alias("_stage"))
                .rename(attribute_columns(kept)).collect())

    trig = rows(pl.col("type").is_in(list(c.types)) & matches(ev, c.where), FINAL)
    if c.provisional is not None:
        trig = pl.concat([trig, rows((pl.col("type") == c.provisional.on)
                                     & matches(ev, c.provisional.where), PROVISIONAL)])
    df = _start(trig, c, version, p, {n for n in names if n.startswith("client.")})
    df = _eligible(df, c)
    df = _requires(df, c, p)
    df = _window(df, c, p)
    final = pl.col("_stage") == FINAL
    df = _evidence(df, c, p)
    df = _accumulate(df, c)
    df = _lasts(df, c, p)
    df = _in_work(df, c, p)
    df = _series(df, c, p)
    df = _repeat(df, c)
    if c.provisional is None:
        df = price(df, version, c, p.money)
    else:
        # a probable outcome pays its own fixed amount: the price (a formula of
        # what only the realised outcome carries, say) is not worked out for it
        df = df.with_row_index("_pos")
        df = combine([price(df.filter(final), version, c, p.money),
                      df.filter(~final)]).sort("_pos").drop("_pos")
        df = add_fact(df, pl.format("a probable outcome pays {} now; the realised one pays the "
                                    "rest", money_text(pl.lit(c.provisional.amount), p.money)),
                      ~final)
        df = df.with_columns(
            pl.when(final).then(pl.col("amount"))
            .otherwise(pl.lit(c.provisional.amount, dtype=pl.Int64)).alias("amount"),
            pl.when(final).then(pl.lit(0)).otherwise(pl.lit(1)).alias("seq"),
        )
    # priced by the version in force on the client's enrolment, else on the date earned
    df = df.with_columns(pl.coalesce("enrolled_date", "earned_on").alias("price_date"))
    out = finish(df)
    if c.missing is not None:
        out = pl.concat([out, _missing_rows(c, c.missing, version, p)])
    return out


def _start(trig: pl.DataFrame, c: EventFee, version: Version, p: Prepared,
           used: set[str]) -> pl.DataFrame:
    """The trigger rows with their client's enrolment and the ``used`` client attributes."""
    clients = p.clients()
    clients = clients.select(c for c in clients.columns
                             if not c.startswith("client.") or c in used)
    df = trig.join(clients, on=["provider_id", "client_id"], how="left")
    keys = c.once_keys
    key = (pl.concat_str([_key_part(df, k) for k in keys], separator="|", ignore_nulls=False)
           if keys else pl.lit(None, dtype=pl.String))
    df = df.with_columns(
        pl.lit(c.id).alias("component"),
        pl.lit(version.version).alias("version"),
        pl.col("occurred_on").alias("earned_on"),
        pl.lit(None, dtype=pl.Int64).alias("amount"),
        pl.lit(0).alias("stage"),
        pl.lit(0).alias("seq"),
        key.alias("key"),
        pl.concat_list(pl.col("event_id")).alias("event_ids"),
        pl.lit(None, dtype=pl.String).alias("held"),
    )
    df = add_fact(df, pl.format("{} {} on {}", pl.col("type"), pl.col("event_id"),
                                date_text(pl.col("occurred_on"))))
    for k in keys:
        df = hold(df, _key_part(df, k).is_null(),
                  f"once per {k}: the event has no {_KEY_COLUMN.get(k, k)}")
    return _enrolled_here(df, p)


def _enrolled_here(df: pl.DataFrame, p: Prepared) -> pl.DataFrame:
    """An event earns for a client of its own provider (the scheme's ``trust.clients``):
    a provider that never enrolled a client does not take another provider's fee."""
    if p.trust.clients == "any":
        return df
    unenrolled = pl.col("client_id").is_not_null() & pl.col("enrolled_id").is_null()
    if p.trust.clients == "own":
        if p.clients().height == 0:
            return df
        # a client enrolled anywhere has a first enrolment; only the rows the two
        # holds can mark need it (no enrolment here, or an event dated before it):
        # those few are joined, not every candidate (W1: 0.14 s of 0.2 s)
        early = pl.col("enrolled_date") > pl.col("occurred_on")
        needed = (df.lazy().with_row_index("_row")
                  .filter(pl.col("client_id").is_not_null()
                          & (pl.col("enrolled_id").is_null() | early))
                  .select("_row", "client_id")
                  .join(p.first_enrolments().lazy(), on="client_id", how="left")
                  .select("_row", pl.col("first_enrolled").alias("_first_enrolled")).collect())
        df = spread(df, needed)
        df = hold(df, unenrolled & pl.col("_first_enrolled").is_not_null(),
                  pl.format("client {} is enrolled with another provider, not with {}",
                            pl.col("client_id"), pl.col("provider_id")))
        # nor by enrolling the client afterwards and dating the event before that
        return hold(df, early & (pl.col("_first_enrolled") <= pl.col("occurred_on")), pl.format(
            "client {} was enrolled with another provider on {}, with {} only on {}, after "
            "the event", pl.col("client_id"), date_text(pl.col("_first_enrolled")),
            pl.col("provider_id"), date_text(pl.col("enrolled_date")))).drop("_first_enrolled")
    return hold(df, unenrolled, pl.format("client {} is not enrolled with {}",
                                          pl.col("client_id"), pl.col("provider_id")))


_KEY_COLUMN = {"client": "client_id", "provider": "provider_id"}
_EVENT_COLUMNS = {"event_id", "type", "provider_id", "client_id", "occurred_on", "ord"}


def _key_part(df: pl.DataFrame, key: str) -> pl.Expr:
    if key == "client":
        return pl.col("client_id")
    if key == "provider":
        return pl.col("provider_id")
    return column(df, key).cast(pl.String)


def _eligible(df: pl.DataFrame, c: EventFee) -> pl.DataFrame:
    if c.eligible is None:
        return df
    df = hold(df, pl.col("enrolled_id").is_null(),
              "the client has no enrolled event with this provider, so eligibility is unknown")
    node = ex.parse(c.eligible)
    ok = ex.to_polars(node, lambda n: resolve_number(df, n))
    shown = inputs_note(df, node)
    df = hold(df, ~ok.fill_null(False),
              pl.format("client not eligible: {} is not true{}", pl.lit(c.eligible), shown))
    return add_fact(df, pl.format("client eligible: {}{}", pl.lit(c.eligible), shown))


def _requires(df: pl.DataFrame, c: EventFee, p: Prepared) -> pl.DataFrame:
    r = c.requires
    if r is None:
        return df
    pre = p.events.filter((pl.col("type") == r.on) & matches(p.events, r.where))
    first = pre.group_by(["provider_id", "client_id"]).agg(
        pl.col("occurred_on").min().alias("_req_date"),
        pl.col("event_id").sort_by("ord").first().alias("_req_id"))
    df = df.join(first, on=["provider_id", "client_id"], how="left", nulls_equal=True)
    what = r.on + (f" ({_where_text(r.where)})" if r.where else "")
    df = hold(df, pl.col("_req_date").is_null() | (pl.col("_req_date") > pl.col("occurred_on")),
              pl.format("requires {} on or before {}; none found", pl.lit(what),
                        date_text(pl.col("occurred_on"))))
    df = add_fact(df, pl.format("after {} {} on {}", pl.lit(what), pl.col("_req_id"),
                                date_text(pl.col("_req_date"))), pl.col("held").is_null())
    return df.with_columns(
        pl.when(pl.col("held").is_null())
        .then(pl.concat_list("event_ids", pl.concat_list(pl.col("_req_id"))))
        .otherwise(pl.col("event_ids")).alias("event_ids")).drop("_req_date", "_req_id")


def _where_text(where: object) -> str:
    return ", ".join(f"{k} {v}" for k, v in dict(where).items())  # type: ignore[call-overload]


def _window(df: pl.DataFrame, c: EventFee, p: Prepared) -> pl.DataFrame:
    w = c.window
    if w is None:
        return df
    df, anchor = with_date(df, p, w.anchor)
    ends: list[pl.Expr] = [] if w.duration is None else [w.duration.after_expr(anchor)]
    shown: list[str] = [] if w.duration is None else [str(w.duration)]
    df = hold(df, anchor.is_null(), missing_text(w.anchor, "window"))
    if w.until is not None:
        df, until = with_date(df, p, w.until)
        df = hold(df, until.is_null(), missing_text(w.until, "window"))
        ends.append(until)
        shown.append(w.until)
    df = df.with_columns(anchor.alias("_win_start"), pl.min_horizontal(ends).alias("_win_end"))
    start_ok = (pl.col("occurred_on") > pl.col("_win_start")) if w.start == "exclusive" \
        else (pl.col("occurred_on") >= pl.col("_win_start"))
    rel = "after" if w.start == "exclusive" else "on or after"
    df = hold(df, ~(start_ok & (pl.col("occurred_on") <= pl.col("_win_end"))),
              pl.format("outside the window: {} is not {} {} {} and on or before {} "
                        "({})", date_text(pl.col("occurred_on")), pl.lit(rel),
                        pl.lit(w.anchor), date_text(pl.col("_win_start")),
                        date_text(pl.col("_win_end")),
                        pl.lit(" or ".join(shown) + (", the earlier" if len(shown) > 1 else ""))))
    within = (pl.format("within {} of {} {}", pl.lit(str(w.duration)), pl.lit(w.anchor),
                        date_text(pl.col("_win_start"))) if w.duration is not None
              else pl.format("{} {} {}", pl.lit(rel), pl.lit(w.anchor),
                             date_text(pl.col("_win_start"))))
    if w.until is not None:
        within = pl.format("{} and on or before {} {}", within, pl.lit(w.until),
                           date_text(until))
    df = add_fact(df, within, pl.col("held").is_null())
    return df.drop("_win_start", "_win_end")


def _accumulate(df: pl.DataFrame, c: EventFee) -> pl.DataFrame:
    a = c.accumulate
    if a is None:
        return df
    # only the events that qualify take part (not held by an earlier step: outside
    # the window, unproven, ...), each from its qualifying date (earned_on: the
    # later of its own date and its proof's), then in event order
    df = df.sort("earned_on", "ord")
    final = pl.col("_stage") == FINAL
    given = column(df, a.sum)
    value = given.cast(DECIMAL, strict=False)
    df = hold_not_a_number(df, a.sum, given, value, final)  # adds nothing; a missing one 0
    ok = pl.col("held").is_null() & final
    # grouped by key in runs (a stable sort keeps the qualifying order within a
    # key); the sums are exact Decimal scans, no windows
    runs = (df.lazy().with_row_index("_row").filter(ok).select(
        "_row", "key", "event_ids", value.fill_null(pl.lit(0, dtype=DECIMAL)).alias("_value"))
        .collect().sort("key", maintain_order=True))
    start = (pl.col("key") != pl.col("key").shift()).fill_null(True)
    threshold = ex.decimal_lit(a.at_least, DECIMAL)
    runs = runs.with_columns(run_sum(pl.col("_value"), start).alias("_cum"),
                             run_sum(pl.repeat(1, pl.len(), dtype=pl.UInt32), start).alias("_n"))
    crossing = (pl.col("_cum") >= threshold) & ((pl.col("_cum") - pl.col("_value")) < threshold)
    runs = runs.with_columns(crossing.alias("_crossing"))
    crossings = runs.filter("_crossing")
    crossed = pl.col("key").is_in(crossings.get_column("key").implode())
    below = pl.col("_cum") < threshold
    # the events (with their proofs) up to the crossing one are its entry's event_ids
    ids = (crossings.select("_row", "key", pl.col("_n").alias("_last"))
           .join(runs.select("key", "_n", "event_ids"), on="key")
           .filter(pl.col("_n") <= pl.col("_last")).sort("_n").explode("event_ids")
           .group_by("_row", maintain_order=True).agg(pl.col("event_ids").alias("_ids")))
    earning = crossings.join(ids, on="_row").select(
        "_row", "_ids",
        pl.format("{} summed over {} {} = {} ≥ {}", pl.lit(a.sum), pl.col("_n"),
                  pl.when(pl.col("_n") == 1).then(pl.lit("event")).otherwise(pl.lit("events")),
                  number_text(pl.col("_cum")), pl.lit(str(a.at_least))).alias("_fact"))
    # ... and those below it contributed: no held items
    contributed = below & crossed
    held = runs.filter(~pl.col("_crossing") & ~contributed).select(
        "_row", pl.when(below).then(pl.format("running {} {} below {}", pl.lit(a.sum),
                                              number_text(pl.col("_cum")), pl.lit(str(a.at_least))))
        .otherwise(pl.lit(f"{a.sum} already reached {a.at_least} earlier")).alias("_reason"))
    runs = pl.concat([earning, held, runs.filter(contributed).select(
        "_row", pl.lit(True).alias("_contributed"))], how="diagonal")
    df = spread(df, runs).filter(~pl.col("_contributed").fill_null(False))
    df = hold(df, pl.col("_reason").is_not_null(), pl.col("_reason"))
    df = df.with_columns(pl.coalesce("_ids", "event_ids").alias("event_ids"))
    df = add_fact(df, pl.col("_fact"), pl.col("_fact").is_not_null())
    return df.drop("_contributed", "_reason", "_ids", "_fact")


def _evidence(df: pl.DataFrame, c: EventFee, p: Prepared) -> pl.DataFrame:
    e = c.evidence
    if e is None:
        return df
    final = pl.col("_stage") == FINAL
    on_event = column(df, e.attribute).cast(pl.String)
    has = on_event.is_not_null() & (on_event.str.strip_chars() != "")
    owners = _evidence_owners(p, e.attribute)
    # a proof counts for its own provider's event, for the same client when it
    # names one, when it is not dated before the event, and when its reference
    # does not already prove another client's event; a refused one is named
    proofs = p.events.filter(pl.col("type") == e.provided_by).select(
        column(p.events, "for_event").cast(pl.String).alias("event_id"),
        pl.col("provider_id").alias("_proof_by"),
        pl.col("client_id").alias("_proof_client"), pl.col("occurred_on").alias("_proof_date"),
        pl.col("event_id").alias("_proof_id"), "ord",
        column(p.events, e.attribute).cast(pl.String).str.strip_chars().alias("_ref"))
    candidates = (df.select("event_id", "provider_id", "client_id", "occurred_on")
                  .join(proofs, on="event_id")
                  .join(owners, on="_ref", how="left")
                  .with_columns(
                      (pl.col("_proof_by") != pl.col("provider_id")).alias("_foreign"),
                      (pl.col("_proof_client").is_not_null()
                       & (pl.col("_proof_client") != pl.col("client_id"))).alias("_other"),
                      (pl.col("_proof_date") < pl.col("occurred_on")).alias("_early"),
                      (pl.col("_owner").is_not_null()
                       & (pl.col("_owner") != pl.col("client_id"))).alias("_taken")))
    bad = pl.col("_foreign") | pl.col("_other") | pl.col("_early") | pl.col("_taken")
    first = (candidates.filter(~bad)
             .sort("ord").group_by("event_id").agg(pl.col("_proof_date").first(),
                                                   pl.col("_proof_id").first()))
    refused = (candidates.filter(bad).sort("ord")
               .group_by("event_id").agg(pl.format(
                   "{} {}", pl.col("_proof_id"),
                   pl.when(pl.col("_foreign")).then(pl.format(
                       "is from provider {}, not {}", pl.col("_proof_by"), pl.col("provider_id")))
                   .when(pl.col("_other")).then(pl.format(
                       "is for client {}, not {}", pl.col("_proof_client"), pl.col("client_id")))
                   .when(pl.col("_early")).then(pl.format(
                       "is dated {}, before the event", date_text(pl.col("_proof_date"))))
                   .otherwise(pl.format("names {} {}, which already proves client {}'s {}",
                                        pl.lit(e.attribute), pl.col("_ref"),
                                        pl.col("_owner"), pl.col("_owner_event"))))
                   .first().alias("_refused")))
    df = (df.join(first, on="event_id", how="left").join(refused, on="event_id", how="left")
          .with_columns(on_event.str.strip_chars().alias("_ref"))
          .join(owners, on="_ref", how="left").drop("_ref"))
    taken = has & pl.col("_owner").is_not_null() & (pl.col("_owner") != pl.col("client_id"))
    df = hold(df, final & taken,
              pl.format("no proof: {} {} already proves client {}'s {}", pl.lit(e.attribute),
                        on_event, pl.col("_owner"), pl.col("_owner_event")))
    df = hold(df, final & ~has & pl.col("_proof_id").is_null() & pl.col("_refused").is_not_null(),
              pl.format("no proof: {} {}", pl.lit(e.provided_by), pl.col("_refused")))
    df = hold(df, final & ~has & pl.col("_proof_id").is_null(),
              pl.format("no proof: the event has no {} and no {} names it", pl.lit(e.attribute),
                        pl.lit(e.provided_by)))
    later = final & ~has & pl.col("held").is_null()
    df = add_fact(df, pl.format("proof {} on the event", on_event), final & has)
    df = add_fact(df, pl.format("proof {} {} on {}", pl.lit(e.provided_by), pl.col("_proof_id"),
                                date_text(pl.col("_proof_date"))), later)
    return df.with_columns(
        pl.when(later).then(pl.max_horizontal("earned_on", "_proof_date"))
        .otherwise(pl.col("earned_on")).alias("earned_on"),
        pl.when(later).then(pl.concat_list("event_ids", pl.concat_list(pl.col("_proof_id"))))
        .otherwise(pl.col("event_ids")).alias("event_ids"),
    ).drop("_proof_date", "_proof_id", "_refused", "_owner", "_owner_event")


def _evidence_owners(p: Prepared, attribute: str) -> pl.DataFrame:
    """Each evidence reference's owner: the client of the earliest known event
    that carries it (a proof that names no client: the client of the event it
    proves).  One payslip or contract proves one client's outcome; the same
    reference on another client's event proves nothing."""
    if attribute not in p.events.columns:
        return pl.DataFrame(schema={"_ref": pl.String, "_owner": pl.String,
                                    "_owner_event": pl.String})
    ref = pl.col(attribute).cast(pl.String).str.strip_chars()
    carriers = (p.events.filter(ref.is_not_null() & (ref != ""))
                .select(ref.alias("_ref"), "client_id", "event_id", "ord",
                        column(p.events, "for_event").cast(pl.String).alias("_for")))
    # only the proven events of the proofs without a client are looked up
    wanted = carriers.filter(pl.col("client_id").is_null()).get_column("_for").implode()
    proven = p.events.filter(pl.col("event_id").is_in(wanted)).select(
        pl.col("event_id").alias("_for"), pl.col("client_id").alias("_for_client"))
    carriers = carriers.join(proven, on="_for", how="left").with_columns(
        pl.coalesce("client_id", "_for_client").alias("_owner"))
    return (carriers.filter(pl.col("_owner").is_not_null())
            .sort("ord").group_by("_ref")
            .agg(pl.col("_owner").first(), pl.col("event_id").first().alias("_owner_event")))


def _lasts(df: pl.DataFrame, c: EventFee, p: Prepared) -> pl.DataFrame:
    lasts = c.lasts
    if lasts is None:
        return df
    final = pl.col("_stage") == FINAL
    df, mark, length, adjective = _length(df, lasts)
    df = df.with_columns(mark.alias("_mark"),
                         column(df, lasts.match_on).cast(pl.String).alias("_mid"))
    ends = p.events.filter(pl.col("type") == lasts.ended_by).select(
        "provider_id", "client_id", pl.col("occurred_on").alias("_end"),
        pl.col("event_id").alias("_end_id"),
        column(p.events, lasts.match_on).cast(pl.String).alias("_mid"))
    starts = df.filter(final).select("event_id", "provider_id", "client_id", "occurred_on",
                                     "_mark", "_mid")
    by_id = starts.filter(pl.col("_mid").is_not_null()).join(
        ends.drop("client_id"), on=["provider_id", "_mid"])
    by_client = starts.filter(pl.col("_mid").is_null()).join(
        ends.drop("_mid"), on=["provider_id", "client_id"])
    early = pl.concat([by_id.select("event_id", "occurred_on", "_mark", "_end", "_end_id"),
                       by_client.select("event_id", "occurred_on", "_mark", "_end", "_end_id")])
    # the first end on or after the start: before the mark it breaks the employment
    early = early.filter(pl.col("_end") >= pl.col("occurred_on"))
    early = early.sort("_end").group_by("event_id").agg(
        pl.col("_end").first(), pl.col("_end_id").first())
    df = df.join(early, on="event_id", how="left")
    df = hold(df, final & (pl.col("_end") < pl.col("_mark")),
              pl.format("ended on {} ({}) before the {} mark {}", date_text(pl.col("_end")),
                        pl.col("_end_id"), adjective, date_text(pl.col("_mark"))))
    df = add_fact(df, pl.format("lasted {} to {}", length, date_text(pl.col("_mark"))),
                  final & pl.col("held").is_null())
    if lasts.until is not None:
        df, until = with_date(df, p, lasts.until)
        df = hold(df, final & until.is_null(), missing_text(lasts.until, "last date"))
        df = hold(df, final & (pl.col("_mark") > until),
                  pl.format("the {} mark {} is after {} {}", adjective,
                            date_text(pl.col("_mark")), pl.lit(lasts.until), date_text(until)))
    return df.with_columns(
        pl.when(final).then(pl.max_horizontal("earned_on", "_mark"))
        .otherwise(pl.col("earned_on")).alias("earned_on"),
    ).drop(*([] if c.series is not None else ["_mark"]),  # a series reads the mark
           "_mid", *(["_units"] if "_units" in df.columns else []),
           # a repeat reads the end: payments stop with the employment
           *([] if c.repeat is not None else ["_end", "_end_id"]))


def _in_work(df: pl.DataFrame, c: EventFee, p: Prepared) -> pl.DataFrame:
    """Cumulative days in work within the period after the trigger: the
    client's spells clipped to the period, overlaps merged, and the day the
    running total reaches ``days`` (see ``kasvufee.scheme.model.InWork``)."""
    w = c.in_work
    if w is None:
        return df
    go = (pl.col("_stage") == FINAL) & pl.col("held").is_null()
    ev = p.events
    within = w.within.length
    rows = (df.lazy().with_row_index("_row").filter(go)
            .select("_row", "provider_id", "client_id", pl.col("occurred_on").alias("_from"),
                    within.after_expr(pl.col("occurred_on")).alias("_to")))
    mid = column(ev, w.match_on).cast(pl.String)
    starts = ev.lazy().filter(pl.col("type") == w.started_by).select(
        "provider_id", "client_id", pl.col("event_id").alias("_sid"),
        pl.col("occurred_on").alias("_s"), mid.alias("_mid"))
    ends = ev.lazy().filter(pl.col("type") == w.ended_by).select(
        "provider_id", "client_id", pl.col("occurred_on").alias("_e"), mid.alias("_mid"))
    # each start's first end on or after it: by employment id, else by the client
    by_id = starts.filter(pl.col("_mid").is_not_null()).join(
        ends.drop("client_id"), on=["provider_id", "_mid"], how="left")
    by_client = starts.filter(pl.col("_mid").is_null()).join(
        ends.drop("_mid"), on=["provider_id", "client_id"], how="left")
    spells = (pl.concat([by_id.select("provider_id", "client_id", "_sid", "_s", "_e"),
                         by_client.select("provider_id", "client_id", "_sid", "_s", "_e")])
              .with_columns(pl.when(pl.col("_e") >= pl.col("_s")).then(pl.col("_e"))
                            .alias("_e"))
              .group_by("_sid").agg(pl.col("provider_id").first(), pl.col("client_id").first(),
                                    pl.col("_s").first(), pl.col("_e").min()))
    # clipped to each row's period; a spell with no end runs to the period's end
    clipped = (rows.join(spells, on=["provider_id", "client_id"])
               .with_columns(pl.max_horizontal("_s", "_from").alias("_a"),
                             pl.min_horizontal(pl.col("_e").fill_null(pl.col("_to")), "_to")
                             .alias("_b"))
               .filter(pl.col("_b") > pl.col("_a"))
               .sort("_row", "_a", "_b"))
    # merge overlapping spells: a block starts where no earlier spell reaches
    reach = pl.col("_b").cum_max().shift(1).over("_row")
    blocks = (clipped.with_columns((reach.is_null() | (pl.col("_a") > reach)).cum_sum()
                                   .over("_row").alias("_block"))
              .group_by("_row", "_block").agg(pl.col("_a").min(), pl.col("_b").max(),
                                              pl.col("_sid"))
              .sort("_row", "_a")
              .with_columns((pl.col("_b") - pl.col("_a")).dt.total_days().alias("_len"))
              .with_columns(pl.col("_len").cum_sum().over("_row").alias("_cum")))
    need = w.days
    reached = (blocks.filter(pl.col("_cum") >= need)
               .group_by("_row").agg(pl.all().sort_by("_a").first())
               .select("_row", (pl.col("_a").dt.offset_by(
                   pl.format("{}d", pl.lit(need) - (pl.col("_cum") - pl.col("_len")))))
                   .alias("_worked_on")))
    totals = blocks.group_by("_row").agg(pl.col("_len").sum().alias("_days"),
                                         pl.col("_sid").explode().alias("_sids"))
    found = rows.select("_row", "_to").join(totals, on="_row", how="left").join(
        reached, on="_row", how="left").collect()
    df = spread(df, found)
    period = pl.format("from {} to before {}", date_text(pl.col("occurred_on")),
                       date_text(pl.col("_to")))
    df = hold(df, go & pl.col("_worked_on").is_null(), pl.format(
        "{} days in work {} (needs {}), across the spells known", pl.col("_days").fill_null(0),
        period, pl.lit(need)))
    ok = go & pl.col("held").is_null()
    df = add_fact(df, pl.format("day {} in work on {} (spells {}; the period {})", pl.lit(need),
                                date_text(pl.col("_worked_on").dt.offset_by("-1d")),
                                pl.col("_sids").list.join(", "), period), ok)
    return df.with_columns(
        pl.when(ok).then(pl.max_horizontal("earned_on", "_worked_on"))
        .otherwise(pl.col("earned_on")).alias("earned_on"),
        pl.when(ok).then(pl.concat_list("event_ids", "_sids")).otherwise(pl.col("event_ids"))
        .alias("event_ids"),
    ).drop("_to", "_days", "_sids", "_worked_on")


def _series(df: pl.DataFrame, c: EventFee, p: Prepared) -> pl.DataFrame:
    """The periodic events of the client inside the outcome period (the start,
    inclusive, to the ``_mark`` of ``_lasts``, exclusive), from the row's own
    provider or the buyer: held when one has no value or a value below
    ``at_least``; ``series.min``, ``series.max`` and ``series.count`` for the
    formula; the events join the entry's evidence."""
    s = c.series
    if s is None:
        return df
    go = (pl.col("_stage") == FINAL) & pl.col("held").is_null()
    ev = p.events
    at = column(ev, s.date)
    if ev.schema.get(attribute_name(ev, s.date) or "") != pl.Date:  # a text column
        at = at.cast(pl.String).str.to_date(strict=False)
    points = ev.lazy().filter(pl.col("type") == s.on).select(
        "client_id", pl.col("provider_id").alias("_by"), pl.col("event_id").alias("_sid"),
        at.alias("_at"), column(ev, s.date).cast(pl.String).alias("_at_text"),
        column(ev, s.value).cast(DECIMAL, strict=False).alias("_v"))
    own = pl.col("_by") == pl.col("provider_id")
    if p.trust.buyer_id is not None:
        own = own | (pl.col("_by") == pl.lit(p.trust.buyer_id))
    # an event without a date that can be read may fall inside any period: it
    # holds the outcome rather than silently leaving out what it may say
    undated = pl.col("_at").is_null()
    inside = (df.lazy().with_row_index("_row").filter(go)
              .select("_row", "provider_id", "client_id", "occurred_on", "_mark")
              .join(points, on="client_id")
              .filter(own & (undated | ((pl.col("_at") >= pl.col("occurred_on"))
                                        & (pl.col("_at") < pl.col("_mark")))))
              .sort("_row", "_at", "_sid", nulls_last=True))
    low = pl.col("_v").is_null()
    if s.at_least is not None:
        low = low | (pl.col("_v") < ex.decimal_lit(s.at_least, DECIMAL))
    dated = inside.filter(~undated)
    found = dated.group_by("_row").agg(
        pl.col("_v").min().alias("series.min"), pl.col("_v").max().alias("series.max"),
        pl.len().cast(pl.Int64).alias("series.count"), pl.col("_sid").alias("_sids"),
        pl.col("_sid").filter(low).first().alias("_low"),
        pl.col("_at").filter(low).first().alias("_low_at"),
        pl.col("_v").filter(low).first().alias("_low_v"))
    lost = inside.filter(undated).group_by("_row").agg(
        pl.col("_sid").first().alias("_undated"), pl.col("_at_text").first().alias("_undated_text"))
    df = spread(df, found.join(lost, on="_row", how="full", coalesce=True).collect())
    none = go & pl.col("series.count").is_null()
    when_none = (pl.lit(None, dtype=DECIMAL) if s.when_none is None
                 else ex.decimal_lit(s.when_none, DECIMAL))
    df = df.with_columns(
        pl.when(none).then(when_none).otherwise(pl.col("series.min")).alias("series.min"),
        pl.when(none).then(when_none).otherwise(pl.col("series.max")).alias("series.max"),
        pl.when(none).then(pl.lit(0, dtype=pl.Int64)).otherwise(pl.col("series.count"))
        .alias("series.count"))
    period = pl.format("from {} to before {}", date_text(pl.col("occurred_on")),
                       date_text(pl.col("_mark")))
    df = hold(df, go & pl.col("_undated").is_not_null(), pl.format(
        "{} {} has {}, so its period is unknown", pl.lit(s.on), pl.col("_undated"),
        pl.when(pl.col("_undated_text").is_null()).then(pl.lit(f"no {s.date}"))
        .otherwise(pl.format("{} {}, not a date", pl.lit(s.date), pl.col("_undated_text")))))
    df = hold(df, go & pl.col("_low").is_not_null() & pl.col("_low_v").is_null(), pl.format(
        "{} {} on {} has no {}", pl.lit(s.on), pl.col("_low"), date_text(pl.col("_low_at")),
        pl.lit(s.value)))
    if s.at_least is not None:
        df = hold(df, go & pl.col("_low").is_not_null(), pl.format(
            "{} {} on {} gives {} {}, below {} (the period {})", pl.lit(s.on), pl.col("_low"),
            date_text(pl.col("_low_at")), pl.lit(s.value), number_text(pl.col("_low_v")),
            pl.lit(format(s.at_least, "f")), period))
    ok = go & pl.col("held").is_null()
    df = add_fact(df, pl.format(
        "{} {} {}: {}", pl.col("series.count"), pl.lit(s.on), period,
        pl.when(pl.col("series.count") > 0).then(pl.format(
            "{} lowest {}, highest {}", pl.lit(s.value), number_text(pl.col("series.min")),
            number_text(pl.col("series.max"))))
        .otherwise(pl.format("none, counted as {}", number_text(pl.col("series.min"))))), ok)
    df = df.with_columns(pl.when(ok & pl.col("_sids").is_not_null())
                         .then(pl.concat_list("event_ids", "_sids"))
                         .otherwise(pl.col("event_ids")).alias("event_ids"))
    return df.drop("_mark", "_sids", "_low", "_low_at", "_low_v", "_undated", "_undated_text")


def _repeat(df: pl.DataFrame, c: EventFee) -> pl.DataFrame:
    """One row per payment after the mark: the k-th due on mark + k·every, held
    when the employment (``_end`` from ``_lasts``) ended before it."""
    r = c.repeat
    if r is None:
        return df
    go = (pl.col("_stage") == FINAL) & pl.col("held").is_null()
    times = _count(df, r.times)
    df = df.with_columns(times.alias("_times"))
    if isinstance(r.times, CountTable):
        df = hold(df, go & pl.col("_times").is_null(), pl.format(
            "repeat: no number of times for {} = {} (needs one of {})", pl.lit(r.times.by),
            pl.col(r.times.by).cast(pl.String).fill_null("missing"),
            pl.lit(", ".join(r.times.table))))
    step = r.every.length
    df = df.with_columns(pl.when(go).then(pl.int_ranges(1, pl.col("_times") + 1)).alias("_k"),
                         pl.int_range(pl.len()).alias("_start")).explode("_k")
    k = pl.col("_k")
    due = Duration.column_after(pl.col("earned_on"), k * step.n, step.unit)
    df = df.with_columns(
        pl.when(k.is_not_null()).then(due).otherwise(pl.col("earned_on")).alias("earned_on"),
        pl.when(k.is_not_null()).then(k).otherwise(pl.col("seq")).alias("seq"),
        pl.when(k.is_not_null()).then(pl.format("{}|{}", pl.col("key"), k))
        .otherwise(pl.col("key")).alias("key"))
    # the employment ended: the first payment it missed is held, naming the
    # rest, which are left out (one line, not one per payment that never came)
    ended = k.is_not_null() & (pl.col("_end") < pl.col("earned_on"))
    first = pl.when(ended).then(k).min().over("_start")
    df = df.filter(~(ended & (k > first)).fill_null(False))
    df = hold(df, ended, pl.format(
        "ended on {} ({}) before payment {} of {} due on {}{}", date_text(pl.col("_end")),
        pl.col("_end_id"), k, pl.col("_times"), date_text(pl.col("earned_on")),
        pl.when(k + 1 == pl.col("_times")).then(pl.format(" (and so before payment {})", k + 1))
        .when(k < pl.col("_times")).then(pl.format(" (and so before payments {} to {})", k + 1,
                                                   pl.col("_times"))).otherwise(pl.lit(""))))
    df = add_fact(df, pl.format("payment {} of {} due on {} ({} after the previous)", k,
                                pl.col("_times"), date_text(pl.col("earned_on")),
                                pl.lit(str(step))), k.is_not_null())
    return df.drop("_k", "_start", "_times", "_end", "_end_id")


def _count(df: pl.DataFrame, times: int | CountTable) -> pl.Expr:
    if isinstance(times, int):
        return pl.lit(times, dtype=pl.Int64)
    return pl.col(times.by).cast(pl.String).replace_strict(
        dict(times.table), default=None, return_dtype=pl.Int64)


def _length(df: pl.DataFrame, lasts: Lasts) -> tuple[pl.DataFrame, pl.Expr, pl.Expr, pl.Expr]:
    """Each start's mark, and the duration as text (``13 weeks``) and as an
    adjective (``13-week``); a duration by client attribute holds the starts of
    clients without a value in its table."""
    if lasts.table is None:
        fixed = lasts.length
        return (df, fixed.after_expr(pl.col("occurred_on")), pl.lit(str(fixed)),
                pl.lit(fixed.mark))
    unit, t = lasts.table
    value = pl.col(t.by).cast(pl.String)
    df = df.with_columns(value.replace_strict(dict(t.table), default=None, return_dtype=pl.Int64)
                         .alias("_units"))
    known = ", ".join(t.table)
    df = hold(df, (pl.col("_stage") == FINAL) & pl.col("_units").is_null(),
              pl.format("lasts: no duration for {} = {} (needs one of {})", pl.lit(t.by),
                        value.fill_null("missing"), pl.lit(known)))
    n = pl.col("_units")
    return (df, Duration.column_after(pl.col("occurred_on"), n, unit),
            Duration.column_text(n, unit), pl.format("{}-{}", n, pl.lit(unit[:-1])))


def _missing_rows(c: EventFee, m: Missing, version: Version, p: Prepared) -> pl.DataFrame:
    """Rows of the missing-data policy ``m`` of ``c``: a decline, or the deadline passing.

    They compete with the real answers under once-per-client: the earliest
    wins, and on the same day a real answer beats the deadline (stage 1).
    """
    base = full_amount(version, c.id, c.amount)
    pays = pays_cents(m.pays, base)
    pays_shown = pays_text(m.pays, p.money)
    clients = anchor_rows(p, m.deadline.anchor)
    clients = clients.with_columns(m.deadline.length.after_expr(pl.col("_anchor"))
                                   .alias("_deadline"))
    common = [
        pl.lit(c.id).alias("component"), pl.lit(version.version).alias("version"),
        pl.col("provider_id"), pl.col("client_id"),
        pl.lit(pays, dtype=pl.Int64).alias("amount"),
        pl.col("client_id").alias("key"),
        pl.coalesce(pl.col("enrolled_date"), pl.col("_anchor")).alias("price_date"),
        pl.lit(0).alias("seq"),
    ]
    deadline = clients.select(
        *common,
        pl.col("_deadline").alias("earned_on"),
        pl.col("_anchor_ord").alias("ord"),
        pl.lit(1).alias("stage"),
        pl.concat_list(pl.col("_anchor_id")).alias("event_ids"),
        pl.concat_list(pl.format("nothing by the deadline {} ({} after {} {}): the "
                                 "missing-data policy pays {} = {}", date_text(pl.col("_deadline")),
                                 pl.lit(str(m.deadline.length)), pl.lit(m.deadline.anchor),
                                 date_text(pl.col("_anchor")), pl.lit(pays_shown),
                                 money_text(pl.lit(pays), p.money))).alias("facts"),
        pl.when(pl.col("_anchor").is_null())
        .then(pl.lit(missing_text(m.deadline.anchor, "deadline"))).alias("held"),
    )
    frames = [finish(deadline)]
    if m.declined_by is not None:
        declines = p.of_type(m.declined_by).join(
            clients.select("provider_id", "client_id", "_anchor", "_deadline", "enrolled_date"),
            on=["provider_id", "client_id"])
        declines = declines.filter((pl.col("occurred_on") >= pl.col("_anchor"))
                                   & (pl.col("occurred_on") <= pl.col("_deadline")))
        frames.append(finish(declines.select(
            *common,
            pl.col("occurred_on").alias("earned_on"),
            pl.col("ord"),
            pl.lit(0).alias("stage"),
            pl.concat_list(pl.col("event_id")).alias("event_ids"),
            pl.lit(None, dtype=pl.String).alias("held"),
            pl.concat_list(pl.format("{} {} on {}, by the deadline {}: the missing-data "
                                     "policy pays {} = {}", pl.col("type"), pl.col("event_id"),
                                     date_text(pl.col("occurred_on")),
                                     date_text(pl.col("_deadline")), pl.lit(pays_shown),
                                     money_text(pl.lit(pays), p.money))).alias("facts"),
        )))
    return pl.concat(frames)
