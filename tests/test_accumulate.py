"""A running sum (``accumulate``) counts only events that themselves qualify
(abroad.md, "Running sums and evidence"): an unproven event never crosses the
threshold for the others and never blocks a later proven one; an event whose
proof comes later counts from its qualifying date (the later of its own date
and the proof's), in order of qualifying date, then event order.  Days and
dates worked out by hand from the Work and Health Programme's self-employed
outcome (182 days)."""

from __future__ import annotations

import datetime as dt

import polars as pl

import kasvufee
from tests.conftest import amounts, run, scheme_yaml

SELF_EMPLOYED = scheme_yaml("""\
- id: outcome_self_employed
  on: self_employment_reported
  once_per: client
  evidence: {attribute: evidence_ref, provided_by: evidence_provided}
  accumulate: {sum: days, at_least: 182}
  amount: 3500.00
""").replace("scheme: t\n", "scheme: t\nattributes: {days: integer}\n")


def _report(eid: str, day: str, days: int, proof: str | None = None) -> dict[str, object]:
    row: dict[str, object] = {"event_id": eid, "type": "self_employment_reported",
                              "provider_id": "CPA1", "client_id": "A3", "occurred_on": day,
                              "days": days}
    if proof:
        row["evidence_ref"] = proof
    return row


def _proof(eid: str, day: str, for_event: str) -> dict[str, object]:
    return {"event_id": eid, "type": "evidence_provided", "provider_id": "CPA1",
            "client_id": "A3", "occurred_on": day, "for_event": for_event,
            "evidence_ref": f"SE-{for_event}"}


def test_an_unproven_report_does_not_block_a_proven_one() -> None:
    # 100 proven + 90 never proven would "cross" at e2; only 100 + 90 proven (e3) counts
    rows = [_report("e1", "2018-03-01", 100, "SE-1"), _report("e2", "2018-04-01", 90),
            _report("e3", "2018-05-01", 90, "SE-3")]
    ledger = run(SELF_EMPLOYED, rows, "2018-12-31")
    assert amounts(ledger) == [("outcome_self_employed", "A3", "2018-05-01", "3500.00")]
    assert ledger.entries[0].event_ids == ("e1", "e3")
    assert [h.reason for h in ledger.held] == [
        "no proof: the event has no evidence_ref and no evidence_provided names it"]


def test_late_proof_counts_from_its_qualifying_date() -> None:
    # qualifying dates: e1 03-01, e2 09-01 (its proof), e3 05-01: the sum reaches
    # 100 + 90 = 190 at e3 on 2018-05-01, before e2 qualifies
    rows = [_report("e1", "2018-03-01", 100, "SE-1"), _report("e2", "2018-04-01", 90),
            _report("e3", "2018-05-01", 90, "SE-3"), _proof("p2", "2018-09-01", "e2")]
    ledger = run(SELF_EMPLOYED, rows, "2018-12-31")
    assert amounts(ledger) == [("outcome_self_employed", "A3", "2018-05-01", "3500.00")]
    assert ledger.entries[0].event_ids == ("e1", "e3")
    assert [h.reason for h in ledger.held] == ["days already reached 182 earlier"]


def test_the_report_that_reaches_the_sum_by_its_late_proof_earns_on_the_proof() -> None:
    # abroad scenario A3: 90 days proven on 2018-05-06, 92 days reported 2018-08-04 and
    # proven on 2018-10-01: 182 on 2018-10-01, with the proof among the entry's events
    rows = [_report("e8", "2018-05-06", 90, "SE-A3-1"), _report("e9", "2018-08-04", 92),
            _proof("e10", "2018-10-01", "e9")]
    ledger = run(SELF_EMPLOYED, rows, "2018-12-31")
    assert amounts(ledger) == [("outcome_self_employed", "A3", "2018-10-01", "3500.00")]
    assert ledger.entries[0].event_ids == ("e8", "e9", "e10")
    assert ledger.entries[0].explanation == (
        "outcome_self_employed pays 3500.00 € to CPA1 for client A3, earned 2018-10-01: "
        "self_employment_reported e9 on 2018-08-04; proof evidence_provided e10 on "
        "2018-10-01; days summed over 2 events = 182 ≥ 182. Scheme t version 1.")


EARNINGS = scheme_yaml("""\
- id: outcome_employed
  on: earnings_reported
  once_per: client
  window: {anchor: enrolled, days: 637}
  accumulate: {sum: amount, at_least: 3257.28}
  amount: 3500.00
- id: bonus
  on: earnings_reported
  amount: {formula: amount * 0.1}
""").replace("scheme: t\n", "scheme: t\nattributes: {amount: decimal}\n")


