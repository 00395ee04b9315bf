"""``kind: schedule`` — fixed instalments on the dates of a schedule, in part
for part steps of the service (``pro_rata``).  Schedules have few dates: their
amounts are worked out per date, exactly, before the frame is built."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from kasvufee.calendar import Duration, recurrence
from kasvufee.engine.frame import finish
from kasvufee.engine.prepare import Prepared
from kasvufee.money import format_cents, round_cents
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


def _pro_rata(c: ScheduleFee, dates: list[dt.date], cents: int,
              p: Prepared) -> tuple[list[int], list[str]]:
    """Each instalment's amount and the words for it: in full, or for the days of
    its step (date - every to the day before) inside the service, half up."""
    money = p.money
    full = money.text(format_cents(cents))
    if c.pro_rata is None or c.schedule.every is None:
        return [cents] * len(dates), [full] * len(dates)
    step = c.schedule.every.length
    first = p.contract[c.pro_rata.start.removeprefix("contract.")]
    last = p.contract[c.pro_rata.end.removeprefix("contract.")]
    amounts, texts = [], []
    for day in dates:
        begin = Duration(-step.n, step.unit).after(day)
        days = (day - begin).days
        inside = max(0, (min(last, day - dt.timedelta(days=1)) - max(first, begin)).days + 1)
        part = round_cents(Decimal(cents) * inside / days / 100)  # euros, half up
        amounts.append(part)
        texts.append(full if inside == days else
                     f"{full} * {inside}/{days} days of {begin.isoformat()} to "
                     f"{(day - dt.timedelta(days=1)).isoformat()} inside {c.pro_rata.start} "
                     f"{first.isoformat()} to {c.pro_rata.end} {last.isoformat()} = "
                     f"{money.text(format_cents(part))}")
    return amounts, texts


def evaluate_schedule(c: ScheduleFee, version: Version, p: Prepared) -> pl.DataFrame:
    dates = schedule_dates(c)
    cents = static_cents(version, c.id, c.amount)
    n = len(dates)
    amounts, texts = _pro_rata(c, dates, cents or 0, p)
    df = pl.DataFrame({"earned_on": dates, "seq": list(range(1, n + 1)), "amount": amounts,
                       "_text": texts},
                      schema={"earned_on": pl.Date, "seq": pl.Int64, "amount": pl.Int64,
                              "_text": pl.String}).join(
        pl.DataFrame({"provider_id": list(c.providers)}, schema={"provider_id": pl.String}),
        how="cross")
    df = df.with_columns(
        pl.lit(c.id).alias("component"),
        pl.lit(version.version).alias("version"),
        pl.lit(None, dtype=pl.String).alias("client_id"),
        pl.lit(None, dtype=pl.Int64).alias("ord"),
        pl.lit(0).alias("stage"),
        pl.lit(None, dtype=pl.String).alias("key"),
        pl.col("earned_on").alias("price_date"),
        pl.lit([], dtype=pl.List(pl.String)).alias("event_ids"),
        pl.concat_list(pl.format("instalment {} of {} due on {}: {}", pl.col("seq"), pl.lit(n),
                                 pl.col("earned_on").dt.strftime("%Y-%m-%d"), pl.col("_text")))
        .alias("facts"),
        pl.lit(None, dtype=pl.String).alias("held"),
    )
    return finish(df)
