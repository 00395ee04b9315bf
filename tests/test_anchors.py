"""Anchors other than an event: fixed contract dates (``contract:`` of the
scheme, read as ``contract.NAME``) and the client's own dates
(``client.ATTRIBUTE``, a date attribute of its enrolment), for windows,
``until`` bounds, deadlines and checkpoints; the euros and dates worked out
by hand."""

from __future__ import annotations

import datetime as dt

import pytest

import kasvufee
from kasvufee.errors import SchemeError
from tests.conftest import amounts

HEAD = """\
scheme: t
title: test
attributes: {referral_date: date, round: integer}
contract: {start: 2012-04-01, end: 2015-11-30}
versions:
  - version: '1'
    valid_from: 2011-01-01
    components:
"""


def _run(components: str, rows: list[dict[str, object]], as_of: str) -> kasvufee.Ledger:
    scheme = kasvufee.parse_scheme(HEAD + "".join("      " + line + "\n"
                                                  for line in components.splitlines()))
    events = kasvufee.events_from_records(rows, attribute_types=dict(scheme.attributes))
    return kasvufee.evaluate(scheme, events, dt.date.fromisoformat(as_of))


def _row(eid: str, kind: str, day: str, client: str = "F1", **kw: object) -> dict[str, object]:
    return {"event_id": eid, "type": kind, "provider_id": "P", "client_id": client,
            "occurred_on": day, **kw}


QUALIFICATION = """\
- id: qual_level2
  on: qualification_achieved
  once_per: client
  window: {anchor: enrolled, until: contract.end}
  amount: 2200.00"""


def test_no_outcome_is_earned_after_the_contract_end() -> None:
    rows = [_row("e1", "enrolled", "2014-10-06"),
            _row("e2", "qualification_achieved", "2015-11-30"),
            _row("e3", "enrolled", "2014-10-06", client="F3"),
            _row("e4", "qualification_achieved", "2015-12-15", client="F3")]
    ledger = _run(QUALIFICATION, rows, "2016-03-31")
    assert amounts(ledger) == [("qual_level2", "F1", "2015-11-30", "2200.00")]
    assert ledger.entries[0].explanation == (
        "qual_level2 pays 2200.00 € to P for client F1, earned 2015-11-30: "
        "qualification_achieved e2 on 2015-11-30; on or after enrolled 2014-10-06 and on or "
        "before contract.end 2015-11-30. Scheme t version 1.")
    assert [h.reason for h in ledger.held] == [
        "outside the window: 2015-12-15 is not on or after enrolled 2014-10-06 and on or "
        "before 2015-11-30 (contract.end)"]


def test_a_window_with_a_duration_and_a_last_date_ends_at_the_earlier() -> None:
    component = QUALIFICATION.replace("{anchor: enrolled, until: contract.end}",
                                      "{anchor: enrolled, weeks: 104, until: contract.end}")
    # F1: enrolled 2014-10-06 + 728 days = 2016-10-03, so the contract end 2015-11-30 binds;
    # F2: enrolled 2012-09-03 + 728 days = 2014-09-01 binds, and 2014-09-02 is outside
    rows = [_row("e1", "enrolled", "2014-10-06"),
            _row("e2", "qualification_achieved", "2015-12-01"),
            _row("e3", "enrolled", "2012-09-03", client="F2"),
            _row("e4", "qualification_achieved", "2014-09-02", client="F2")]
    ledger = _run(component, rows, "2016-03-31")
    assert amounts(ledger) == []
    assert [h.reason for h in ledger.held] == [
        "outside the window: 2014-09-02 is not on or after enrolled 2012-09-03 and on or "
        "before 2014-09-01 (104 weeks or contract.end, the earlier)",
        "outside the window: 2015-12-01 is not on or after enrolled 2014-10-06 and on or "
        "before 2015-11-30 (104 weeks or contract.end, the earlier)"]


def test_a_lasting_job_whose_mark_falls_after_the_contract_end() -> None:
    component = """\
- id: sustained_employment_13w
  on: employment_started
  once_per: client
  window: {anchor: enrolled, until: contract.end}
  lasts: {weeks: 13, until: contract.end}
  amount: 1000.00"""
    # 2015-09-01 + 91 days = 2015-12-01, one day after the end of delivery;
    # 2015-08-31 + 91 days = 2015-11-30, on it
    rows = [_row("e1", "enrolled", "2014-10-06"),
            _row("e2", "employment_started", "2015-09-01", employment_id="J1"),
            _row("e3", "enrolled", "2014-10-06", client="F2"),
            _row("e4", "employment_started", "2015-08-31", client="F2", employment_id="J2")]
    ledger = _run(component, rows, "2016-03-31")
    assert amounts(ledger) == [("sustained_employment_13w", "F2", "2015-11-30", "1000.00")]
    assert [h.reason for h in ledger.held] == [
        "the 13-week mark 2015-12-01 is after contract.end 2015-11-30"]


REFERRAL = """\
- id: job_outcome
  on: employment_started
  once_per: client
  window: {anchor: client.referral_date, weeks: 104}
  amount: 1200.00"""


