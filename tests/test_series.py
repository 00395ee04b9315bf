"""Conditions over a series of periodic events (abroad.md, jobactive's income
support condition): the assessments dated inside the outcome period (the job
start, inclusive, to the lasts mark, exclusive) of the client, from its own
provider or the buyer, each at least 60 % for the outcome to pay; the lowest
one read by the formula (full at 100 %, partial x 0.40 below). Worked by hand."""

from __future__ import annotations

import pytest

import kasvufee
from kasvufee.errors import SchemeError
from tests.conftest import amounts, run

SCHEME = """\
scheme: t
title: a 4-week outcome with an income support condition
attributes: {reduction_pct: integer, fortnight_start: date}
event_types: [income_support_assessed]
trust: {buyer_id: REGISTER}
versions:
  - version: "1"
    valid_from: 2018-01-01
    components:
      - id: outcome_4w
        on: employment_started
        once_per: client
        lasts: {weeks: 4}
        series:
          on: income_support_assessed
          date: fortnight_start
          value: reduction_pct
          at_least: 60
          when_none: 100
        amount: {formula: "1000 * if(series.min >= 100, 1, 0.40)"}
"""


def _start(client: str = "A1", day: str = "2019-06-03") -> dict[str, object]:
    return {"event_id": f"s-{client}", "type": "employment_started", "provider_id": "P1",
            "client_id": client, "occurred_on": day, "employment_id": f"{client}-1"}


def _assessed(eid: str, fortnight: str, pct: object, client: str = "A1",
              provider: str = "P1") -> dict[str, object]:
    return {"event_id": eid, "type": "income_support_assessed", "provider_id": provider,
            "client_id": client, "occurred_on": "2019-08-01", "fortnight_start": fortnight,
            "reduction_pct": pct}


def test_full_partial_and_held_by_the_lowest_assessment() -> None:
    rows = [_start("A1"), _assessed("a1", "2019-06-03", 100, "A1"),  # on the start: inside
            _start("A2"), _assessed("a2", "2019-06-17", 60, "A2"),  # exactly 60: partial
            _start("A3"), _assessed("a3", "2019-06-17", 59, "A3"),  # below 60: held
            # on the mark 2019-07-01: the next period's; the 4-week period has none
            _start("A4"), _assessed("a4", "2019-07-01", 10, "A4")]
    ledger = run(SCHEME, rows, "2019-12-31")
    # 1000 x 1 for A1 and A4 (none counted as 100), 1000 x 0.40 for A2
    assert amounts(ledger) == [("outcome_4w", "A1", "2019-07-01", "1000.00"),
                               ("outcome_4w", "A2", "2019-07-01", "400.00"),
                               ("outcome_4w", "A4", "2019-07-01", "1000.00")]
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("A3", "income_support_assessed a3 on 2019-06-17 gives reduction_pct 59, below 60 "
               "(the period from 2019-06-03 to before 2019-07-01)")]
    a1 = next(e for e in ledger.entries if e.client_id == "A1")
    assert a1.event_ids == ("s-A1", "a1")
    assert "1 income_support_assessed from 2019-06-03 to before 2019-07-01: reduction_pct " \
           "lowest 100, highest 100" in a1.facts


def test_only_the_clients_own_provider_or_the_buyer_counts() -> None:
    rows = [_start("A1"), _assessed("x", "2019-06-10", 0, "A1", provider="P2"),
            _assessed("r", "2019-06-10", 80, "A1", provider="REGISTER")]
    ledger = run(SCHEME, rows, "2019-12-31")
    # P2's assessment of 0 % does not hold P1's outcome; the register's 80 % makes it partial
    assert amounts(ledger) == [("outcome_4w", "A1", "2019-07-01", "400.00")]


def test_an_assessment_without_a_value_holds_the_outcome() -> None:
    ledger = run(SCHEME, [_start("A1"), _assessed("a1", "2019-06-10", None)], "2019-12-31")
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("A1", "income_support_assessed a1 on 2019-06-10 has no reduction_pct")]


def test_without_when_none_a_period_without_assessments_has_no_amount() -> None:
    ledger = run(SCHEME.replace("          when_none: 100\n", ""), [_start("A1")], "2019-12-31")
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("A1", "formula 1000 * if(series.min >= 100, 1, 0.40) has a missing input")]


@pytest.mark.parametrize(("change", "problem"), [
    ("        lasts: {weeks: 4}\n", ""),
    ("value: reduction_pct", "value: fortnight_start"),
])
def test_a_series_needs_lasts_and_a_number(change: str, problem: str) -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(SCHEME.replace(change, problem), source="s.yaml")
    assert [str(p) for p in info.value.problems] == {
        "": ["s.yaml:10: versions.0.components.0: expected lasts without repeat with series "
             "(the period runs from the start to the mark), got no lasts"],
        "value: fortnight_start": [
            "s.yaml:17: versions.0.components.0.series.value: expected a decimal or integer "
            "attribute (declared under attributes), got 'fortnight_start' of type date"],
    }[problem]


