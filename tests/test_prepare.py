"""What was known on the evaluation date (engine/prepare.py), one rule at a
time: recorded by the end of ``as_of``, voids applied (whose voids count, voids
of voids, several voids of one event), the clients' attributes from their
first enrolment; every case with the euros it leaves and ``ledger.voided``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from kasvufee.engine.prepare import prepare
from tests.conftest import amounts, events, run, scheme_yaml

FEE = scheme_yaml("""\
- id: fee
  on: employment_started
  amount: 100.00
""")


def _start(eid: str, client: str | None, day: str, provider: str = "P",
           **kw: object) -> dict[str, object]:
    return {"event_id": eid, "type": "employment_started", "provider_id": provider,
            "client_id": client, "occurred_on": day, **kw}


def _void(eid: str, target: str | None, day: str, provider: str = "P",
          **kw: object) -> dict[str, object]:
    return {"event_id": eid, "type": "event_voided", "provider_id": provider,
            "client_id": None, "occurred_on": day, "voids": target, **kw}


def test_known_means_recorded_by_the_end_of_as_of() -> None:
    # as_of 2018-04-01: recorded 23:59:59 that day is known, at midnight after it is not
    rows = [_start("e1", "A", "2018-03-01", recorded_at="2018-04-01T23:59:59"),
            _start("e2", "B", "2018-03-01", recorded_at="2018-04-02T00:00:00")]
    assert amounts(run(FEE, rows, "2018-04-01")) == [("fee", "A", "2018-03-01", "100.00")]


def test_a_void_of_a_void_of_a_void_removes_the_event() -> None:
    # v3 stands (nothing voids it) and cancels v2, so v1 stands and removes e1
    rows = [_start("e1", "A", "2018-03-01"), _start("e2", "B", "2018-03-01"),
            _void("v1", "e1", "2018-03-10"), _void("v2", "v1", "2018-03-11"),
            _void("v3", "v2", "2018-03-12")]
    ledger = run(FEE, rows, "2018-12-31")
    assert amounts(ledger) == [("fee", "B", "2018-03-01", "100.00")]
    assert dict(ledger.voided) == {"e1": "v1", "v2": "v3"}


def test_an_event_voided_twice_stays_voided_when_one_void_is_voided() -> None:
    # v1 and v2 both void e1; v3 voids v1: v2 still removes e1.  Voiding v2 too
    # (v4) restores e1
    rows = [_start("e1", "A", "2018-03-01"), _void("v1", "e1", "2018-03-10"),
            _void("v2", "e1", "2018-03-10"), _void("v3", "v1", "2018-03-11")]
    ledger = run(FEE, rows, "2018-12-31")
    assert (amounts(ledger), dict(ledger.voided)) == ([], {"e1": "v2", "v1": "v3"})
    ledger = run(FEE, [*rows, _void("v4", "v2", "2018-03-12")], "2018-12-31")
    assert amounts(ledger) == [("fee", "A", "2018-03-01", "100.00")]
    assert dict(ledger.voided) == {"v1": "v3", "v2": "v4"}


def test_two_standing_voids_of_one_event_name_the_last_by_id() -> None:
    rows = [_start("e1", "A", "2018-03-01"), _void("v2", "e1", "2018-03-10"),
            _void("v1", "e1", "2018-03-11")]
    ledger = run(FEE, rows, "2018-12-31")
    assert (amounts(ledger), dict(ledger.voided)) == ([], {"e1": "v2"})


def test_voids_in_a_cycle_settle_nothing() -> None:
    # v1 voids v2 and v2 voids v1: neither stands (and neither is listed); v3,
    # which nothing voids, removes e2; A's e1 pays
    rows = [_start("e1", "A", "2018-03-01"), _start("e2", "B", "2018-03-01"),
            _void("v1", "v2", "2018-03-10"), _void("v2", "v1", "2018-03-10"),
            _void("v3", "e2", "2018-03-10")]
    ledger = run(FEE, rows, "2018-12-31")
    assert amounts(ledger) == [("fee", "A", "2018-03-01", "100.00")]
    assert dict(ledger.voided) == {"e2": "v3"}


def test_a_void_without_a_target_or_of_an_unknown_event() -> None:
    # a void naming no event removes nothing; one naming an event not in the table
    # is listed (the event may come later) and removes nothing that pays
    rows = [_start("e1", "A", "2018-03-01"), _void("v1", None, "2018-03-10"),
            _void("v2", "x9", "2018-03-10")]
    ledger = run(FEE, rows, "2018-12-31")
    assert amounts(ledger) == [("fee", "A", "2018-03-01", "100.00")]
    assert dict(ledger.voided) == {"x9": "v2"}


def test_whose_voids_count() -> None:
    # P's event e1, voided by Q (v1) and by the buyer B (v2, with buyer_id: B), and
    # P's event e2 voided by P itself (v3)
    rows = [_start("e1", "A", "2018-03-01"), _start("e2", "C", "2018-03-01"),
            _void("v1", "e1", "2018-03-10", provider="Q")]
    # trust voids: own (the default): Q's void does not count
    ledger = run(FEE, rows, "2018-12-31")
    assert (len(amounts(ledger)), dict(ledger.voided)) == (2, {})
    # nor does it with a buyer that is not Q
    buyer = FEE.replace("versions:", "trust: {buyer_id: B}\nversions:", 1)
    assert dict(run(buyer, rows, "2018-12-31").voided) == {}
    # the buyer's void and the provider's own do
    more = [*rows, _void("v2", "e1", "2018-03-11", provider="B"),
            _void("v3", "e2", "2018-03-11")]
    ledger = run(buyer, more, "2018-12-31")
    assert (amounts(ledger), dict(ledger.voided)) == ([], {"e1": "v2", "e2": "v3"})
    # trust voids: any: Q's void counts
    anyone = FEE.replace("versions:", "trust: {voids: any}\nversions:", 1)
    ledger = run(anyone, rows, "2018-12-31")
    assert (amounts(ledger), dict(ledger.voided)) == (
        [("fee", "C", "2018-03-01", "100.00")], {"e1": "v1"})


def test_a_client_is_who_its_first_enrolment_says() -> None:
    # A enrolled twice with P (high, then low): the first enrolment's risk class counts;
    # A's enrolment with Q is Q's client; an enrolment without a client is nobody's
    text = scheme_yaml("""\
