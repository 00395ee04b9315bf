"""The candidate frame every component kind produces, and helpers over it.

A *candidate* is a possible ledger entry: one row per way a component might
pay.  Rows that cannot pay keep a ``held`` reason instead of disappearing, so
the run report can say why.  Columns (``CANDIDATE_SCHEMA``):

- component, version: which rule of which scheme version;
- provider_id, client_id: who is paid, for whom (client null: contract level);
- earned_on: the date the condition became (or will become) true;
- amount: Int64 cents (null while held);
- ord: the triggering event's place in the event order (null: no event);
- stage: 0 an event, 1 a policy/deadline row (loses ties against events);
- seq: a sub-order for several rows of one trigger (instalments, top-ups);
- key: the once-per key (null: every row pays);
- price_date: the date that selects the scheme version;
- event_ids: the events that made the condition true;
- facts: the readable inputs and steps, joined into the explanation;
- held: why the row does not pay (null: it pays).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import cast

import polars as pl

from kasvufee.money import cents_to_text
from kasvufee.scheme import expr as ex
from kasvufee.scheme.model import Scalar

CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    "component": pl.String(),
    "version": pl.String(),
    "provider_id": pl.String(),
    "client_id": pl.String(),
    "earned_on": pl.Date(),
    "amount": pl.Int64(),
    "ord": pl.Int64(),
    "stage": pl.Int64(),
    "seq": pl.Int64(),
    "key": pl.String(),
    "price_date": pl.Date(),
    "event_ids": pl.List(pl.String()),
    "facts": pl.List(pl.String()),
    "held": pl.String(),
}
DECIMAL = ex.DECIMAL_DTYPE  # the expression language's numbers: exact products of inputs


def empty_candidates() -> pl.DataFrame:
    return pl.DataFrame(schema=CANDIDATE_SCHEMA)


def finish(df: pl.DataFrame) -> pl.DataFrame:
    """Select the candidate columns in order, with their types."""
    return df.select([pl.col(c).cast(t) for c, t in CANDIDATE_SCHEMA.items()])


def hold(df: pl.DataFrame, failed: pl.Expr, reason: pl.Expr | str) -> pl.DataFrame:
    """Mark rows that fail a condition with ``reason`` (first reason wins)."""
    why = pl.lit(reason) if isinstance(reason, str) else reason
    return df.with_columns(
        pl.when(pl.col("held").is_null() & failed.fill_null(True))
        .then(why)
        .otherwise(pl.col("held"))
        .alias("held")
    )


def add_fact(df: pl.DataFrame, fact: pl.Expr, when: pl.Expr | None = None) -> pl.DataFrame:
    """Append a readable fact to the explanation of every row (or where ``when``)."""
    new = pl.concat_list(pl.col("facts"), pl.concat_list(fact.cast(pl.String)))
    if when is not None:
        new = pl.when(when.fill_null(False)).then(new).otherwise(pl.col("facts"))
    return df.with_columns(new.alias("facts"))


def column(df: pl.DataFrame, name: str, dtype: pl.DataType | None = None) -> pl.Expr:
    """A column by name, or a null column when the events have no such attribute."""
    if name in df.columns:
        return pl.col(name)
    return pl.lit(None, dtype=dtype or pl.String())


def matches(df: pl.DataFrame, where: Mapping[str, Scalar | Sequence[Scalar]]) -> pl.Expr:
    """Equality / one-of filters on event attributes (``where:`` in a scheme)."""
    cond = pl.lit(True)
    for name, wanted in where.items():
        values: list[Scalar] = (list(wanted) if isinstance(wanted, (list, tuple))
                                else [cast(Scalar, wanted)])
        cond = cond & _one_of(df, name, values)
    return cond


def _one_of(df: pl.DataFrame, name: str, values: list[Scalar]) -> pl.Expr:
    if name not in df.columns:
        return pl.lit(False)
    dtype = df.schema[name]
    col = pl.col(name)
    if dtype == pl.Boolean:
        return col.is_in([bool(v) if isinstance(v, bool) else str(v).lower() == "true"
                          for v in values])
    if dtype.is_numeric():
        nums = [Decimal(str(v)) for v in values if not isinstance(v, bool)]
        return col.cast(DECIMAL, strict=False).is_in(pl.Series(nums, dtype=DECIMAL))
    return col.cast(pl.String).is_in([_text(v) for v in values])


def _text(v: Scalar) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def number_text(col: pl.Expr) -> pl.Expr:
    """A number as short text: ``200000.0000000000 -> 200000``, ``0.30 -> 0.3``."""
    text = col.cast(pl.String)
    return text.str.replace(r"(\.\d*?[1-9])0+$", "${1}").str.replace(r"\.0+$", "")


def date_text(col: pl.Expr) -> pl.Expr:
    return col.dt.strftime("%Y-%m-%d")


def euros_text(cents: pl.Expr) -> pl.Expr:
    return pl.concat_str(cents_to_text(cents), pl.lit(" €"))
