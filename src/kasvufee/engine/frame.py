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

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import cast

import polars as pl

from kasvufee.money import Currency, cents_to_text
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


def finish(df: pl.DataFrame) -> pl.DataFrame:
    """Select the candidate columns in order, with their types; the facts added
    with ``add_fact`` become the ``facts`` list."""
    pending = _pending_facts(df)
    if pending:
        df = df.with_columns(lists(df, [f"{_FACT}{i}" for i in range(pending)],
                                   [f"{_APPLIES}{i}" for i in range(pending)]).alias("facts"))
    return df.select([pl.col(c).cast(t) for c, t in CANDIDATE_SCHEMA.items()])


def hold(df: pl.DataFrame, failed: pl.Expr, reason: pl.Expr | str) -> pl.DataFrame:
    """Mark rows that fail a condition with ``reason`` (first reason wins).

    A formatted reason is worked out only for the rows it marks: formatting
    every row's text costs more than the test, and few rows fail.  A reason
    that comes out null marks nothing: the rules rely on it where a condition
    on a missing value is null and so is the reason naming that value (a job
    with no end: ``_end < _mark`` and "ended on {_end}"), so a reason must
    name only what its condition needs.
    """
    new = pl.col("held").is_null() & failed.fill_null(True)
    if isinstance(reason, str) or reason.meta.is_column():
        plain = pl.lit(reason) if isinstance(reason, str) else reason
        return df.with_columns(pl.when(new).then(plain).otherwise(pl.col("held")).alias("held"))
    marked = (df.lazy().with_row_index("_row").filter(new)
              .select("_row", reason.alias("_why")).collect())
    if marked.height == 0:
        return df
    return spread(df, marked).with_columns(pl.coalesce("held", "_why").alias("held")).drop("_why")


def hold_not_a_number(df: pl.DataFrame, name: str, given: pl.Expr, number: pl.Expr,
                      when: pl.Expr | None = None) -> pl.DataFrame:
    """Hold the rows (or those ``when``) whose ``name`` is ``given`` but is not a
    number (``number``, its cast, is null): only a table built without the
    scheme's types has one, as the readers refuse such a cell; it must neither
    pay nor count as 0 in silence."""
    bad = given.is_not_null() & number.is_null()
    return hold(df, bad if when is None else when & bad,
                pl.format("{} {} is not a number", pl.lit(name), given.cast(pl.String)))


def add_fact(df: pl.DataFrame, fact: pl.Expr, when: pl.Expr | None = None) -> pl.DataFrame:
    """Append a readable fact to the explanation of every row (or where ``when``).

    Facts wait in columns (the text, and whether it applies) until ``finish``
    makes them the ``facts`` list at once (the frame must not have one yet):
    rebuilding a list column per fact costs more than most steps.
    """
    i = _pending_facts(df)
    applies = pl.lit(True) if when is None else when.fill_null(False)
    return df.with_columns(fact.cast(pl.String).alias(f"{_FACT}{i}"),
                           applies.alias(f"{_APPLIES}{i}"))


_FACT, _APPLIES = "_fact#", "_applies#"


