"""Calendar arithmetic.

"N months after D" is calendar-month arithmetic with the day clamped to the
end of a shorter month, exactly as ``dateutil.relativedelta``:
2018-01-31 + 1 month = 2018-02-28, 2020-02-29 + 12 months = 2021-02-28;
"N years after D" is 12·N months (2020-02-29 + 1 year = 2021-02-28).
"N days after D" is D + N days and "N weeks after D" is D + 7·N days, with
no clamping (2012-01-31 + 13 weeks = 2012-05-01).  A :class:`Duration` is
one such length in one unit.
The engine uses the vectorised polars forms (``add_months_expr``,
``Duration.after_expr``); property tests check that they agree with
``add_months`` and ``Duration.after`` on every date.
Schedules of instalments are ``dateutil.rrule`` recurrences.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from calendar import monthrange
from dataclasses import dataclass
from typing import Literal

import polars as pl
from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule

from kasvufee.errors import UsageError

FREQUENCIES: dict[str, Literal[0, 1, 2, 3, 4, 5, 6]] = {
    "yearly": YEARLY, "monthly": MONTHLY, "weekly": WEEKLY, "daily": DAILY}


def as_date(value: object, name: str) -> dt.date:
    """``value`` as a date: a ``datetime.date``, or ISO text ``"2018-12-31"``.

    Raises:
        UsageError: anything else (a date-time, a number, ``31.12.2018``), naming ``name``.
    """
    if isinstance(value, dt.datetime):
        raise UsageError(f"{name}: expected a date, got the date-time {value.isoformat()} "
                         "(pass its date)")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(value)
    raise UsageError(f"{name}: expected a date or an ISO date like 2018-12-31, got {value!r}")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months, clamped to the month's last day."""
    result: dt.date = day + relativedelta(months=months)
    return result


def add_months_expr(col: pl.Expr, months: int) -> pl.Expr:
    """Vectorised ``add_months`` on a Date column."""
    return col.dt.offset_by(f"{months}mo")


Unit = Literal["days", "weeks", "months", "years"]
UNITS: tuple[Unit, ...] = ("days", "weeks", "months", "years")
MAX_DURATION: dict[Unit, int] = {"days": 18_262, "weeks": 2_609, "months": 600, "years": 50}
"""The longest duration in each unit: 50 years."""
_OFFSET: dict[Unit, str] = {"days": "d", "weeks": "w", "months": "mo", "years": "y"}
_FREQUENCY: dict[Unit, str] = {"days": "daily", "weeks": "weekly", "months": "monthly",
                               "years": "yearly"}


@dataclass(frozen=True)
class Duration:
    """A length of time in one unit: ``n`` days, weeks (7 days each), calendar
    months or calendar years (month ends clamped, as ``add_months``)."""

    n: int
    unit: Unit

    def after(self, day: dt.date) -> dt.date:
        """``day`` plus this duration."""
        if self.unit == "days":
            return day + dt.timedelta(days=self.n)
        if self.unit == "weeks":
            return day + dt.timedelta(days=7 * self.n)
        return add_months(day, self.n * (12 if self.unit == "years" else 1))

    def after_expr(self, col: pl.Expr) -> pl.Expr:
        """Vectorised ``after`` on a Date column."""
        return col.dt.offset_by(f"{self.n}{_OFFSET[self.unit]}")

    @staticmethod
    def column_after(col: pl.Expr, n: pl.Expr, unit: Unit) -> pl.Expr:
        """``after`` with the number of units a column (a duration by attribute)."""
        return col.dt.offset_by(pl.format("{}" + _OFFSET[unit], n))

    @staticmethod
    def column_text(n: pl.Expr, unit: Unit) -> pl.Expr:
        """``str`` with the number of units a column: ``13 weeks``, ``1 week``."""
        return pl.format("{} {}", n, pl.when(n == 1).then(pl.lit(unit[:-1]))
                         .otherwise(pl.lit(unit)))

    @property
    def frequency(self) -> str:
        """The rrule frequency of a recurrence every ``n`` of this unit."""
        return _FREQUENCY[self.unit]

    @property
    def mark(self) -> str:
        """The duration as an adjective: ``13-week``, ``3-month``."""
        return f"{self.n}-{self.unit[:-1]}"

    def __str__(self) -> str:
        return f"{self.n} {self.unit[:-1] if self.n == 1 else self.unit}"


def recurrence(
    freq: str, start: dt.date, *, interval: int = 1, count: int | None = None,
    until: dt.date | None = None,
) -> list[dt.date]:
    """The dates of an rrule recurrence (``freq`` one of yearly/monthly/weekly/daily).

    A monthly or yearly recurrence from the 29th-31st falls on the last day of a
    shorter month (2018-01-31 monthly: 01-31, 02-28, 03-31), as ``add_months``
    does; a plain rrule would skip those months.
    """
    clamp: dict[str, object] = {}
    if freq in ("monthly", "yearly") and start.day > 28:
        clamp = {"bymonthday": (start.day, -1), "bysetpos": 1}
        if freq == "yearly":
            clamp["bymonth"] = start.month
    rule = rrule(
        FREQUENCIES[freq],
        dtstart=dt.datetime.combine(start, dt.time()),
        interval=interval,
        count=count,
        until=None if until is None else dt.datetime.combine(until, dt.time()),
        **clamp,  # type: ignore[arg-type]
    )
    return [d.date() for d in rule]


_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")  # not \d: it takes any script's digits


def period_end(period: str) -> dt.date:
    """The last day of a ``YYYY-MM`` payout period; anything else (``2018-1``,
    ``18-01``, a space) is refused: periods are compared as text, so ``2018-1``
    would sort before ``2018-12`` and slip past every period check."""
    if not isinstance(period, str) or not _PERIOD.fullmatch(period):
        raise UsageError(f"a period YYYY-MM, got {period!r}")
    year, month = int(period[:4]), int(period[5:])
    if year < 1:
        raise UsageError(f"a period YYYY-MM, got {period!r}")
    return dt.date(year, month, monthrange(year, month)[1])