def test_count_and_highest_for_the_formula_and_the_first_low_one_by_date() -> None:
    """The formula 10 * series.count + series.max.  A1: 100 and 70 inside the
    period: 10 x 2 + 100 = 120.00.  A2 has none: 0 + 100 (when_none) =
    100.00; A4's only one (2019-05-20) is before the start: the same.  A3's
    three, given out of date order: 55 on 06-03 is the first below 60, named
    though 50 on 06-10 is lower.  A5's two low ones share a fortnight: the
    first by event id (x1) is named, though x2 was recorded first."""
    scheme = SCHEME.replace('"1000 * if(series.min >= 100, 1, 0.40)"',
                            '"10 * series.count + series.max"')
    rows = [_start("A1"), _assessed("a1", "2019-06-03", 100, "A1"),
            _assessed("a2", "2019-06-17", 70, "A1"),
            _start("A2"),
            _start("A3"), _assessed("c1", "2019-06-10", 50, "A3"),
            _assessed("c2", "2019-06-03", 55, "A3"), _assessed("c3", "2019-06-17", 100, "A3"),
            _start("A4"), _assessed("d1", "2019-05-20", 0, "A4"),
            _start("A5"), {**_assessed("x2", "2019-06-10", 20, "A5"), "occurred_on": "2019-07-01"},
            {**_assessed("x1", "2019-06-10", 30, "A5"), "occurred_on": "2019-07-02"}]
    ledger = run(scheme, rows, "2019-12-31")
    head = "pays {} € to P1 for client {}, earned 2019-07-01: employment_started s-{} on " \
           "2019-06-03; lasted 4 weeks to 2019-07-01; "
    none = ("0 income_support_assessed from 2019-06-03 to before 2019-07-01: none, counted as "
            "100; 10 * series.count + series.max with series.count=0, series.max=100, rounded "
            "half up → 100.00 €. Scheme t version 1.")
    assert [(e.entry_id, e.event_ids, e.explanation) for e in ledger.entries] == [
        ("t:1:outcome_4w:s-A1:20190701", ("s-A1", "a1", "a2"),
         "outcome_4w " + head.format("120.00", "A1", "A1") + "2 income_support_assessed from "
         "2019-06-03 to before 2019-07-01: reduction_pct lowest 70, highest 100; 10 * "
         "series.count + series.max with series.count=2, series.max=100, rounded half up → "
         "120.00 €. Scheme t version 1."),
        ("t:1:outcome_4w:s-A2:20190701", ("s-A2",),
         "outcome_4w " + head.format("100.00", "A2", "A2") + none),
        ("t:1:outcome_4w:s-A4:20190701", ("s-A4",),
         "outcome_4w " + head.format("100.00", "A4", "A4") + none)]
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("A3", "income_support_assessed c2 on 2019-06-03 gives reduction_pct 55, below 60 "
               "(the period from 2019-06-03 to before 2019-07-01)"),
        ("A5", "income_support_assessed x1 on 2019-06-10 gives reduction_pct 30, below 60 "
               "(the period from 2019-06-03 to before 2019-07-01)")]


def test_an_assessment_without_a_readable_date_holds_the_outcome() -> None:
    """Events built without the scheme's types keep the date as text.  A1's
    only assessment (10 %) has the date 2019-13-01: it may be inside the
    period, so it holds the outcome instead of being left out (which would
    pay 1000.00 as if there were none).  A2's second has no date at all.  A3's
    one dated assessment pays the full 1000.00.  A4's undated one is P2's,
    which counts for no outcome of P1's."""
    rows = [_start("A1"), _assessed("a1", "2019-13-01", 10, "A1"),
            _start("A2"), _assessed("b1", "2019-06-10", 100, "A2"),
            _assessed("b2", None, 100, "A2"),
            _start("A3"), _assessed("c1", "2019-06-10", 100, "A3"),
            _start("A4"), _assessed("d1", "2019-99-99", 0, "A4", provider="P2")]
    ledger = run(SCHEME, rows, "2019-12-31")
    assert amounts(ledger) == [("outcome_4w", "A3", "2019-07-01", "1000.00"),
                               ("outcome_4w", "A4", "2019-07-01", "1000.00")]
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("A1", "income_support_assessed a1 has fortnight_start 2019-13-01, not a date, so its "
               "period is unknown"),
        ("A2", "income_support_assessed b2 has no fortnight_start, so its period is unknown")]
    # read with the scheme's types, the same date is an error naming the record
    scheme = kasvufee.parse_scheme(SCHEME)
    with pytest.raises(kasvufee.EventsError) as info:
        kasvufee.events_from_records(rows[:2], attribute_types=dict(scheme.attributes))
    assert str(info.value) == (
        "<records>:2: fortnight_start: expected a date YYYY-MM-DD, got '2019-13-01'")


def test_a_probable_outcome_pays_now_and_a_value_that_is_not_a_number_holds() -> None:
    """With ``provisional``: A1's probable outcome (2019-06-05) pays its 100.00
    (the series and the formula are the realised outcome's); the realised one
    is held by the 10 % assessment.  A2's value x is no number: held."""
    scheme = SCHEME.replace("        amount: {formula", "        provisional: {on: "
                            "placement_probable, amount: 100.00}\n        amount: {formula")
    rows = [_start("A1"), {"event_id": "p1", "type": "placement_probable", "provider_id": "P1",
                           "client_id": "A1", "occurred_on": "2019-06-05"},
            _assessed("a1", "2019-06-10", 10, "A1"),
            _start("A2"), _assessed("b1", "2019-06-10", "x", "A2")]
    ledger = run(scheme, rows, "2019-12-31")
    assert [(e.entry_id, e.explanation) for e in ledger.entries] == [
        ("t:1:outcome_4w:p1:20190605:1",
         "outcome_4w pays 100.00 € to P1 for client A1, earned 2019-06-05: placement_probable "
         "p1 on 2019-06-05; a probable outcome pays 100.00 € now; the realised one pays the "
         "rest. Scheme t version 1.")]
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("A1", "income_support_assessed a1 on 2019-06-10 gives reduction_pct 10, below 60 "
               "(the period from 2019-06-03 to before 2019-07-01)"),
        ("A2", "income_support_assessed b1 on 2019-06-10 has no reduction_pct")]