def combine(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """The rows of frames worked on apart, as one: a fact that one part added
    (with ``add_fact``) and another did not does not apply to the other's rows."""
    return pl.concat(parts, how="diagonal_relaxed").with_columns(
        pl.col(f"^{_APPLIES}.*$").fill_null(False))


def _pending_facts(df: pl.DataFrame) -> int:
    return sum(c.startswith(_FACT) for c in df.columns)


def lists(df: pl.DataFrame, texts: Sequence[str], applies: Sequence[str]) -> pl.Series:
    """Per row, the list of its ``texts`` columns whose ``applies`` column is true, in order.

    polars' ``concat_list`` is slow; instead the ``k`` texts of each row fill
    ``k`` slots of one flat column (the applying ones first, in order), which
    is reshaped to lists of ``k`` and cut to the number that apply.
    """
    k = len(texts)
    before = [pl.lit(0, dtype=pl.UInt32)]  # how many of the texts before text j apply
    for a in applies:
        before.append(before[-1] + pl.col(a).cast(pl.UInt32))
    count = before.pop()
    first = pl.int_range(pl.len(), dtype=pl.UInt32) * k
    slots = df.select(
        *((first + pl.when(a).then(b).otherwise(count + j - b)).alias(str(j))
          for j, (a, b) in enumerate(zip(applies, before, strict=True))),
        count.alias("count"))
    grid = pl.repeat(None, df.height * k, dtype=pl.String, eager=True).scatter(
        pl.concat(slots.get_columns()[:k]), pl.concat(df.get_column(t) for t in texts))
    rows = pl.DataFrame({"lists": grid.reshape((df.height, k)).cast(pl.List(pl.String)),
                         "count": slots.get_column("count")})
    return rows.select(pl.col("lists").list.head(pl.col("count"))).to_series()


def spread(df: pl.DataFrame, part: pl.DataFrame) -> pl.DataFrame:
    """``df`` with the columns of ``part``, whose ``_row`` says which row of ``df``
    each of its rows belongs to (null in the other rows).

    A step that needs only some rows and columns works on that ``part`` (a copy
    of a few columns) and brings its results back by position: no join, and
    ``df`` keeps its order.
    """
    at = pl.repeat(None, df.height, dtype=pl.UInt32, eager=True).scatter(
        part.get_column("_row"), pl.int_range(part.height, dtype=pl.UInt32, eager=True))
    return df.with_columns(part.get_column(c).gather(at) for c in part.columns if c != "_row")


def run_sum(value: pl.Expr, start: pl.Expr) -> pl.Expr:
    """A running sum restarted where ``start`` is true (rows grouped in runs):
    the running sum minus its value before the run (scans, no hashing)."""
    running = value.cum_sum()
    return running - pl.when(start).then(running - value).forward_fill()


RESERVED = frozenset(CANDIDATE_SCHEMA) - {"provider_id", "client_id", "ord"}
"""Candidate columns an event attribute may share its name with (the earnings
events of abroad.md carry an ``amount``): in a candidate frame such an
attribute travels as ``event.NAME`` (see :func:`attribute_columns`)."""


def attribute_columns(columns: Sequence[str]) -> dict[str, str]:
    """The renames that keep event attributes apart from the candidate columns."""
    return {n: f"event.{n}" for n in columns if n in RESERVED}


def attribute_name(df: pl.DataFrame, name: str) -> str | None:
    """The column holding attribute ``name`` in ``df`` (``event.NAME`` for a
    reserved name in a candidate frame), or None when there is none."""
    for candidate in ((f"event.{name}", name) if name in RESERVED else (name,)):
        if candidate in df.columns:
            return candidate
    return None


def column(df: pl.DataFrame, name: str, dtype: pl.DataType | None = None) -> pl.Expr:
    """An attribute's column, or a null column when the events have no such attribute."""
    found = attribute_name(df, name)
    if found is not None:
        return pl.col(found)
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
        # the numbers as text cast to decimals: a Series of Decimal objects imports numpy
        nums = [format(Decimal(str(v)), "f") for v in values if not isinstance(v, bool)]
        return col.cast(DECIMAL, strict=False).is_in(
            pl.Series(nums, dtype=pl.String).cast(DECIMAL).implode())
    return col.cast(pl.String).is_in([_text(v) for v in values])


def _text(v: Scalar) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def number_text(col: pl.Expr) -> pl.Expr:
    """A number as short text: ``200000.0000000000 -> 200000``, ``0.30 -> 0.3``."""
    return by_value(col, lambda c: c.cast(pl.String).str.replace(r"(\.\d*?[1-9])0+$", "${1}")
                    .str.replace(r"\.0+$", ""))


def inputs_text(df: pl.DataFrame, node: ex.Node) -> pl.Expr:
    """The values of an expression's names, ``a=1, b=missing``, for a held reason or
    fact; an expression of constants only has none (check ``ex.names`` first)."""
    return pl.concat_str(
        [pl.format("{}={}", pl.lit(n), number_text(column(df, n)).fill_null("missing"))
         for n in sorted(ex.names(node))], separator=", ")


def inputs_note(df: pl.DataFrame, node: ex.Node) -> pl.Expr:
    """`` (a=1, b=missing)`` to follow a condition's text, nothing for a condition
    of constants only."""
    return pl.format(" ({})", inputs_text(df, node)) if ex.names(node) else pl.lit("")


def date_text(col: pl.Expr, form: str = "%Y-%m-%d") -> pl.Expr:
    return by_value(col, lambda c: c.dt.strftime(form))


def money_text(cents: pl.Expr, money: Currency) -> pl.Expr:
    """Cents as an amount with its currency: ``900.00 €``, ``£1200.00``."""
    return by_value(cents, lambda c: money.expr(cents_to_text(c)))


def by_value(col: pl.Expr, text: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``text(col)``, worked out once per distinct value: dates and amounts take
    few values, and formatting is several times costlier than looking up."""

    def texts(values: pl.Series) -> pl.Series:
        rows = values.to_frame("v")
        distinct = rows.unique().with_columns(text(pl.col("v")).alias("t"))
        return rows.join(distinct, on="v", how="left", maintain_order="left",
                         nulls_equal=True).get_column("t")

    if col.meta.is_literal():
        return text(col)
    return col.map_batches(texts, return_dtype=pl.String)
