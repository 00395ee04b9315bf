"""Every semantic rule of the design, one case file at a time: these events,
this scheme, these euros."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

import kasvufee
from tests.conftest import amounts, run, scheme_yaml

PLACEMENT = scheme_yaml("""\
- id: placement
  on: employment_started
  once_per: client
  lasts: {months: MONTHS}
  amount: 900.00
""")


def _start(eid: str, client: str, day: str, emp: str | None = None, **kw: object) -> dict:
    row: dict[str, object] = {"event_id": eid, "type": "employment_started", "provider_id": "P",
                              "client_id": client, "occurred_on": day}
    if emp:
        row["employment_id"] = emp
    row.update(kw)
    return row


def _end(eid: str, client: str, day: str, emp: str | None = None, **kw: object) -> dict:
    row = _start(eid, client, day, emp, **kw)
    row["type"] = "employment_ended"
    return row


# --------------------------------------------------------------------------- dates


def test_month_end_is_clamped_like_relativedelta() -> None:
    ledger = run(PLACEMENT.replace("MONTHS", "1"), [_start("e1", "A", "2018-01-31", "A-1")],
                 "2018-12-31")
    assert amounts(ledger) == [("placement", "A", "2018-02-28", "900.00")]


def test_leap_day_plus_twelve_months() -> None:
    ledger = run(PLACEMENT.replace("MONTHS", "12"), [_start("e1", "A", "2020-02-29", "A-1")],
                 "2021-12-31")
    assert amounts(ledger) == [("placement", "A", "2021-02-28", "900.00")]


def test_three_months_into_a_leap_february() -> None:
    ledger = run(PLACEMENT.replace("MONTHS", "3"), [_start("e1", "A", "2019-11-30", "A-1")],
                 "2020-12-31")
    assert amounts(ledger) == [("placement", "A", "2020-02-29", "900.00")]


def test_ended_on_the_mark_still_lasts() -> None:
    # "before S + N months" is exclusive: an end on the mark itself does not break it
    rows = [_start("e1", "A", "2018-03-01", "A-1"), _end("e2", "A", "2018-06-01", "A-1")]
    ledger = run(PLACEMENT.replace("MONTHS", "3"), rows, "2018-12-31")
    assert amounts(ledger) == [("placement", "A", "2018-06-01", "900.00")]


def test_ended_the_day_before_the_mark_does_not_last() -> None:
    rows = [_start("e1", "A", "2018-03-01", "A-1"), _end("e2", "A", "2018-05-31", "A-1")]
    ledger = run(PLACEMENT.replace("MONTHS", "3"), rows, "2018-12-31")
    assert amounts(ledger) == []
    (held,) = ledger.held
    assert held.reason == "ended on 2018-05-31 (e2) before the 3-month mark 2018-06-01"


def test_end_matched_by_client_and_provider_without_employment_ids() -> None:
    rows = [_start("e1", "A", "2018-03-01"), _end("e2", "A", "2018-04-01"),
            _start("e3", "B", "2018-03-01"), _end("e4", "B", "2018-04-01", provider_id="Q")]
    ledger = run(PLACEMENT.replace("MONTHS", "3"), rows, "2018-12-31")
    assert amounts(ledger) == [("placement", "B", "2018-06-01", "900.00")]


def test_end_of_another_employment_does_not_count() -> None:
    rows = [_start("e1", "A", "2018-03-01", "A-1"), _end("e2", "A", "2018-04-01", "A-0")]
    ledger = run(PLACEMENT.replace("MONTHS", "3"), rows, "2018-12-31")
    assert amounts(ledger) == [("placement", "A", "2018-06-01", "900.00")]


def test_the_first_end_on_or_after_the_start_decides() -> None:
    """Starts on 2018-03-01, 3-month mark 2018-06-01.  A (no ids): an end of
    an earlier job (02-15) is not this one's; of 04-10 and 04-01 the first
    breaks it.  C's start has an id and the end none: ids are matched by id
    only, so C lasts.  D ends on the start day itself."""
    rows = [_end("a0", "A", "2018-02-15"), _start("a1", "A", "2018-03-01"),
            _end("a2", "A", "2018-04-10"), _end("a3", "A", "2018-04-01"),
            _start("c1", "C", "2018-03-01", "C-1"), _end("c2", "C", "2018-04-01"),
            _start("d1", "D", "2018-03-01", "D-1"), _end("d2", "D", "2018-03-01", "D-1")]
    ledger = run(PLACEMENT.replace("MONTHS", "3"), rows, "2018-12-31")
    assert [(e.entry_id, e.explanation) for e in ledger.entries] == [
        ("t:1:placement:c1:20180601",
         "placement pays 900.00 € to P for client C, earned 2018-06-01: employment_started c1 "
         "on 2018-03-01; lasted 3 months to 2018-06-01. Scheme t version 1.")]
    assert [(h.client_id, h.event_ids, h.reason) for h in ledger.held] == [
        ("A", ("a1",), "ended on 2018-04-01 (a3) before the 3-month mark 2018-06-01"),
        ("D", ("d1",), "ended on 2018-03-01 (d2) before the 3-month mark 2018-06-01")]


def test_a_proof_after_the_mark_earns_on_its_own_date() -> None:
    """Starts on 2018-03-01, 3-month mark 2018-06-01: A's proof of 05-15 is in
    by then, earned on the mark; B's of 07-02 comes later, earned on its date."""
    scheme = scheme_yaml("""\
- id: placement
  on: employment_started
  lasts: {months: 3}
  evidence: {attribute: evidence_ref, provided_by: evidence_provided}
  amount: 900.00
""")
    rows = [_start("a1", "A", "2018-03-01", "A-1"),
            _start("a2", "A", "2018-05-15", type="evidence_provided", for_event="a1"),
            _start("b1", "B", "2018-03-01", "B-1"),
            _start("b2", "B", "2018-07-02", type="evidence_provided", for_event="b1")]
    ledger = run(scheme, rows, "2018-12-31")
    assert [(e.client_id, e.earned_on.isoformat(), e.event_ids) for e in ledger.entries] == [
        ("A", "2018-06-01", ("a1", "a2")), ("B", "2018-07-02", ("b1", "b2"))]


def test_a_last_date_the_client_lacks_is_unknown() -> None:
    component = """\
- id: placement
  on: employment_started
  lasts: {months: 3, until: client.referral_date}
  amount: 900.00"""
    rows = [_enrol("e1", "A", "2018-01-10", referral_date="2018-06-01"),
            _enrol("e2", "B", "2018-01-10"),
            _enrol("e3", "C", "2018-01-10", referral_date="2018-05-31"),
            *(_start(f"{c}1", c, "2018-03-01", f"{c}-1") for c in "ABC")]
    ledger = _anchored(component, rows, "2018-12-31")
    # A's mark 2018-06-01 is on its last date; B has none; C's is a day after it
    assert _paid(ledger) == [("placement", "P", "A", "2018-06-01", "900.00", ("A1",))]
    assert _held(ledger) == [
        ("placement", "P", "B", ("B1",),
         "no client.referral_date for the client, so the last date is unknown"),
        ("placement", "P", "C", ("C1",),
         "the 3-month mark 2018-06-01 is after client.referral_date 2018-05-31")]


def test_condition_true_after_as_of_is_pending() -> None:
    ledger = run(PLACEMENT.replace("MONTHS", "3"), [_start("e1", "A", "2018-10-15", "A-1")],
                 "2019-01-14")
    assert amounts(ledger) == []
    assert ledger.held[0].reason == (
        "pending: the condition becomes true on 2019-01-15, after 2019-01-14")
    assert amounts(run(PLACEMENT.replace("MONTHS", "3"), [_start("e1", "A", "2018-10-15")],
                       "2019-01-15")) == [("placement", "A", "2019-01-15", "900.00")]


WINDOW = scheme_yaml("""\
- id: result
  on: company_founded
  once_per: client
  window: {anchor: enrolled, months: 6, start: START}
  amount: 500.00
""")


def _enrol(eid: str, client: str, day: str, **attrs: object) -> dict:
    return {"event_id": eid, "type": "enrolled", "provider_id": "P", "client_id": client,
            "occurred_on": day, **attrs}


def _event(eid: str, kind: str, client: str | None, day: str, **attrs: object) -> dict:
    return {"event_id": eid, "type": kind, "provider_id": attrs.pop("provider_id", "P"),
            "client_id": client, "occurred_on": day, **attrs}


def test_window_end_is_inclusive() -> None:
    rows = [_enrol("e1", "A", "2018-01-31"), _event("e2", "company_founded", "A", "2018-07-31"),
            _enrol("e3", "B", "2018-01-31"), _event("e4", "company_founded", "B", "2018-08-01")]
    # 2018-01-31 + 6 months = 2018-07-31: A on the last day pays, B a day later does not
    ledger = run(WINDOW.replace("START", "inclusive"), rows, "2018-12-31")
    assert amounts(ledger) == [("result", "A", "2018-07-31", "500.00")]
    assert ledger.entries[0].explanation == (
        "result pays 500.00 € to P for client A, earned 2018-07-31: company_founded e2 on "
        "2018-07-31; within 6 months of enrolled 2018-01-31. Scheme t version 1.")
    assert [h.reason for h in ledger.held] == [
        "outside the window: 2018-08-01 is not on or after enrolled 2018-01-31 and on or "
        "before 2018-07-31 (6 months)"]


def test_window_start_inclusive_or_exclusive() -> None:
    rows = [_enrol("e1", "A", "2018-01-15"), _event("e2", "company_founded", "A", "2018-01-15")]
    assert len(run(WINDOW.replace("START", "inclusive"), rows, "2018-12-31")) == 1
    exclusive = run(WINDOW.replace("START", "exclusive"), rows, "2018-12-31")
    assert len(exclusive) == 0
    assert [h.reason for h in exclusive.held] == [
        "outside the window: 2018-01-15 is not after enrolled 2018-01-15 and on or before "
        "2018-07-15 (6 months)"]


def test_window_without_anchor_is_held_with_reason() -> None:
    ledger = run(WINDOW.replace("START", "inclusive"),
                 [_event("e2", "company_founded", "A", "2018-01-15")], "2018-12-31")
    assert ledger.held[0].reason == "no enrolled event for the client, so the window is unknown"


# --------------------------------------------------------------------------- knowledge


FLAT = scheme_yaml("""\
- id: fee
  on: employment_started
  once_per: client
  amount: 1000.00
""")


def test_event_recorded_after_as_of_is_ignored() -> None:
    rows = [_start("e1", "A", "2018-03-01", recorded_at="2018-04-02T08:00:00")]
    assert len(run(FLAT, rows, "2018-04-01")) == 0
    assert amounts(run(FLAT, rows, "2018-04-02")) == [("fee", "A", "2018-03-01", "1000.00")]


def test_void_removes_the_event_from_its_recording_on() -> None:
    rows = [_start("e1", "A", "2018-03-01"),
            _event("v1", "event_voided", None, "2018-03-10", voids="e1",
                   recorded_at="2018-03-15")]
    assert len(run(FLAT, rows, "2018-03-14")) == 1
    assert len(run(FLAT, rows, "2018-03-15")) == 0


def test_void_of_a_void_restores_the_event() -> None:
    rows = [_start("e1", "A", "2018-03-01"),
            _event("v1", "event_voided", None, "2018-03-10", voids="e1"),
            _event("v2", "event_voided", None, "2018-03-11", voids="v1")]
    assert amounts(run(FLAT, rows, "2018-12-31")) == [("fee", "A", "2018-03-01", "1000.00")]


def test_voided_first_occurrence_lets_the_next_one_pay() -> None:
    rows = [_start("e1", "A", "2018-03-01"), _start("e2", "A", "2018-05-01"),
            _event("v1", "event_voided", None, "2018-06-01", voids="e1")]
    assert amounts(run(FLAT, rows, "2018-12-31")) == [("fee", "A", "2018-05-01", "1000.00")]


