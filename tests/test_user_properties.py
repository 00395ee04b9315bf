"""Example properties a scheme designer can copy into their own tests, written
with the strategies kasvufee ships (``kasvufee.testing``):

- the total never exceeds the budget;
- a harder-to-place client never earns the provider less;
- more outcomes never lower the payout;
- row order never changes the ledger.
"""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import kasvufee
from kasvufee.design.population import generate
from kasvufee.testing import populations, shuffled, tiered_schemes
from tests.conftest import examples

SETTINGS = settings(max_examples=examples(20), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _pay(scheme: kasvufee.Scheme, events: pl.DataFrame, as_of: object) -> int:
    ledger = kasvufee.evaluate(scheme, events, as_of)  # type: ignore[arg-type]
    return int(ledger.frame["amount"].sum())


@SETTINGS
@given(scheme=tiered_schemes(), population=populations(), seed=st.integers(0, 10_000))
def test_the_total_never_exceeds_the_budget(scheme: kasvufee.Scheme, population: object,
                                            seed: int) -> None:
    events = generate(population, seed)  # type: ignore[arg-type]
    ledger = kasvufee.evaluate(scheme, events, population.as_of)  # type: ignore[attr-defined]
    (cap,) = scheme.versions[0].caps
    results = ledger.frame.filter(pl.col("component").is_in(list(cap.components or ())))
    per_provider = results.group_by("provider_id").agg(pl.col("amount").sum())
    assert all(total <= cap.amount for total in per_provider["amount"])


@SETTINGS
@given(scheme=tiered_schemes(), population=populations(), seed=st.integers(0, 10_000),
       data=st.data())
def test_a_harder_client_never_earns_the_provider_less(
        scheme: kasvufee.Scheme, population: object, seed: int, data: st.DataObject) -> None:
    events = generate(population, seed)  # type: ignore[arg-type]
    as_of = population.as_of  # type: ignore[attr-defined]
    clients = events.filter(pl.col("type") == "enrolled")["client_id"].to_list()
    client = data.draw(st.sampled_from(clients))
    order = ["low", "medium", "high"]
    paid = []
    for risk in order:
        changed = events.with_columns(
            pl.when((pl.col("type") == "enrolled") & (pl.col("client_id") == client))
            .then(pl.lit(risk)).otherwise(pl.col("risk_class")).alias("risk_class"))
        paid.append(_pay(scheme, changed, as_of))
    assert paid == sorted(paid)


@SETTINGS
@given(scheme=tiered_schemes(), population=populations(), seed=st.integers(0, 10_000),
       data=st.data())
def test_more_outcomes_never_lower_the_payout(scheme: kasvufee.Scheme, population: object,
                                              seed: int, data: st.DataObject) -> None:
    events = generate(population, seed)  # type: ignore[arg-type]
    as_of = population.as_of  # type: ignore[attr-defined]
    starts = events.filter(pl.col("type") == "employment_started")
    assume(starts.height > 0)  # a population that placed nobody has no outcome to drop
    dropped = data.draw(st.sampled_from(starts["event_id"].to_list()))
    fewer = events.filter(pl.col("event_id") != dropped)
    assert _pay(scheme, fewer, as_of) <= _pay(scheme, events, as_of)


@SETTINGS
@given(scheme=tiered_schemes(), population=populations(max_clients=60), data=st.data())
def test_row_order_never_changes_the_ledger(scheme: kasvufee.Scheme, population: object,
                                            data: st.DataObject) -> None:
    events = generate(population, 1)  # type: ignore[arg-type]
    rows = events.to_dicts()
    other = pl.DataFrame(data.draw(shuffled(rows)), schema=events.schema)
    as_of = population.as_of  # type: ignore[attr-defined]
    a = kasvufee.evaluate(scheme, events, as_of)
    b = kasvufee.evaluate(scheme, other, as_of)
    assert a.frame.equals(b.frame) and a.held_frame.equals(b.held_frame)
