"""Caps per client, provider, contract or group of components, once or anew
each calendar year or month (``each``).

Entries consume a cap in earning order.  The entry that crosses the cap is
cut to what is left, later ones to 0.00; each keeps ``capped_from`` (the
amount before any cap) and ``cap`` (the id of the last cap that cut it).
Caps apply one after another in the order declared; each sees the amounts
the earlier caps left.  With a running sum ``S`` over the cap's group the
amount left is ``min(amount, max(0, limit - (S - amount)))``: one vectorised
pass per cap, no per-row loop.  What the cap has paid out before an entry is
then ``min(limit, S - amount)``, and after it ``min(limit, S)``.
"""

from __future__ import annotations

import polars as pl

from kasvufee.engine.frame import lists, money_text
from kasvufee.money import Currency
from kasvufee.scheme.model import Cap, Table

GROUP = {"client": "client_id", "provider": "provider_id"}


def cap_limit(cap: Cap) -> pl.Expr:
    """The cap's limit in cents (Int128): its amount, or its table looked up by the
    client attribute (a ``client.X`` column of the entries: see ``evaluate``)."""
    if isinstance(cap.amount, Table):
        return pl.col(cap.amount.by).cast(pl.String).replace_strict(
            dict(cap.amount.table), default=None, return_dtype=pl.Int128)
    return pl.lit(cap.amount, dtype=pl.Int128)


def _each(cap: Cap) -> pl.Expr:
    """`` in 2018`` or `` in 2018-03`` for a cap that holds anew each year or month."""
    if cap.each is None:
        return pl.lit("")
    return pl.format(" in {}", pl.col("earned_on").dt.strftime(
        "%Y" if cap.each == "year" else "%Y-%m"))


def apply_caps(entries: pl.DataFrame, caps: tuple[Cap, ...], money: Currency) -> pl.DataFrame:
    """``entries`` must be sorted in earning order and carry ``amount`` cents (and
    the client attribute of a cap by table, with a limit for every entry inside
    it); the usage texts write amounts in ``money``."""
    df = entries.with_columns(
        pl.lit(None, dtype=pl.Int64).alias("capped_from"),
        pl.lit(None, dtype=pl.String).alias("cap"),
        pl.lit(None, dtype=pl.Int64).alias("cap_room"),
    )
    for i, cap in enumerate(caps):
        inside = pl.lit(True)
        if cap.components is not None:
            inside = pl.col("component").is_in(list(cap.components))
        if cap.per == "client":
            inside = inside & pl.col("client_id").is_not_null()
        group: list[str | pl.Expr] = ([GROUP[cap.per]] if cap.per in GROUP
                                      else [pl.lit(0).alias("_all")])
        if cap.each is not None:  # the limit anew in each calendar year or month
            group.append(pl.col("earned_on").dt.truncate("1y" if cap.each == "year" else "1mo")
                         .alias("_each"))
        # Int128: a running sum of Int64 amounts cannot wrap (a wrapped sum would pay
        # past the cap); every value compared with it below is Int128 too
        counted = pl.when(inside).then(pl.col("amount")).otherwise(0).cast(pl.Int128)
        # a window over a hashed group: worked out once, then read by both steps below
        df = df.with_columns(counted.cum_sum().over(
            pl.when(inside).then(pl.lit(1)).otherwise(pl.lit(0)), *group).alias("_running"))
        running = pl.col("_running")
        before = running - counted
        limit = cap_limit(cap)
        left = pl.max_horizontal(limit - before, pl.lit(0, dtype=pl.Int128))
        # at most the entry's own Int64 amount, so the narrowing cast is exact
        new = pl.min_horizontal(pl.col("amount").cast(pl.Int128), left).cast(pl.Int64)
        left = left.clip(upper_bound=limit).cast(pl.Int64)
        cut = inside & (new < pl.col("amount"))
        # what the cap had paid out before and after this entry (see the module doc)
        usage = pl.format("cap {} ({} per {}{}): {} used before, {} after",
                          pl.lit(cap.id), money_text(limit.cast(pl.Int64), money), pl.lit(cap.per),
                          _each(cap),
                          money_text(pl.min_horizontal(before, limit).cast(pl.Int64), money),
                          money_text(pl.min_horizontal(running, limit).cast(pl.Int64), money))
        df = df.with_columns(
            usage.alias(f"_usage{i}"), inside.alias(f"_inside{i}"),
            pl.when(cut).then(pl.coalesce("capped_from", "amount"))
            .otherwise(pl.col("capped_from")).alias("capped_from"),
            pl.when(cut).then(pl.lit(cap.id)).otherwise(pl.col("cap")).alias("cap"),
            pl.when(cut).then(left).otherwise(pl.col("cap_room")).alias("cap_room"),
            pl.when(inside).then(new).otherwise(pl.col("amount")).alias("amount"),
        ).drop("_running")
    # each entry's uses of the caps over it, as one list
    usages = [f"_usage{i}" for i in range(len(caps))]
    insides = [f"_inside{i}" for i in range(len(caps))]
    uses = lists(df, usages, insides) if caps else pl.lit([], dtype=pl.List(pl.String))
    return df.with_columns(uses.alias("cap_usage")).drop(*usages, *insides)
