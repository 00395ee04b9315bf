"""Durations in days, weeks, months and years wherever a duration appears
(lasts, windows, deadlines, checkpoints, schedules), with the boundaries
worked out by hand from DESIGN.md and abroad.md: an employment started on S
lasts N weeks unless it ended on or after S and before S + 7·N days; it is
earned on S + 7·N days, and an end on that day does not break it."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kasvufee
from kasvufee.calendar import Duration
from kasvufee.errors import SchemeError
from tests.conftest import amounts, events, examples, run
from tests.conftest import scheme_yaml as _one_version


def scheme_yaml(components: str) -> str:
    """A one-version scheme in force from 2010 (the schemes of abroad.md start in 2011)."""
    return _one_version(components).replace("valid_from: 2016-01-01", "valid_from: 2010-01-01")


JOB = scheme_yaml("""\
- id: job_outcome
  on: employment_started
  once_per: client
  lasts: DURATION
  amount: 1200.00
""")


def _row(eid: str, kind: str, day: str, client: str = "C", **kw: object) -> dict[str, object]:
    return {"event_id": eid, "type": kind, "provider_id": "P", "client_id": client,
            "occurred_on": day, **kw}


def _job(duration: str, end: str | None) -> kasvufee.Ledger:
    rows = [_row("e1", "employment_started", "2012-01-02", employment_id="J1")]
    if end is not None:
        rows.append(_row("e2", "employment_ended", end, employment_id="J1"))
    return run(JOB.replace("DURATION", duration), rows, "2012-12-31")


# --------------------------------------------------------------------------- lasts

@pytest.mark.parametrize("duration", ["{weeks: 13}", "{days: 91}"])
def test_a_job_ended_on_day_90_of_13_weeks_is_not_paid(duration: str) -> None:
    # 2012-01-02 + 91 days = 2012-04-02; the end on 2012-04-01 is day 90
    ledger = _job(duration, "2012-04-01")
    assert amounts(ledger) == []
    mark = "13-week" if "weeks" in duration else "91-day"
    assert [h.reason for h in ledger.held] == [
        f"ended on 2012-04-01 (e2) before the {mark} mark 2012-04-02"]


@pytest.mark.parametrize("duration", ["{weeks: 13}", "{days: 91}"])
def test_a_job_that_lasted_exactly_91_days_is_paid(duration: str) -> None:
    # the end on the mark itself (2012-04-02, day 91) does not break it
    ledger = _job(duration, "2012-04-02")
    assert amounts(ledger) == [("job_outcome", "C", "2012-04-02", "1200.00")]
    text = "13 weeks" if "weeks" in duration else "91 days"
    assert ledger.entries[0].explanation == (
        "job_outcome pays 1200.00 € to P for client C, earned 2012-04-02: employment_started "
        f"e1 on 2012-01-02; lasted {text} to 2012-04-02. Scheme t version 1.")


def test_weeks_are_seven_days_without_month_clamping() -> None:
    # abroad.md: 2012-01-31 + 13 weeks = 2012-05-01; 3 calendar months = 2012-04-30
    rows = [_row("e1", "employment_started", "2012-01-31", employment_id="J1")]
    weeks = run(JOB.replace("DURATION", "{weeks: 13}"), rows, "2012-12-31")
    months = run(JOB.replace("DURATION", "{months: 3}"), rows, "2012-12-31")
    assert amounts(weeks) == [("job_outcome", "C", "2012-05-01", "1200.00")]
    assert amounts(months) == [("job_outcome", "C", "2012-04-30", "1200.00")]


def test_a_year_from_a_leap_day_is_clamped() -> None:
    rows = [_row("e1", "employment_started", "2020-02-29", employment_id="J1")]
    ledger = run(JOB.replace("DURATION", "{years: 1}"), rows, "2021-12-31")
    assert amounts(ledger) == [("job_outcome", "C", "2021-02-28", "1200.00")]


def test_before_the_mark_the_fee_is_pending() -> None:
    rows = [_row("e1", "employment_started", "2012-01-02", employment_id="J1")]
    ledger = run(JOB.replace("DURATION", "{weeks: 26}"), rows, "2012-07-01")
    assert amounts(ledger) == []
    assert [h.reason for h in ledger.held] == [
        "pending: the condition becomes true on 2012-07-02, after 2012-07-01"]


# --------------------------------------------------------------------------- windows

WINDOWED = scheme_yaml("""\
- id: outcome
  on: milestone_reached
  once_per: client
  window: {anchor: enrolled, days: 637}
  amount: 3500.00