- id: fee
  on: employment_started
  amount: {by: client.risk_class, table: {high: 300.00, low: 100.00}}
""")
    rows = [{"event_id": "n1", "type": "enrolled", "provider_id": "P", "client_id": "A",
             "occurred_on": "2018-01-01", "risk_class": "high"},
            {"event_id": "n2", "type": "enrolled", "provider_id": "P", "client_id": "A",
             "occurred_on": "2018-01-02", "risk_class": "low"},
            {"event_id": "n3", "type": "enrolled", "provider_id": "Q", "client_id": "A",
             "occurred_on": "2018-01-03", "risk_class": "low"},
            {"event_id": "n4", "type": "enrolled", "provider_id": "P", "client_id": None,
             "occurred_on": "2018-01-01", "risk_class": "high"},
            _start("e1", "A", "2018-03-01"), _start("e2", "A", "2018-03-01", provider="Q"),
            _start("e3", None, "2018-03-01")]
    ledger = run(text, rows, "2018-12-31")
    assert [(e.provider_id, e.client_id, e.amount) for e in ledger.entries] == [
        ("P", "A", Decimal("300.00")), ("Q", "A", Decimal("100.00"))]
    # e3 has no client: the enrolment without one gives it no risk class
    assert [(h.event_ids, h.reason) for h in ledger.held] == [
        (("e3",), "missing client.risk_class (needs one of high, low)")]


def test_a_void_voided_twice_stands_only_when_both_voids_of_it_fall() -> None:
    # v2 and v3 void v1 (which voids e1); v4 voids v2, and v6 voids v3 but v7 voids v6:
    # v7 stands, so v6 falls and v3 stands; v4 stands, so v2 falls; v3 still cancels
    # v1, so e1 pays.  (v1 would stand, and remove e1, if one fallen void of it were
    # enough)
    rows = [_start("e1", "A", "2018-03-01"), _void("v1", "e1", "2018-03-10"),
            _void("v2", "v1", "2018-03-11"), _void("v3", "v1", "2018-03-11"),
            _void("v4", "v2", "2018-03-12"), _void("v6", "v3", "2018-03-12"),
            _void("v7", "v6", "2018-03-13")]
    ledger = run(FEE, rows, "2018-12-31")
    assert amounts(ledger) == [("fee", "A", "2018-03-01", "100.00")]
    assert dict(ledger.voided) == {"v1": "v3", "v2": "v4", "v6": "v7"}


def test_a_plain_void_before_a_chain_does_not_stop_the_chain() -> None:
    # v0 removes e0 and is listed first; the chain v3 -> v2 -> v1 -> e1 still settles:
    # v3 stands, v2 falls, v1 stands and removes e1
    rows = [_void("v0", "e0", "2018-03-09"), _start("e0", "B", "2018-03-01"),
            _start("e1", "A", "2018-03-01"), _void("v1", "e1", "2018-03-10"),
            _void("v2", "v1", "2018-03-11"), _void("v3", "v2", "2018-03-12")]
    ledger = run(FEE, rows, "2018-12-31")
    assert (amounts(ledger), dict(ledger.voided)) == ([], {"e0": "v0", "e1": "v1", "v2": "v3"})


def test_the_event_order_is_not_a_client_attribute() -> None:
    # ord, the engine's rank of an event, is no attribute of the enrolment:
    # client.ord is missing like any attribute the events do not carry
    text = scheme_yaml("""\
