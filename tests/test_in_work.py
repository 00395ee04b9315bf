"""Cumulative employment spells (abroad.md, "Employment spells"): 182 days in
work within 456 days of enrolment, across spells and gaps, overlapping spells
counted once, a spell without an end running on. Worked by hand."""

from __future__ import annotations

import pytest

import kasvufee
from kasvufee.errors import SchemeError
from tests.conftest import amounts, run

SCHEME = """\
scheme: t
title: 182 days in work within 456 days
versions:
  - version: "1"
    valid_from: 2018-01-01
    components:
      - id: in_work
        on: enrolled
        once_per: client
        in_work: {days: 182, within: {days: 456}}
        amount: 1000.00
"""


def _ev(eid: str, kind: str, client: str, day: str, job: str | None = None
        ) -> dict[str, object]:
    row: dict[str, object] = {"event_id": eid, "type": kind, "provider_id": "P1",
                              "client_id": client, "occurred_on": day}
    if job is not None:
        row["employment_id"] = job
    return row


def _with(line: str) -> str:
    """SCHEME with one more line in its component."""
    return SCHEME.replace("        amount: 1000.00", f"        {line}\n        amount: 1000.00")


ROWS = [
    # A1: J1 from 2019-01-10 to the end 2019-03-11 (the end day not in work): 60 days
    # (22 in January, 28 in February, 10 in March); J2 from 2019-05-01 runs on: the 122
    # days still needed are 2019-05-01 to 2019-08-30, earned the day after, 2019-08-31
    _ev("e1", "enrolled", "A1", "2019-01-01"),
    _ev("e2", "employment_started", "A1", "2019-01-10", "J1"),
    _ev("e3", "employment_ended", "A1", "2019-03-11", "J1"),
    _ev("e4", "employment_started", "A1", "2019-05-01", "J2"),
    # A2: 31 days in January only
    _ev("e5", "enrolled", "A2", "2019-01-01"),
    _ev("e6", "employment_started", "A2", "2019-01-01", "K1"),
    _ev("e7", "employment_ended", "A2", "2019-02-01", "K1"),
    # A3: two jobs at once from 2019-01-01 (K2 to 2019-04-01, K3 to 2019-03-01) count once:
    # 90 days; then K4 from 2019-06-01: 92 more, 2019-06-01 to 2019-08-31, earned 2019-09-01
    _ev("e8", "enrolled", "A3", "2019-01-01"),
    _ev("e9", "employment_started", "A3", "2019-01-01", "K2"),
    _ev("e10", "employment_started", "A3", "2019-01-01", "K3"),
    _ev("e11", "employment_ended", "A3", "2019-03-01", "K3"),
    _ev("e12", "employment_ended", "A3", "2019-04-01", "K2"),
    _ev("e13", "employment_started", "A3", "2019-06-01", "K4"),
    # A4: in work from before enrolment: only the days from enrolment count; the period
    # (2018-01-01 to before 2019-04-02) holds 456 days, 182 reached on 2018-07-01
    _ev("e14", "employment_started", "A4", "2017-06-01", "K5"),
    _ev("e15", "enrolled", "A4", "2018-01-01"),
]


def test_days_in_work_across_spells_and_gaps() -> None:
    ledger = run(SCHEME, ROWS, "2019-12-31")
    assert amounts(ledger) == [("in_work", "A1", "2019-08-31", "1000.00"),
                               ("in_work", "A3", "2019-09-01", "1000.00"),
                               ("in_work", "A4", "2018-07-02", "1000.00")]
    a1 = next(e for e in ledger.entries if e.client_id == "A1")
    assert a1.facts[-1] == ("day 182 in work on 2019-08-30 (spells e2, e4; the period from "
                            "2019-01-01 to before 2020-04-01)")
    assert a1.event_ids == ("e1", "e2", "e4")
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("A2", "31 days in work from 2019-01-01 to before 2020-04-01 (needs 182), across the "
               "spells known")]