""")


@pytest.mark.parametrize(("day", "paid"), [("2019-08-26", True), ("2019-08-27", False)])
def test_a_638_day_period_ends_on_day_637(day: str, paid: bool) -> None:
    # abroad.md: the 638-day period from S runs from S to S + 637 days inclusive;
    # 2017-11-27 + 365 days = 2018-11-27, + 273 more = 2019-08-27 (638), so day 637 is
    # 2019-08-26
    rows = [_row("e1", "enrolled", "2017-11-27"), _row("e2", "milestone_reached", day)]
    ledger = run(WINDOWED, rows, "2019-12-31")
    if paid:
        assert amounts(ledger) == [("outcome", "C", day, "3500.00")]
    else:
        assert amounts(ledger) == []
        assert [h.reason for h in ledger.held] == [
            f"outside the window: {day} is not on or after enrolled 2017-11-27 and on or "
            "before 2019-08-26 (637 days)"]


def test_within_104_weeks_is_on_or_before_728_days() -> None:
    # 2011-10-03 + 728 days = 2013-09-30
    scheme = WINDOWED.replace("days: 637", "weeks: 104")
    rows = [_row("e1", "enrolled", "2011-10-03"), _row("e2", "milestone_reached", "2013-09-30",
                                                       client="C"),
            _row("e3", "enrolled", "2011-10-03", client="D"),
            _row("e4", "milestone_reached", "2013-10-01", client="D")]
    ledger = run(scheme, rows, "2013-12-31")
    assert amounts(ledger) == [("outcome", "C", "2013-09-30", "3500.00")]
    assert ledger.entries[0].explanation == (
        "outcome pays 3500.00 € to P for client C, earned 2013-09-30: milestone_reached e2 "
        "on 2013-09-30; within 104 weeks of enrolled 2011-10-03. Scheme t version 1.")


# --------------------------------------------------------------------------- deadlines

def test_a_deadline_in_weeks() -> None:
    scheme = scheme_yaml("""\
- id: survey
  on: survey_answered
  once_per: client
  amount: 200.00
  missing:
    deadline: {anchor: enrolled, weeks: 2}
    pays: 50.00
""")
    rows = [_row("e1", "enrolled", "2018-02-22")]
    ledger = run(scheme, rows, "2018-03-31")
    # 2018-02-22 + 14 days = 2018-03-08
    assert amounts(ledger) == [("survey", "C", "2018-03-08", "50.00")]
    assert "nothing by the deadline 2018-03-08 (2 weeks after enrolled 2018-02-22)" in \
        ledger.entries[0].explanation


# --------------------------------------------------------------------------- checkpoints

def test_a_checkpoint_in_days() -> None:
    scheme = scheme_yaml("""\
- id: still_active
  kind: checkpoint
  anchor: enrolled
  days: 30
  metrics:
    visits: {on: guidance_completed, count: true, since: anchor, until: checkpoint}
  condition: visits >= 1
  amount: 100.00
""")
    rows = [_row("e1", "enrolled", "2018-01-31"), _row("e2", "guidance_completed", "2018-03-02")]
    # 2018-01-31 + 30 days = 2018-03-02: the visit on that day is on or before it
    ledger = run(scheme, rows, "2018-12-31")
    assert amounts(ledger) == [("still_active", "C", "2018-03-02", "100.00")]
    assert "checkpoint 2018-03-02 = enrolled 2018-01-31 + 30 days" in \
        ledger.entries[0].explanation


# --------------------------------------------------------------------------- schedules

def test_a_schedule_every_four_weeks() -> None:
    scheme = scheme_yaml("""\
- id: grant
  kind: schedule
  provider: P
  amount: 1000.00
  schedule: {every: {weeks: 4}, start: 2018-01-29, count: 3}
""")
    ledger = run(scheme, [], "2018-12-31")
    assert amounts(ledger) == [("grant", "P", "2018-01-29", "1000.00"),
                               ("grant", "P", "2018-02-26", "1000.00"),
                               ("grant", "P", "2018-03-26", "1000.00")]


def test_a_schedule_every_month_from_the_31st_is_clamped() -> None:
    scheme = scheme_yaml("""\
- id: grant
  kind: schedule
  provider: P
  amount: 1000.00
  schedule: {every: {months: 1}, start: 2019-12-31, count: 3}
