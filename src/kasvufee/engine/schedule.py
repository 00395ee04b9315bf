"""``kind: schedule`` — fixed instalments on the dates of a schedule."""

from __future__ import annotations

import datetime as dt

import polars as pl

from kasvufee.calendar import recurrence
from kasvufee.engine.frame import finish, money_text
from kasvufee.engine.prepare import Prepared
from kasvufee.scheme.model import ScheduleFee, Version
from kasvufee.scheme.prices import static_cents


def schedule_dates(c: ScheduleFee) -> list[dt.date]:
    s = c.schedule
    if s.dates is not None:
        return sorted(s.dates)
    if s.start is None:  # excluded by the model's validator
        return []
    if s.every is not None:
        step = s.every.length
        return recurrence(step.frequency, s.start, interval=step.n, count=s.count,
                          until=s.until)
    if s.freq is None:  # excluded by the model's validator
        return []
    return recurrence(s.freq, s.start, interval=s.interval, count=s.count, until=s.until)


def evaluate_schedule(c: ScheduleFee, version: Version, p: Prepared) -> pl.DataFrame:
    dates = schedule_dates(c)
    cents = static_cents(version, c.id, c.amount)
    n = len(dates)
    df = pl.DataFrame({"earned_on": dates, "seq": list(range(1, n + 1))},
                      schema={"earned_on": pl.Date, "seq": pl.Int64}).join(
        pl.DataFrame({"provider_id": list(c.providers)}, schema={"provider_id": pl.String}),
        how="cross")
    df = df.with_columns(
        pl.lit(c.id).alias("component"),
        pl.lit(version.version).alias("version"),
        pl.lit(None, dtype=pl.String).alias("client_id"),
        pl.lit(cents, dtype=pl.Int64).alias("amount"),
        pl.lit(None, dtype=pl.Int64).alias("ord"),
        pl.lit(0).alias("stage"),
        pl.lit(None, dtype=pl.String).alias("key"),
        pl.col("earned_on").alias("price_date"),
        pl.lit([], dtype=pl.List(pl.String)).alias("event_ids"),
        pl.concat_list(pl.format("instalment {} of {} due on {}: {}", pl.col("seq"), pl.lit(n),
                                 pl.col("earned_on").dt.strftime("%Y-%m-%d"),
                                 money_text(pl.lit(cents, dtype=pl.Int64), p.money)))
        .alias("facts"),
        pl.lit(None, dtype=pl.String).alias("held"),
    )
    return finish(df)