def test_a_spell_that_runs_on_is_pending_until_it_reaches_the_days() -> None:
    ledger = run(SCHEME, ROWS, "2019-06-01")
    assert ("A1", "pending: the condition becomes true on 2019-08-31, after 2019-06-01") in [
        (h.client_id, h.reason) for h in ledger.held]


def test_in_work_needs_once_per_and_no_lasts() -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(SCHEME.replace("        once_per: client\n", ""),
                              source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:7: versions.0.components.0: expected once_per and no lasts with in_work (the "
        "days in work are the duration), got once_per: event"]


def test_spells_without_ids_another_providers_and_one_past_the_period() -> None:
    """Each enrolled on 2019-01-01; the period runs to before 2020-04-01.
    B1's spells have no employment ids, so they are matched by the client: an
    end of 2018-12-01 is an earlier job's; 2019-01-01 to 2019-02-01 is 31 days;
    from 2019-03-01 the spell runs on, and the 151 still needed end on
    2019-07-29 (31 + 30 + 31 + 30 + 29), earned the day after.  B2 works for
    P2, not for P1: 0 days.  B3's job from 2019-10-03 runs past the period:
    only 181 days fall in it (29 + 30 + 31 + 31 + 29 + 31)."""
    rows = [_ev("b1", "enrolled", "B1", "2019-01-01"),
            _ev("b2", "employment_ended", "B1", "2018-12-01"),
            _ev("b3", "employment_started", "B1", "2019-01-01"),
            _ev("b4", "employment_ended", "B1", "2019-02-01"),
            _ev("b5", "employment_started", "B1", "2019-03-01"),
            _ev("c1", "enrolled", "B2", "2019-01-01"),
            {**_ev("c2", "employment_started", "B2", "2019-01-01", "Q1"), "provider_id": "P2"},
            _ev("d1", "enrolled", "B3", "2019-01-01"),
            _ev("d2", "employment_started", "B3", "2019-10-03", "J9")]
    ledger = run(SCHEME, rows, "2020-12-31")
    assert [(e.entry_id, e.event_ids, e.explanation) for e in ledger.entries] == [
        ("t:1:in_work:b1:20190730", ("b1", "b3", "b5"),
         "in_work pays 1000.00 € to P1 for client B1, earned 2019-07-30: enrolled b1 on "
         "2019-01-01; day 182 in work on 2019-07-29 (spells b3, b5; the period from 2019-01-01 "
         "to before 2020-04-01). Scheme t version 1.")]
    period = "from 2019-01-01 to before 2020-04-01 (needs 182), across the spells known"
    assert [(h.client_id, h.event_ids, h.reason) for h in ledger.held] == [
        ("B2", ("c1",), f"0 days in work {period}"),
        ("B3", ("d1",), f"181 days in work {period}")]


def test_a_probable_outcome_pays_now_and_a_spell_with_no_end_anywhere_runs_on() -> None:
    """With ``provisional``: A's probable outcome (2019-01-05) pays 100.00 now,
    though A has no day in work (its realised outcome is held).  B's only
    spell has no id and the client has no end at all: it runs on from
    2019-01-01, day 182 is 2019-07-01 (31 + 28 + 31 + 30 + 31 + 30 + 1)."""
    scheme = _with("provisional: {on: placement_probable, amount: 100.00}")
    rows = [_ev("a1", "enrolled", "A", "2019-01-01"),
            _ev("a2", "placement_probable", "A", "2019-01-05"),
            _ev("b1", "enrolled", "B", "2019-01-01"),
            _ev("b2", "employment_started", "B", "2019-01-01")]
    ledger = run(scheme, rows, "2020-12-31")
    assert [(e.entry_id, f"{e.amount:.2f}", e.event_ids, e.explanation)
            for e in ledger.entries] == [
        ("t:1:in_work:a2:20190105:1", "100.00", ("a2",),
         "in_work pays 100.00 € to P1 for client A, earned 2019-01-05: placement_probable a2 on "
         "2019-01-05; a probable outcome pays 100.00 € now; the realised one pays the rest. "
         "Scheme t version 1."),
        ("t:1:in_work:b1:20190702", "1000.00", ("b1", "b2"),
         "in_work pays 1000.00 € to P1 for client B, earned 2019-07-02: enrolled b1 on "
         "2019-01-01; day 182 in work on 2019-07-01 (spells b2; the period from 2019-01-01 to "
         "before 2020-04-01). Scheme t version 1.")]
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("A", "0 days in work from 2019-01-01 to before 2020-04-01 (needs 182), across the "
              "spells known")]


