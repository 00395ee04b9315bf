"""Date arithmetic in expressions: ``years_between``, ``months_between`` and
``days_between`` over date attributes (abroad.md, "Dates of people": a person
born on B is aged N on D when B + N years <= D < B + (N + 1) years; unemployed
at least N months on D when U + N months <= D), computed the same in pure
Python and as polars columns; ``client.enrolled_on`` is the enrolment's date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kasvufee
from kasvufee.scheme import expr as ex
from tests.conftest import amounts, examples

DATES = {"b": "date", "d": "date"}


@pytest.mark.parametrize(("func", "first", "second", "value"), [
    # born on a leap day: 14 on 2014-02-28 (2000-02-29 + 14 years, clamped), 13 the day before
    ("years_between", "2000-02-29", "2014-02-28", 14),
    ("years_between", "2000-02-29", "2014-02-27", 13),
    ("years_between", "1999-03-15", "2013-09-02", 14),  # Innovation Fund F1
    ("years_between", "1996-01-10", "2013-04-08", 17),  # F2: too old for school outcomes
    # jobactive bands: 24 months from 2016-06-01 is 2018-06-01
    ("months_between", "2016-06-01", "2018-06-01", 24),
    ("months_between", "2016-06-01", "2018-05-31", 23),
    ("months_between", "2018-01-31", "2018-02-28", 1),  # 01-31 + 1 month = 02-28
    ("months_between", "2018-01-31", "2018-02-27", 0),
    ("months_between", "2018-03-31", "2018-03-30", -1),
    ("days_between", "2012-01-02", "2012-04-02", 91),
    ("days_between", "2012-04-02", "2012-01-02", -91),
])
def test_literal_boundaries(func: str, first: str, second: str, value: int) -> None:
    node = ex.parse(f"{func}(b, d)")
    assert ex.check(node, DATES) == "number"
    env = {"b": dt.date.fromisoformat(first), "d": dt.date.fromisoformat(second)}
    assert ex.evaluate(node, env) == Decimal(value)
    frame = pl.DataFrame({"b": [env["b"]], "d": [env["d"]]})
    assert frame.select(ex.to_polars(node, pl.col)).item() == Decimal(value)


def test_a_missing_date_gives_a_missing_value() -> None:
    node = ex.parse("years_between(b, d) >= 14")
    assert ex.evaluate(node, {"b": None, "d": dt.date(2013, 9, 2)}) is None


@pytest.mark.parametrize(("text", "expected", "found"), [
    ("years_between(b, 3)", "a date in years_between(...)", "a number (3)"),
    ("b + 1", "a number on each side of '+'", "a date (b)"),
    ("b < d", "a number on each side of '<'", "a date (b)"),
])
def test_dates_are_only_for_the_date_functions(text: str, expected: str, found: str) -> None:
    with pytest.raises(kasvufee.ExpressionError) as info:
        ex.check(ex.parse(text), DATES)
    assert (info.value.expected, info.value.found) == (expected, found)


_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))


@settings(max_examples=examples(300), deadline=None)
@given(pairs=st.lists(st.tuples(st.one_of(st.none(), _dates), _dates), min_size=1, max_size=30),
       func=st.sampled_from(["years_between", "months_between", "days_between"]))
def test_polars_agrees_with_the_reference(pairs: list[tuple[dt.date | None, dt.date]],
                                          func: str) -> None:
    node = ex.parse(f"{func}(b, d)")
    frame = pl.DataFrame({"b": [b for b, _ in pairs], "d": [d for _, d in pairs]},
                         schema={"b": pl.Date, "d": pl.Date})
    got = frame.select(ex.to_polars(node, pl.col)).to_series().to_list()
    assert got == [ex.evaluate(node, {"b": b, "d": d}) for b, d in pairs]


@settings(max_examples=examples(200), deadline=None)
@given(b=_dates, d=_dates)
def test_years_are_the_largest_whole_number_of_calendar_years(b: dt.date, d: dt.date) -> None:
    from kasvufee.calendar import add_months

    n = int(ex.evaluate(ex.parse("years_between(b, d)"), {"b": b, "d": d}))  # type: ignore[arg-type]
    assert add_months(b, 12 * n) <= d < add_months(b, 12 * (n + 1))


SCHOOL = """\
scheme: t
title: school outcomes for 14- and 15-year-olds
attributes: {birth_date: date}
versions:
  - version: "1"
    valid_from: 2012-04-01
    components:
      - id: improved_attendance
        on: milestone_reached
        where: {milestone: attendance_improved}
        once_per: client
        eligible: >-
          years_between(client.birth_date, client.enrolled_on) >= 14
          and years_between(client.birth_date, client.enrolled_on) <= 15
        amount: 1300.00
"""


def test_an_age_on_the_enrolment_date_in_eligible() -> None:
    scheme = kasvufee.parse_scheme(SCHOOL)
    rows = [
        {"event_id": "e1", "type": "enrolled", "provider_id": "ADV", "client_id": "F3",
         "occurred_on": "2014-10-06", "birth_date": "1999-10-01"},
        {"event_id": "e2", "type": "milestone_reached", "provider_id": "ADV", "client_id": "F3",
         "occurred_on": "2015-01-19", "milestone": "attendance_improved"},
        {"event_id": "e3", "type": "enrolled", "provider_id": "ADV", "client_id": "F2",
         "occurred_on": "2013-04-08", "birth_date": "1996-01-10"},
        {"event_id": "e4", "type": "milestone_reached", "provider_id": "ADV", "client_id": "F2",
         "occurred_on": "2013-07-15", "milestone": "attendance_improved"},
    ]
    events = kasvufee.events_from_records(rows, attribute_types=dict(scheme.attributes))
    ledger = kasvufee.evaluate(scheme, events, dt.date(2016, 3, 31))
    assert amounts(ledger) == [("improved_attendance", "F3", "2015-01-19", "1300.00")]
    assert [h.reason for h in ledger.held] == [
        "client not eligible: years_between(client.birth_date, client.enrolled_on) >= 14 and "
        "years_between(client.birth_date, client.enrolled_on) <= 15 is not true "
        "(client.birth_date=1996-01-10, client.enrolled_on=2013-04-08)"]