# --------------------------------------------------------------------------- once per client


def test_once_per_client_pays_the_first_to_qualify_not_the_first_event() -> None:
    # the first job ends early; the second one, started later, is the one that lasts
    rows = [_start("e1", "A", "2018-02-10", "A-1"), _end("e2", "A", "2018-04-01", "A-1"),
            _start("e3", "A", "2018-06-01", "A-2")]
    ledger = run(PLACEMENT.replace("MONTHS", "3"), rows, "2018-12-31")
    assert amounts(ledger) == [("placement", "A", "2018-09-01", "900.00")]


def test_once_per_client_holds_across_providers() -> None:
    rows = [_start("e1", "A", "2018-03-01"), _start("e2", "A", "2018-02-01", provider_id="Q")]
    ledger = run(FLAT, rows, "2018-12-31")
    assert [(e.provider_id, e.amount) for e in ledger.entries] == [("Q", Decimal("1000.00"))]
    assert ledger.held[0].reason == "already earned once for this key by e2 on 2018-02-01"


def test_once_per_client_needs_a_client() -> None:
    rows = [_start("e1", None, "2018-03-01"), _start("e2", None, "2018-03-02")]  # type: ignore[arg-type]
    ledger = run(FLAT, rows, "2018-12-31")
    assert amounts(ledger) == []
    assert {h.reason for h in ledger.held} == {"once per client: the event has no client_id"}


ONCE_PER_JOB = scheme_yaml("""\
- id: job
  on: employment_started
  once_per: [client, employment_id]
  amount: 100.00
- id: milestone
  on: milestone_reached
  once_per: provider
  amount: 50.00
""")


def test_once_per_client_and_an_attribute() -> None:
    """A's J1 pays once (a2 is a second start of it), J2 pays again, a4 has
    no employment_id; B's J1 is another key than A's.  Provider P reaches a
    milestone twice and Q once: once per provider pays P's first and Q's."""
    rows = [_event("a1", "employment_started", "A", "2018-03-01", employment_id="J1"),
            _event("a2", "employment_started", "A", "2018-04-01", employment_id="J1"),
            _event("a3", "employment_started", "A", "2018-05-01", employment_id="J2"),
            _event("a4", "employment_started", "A", "2018-05-02"),
            _event("b1", "employment_started", "B", "2018-03-01", employment_id="J1"),
            _event("m1", "milestone_reached", None, "2018-06-01"),
            _event("m2", "milestone_reached", None, "2018-07-01"),
            _event("m3", "milestone_reached", None, "2018-07-01", provider_id="Q")]
    ledger = run(ONCE_PER_JOB, rows, "2018-12-31")
    assert sorted((e.entry_id, e.event_ids, f"{e.amount:.2f}") for e in ledger.entries) == [
        ("t:1:job:a1:20180301", ("a1",), "100.00"), ("t:1:job:a3:20180501", ("a3",), "100.00"),
        ("t:1:job:b1:20180301", ("b1",), "100.00"),
        ("t:1:milestone:m1:20180601", ("m1",), "50.00"),
        ("t:1:milestone:m3:20180701", ("m3",), "50.00")]
    assert sorted((h.event_ids, h.reason) for h in ledger.held) == [
        (("a2",), "already earned once for this key by a1 on 2018-03-01"),
        (("a4",), "once per employment_id: the event has no employment_id"),
        (("m2",), "already earned once for this key by m1 on 2018-06-01")]


def test_the_parts_of_a_once_per_key_do_not_run_together() -> None:
    # client A1 with job 2 and client A with job 12 are two keys (A1|2 and A|12), not one A12
    rows = [_event("x1", "employment_started", "A1", "2018-03-01", employment_id="2"),
            _event("x2", "employment_started", "A", "2018-03-02", employment_id="12")]
    ledger = run(ONCE_PER_JOB, rows, "2018-12-31")
    assert [(e.entry_id, f"{e.amount:.2f}") for e in ledger.entries] == [
        ("t:1:job:x1:20180301", "100.00"), ("t:1:job:x2:20180302", "100.00")]
    assert ledger.held == ()


def test_same_day_tie_is_decided_by_recorded_at_then_event_id() -> None:
    rows = [_start("b", "A", "2018-03-01", recorded_at="2018-03-01T09:00"),
            _start("a", "A", "2018-03-01", recorded_at="2018-03-01T10:00")]
    assert run(FLAT, rows, "2018-12-31").entries[0].event_ids == ("b",)
    rows = [_start("b", "A", "2018-03-01"), _start("a", "A", "2018-03-01")]
    assert run(FLAT, rows, "2018-12-31").entries[0].event_ids == ("a",)


# --------------------------------------------------------------------------- caps


CAPPED = scheme_yaml("""\
- id: fee
  on: employment_started
  amount: 400.00
- id: bonus
  on: training_referred
  amount: 300.00
""", caps="""\
- id: per_client
  per: client
  amount: 500.00
- id: budget
  per: contract
  components: [fee]
  amount: 1000.00
""")


def test_cap_cuts_the_crossing_entry_and_zeroes_later_ones() -> None:
    rows = [_start("e1", "A", "2018-01-01"), _event("e2", "training_referred", "A", "2018-01-02"),
            _event("e3", "training_referred", "A", "2018-01-03")]
    ledger = run(CAPPED, rows, "2018-12-31")
    assert [(e.amount, e.capped_from, e.cap) for e in ledger.entries] == [
        (Decimal("400.00"), None, None), (Decimal("100.00"), Decimal("300.00"), "per_client"),
        (Decimal("0.00"), Decimal("300.00"), "per_client")]


def test_cap_ties_on_one_day_go_by_event_order() -> None:
    rows = [_start(f"e{i}", c, "2018-03-01") for i, c in ((3, "C"), (1, "A"), (2, "B"))]
    ledger = run(CAPPED, rows, "2018-12-31")
    assert [(e.client_id, e.amount) for e in ledger.entries] == [
        ("A", Decimal("400.00")), ("B", Decimal("400.00")), ("C", Decimal("200.00"))]
    assert ledger.total() == 1000


def test_contract_cap_crossed_on_one_day_by_several_providers() -> None:
    rows = [_start("e1", "A", "2018-03-01", provider_id="P1"),
            _start("e2", "B", "2018-03-01", provider_id="P2"),
            _start("e3", "C", "2018-03-01", provider_id="P1")]
    ledger = run(CAPPED, rows, "2018-12-31")
    assert [e.amount for e in ledger.entries] == [Decimal("400.00"), Decimal("400.00"),
                                                  Decimal("200.00")]


TWO_CAPS = scheme_yaml("""\
- id: fee
  on: employment_started
  amount: 400.00
""", caps="""\
- {id: per_client, per: client, amount: 500.00}
- {id: budget, per: contract, amount: 1000.00}
""")


def test_caps_apply_in_the_order_declared() -> None:
    # four 400.00 entries in earning order: A, A, B, C.
    # per_client first: A 400 + A cut to 100 (500 - 400), B 400, C 400 = 1 300; then the
    # budget sees 400, 500, 900, 1 300: C is cut to 100 (1 000 - 900): 1 000.00 paid.
    rows = [_start("e1", "A", "2018-03-01"), _start("e2", "A", "2018-03-02"),
            _start("e3", "B", "2018-03-03"), _start("e4", "C", "2018-03-04")]
    ledger = run(TWO_CAPS, rows, "2018-12-31")
    assert [(e.client_id, e.amount, e.capped_from, e.cap) for e in ledger.entries] == [
        ("A", Decimal("400.00"), None, None),
        ("A", Decimal("100.00"), Decimal("400.00"), "per_client"),
        ("B", Decimal("400.00"), None, None), ("C", Decimal("100.00"), Decimal("400.00"), "budget")]
    assert str(ledger.total()) == "1000.00"
    # what each cap had paid out before and after each entry: per client on the
    # amounts as earned, the budget on what per_client left (400, 100, 400, 400)
    pc, bu = "cap per_client (500.00 € per client): ", "cap budget (1000.00 € per contract): "
    assert [tuple(e.cap_usage) for e in ledger.entries] == [
        (pc + "0.00 € used before, 400.00 € after", bu + "0.00 € used before, 400.00 € after"),
        (pc + "400.00 € used before, 500.00 € after",
         bu + "400.00 € used before, 500.00 € after"),
        (pc + "0.00 € used before, 400.00 € after", bu + "500.00 € used before, 900.00 € after"),
        (pc + "0.00 € used before, 400.00 € after",
         bu + "900.00 € used before, 1000.00 € after")]
    # a later cap that does not cut keeps what the earlier cut left (100.00)
    assert ledger.entries[1].explanation.endswith(
        "; cut from 400.00 € to the 100.00 € left under cap per_client. Scheme t version 1.")
    # budget first: 400, 400, B cut to 200 (1 000 - 800), C to 0; then per_client cuts
    # A's second 400 to 100: 400 + 100 + 200 + 0 = 700.00 paid.  capped_from keeps the
    # amount before any cap; cap names the last cap that cut the entry.
    reversed_caps = TWO_CAPS.replace("      - {id: per_client, per: client, amount: 500.00}\n",
                                     "").replace("amount: 1000.00}\n", "amount: 1000.00}\n"
                                                 "      - {id: per_client, per: client, "
                                                 "amount: 500.00}\n")
    ledger = run(reversed_caps, rows, "2018-12-31")
    assert [(e.client_id, e.amount, e.capped_from, e.cap) for e in ledger.entries] == [
        ("A", Decimal("400.00"), None, None),
        ("A", Decimal("100.00"), Decimal("400.00"), "per_client"),
        ("B", Decimal("200.00"), Decimal("400.00"), "budget"),
        ("C", Decimal("0.00"), Decimal("400.00"), "budget")]
    assert str(ledger.total()) == "700.00"


CLIENT_CAP_AND_CONTRACT_FEE = scheme_yaml("""\
- id: fee
  on: employment_started
  amount: 400.00
- {id: fixed, kind: schedule, provider: P, amount: 1000.00, schedule: {dates: [2018-03-01]}}
""", caps="""\
- {id: per_client, per: client, amount: 500.00}
""")


def test_a_per_client_cap_leaves_contract_level_entries_alone() -> None:
    # the schedule's 1 000.00 has no client: a per-client cap does not cover it
    # (counted as a client of its own it would be cut to 500.00); A's 400 + 400 is
    # cut to 400 + 100, B's 400 is untouched
    rows = [_start("e1", "A", "2018-03-01"), _start("e2", "A", "2018-03-02"),
            _start("e3", "B", "2018-03-02")]
    ledger = run(CLIENT_CAP_AND_CONTRACT_FEE, rows, "2018-12-31")
    assert [(e.component, e.client_id, e.amount, e.cap) for e in ledger.entries] == [
        ("fee", "A", Decimal("400.00"), None), ("fixed", None, Decimal("1000.00"), None),
        ("fee", "A", Decimal("100.00"), "per_client"), ("fee", "B", Decimal("400.00"), None)]


# --------------------------------------------------------------------------- amounts


SHARES = """
scheme: t
title: test
versions:
  - version: "1"
    valid_from: 2016-01-01
    prices:
      voucher: {amount: 1000.01, shares: {a: 50%, b: 25%, c: 25%}}
    components:
      - {id: a, on: enrolled, amount: {share_of: voucher}}
      - {id: b, on: enrolled, amount: {share_of: voucher}}
      - {id: c, on: enrolled, amount: {share_of: voucher}}
"""


def test_percentage_shares_sum_exactly_to_the_price() -> None:
    ledger = run(SHARES, [_enrol("e1", "A", "2018-01-01")], "2018-12-31")
    assert [e.amount for e in ledger.entries] == [Decimal("500.01"), Decimal("250.00"),
                                                  Decimal("250.00")]
    assert str(ledger.total()) == "1000.01"


