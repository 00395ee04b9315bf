"""Money: EUR as integer cents.

Inside the engine every amount is an ``int`` number of cents (polars ``Int64``).
A fraction of a cent is rounded **half up** (away from zero at exactly .5) once,
where an entry's amount is produced.  A price split into percentage shares is
allocated by the largest-remainder method so that the shares always sum exactly
to the price.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

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
