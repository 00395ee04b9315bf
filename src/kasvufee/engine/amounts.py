"""Amount forms compiled to column expressions: fixed, share of a price,
table by attribute, per-answer sums, bands of a mean, and formulas.

Each ``price_*`` sets ``amount`` (Int64 cents), appends a fact, and holds
rows whose inputs are missing.  All arithmetic is exact: integers for cents,
``Decimal(38, 10)`` for formulas, integer cross-multiplication for means.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from kasvufee.engine.frame import (
    DECIMAL,
    add_fact,
    attribute_name,
    column,
    hold,
    hold_not_a_number,
    inputs_text,
    money_text,
    number_text,
)
from kasvufee.errors import ExpressionError
from kasvufee.money import (
    MAX_CENTS,
    Currency,
    euros_to_cents_half_up,
    format_cents,
    percent_text,
)
from kasvufee.scheme import expr as ex
from kasvufee.scheme.model import (
    Amount,
    CheckpointFee,
    EventFee,
    Formula,
    MeanBands,
    PerAnswer,
    Scale,
    Table,
    Version,
)
from kasvufee.scheme.prices import full_amount, pays_cents, static_cents


def price(df: pl.DataFrame, version: Version, c: EventFee | CheckpointFee,
          money: Currency) -> pl.DataFrame:
    """Set ``amount`` by the component's amount form, then bound it: a result
    above ``max_amount`` is cut to it; a negative result, or one above
    ``MAX_CENTS``, is held, never paid.  Amounts in the facts are in ``money``."""
    df = _amount(df, version, c.id, c.amount, money)
    df = hold(df, pl.col("amount") > MAX_CENTS, pl.format(
        "the amount came out {}, above the largest amount an entry may have ({})",
        money_text(pl.col("amount"), money), pl.lit(money.text(format_cents(MAX_CENTS)))))
    if c.max_amount is not None:
        over = pl.col("amount") > c.max_amount
        df = add_fact(df, pl.format("{} limited to max_amount {}",
                                    money_text(pl.col("amount"), money),
                                    pl.lit(money.text(format_cents(c.max_amount)))), over)
        df = df.with_columns(pl.min_horizontal("amount", pl.lit(c.max_amount)).alias("amount"))
    return hold(df, pl.col("amount") < 0,
                pl.format("the amount came out negative ({})",
                          money_text(pl.col("amount"), money)))


def _amount(df: pl.DataFrame, version: Version, component: str, amount: Amount,
            money: Currency) -> pl.DataFrame:
    fixed = static_cents(version, component, amount)
    if fixed is not None:
        return df.with_columns(pl.lit(fixed, dtype=pl.Int64).alias("amount"))
    if isinstance(amount, Table):
        return _table(df, amount, money)
    if isinstance(amount, PerAnswer):
        return _per_answer(df, amount, money)
    if isinstance(amount, MeanBands):
        return _bands(df, version, component, amount, money)
    if isinstance(amount, Formula):
        return _formula(df, amount, money)
    raise TypeError(f"unknown amount form {amount!r}")  # the model admits no other


def _table(df: pl.DataFrame, t: Table, money: Currency) -> pl.DataFrame:
    key = column(df, t.by).cast(pl.String)
    cents = key.replace_strict(dict(t.table), default=None, return_dtype=pl.Int64)
    df = df.with_columns(key.alias("_key"), cents.alias("amount"))
    known = ", ".join(t.table)
    df = hold(df, pl.col("_key").is_null(), f"missing {t.by} (needs one of {known})")
    df = hold(df, pl.col("amount").is_null(),
              pl.format("{} '{}' is not in the table ({})", pl.lit(t.by), pl.col("_key"),
                        pl.lit(known)))
    df = add_fact(df, pl.format("{} {} → {}", pl.lit(t.by), pl.col("_key"),
                                money_text(pl.col("amount"), money)),
                  pl.col("amount").is_not_null())
    return df.drop("_key")


def _answers(df: pl.DataFrame, name: str) -> pl.Expr:
    return column(df, name, pl.List(pl.Int64))


def _per_answer(df: pl.DataFrame, p: PerAnswer, money: Currency) -> pl.DataFrame:
    answers = _answers(df, p.answers)
    table = {int(k): v for k, v in p.per_answer.items()}
    cents = answers.list.eval(
        pl.element().replace_strict(table, default=0, return_dtype=pl.Int64)).list.sum()
    df = df.with_columns(cents.alias("amount"))
    df = hold(df, answers.is_null() | (answers.list.len() == 0), f"no {p.answers} on the event")
    df = _hold_off_scale(df, answers, p.answers, p.scale)
    rates = ", ".join(f"{k} → {money.text(format_cents(v))}"
                      for k, v in sorted(table.items(), reverse=True))
    return add_fact(df, pl.format("{} {} at {} each (others 0) = {}", pl.lit(p.answers),
                                  answers.cast(pl.List(pl.String)).list.join(";"), pl.lit(rates),
                                  money_text(pl.col("amount"), money)),
                    pl.col("held").is_null())


def _hold_off_scale(df: pl.DataFrame, answers: pl.Expr, name: str, scale: Scale | None
                    ) -> pl.DataFrame:
    """Hold events with an answer outside the survey's declared scale."""
    if scale is None:
        return df
    off = answers.list.eval((pl.element() < scale.min) | (pl.element() > scale.max)).list.any()
    return hold(df, off, pl.format("{} {} outside the scale {}", pl.lit(name),
                                   answers.cast(pl.List(pl.String)).list.join(";"),
                                   pl.lit(str(scale))))