HALVES = """
scheme: t
title: test
versions:
  - version: "1"
    valid_from: 2016-01-01
    prices:
      voucher: {amount: 1000.01, shares: {a: 50%, b: 50%}}
    components:
      - {id: a, on: enrolled, amount: {share_of: voucher}}
      - {id: b, on: enrolled, amount: {share_of: voucher}}
"""


def test_the_odd_cent_of_an_even_split_goes_to_the_earlier_share() -> None:
    # 50/50 of 1 000.01 is 500.005 each: a tie; the earlier share (a) takes the cent
    ledger = run(HALVES, [_enrol("e1", "A", "2018-01-01")], "2018-12-31")
    assert [(e.component, e.amount) for e in ledger.entries] == [("a", Decimal("500.01")),
                                                                 ("b", Decimal("500.00"))]
    ledger = run(HALVES.replace("{a: 50%, b: 50%}", "{b: 50%, a: 50%}"),
                 [_enrol("e1", "A", "2018-01-01")], "2018-12-31")
    # declared b first, b takes it (the entries stay in component order: a, b)
    assert [(e.component, e.amount) for e in ledger.entries] == [("a", Decimal("500.00")),
                                                                 ("b", Decimal("500.01"))]


HALF_POLICY = scheme_yaml("""\
- id: quality
  on: survey_answered
  once_per: client
  amount:
    mean_of: answers
    base: 1000.01
    bands: [{at_least: 4.5, pays: 100%}, {at_least: 3.5, pays: 50%}]
  missing:
    deadline: {anchor: enrolled, months: 3}
    pays: 50%
""")


def test_a_percentage_payment_rounds_half_up() -> None:
    # 50 % of 1 000.01 is 500.005: half up pays 500.01 (half even would pay 500.00),
    # both for a band (B: mean 4 >= 3.5) and for the missing-data policy (C: no answer
    # by 2018-04-01, 3 months after enrolment); A's mean 5 pays the full 1 000.01
    rows = [_enrol("e1", "A", "2018-01-01"), _enrol("e2", "B", "2018-01-01"),
            _enrol("e3", "C", "2018-01-01"),
            _event("e4", "survey_answered", "A", "2018-02-01", answers="5;5"),
            _event("e5", "survey_answered", "B", "2018-02-01", answers="4;4")]
    assert amounts(run(HALF_POLICY, rows, "2018-12-31")) == [
        ("quality", "A", "2018-02-01", "1000.01"), ("quality", "B", "2018-02-01", "500.01"),
        ("quality", "C", "2018-04-01", "500.01")]


FORMULA = scheme_yaml("""\
- id: bonus
  on: quality_rated
  amount: {formula: "ROUNDED", rounding: MODE}
""")


def test_formula_rounds_half_up_once() -> None:
    rows = [_event("e1", "quality_rated", None, "2018-01-01", score="0.125"),
            _event("e2", "quality_rated", None, "2018-01-02", score="0.135"),
            _event("e3", "quality_rated", None, "2018-01-03", score="3.3333333")]
    ledger = run(FORMULA.replace("ROUNDED", "score").replace("MODE", "half_up"), rows,
                 "2018-12-31")
    assert [e.amount for e in ledger.entries] == [Decimal("0.13"), Decimal("0.14"), Decimal("3.33")]
    ledger = run(FORMULA.replace("ROUNDED", "3200.00 * (score - 1) / 4")
                 .replace("MODE", "half_up"), rows[2:], "2018-12-31")
    assert [e.amount for e in ledger.entries] == [Decimal("1866.67")]
    ledger = run(FORMULA.replace("ROUNDED", "3200.00 * (score - 1) / 4")
                 .replace("MODE", "down"), rows[2:], "2018-12-31")
    assert [e.amount for e in ledger.entries] == [Decimal("1866.66")]


RUNNING = scheme_yaml("""\
- id: result
  on: recruitment_made
  once_per: client
  accumulate: {sum: fte_years, at_least: 0.5}
  amount: 1200.00
""")


def test_decimal_sum_that_floats_get_wrong() -> None:
    # 0.2 + 0.1 + 0.2 is 0.5 exactly (as floats it is 0.49999999999999994... or more)
    rows = [_event("e1", "recruitment_made", "A", "2018-01-01", fte_years="0.2"),
            _event("e2", "recruitment_made", "A", "2018-01-02", fte_years="0.1"),
            _event("e3", "recruitment_made", "A", "2018-01-03", fte_years="0.2")]
    ledger = run(RUNNING, rows, "2018-12-31")
    assert amounts(ledger) == [("result", "A", "2018-01-03", "1200.00")]
    assert ledger.entries[0].event_ids == ("e1", "e2", "e3")


TOPUP = scheme_yaml("""\
- id: recruitment
  on: recruitment_made
  once_per: client
  amount: 300.00
  provisional: {on: recruitment_probable, amount: 150.00}
""")


def test_probable_then_realised_pays_the_difference() -> None:
    rows = [_event("e1", "recruitment_probable", "A", "2018-01-01"),
            _event("e2", "recruitment_made", "A", "2018-02-01"),
            _event("e3", "recruitment_made", "B", "2018-02-01"),
            _event("e4", "recruitment_probable", "B", "2018-03-01"),
            _event("e5", "recruitment_probable", "C", "2018-03-01")]
    ledger = run(TOPUP, rows, "2018-12-31")
    assert amounts(ledger) == [
        ("recruitment", "A", "2018-01-01", "150.00"), ("recruitment", "A", "2018-02-01", "150.00"),
        ("recruitment", "B", "2018-02-01", "300.00"), ("recruitment", "C", "2018-03-01", "150.00")]
    top_up = next(e for e in ledger.entries if e.event_ids == ("e2",))
    assert "top-up: 300.00 € less the 150.00 € paid for the probable outcome e1" in (
        top_up.explanation)


def test_only_a_probable_outcome_of_the_where_pays_and_a_share_of_a_price_tops_it_up() -> None:
    """The realised outcome pays its 50 % share of 600.00 (300.00); a probable
    one counts only where level is sure.  A: sure e1 pays 150.00, the realised
    e2 the 150.00 rest.  B's probable e3 is only likely: nothing then, the
    realised e4 pays the whole 300.00."""
    text = TOPUP.replace("amount: 300.00", "amount: {share_of: fee}").replace(
        "provisional: {on: recruitment_probable, amount: 150.00}",
        "provisional: {on: recruitment_probable, where: {level: sure}, amount: 150.00}").replace(
        "    components:", "    prices:\n      fee: {amount: 600.00, shares: {recruitment: 50%, "
        "other: 50%}}\n    components:\n      - {id: other, on: plan_completed, amount: "
        "{share_of: fee}}", 1)
    rows = [_event("e1", "recruitment_probable", "A", "2018-01-01", level="sure"),
            _event("e2", "recruitment_made", "A", "2018-02-01"),
            _event("e3", "recruitment_probable", "B", "2018-01-01", level="likely"),
            _event("e4", "recruitment_made", "B", "2018-02-01")]
    assert amounts(run(text, rows, "2018-12-31")) == [
        ("recruitment", "A", "2018-01-01", "150.00"), ("recruitment", "A", "2018-02-01", "150.00"),
        ("recruitment", "B", "2018-02-01", "300.00")]


def test_a_probable_outcome_pays_its_amount_whatever_the_realised_price_reads() -> None:
    """The realised outcome pays 1000 x fte_years; the probable one (which
    carries no fte_years) pays its fixed 150.00, not held for a missing input.
    A's realised fte_years 0.5: 500.00 - 150.00 = 350.00 top-up.  B's table
    price has no row for tier z: B's probable 150.00 still pays."""
    text = TOPUP.replace("amount: 300.00", 'amount: {formula: "1000 * fte_years"}')
    rows = [_event("e1", "recruitment_probable", "A", "2018-01-01"),
            _event("e2", "recruitment_made", "A", "2018-02-01", fte_years="0.5")]
    ledger = run(text, rows, "2018-12-31")
    assert [(e.entry_id, f"{e.amount:.2f}", e.explanation) for e in ledger.entries] == [
        ("t:1:recruitment:e1:20180101:1", "150.00",
         "recruitment pays 150.00 € to P for client A, earned 2018-01-01: recruitment_probable "
         "e1 on 2018-01-01; a probable outcome pays 150.00 € now; the realised one pays the "
         "rest. Scheme t version 1."),
        ("t:1:recruitment:e2:20180201", "350.00",
         "recruitment pays 350.00 € to P for client A, earned 2018-02-01: recruitment_made e2 "
         "on 2018-02-01; 1000 * fte_years with fte_years=0.5, rounded half up → 500.00 €; "
         "top-up: 500.00 € less the 150.00 € paid for the probable outcome e1 on 2018-01-01. "
         "Scheme t version 1.")]
    assert ledger.held == ()
    tiered = TOPUP.replace("amount: 300.00", "amount: {by: client.tier, table: {x: 300.00}}")
    ledger = run(tiered, [_enrol("e0", "B", "2017-12-01", tier="z"),
                          _event("e1", "recruitment_probable", "B", "2018-01-01")], "2018-12-31")
    assert amounts(ledger) == [("recruitment", "B", "2018-01-01", "150.00")]


VERSIONS = """
scheme: t
title: test
versions:
  - version: "2017"
    valid_from: 2017-01-01
    components:
      - {id: fee, on: employment_started, once_per: client, amount: 100.00}
      - {id: start, on: milestone_reached, amount: 1000.00}
  - version: "2018"
    valid_from: 2018-01-01
    components:
      - {id: fee, on: employment_started, once_per: client, amount: 200.00}
      - {id: start, on: milestone_reached, amount: 2000.00}
"""


def test_without_enrolment_the_date_earned_picks_the_version() -> None:
    text = VERSIONS.replace("once_per: client, amount: 100.00}",
                            "once_per: client, lasts: {months: 3}, amount: 100.00}").replace(
        "once_per: client, amount: 200.00}", "once_per: client, lasts: {months: 3}, "
        "amount: 200.00}")
    ledger = run(text, [_start("e1", "B", "2017-11-15")], "2018-12-31")
    assert [(e.earned_on.isoformat(), e.scheme_version, e.amount) for e in ledger.entries] == [
        ("2018-02-15", "2018", Decimal("200.00"))]


def test_client_is_priced_by_the_version_in_force_on_enrolment() -> None:
    rows = [_enrol("e1", "A", "2017-12-31"), _start("e2", "A", "2018-02-01"),
            _enrol("e3", "B", "2018-01-01"), _start("e4", "B", "2018-02-01"),
            _start("e5", "C", "2018-02-01"),  # no enrolment: the date it is earned
            _event("m1", "milestone_reached", None, "2017-12-31"),
            _event("m2", "milestone_reached", None, "2018-01-01"),
            _start("e6", "D", "2016-06-01")]
    ledger = run(VERSIONS, rows, "2018-12-31")
    got = [(e.client_id or e.event_ids[0], e.scheme_version, e.amount) for e in ledger.entries]
    assert sorted(got) == [("A", "2017", Decimal("100.00")), ("B", "2018", Decimal("200.00")),
                           ("C", "2018", Decimal("200.00")), ("m1", "2017", Decimal("1000.00")),
                           ("m2", "2018", Decimal("2000.00"))]
    (held,) = ledger.held
    assert held.reason == "no scheme version in force on 2016-06-01 (first: 2017-01-01)"


# --------------------------------------------------------------------------- missing data

