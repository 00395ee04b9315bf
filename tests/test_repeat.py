"""Repeating outcomes: after the mark of ``lasts``, a payment every N weeks, up
to K times (K by a client attribute), while the employment lasts; the k-th is
due on mark + 28·k days and is earned then unless the employment ended before
that day (abroad.md, "Repeating payments"; the Work Programme's sustainment).
Dates worked out by hand."""

from __future__ import annotations

import pytest

import kasvufee
from kasvufee.errors import SchemeError
from tests.conftest import amounts, run
from tests.test_durations import _row, scheme_yaml

SUSTAINMENT = scheme_yaml("""\
- id: sustainment
  on: employment_started
  once_per: client
  lasts: {weeks: 13}
  repeat:
    every: {weeks: 4}
    times: {by: client.payment_group, table: {esa_new: 3, esa_vol: 2}}
  amount: 235.00
""")


def _job(end: str | None, group: str = "esa_new") -> list[dict[str, object]]:
    rows = [_row("e1", "enrolled", "2013-01-07", payment_group=group),
            _row("e2", "employment_started", "2013-02-04", employment_id="J1")]
    if end:
        rows.append(_row("e3", "employment_ended", end, employment_id="J1"))
    return rows


def test_payments_every_four_weeks_after_the_mark_until_the_job_ends() -> None:
    # mark 2013-02-04 + 91 = 2013-05-06; due 06-03, 07-01, 07-29; ended 2013-07-15
    ledger = run(SUSTAINMENT, _job("2013-07-15"), "2014-09-30")
    assert amounts(ledger) == [("sustainment", "C", "2013-06-03", "235.00"),
                               ("sustainment", "C", "2013-07-01", "235.00")]
    assert [e.entry_id for e in ledger.entries] == ["t:1:sustainment:e2:20130603:1",
                                                    "t:1:sustainment:e2:20130701:2"]
    assert ledger.entries[1].explanation == (
        "sustainment pays 235.00 € to P for client C, earned 2013-07-01: employment_started "
        "e2 on 2013-02-04; lasted 13 weeks to 2013-05-06; payment 2 of 3 due on 2013-07-01 "
        "(4 weeks after the previous). Scheme t version 1.")
    assert [h.reason for h in ledger.held] == [
        "ended on 2013-07-15 (e3) before payment 3 of 3 due on 2013-07-29"]


def test_an_end_on_the_due_day_does_not_stop_that_payment() -> None:
    ledger = run(SUSTAINMENT, _job("2013-07-01"), "2014-09-30")
    assert [e.earned_on.isoformat() for e in ledger.entries] == ["2013-06-03", "2013-07-01"]


def test_at_most_k_times_by_the_clients_group_and_later_ones_pending() -> None:
    ledger = run(SUSTAINMENT, _job(None, "esa_vol"), "2013-06-30")
    assert amounts(ledger) == [("sustainment", "C", "2013-06-03", "235.00")]
    assert [h.reason for h in ledger.held] == [
        "pending: the condition becomes true on 2013-07-01, after 2013-06-30"]
    assert len(run(SUSTAINMENT, _job(None, "esa_vol"), "2019-12-31").entries) == 2


def test_a_job_that_ends_before_the_mark_pays_nothing_once() -> None:
    ledger = run(SUSTAINMENT, _job("2013-05-05"), "2014-09-30")
    assert amounts(ledger) == []
    # one held line, dated on the mark (no payment of the series was ever due)
    assert [(h.earned_on.isoformat(), h.reason) for h in ledger.held] == [
        ("2013-05-06", "ended on 2013-05-05 (e3) before the 13-week mark 2013-05-06")]


def test_repeat_needs_lasts_and_once_per_client() -> None:
    text = "".join(line for line in SUSTAINMENT.splitlines(keepends=True) if "lasts:" not in line)
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(text, source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:7: versions.0.components.0: expected lasts and once_per: client with repeat "
        "(it repeats while the employment lasts), got no lasts"]


def test_an_end_holds_the_first_missed_payment_naming_the_rest() -> None:
    """One held line for a job that ended, not one per payment that never came:
    mark 2013-05-06, due 06-03 (paid), 07-01, 07-29, ...; ended 2013-06-10."""
    three = run(SUSTAINMENT, _job("2013-06-10"), "2014-09-30")
    assert amounts(three) == [("sustainment", "C", "2013-06-03", "235.00")]
    assert [h.reason for h in three.held] == [
        "ended on 2013-06-10 (e3) before payment 2 of 3 due on 2013-07-01 (and so before "
        "payment 3)"]
    six = run(SUSTAINMENT.replace("esa_new: 3", "esa_new: 6"), _job("2013-06-10"), "2014-09-30")
    assert amounts(six) == [("sustainment", "C", "2013-06-03", "235.00")]
    assert [h.reason for h in six.held] == [
        "ended on 2013-06-10 (e3) before payment 2 of 6 due on 2013-07-01 (and so before "
        "payments 3 to 6)"]