""")
    ledger = run(scheme, [], "2020-12-31")
    assert [e.earned_on.isoformat() for e in ledger.entries] == [
        "2019-12-31", "2020-01-31", "2020-02-29"]


# --------------------------------------------------------------------------- errors

def _problems(component: str) -> list[str]:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(scheme_yaml(component), source="s.yaml")
    return [str(p) for p in info.value.problems]


LASTS = "- id: p\n  on: employment_started\n  once_per: client\n  lasts: LASTS\n  amount: 1.00\n"


@pytest.mark.parametrize(("lasts", "message"), [
    ("{weeks: 13, days: 91}", "s.yaml:10: versions.0.components.0.lasts: expected a duration "
     "in exactly one of days, weeks, months, years, got days and weeks"),
    ("{ended_by: employment_ended}", "s.yaml:10: versions.0.components.0.lasts: expected a "
     "duration in exactly one of days, weeks, months, years, got none"),
    ("{weeks: 0}", "s.yaml:10: versions.0.components.0.lasts.weeks: expected a whole number "
     "of weeks from 1 to 2609, got 0"),
    ("{days: -91}", "s.yaml:10: versions.0.components.0.lasts.days: expected a whole number "
     "of days from 1 to 18262, got -91"),
    ("{fortnights: 2}", "s.yaml:10: versions.0.components.0.lasts: expected a duration in one "
     "of days, weeks, months, years, got 'fortnights'"),
    ("{weeks: 1.5}", "s.yaml:10: versions.0.components.0.lasts.weeks: expected a whole number "
     "of weeks from 1 to 2609, got Decimal('1.5')"),
])
def test_a_bad_duration_is_named_with_its_line(lasts: str, message: str) -> None:
    assert _problems(LASTS.replace("LASTS", lasts)) == [message]


def test_a_window_of_zero_is_refused() -> None:
    component = ("- id: p\n  on: employment_started\n  window:\n    anchor: enrolled\n"
                 "    months: 0\n  amount: 1.00\n")
    assert _problems(component) == [
        "s.yaml:11: versions.0.components.0.window.months: expected a whole number of months "
        "from 1 to 600, got 0"]


def test_a_schedule_says_every_or_freq_not_both() -> None:
    component = ("- id: g\n  kind: schedule\n  provider: P\n  amount: 1.00\n  schedule: "
                 "{every: {weeks: 4}, freq: weekly, start: 2018-01-01, count: 2}\n")
    assert _problems(component) == [
        "s.yaml:11: versions.0.components.0.schedule: expected one of dates: [...], freq or "
        "every (with start and count or until), got freq and every"]


def test_the_json_schema_says_exactly_one_unit() -> None:
    schema = kasvufee.scheme_json_schema()
    lasts = schema["$defs"]["Lasts"]
    assert lasts["oneOf"] == [{"required": ["days"]}, {"required": ["weeks"]},
                              {"required": ["months"]}, {"required": ["years"]}]
    assert set(lasts["properties"]) >= {"days", "weeks", "months", "years"}


# --------------------------------------------------------------------------- properties

@settings(max_examples=examples(300), deadline=None)
@given(days=st.lists(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)),
                     min_size=1, max_size=30),
       n=st.integers(1, 200), unit=st.sampled_from(["days", "weeks", "months", "years"]))
def test_vectorised_durations_agree_with_python(days: list[dt.date], n: int, unit: str) -> None:
    import polars as pl

    d = Duration(n, unit)  # type: ignore[arg-type]
    got = pl.DataFrame({"d": days}).select(d.after_expr(pl.col("d")))["d"].to_list()
    assert got == [d.after(x) for x in days]


@st.composite
def _jobs(draw: st.DrawFn) -> tuple[str, int, list[dict[str, object]]]:
    unit = draw(st.sampled_from(["days", "weeks"]))
    n = draw(st.integers(1, 30))
    rows: list[dict[str, object]] = []
    for i in range(draw(st.integers(1, 8))):
        start = dt.date(2012, 1, 1) + dt.timedelta(days=draw(st.integers(0, 300)))
        rows.append(_row(f"s{i}", "employment_started", start.isoformat(), client=f"C{i % 3}",
                         employment_id=f"J{i}"))
        if draw(st.booleans()):
            end = start + dt.timedelta(days=draw(st.integers(0, 250)))
            rows.append(_row(f"x{i}", "employment_ended", end.isoformat(), client=f"C{i % 3}",
                             employment_id=f"J{i}"))
    return unit, n, rows


def _expected(unit: str, n: int, rows: list[dict[str, object]],
              as_of: dt.date) -> list[tuple[str, str, str, str]]:
    """The rule by hand: the first mark on or before as_of of an unbroken job, per client."""
    days = n * (7 if unit == "weeks" else 1)
    ends = {r["employment_id"]: dt.date.fromisoformat(str(r["occurred_on"]))
            for r in rows if r["type"] == "employment_ended"}
    best: dict[str, tuple[dt.date, str]] = {}
    for r in rows:
        if r["type"] != "employment_started":
            continue
        start = dt.date.fromisoformat(str(r["occurred_on"]))
        mark = start + dt.timedelta(days=days)
        end = ends.get(r["employment_id"])
        if (end is not None and start <= end < mark) or mark > as_of:
            continue
        client = str(r["client_id"])
        # earning order: the earliest mark, then the start's event order
        if client not in best or (mark, r["occurred_on"], r["event_id"]) < (
                best[client][0], *_start_of(rows, best[client][1])):
            best[client] = (mark, str(r["event_id"]))
    return sorted(("job_outcome", c, m.isoformat(), "1200.00") for c, (m, _) in best.items())


def _start_of(rows: list[dict[str, object]], eid: str) -> tuple[object, object]:
    row = next(r for r in rows if r["event_id"] == eid)
    return row["occurred_on"], row["event_id"]


@settings(max_examples=examples(60), deadline=None)
@given(job=_jobs(), seed=st.integers(0, 2**16))
def test_durations_in_any_event_order_and_on_reruns(job: tuple[str, int, list[dict[str, object]]],
                                                    seed: int) -> None:
    unit, n, rows = job
    scheme = kasvufee.parse_scheme(JOB.replace("DURATION", f"{{{unit}: {n}}}"))
    as_of = dt.date(2013, 6, 30)
    first = kasvufee.evaluate(scheme, events(rows), as_of)
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    again = kasvufee.evaluate(scheme, events(shuffled), as_of)
    assert again.entries == first.entries
    assert kasvufee.evaluate(scheme, events(rows), as_of).entries == first.entries
    assert amounts(first) == _expected(unit, n, rows, as_of)


# --------------------------------------------------------------------------- by attribute

BY_GROUP = scheme_yaml("""\
- id: job_outcome
  on: employment_started
  once_per: client
  lasts:
    weeks:
      by: client.payment_group
      table: {jsa_18_24: 26, esa_ex_ib: 13}
  amount: 1200.00