def _bands(df: pl.DataFrame, version: Version, component: str, b: MeanBands,
           money: Currency) -> pl.DataFrame:
    base = full_amount(version, component, b)
    values = column(df, b.mean_of)
    found = attribute_name(df, b.mean_of)
    dtype = None if found is None else df.schema[found]
    if isinstance(dtype, pl.List):
        count = values.list.len().cast(DECIMAL)
        # an empty list has no mean (its sum 0 would pass every band's t * 0)
        total: pl.Expr = pl.when(count > 0).then(values.list.sum().cast(DECIMAL))
        shown = pl.format("mean of {} {}", pl.lit(b.mean_of),
                          values.cast(pl.List(pl.String)).list.join(";"))
        missing = values.is_null() | (values.list.len() == 0)
    else:
        total = values.cast(DECIMAL, strict=False)
        count = pl.lit(1, dtype=DECIMAL)
        shown = pl.format("{}", pl.lit(b.mean_of))
        missing = values.is_null()
        df = hold_not_a_number(df, b.mean_of, values, total)  # not the otherwise band
    # mean >= t  <=>  total >= t * count: exact, no division
    chain: pl.Expr = pl.lit(pays_cents(b.otherwise, base), dtype=pl.Int64)
    for band in sorted(b.bands, key=lambda x: x.at_least):
        chain = pl.when(total >= ex.decimal_lit(band.at_least, DECIMAL) * count).then(
            pl.lit(pays_cents(band.pays, base), dtype=pl.Int64)).otherwise(chain)
    df = df.with_columns(chain.alias("amount"))
    df = hold(df, missing, f"no {b.mean_of} on the event")
    if isinstance(dtype, pl.List):
        df = _hold_off_scale(df, values, b.mean_of, b.scale)
    elif b.scale is not None:
        df = hold(df, (total < b.scale.min) | (total > b.scale.max),
                  pl.format("{} {} outside the scale {}", pl.lit(b.mean_of),
                            values.cast(pl.String), pl.lit(str(b.scale))))
    mean = (total / count).round(2)
    bands = ", ".join(f"≥ {x.at_least} → {pays_text(x.pays, money)}"
                      for x in sorted(b.bands, key=lambda x: -x.at_least))
    return add_fact(df, pl.format("{} = {} (bands {}, else {}) → {}", shown,
                                  number_text(mean), pl.lit(bands),
                                  pl.lit(pays_text(b.otherwise, money)),
                                  money_text(pl.col("amount"), money)),
                    pl.col("held").is_null())


