"""Populations: the file format and the seeded, vectorised event generator."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from kasvufee.design.population import (
    Population,
    PopulationError,
    generate,
    load_population,
    parse_population,
    population_attribute_types,
)
from kasvufee.events.read import empty_events

POP = Path(__file__).parent.parent / "examples" / "populations" / "southwest-finland.yaml"


@pytest.fixture(scope="module")
def pop() -> Population:
    return load_population(POP)


def test_example_population_reads(pop: Population) -> None:
    assert pop.population == "southwest-finland"
    assert [g.share for g in pop.groups] == [0.3, 0.4, 0.3]
    assert pop.as_of == dt.date(2021, 1, 1)


def test_same_seed_same_table_other_seed_differs(pop: Population) -> None:
    a = generate(pop, 11, runs=2)
    assert a.equals(generate(pop, 11, runs=2))
    assert not a.equals(generate(pop, 12, runs=2))
    # run r does not depend on how many runs were drawn
    assert generate(pop, 11, runs=1).equals(
        a.filter(pl.col("run") == 1).with_columns(pl.col("line")))


def test_dtypes_are_the_canonical_ones(pop: Population) -> None:
    events = generate(pop, 3)
    assert events.schema == empty_events(population_attribute_types(pop)).schema
    assert events["event_id"].n_unique() == events.height
    assert events["line"].to_list() == list(range(1, events.height + 1))


def test_group_shares_on_a_large_draw(pop: Population) -> None:
    big = pop.model_copy(update={"clients": 50_000})
    enrolled = generate(big, 5).filter(pl.col("type") == "enrolled")
    assert enrolled.height == 50_000
    shares = dict(enrolled.group_by("risk_class").len().iter_rows())
    for risk, share in (("high", 0.3), ("medium", 0.4), ("low", 0.3)):
        assert abs(shares[risk] / 50_000 - share) < 0.01
    providers = dict(enrolled.group_by("provider_id").len().iter_rows())
    assert abs(providers["SW-1"] / 50_000 - 0.6) < 0.01
    placed = generate(big, 5).filter(pl.col("type") == "employment_started")
    low = placed.join(enrolled.select("client_id", "group"), on="client_id", suffix="_g")
    rate = low.filter(pl.col("group_g") == "low").height / shares["low"]
    assert abs(rate - 0.60) < 0.02


def test_events_fall_after_enrolment(pop: Population) -> None:
    events = generate(pop, 9)
    enrol = events.filter(pl.col("type") == "enrolled").select(
        "client_id", pl.col("occurred_on").alias("enrolled_on"))
    later = events.filter(pl.col("client_id").is_not_null()).join(enrol, on="client_id")
    assert (later["occurred_on"] >= later["enrolled_on"]).all()
    starts = events.filter(pl.col("type") == "employment_started").select(
        "employment_id", pl.col("occurred_on").alias("start"))
    ends = events.filter(pl.col("type") == "employment_ended").join(starts, on="employment_id")
    assert ends.height > 0
    assert ((ends["occurred_on"] - ends["start"]).dt.total_days() < 28 * 3).all()


def test_bad_population_lists_every_problem_with_lines() -> None:
    text = """population: bad
clients: 10
start: 2018-02-30
providers:
  - {id: A, share: 0.5}
groups:
  - id: g
    share: 1
    attributes: {education: {basic: 0.5, higher: 0.2}}
"""
    with pytest.raises(PopulationError) as exc:
        parse_population(text, source="pop.yaml")
    messages = [str(p) for p in exc.value.problems]
    assert any(m.startswith("pop.yaml:3: start:") for m in messages), messages
    with pytest.raises(PopulationError) as exc:
        parse_population(text.replace("2018-02-30", "2018-02-28").replace("0.5}", "1.0}"),
                         source="pop.yaml")
    assert str(exc.value) == ("pop.yaml:9: groups.0.attributes.education: expected value "
                              "probabilities summing to 1, got 0.7")