def test_a_window_from_the_clients_own_date() -> None:
    # referred 2011-06-06 + 728 days = 2013-06-03: a start on that day counts, and the
    # enrolment date (later) does not matter; F2 has no referral_date: held
    rows = [_row("e1", "enrolled", "2011-10-03", referral_date="2011-06-06"),
            _row("e2", "employment_started", "2013-06-03"),
            _row("e3", "enrolled", "2011-10-03", client="F2"),
            _row("e4", "employment_started", "2012-01-09", client="F2"),
            _row("e5", "enrolled", "2011-10-03", client="F3", referral_date="2011-06-06"),
            _row("e6", "employment_started", "2013-06-04", client="F3")]
    ledger = _run(REFERRAL, rows, "2013-12-31")
    assert amounts(ledger) == [("job_outcome", "F1", "2013-06-03", "1200.00")]
    assert "within 104 weeks of client.referral_date 2011-06-06" in ledger.entries[0].explanation
    assert sorted((h.client_id, h.reason) for h in ledger.held) == [
        ("F2", "no client.referral_date for the client, so the window is unknown"),
        ("F3", "outside the window: 2013-06-04 is not on or after client.referral_date "
               "2011-06-06 and on or before 2013-06-03 (104 weeks)")]


def test_a_deadline_measured_from_the_contract_start() -> None:
    component = """\
- id: survey
  on: survey_answered
  once_per: client
  amount: 200.00
  missing:
    deadline: {anchor: contract.start, weeks: 4}
    pays: 50.00"""
    # 2012-04-01 + 28 days = 2012-04-29, the same for every client
    rows = [_row("e1", "enrolled", "2012-04-02"),
            _row("e2", "enrolled", "2012-04-20", client="F2"),
            _row("e3", "survey_answered", "2012-04-25", client="F2")]
    ledger = _run(component, rows, "2012-12-31")
    assert amounts(ledger) == [("survey", "F1", "2012-04-29", "50.00"),
                               ("survey", "F2", "2012-04-25", "200.00")]
    f1 = next(e for e in ledger.entries if e.client_id == "F1")
    assert "nothing by the deadline 2012-04-29 (4 weeks after contract.start 2012-04-01)" in \
        f1.explanation


def test_a_deadline_from_a_missing_client_date_is_held() -> None:
    component = """\
- id: survey
  on: survey_answered
  once_per: client
  amount: 200.00
  missing:
    deadline: {anchor: client.referral_date, days: 30}
    pays: 50.00"""
    ledger = _run(component, [_row("e1", "enrolled", "2012-04-02")], "2012-12-31")
    assert amounts(ledger) == []
    assert [h.reason for h in ledger.held] == [
        "no client.referral_date for the client, so the deadline is unknown"]


def test_a_checkpoint_a_year_after_the_contract_start() -> None:
    component = """\
- id: active
  kind: checkpoint
  anchor: contract.start
  years: 1
  metrics:
    visits: {on: guidance_completed, count: true, until: checkpoint}
  condition: visits >= 1
  amount: 300.00"""
    rows = [_row("e1", "enrolled", "2012-05-02"), _row("e2", "guidance_completed", "2013-04-01"),
            _row("e3", "enrolled", "2012-05-02", client="F2"),
            _row("e4", "guidance_completed", "2013-04-02", client="F2")]
    ledger = _run(component, rows, "2013-12-31")
    assert amounts(ledger) == [("active", "F1", "2013-04-01", "300.00")]
    assert "checkpoint 2013-04-01 = contract.start 2012-04-01 + 1 year" in \
        ledger.entries[0].explanation
    assert [h.reason for h in ledger.held] == [
        "condition visits >= 1 not met (visits=0)"]


@pytest.mark.parametrize(("window", "message"), [
    ("{anchor: enrolled, until: contract.delivery_end}",
     "<scheme>:11: versions.0.components.0.window.until: expected a date named under contract "
     "(start, end), got 'contract.delivery_end'"),
    ("{anchor: client.round, weeks: 4}",
     "<scheme>:11: versions.0.components.0.window.anchor: expected a date attribute (declare "
     "it: attributes: {round: date}), got 'round' of type integer"),
    ("{anchor: programme.start, weeks: 4}",
     "<scheme>:11: versions.0.components.0.window.anchor: expected an event type, "
     "client.ATTRIBUTE or contract.NAME, got 'programme.start'"),
    ("{anchor: enrolled}",
     "<scheme>:11: versions.0.components.0.window: expected a duration in exactly one of "
     "days, weeks, months, years, got none"),
])
def test_a_date_that_does_not_exist_is_named(window: str, message: str) -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(HEAD + "      - id: q\n        on: qualification_achieved\n"
                              f"        window: {window}\n        amount: 1.00\n")
    assert [str(p) for p in info.value.problems] == [message]


def test_contract_date_names_are_words() -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(HEAD.replace("end: 2015-11-30", "End Date: 2015-11-30")
                              + "      - {id: q, on: enrolled, amount: 1.00}\n")
    assert [str(p) for p in info.value.problems] == [
        "<scheme>:4: contract: expected a date name like delivery_end, got 'End Date'"]
