"""Volume pricing (abroad.md, "Counting outcomes"): a provider's outcomes in a
cohort (the contract year of the client's enrolment) are numbered in earning
order, counting only entries earned by the evaluation date; from the 3rd on
here each pays 4 000.00 instead of 3 500.00.  Worked out by hand."""

from __future__ import annotations

import pytest

import kasvufee
from kasvufee.errors import SchemeError
from tests.conftest import amounts, run

SCHEME = """\
scheme: t
title: an accelerator per cohort
contract: {service_start: 2017-11-20}
versions:
  - version: "1"
    valid_from: 2017-01-01
    components:
      - {id: employed, on: employment_started, once_per: client, amount: 3500.00}
      - {id: self_employed, on: company_founded, once_per: client, amount: 3500.00}
    tiers:
      - id: accelerator
        components: [employed, self_employed]
        cohort_years_from: contract.service_start
        from_number: 3
        amount: 4000.00
"""


def _client(n: int, enrolled: str, outcome: str, kind: str = "employment_started",
            provider: str = "P") -> list[dict[str, object]]:
    return [{"event_id": f"e{n}", "type": "enrolled", "provider_id": provider,
             "client_id": f"C{n}", "occurred_on": enrolled},
            {"event_id": f"o{n}", "type": kind, "provider_id": provider,
             "client_id": f"C{n}", "occurred_on": outcome}]


def test_numbered_across_components_per_provider_and_cohort() -> None:
    rows = (_client(1, "2017-12-01", "2018-03-01")
            + _client(2, "2018-01-10", "2018-04-01", "company_founded")
            + _client(3, "2018-02-01", "2018-05-01")        # the 3rd of cohort 1: 4 000.00
            + _client(4, "2018-11-20", "2018-06-01")        # cohort 2 (from 2018-11-20)
            + _client(5, "2018-02-01", "2018-05-02", provider="Q"))  # another provider
    ledger = run(SCHEME, rows, "2018-12-31")
    assert amounts(ledger) == [("employed", "C1", "2018-03-01", "3500.00"),
                               ("employed", "C3", "2018-05-01", "4000.00"),
                               ("employed", "C4", "2018-06-01", "3500.00"),
                               ("employed", "C5", "2018-05-02", "3500.00"),
                               ("self_employed", "C2", "2018-04-01", "3500.00")]


def test_an_outcome_not_yet_earned_does_not_count() -> None:
    rows = (_client(1, "2017-12-01", "2018-03-01") + _client(2, "2017-12-01", "2019-03-01")
            + _client(3, "2017-12-01", "2018-05-01"))
    # on 2018-12-31 C2's outcome is pending: C3's is the 2nd, 3 500.00
    assert amounts(run(SCHEME, rows, "2018-12-31"))[-1] == (
        "employed", "C3", "2018-05-01", "3500.00")
    # a year later C2's is earned, after C3's in earning order: C3 stays 3 500.00
    assert amounts(run(SCHEME, rows, "2019-12-31")) == [
        ("employed", "C1", "2018-03-01", "3500.00"), ("employed", "C2", "2019-03-01", "4000.00"),
        ("employed", "C3", "2018-05-01", "3500.00")]


def test_a_tier_names_components_of_its_version() -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(SCHEME.replace("[employed, self_employed]", "[employed, selfemp]"),
                              source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:12: versions.0.tiers.0.components: expected a component id (employed, "
        "self_employed), got 'selfemp'"]


FLAT = """\
scheme: t
title: a tier without cohorts
versions:
  - version: "1"
    valid_from: 2017-01-01
    components:
      - {id: employed, on: employment_started, once_per: client, lasts: {months: 1},
         amount: 3500.00}
    tiers:
      - {id: flat, components: [employed], from_number: 2, amount: 4000.00}
"""


def test_a_tier_without_cohorts_numbers_all_of_a_providers_outcomes() -> None:
    # one cohort (1) per provider: P's 2nd outcome pays 4 000.00, Q's 1st 3 500.00; the
    # tier's fact comes after the component's own
    rows = [{"event_id": f"o{n}", "type": "employment_started", "provider_id": provider,
             "client_id": f"C{n}", "occurred_on": day}
            for n, provider, day in ((1, "P", "2018-01-01"), (2, "P", "2018-02-01"),
                                     (3, "Q", "2018-02-01"))]
    ledger = run(FLAT, rows, "2018-12-31")
    assert [e.explanation for e in ledger.entries] == [
        "employed pays 3500.00 € to P for client C1, earned 2018-02-01: employment_started o1 "
        "on 2018-01-01; lasted 1 month to 2018-02-01. Scheme t version 1.",
        "employed pays 4000.00 € to P for client C2, earned 2018-03-01: employment_started o2 "
        "on 2018-02-01; lasted 1 month to 2018-03-01; outcome 2 of P in cohort 1 of tier "
        "flat: from number 2 on, 4000.00 €. Scheme t version 1.",
        "employed pays 3500.00 € to Q for client C3, earned 2018-03-01: employment_started o3 "
        "on 2018-02-01; lasted 1 month to 2018-03-01. Scheme t version 1."]


def test_an_outcome_without_an_enrolment_has_no_cohort_and_is_held() -> None:
    rows = _client(1, "2017-12-01", "2018-03-01")[1:]   # the outcome, not the enrolment
    ledger = run(SCHEME, rows, "2018-12-31")
    assert amounts(ledger) == []
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("C1", "tier accelerator: no enrolment, so the cohort is unknown")]
