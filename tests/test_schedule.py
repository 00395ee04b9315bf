"""``kind: schedule``, one rule at a time (engine/schedule.py): which dates a
schedule has (dates, freq, every; count and until), what each instalment pays
(a fixed amount, a share of a price, pro rata part steps), the words of its
explanation, and where it stands in the earning order; the euros worked out by
hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import kasvufee
from tests.conftest import amounts, run, scheme_yaml


def _schedule(schedule: str, amount: str = "1000.00") -> kasvufee.Ledger:
    return run(scheme_yaml(f"- {{id: grant, kind: schedule, provider: P, amount: {amount}, "
                           f"schedule: {schedule}}}\n"), [], "2019-12-31")


def _dates(ledger: kasvufee.Ledger) -> list[str]:
    return [e.earned_on.isoformat() for e in ledger.entries]


# --------------------------------------------------------------------------- dates


def test_every_stops_at_count_or_at_until() -> None:
    # every 2 weeks from Monday 2018-01-01: 01-01, 01-15, 01-29, 02-12, ...
    # count 3 stops after 01-29; until 2018-01-29 (inclusive) stops there too
    # (a schedule with both is deprecated by dateutil: it warns)
    three = ["2018-01-01", "2018-01-15", "2018-01-29"]
    assert _dates(_schedule("{every: {weeks: 2}, start: 2018-01-01, count: 3}")) == three
    assert _dates(_schedule("{every: {weeks: 2}, start: 2018-01-01, until: 2018-01-29}")) == three


def test_freq_stops_at_count_or_at_until() -> None:
    # weekly, interval 2: the same dates as every 2 weeks; until the day before the
    # third date stops after two
    three = ["2018-01-01", "2018-01-15", "2018-01-29"]
    assert _dates(_schedule("{freq: weekly, interval: 2, start: 2018-01-01, count: 3}")) == three
    assert _dates(_schedule("{freq: weekly, interval: 2, start: 2018-01-01, "
                            "until: 2018-01-28}")) == three[:2]


def test_dates_are_paid_in_date_order_and_numbered_so() -> None:
    ledger = _schedule("{dates: [2018-06-30, 2018-01-31]}")
    assert [e.explanation for e in ledger.entries] == [
        "grant pays 1000.00 € to P (contract level), earned 2018-01-31: instalment 1 of 2 "
        "due on 2018-01-31: 1000.00 €. Scheme t version 1.",
        "grant pays 1000.00 € to P (contract level), earned 2018-06-30: instalment 2 of 2 "
        "due on 2018-06-30: 1000.00 €. Scheme t version 1."]


def test_a_schedule_without_dates_pays_nothing() -> None:
    # no dates, or an until before the start: no instalment, nothing held
    for schedule in ("{dates: []}", "{freq: monthly, start: 2018-05-01, until: 2018-01-01}"):
        ledger = _schedule(schedule)
        assert (ledger.entries, ledger.held) == ((), ())


# --------------------------------------------------------------------------- amounts


def test_every_without_pro_rata_pays_each_instalment_in_full() -> None:
    ledger = _schedule("{every: {months: 1}, start: 2018-01-15, count: 2}", "1234.56")
    assert [e.explanation for e in ledger.entries] == [
        "grant pays 1234.56 € to P (contract level), earned 2018-01-15: instalment 1 of 2 "
        "due on 2018-01-15: 1234.56 €. Scheme t version 1.",
        "grant pays 1234.56 € to P (contract level), earned 2018-02-15: instalment 2 of 2 "
        "due on 2018-02-15: 1234.56 €. Scheme t version 1."]


def test_an_instalment_of_nothing_pays_nothing() -> None:
    assert amounts(_schedule("{dates: [2018-01-01]}", "0.00")) == [
        ("grant", "P", "2018-01-01", "0.00")]


def test_an_instalment_can_be_a_share_of_a_price() -> None:
    text = scheme_yaml("""\
- {id: fixed, kind: schedule, provider: P, amount: {share_of: grant},
   schedule: {dates: [2018-01-01]}}
- {id: extra, kind: schedule, provider: P, amount: {share_of: grant},
   schedule: {dates: [2018-01-01]}}
""").replace("    components:\n", "    prices:\n      grant: {amount: 1000.01, shares: "
             "{fixed: 50%, extra: 50%}}\n    components:\n")
    # 1 000.01 in halves is 500.005 each: the odd cent goes to the share declared first
    assert amounts(run(text, [], "2018-12-31")) == [
        ("extra", "P", "2018-01-01", "500.00"), ("fixed", "P", "2018-01-01", "500.01")]


def test_each_listed_provider_is_paid_each_instalment() -> None:
    ledger = run(scheme_yaml("- {id: grant, kind: schedule, provider: [P2, P1], amount: 10.00, "
                             "schedule: {dates: [2018-01-01, 2018-02-01]}}\n"), [], "2018-12-31")
    assert amounts(ledger) == [("grant", "P1", "2018-01-01", "10.00"),
                               ("grant", "P1", "2018-02-01", "10.00"),
                               ("grant", "P2", "2018-01-01", "10.00"),
                               ("grant", "P2", "2018-02-01", "10.00")]


PRO_RATA = """\
scheme: t
title: test
contract: {service_start: 2017-11-20, service_end: 2018-01-10}
versions:
  - version: '1'
    valid_from: 2016-01-01
    components:
      - id: delivery
        kind: schedule
        provider: P
        amount: 3100.00
        schedule: {every: {months: 1}, start: 2017-11-01, count: 5}
        pro_rata: {start: contract.service_start, end: contract.service_end}
