"""Currency per scheme (ISO 4217, EUR by default): carried on every ledger
entry and shown in explanations, run summaries, exports and statements with
the right symbol.  The amounts are hand-worked: the Work Programme's group 7
job outcome of £3 500.00 and the jobactive stream A administration fee of
A$250.00 (abroad.md)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import kasvufee
from kasvufee.cli import main
from kasvufee.errors import SchemeError
from kasvufee.report.statement import build_statement, write_statement
from kasvufee.store import PostedLedger
from tests.conftest import ROOT

GBP = """\
scheme: wp
title: Work Programme job outcomes
currency: GBP
versions:
  - version: "2011"
    valid_from: 2011-06-01
    components:
      - id: job_outcome
        on: employment_started
        once_per: client
        lasts: {weeks: 13}
        amount: 3500.00
    caps:
      - {id: per_client, per: client, amount: 3000.00}
"""

ROWS = [
    {"event_id": "e1", "type": "enrolled", "provider_id": "WP-A", "client_id": "C2",
     "occurred_on": "2012-02-06"},
    {"event_id": "e2", "type": "employment_started", "provider_id": "WP-A", "client_id": "C2",
     "occurred_on": "2012-07-02", "employment_id": "C2-2"},
]


def _ledger(text: str = GBP) -> kasvufee.Ledger:
    return kasvufee.evaluate(kasvufee.parse_scheme(text), kasvufee.events_from_records(ROWS),
                             dt.date(2012, 12, 31))


def test_entries_carry_the_currency_and_explain_in_pounds() -> None:
    ledger = _ledger()
    assert ledger.currency == "GBP"
    [entry] = ledger.entries
    assert (entry.amount, entry.currency, entry.capped_from) == (Decimal("3000.00"), "GBP",
                                                                Decimal("3500.00"))
    # 2012-07-02 + 91 days = 2012-10-01
    assert entry.explanation == (
        "job_outcome pays £3000.00 to WP-A for client C2, earned 2012-10-01: "
        "employment_started e2 on 2012-07-02; lasted 13 weeks to 2012-10-01; cut from "
        "£3500.00 to the £3000.00 left under cap per_client. Scheme wp version 2011.")
    assert entry.cap_usage == ("cap per_client (£3000.00 per client): £0.00 used before, "
                               "£3000.00 after",)
    assert entry.to_dict()["currency"] == "GBP"


def test_a_scheme_without_a_currency_is_in_euros() -> None:
    ledger = _ledger(GBP.replace("currency: GBP\n", ""))
    assert ledger.currency == "EUR"
    assert ledger.entries[0].explanation.startswith("job_outcome pays 3000.00 € to WP-A")


def test_australian_dollars_and_a_table() -> None:
    scheme = """\
scheme: ja
title: jobactive administration fees
currency: AUD
versions:
  - version: "1"
    valid_from: 2015-07-01
    components:
      - id: admin_fee
        on: enrolled
        once_per: client
        amount: {by: client.stream, table: {A: 250.00, B: 350.00, C: 438.00}}
"""
    rows = [{"event_id": "e1", "type": "enrolled", "provider_id": "JA-1", "client_id": "K1",
             "occurred_on": "2019-01-07", "stream": "A"}]
    ledger = kasvufee.evaluate(kasvufee.parse_scheme(scheme), kasvufee.events_from_records(rows),
                               dt.date(2019, 12, 31))
    assert [(e.amount, e.currency) for e in ledger.entries] == [(Decimal("250.00"), "AUD")]
    assert ledger.entries[0].explanation == (
        "admin_fee pays A$250.00 to JA-1 for client K1, earned 2019-01-07: enrolled e1 on "
        "2019-01-07; client.stream A → A$250.00. Scheme ja version 1.")


@pytest.mark.parametrize("code", ["EURO", "gbp", "XYZ"])
def test_an_unknown_currency_is_named_with_its_line(code: str) -> None:
    with pytest.raises(SchemeError) as info:
        kasvufee.parse_scheme(GBP.replace("currency: GBP", f"currency: {code}"), source="s.yaml")
    assert [str(p) for p in info.value.problems] == [
        f"s.yaml:3: currency: expected an ISO 4217 currency code like EUR, GBP or AUD, "
        f"got {code!r}"]


def _files(tmp_path: Path) -> tuple[str, str]:
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(GBP)
    events = tmp_path / "events.csv"
    events.write_text("event_id,type,provider_id,client_id,occurred_on,employment_id\n"
                      "e1,enrolled,WP-A,C2,2012-02-06,\n"
                      "e2,employment_started,WP-A,C2,2012-07-02,C2-2\n")
    return str(scheme), str(events)


def test_the_run_summary_and_outputs_name_the_currency(tmp_path: Path) -> None:
    scheme, events = _files(tmp_path)
    result = CliRunner().invoke(main, ["run", scheme, events, "--as-of", "2012-12-31",
                                       "--format", "jsonl", "--out", "-"])
    assert result.exit_code == 0
    assert result.stderr.splitlines()[0] == "wp: 1 entry, total 3000.00 GBP as of 2012-12-31"
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert (record["amount"], record["currency"]) == ("3000.00", "GBP")
    table = CliRunner().invoke(main, ["run", scheme, events, "--as-of", "2012-12-31"])
    assert "amount GBP" in table.stdout


def test_a_statement_in_pounds(tmp_path: Path) -> None:
    scheme = kasvufee.parse_scheme(GBP)
    with PostedLedger.open(tmp_path / "ledger.sqlite") as store:
        store.post(scheme, kasvufee.events_from_records(ROWS), "2012-10",
                   posted_at=dt.datetime(2012, 10, 31, 18))
        statement = build_statement(store, "WP-A", "2012-10")
    assert statement.currency == "GBP"
    out = io.BytesIO()
    write_statement(statement, "html", "en", out)
    page = out.getvalue().decode()
    assert '<td class="money">£3,000.00</td>' in page
    assert "€" not in page
    out = io.BytesIO()
    write_statement(statement, "json", "en", out)
    data = json.loads(out.getvalue())
    assert (data["currency"], data["total"], data["schemes"][0]["currency"]) == (
        "GBP", "3000.00", "GBP")


def test_a_post_says_its_net_in_the_schemes_currency(tmp_path: Path) -> None:
    scheme = kasvufee.load_scheme(ROOT / "examples" / "abroad" / "work-programme" / "scheme.yaml")
    events = kasvufee.read_events(ROOT / "tests" / "golden-abroad" / "work-programme" /
                                  "events.csv", attribute_types=dict(scheme.attributes))
    with kasvufee.PostedLedger.open(tmp_path / "l.sqlite") as store:
        result = store.post(scheme, events, "2014-09", posted_at=dt.date(2014, 10, 3))
    # the golden scenario: 51 entries, 21 430.00 as of 2014-09-30
    assert result.summary() == ("work-programme 2014-09: posting #1 added 51 entries and 0 "
                                "reversals, net 21430.00 GBP (as of 2014-09-30)")
