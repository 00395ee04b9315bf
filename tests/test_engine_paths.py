"""The engine's shortcuts give what the plain rules give: the columns a scheme
reads, the running sum of ``accumulate`` (exact, over the counted rows only)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

import kasvufee
from kasvufee.engine.frame import hold
from kasvufee.engine.prepare import prepare
from kasvufee.events import CORE_COLUMNS, events_from_records
from kasvufee.scheme.prices import event_columns
from tests.conftest import EXAMPLE_SCHEMES, EXAMPLES, run
from tests.test_semantics import RUNNING

EVERY_PART = """\
scheme: every-part
title: t
attributes: {hours: decimal, grade: string, bonus: decimal}
rating: {on: survey_answered, answers: marks}
versions:
  - version: "1"
    valid_from: 2016-01-01
    components:
      - id: a
        on: employment_started
        where: {employer_kind: private}
        once_per: [client, contract_no]
        eligible: client.risk_class == "high"
        requires: {on: plan_completed, where: {plan_kind: full}}
        evidence: {attribute: proof_ref}
        lasts: {months: 3, match_on: job_no}
        amount: {formula: "hours * 10 + client.bonus"}
      - id: b
        on: recruitment_made
        once_per: client
        accumulate: {sum: fte_years, at_least: 0.5}
        provisional: {on: recruitment_probable, where: {level: sure}, amount: 10.00}
        amount: {by: client.tier, table: {x: 100.00}}
      - id: c
        kind: checkpoint
        months: 6
        metrics:
          revenue: {on: metric_observed, where: {metric: revenue}, latest: value}
          rated: {on: quality_rated, sum: score}
        condition: revenue > 0 and rated >= 1
        amount: 500.00
"""


def test_event_columns_are_every_column_a_rule_names(tmp_path: Path) -> None:
    path = tmp_path / "scheme.yaml"
    path.write_text(EVERY_PART)
    columns = event_columns(kasvufee.load_scheme(path))
    assert columns == {
        *CORE_COLUMNS[:-1], "voids", "hours", "grade", "marks", "employer_kind", "contract_no",
        "risk_class", "plan_kind", "proof_ref", "for_event", "job_no", "bonus", "fte_years",
        "level", "tier", "metric", "value", "score"}


def test_prepare_keeps_only_the_columns_and_types_read() -> None:
    events = events_from_records([
        {"event_id": "e1", "type": "enrolled", "provider_id": "P", "client_id": "A",
         "occurred_on": "2018-01-02", "risk_class": "high", "note": "x"},
        {"event_id": "e2", "type": "guidance_completed", "provider_id": "P", "client_id": "A",
         "occurred_on": "2018-01-01", "note": "y"},
    ])
    p = prepare(events, dt.date(2018, 12, 31), relevant={"enrolled"},
                columns={*CORE_COLUMNS, "risk_class"})
    assert p.events["event_id"].to_list() == ["e1"]
    assert "note" not in p.events.columns
    assert p.clients()["client.risk_class"].to_list() == ["high"]




def _made(eid: str, client: str | None, day: str, fte: str | None) -> dict[str, object]:
    row: dict[str, object] = {"event_id": eid, "type": "recruitment_made", "provider_id": "P",
                              "client_id": client, "occurred_on": day}
    if fte is not None:
        row["fte_years"] = fte
    return row


def test_running_sums_per_client_with_falls_and_second_crossings() -> None:
    rows = [_made("a1", "A", "2018-01-01", "0.3"), _made("a2", "A", "2018-01-02", "0.4"),
            _made("a3", "A", "2018-01-03", "-0.6"), _made("a4", "A", "2018-01-04", "0.2"),
            _made("a5", "A", "2018-01-05", "0.7"),
            _made("b1", "B", "2018-02-01", "0.25"), _made("b2", "B", "2018-02-02", None),
            _made("c1", "C", "2018-03-01", "0.5"), _made("c2", "C", "2018-03-02", "0.1"),
            _made("d1", None, "2018-03-01", "0.9")]
    ledger = run(RUNNING, rows, "2018-12-31")
    assert [(e.client_id, e.event_ids, e.explanation.split(": ", 1)[1]) for e in ledger.entries
            ] == [
        ("A", ("a1", "a2"), "recruitment_made a2 on 2018-01-02; fte_years summed over 2 "
         "events = 0.7 ≥ 0.5. Scheme t version 1."),
        ("C", ("c1",), "recruitment_made c1 on 2018-03-01; fte_years summed over 1 event "
         "= 0.5 ≥ 0.5. Scheme t version 1."),
    ]
    # a3 fell below the threshold after the crossing: it contributed (no held item);
    # a5 crossed again, with every event of A so far, and loses to the first crossing
    assert ledger.held_frame.select("client_id", "event_ids", "reason").rows() == [
        ("A", ["a1", "a2", "a3", "a4", "a5"], "already earned once for this key by a1 on "
         "2018-01-02"),
        ("B", ["b1"], "running fte_years 0.25 below 0.5"),
        ("B", ["b2"], "running fte_years 0.25 below 0.5"),
        (None, ["d1"], "once per client: the event has no client_id"),
        ("C", ["c2"], "fte_years already reached 0.5 earlier"),
    ]


@pytest.mark.parametrize("name", EXAMPLE_SCHEMES)
def test_examples_evaluate_without_warnings(name: str) -> None:
    """polars warns of deprecated calls from inside a query (``is_in`` with a
    Series of the column's type); the autouse ``no_warnings`` fixture fails on them."""
    folder = EXAMPLES / name
    scheme = kasvufee.load_scheme(folder / "scheme.yaml")
    events = kasvufee.read_events(folder / "events.csv",
                                  attribute_types=dict(scheme.attributes))
    assert kasvufee.evaluate(scheme, events, dt.date(2030, 12, 31)).entries


def test_hold_marks_an_unknown_condition_and_only_a_reason_that_is_known() -> None:
    """frame.hold: a condition that comes out null holds the row (what cannot be
    decided never pays); a formatted reason that comes out null marks nothing
    (the rules rely on it, see its docstring); the first reason wins."""
    df = pl.DataFrame({"x": [1, None, 3, 4], "held": [None, None, None, "earlier"]},
                      schema={"x": pl.Int64, "held": pl.String})
    held = hold(df, pl.col("x") > 2, "too large").get_column("held").to_list()
    assert held == [None, "too large", "too large", "earlier"]
    held = hold(df, pl.col("x").is_null() | (pl.col("x") > 2),
                pl.format("x is {}", pl.col("x"))).get_column("held").to_list()
    assert held == [None, None, "x is 3", "earlier"]