"""


def test_pro_rata_pays_the_days_of_each_step_inside_the_service() -> None:
    # each instalment pays for the month before it (date - 1 month to the day before);
    # the service is 2017-11-20 to 2018-01-10:
    #   2017-11-01 pays October: no day inside: 0.00
    #   2017-12-01 pays November: 20-30, 11 of 30 days: 3 100.00 * 11/30 = 1 136.666.. = 1 136.67
    #   2018-01-01 pays December: all 31 days: 3 100.00
    #   2018-02-01 pays January: 1-10, 10 of 31 days: 3 100.00 * 10/31 = 1 000.00
    #   2018-03-01 pays February: no day inside: 0.00
    ledger = run(PRO_RATA, [], "2018-12-31")
    assert [(e.earned_on.isoformat(), str(e.amount)) for e in ledger.entries] == [
        ("2017-11-01", "0.00"), ("2017-12-01", "1136.67"), ("2018-01-01", "3100.00"),
        ("2018-02-01", "1000.00"), ("2018-03-01", "0.00")]
    assert ledger.total() == Decimal("5236.67")
    assert [e.explanation for e in ledger.entries[:3]] == [
        "delivery pays 0.00 € to P (contract level), earned 2017-11-01: instalment 1 of 5 due "
        "on 2017-11-01: 3100.00 € * 0/31 days of 2017-10-01 to 2017-10-31 inside "
        "contract.service_start 2017-11-20 to contract.service_end 2018-01-10 = 0.00 €. "
        "Scheme t version 1.",
        "delivery pays 1136.67 € to P (contract level), earned 2017-12-01: instalment 2 of 5 due "
        "on 2017-12-01: 3100.00 € * 11/30 days of 2017-11-01 to 2017-11-30 inside "
        "contract.service_start 2017-11-20 to contract.service_end 2018-01-10 = 1136.67 €. "
        "Scheme t version 1.",
        "delivery pays 3100.00 € to P (contract level), earned 2018-01-01: instalment 3 of 5 due "
        "on 2018-01-01: 3100.00 €. Scheme t version 1."]


def test_pro_rata_steps_of_weeks() -> None:
    # every 2 weeks from 2018-01-15: each instalment pays for the 14 days before it;
    # the service is 2018-01-03 to 2018-01-20:
    #   2018-01-15 pays 01-01 to 01-14: 3-14, 12 of 14 days: 1 400.00 * 12/14 = 1 200.00
    #   2018-01-29 pays 01-15 to 01-28: 15-20, 6 of 14 days: 1 400.00 * 6/14 = 600.00
    text = (PRO_RATA.replace("2017-11-20", "2018-01-03").replace("2018-01-10", "2018-01-20")
            .replace("amount: 3100.00", "amount: 1400.00")
            .replace("{every: {months: 1}, start: 2017-11-01, count: 5}",
                     "{every: {weeks: 2}, start: 2018-01-15, count: 2}"))
    ledger = run(text, [], "2018-12-31")
    assert [(e.earned_on.isoformat(), str(e.amount)) for e in ledger.entries] == [
        ("2018-01-15", "1200.00"), ("2018-01-29", "600.00")]
    assert ledger.entries[0].explanation == (
        "delivery pays 1200.00 € to P (contract level), earned 2018-01-15: instalment 1 of 2 due "
        "on 2018-01-15: 1400.00 € * 12/14 days of 2018-01-01 to 2018-01-14 inside "
        "contract.service_start 2018-01-03 to contract.service_end 2018-01-20 = 1200.00 €. "
        "Scheme t version 1.")


# --------------------------------------------------------------------------- earning order


def test_an_instalment_comes_before_a_deadline_row_of_its_day() -> None:
    # the schedule's 800.00 is stage 0 (like an event), the missing-data policy's
    # 300.00 (50 % of 600.00, nothing answered by 2018-04-01, 3 months after the
    # enrolment) is stage 1: on 2018-04-01 the instalment goes first, so the
    # contract cap of 1 000.00 leaves 200.00 of the 300.00
    text = scheme_yaml("""\
- id: quality
  on: survey_answered
  once_per: client
  amount: 600.00
  missing:
    deadline: {anchor: enrolled, months: 3}
    pays: 50%
- {id: fixed, kind: schedule, provider: P, amount: 800.00, schedule: {dates: [2018-04-01]}}
""", caps="- {id: budget, per: contract, amount: 1000.00}\n")
    rows = [{"event_id": "e1", "type": "enrolled", "provider_id": "P", "client_id": "A",
             "occurred_on": "2018-01-01"}]
    ledger = run(text, rows, "2018-12-31")
    assert [(e.component, e.client_id, e.earned_on, e.amount, e.capped_from, e.cap)
            for e in ledger.entries] == [
        ("fixed", None, dt.date(2018, 4, 1), Decimal("800.00"), None, None),
        ("quality", "A", dt.date(2018, 4, 1), Decimal("200.00"), Decimal("300.00"), "budget")]