QUALITY = scheme_yaml("""\
- id: quality
  on: survey_answered
  once_per: client
  window: {anchor: enrolled, months: 3}
  amount:
    mean_of: answers
    base: 500.00
    bands: [{at_least: 4.5, pays: 100%}, {at_least: 3.5, pays: 50%}]
  missing:
    declined_by: survey_declined
    deadline: {anchor: enrolled, months: 3}
    pays: 50%
""")


def test_an_answer_on_the_deadline_day_beats_the_deadline() -> None:
    rows = [_enrol("e1", "A", "2018-01-31"),
            _event("e2", "survey_answered", "A", "2018-04-30", answers="5;5;5")]
    assert amounts(run(QUALITY, rows, "2018-12-31")) == [
        ("quality", "A", "2018-04-30", "500.00")]


def test_a_decline_after_the_deadline_does_not_count() -> None:
    rows = [_enrol("e1", "A", "2018-01-31"), _event("e2", "survey_declined", "A", "2018-05-02")]
    ledger = run(QUALITY, rows, "2018-12-31")
    assert amounts(ledger) == [("quality", "A", "2018-04-30", "250.00")]
    assert "nothing by the deadline 2018-04-30" in ledger.entries[0].explanation


def test_a_decline_counts_from_the_anchor_to_the_deadline_day() -> None:
    """Deadline 2018-01-31 + 3 months = 2018-04-30 (clamped), 50 % of 500.00 =
    250.00.  A declines inside the period: paid on the decline.  B's decline
    is dated before the enrolment: it does not count, the deadline pays.  C
    declines on the deadline day: the decline (stage 0) pays, not the
    deadline.  D, enrolled nowhere, has no deadline to pay on."""
    rows = [_enrol("a1", "A", "2018-01-31"), _event("a2", "survey_declined", "A", "2018-02-10"),
            _enrol("b1", "B", "2018-01-31"), _event("b2", "survey_declined", "B", "2018-01-30"),
            _enrol("c1", "C", "2018-01-31"), _event("c2", "survey_declined", "C", "2018-04-30"),
            _event("d2", "survey_declined", "D", "2018-02-10")]
    ledger = run(QUALITY, rows, "2018-12-31")
    assert sorted((e.entry_id, e.event_ids, f"{e.amount:.2f}", e.explanation)
                  for e in ledger.entries) == [
        ("t:1:quality:a2:20180210", ("a2",), "250.00",
         "quality pays 250.00 € to P for client A, earned 2018-02-10: survey_declined a2 on "
         "2018-02-10, by the deadline 2018-04-30: the missing-data policy pays 50% = 250.00 €. "
         "Scheme t version 1."),
        ("t:1:quality:b1:20180430", ("b1",), "250.00",
         "quality pays 250.00 € to P for client B, earned 2018-04-30: nothing by the deadline "
         "2018-04-30 (3 months after enrolled 2018-01-31): the missing-data policy pays 50% = "
         "250.00 €. Scheme t version 1."),
        ("t:1:quality:c2:20180430", ("c2",), "250.00",
         "quality pays 250.00 € to P for client C, earned 2018-04-30: survey_declined c2 on "
         "2018-04-30, by the deadline 2018-04-30: the missing-data policy pays 50% = 250.00 €. "
         "Scheme t version 1.")]
    assert ledger.held == ()


def _versions(*versions: tuple[str, str, str], prices: tuple[str, ...] = ()) -> kasvufee.Scheme:
    """A scheme of versions, each (version, valid_from, its components as a YAML
    list at column 0), with its ``prices:`` line if given (one per version)."""
    def one(i: int, v: str, start: str, components: str) -> str:
        price = f"    prices:\n      {prices[i]}\n" if prices else ""
        return (f"  - version: '{v}'\n    valid_from: {start}\n{price}    components:\n"
                + "".join("      " + line + "\n" for line in components.splitlines()))
    return kasvufee.parse_scheme("scheme: t\ntitle: test\nversions:\n" + "".join(
        one(i, *version) for i, version in enumerate(versions)))


def test_a_deadline_is_priced_by_the_enrolment_or_else_by_its_anchor() -> None:
    component = """\
- id: quality
  on: survey_answered
  once_per: client
  amount: 400.00
  missing:
    deadline: {anchor: plan_agreed, months: 1}
    pays: PAYS"""
    scheme = _versions(("1", "2016-01-01", component.replace("PAYS", "100.00")),
                       ("2", "2018-03-01", component.replace("PAYS", "200.00")))
    rows = [_enrol("e1", "A", "2018-01-10"),
            _event("p1", "plan_agreed", "A", "2018-03-05"),
            _event("p2", "plan_agreed", "D", "2018-03-05")]
    ledger = kasvufee.evaluate(scheme, kasvufee.events_from_records(rows), dt.date(2018, 12, 31))
    # both deadlines 2018-03-05 + 1 month = 2018-04-05, no answer: A enrolled under
    # version 1, whose policy pays 100.00; D never enrolled, so its plan of 2018-03-05
    # picks version 2: 200.00
    assert sorted((e.client_id, e.scheme_version, e.earned_on.isoformat(), f"{e.amount:.2f}",
                   e.event_ids) for e in ledger.entries) == [
        ("A", "1", "2018-04-05", "100.00", ("p1",)),
        ("D", "2", "2018-04-05", "200.00", ("p2",))]
    assert ledger.held == ()


def test_quality_is_pending_until_the_deadline() -> None:
    rows = [_enrol("e1", "A", "2018-01-31")]
    ledger = run(QUALITY, rows, "2018-04-29")
    assert amounts(ledger) == []
    assert [h.reason for h in ledger.held] == [
        "pending: the condition becomes true on 2018-04-30, after 2018-04-29"]


def test_mean_band_boundary_is_exact() -> None:
    # mean 4.5 exactly pays the top band; 13/3 = 4.333... pays the middle one
    rows = [_enrol("e1", "A", "2018-01-01"),
            _event("e2", "survey_answered", "A", "2018-01-02", answers="5;4"),
            _enrol("e3", "B", "2018-01-01"),
            _event("e4", "survey_answered", "B", "2018-01-02", answers="5;4;4")]
    assert amounts(run(QUALITY, rows, "2018-12-31")) == [
        ("quality", "A", "2018-01-02", "500.00"), ("quality", "B", "2018-01-02", "250.00")]


SCALED = scheme_yaml("""\
- id: quality
  on: survey_answered
  once_per: client
  amount:
    mean_of: answers
    scale: {min: 1, max: 5}
    bands: [{at_least: 4.5, pays: 500.00}]
- id: experience
  on: survey_answered
  once_per: client
  amount: {per_answer: {5: 100.00}, scale: {min: 1, max: 5}}
""")


def test_an_answer_off_the_declared_scale_holds_the_fee() -> None:
    """Without a scale, 99 would lift a mean of 1;1;99 = 33.67 into the top band."""
    rows = [_event("e1", "survey_answered", "A", "2018-01-02", answers="1;1;99"),
            _event("e2", "survey_answered", "B", "2018-01-02", answers="5;-4;5"),
            _event("e3", "survey_answered", "C", "2018-01-02", answers="5;4")]
    ledger = run(SCALED, rows, "2018-12-31")
    assert amounts(ledger) == [("experience", "C", "2018-01-02", "100.00"),
                               ("quality", "C", "2018-01-02", "500.00")]
    assert sorted((h.component, h.client_id, h.reason) for h in ledger.held) == [
        ("experience", "A", "answers 1;1;99 outside the scale 1 to 5"),
        ("experience", "B", "answers 5;-4;5 outside the scale 1 to 5"),
        ("quality", "A", "answers 1;1;99 outside the scale 1 to 5"),
        ("quality", "B", "answers 5;-4;5 outside the scale 1 to 5")]


def test_the_star_rating_leaves_out_answers_off_the_scale() -> None:
    import datetime as dt

    from kasvufee.engine.rating import provider_ratings
    scheme = kasvufee.parse_scheme(SCALED.replace(
        "versions:", "rating: {scale: {min: 1, max: 5}}\nversions:", 1), source="s.yaml")
    rows = [_event("e1", "survey_answered", "A", "2018-01-02", answers="5;99"),
            _event("e2", "survey_answered", "B", "2018-01-02", answers="4;3")]
    table = provider_ratings(scheme, kasvufee.events_from_records(rows), dt.date(2018, 12, 31))
    assert table.to_dicts() == [{"provider_id": "P", "mean": "3.50", "answers": 1}]


def test_a_scale_must_rise() -> None:
    with pytest.raises(kasvufee.SchemeError) as info:
        kasvufee.parse_scheme(SCALED.replace("{min: 1, max: 5}}", "{min: 5, max: 5}}"),
                              source="s.yaml")
    assert "a scale whose max is above its min, got min 5 and max 5" in str(info.value)


# ----------------------------------------------------------------- evidence, prerequisites

PROVEN = scheme_yaml("""\
- id: placement
  on: employment_started
  once_per: client
  eligible: client.education == 'higher' and client.unemployed_months >= 6
  evidence: {attribute: evidence_ref, provided_by: evidence_provided}
  amount: 1800.00
""")


def test_proof_dated_before_its_event_proves_nothing() -> None:
    """pilots.md: proof is on the event or in a *later* evidence_provided."""
    rows = [_enrol("e1", "A", "2018-01-01", education="higher", unemployed_months=6),
            _event("e2", "evidence_provided", "A", "2018-01-20", for_event="e3"),
            _start("e3", "A", "2018-02-01")]
    ledger = run(PROVEN, rows, "2018-12-31")
    assert amounts(ledger) == []
    assert [(h.event_ids, h.reason) for h in ledger.held] == [
        (("e3",), "no proof: evidence_provided e2 is dated 2018-01-20, before the event")]


def test_proof_on_the_day_of_its_event_counts() -> None:
    rows = [_enrol("e1", "A", "2018-01-01", education="higher", unemployed_months=6),
            _start("e2", "A", "2018-02-01"),
            _event("e3", "evidence_provided", "A", "2018-02-01", for_event="e2")]
    assert amounts(run(PROVEN, rows, "2018-12-31")) == [("placement", "A", "2018-02-01",
                                                         "1800.00")]


def test_one_evidence_ref_proves_one_client() -> None:
    """A payslip reference reused for another client (on the event or in a
    proof) proves nothing for that client: held, naming whose it is."""
    rows = [_enrol("e1", "A", "2018-01-01", education="higher", unemployed_months=6),
            _enrol("e2", "B", "2018-01-01", education="higher", unemployed_months=6),
            _enrol("e3", "C", "2018-01-01", education="higher", unemployed_months=6),
            _start("e4", "A", "2018-02-01", evidence_ref="TS-1"),
            _start("e5", "B", "2018-02-02", evidence_ref=" TS-1"),
            _start("e6", "C", "2018-03-02"),
            _event("e7", "evidence_provided", "C", "2018-03-20", for_event="e6",
                   evidence_ref="TS-1"),
            _start("e8", "A", "2018-04-01", evidence_ref="TS-1")]
    ledger = run(PROVEN, rows, "2018-12-31")
    assert amounts(ledger) == [("placement", "A", "2018-02-01", "1800.00")]
    assert [(h.client_id, h.event_ids, h.reason) for h in ledger.held] == [
        ("B", ("e5",), "no proof: evidence_ref TS-1 already proves client A's e4"),
        ("C", ("e6",), "no proof: evidence_provided e7 names evidence_ref TS-1, which already "
                       "proves client A's e4"),
        ("A", ("e8",), "already earned once for this key by e4 on 2018-02-01")]  # A's own: fine