def test_an_attribute_named_amount_is_the_events_not_the_fee() -> None:
    # the earnings events of abroad.md carry an `amount`, as the ledger does: the running
    # sum and the formula read the event's (3257.27 + 0.01 = 3257.28 on 2018-07-31)
    rows = [{"event_id": "e11", "type": "enrolled", "provider_id": "CPA1", "client_id": "A4",
             "occurred_on": "2018-04-03"},
            {"event_id": "e12", "type": "earnings_reported", "provider_id": "CPA1",
             "client_id": "A4", "occurred_on": "2018-06-29", "amount": "3257.27"},
            {"event_id": "e13", "type": "earnings_reported", "provider_id": "CPA1",
             "client_id": "A4", "occurred_on": "2018-07-31", "amount": "0.01"}]
    scheme = kasvufee.parse_scheme(EARNINGS)
    events = kasvufee.events_from_records(rows, attribute_types=dict(scheme.attributes))
    ledger = kasvufee.evaluate(scheme, events, dt.date(2018, 12, 31))
    assert amounts(ledger) == [("bonus", "A4", "2018-06-29", "325.73"),
                               ("bonus", "A4", "2018-07-31", "0.00"),
                               ("outcome_employed", "A4", "2018-07-31", "3500.00")]
    employed = next(e for e in ledger.entries if e.component == "outcome_employed")
    assert employed.event_ids == ("e12", "e13")
    assert "amount summed over 2 events = 3257.28 ≥ 3257.28" in employed.explanation


PROBABLE = scheme_yaml("""\
- id: recruitment
  on: recruitment_made
  once_per: client
  accumulate: {sum: fte_years, at_least: 0.5}
  provisional: {on: recruitment_probable, amount: 10.00}
  amount: 100.00
""")


def test_a_probable_outcome_takes_no_part_in_the_sum_and_same_day_events_go_in_order() -> None:
    """A's probable outcome carries fte_years 0.9 but is not a realised one:
    the sum crosses 0.5 at a2 (0.3 + 0.3 = 0.6), and the top-up pays 100.00 -
    10.00 = 90.00.  B's three on one day go by event order: b1 0.2 + b2 0.3 =
    0.5 crosses at b2; b3 comes after the crossing."""
    rows = [_made_as("p1", "recruitment_probable", "A", "2018-01-01", "0.9"),
            _made_as("a1", "recruitment_made", "A", "2018-01-02", "0.3"),
            _made_as("a2", "recruitment_made", "A", "2018-01-03", "0.3"),
            _made_as("b3", "recruitment_made", "B", "2018-01-03", "0.1"),
            _made_as("b2", "recruitment_made", "B", "2018-01-03", "0.3"),
            _made_as("b1", "recruitment_made", "B", "2018-01-03", "0.2")]
    ledger = run(PROBABLE, rows, "2018-12-31")
    assert [(e.entry_id, f"{e.amount:.2f}", e.event_ids, e.explanation)
            for e in ledger.entries] == [
        ("t:1:recruitment:p1:20180101:1", "10.00", ("p1",),
         "recruitment pays 10.00 € to P for client A, earned 2018-01-01: recruitment_probable "
         "p1 on 2018-01-01; a probable outcome pays 10.00 € now; the realised one pays the "
         "rest. Scheme t version 1."),
        ("t:1:recruitment:a1:20180103", "90.00", ("a1", "a2"),
         "recruitment pays 90.00 € to P for client A, earned 2018-01-03: recruitment_made a2 "
         "on 2018-01-03; fte_years summed over 2 events = 0.6 ≥ 0.5; top-up: 100.00 € less "
         "the 10.00 € paid for the probable outcome p1 on 2018-01-01. Scheme t version 1."),
        ("t:1:recruitment:b1:20180103", "100.00", ("b1", "b2"),
         "recruitment pays 100.00 € to P for client B, earned 2018-01-03: recruitment_made b2 "
         "on 2018-01-03; fte_years summed over 2 events = 0.5 ≥ 0.5. Scheme t version 1.")]
    assert [(h.client_id, h.event_ids, h.reason) for h in ledger.held] == [
        ("B", ("b3",), "fte_years already reached 0.5 earlier")]


def _made_as(eid: str, kind: str, client: str, day: str, fte: str) -> dict[str, object]:
    return {"event_id": eid, "type": kind, "provider_id": "P", "client_id": client,
            "occurred_on": day, "fte_years": fte}


def test_a_value_that_is_not_a_number_adds_nothing_and_says_so() -> None:
    """From a table built without the scheme's types (the reader refuses such a
    cell): A's a2 'n/a' is held, named, and adds nothing, so A crosses 0.5 at a3
    (0.3 + 0.2) with two events counted; B's missing value adds 0."""
    rows = [_made_as("a1", "recruitment_made", "A", "2018-01-02", "0.3"),
            _made_as("a2", "recruitment_made", "A", "2018-01-03", "0.3"),
            _made_as("a3", "recruitment_made", "A", "2018-01-04", "0.2"),
            _made_as("b1", "recruitment_made", "B", "2018-01-04", "0.6")]
    events = kasvufee.events_from_records(rows).with_columns(
        pl.Series("fte_years", ["0.3", "n/a", "0.2", None]))
    ledger = kasvufee.evaluate(kasvufee.parse_scheme(PROBABLE), events, dt.date(2018, 12, 31))
    assert [(e.entry_id, f"{e.amount:.2f}", e.event_ids, e.explanation)
            for e in ledger.entries] == [
        ("t:1:recruitment:a1:20180104", "100.00", ("a1", "a3"),
         "recruitment pays 100.00 € to P for client A, earned 2018-01-04: recruitment_made a3 "
         "on 2018-01-04; fte_years summed over 2 events = 0.5 ≥ 0.5. Scheme t version 1.")]
    assert [(h.client_id, h.event_ids, h.reason) for h in ledger.held] == [
        ("A", ("a2",), "fte_years n/a is not a number"),
        ("B", ("b1",), "running fte_years 0 below 0.5")]