- id: fee
  on: employment_started
  eligible: client.ord == "0"
  amount: 100.00
""")
    rows = [{"event_id": "n1", "type": "enrolled", "provider_id": "P", "client_id": "A",
             "occurred_on": "2018-01-01"}, _start("e1", "A", "2018-02-01")]
    ledger = run(text, rows, "2018-12-31")
    assert (ledger.entries, [h.reason for h in ledger.held]) == (
        (), ['client not eligible: client.ord == "0" is not true (client.ord=missing)'])


def test_the_explanations_name_the_schemes_currency() -> None:
    text = scheme_yaml("- {id: grant, kind: schedule, provider: P, amount: 10.00, "
                       "schedule: {dates: [2018-01-01]}}\n").replace(
        "title: test\n", "title: test\ncurrency: GBP\n")
    ledger = run(text, [], "2018-12-31")
    assert [e.explanation for e in ledger.entries] == [
        "grant pays £10.00 to P (contract level), earned 2018-01-01: instalment 1 of 1 due on "
        "2018-01-01: £10.00. Scheme t version 1."]


def test_ord_ranks_the_events_as_int64() -> None:
    # (occurred_on, recorded_at, event_id): e3 happened first; e1 and e2 on one day and
    # recorded at once go by id; e0 was recorded later that day
    rows = [_start("e2", "A", "2018-03-02", recorded_at="2018-03-02T09:00:00"),
            _start("e0", "A", "2018-03-02", recorded_at="2018-03-02T10:00:00"),
            _start("e1", "A", "2018-03-02", recorded_at="2018-03-02T09:00:00"),
            _start("e3", "A", "2018-03-01")]
    p = prepare(events(rows), dt.date(2018, 12, 31))
    assert p.events.select("ord", "event_id").rows() == [(0, "e3"), (1, "e1"), (2, "e2"),
                                                         (3, "e0")]
    assert p.events.schema["ord"] == pl.Int64
