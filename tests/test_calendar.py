"""Calendar arithmetic: the engine's vectorised month arithmetic agrees with
dateutil.relativedelta on every date, and schedules clamp month ends."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kasvufee.calendar import add_months, add_months_expr, period_end, recurrence
from kasvufee.errors import UsageError
from tests.conftest import examples


@settings(max_examples=examples(300), deadline=None)
@given(days=st.lists(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)),
                     min_size=1, max_size=50),
       months=st.integers(0, 120))
def test_vectorised_months_agree_with_relativedelta(days: list[dt.date], months: int) -> None:
    got = pl.DataFrame({"d": days}).select(add_months_expr(pl.col("d"), months))["d"].to_list()
    assert got == [add_months(d, months) for d in days]


def test_month_ends_and_leap_days() -> None:
    assert add_months(dt.date(2018, 1, 31), 1) == dt.date(2018, 2, 28)
    assert add_months(dt.date(2020, 2, 29), 12) == dt.date(2021, 2, 28)
    assert add_months(dt.date(2019, 11, 30), 3) == dt.date(2020, 2, 29)


def test_quarterly_and_month_end_recurrences() -> None:
    assert recurrence("monthly", dt.date(2018, 7, 1), interval=3, count=4) == [
        dt.date(2018, 7, 1), dt.date(2018, 10, 1), dt.date(2019, 1, 1), dt.date(2019, 4, 1)]
    assert recurrence("monthly", dt.date(2019, 12, 31), count=3) == [
        dt.date(2019, 12, 31), dt.date(2020, 1, 31), dt.date(2020, 2, 29)]
    assert recurrence("yearly", dt.date(2020, 2, 29), until=dt.date(2022, 12, 31)) == [
        dt.date(2020, 2, 29), dt.date(2021, 2, 28), dt.date(2022, 2, 28)]


@pytest.mark.parametrize("period", ["2018-1", "18-01", "2018-001", "2018-13", "2018-00",
                                    " 2018-01", "2018-01 ", "0000-01", "2018/01",
                                    "\uff12\uff10\uff11\uff18-01"])  # full-width digits
def test_a_period_is_exactly_yyyy_mm(period: str) -> None:
    # periods are compared as text: '2018-1' would sort before '2018-12' and pass every check
    with pytest.raises(UsageError, match=r"a period YYYY-MM, got "):
        period_end(period)


def test_period_ends() -> None:
    assert [period_end(p) for p in ("2018-01", "2020-02", "2019-02", "9999-12")] == [
        dt.date(2018, 1, 31), dt.date(2020, 2, 29), dt.date(2019, 2, 28), dt.date(9999, 12, 31)]