def test_a_fixed_number_of_times() -> None:
    """``times: 2`` (a number, not a table): mark 2013-05-06, due 06-03 and
    07-01, and no third payment however late the run."""
    fixed = SUSTAINMENT.replace("{by: client.payment_group, table: {esa_new: 3, esa_vol: 2}}",
                                "2")
    ledger = run(fixed, _job(None), "2019-12-31")
    assert amounts(ledger) == [("sustainment", "C", "2013-06-03", "235.00"),
                               ("sustainment", "C", "2013-07-01", "235.00")]
    assert ledger.entries[1].explanation == (
        "sustainment pays 235.00 € to P for client C, earned 2013-07-01: employment_started "
        "e2 on 2013-02-04; lasted 13 weeks to 2013-05-06; payment 2 of 2 due on 2013-07-01 "
        "(4 weeks after the previous). Scheme t version 1.")
    assert ledger.held == ()


def test_a_group_not_in_the_table_or_none_holds_the_outcome() -> None:
    """C's group jsa has no number of times; D has no group at all; E's
    esa_vol pays twice (mark 2013-05-06: 06-03, 07-01)."""
    rows = [*_job(None, "jsa"),
            _row("d1", "enrolled", "2013-01-07", client="D"),
            _row("d2", "employment_started", "2013-02-04", client="D", employment_id="J2"),
            _row("f1", "enrolled", "2013-01-07", client="E", payment_group="esa_vol"),
            _row("f2", "employment_started", "2013-02-04", client="E", employment_id="J3")]
    ledger = run(SUSTAINMENT, rows, "2019-12-31")
    assert amounts(ledger) == [("sustainment", "E", "2013-06-03", "235.00"),
                               ("sustainment", "E", "2013-07-01", "235.00")]
    assert sorted((h.client_id, h.reason) for h in ledger.held) == [
        ("C", "repeat: no number of times for client.payment_group = jsa (needs one of "
              "esa_new, esa_vol)"),
        ("D", "repeat: no number of times for client.payment_group = missing (needs one of "
              "esa_new, esa_vol)")]


def test_each_clients_payments_stop_with_their_own_employment() -> None:
    """Two clients on the same dates: C's job ends 2013-06-10 (payment 1 of 3
    paid, 2 held naming 3), D's never ends (all three: 06-03, 07-01, 07-29)."""
    rows = [*_job("2013-06-10"),
            _row("d1", "enrolled", "2013-01-07", client="D", payment_group="esa_new"),
            _row("d2", "employment_started", "2013-02-04", client="D", employment_id="J2")]
    ledger = run(SUSTAINMENT, rows, "2019-12-31")
    assert amounts(ledger) == [("sustainment", "C", "2013-06-03", "235.00"),
                               ("sustainment", "D", "2013-06-03", "235.00"),
                               ("sustainment", "D", "2013-07-01", "235.00"),
                               ("sustainment", "D", "2013-07-29", "235.00")]
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("C", "ended on 2013-06-10 (e3) before payment 2 of 3 due on 2013-07-01 (and so "
              "before payment 3)")]


def test_a_second_job_repeats_no_payment_of_the_first() -> None:
    """Once per client, payment by payment: C's second job (e4, 2013-03-04,
    mark 2013-06-03) would be due on 07-01, 07-29 and 08-26; each k-th loses
    to the first job's k-th (06-03, 07-01, 07-29), already earned."""
    rows = [*_job(None), _row("e4", "employment_started", "2013-03-04", employment_id="J2")]
    ledger = run(SUSTAINMENT, rows, "2019-12-31")
    assert [e.entry_id for e in ledger.entries] == [
        "t:1:sustainment:e2:20130603:1", "t:1:sustainment:e2:20130701:2",
        "t:1:sustainment:e2:20130729:3"]
    assert [(h.earned_on.isoformat(), h.event_ids, h.reason) for h in ledger.held] == [
        ("2013-07-01", ("e4",), "already earned once for this key by e2 on 2013-06-03"),
        ("2013-07-29", ("e4",), "already earned once for this key by e2 on 2013-07-01"),
        ("2013-08-26", ("e4",), "already earned once for this key by e2 on 2013-07-29")]


def test_repeat_and_provisional_are_refused_together() -> None:
    # a probable payment would be paid beside each repeated one and topped up by none
    text = SUSTAINMENT.replace("amount: 235.00", "provisional: {on: placement_probable, "
                               "amount: 100.00}\n        amount: 235.00")
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(text, source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:7: versions.0.components.0: expected no provisional with repeat (which of the "
        "repeated payments would the probable one be part of?), got both"]
