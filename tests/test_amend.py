"""Versions that state only what changes (abroad.md, "Amending versions"): the
Work Programme's 2014 version raises one amount and drops one component; it
is the 2011 version with those changes, prices what falls in its dates, and
the ledger names it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import kasvufee
from kasvufee.errors import SchemeError
from kasvufee.store import PostedLedger
from tests.conftest import amounts, run

BASE = """\
scheme: wp
title: amended
versions:
  - version: "2011"
    valid_from: 2011-06-01
    components:
      - {id: job_outcome, on: employment_started, once_per: client, amount: 1000.00,
         max_amount: 1500.00}
      - {id: attachment, on: enrolled, once_per: client, amount: 400.00}
    caps:
      - {id: budget, per: provider, amount: 5000.00}
"""
AMENDED = BASE + """\
  - version: "2014"
    valid_from: 2014-04-01
    amends: "2011"
    remove: [attachment]
    components:
      - {id: job_outcome, amount: 1200.00}
"""
WHOLE = BASE + """\
  - version: "2014"
    valid_from: 2014-04-01
    amended_from: "2011"
    components:
      - {id: job_outcome, on: employment_started, once_per: client, amount: 1200.00,
         max_amount: 1500.00}
    caps:
      - {id: budget, per: provider, amount: 5000.00}
"""


def _events() -> list[dict[str, object]]:
    return [{"event_id": eid, "type": kind, "provider_id": "P1", "client_id": client,
             "occurred_on": day}
            for eid, kind, client, day in [("e1", "enrolled", "A1", "2014-01-10"),
                                           ("e2", "employment_started", "A1", "2014-03-31"),
                                           ("e3", "enrolled", "A2", "2014-04-01"),
                                           ("e4", "employment_started", "A2", "2014-04-01")]]


def test_an_amending_version_is_the_amended_one_with_its_changes() -> None:
    assert kasvufee.parse_scheme(AMENDED) == kasvufee.parse_scheme(WHOLE)


def test_each_version_prices_its_own_dates_and_the_ledger_names_it() -> None:
    ledger = run(AMENDED, _events(), "2014-12-31")
    assert amounts(ledger) == [("attachment", "A1", "2014-01-10", "400.00"),
                               ("job_outcome", "A1", "2014-03-31", "1000.00"),
                               ("job_outcome", "A2", "2014-04-01", "1200.00")]
    assert sorted((e.client_id, e.scheme_version) for e in ledger.entries
                  if e.component == "job_outcome") == [("A1", "2011"), ("A2", "2014")]
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("A2", "priced by version 2014 (in force on 2014-04-01), which has no component "
               "attachment")]


def test_a_field_set_back_to_its_default_survives_the_ledger(tmp_path: Path) -> None:
    # the amendment takes away the 2011 maximum: written out, posted and read back, it
    # stays away (a stored version is never merged with the one it amended again)
    text = AMENDED.replace("{id: job_outcome, amount: 1200.00}",
                           "{id: job_outcome, amount: 1200.00, max_amount: null}")
    scheme = kasvufee.parse_scheme(text)
    assert scheme.versions[1].components[0].max_amount is None
    with PostedLedger.open(tmp_path / "l.sqlite") as store:
        store.post(scheme, kasvufee.events_from_records(_events()), "2014-12",
                   posted_at=dt.datetime(2015, 1, 5, 12))
        again = store.scheme("wp")
    assert again == scheme and again.versions[1].components[0].max_amount is None


@pytest.mark.parametrize(("change", "problem"), [
    ('amends: "2011"', 'amends: "2015"'),
    ("remove: [attachment]", "remove: [attachement]"),
    ("{id: job_outcome, amount: 1200.00}", "{id: job_outcome, amount: 12O0.00}"),
])
def test_a_wrong_amendment_is_named(change: str, problem: str) -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(AMENDED.replace(change, problem), source="s.yaml")
    assert [str(p) for p in info.value.problems] == {
        'amends: "2015"': ["s.yaml:3: versions: expected amends naming a version before "
                           "version '2014' (2011), got '2015'"],
        "remove: [attachement]": ["s.yaml:3: versions: expected remove of version '2014' "
                                  "naming items of version '2011' (attachment, budget, "
                                  "job_outcome), got 'attachement'"],
        "{id: job_outcome, amount: 12O0.00}": [
            "s.yaml:17: versions.1.components.0.amount: expected a euro amount like 900.00, got "
            "'12O0.00'"],
    }[problem]


def test_remove_needs_amends() -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(BASE.replace('valid_from: 2011-06-01',
                                           'valid_from: 2011-06-01\n    remove: [attachment]'),
                              source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:4: versions.0: expected remove only in a version that amends another (amends: "
        "VERSION), got remove: ['attachment'] without amends"]
