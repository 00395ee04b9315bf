"""``kind: checkpoint`` — a per-client fee decided at anchor + a duration.

The condition is an expression in the library's own language over named
metrics (aggregates of the client's events), which is how provider-defined
"black box" criteria are written as data.  The fee is earned on the
checkpoint date; before it, the row is pending.
"""

from __future__ import annotations

import polars as pl

from kasvufee.engine.amounts import price
from kasvufee.engine.anchors import anchor_rows, missing_text
from kasvufee.engine.frame import (
    DECIMAL,
    add_fact,
    date_text,
    finish,
    hold,
    inputs_note,
    matches,
)
from kasvufee.engine.prepare import Prepared
from kasvufee.scheme import expr as ex
from kasvufee.scheme.model import CheckpointFee, Metric, Version


def evaluate_checkpoint(c: CheckpointFee, version: Version, p: Prepared) -> pl.DataFrame:
    a = c.anchor
    df = anchor_rows(p, a)
    df = df.with_columns(c.length.after_expr(pl.col("_anchor")).alias("_checkpoint"))
    df = df.with_columns(
        pl.lit(c.id).alias("component"),
        pl.lit(version.version).alias("version"),
        pl.col("_checkpoint").alias("earned_on"),
        pl.col("_anchor_ord").alias("ord"),
        pl.lit(0).alias("stage"),
        pl.lit(0).alias("seq"),
        pl.col("client_id").alias("key"),
        pl.coalesce(pl.col("enrolled_date"), pl.col("_anchor")).alias("price_date"),
        pl.concat_list(pl.col("_anchor_id")).alias("event_ids"),
        pl.lit(None, dtype=pl.String).alias("held"),
    )
    df = add_fact(df, pl.format("checkpoint {} = {} {} + {}",
                                date_text(pl.col("_checkpoint")), pl.lit(a),
                                date_text(pl.col("_anchor")), pl.lit(str(c.length))),
                  pl.col("_anchor").is_not_null())
    df = hold(df, pl.col("_anchor").is_null(), missing_text(a, "checkpoint"))
    for name, metric in c.metrics.items():
        df = _metric(df, name, metric, p)
    node = ex.parse(c.condition)
    ok = ex.to_polars(node, lambda n: pl.col(n) if n in df.columns else pl.lit(None, dtype=DECIMAL))
    shown = inputs_note(df, node)
    # Before the checkpoint nothing is decided: the metrics may still change.
    df = hold(df, pl.col("_checkpoint") > pl.lit(p.as_of),
              pl.format("pending: decided at the checkpoint {}, after {}",
                        date_text(pl.col("_checkpoint")), pl.lit(p.as_of.isoformat())))
    # Missing metrics are the condition's business (coalesce, is_missing); only a
    # condition that comes out missing as a whole is held for missing data.
    df = df.with_columns(ok.alias("_ok"))
    df = hold(df, pl.col("_ok").is_null(),
              pl.format("the condition {} cannot be decided: a metric is missing{}",
                        pl.lit(c.condition), shown))
    df = hold(df, ~pl.col("_ok"), pl.format("condition {} not met{}",
                                            pl.lit(c.condition), shown))
    df = add_fact(df, pl.format("condition {} holds{}", pl.lit(c.condition), shown),
                  pl.col("held").is_null())
    df = price(df, version, c, p.money)
    return finish(df.drop("_ok"))


def _metric(df: pl.DataFrame, name: str, m: Metric, p: Prepared) -> pl.DataFrame:
    """Aggregate the client's events of ``m.on`` between the anchor and checkpoint."""
    ev = p.events.filter((pl.col("type") == m.on) & matches(p.events, m.where))
    keys = df.select("provider_id", "client_id", "_anchor", "_checkpoint")
    joined = ev.join(keys, on=["provider_id", "client_id"])
    bound = {"anchor": pl.col("_anchor"), "checkpoint": pl.col("_checkpoint")}
    if m.since is not None:
        joined = joined.filter(pl.col("occurred_on") > bound[m.since])
    if m.until is not None:
        joined = joined.filter(pl.col("occurred_on") <= bound[m.until])
    joined = joined.sort("ord")
    if m.latest is not None:
        value = (pl.col(m.latest).last() if m.latest in joined.columns
                 else pl.lit(None, dtype=pl.String))
        ids = pl.concat_list(pl.col("event_id").last())
    elif m.count:
        value = pl.len().cast(DECIMAL)
        ids = pl.col("event_id")
    else:
        col = m.sum or ""
        value = (pl.col(col).cast(DECIMAL, strict=False).sum() if col in joined.columns
                 else pl.lit(0, dtype=DECIMAL))
        ids = pl.col("event_id")
    agg = joined.group_by(["provider_id", "client_id"]).agg(
        value.alias(name), ids.alias(f"_{name}_ids"))
    if agg.schema[name].is_numeric():
        agg = agg.with_columns(pl.col(name).cast(DECIMAL, strict=False))
    df = df.join(agg, on=["provider_id", "client_id"], how="left")
    if m.count or m.sum is not None:  # a count or sum over no events is 0, not missing
        df = df.with_columns(pl.col(name).fill_null(pl.lit(0, dtype=DECIMAL)))
    return df.with_columns(
        pl.concat_list("event_ids", pl.col(f"_{name}_ids").fill_null(pl.lit([], dtype=pl.List(
            pl.String)))).list.unique(maintain_order=True).alias("event_ids")
    ).drop(f"_{name}_ids")