def test_a_proof_that_names_no_client_owns_its_reference_for_the_proven_client() -> None:
    """E's proof e2 names no client but proves E's e1 with payslip TS-7 on
    2018-02-06; G's start a month later carries the same TS-7.  The payslip is
    E's: G's reuse proves nothing.  (It was the other way round: a proof without
    a client owned nothing, so G's later event took the payslip and E's own proof
    was refused.)"""
    ok = {"education": "higher", "unemployed_months": 6}
    rows = [_enrol("E0", "E", "2018-01-01", **ok), _enrol("G0", "G", "2018-01-01", **ok),
            _start("e1", "E", "2018-02-01"),
            _event("e2", "evidence_provided", None, "2018-02-06", for_event="e1",
                   evidence_ref="TS-7"),
            _start("g1", "G", "2018-03-01", evidence_ref="TS-7")]
    ledger = run(PROVEN, rows, "2018-12-31")
    assert [(e.client_id, e.earned_on.isoformat(), e.event_ids) for e in ledger.entries] == [
        ("E", "2018-02-06", ("e1", "e2"))]
    assert [(h.client_id, h.event_ids, h.reason) for h in ledger.held] == [
        ("G", ("g1",), "no proof: evidence_ref TS-7 already proves client E's e2")]


def test_the_proof_an_entry_names_is_the_one_that_counted() -> None:
    """A's start carries TS-1: that is its proof, on its date, though a2 names it
    later too.  B's probable outcome b1 carries TS-2 but needs no proof (only
    the realised outcome is checked), so its words name none; b2 is proven by
    TS-3 and tops up 1 800.00 - 300.00."""
    text = PROVEN.replace("        amount: 1800.00", "        provisional: {on: "
                          "employment_probable, amount: 300.00}\n        amount: 1800.00")
    ok = {"education": "higher", "unemployed_months": 6}
    rows = [_enrol("A0", "A", "2018-01-01", **ok), _enrol("B0", "B", "2018-01-01", **ok),
            _start("a1", "A", "2018-02-01", evidence_ref="TS-1"),
            _event("a2", "evidence_provided", "A", "2018-03-01", for_event="a1"),
            _event("b1", "employment_probable", "B", "2018-01-20", evidence_ref="TS-2"),
            _start("b2", "B", "2018-02-01", evidence_ref="TS-3")]
    ledger = run(text, rows, "2018-12-31")
    eligible = ("client eligible: client.education == 'higher' and client.unemployed_months "
                ">= 6 (client.education=higher, client.unemployed_months=6)")
    assert [(e.entry_id, f"{e.amount:.2f}", e.event_ids, e.explanation)
            for e in ledger.entries] == [
        ("t:1:placement:b1:20180120:1", "300.00", ("b1",),
         "placement pays 300.00 € to P for client B, earned 2018-01-20: employment_probable b1 "
         f"on 2018-01-20; {eligible}; a probable outcome pays 300.00 € now; the realised one "
         "pays the rest. Scheme t version 1."),
        ("t:1:placement:a1:20180201", "1800.00", ("a1",),
         "placement pays 1800.00 € to P for client A, earned 2018-02-01: employment_started a1 "
         f"on 2018-02-01; {eligible}; proof TS-1 on the event. Scheme t version 1."),
        ("t:1:placement:b2:20180201", "1500.00", ("b2",),
         "placement pays 1500.00 € to P for client B, earned 2018-02-01: employment_started b2 "
         f"on 2018-02-01; {eligible}; proof TS-3 on the event; top-up: 1800.00 € less the "
         "300.00 € paid for the probable outcome b1 on 2018-01-20. Scheme t version 1.")]
    assert ledger.held == ()


def test_a_proofs_reference_is_read_without_the_blanks_around_it() -> None:
    # in a table built in Python (the reader trims cells itself) C's proof names
    # " TS-1 ", A's payslip: it proves nothing for C (it paid C)
    ok = {"education": "higher", "unemployed_months": 6}
    rows = [_enrol("A0", "A", "2018-01-01", **ok), _enrol("C0", "C", "2018-01-01", **ok),
            _start("a1", "A", "2018-02-01"), _start("c1", "C", "2018-03-02"),
            _event("c2", "evidence_provided", "C", "2018-03-20", for_event="c1")]
    events = kasvufee.events_from_records(rows).with_columns(
        pl.Series("evidence_ref", [None, None, "TS-1", None, " TS-1 "], dtype=pl.String))
    ledger = kasvufee.evaluate(kasvufee.parse_scheme(PROVEN), events, dt.date(2018, 12, 31))
    assert [(e.client_id, e.event_ids) for e in ledger.entries] == [("A", ("a1",))]
    assert [(h.client_id, h.event_ids, h.reason) for h in ledger.held] == [
        ("C", ("c1",), "no proof: evidence_provided c2 names evidence_ref TS-1, which already "
                       "proves client A's a1")]


def test_a_blank_reference_in_a_table_built_in_python_is_no_proof() -> None:
    # the reader makes a blank cell missing; a table built in Python can keep "  "
    # (and "", which the reader refuses): neither is a proof on the event
    ok = {"education": "higher", "unemployed_months": 6}
    rows = [_enrol("A0", "A", "2018-01-01", **ok), _enrol("B0", "B", "2018-01-01", **ok),
            _start("a1", "A", "2018-02-01"), _start("b1", "B", "2018-02-01")]
    events = kasvufee.events_from_records(rows).with_columns(
        pl.Series("evidence_ref", [None, None, "  ", ""], dtype=pl.String))
    ledger = kasvufee.evaluate(kasvufee.parse_scheme(PROVEN), events, dt.date(2018, 12, 31))
    none = "no proof: the event has no evidence_ref and no evidence_provided names it"
    assert ledger.entries == ()
    assert [(h.client_id, h.reason) for h in ledger.held] == [("A", none), ("B", none)]
    # nor is a blank reference anyone's: A's and B's later proofs, with blank
    # references of their own, each prove their client's start
    rows += [_event("a2", "evidence_provided", "A", "2018-02-10", for_event="a1"),
             _event("b2", "evidence_provided", "B", "2018-02-11", for_event="b1")]
    events = kasvufee.events_from_records(rows).with_columns(
        pl.Series("evidence_ref", [None, None, "  ", "", " ", ""], dtype=pl.String))
    ledger = kasvufee.evaluate(kasvufee.parse_scheme(PROVEN), events, dt.date(2018, 12, 31))
    assert [(e.client_id, e.earned_on.isoformat(), e.event_ids) for e in ledger.entries] == [
        ("A", "2018-02-10", ("a1", "a2")), ("B", "2018-02-11", ("b1", "b2"))]
    assert ledger.held == ()


def test_which_proof_counts_and_what_the_entry_shows() -> None:
    """Every start on 2018-02-01, every client eligible.  A's proof is on the
    event.  B has three proofs: b2 is dated before the event (refused), of
    b3 (03-05) and b4 (03-01) the earlier counts, and the entry is earned
    then.  C's reference is blank.  D's proof names another client (A).  E's
    proof names no client: it counts, earned on its date.  F has none.  A
    refused proof is named."""
    ok = {"education": "higher", "unemployed_months": 6}
    rows = [*(_enrol(f"{c}0", c, "2018-01-01", **ok) for c in "ABCDEF"),
            _start("a1", "A", "2018-02-01", evidence_ref="TS-9"),
            _start("b1", "B", "2018-02-01"),
            _event("b2", "evidence_provided", "B", "2018-01-20", for_event="b1"),
            _event("b3", "evidence_provided", "B", "2018-03-05", for_event="b1"),
            _event("b4", "evidence_provided", "B", "2018-03-01", for_event="b1"),
            _start("c1", "C", "2018-02-01", evidence_ref="  "),
            _start("d1", "D", "2018-02-01"),
            _event("d2", "evidence_provided", "A", "2018-02-05", for_event="d1"),
            _start("e1", "E", "2018-02-01"),
            _event("e2", "evidence_provided", None, "2018-02-06", for_event="e1"),
            _start("f1", "F", "2018-02-01")]
    ledger = run(PROVEN, rows, "2018-12-31")
    eligible = ("client eligible: client.education == 'higher' and client.unemployed_months "
                ">= 6 (client.education=higher, client.unemployed_months=6)")
    assert [(e.entry_id, e.event_ids, e.explanation) for e in ledger.entries] == [
        ("t:1:placement:a1:20180201", ("a1",),
         "placement pays 1800.00 € to P for client A, earned 2018-02-01: employment_started a1 "
         f"on 2018-02-01; {eligible}; proof TS-9 on the event. Scheme t version 1."),
        ("t:1:placement:e1:20180206", ("e1", "e2"),
         "placement pays 1800.00 € to P for client E, earned 2018-02-06: employment_started e1 "
         f"on 2018-02-01; {eligible}; proof evidence_provided e2 on 2018-02-06. Scheme t "
         "version 1."),
        ("t:1:placement:b1:20180301", ("b1", "b4"),
         "placement pays 1800.00 € to P for client B, earned 2018-03-01: employment_started b1 "
         f"on 2018-02-01; {eligible}; proof evidence_provided b4 on 2018-03-01. Scheme t "
         "version 1.")]
    none = "no proof: the event has no evidence_ref and no evidence_provided names it"
    assert [(h.client_id, h.event_ids, h.reason) for h in ledger.held] == [
        ("C", ("c1",), none),
        ("D", ("d1",), "no proof: evidence_provided d2 is for client A, not D"),
        ("F", ("f1",), none)]


def test_eligibility_of_a_client_not_enrolled_with_the_provider_is_unknown() -> None:
    # B is enrolled with Q only, C nowhere: their attributes are not known to P, so
    # neither is held as ineligible (a wrong reason) nor paid.  By default P is not
    # trusted with Q's client B at all; trusted with any client, B's eligibility is
    # as unknown as C's
    rows = [_enrol("e1", "B", "2018-01-01", education="higher", unemployed_months=7)
            | {"provider_id": "Q"},
            _start("e2", "B", "2018-02-01", evidence_ref="TS-1"),
            _start("e3", "C", "2018-02-01", evidence_ref="TS-2")]
    unknown = "the client has no enrolled event with this provider, so eligibility is unknown"
    ledger = run(PROVEN, rows, "2018-12-31")
    assert ledger.entries == ()
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("B", "client B is enrolled with another provider, not with P"), ("C", unknown)]
    ledger = run(PROVEN.replace("versions:", "trust: {clients: any}\nversions:", 1), rows,
                 "2018-12-31")
    assert ledger.entries == ()
    assert [(h.client_id, h.reason) for h in ledger.held] == [("B", unknown), ("C", unknown)]


def test_proof_recorded_after_as_of_is_not_known_yet() -> None:
    rows = [_enrol("e1", "A", "2018-01-01", education="higher", unemployed_months=7),
            _start("e2", "A", "2018-02-01"),
            _event("e3", "evidence_provided", "A", "2018-02-10", for_event="e2",
                   recorded_at="2018-03-05")]
    assert amounts(run(PROVEN, rows, "2018-03-04")) == []
    assert amounts(run(PROVEN, rows, "2018-03-05")) == [("placement", "A", "2018-02-10",
                                                         "1800.00")]


def test_missing_eligibility_attribute_is_held_not_paid() -> None:
    rows = [_enrol("e1", "A", "2018-01-01", education="higher"),
            _start("e2", "A", "2018-02-01", evidence_ref="TS-1")]
    ledger = run(PROVEN, rows, "2018-12-31")
    assert amounts(ledger) == []
    assert ledger.held[0].reason == (
        "client not eligible: client.education == 'higher' and client.unemployed_months >= 6 "
        "is not true (client.education=higher, client.unemployed_months=missing)")


OPTION = scheme_yaml("""\
- id: phase_2
  on: milestone_reached
  where: {milestone: phase_2_completed}
  once_per: provider
  requires: {on: milestone_reached, where: {milestone: phase_2_option_exercised}}
  amount: 24000.00
""")


