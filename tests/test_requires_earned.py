"""A component that requires another to have been earned (abroad.md, "Rules
across components"): a sustainment fee pays only after the job outcome for
the same client, on the later of the two dates; without it, it is held with
the reason; a chain of requirements holds as a whole. Worked by hand."""

from __future__ import annotations

import pytest

import kasvufee
from kasvufee.errors import SchemeError
from tests.conftest import amounts, run

SCHEME = """\
scheme: t
title: a job outcome, then sustainment
versions:
  - version: "1"
    valid_from: 2017-01-01
    components:
      - {id: job_outcome, on: employment_started, once_per: client, amount: 1000.00}
      - id: sustainment
        on: milestone_reached
        where: {milestone: sustained}
        once_per: client
        amount: 500.00
        requires_earned: [job_outcome]
"""


def _event(eid: str, kind: str, day: str, client: str = "A1", **extra: str) -> dict[str, object]:
    return {"event_id": eid, "type": kind, "provider_id": "P1", "client_id": client,
            "occurred_on": day, **extra}


def test_it_pays_after_the_outcome_it_requires_and_is_held_without_it() -> None:
    rows = [_event("e1", "employment_started", "2018-02-01"),
            _event("e2", "milestone_reached", "2018-06-01", milestone="sustained"),
            # A2's sustainment is reported before the job outcome: it waits for it
            _event("e3", "milestone_reached", "2018-03-01", client="A2", milestone="sustained"),
            _event("e4", "employment_started", "2018-04-15", client="A2"),
            # A3 never had a job outcome
            _event("e5", "milestone_reached", "2018-05-01", client="A3", milestone="sustained")]
    ledger = run(SCHEME, rows, "2018-12-31")
    assert amounts(ledger) == [("job_outcome", "A1", "2018-02-01", "1000.00"),
                               ("job_outcome", "A2", "2018-04-15", "1000.00"),
                               ("sustainment", "A1", "2018-06-01", "500.00"),
                               ("sustainment", "A2", "2018-04-15", "500.00")]
    a2 = next(e for e in ledger.entries if e.component == "sustainment" and e.client_id == "A2")
    assert a2.facts[-1] == "requires job_outcome earned first: earned by 2018-04-15"
    assert [(h.client_id, h.reason) for h in ledger.held] == [
        ("A3", "requires job_outcome earned for this client first: not earned")]


def test_a_required_outcome_still_pending_keeps_it_pending() -> None:
    # the job outcome needs 13 weeks of employment: from 2018-11-01, on 2019-01-31
    text = SCHEME.replace("on: employment_started, once_per: client,",
                          "on: employment_started, lasts: {weeks: 13}, once_per: client,")
    rows = [_event("e1", "employment_started", "2018-11-01", employment_id="J1"),
            _event("e2", "milestone_reached", "2018-12-01", milestone="sustained")]
    ledger = run(text, rows, "2018-12-31")
    assert amounts(ledger) == []
    assert sorted((h.component, h.reason) for h in ledger.held) == [
        ("job_outcome", "pending: the condition becomes true on 2019-01-31, after 2018-12-31"),
        ("sustainment", "pending: the condition becomes true on 2019-01-31, after 2018-12-31")]
    assert amounts(run(text, rows, "2019-01-31")) == [
        ("job_outcome", "A1", "2019-01-31", "1000.00"),
        ("sustainment", "A1", "2019-01-31", "500.00")]


def test_a_chain_holds_as_a_whole() -> None:
    text = SCHEME + """\
      - id: long_sustainment
        on: milestone_reached
        where: {milestone: sustained_long}
        once_per: client
        amount: 250.00
        requires_earned: [sustainment]
"""
    rows = [_event("e1", "milestone_reached", "2018-03-01", milestone="sustained"),
            _event("e2", "milestone_reached", "2018-09-01", milestone="sustained_long")]
    ledger = run(text, rows, "2018-12-31")
    assert amounts(ledger) == []
    assert sorted((h.component, h.reason) for h in ledger.held) == [
        ("long_sustainment", "requires sustainment earned for this client first: not earned"),
        ("sustainment", "requires job_outcome earned for this client first: not earned")]


