"""Money: integer cents of the scheme's currency (EUR unless it names another).

Inside the engine every amount is an ``int`` number of cents (polars ``Int64``).
A fraction of a cent is rounded **half up** (away from zero at exactly .5) once,
where an entry's amount is produced.  A price split into percentage shares is
allocated by the largest-remainder method so that the shares always sum exactly
to the price.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

import polars as pl

MAX_CENTS = 100_000_000_000
"""The largest amount kasvufee handles anywhere: 1 000 000 000.00 € (in cents).

A scheme's amounts, prices and caps are at most this, and an entry whose
amount comes out larger is held, never paid.  Far below what Int64 cents hold
(about 92 000 000 000 000 000.00 €), so that sums of many such entries stay
exact; running sums over caps are kept in Int128 besides."""

_AMOUNT = re.compile(r"^-?\d+(\.\d{1,2})?$")
_PERCENT = re.compile(r"^(\d+(\.\d+)?)\s*%$")


def parse_euros(text: str) -> int:
    """Parse a euro amount with at most two decimals (``"900.00"``, ``"1800"``) to cents.

    Raises ValueError with a readable reason for anything else.
    """
    t = text.strip()
    if not _AMOUNT.match(t):
        raise ValueError(f"a euro amount like 900.00, got {text!r}")
    return int(Decimal(t) * 100)


def parse_percent(text: str) -> Decimal:
    """Parse ``"25%"`` or ``"12.5 %"`` to a fraction (``Decimal("0.25")``)."""
    m = _PERCENT.match(text.strip())
    if not m:
        raise ValueError(f"a percentage like 25%, got {text!r}")
    return Decimal(m.group(1)) / 100


def round_cents(value: Decimal) -> int:
    """Round a euro amount to whole cents, half up (away from zero)."""
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_cents(cents: int) -> str:
    """Cents as a decimal string with two decimals: ``90000 -> "900.00"``."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def cents_to_text(col: pl.Expr) -> pl.Expr:
    """Vectorised ``format_cents`` for an Int64 column of cents."""
    # an untyped literal of 2**31 cents or more (a cap of 21 474 836.48 €) made
    # polars panic in the division below ("cannot get ref Int64 from Int32")
    col = col.cast(pl.Int64)
    a = col.abs()
    return pl.concat_str(
        pl.when(col < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (a // 100).cast(pl.String),
        pl.lit("."),
        (a % 100).cast(pl.String).str.zfill(2),
    )


EURO_DTYPE = pl.Decimal(18, 2)
"""Euro amounts in tables the API returns and in Parquet: decimal(18,2)."""


def cents_to_euros(col: pl.Expr) -> pl.Expr:
    """An Int64 column of cents as exact euros, decimal(18,2)."""
    return cents_to_text(col).cast(EURO_DTYPE)


def euros_to_cents(col: pl.Expr) -> pl.Expr:
    """A decimal(18,2) column of euros as Int64 cents (exact)."""
    return (col * 100).cast(pl.Int64)


def euros_to_cents_half_up(col: pl.Expr) -> pl.Expr:
    """Vectorised half-up rounding of a Decimal euro column to Int64 cents.

    polars rounds Decimal arithmetic and casts half to even; a finance office
    expects half up (away from zero), so the mode is named explicitly.
    """
    return (col * 100).round(0, mode="half_away_from_zero").cast(pl.Int64)


def allocate(total_cents: int, weights: Sequence[Decimal]) -> list[int]:
    """Split ``total_cents`` in proportion to ``weights`` so the parts sum exactly.

    Largest-remainder method; ties go to the earlier share.  Weights need not
    sum to one (``[50, 25, 25]`` works).
    """
    if not weights:
        return []
    wsum = sum(weights, Decimal(0))
    if wsum <= 0:
        raise ValueError("share weights must sum to more than zero")
    exact = [Decimal(total_cents) * w / wsum for w in weights]
    floors = [int(x.to_integral_value(rounding="ROUND_FLOOR")) for x in exact]
    left = total_cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def allocate_shares(total_cents: int, shares: Mapping[str, Decimal]) -> dict[str, int]:
    """``allocate`` keyed by share name, keeping the declared order."""
    names = list(shares)
    return dict(zip(names, allocate(total_cents, [shares[n] for n in names]), strict=True))


def percent_text(fraction: Decimal) -> str:
    """A fraction as a short percentage: ``Decimal("0.5") -> "50%"``, ``0.125 -> "12.5%"``."""
    text = f"{(fraction * 100).normalize():f}"
    return f"{text}%"


@dataclass(frozen=True)
class Currency:
    """A scheme's currency (an ISO 4217 code) and how explanations write its
    amounts: ``900.00 €`` for EUR (as the Finnish pilots write it), the
    symbol first for the others (``£1200.00``, ``A$400.00``, ``-£150.00``)."""

    code: str = "EUR"

    @cached_property
    def symbol(self) -> str:
        from babel.numbers import get_currency_symbol  # Babel loads only when asked

        return str(get_currency_symbol(self.code, locale="en"))

    def text(self, amount: str) -> str:
        """A two-decimal amount (``"-150.00"``) with the currency."""
        if self.code == "EUR":
            return f"{amount} €"
        sign, digits = ("-", amount[1:]) if amount.startswith("-") else ("", amount)
        return f"{sign}{self.symbol}{digits}"

    def expr(self, amount: pl.Expr) -> pl.Expr:
        """``text`` on a column of two-decimal amounts."""
        if self.code == "EUR":
            return pl.concat_str(amount, pl.lit(" €"))
        negative = amount.str.starts_with("-")
        return pl.concat_str(pl.when(negative).then(pl.lit("-")).otherwise(pl.lit("")),
                             pl.lit(self.symbol), amount.str.strip_prefix("-"))


EUR = Currency()