def pays_text(pays: int | Decimal, money: Currency) -> str:
    return percent_text(pays) if isinstance(pays, Decimal) else money.text(format_cents(pays))


def _formula(df: pl.DataFrame, f: Formula, money: Currency) -> pl.DataFrame:
    node = ex.parse(f.formula)
    euros = ex.to_polars(node, lambda n: resolve_number(df, n))
    try:
        df = df.with_columns(euros.alias("_euros"), pl.lit(None, pl.String).alias("_overflow"))
    except pl.exceptions.ComputeError:
        df = _formula_by_row(df, node, f.formula)
    # beyond MAX_CENTS the cents would not fit Int64: such rows are held, not cast
    too_large = pl.col("_euros").abs() > pl.lit(MAX_CENTS // 100, dtype=DECIMAL)
    bounded = pl.when(too_large).then(pl.lit(0, dtype=DECIMAL)).otherwise(pl.col("_euros"))
    if f.rounding == "half_up":
        cents = euros_to_cents_half_up(bounded)
    else:
        cents = (bounded * 100).cast(pl.Int64)  # a cast truncates toward zero
    df = df.with_columns(cents.alias("amount"))
    df = hold(df, pl.col("_overflow").is_not_null(), pl.col("_overflow"))
    df = hold(df, pl.col("_euros").is_null(),
              pl.format("formula {} has a missing input", pl.lit(f.formula)))
    df = hold(df, too_large, pl.format(
        "formula {} came out {}, {}", pl.lit(f.formula),
        money.expr(number_text(pl.col("_euros"))),
        pl.when(pl.col("_euros") < 0).then(pl.lit("negative")).otherwise(pl.format(
            "above the largest amount an entry may have ({})",
            pl.lit(money.text(format_cents(MAX_CENTS)))))))
    df = df.drop("_euros", "_overflow")
    # a formula of constants only has no inputs to show
    shown = (pl.format("{} with {}", pl.lit(f.formula), inputs_text(df, node))
             if ex.names(node) else pl.lit(f.formula))
    return add_fact(df, pl.format("{}, rounded {} → {}", shown,
                                  pl.lit(f.rounding.replace("_", " ")),
                                  money_text(pl.col("amount"), money)), pl.col("held").is_null())


def _formula_by_row(df: pl.DataFrame, node: ex.Node, text: str) -> pl.DataFrame:
    """The formula row by row with the reference evaluator, when polars found a
    result too large to hold (hostile inputs only): those rows get ``_overflow``."""
    names = sorted(ex.names(node))
    inputs = df.select([resolve_number(df, n).alias(n) for n in names])
    values: list[object] = []
    reasons: list[str | None] = []
    for row in inputs.iter_rows(named=True):
        try:
            values.append(ex.evaluate(node, row))
            reasons.append(None)
        except ExpressionError as exc:
            values.append(None)
            reasons.append(f"formula {text}: expected {exc.expected}, got {exc.found}")
    return df.with_columns(pl.Series("_euros", values, dtype=DECIMAL),
                           pl.Series("_overflow", reasons, dtype=pl.String))


def resolve_number(df: pl.DataFrame, name: str) -> pl.Expr:
    """A column for the expression language: numbers as Decimal(38, 10)."""
    found = attribute_name(df, name)
    if found is None:
        return pl.lit(None, dtype=DECIMAL)
    if df.schema[found].is_numeric():
        return pl.col(found).cast(DECIMAL, strict=False)  # >= 10**18 cannot take part: missing
    return pl.col(found)