""")


def test_a_duration_chosen_by_a_client_attribute() -> None:
    # Work Programme: jsa_18_24 waits 26 weeks (2011-11-07 + 182 days = 2012-05-07),
    # esa_ex_ib 13 (2012-07-02 + 91 days = 2012-10-01); a client without a group is held
    rows = [_row("e1", "enrolled", "2011-10-03", client="C1", payment_group="jsa_18_24"),
            _row("e2", "employment_started", "2011-11-07", client="C1", employment_id="J1"),
            _row("e3", "enrolled", "2012-02-06", client="C2", payment_group="esa_ex_ib"),
            _row("e4", "employment_started", "2012-07-02", client="C2", employment_id="J2"),
            _row("e5", "enrolled", "2012-02-06", client="C9"),
            _row("e6", "employment_started", "2012-07-02", client="C9", employment_id="J9")]
    ledger = run(BY_GROUP, rows, "2012-12-31")
    assert amounts(ledger) == [("job_outcome", "C1", "2012-05-07", "1200.00"),
                               ("job_outcome", "C2", "2012-10-01", "1200.00")]
    assert "lasted 26 weeks to 2012-05-07" in ledger.entries[0].explanation
    assert [h.reason for h in ledger.held] == [
        "lasts: no duration for client.payment_group = missing (needs one of jsa_18_24, "
        "esa_ex_ib)"]


def test_a_group_outside_the_duration_table_is_held() -> None:
    rows = [_row("e1", "enrolled", "2011-10-03", client="C1", payment_group="jsa_25_plus"),
            _row("e2", "employment_started", "2011-11-07", client="C1", employment_id="J1")]
    ledger = run(BY_GROUP, rows, "2012-12-31")
    assert amounts(ledger) == []
    assert [h.reason for h in ledger.held] == [
        "lasts: no duration for client.payment_group = jsa_25_plus (needs one of jsa_18_24, "
        "esa_ex_ib)"]


def test_a_26_week_group_ended_a_day_early() -> None:
    rows = [_row("e1", "enrolled", "2011-10-03", client="C1", payment_group="jsa_18_24"),
            _row("e2", "employment_started", "2011-11-07", client="C1", employment_id="J1"),
            _row("e3", "employment_ended", "2012-05-06", client="C1", employment_id="J1")]
    ledger = run(BY_GROUP, rows, "2012-12-31")
    assert [h.reason for h in ledger.held] == [
        "ended on 2012-05-06 (e3) before the 26-week mark 2012-05-07"]


@pytest.mark.parametrize(("component", "message"), [
    (BY_GROUP.split("components:\n", 1)[1].replace("26", "0"),
     "s.yaml:11: versions.0.components.0.lasts.weeks: expected whole numbers of weeks from 1 "
     "to 2609 in the table, got jsa_18_24: 0"),
    ("      - id: p\n        on: employment_started\n        window:\n          weeks: {by: "
     "client.payment_group, table: {a: 4}}\n        amount: 1.00\n",
     "s.yaml:9: versions.0.components.0.window: expected a whole number of weeks (a table by "
     "client attribute is for lasts only), got a table"),
])
def test_a_duration_table_is_checked(component: str, message: str) -> None:
    text = scheme_yaml("").rstrip("\n") + "\n" + component
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(text, source="s.yaml")
    assert [str(p) for p in info.value.problems] == [message]
