"""A cap per client whose amount comes from a table by a client attribute (the
Innovation Fund's outcome payments per participant: 8 200.00 in round 1,
11 700.00 in round 2); the euros worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import kasvufee
from kasvufee.errors import SchemeError
from tests.conftest import amounts

SCHEME = """\
scheme: t
title: per-participant caps by round
currency: GBP
attributes: {round: integer}
versions:
  - version: "1"
    valid_from: 2012-04-01
    components:
      - {id: qual_level3, on: qualification_achieved, once_per: client, amount: 5000.00}
      - {id: first_employment, on: employment_started, once_per: client, amount: 5000.00}
    caps:
      - id: participant
        per: client
        amount: {by: client.round, table: {1: 8200.00, 2: 11700.00}}
"""


def _run(text: str = SCHEME) -> kasvufee.Ledger:
    rows: list[dict[str, object]] = []
    for client, round_ in (("R1", 1), ("R2", 2), ("R0", None)):
        rows += [{"event_id": f"{client}-e", "type": "enrolled", "provider_id": "ADV",
                  "client_id": client, "occurred_on": "2013-01-07", "round": round_},
                 {"event_id": f"{client}-q", "type": "qualification_achieved",
                  "provider_id": "ADV", "client_id": client, "occurred_on": "2013-06-28"},
                 {"event_id": f"{client}-j", "type": "employment_started",
                  "provider_id": "ADV", "client_id": client, "occurred_on": "2014-09-01"}]
    scheme = kasvufee.parse_scheme(text)
    events = kasvufee.events_from_records(rows, attribute_types=dict(scheme.attributes))
    return kasvufee.evaluate(scheme, events, dt.date(2015, 12, 31))


def test_each_round_has_its_own_limit() -> None:
    # round 1: 5 000.00 + 3 200.00 left of 8 200.00; round 2: 5 000.00 + 5 000.00 < 11 700.00
    ledger = _run()
    assert amounts(ledger) == [("first_employment", "R1", "2014-09-01", "3200.00"),
                               ("first_employment", "R2", "2014-09-01", "5000.00"),
                               ("qual_level3", "R1", "2013-06-28", "5000.00"),
                               ("qual_level3", "R2", "2013-06-28", "5000.00")]
    cut = next(e for e in ledger.entries if e.client_id == "R1" and e.capped_from)
    assert (cut.capped_from, cut.cap) == (Decimal("5000.00"), "participant")
    assert cut.cap_usage == ("cap participant (£8200.00 per client): £5000.00 used before, "
                             "£8200.00 after",)


def test_a_client_without_a_round_is_held() -> None:
    held = [(h.client_id, h.reason) for h in _run().held]
    assert held == [("R0", "cap participant: no limit for client.round = missing (needs one "
                           "of 1, 2)")] * 2


def test_a_table_cap_is_per_client_only() -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(SCHEME.replace("per: client", "per: provider"), source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:12: versions.0.caps.0: expected a table by client.ATTRIBUTE only in a cap per "
        "client, got per: provider, by: client.round"]


NARROW = """\
scheme: t
title: a table cap on one component, after a plain cap, beside a contract-level fee
attributes: {round: integer}
versions:
  - version: "1"
    valid_from: 2012-04-01
    components:
      - {id: qual, on: qualification_achieved, once_per: client, amount: 5000.00}
      - {id: job, on: employment_started, once_per: client, amount: 5000.00}
      - id: grant
        kind: schedule
        provider: ADV
        amount: 1000.00
        schedule: {every: {months: 1}, start: 2013-01-01, count: 1}
    caps:
      - {id: contract, per: contract, amount: 1000000.00}
      - id: participant
        per: client
        components: [qual]
        amount: {by: client.round, table: {1: 3000.00}}
"""


def test_a_table_cap_reaches_only_its_components_and_its_clients() -> None:
    # R1 (round 1): qual cut from 5 000.00 to 3 000.00; R0 (no round) and RX (never
    # enrolled, so no round either) are held for qual, not dropped; job is outside the
    # cap and pays for all three; the contract-level grant has no client and no limit
    # to look up, and the plain cap before the table cap does not stop the lookup
    rows: list[dict[str, object]] = [
        {"event_id": "R1-e", "type": "enrolled", "provider_id": "ADV", "client_id": "R1",
         "occurred_on": "2013-01-07", "round": 1},
        {"event_id": "R0-e", "type": "enrolled", "provider_id": "ADV", "client_id": "R0",
         "occurred_on": "2013-01-07"}]
    for client in ("R1", "R0", "RX"):
        rows += [{"event_id": f"{client}-q", "type": "qualification_achieved",
                  "provider_id": "ADV", "client_id": client, "occurred_on": "2013-06-28"},
                 {"event_id": f"{client}-j", "type": "employment_started",
                  "provider_id": "ADV", "client_id": client, "occurred_on": "2014-09-01"}]
    scheme = kasvufee.parse_scheme(NARROW)
    events = kasvufee.events_from_records(rows, attribute_types=dict(scheme.attributes))
    ledger = kasvufee.evaluate(scheme, events, dt.date(2015, 12, 31))
    assert amounts(ledger) == [("grant", "ADV", "2013-01-01", "1000.00"),
                               ("job", "R0", "2014-09-01", "5000.00"),
                               ("job", "R1", "2014-09-01", "5000.00"),
                               ("job", "RX", "2014-09-01", "5000.00"),
                               ("qual", "R1", "2013-06-28", "3000.00")]
    assert [(h.client_id, h.component, h.reason) for h in ledger.held] == [
        (client, "qual", "cap participant: no limit for client.round = missing (needs one of 1)")
        for client in ("R0", "RX")]


def test_a_table_cap_over_every_component_passes_a_contract_level_fee() -> None:
    # the cap names no components, so it reaches qual and the grant alike; the grant
    # has no client, so there is no limit to look up and it pays its 1 000.00 (it must
    # not be held as "no limit for client.round = missing"); R1's qual is cut to 3 000.00
    scheme = kasvufee.parse_scheme(NARROW.replace("        components: [qual]\n", ""))
    rows: list[dict[str, object]] = [
        {"event_id": "R1-e", "type": "enrolled", "provider_id": "ADV", "client_id": "R1",
         "occurred_on": "2013-01-07", "round": 1},
        {"event_id": "R1-q", "type": "qualification_achieved", "provider_id": "ADV",
         "client_id": "R1", "occurred_on": "2013-06-28"}]
    events = kasvufee.events_from_records(rows, attribute_types=dict(scheme.attributes))
    ledger = kasvufee.evaluate(scheme, events, dt.date(2015, 12, 31))
    assert amounts(ledger) == [("grant", "ADV", "2013-01-01", "1000.00"),
                               ("qual", "R1", "2013-06-28", "3000.00")]
    assert ledger.held == ()
