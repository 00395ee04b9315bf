"""At most one of several components per client (abroad.md, "One of several
components"): the one whose condition becomes true first (earliest earned_on,
then the triggering event's order) pays, the other is held with that reason;
worked out by hand on the Work and Health Programme's two outcomes."""

from __future__ import annotations

import pytest

import kasvufee
from kasvufee.errors import SchemeError
from tests.conftest import amounts, run

SCHEME = """\
scheme: t
title: employed or self-employed
versions:
  - version: "1"
    valid_from: 2017-01-01
    components:
      - {id: outcome_employed, on: employment_started, once_per: client, amount: 3500.00}
      - {id: outcome_self_employed, on: company_founded, once_per: client, amount: 3500.00}
    at_most_one:
      - {id: one_outcome, components: [outcome_employed, outcome_self_employed]}
"""


def _event(eid: str, kind: str, day: str, client: str = "A1") -> dict[str, object]:
    return {"event_id": eid, "type": kind, "provider_id": "CPA1", "client_id": client,
            "occurred_on": day}


def test_the_first_of_the_two_pays_and_the_other_is_held() -> None:
    rows = [_event("e1", "company_founded", "2018-10-01"),
            _event("e2", "employment_started", "2018-07-31"),
            # the same day: the earlier event in event order wins
            _event("e3", "employment_started", "2018-05-02", client="A2"),
            _event("e4", "company_founded", "2018-05-02", client="A2")]
    ledger = run(SCHEME, rows, "2018-12-31")
    assert amounts(ledger) == [("outcome_employed", "A1", "2018-07-31", "3500.00"),
                               ("outcome_employed", "A2", "2018-05-02", "3500.00")]
    assert sorted((h.client_id, h.reason) for h in ledger.held) == [
        ("A1", "at most one of outcome_employed, outcome_self_employed per client: already "
               "earned by e2 on 2018-07-31"),
        ("A2", "at most one of outcome_employed, outcome_self_employed per client: already "
               "earned by e3 on 2018-05-02")]


def test_without_the_group_both_pay() -> None:
    rows = [_event("e1", "company_founded", "2018-10-01"),
            _event("e2", "employment_started", "2018-07-31")]
    ledger = run(SCHEME.split("    at_most_one:")[0], rows, "2018-12-31")
    assert len(ledger.entries) == 2


def test_the_group_needs_once_per_client() -> None:
    text = SCHEME.replace("on: company_founded, once_per: client", "on: company_founded")
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(text, source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:10: versions.0.at_most_one.0.components: expected components with once_per: "
        "client (outcome_self_employed is not), got 'outcome_self_employed'"]


def test_components_outside_the_group_count_on_their_own() -> None:
    # a third component, once per client but in no group: A1's first qualification pays
    # beside the outcome, the second is held with the plain once-per reason
    text = SCHEME.replace("    at_most_one:", "      - {id: qualified, on: qualification_achieved, "
                          "once_per: client, amount: 500.00}\n    at_most_one:")
    rows = [_event("e1", "employment_started", "2018-03-01"),
            _event("e2", "qualification_achieved", "2018-04-01"),
            _event("e3", "qualification_achieved", "2018-05-01")]
    ledger = run(text, rows, "2018-12-31")
    assert amounts(ledger) == [("outcome_employed", "A1", "2018-03-01", "3500.00"),
                               ("qualified", "A1", "2018-04-01", "500.00")]
    assert [(h.component, h.reason) for h in ledger.held] == [
        ("qualified", "already earned once for this key by e2 on 2018-04-01")]