def test_nested_spells_a_spell_past_the_period_and_a_one_day_job() -> None:
    """Each enrolled on 2019-01-01 (the period to before 2020-04-01).  G's
    J1 from 2019-01-01 to 2019-07-01 is 181 days (31 + 28 + 31 + 30 + 31 +
    30); J2 and J3 fall inside it and add nothing.  H's job from 2019-10-03
    ended on 2020-06-01, after the period: 181 days fall in it.  K's J6
    ended on the day it started, no day in work and no spell; J7 from
    2019-02-01 runs on: day 182 is 2019-08-01 (28 + 31 + 30 + 31 + 30 + 31 +
    1).  M's job of exactly 182 days (2019-01-01 to 2019-07-02) reaches them
    on its last day."""
    def job(client: str, jid: str, start: str, end: str) -> list[dict[str, object]]:
        return [_ev(f"{jid}s", "employment_started", client, start, jid),
                _ev(f"{jid}e", "employment_ended", client, end, jid)]

    rows = [_ev("g0", "enrolled", "G", "2019-01-01"),
            *job("G", "J1", "2019-01-01", "2019-07-01"),
            *job("G", "J2", "2019-02-01", "2019-02-10"),
            *job("G", "J3", "2019-03-01", "2019-03-10"),
            _ev("h0", "enrolled", "H", "2019-01-01"), *job("H", "J5", "2019-10-03", "2020-06-01"),
            _ev("k0", "enrolled", "K", "2019-01-01"), *job("K", "J6", "2019-01-01", "2019-01-01"),
            _ev("J7s", "employment_started", "K", "2019-02-01", "J7"),
            _ev("m0", "enrolled", "M", "2019-01-01"), *job("M", "J8", "2019-01-01", "2019-07-02")]
    ledger = run(SCHEME, rows, "2020-12-31")
    assert [(e.client_id, e.earned_on.isoformat(), e.event_ids, e.facts[-1])
            for e in ledger.entries] == [
        ("M", "2019-07-02", ("m0", "J8s"), "day 182 in work on 2019-07-01 (spells J8s; the "
                                           "period from 2019-01-01 to before 2020-04-01)"),
        ("K", "2019-08-02", ("k0", "J7s"), "day 182 in work on 2019-08-01 (spells J7s; the "
                                           "period from 2019-01-01 to before 2020-04-01)")]
    period = "from 2019-01-01 to before 2020-04-01 (needs 182), across the spells known"
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("G", f"181 days in work {period}"), ("H", f"181 days in work {period}")]


def test_a_proof_later_than_the_days_in_work_dates_the_entry() -> None:
    """B's 182nd day in work is 2019-07-01 (from 2019-01-01), but the proof
    of the enrolment comes on 2019-12-01: earned then, the later of the two."""
    scheme = _with("evidence: {attribute: evidence_ref, provided_by: evidence_provided}")
    rows = [_ev("b1", "enrolled", "B", "2019-01-01"),
            _ev("b2", "employment_started", "B", "2019-01-01"),
            {**_ev("p1", "evidence_provided", "B", "2019-12-01"), "for_event": "b1"}]
    ledger = run(scheme, rows, "2020-12-31")
    assert [(e.entry_id, e.event_ids, e.explanation) for e in ledger.entries] == [
        ("t:1:in_work:b1:20191201", ("b1", "p1", "b2"),
         "in_work pays 1000.00 € to P1 for client B, earned 2019-12-01: enrolled b1 on "
         "2019-01-01; proof evidence_provided p1 on 2019-12-01; day 182 in work on 2019-07-01 "
         "(spells b2; the period from 2019-01-01 to before 2020-04-01). Scheme t version 1.")]