def test_prerequisite_must_come_on_or_before_the_trigger() -> None:
    rows = [_event("m1", "milestone_reached", None, "2018-06-30", milestone="phase_2_completed"),
            _event("m2", "milestone_reached", None, "2018-06-30",
                   milestone="phase_2_option_exercised"),
            _event("m3", "milestone_reached", None, "2018-06-30", provider_id="Q",
                   milestone="phase_2_completed"),
            _event("m4", "milestone_reached", None, "2018-07-01", provider_id="Q",
                   milestone="phase_2_option_exercised")]
    ledger = run(OPTION, rows, "2018-12-31")
    assert [(e.provider_id, e.amount, e.event_ids) for e in ledger.entries] == [
        ("P", Decimal("24000.00"), ("m1", "m2"))]
    assert ledger.held[0].reason == (
        "requires milestone_reached (milestone phase_2_option_exercised) on or before "
        "2018-06-30; none found")


def test_conditions_of_constants_hold_or_pay_everyone_and_show_no_inputs() -> None:
    """A condition with no names (a scheme switched off or on by a constant) is
    decided all the same: 2 < 1 holds every row, 1 <= 1 pays it; its text has no
    empty list of inputs."""
    component = """\
- {id: x, on: task_done, eligible: 'COND', amount: 10.00}
- id: c
  kind: checkpoint
  months: 1
  metrics: {v: {on: task_done, count: true}}
  condition: 'COND'
  amount: 20.00
"""
    rows = [_enrol("e1", "A", "2018-01-01"), _event("e2", "task_done", "A", "2018-01-05")]
    ledger = run(scheme_yaml(component.replace("COND", "2 < 1")), rows, "2018-12-31")
    assert ledger.entries == ()
    assert [h.reason for h in ledger.held] == [
        "client not eligible: 2 < 1 is not true", "condition 2 < 1 not met"]
    ledger = run(scheme_yaml(component.replace("COND", "1 <= 1")), rows, "2018-12-31")
    assert [(e.amount, e.explanation) for e in ledger.entries] == [
        (Decimal("10.00"), "x pays 10.00 € to P for client A, earned 2018-01-05: task_done e2 "
                           "on 2018-01-05; client eligible: 1 <= 1. Scheme t version 1."),
        (Decimal("20.00"), "c pays 20.00 € to P for client A, earned 2018-02-01: checkpoint "
                           "2018-02-01 = enrolled 2018-01-01 + 1 month; condition 1 <= 1 holds. "
                           "Scheme t version 1.")]
    assert ledger.held == ()


def test_a_prerequisite_of_two_attributes_names_both() -> None:
    """The held reason spells out the whole where: both attributes, comma
    separated.  m2 is the option but not signed, so it is not the prerequisite."""
    scheme = scheme_yaml("""\
- id: phase_2
  on: milestone_reached
  where: {milestone: phase_2_completed}
  once_per: provider
  requires: {on: milestone_reached, where: {milestone: phase_2_option_exercised, signed: 'yes'}}
  amount: 24000.00
""")
    rows = [_event("m1", "milestone_reached", None, "2018-06-30", milestone="phase_2_completed"),
            _event("m2", "milestone_reached", None, "2018-06-01",
                   milestone="phase_2_option_exercised", signed="no")]
    ledger = run(scheme, rows, "2018-12-31")
    assert ledger.entries == ()
    assert [(h.event_ids, h.reason) for h in ledger.held] == [
        (("m1",), "requires milestone_reached (milestone phase_2_option_exercised, signed yes) "
                  "on or before 2018-06-30; none found")]


PLANNED = scheme_yaml("""\
- id: placement
  on: employment_started
  once_per: client
  requires: {on: plan_completed}
  amount: 500.00
""")


def test_a_clients_own_earliest_prerequisite_is_its_evidence() -> None:
    """Every start on 2018-03-01.  A has two plans: the earlier one (a2,
    2018-01-15, recorded second) is named and joins the evidence.  B's plan is
    Q's, not P's; C's is on the day itself (on or before: counts); D's comes a
    month later."""
    rows = [_event("a1", "plan_completed", "A", "2018-02-01"),
            _event("a2", "plan_completed", "A", "2018-01-15"),
            _event("a3", "employment_started", "A", "2018-03-01"),
            _event("b1", "plan_completed", "B", "2018-02-01", provider_id="Q"),
            _event("b2", "employment_started", "B", "2018-03-01"),
            _event("c1", "employment_started", "C", "2018-03-01"),
            _event("c2", "plan_completed", "C", "2018-03-01"),
            _event("d1", "plan_completed", "D", "2018-04-01"),
            _event("d2", "employment_started", "D", "2018-03-01")]
    ledger = run(PLANNED, rows, "2018-12-31")
    assert [(e.entry_id, e.event_ids, f"{e.amount:.2f}", e.explanation)
            for e in ledger.entries] == [
        ("t:1:placement:a3:20180301", ("a3", "a2"), "500.00",
         "placement pays 500.00 € to P for client A, earned 2018-03-01: employment_started a3 "
         "on 2018-03-01; after plan_completed a2 on 2018-01-15. Scheme t version 1."),
        ("t:1:placement:c1:20180301", ("c1", "c2"), "500.00",
         "placement pays 500.00 € to P for client C, earned 2018-03-01: employment_started c1 "
         "on 2018-03-01; after plan_completed c2 on 2018-03-01. Scheme t version 1.")]
    assert [(h.client_id, h.event_ids, h.reason) for h in ledger.held] == [
        ("B", ("b2",), "requires plan_completed on or before 2018-03-01; none found"),
        ("D", ("d2",), "requires plan_completed on or before 2018-03-01; none found")]


# --------------------------------------------------------------------------- checkpoints

GROWTH = scheme_yaml("""\
- id: sales_growth
  kind: checkpoint
  months: 12
  metrics:
    baseline: {on: metric_observed, where: {metric: revenue}, latest: value, until: anchor}
    current: {on: metric_observed, where: {metric: revenue}, latest: value, since: anchor,
              until: checkpoint}
  condition: current >= 1.10 * baseline
  amount: 2000.00
""")


def test_checkpoint_uses_the_latest_observation_in_each_period() -> None:
    rows = [_event("r1", "metric_observed", "K", "2017-12-01", metric="revenue", value="90000"),
            _event("r2", "metric_observed", "K", "2018-01-15", metric="revenue", value="100000"),
            _enrol("e1", "K", "2018-01-15"),
            _event("r3", "metric_observed", "K", "2018-12-31", metric="revenue", value="120000"),
            _event("r4", "metric_observed", "K", "2019-01-15", metric="revenue", value="109999"),
            _event("r5", "metric_observed", "K", "2019-01-16", metric="revenue", value="500000")]
    ledger = run(GROWTH, rows, "2019-12-31")
    # baseline r2 (on the enrolment day), checkpoint value r4 (on the checkpoint): 1.09999 < 1.1
    assert amounts(ledger) == []
    assert ledger.held[0].reason == ("condition current >= 1.10 * baseline not met "
                                     "(baseline=100000, current=109999)")
    rows[4]["value"] = "110000"
    assert amounts(run(GROWTH, rows, "2019-12-31")) == [
        ("sales_growth", "K", "2019-01-15", "2000.00")]


def test_checkpoint_before_as_of_is_pending() -> None:
    rows = [_enrol("e1", "K", "2018-02-28")]
    ledger = run(GROWTH, rows, "2019-02-27")
    assert ledger.held[0].reason == (
        "pending: decided at the checkpoint 2019-02-28, after 2019-02-27")


def test_checkpoint_condition_handles_missing_metrics_itself() -> None:
    text = GROWTH.replace("condition: current >= 1.10 * baseline",
                          "condition: coalesce(current, 0) >= 1.10 * coalesce(baseline, 0)")
    ledger = run(text, [_enrol("e1", "K", "2018-02-28")], "2019-12-31")
    assert amounts(ledger) == [("sales_growth", "K", "2019-02-28", "2000.00")]
    ledger = run(GROWTH, [_enrol("e1", "K", "2018-02-28")], "2019-12-31")
    assert ledger.held[0].reason == (
        "the condition current >= 1.10 * baseline cannot be decided: a metric is missing "
        "(baseline=missing, current=missing)")


AMENDED = """
scheme: t
title: test
versions:
  - version: "1"
    valid_from: 2017-01-01
    components:
      - {id: fee, on: employment_started, once_per: client, amount: 100.00}
  - version: "2"
    valid_from: 2018-01-01
    components:
      - {id: fee, on: employment_started, once_per: client, amount: 100.00}
      - {id: bonus, on: employment_started, once_per: client, amount: 50.00}
"""


def test_a_component_added_later_holds_clients_of_the_earlier_version() -> None:
    rows = [_enrol("e1", "A", "2017-06-01"), _start("e2", "A", "2018-02-01"),
            _enrol("e3", "B", "2018-01-01"), _start("e4", "B", "2018-02-01"),
            _start("e5", "C", "2016-02-01")]
    ledger = run(AMENDED, rows, "2018-12-31")
    assert amounts(ledger) == [("bonus", "B", "2018-02-01", "50.00"),
                               ("fee", "A", "2018-02-01", "100.00"),
                               ("fee", "B", "2018-02-01", "100.00")]
    assert sorted((h.component, h.client_id, h.reason) for h in ledger.held) == [
        ("bonus", "A", "priced by version 1 (in force on 2017-06-01), which has no component "
                       "bonus"),
        ("bonus", "C", "no scheme version in force on 2016-02-01 (first: 2017-01-01)"),
        ("fee", "C", "no scheme version in force on 2016-02-01 (first: 2017-01-01)")]


def test_formula_amount_is_bounded_by_max_amount_and_never_negative() -> None:
    text = scheme_yaml("""\
- id: bonus
  on: quality_rated
  amount: {formula: "3200.00 * (score - 1) / 4"}
  max_amount: 3200.00
""")
    rows = [_event("e1", "quality_rated", None, "2018-01-01", score="6"),
            _event("e2", "quality_rated", None, "2018-01-02", score="0")]
    ledger = run(text, rows, "2018-12-31")
    assert [e.amount for e in ledger.entries] == [Decimal("3200.00")]
    assert "4000.00 € limited to max_amount 3200.00 €" in ledger.entries[0].explanation
    assert ledger.held[0].reason == "the amount came out negative (-800.00 €)"


def test_proof_from_another_provider_does_not_count() -> None:
    rows = [_enrol("e1", "A", "2018-01-01", education="higher", unemployed_months=9),
            _start("e2", "A", "2018-02-01"),
            _event("e3", "evidence_provided", "A", "2018-02-10", for_event="e2",
                   provider_id="OTHER")]
    ledger = run(PROVEN, rows, "2018-12-31")
    assert amounts(ledger) == []
    assert [h.reason for h in ledger.held] == [
        "no proof: evidence_provided e3 is from provider OTHER, not P"]


def test_monthly_instalments_from_a_month_end_fall_on_month_ends() -> None:
    text = scheme_yaml("""\
- id: fixed
  kind: schedule
  provider: P
  amount: 1000.00
  schedule: {freq: monthly, start: 2020-01-31, count: 4}
""")
    ledger = run(text, [], "2020-12-31")
    assert [e.earned_on.isoformat() for e in ledger.entries] == [
        "2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30"]
    assert [e.period for e in ledger.entries] == ["2020-01", "2020-02", "2020-03", "2020-04"]


# ----------------------------------------------------- anchors other than enrolled

ANCHORED = """\
scheme: t
title: test
attributes: {referral_date: date}
contract: {start: 2018-01-01, end: 2018-12-31}
versions:
  - version: '1'
    valid_from: 2016-01-01
    components:
"""


def _anchored(components: str, rows: list[dict[str, object]], as_of: str) -> kasvufee.Ledger:
    scheme = kasvufee.parse_scheme(ANCHORED + "".join("      " + line + "\n"
                                                      for line in components.splitlines()))
    events = kasvufee.events_from_records(rows, attribute_types=dict(scheme.attributes))
    return kasvufee.evaluate(scheme, events, dt.date.fromisoformat(as_of))


