"""Assurance core: the validation sample an auditor can redraw by hand, and the
recovery its failures extrapolate to (hand-worked figures from the docstrings)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kasvufee.assurance import StratumResult, draw_sample, extrapolate, frame_digest, sample_key
from kasvufee.errors import UsageError

FRAME = pl.DataFrame({
    "entry_id": [f"E{i}" for i in range(1, 11)],
    "provider_id": ["P1"] * 6 + ["P2"] * 4,
    "component": ["placement"] * 10,
    "amount_cents": [90000] * 6 + [65000] * 4,
})


def test_keys_are_sha256_of_seed_and_entry_id() -> None:
    # printf 'audit-2019:E5' | sha256sum
    assert sample_key("audit-2019", "E5")[:16] == "0676f31f4fe63ffc"
    assert sample_key("audit-2019", "E10")[:16] == "d5692450731da95f"


def test_the_sample_is_the_lowest_keys_of_each_stratum() -> None:
    """P1's keys in order: E5 0676…, E6 52ca…, E2 5844…, E1 735d…, E4 7caf…, E3 e747…;
    P2's: E9 bde2…, E8 ce2d…, E10 d569…, E7 f7cf…"""
    sample = draw_sample(FRAME, "audit-2019", count=2)
    assert sample.entries.select("provider_id", "entry_id", "rank").rows() == [
        ("P1", "E5", 1), ("P1", "E6", 2), ("P2", "E9", 1), ("P2", "E8", 2)]
    assert sample.strata.rows() == [("P1", "placement", 6, 2), ("P2", "placement", 4, 2)]
    assert sample.rule == "count 2" and sample.seed == "audit-2019"
    # printf 'E1,90000\nE10,65000\n…E9,65000\n' | sha256sum
    assert sample.digest == "aa5d3946fc13e79bbeeba249b6c42383aadc94a7865ec71be22eda9d2d7e1d76"


def test_a_share_rounds_up_per_stratum() -> None:
    sample = draw_sample(FRAME, "audit-2019", share=Decimal("0.3"))
    assert sample.strata["n"].to_list() == [2, 2]  # ceil(1.8), ceil(1.2)
    assert draw_sample(FRAME, "audit-2019", count=9).strata["n"].to_list() == [6, 4]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "draw_sample needs exactly one of share= or count="),
    ({"count": 0}, "draw_sample: count must be at least 1, got 0"),
    ({"share": Decimal("1.5")}, "draw_sample: share must be above 0 and at most 1, got 1.5"),
])
def test_a_sample_rule_must_be_one_and_sensible(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as info:
        draw_sample(FRAME, "audit-2019", **kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message


@given(st.permutations(list(range(10))), st.text(min_size=1, max_size=12).filter(str.strip),
       st.integers(1, 7))
def test_the_order_of_the_frame_never_matters(order: list[int], seed: str, count: int) -> None:
    shuffled = FRAME[order]
    a, b = draw_sample(FRAME, seed, count=count), draw_sample(shuffled, seed, count=count)
    assert a.entries.rows() == b.entries.rows()
    assert a.digest == b.digest == frame_digest(shuffled)
    assert a.entries.group_by("provider_id").len().sort("provider_id")["len"].to_list() == [
        min(count, 6), min(count, 4)]


def test_recovery_hand_worked() -> None:
    """N = 100 entries of 100.00, 20 sampled, 5 failed: R = 0.25, X = 8 000.00;
    s² = (5·75² + 15·25²)/19 = 1 973.68…, V = 0.8/(20·100²)·s² = 0.0078947…,
    1.96·√V = 0.1741506; X·(R ∓ 0.1741506) = 606.80 and 3 393.20."""
    r = extrapolate(StratumResult(100, 800000, [(10000, 10000)] * 5 + [(10000, 0)] * 15))
    assert (r.error_rate, r.point_cents, r.lower_cents, r.upper_cents) == (
        Decimal("0.25"), 200000, 60680, 339320)
    assert (r.amount_cents, r.basis) == (60680, "lower")
    assert extrapolate(StratumResult(100, 800000, [(10000, 10000)] * 5 + [(10000, 0)] * 15),
                       basis="point").amount_cents == 200000


def test_a_small_sample_recovers_nothing_on_the_lower_bound() -> None:
    """N = 10 of 1 000.00, 4 sampled, 1 failed: V = 0.6/(4·1000²)·250 000 = 0.0375;
    R - 1.96·√V < 0, so the lower bound is 0; the upper 6 000·0.629552 = 3 777.31."""
    r = extrapolate(StratumResult(10, 600000, [(100000, 100000)] + [(100000, 0)] * 3))
    assert (r.point_cents, r.lower_cents, r.upper_cents, r.amount_cents) == (
        150000, 0, 377731, 0)


def test_edges_of_the_estimator() -> None:
    whole = extrapolate(StratumResult(2, 0, [(100, 100), (100, 0)]))
    assert (whole.point_cents, whole.lower_cents, whole.upper_cents) == (0, 0, 0)
    one = extrapolate(StratumResult(5, 40000, [(10000, 10000)]))
    assert (one.point_cents, one.lower_cents, one.upper_cents) == (40000, 0, 40000)
    with pytest.raises(UsageError):
        extrapolate(StratumResult(5, 0, [(100, 101)]))
