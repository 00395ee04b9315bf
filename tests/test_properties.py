"""Invariants that must hold for every pilot scheme, and for schemes drawn from
their building blocks (``kasvufee.testing.schemes``), on any event data: row
order does not matter, reruns are identical, caps are never exceeded, a voided
event equals a missing one, once-per-client pays once."""

from __future__ import annotations

import datetime as dt
from functools import cache

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kasvufee
from kasvufee.scheme.model import Cap, EventFee, Scheme
from kasvufee.testing import event_records, schemes, shuffled, void_of
from tests.conftest import EXAMPLES, PILOTS, examples

AS_OF = dt.date(2019, 12, 31)
SETTINGS = settings(max_examples=examples(25), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@cache
def scheme(slug: str) -> Scheme:
    return kasvufee.load_scheme(EXAMPLES / slug / "scheme.yaml")


SCHEMES = st.sampled_from(PILOTS).map(scheme) | schemes()
"""A seed pilot, or a scheme drawn from their building blocks."""


def ledger(sch: Scheme, rows: list[dict[str, object]], as_of: dt.date = AS_OF
           ) -> kasvufee.Ledger:
    return kasvufee.evaluate(sch, kasvufee.events_from_records(rows), as_of)


def same(a: kasvufee.Ledger, b: kasvufee.Ledger) -> bool:
    return a.frame.equals(b.frame) and a.held_frame.equals(b.held_frame)


@SETTINGS
@given(sch=SCHEMES, data=st.data())
def test_row_order_never_changes_the_ledger(sch: Scheme, data: st.DataObject) -> None:
    rows = data.draw(event_records())
    other = data.draw(shuffled(rows))
    assert same(ledger(sch, rows), ledger(sch, other))


@SETTINGS
@given(sch=SCHEMES, rows=event_records())
def test_reruns_are_identical(sch: Scheme, rows: list[dict[str, object]]) -> None:
    first = ledger(sch, rows)
    assert same(first, ledger(sch, rows))
    assert len({e.entry_id for e in first.entries}) == len(first)


def _cap_groups(cap: Cap) -> list[str]:
    return {"client": ["client_id"], "provider": ["provider_id"], "contract": []}[cap.per]


@SETTINGS
@given(sch=st.sampled_from(["satakunta-kokosata", "lappi-matkailu", "etela-pohjanmaa",
                            "kaakkois-suomi"]).map(scheme) | schemes(),
       rows=event_records(max_clients=12))
def test_caps_are_never_exceeded(sch: Scheme, rows: list[dict[str, object]]) -> None:
    result = ledger(sch, rows).frame
    for version in sch.versions:
        for cap in version.caps:
            inside = result
            if cap.components is not None:
                inside = inside.filter(pl.col("component").is_in(list(cap.components)))
            if cap.per == "client":
                inside = inside.filter(pl.col("client_id").is_not_null())
            groups: list[str | pl.Expr] = list(_cap_groups(cap))
            if cap.each is not None:  # the limit holds in each year or month
                groups.append(pl.col("earned_on").dt.truncate(
                    "1y" if cap.each == "year" else "1mo"))
            sums = (inside.group_by(groups).agg(pl.col("amount").sum()) if groups
                    else inside.select(pl.col("amount").sum()))
            assert all(s <= cap.amount for s in sums["amount"].to_list() if s is not None)
    assert (result["amount"] >= 0).all()


@SETTINGS
@given(sch=SCHEMES, data=st.data())
def test_a_voided_event_equals_a_missing_one(sch: Scheme, data: st.DataObject) -> None:
    rows = data.draw(event_records(voids=False))
    target = data.draw(st.sampled_from(rows))
    voided = [*rows, void_of(target, "void-1")]
    missing = [r for r in rows if r is not target]
    assert same(ledger(sch, voided), ledger(sch, missing))


@SETTINGS
@given(sch=SCHEMES, data=st.data())
def test_a_void_recorded_after_as_of_changes_nothing(sch: Scheme, data: st.DataObject) -> None:
    rows = data.draw(event_records(voids=False))
    target = data.draw(st.sampled_from(rows))
    late = [*rows, void_of(target, "void-1", recorded_at="2020-01-01")]
    assert same(ledger(sch, late), ledger(sch, rows))


@SETTINGS
@given(sch=SCHEMES, rows=event_records(max_clients=8))
def test_once_per_client_pays_at_most_the_full_amount_once(
        sch: Scheme, rows: list[dict[str, object]]) -> None:
    result = ledger(sch, rows).frame
    for version in sch.versions:
        for comp in version.components:
            if not isinstance(comp, EventFee) or comp.once_per != "client":
                continue
            per_client = result.filter(pl.col("component") == comp.id).group_by("client_id").agg(
                pl.len().alias("n"), pl.col("amount").sum())
            most = 2 if comp.provisional is not None else 1  # a probable payment and its top-up
            assert (per_client["n"] <= most).all()


@SETTINGS
@given(sch=SCHEMES, rows=event_records())
def test_nothing_is_earned_after_as_of(sch: Scheme, rows: list[dict[str, object]]) -> None:
    as_of = dt.date(2018, 9, 30)
    result = ledger(sch, rows, as_of)
    assert all(e.earned_on <= as_of for e in result.entries)
    assert all(e.period == e.earned_on.strftime("%Y-%m") for e in result.entries)
