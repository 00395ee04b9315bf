"""The recovery a stratum's sample failures extrapolate to (the ratio estimator).

In a stratum of N entries with amounts x (cents), a simple random sample of n
(without replacement) is validated; y is what each sampled entry failed by (its
amount when it failed, 0 when it passed, part of it for a partial failure).

- error rate  R = Σy / Σx over the sample;
- unsampled   X = Σx over the stratum's entries outside the sample;
- point       R · X, what the failures found suggest is owed back;
- variance    V = (1 - n/N) / (n · x̄²) · s², with x̄ the sample's mean amount
  and s² = Σ(y - R·x)² / (n - 1);
- interval    X · (R ± z·√V), z = 1.96 (95 %), kept within [0, X].

The amount to recover is the interval's **lower bound** by default, the benefit
of the doubt to the provider (``basis="point"`` takes the point estimate). The
failed entries themselves are reversed one by one; this recovers only what the
unsampled entries are estimated to owe. Exact decimals to the end, each figure
rounded half up to the cent once. A sample of one, or all of the stratum, has
no interval: with n = 1 the lower bound is 0, with n = N nothing is unsampled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

from kasvufee.errors import UsageError

Z95 = Decimal("1.96")


@dataclass(frozen=True)
class StratumResult:
    """One stratum's validation: its size, the amount of its unsampled entries,
    and each sampled entry's amount with what it failed by (cents)."""

    size: int
    unsampled_cents: int
    sampled: Sequence[tuple[int, int]]  # (amount, failed by)


@dataclass(frozen=True)
class Recovery:
    """The extrapolation, every figure in cents; ``amount_cents`` is what to
    recover on the chosen basis."""

    error_rate: Decimal
    point_cents: int
    lower_cents: int
    upper_cents: int
    amount_cents: int
    basis: str


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def extrapolate(stratum: StratumResult, *, basis: Literal["lower", "point"] = "lower",
                z: Decimal = Z95) -> Recovery:
    """The recovery from ``stratum``'s unsampled entries (see the module)."""
    n, big_n, unsampled = len(stratum.sampled), stratum.size, stratum.unsampled_cents
    if n == 0 or n > big_n:
        raise UsageError(f"extrapolate needs 1 to {big_n} sampled entries, got {n}")
    if any(not 0 <= failed <= amount for amount, failed in stratum.sampled):
        raise UsageError("extrapolate: an entry fails by 0 to its amount")
    with localcontext() as ctx:
        ctx.prec = 40
        xs = [Decimal(a) for a, _ in stratum.sampled]
        ys = [Decimal(f) for _, f in stratum.sampled]
        total = sum(xs, Decimal(0))
        rate = sum(ys, Decimal(0)) / total if total else Decimal(0)
        point = rate * unsampled
        if n == 1 or n == big_n:
            spread = None
        else:
            mean = total / n
            s2 = sum(((y - rate * x) ** 2 for x, y in zip(xs, ys, strict=True)),
                     Decimal(0)) / (n - 1)
            variance = (1 - Decimal(n) / big_n) / (n * mean * mean) * s2
            spread = z * variance.sqrt()
        if spread is None:
            lower, upper = (point, point) if n == big_n else (Decimal(0), Decimal(unsampled))
        else:
            lower = max(Decimal(0), (rate - spread) * unsampled)
            upper = min(Decimal(unsampled), (rate + spread) * unsampled)
        chosen = lower if basis == "lower" else point
        return Recovery(rate, _cents(point), _cents(lower), _cents(upper), _cents(chosen), basis)