def _paid(ledger: kasvufee.Ledger) -> list[tuple[object, ...]]:
    return sorted((e.component, e.provider_id, e.client_id, e.earned_on.isoformat(),
                   f"{e.amount:.2f}", e.event_ids) for e in ledger.entries)


def _held(ledger: kasvufee.Ledger) -> list[tuple[object, ...]]:
    return sorted((h.component, h.provider_id, h.client_id, h.event_ids, h.reason)
                  for h in ledger.held)


def test_a_window_from_another_event_counts_from_the_clients_own_first_one() -> None:
    component = """\
- id: job
  on: employment_started
  once_per: client
  window: {anchor: plan_agreed, weeks: 4}
  amount: 100.00"""
    rows = [_enrol("e1", "A", "2018-01-10"), _enrol("e2", "B", "2018-01-10"),
            _event("p1", "plan_agreed", "A", "2018-02-01"),
            _event("p2", "plan_agreed", "A", "2018-03-01"),
            _event("p4", "plan_agreed", "B", "2018-01-15"),
            _event("p5", "plan_agreed", "B", "2018-02-20", provider_id="Q"),
            _event("s1", "employment_started", "A", "2018-03-01"),
            _event("s3", "employment_started", "B", "2018-03-01"),
            _event("s4", "employment_started", "C", "2018-04-02")]
    ledger = _anchored(component, rows, "2018-12-31")
    # P/A: the first plan p1 2018-02-01 + 28 days = 2018-03-01 (p2 is not the first), s1 on
    # the last day; P/B: P's plan p4 2018-01-15 + 28 = 2018-02-12, s3 outside (Q's plan p5
    # 2018-02-20 to 2018-03-20 is not P's); P/C: no plan at all, held (not dropped)
    assert _paid(ledger) == [("job", "P", "A", "2018-03-01", "100.00", ("s1",))]
    assert _held(ledger) == [
        ("job", "P", "B", ("s3",), "outside the window: 2018-03-01 is not on or after "
         "plan_agreed 2018-01-15 and on or before 2018-02-12 (4 weeks)"),
        ("job", "P", "C", ("s4",), "no plan_agreed event for the client, so the window is "
         "unknown")]


def test_a_window_until_a_client_date_the_client_lacks_is_unknown() -> None:
    component = """\
- id: course
  on: course_completed
  window: {anchor: enrolled, until: client.referral_date}
  amount: 50.00"""
    rows = [_enrol("e1", "A", "2018-01-10", referral_date="2018-06-30"),
            _enrol("e2", "B", "2018-01-10"),
            _event("c1", "course_completed", "A", "2018-06-30"),
            _event("c2", "course_completed", "B", "2018-02-01")]
    ledger = _anchored(component, rows, "2018-12-31")
    # A: on the last day of the window; B has no referral date: its window has no end
    assert [(e.client_id, e.explanation) for e in ledger.entries] == [
        ("A", "course pays 50.00 € to P for client A, earned 2018-06-30: course_completed c1 "
              "on 2018-06-30; on or after enrolled 2018-01-10 and on or before "
              "client.referral_date 2018-06-30. Scheme t version 1.")]
    assert _held(ledger) == [
        ("course", "P", "B", ("c2",), "no client.referral_date for the client, so the window "
         "is unknown")]


def test_a_window_from_a_client_date_to_the_contract_end() -> None:
    component = """\
- id: course
  on: course_completed
  once_per: client
  window: {anchor: client.referral_date, weeks: 52, until: contract.end}
  amount: 50.00"""
    rows = [_enrol("e1", "A", "2018-01-10", referral_date="2017-06-05"),
            _enrol("e2", "B", "2018-01-10", referral_date="2018-03-05"),
            _event("c1", "course_completed", "A", "2018-06-04"),
            _event("c2", "course_completed", "B", "2019-01-02")]
    ledger = _anchored(component, rows, "2019-03-31")
    # A: 2017-06-05 + 364 days = 2018-06-04, before the contract end: c1 on the last day;
    # B: 2018-03-05 + 364 = 2019-03-04, so the contract end 2018-12-31 binds: c2 outside
    assert _paid(ledger) == [("course", "P", "A", "2018-06-04", "50.00", ("c1",))]
    assert _held(ledger) == [
        ("course", "P", "B", ("c2",), "outside the window: 2019-01-02 is not on or after "
         "client.referral_date 2018-03-05 and on or before 2018-12-31 (52 weeks or "
         "contract.end, the earlier)")]


CHECKPOINT_ON = """\
- id: active
  kind: checkpoint
  anchor: ANCHOR
  months: 3
  metrics:
    visits: {on: guidance_completed, count: true, since: anchor, until: checkpoint}
  condition: visits >= 1
  amount: 300.00"""


def test_a_checkpoint_from_another_event_is_one_row_per_client_with_it() -> None:
    rows = [_enrol("e1", "A", "2018-01-10"), _enrol("e2", "B", "2018-01-10"),
            _event("p1", "plan_agreed", "A", "2018-02-01"),
            _event("p2", "plan_agreed", "A", "2018-03-01"),
            _event("p3", "plan_agreed", "A", "2018-05-01", provider_id="Q"),
            _event("g1", "guidance_completed", "A", "2018-04-15"),
            _event("g2", "guidance_completed", "B", "2018-04-15")]
    ledger = _anchored(CHECKPOINT_ON.replace("ANCHOR", "plan_agreed"), rows, "2018-12-31")
    # P/A: first plan p1 2018-02-01 + 3 months = 2018-05-01, g1 after p1 and by then: 1 visit,
    # the entry shows the plan and the visit; Q/A (not enrolled with Q, the row stays): its
    # plan p3 2018-05-01 + 3 months = 2018-08-01, no visit with Q: 0; B has no plan: no row
    assert _paid(ledger) == [("active", "P", "A", "2018-05-01", "300.00", ("p1", "g1"))]
    assert _held(ledger) == [
        ("active", "Q", "A", ("p3",), "condition visits >= 1 not met (visits=0)")]


def test_a_checkpoint_from_the_contract_start_and_from_a_client_date() -> None:
    rows = [_enrol("e1", "A", "2018-01-10", referral_date="2017-12-04"),
            _enrol("e2", "B", "2018-02-01"),
            _event("g1", "guidance_completed", "A", "2018-03-04"),
            _event("g2", "guidance_completed", "B", "2018-04-02")]
    ledger = _anchored(CHECKPOINT_ON.replace("ANCHOR", "contract.start"), rows, "2018-12-31")
    # contract start 2018-01-01 + 3 months = 2018-04-01 for both; g1 by then, g2 a day late;
    # a contract date's row shows the enrolment
    assert _paid(ledger) == [("active", "P", "A", "2018-04-01", "300.00", ("e1", "g1"))]
    assert _held(ledger) == [
        ("active", "P", "B", ("e2",), "condition visits >= 1 not met (visits=0)")]
    ledger = _anchored(CHECKPOINT_ON.replace("ANCHOR", "client.referral_date"), rows,
                       "2018-12-31")
    # A: referred 2017-12-04 + 3 months = 2018-03-04, g1 on that day; B has no referral date
    assert _paid(ledger) == [("active", "P", "A", "2018-03-04", "300.00", ("e1", "g1"))]
    assert _held(ledger) == [
        ("active", "P", "B", ("e2",), "no client.referral_date for the client, so the "
         "checkpoint is unknown")]


TRAINED = """\
- id: trained
  kind: checkpoint
  months: 6
  metrics:
    hours: {on: training_logged, sum: hours, until: checkpoint}
    grants: {on: grant_paid, sum: euros}
    status: {on: status_reported, latest: status}
  condition: hours >= 10 and grants == 0 and is_missing(status)
  amount: 400.00"""


def test_a_checkpoint_of_sums_and_a_latest_over_attributes_no_event_has() -> None:
    rows = [_enrol("e1", "A", "2018-01-10"), _enrol("e2", "B", "2018-01-11"),
            _enrol("e3", "C", "2018-01-05"),
            _event("t1", "training_logged", "A", "2018-03-01", hours="6"),
            _event("t2", "training_logged", "A", "2018-04-01", hours="n/a"),
            _event("t3", "training_logged", "A", "2018-07-10", hours="4.5"),
            _event("g1", "grant_paid", "A", "2018-02-01"),
            _event("r1", "status_reported", "A", "2018-02-01"),
            _event("t4", "training_logged", "C", "2018-02-01", hours="9.99")]
    ledger = _anchored(TRAINED, rows, "2018-07-10")
    # A: 2018-01-10 + 6 months = 2018-07-10, the as_of day itself: decided; hours 6 + 4.5 =
    # 10.5 ("n/a" is no number, left out); g1 has no euros: a sum of 0; no event has a
    # status: missing. The entry shows the enrolment, then each metric's events in order.
    # B: 2018-01-11 + 6 months = 2018-07-11, after as_of: pending. C: 9.99 < 10 by 2018-07-05.
    assert _paid(ledger) == [("trained", "P", "A", "2018-07-10", "400.00",
                              ("e1", "t1", "t2", "t3", "g1", "r1"))]
    assert [e.explanation for e in ledger.entries] == [
        "trained pays 400.00 € to P for client A, earned 2018-07-10: checkpoint 2018-07-10 = "
        "enrolled 2018-01-10 + 6 months; condition hours >= 10 and grants == 0 and "
        "is_missing(status) holds (grants=0, hours=10.5, status=missing). Scheme t version 1."]
    assert _held(ledger) == [
        ("trained", "P", "B", ("e2",),
         "pending: decided at the checkpoint 2018-07-11, after 2018-07-10"),
        ("trained", "P", "C", ("e3", "t4"),
         "condition hours >= 10 and grants == 0 and is_missing(status) not met (grants=0, "
         "hours=9.99, status=missing)")]


def test_a_checkpoint_is_priced_by_the_enrolment_or_else_by_its_anchor() -> None:
    component = CHECKPOINT_ON.replace("ANCHOR", "plan_agreed")
    scheme = _versions(("1", "2016-01-01", component),
                       ("2", "2018-03-01", component.replace("300.00", "350.00")))
    rows = [_enrol("e1", "A", "2018-01-10"),
            _event("p1", "plan_agreed", "A", "2018-03-05"),
            _event("p2", "plan_agreed", "D", "2018-03-05"),
            _event("g1", "guidance_completed", "A", "2018-04-01"),
            _event("g2", "guidance_completed", "D", "2018-04-01")]
    ledger = kasvufee.evaluate(scheme, kasvufee.events_from_records(rows), dt.date(2018, 12, 31))
    # A enrolled 2018-01-10, under version 1: 300.00; D never enrolled: its plan p2
    # 2018-03-05 picks version 2: 350.00 (both checkpoints 2018-06-05, one visit each)
    assert sorted((e.client_id, e.scheme_version, e.earned_on.isoformat(), f"{e.amount:.2f}",
                   e.event_ids) for e in ledger.entries) == [
        ("A", "1", "2018-06-05", "300.00", ("p1", "g1")),
        ("D", "2", "2018-06-05", "350.00", ("p2", "g2"))]
    assert ledger.held == ()


SHARED_CHECKPOINT = """\
- {id: start, on: enrolled, once_per: client, amount: {share_of: fee}}
- id: active
  kind: checkpoint
  months: 3
  metrics:
    visits: {on: guidance_completed, count: true, since: anchor, until: checkpoint}
  condition: visits >= 1
  amount: {share_of: fee}"""


