"""kasvufee.money one function at a time: parsing, half-up rounding, exact
allocation and the texts, each against amounts worked by hand."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from kasvufee.money import (
    EUR,
    Currency,
    allocate,
    allocate_shares,
    cents_to_euros,
    cents_to_text,
    euros_to_cents,
    euros_to_cents_half_up,
    format_cents,
    parse_euros,
    parse_percent,
    percent_text,
    round_cents,
)


@pytest.mark.parametrize(("text", "cents"), [
    ("900.00", 90000), ("1800", 180000), ("0.05", 5), ("7.5", 750), (" 12.34 ", 1234),
    ("-150.00", -15000), ("-0.01", -1),
])
def test_parse_euros(text: str, cents: int) -> None:
    assert parse_euros(text) == cents


@pytest.mark.parametrize("text", ["1.234", "12,50", "€5", "5 €", "", "1e3", "--1", ".5"])
def test_parse_euros_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match=r"^a euro amount like 900\.00, got "):
        parse_euros(text)


@pytest.mark.parametrize(("text", "fraction"), [
    ("25%", Decimal("0.25")), ("12.5 %", Decimal("0.125")), (" 100% ", Decimal("1")),
    ("0%", Decimal("0")), ("150%", Decimal("1.5")),
])
def test_parse_percent(text: str, fraction: Decimal) -> None:
    assert parse_percent(text) == fraction


@pytest.mark.parametrize("text", ["25", "-5%", "%", "1,5%", "25%%"])
def test_parse_percent_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match=r"^a percentage like 25%, got "):
        parse_percent(text)


@pytest.mark.parametrize(("euros", "cents"), [
    # exactly half a cent goes up (half-even would give 50000, 12, 0 and 2)
    ("500.005", 50001), ("0.125", 13), ("0.005", 1), ("0.025", 3),
    # away from zero for a negative amount too
    ("-500.005", -50001), ("-0.125", -13),
    # below half a cent goes down, above goes up
    ("500.0049999", 50000), ("500.0050001", 50001), ("0.135", 14), ("3.3333333", 333),
    ("1000", 100000), ("0", 0),
])
def test_round_cents_is_half_up(euros: str, cents: int) -> None:
    assert round_cents(Decimal(euros)) == cents


def test_euros_to_cents_half_up_on_a_column() -> None:
    # the vectorised twin of round_cents: the same hand-worked cases
    values = ["500.005", "0.125", "-0.125", "-500.005", "500.0049", "0.135", "0"]
    col = pl.Series("v", [Decimal(v) for v in values], dtype=pl.Decimal(38, 4))
    got = pl.select(euros_to_cents_half_up(pl.lit(col))).to_series()
    assert got.dtype == pl.Int64
    assert got.to_list() == [50001, 13, -13, -50001, 50000, 14, 0]


@pytest.mark.parametrize(("cents", "text"), [
    (90000, "900.00"), (5, "0.05"), (50, "0.50"), (0, "0.00"), (-15000, "-150.00"),
    (-5, "-0.05"), (100001, "1000.01"), (123456789, "1234567.89"),
])
def test_format_cents(cents: int, text: str) -> None:
    assert format_cents(cents) == text


def test_cents_to_text_on_a_column_matches_format_cents() -> None:
    cents = [90000, 5, 50, 0, -15000, -5, 100001, None]
    got = pl.select(cents_to_text(pl.lit(pl.Series(cents, dtype=pl.Int64)))).to_series()
    assert got.to_list() == ["900.00", "0.05", "0.50", "0.00", "-150.00", "-0.05", "1000.01",
                             None]


@pytest.mark.parametrize(("cents", "text"), [
    (2**31 - 1, "21474836.47"), (2**31, "21474836.48"), (-(2**31) - 1, "-21474836.49"),
    (100_000_000_000, "1000000000.00")])
def test_cents_to_text_of_a_plain_literal(cents: int, text: str) -> None:
    # a cap or max_amount of 21 474 836.48 € or more is such a literal: polars
    # panicked on it and every run of the scheme ended in exit 70
    assert pl.select(cents_to_text(pl.lit(cents))).item() == text


@pytest.mark.parametrize(("total", "weights", "parts"), [
    # 50/50 of 1 000.01: 50 000.5 each; the odd cent goes to the earlier share
    (100001, ["0.5", "0.5"], [50001, 50000]),
    # thirds of 1.00: 33.33.. each, one cent left, to the first (ties: earlier)
    (100, ["1", "1", "1"], [34, 33, 33]),
    # thirds of 1.01: 33.66.. each, two cents left, to the first two
    (101, ["1", "1", "1"], [34, 34, 33]),
    # 1/3 and 2/3 of 0.10: 3.33.. and 6.66..; the cent goes to the larger remainder,
    # the later share (0.66 > 0.33), not simply the first
    (10, ["1", "2"], [3, 7]),
    # 2/5 and 3/5 of 0.07: 2.8 and 4.2; the cent goes to the smaller share's .8
    (7, ["2", "3"], [3, 4]),
    # 1/4 and 3/4 of 0.10: 2.5 and 7.5, equal remainders: the earlier share
    (10, ["1", "3"], [3, 7]),
    # weights need not sum to one: 50/25/25 of 10.01 = 500.5, 250.25, 250.25
    (1001, ["50", "25", "25"], [501, 250, 250]),
    # 25/25/50 of 10.01: the remainder .5 is the last share's
    (1001, ["25", "25", "50"], [250, 250, 501]),
    # an even split leaves nothing over
    (90000, ["0.5", "0.25", "0.25"], [45000, 22500, 22500]),
    # a zero weight gets nothing, even of a remainder
    (101, ["1", "0", "1"], [51, 0, 50]),
    (0, ["1", "1"], [0, 0]),
    (7, ["1"], [7]),
])
def test_allocate_by_largest_remainder(total: int, weights: list[str], parts: list[int]) -> None:
    got = allocate(total, [Decimal(w) for w in weights])
    assert got == parts
    assert sum(got) == total


def test_allocate_nothing_to_no_shares() -> None:
    assert allocate(500, []) == []


@pytest.mark.parametrize("weights", [["0", "0"], ["1", "-1"], ["-1"]])
def test_allocate_refuses_weights_that_do_not_sum_above_zero(weights: list[str]) -> None:
    with pytest.raises(ValueError, match=r"^share weights must sum to more than zero$"):
        allocate(100, [Decimal(w) for w in weights])


def test_allocate_shares_keeps_the_declared_order() -> None:
    # 50/25/25 of 1 000.01: 50 000.5, 25 000.25, 25 000.25; the .5 is the largest remainder
    got = allocate_shares(100001, {"base": Decimal("0.5"), "result": Decimal("0.25"),
                                   "bonus": Decimal("0.25")})
    assert list(got.items()) == [("base", 50001), ("result", 25000), ("bonus", 25000)]
    # declared the other way round, the order and the cent follow the declaration
    got = allocate_shares(100001, {"bonus": Decimal("0.25"), "result": Decimal("0.25"),
                                   "base": Decimal("0.5")})
    assert list(got.items()) == [("bonus", 25000), ("result", 25000), ("base", 50001)]


@pytest.mark.parametrize(("fraction", "text"), [
    ("0.5", "50%"), ("0.125", "12.5%"), ("1", "100%"), ("0.25", "25%"), ("0", "0%"),
    ("1.5", "150%"), ("0.500", "50%"),
])
def test_percent_text(fraction: str, text: str) -> None:
    assert percent_text(Decimal(fraction)) == text


# ------------------------------------------------------------ currencies and euro columns


@pytest.mark.parametrize(("code", "amount", "text"), [
    ("EUR", "900.00", "900.00 €"), ("EUR", "-150.00", "-150.00 €"),
    ("GBP", "1200.00", "£1200.00"), ("GBP", "-150.00", "-£150.00"),
    ("AUD", "400.00", "A$400.00"), ("AUD", "-0.01", "-A$0.01"),
])
def test_currency_texts(code: str, amount: str, text: str) -> None:
    money = Currency(code)
    assert money.text(amount) == text
    assert pl.select(money.expr(pl.lit(amount))).item() == text


def test_currency_texts_on_a_column() -> None:
    amounts = pl.Series(["900.00", "-150.00", "0.00"])
    assert pl.select(Currency("GBP").expr(pl.lit(amounts))).to_series().to_list() == [
        "£900.00", "-£150.00", "£0.00"]
    assert pl.select(EUR.expr(pl.lit(amounts))).to_series().to_list() == [
        "900.00 €", "-150.00 €", "0.00 €"]
    assert (EUR.code, Currency("GBP").symbol, Currency("AUD").symbol) == ("EUR", "£", "A$")


def test_cents_and_euro_columns_convert_exactly() -> None:
    cents = pl.Series([90000, -15050, 1, 0], dtype=pl.Int64)
    euros = pl.select(cents_to_euros(pl.lit(cents))).to_series()
    assert euros.dtype == pl.Decimal(18, 2)
    assert euros.to_list() == [Decimal("900.00"), Decimal("-150.50"), Decimal("0.01"),
                               Decimal("0.00")]
    back = pl.select(euros_to_cents(pl.lit(euros))).to_series()
    assert back.dtype == pl.Int64
    assert back.to_list() == [90000, -15050, 1, 0]