@pytest.mark.parametrize(("change", "problem"), [
    ("requires_earned: [job_outcome]", "requires_earned: [job_outcom]"),
    ("requires_earned: [job_outcome]", "requires_earned: [sustainment]"),
])
def test_it_names_another_component(change: str, problem: str) -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(SCHEME.replace(change, problem), source="s.yaml")
    wrong = problem.split("[")[1].rstrip("]")
    assert [str(p) for p in info.value.problems] == [
        f"s.yaml:13: versions.0.components.1.requires_earned: expected another component id "
        f"of the version (job_outcome), got '{wrong}'"]


def test_a_cycle_is_refused() -> None:
    text = SCHEME.replace("amount: 1000.00}",
                          "amount: 1000.00, requires_earned: [sustainment]}")
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(text, source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:7: versions.0.components.0.requires_earned: expected components that do not "
        "in turn require it, got a cycle back to 'job_outcome'",
        "s.yaml:13: versions.0.components.1.requires_earned: expected components that do not "
        "in turn require it, got a cycle back to 'sustainment'"]


CHAIN = """\
scheme: t
title: a chain declared last to first, and a component that requires two
versions:
  - version: "1"
    valid_from: 2017-01-01
    components:
      - {id: c, on: milestone_reached, where: {milestone: c}, once_per: client, amount: 300.00,
         requires_earned: [b]}
      - {id: b, on: milestone_reached, where: {milestone: b}, once_per: client, amount: 200.00,
         requires_earned: [a]}
      - {id: a, on: employment_started, amount: 100.00}
      - {id: d, on: milestone_reached, where: {milestone: d}, once_per: client, amount: 400.00,
         requires_earned: [a, b]}
"""


def test_a_chain_declared_last_to_first_and_a_requirement_of_two() -> None:
    rows = [  # A1: b earned after a, so c waits for b's date, not a's
            _event("e1", "milestone_reached", "2018-05-01", milestone="b"),
            _event("e2", "milestone_reached", "2018-03-01", milestone="c"),
            _event("e3", "employment_started", "2018-01-15"),
            _event("e4", "milestone_reached", "2018-04-01", milestone="d"),
            # A3: b and c before a: b moves to a's date, and c after b (b is applied first,
            # though declared after c)
            _event("g1", "milestone_reached", "2018-02-01", client="A3", milestone="b"),
            _event("g2", "milestone_reached", "2018-03-01", client="A3", milestone="c"),
            _event("g3", "employment_started", "2018-05-01", client="A3"),
            # A2: a twice (not once per client), b never: c and d are held; two a's are not
            # the two components d requires
            _event("f1", "employment_started", "2018-01-01", client="A2"),
            _event("f2", "employment_started", "2018-02-01", client="A2"),
            _event("f3", "milestone_reached", "2018-03-01", client="A2", milestone="c"),
            _event("f4", "milestone_reached", "2018-03-01", client="A2", milestone="d")]
    ledger = run(CHAIN, rows, "2018-12-31")
    assert amounts(ledger) == [
        ("a", "A1", "2018-01-15", "100.00"), ("a", "A2", "2018-01-01", "100.00"),
        ("a", "A2", "2018-02-01", "100.00"), ("a", "A3", "2018-05-01", "100.00"),
        ("b", "A1", "2018-05-01", "200.00"), ("b", "A3", "2018-05-01", "200.00"),
        ("c", "A1", "2018-05-01", "300.00"), ("c", "A3", "2018-05-01", "300.00"),
        ("d", "A1", "2018-05-01", "400.00")]
    a1 = {e.component: e.facts for e in ledger.entries if e.client_id == "A1"}
    assert a1 == {
        "a": ("employment_started e3 on 2018-01-15",),   # a requires nothing: no such fact
        "b": ("milestone_reached e1 on 2018-05-01",
              "requires a earned first: earned by 2018-01-15"),
        "c": ("milestone_reached e2 on 2018-03-01",
              "requires b earned first: earned by 2018-05-01"),
        "d": ("milestone_reached e4 on 2018-04-01",
              "requires a, b earned first: earned by 2018-05-01")}
    assert sorted((h.client_id, h.component, h.reason) for h in ledger.held) == [
        ("A2", "c", "requires b earned for this client first: not earned"),
        ("A2", "d", "requires a, b earned for this client first: not earned")]