def test_a_checkpoint_takes_its_share_of_the_price_of_its_version() -> None:
    scheme = _versions(("1", "2016-01-01", SHARED_CHECKPOINT),
                       ("2", "2018-03-01", SHARED_CHECKPOINT),
                       prices=("fee: {amount: 1000.01, shares: {start: 50%, active: 50%}}",
                               "fee: {amount: 600.00, shares: {start: 25%, active: 75%}}"))
    rows = [_enrol("e1", "A", "2018-01-10"), _enrol("e2", "B", "2018-03-10"),
            _event("g1", "guidance_completed", "A", "2018-02-01"),
            _event("g2", "guidance_completed", "B", "2018-04-01")]
    ledger = kasvufee.evaluate(scheme, kasvufee.events_from_records(rows), dt.date(2018, 12, 31))
    # A enrolled under version 1: 1 000.01 split 50/50, the odd cent to the first share
    # (start 500.01), the checkpoint 2018-04-10 (under version 2 by its date) still takes
    # version 1's 500.00; B enrolled under version 2: 600.00 split 25/75 = 150.00 + 450.00
    assert sorted((e.component, e.client_id, e.scheme_version, e.earned_on.isoformat(),
                   f"{e.amount:.2f}", e.event_ids) for e in ledger.entries) == [
        ("active", "A", "1", "2018-04-10", "500.00", ("e1", "g1")),
        ("active", "B", "2", "2018-06-10", "450.00", ("e2", "g2")),
        ("start", "A", "1", "2018-01-10", "500.01", ("e1",)),
        ("start", "B", "2", "2018-03-10", "150.00", ("e2",))]
    assert ledger.held == ()


def test_a_checkpoint_and_an_event_fee_of_one_day_meet_a_cap_in_event_order() -> None:
    # A's enrolment e1 and job e2 are of 2018-01-05 (e1 first by id); the checkpoint
    # (from e1) and the 3-month job (from e2) are both earned on 2018-04-05, in
    # event order: the checkpoint's 300.00 first, then the job's 400.00 cut to the
    # 200.00 left of the client's 500.00 cap
    text = scheme_yaml(CHECKPOINT_ON.replace("ANCHOR", "enrolled") + """
- {id: job, on: employment_started, once_per: client, lasts: {months: 3}, amount: 400.00}
""") + "    caps:\n      - {id: per_client, per: client, amount: 500.00}\n"
    rows = [_enrol("e1", "A", "2018-01-05"), _start("e2", "A", "2018-01-05", "A-1"),
            _event("g1", "guidance_completed", "A", "2018-02-01")]
    ledger = run(text, rows, "2018-12-31")
    assert [(e.component, e.earned_on.isoformat(), f"{e.amount:.2f}",
             None if e.capped_from is None else f"{e.capped_from:.2f}")
            for e in ledger.entries] == [
        ("active", "2018-04-05", "300.00", None), ("job", "2018-04-05", "200.00", "400.00")]


def test_a_checkpoint_pays_once_per_client_across_providers() -> None:
    rows = [_enrol("e1", "A", "2018-01-10"),
            _event("p1", "plan_agreed", "A", "2018-02-01"),
            _event("p2", "plan_agreed", "A", "2018-02-01", provider_id="Q"),
            _event("g1", "guidance_completed", "A", "2018-03-01"),
            _event("g2", "guidance_completed", "A", "2018-03-01", provider_id="Q")]
    ledger = _anchored(CHECKPOINT_ON.replace("ANCHOR", "plan_agreed"), rows, "2018-12-31")
    # both plans 2018-02-01 + 3 months = 2018-05-01, one visit each: the earlier event p1 wins;
    # Q's row stays, held (an event row, not a deadline's), and the entry id has no sub-order
    assert _paid(ledger) == [("active", "P", "A", "2018-05-01", "300.00", ("p1", "g1"))]
    assert [e.entry_id for e in ledger.entries] == ["t:1:active:p1:20180501"]
    assert _held(ledger) == [
        ("active", "Q", "A", ("p2", "g2"), "already earned once for this key by p1 on 2018-05-01")]


# ------------------------------------------------- where: and formulas over event attributes

WHERE = scheme_yaml("""\
- id: "yes"
  on: visit
  where: {verified: "True", label: true}
  amount: 10.00
- id: "no"
  on: visit
  where: {verified: "false", label: false}
  amount: 20.00
- id: graded
  on: visit
  where: {grade: A}
  amount: 30.00
- id: share
  on: sale
  amount: {formula: "amount * 0.1"}
""").replace("title: test\n", "title: test\nattributes: {verified: boolean, amount: decimal}\n")


def test_where_words_for_truth_an_absent_attribute_and_an_attribute_named_amount() -> None:
    rows = [_event("v1", "visit", "A", "2018-02-01", verified=True, label="true"),
            _event("v2", "visit", "B", "2018-02-01", verified=False, label="false"),
            _event("v3", "visit", "C", "2018-02-01", verified=True, label="false"),
            _event("s1", "sale", "A", "2018-02-01", amount="1234.56")]
    scheme = kasvufee.parse_scheme(WHERE)
    events = kasvufee.events_from_records(rows, attribute_types=dict(scheme.attributes))
    ledger = kasvufee.evaluate(scheme, events, dt.date(2018, 12, 31))
    # a boolean attribute matches the words "True" and "false" (any case); a text attribute
    # matches true and false as the words "true" and "false": v1 is yes, v2 no, v3 neither;
    # no event has a grade: graded matches nothing; the sale's own amount 1234.56 * 0.1 =
    # 123.456, half up 123.46 (not the entry's amount column)
    assert amounts(ledger) == [("no", "B", "2018-02-01", "20.00"),
                               ("share", "A", "2018-02-01", "123.46"),
                               ("yes", "A", "2018-02-01", "10.00")]
    assert sorted(e.explanation for e in ledger.entries) == [
        "no pays 20.00 € to P for client B, earned 2018-02-01: visit v2 on 2018-02-01. "
        "Scheme t version 1.",
        "share pays 123.46 € to P for client A, earned 2018-02-01: sale s1 on 2018-02-01; "
        "amount * 0.1 with amount=1234.56, rounded half up → 123.46 €. Scheme t version 1.",
        "yes pays 10.00 € to P for client A, earned 2018-02-01: visit v1 on 2018-02-01. "
        "Scheme t version 1."]
    assert ledger.held == ()


# --------------------------------------------------------------------------- what evaluate adds


def test_an_answer_before_the_deadline_leaves_no_deadline_row_behind() -> None:
    # the deadline row lost to the answer; it was never an event, so it is not held either
    rows = [_enrol("e1", "A", "2018-01-31"),
            _event("e2", "survey_answered", "A", "2018-03-01", answers="5;5;5")]
    ledger = run(QUALITY, rows, "2018-12-31")
    assert amounts(ledger) == [("quality", "A", "2018-03-01", "500.00")]
    assert ledger.held == ()


def test_a_top_up_explains_itself_and_a_realised_outcome_alone_does_not() -> None:
    # A: probable 150.00 on 01-01, realised on 02-01 pays 300.00 - 150.00; B: realised
    # only, 300.00 with no top-up words
    rows = [_event("e1", "recruitment_probable", "A", "2018-01-01"),
            _event("e2", "recruitment_made", "A", "2018-02-01"),
            _event("e3", "recruitment_made", "B", "2018-02-01")]
    ledger = run(TOPUP, rows, "2018-12-31")
    assert [(e.entry_id, e.kind, e.explanation) for e in ledger.entries] == [
        ("t:1:recruitment:e1:20180101:1", "earned",
         "recruitment pays 150.00 € to P for client A, earned 2018-01-01: recruitment_probable "
         "e1 on 2018-01-01; a probable outcome pays 150.00 € now; the realised one pays the "
         "rest. Scheme t version 1."),
        ("t:1:recruitment:e2:20180201", "earned",
         "recruitment pays 150.00 € to P for client A, earned 2018-02-01: recruitment_made e2 "
         "on 2018-02-01; top-up: 300.00 € less the 150.00 € paid for the probable outcome e1 "
         "on 2018-01-01. Scheme t version 1."),
        ("t:1:recruitment:e3:20180201", "earned",
         "recruitment pays 300.00 € to P for client B, earned 2018-02-01: recruitment_made e3 "
         "on 2018-02-01. Scheme t version 1.")]


def test_an_instalment_without_events_is_named_by_its_provider() -> None:
    grant = scheme_yaml("""\
- id: grant
  kind: schedule
  provider: P
  amount: 100.00
  schedule: {every: {months: 1}, start: 2018-01-15, count: 2}
""")
    ledger = run(grant, [], "2018-12-31")
    assert [e.entry_id for e in ledger.entries] == ["t:1:grant:P:20180115:1",
                                                    "t:1:grant:P:20180215:2"]


def test_a_mistyped_as_of_is_named() -> None:
    scheme = kasvufee.parse_scheme(PLACEMENT.replace("MONTHS", "3"))
    with pytest.raises(kasvufee.UsageError) as info:
        kasvufee.evaluate(scheme, kasvufee.events_from_records([]), "2018-13-01")
    assert str(info.value) == ("as_of: expected a date or an ISO date like 2018-12-31, "
                               "got '2018-13-01'")


def _trusting(clients: str) -> str:
    return FLAT.replace("versions:", f"trust: {{clients: {clients}}}\nversions:", 1)


# Whose client is it (trust.clients)?  A: P's own; B: only Q's; C: Q's first
# (2018-01-10), P's only from 2018-04-01, after P's event of 2018-03-01; D:
# enrolled nowhere; E: P's only, from 2018-04-01 (late, but no one else's).
# Every event is P's, on 2018-03-01.
WHOSE = [_enrol("a0", "A", "2018-01-10"),
         _event("b0", "enrolled", "B", "2018-01-10", provider_id="Q"),
         _event("c0", "enrolled", "C", "2018-01-10", provider_id="Q"),
         _enrol("c1", "C", "2018-04-01"), _enrol("e1", "E", "2018-04-01"),
         *(_start(f"{c.lower()}2", c, "2018-03-01") for c in "ABCDE")]


@pytest.mark.parametrize(("clients", "paid", "held"), [
    ("own", ["A", "D", "E"], [
        ("B", "client B is enrolled with another provider, not with P"),
        ("C", "client C was enrolled with another provider on 2018-01-10, with P only on "
              "2018-04-01, after the event")]),
    ("enrolled", ["A", "C", "E"], [("B", "client B is not enrolled with P"),
                              ("D", "client D is not enrolled with P")]),
    ("any", ["A", "B", "C", "D", "E"], []),
])
def test_trust_clients_own_enrolled_or_any(clients: str, paid: list[str],
                                           held: list[tuple[str, str]]) -> None:
    ledger = run(_trusting(clients), WHOSE, "2018-12-31")
    assert amounts(ledger) == [("fee", c, "2018-03-01", "1000.00") for c in paid]
    assert sorted((h.client_id, h.reason) for h in ledger.held) == held


def test_trust_clients_own_with_a_single_enrolment() -> None:
    # the one client enrolled anywhere is Q's: P's event for B is held
    rows = [_event("b0", "enrolled", "B", "2018-01-10", provider_id="Q"),
            _start("b2", "B", "2018-03-01")]
    ledger = run(_trusting("own"), rows, "2018-12-31")
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("B", "client B is enrolled with another provider, not with P")]


def test_trust_clients_own_without_any_enrolment_holds_nothing() -> None:
    # no client is enrolled anywhere: own has no one to protect; enrolled holds all
    rows = [_start("e1", "A", "2018-03-01"), _start("e2", "B", "2018-03-02", provider_id="Q")]
    assert amounts(run(_trusting("own"), rows, "2018-12-31")) == [
        ("fee", "A", "2018-03-01", "1000.00"), ("fee", "B", "2018-03-02", "1000.00")]
    assert sorted(h.reason for h in run(_trusting("enrolled"), rows, "2018-12-31").held) == [
        "client A is not enrolled with P", "client B is not enrolled with Q"]
