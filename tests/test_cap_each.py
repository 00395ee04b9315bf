"""A cap anew each calendar year or month (abroad.md, "Limits that vary": caps
per period): a yearly budget per provider cuts within a year and starts again
on 1 January. Worked by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import kasvufee
from kasvufee.report.statement import build_statement
from kasvufee.store import PostedLedger
from tests.conftest import amounts, events, run, scheme_yaml

COMPONENTS = "- {id: placement, on: employment_started, once_per: client, amount: 400.00}\n"


def _rows() -> list[dict[str, object]]:
    days = ["2018-03-01", "2018-05-01", "2018-07-01", "2018-12-31", "2019-01-01", "2019-02-01"]
    return [{"event_id": f"e{n}", "type": "employment_started", "provider_id": "P1",
             "client_id": f"C{n}", "occurred_on": day} for n, day in enumerate(days, start=1)]


def test_a_yearly_budget_starts_again_each_year() -> None:
    caps = "- {id: budget, per: provider, amount: 1000.00, each: year}\n"
    ledger = run(scheme_yaml(COMPONENTS, caps), _rows(), "2019-12-31")
    # 2018: 400 + 400 + 200 (the 1 000.00 reached) + 0; 2019: 400 + 400 again
    assert amounts(ledger) == [
        ("placement", "C1", "2018-03-01", "400.00"), ("placement", "C2", "2018-05-01", "400.00"),
        ("placement", "C3", "2018-07-01", "200.00"), ("placement", "C4", "2018-12-31", "0.00"),
        ("placement", "C5", "2019-01-01", "400.00"), ("placement", "C6", "2019-02-01", "400.00")]
    c3 = next(e for e in ledger.entries if e.client_id == "C3")
    assert c3.cap_usage == ("cap budget (1000.00 € per provider in 2018): 800.00 € used "
                            "before, 1000.00 € after",)
    c5 = next(e for e in ledger.entries if e.client_id == "C5")
    assert c5.cap_usage == ("cap budget (1000.00 € per provider in 2019): 0.00 € used before, "
                            "400.00 € after",)


def test_without_each_the_budget_holds_once() -> None:
    caps = "- {id: budget, per: provider, amount: 1000.00}\n"
    ledger = run(scheme_yaml(COMPONENTS, caps), _rows(), "2019-12-31")
    assert [a for *_, a in amounts(ledger)] == ["400.00", "400.00", "200.00", "0.00", "0.00",
                                                "0.00"]


def test_a_monthly_cap() -> None:
    caps = "- {id: monthly, per: contract, amount: 500.00, each: month}\n"
    rows = [*_rows()[:2], {**_rows()[0], "event_id": "e9", "client_id": "C9"}]
    ledger = run(scheme_yaml(COMPONENTS, caps), rows, "2019-12-31")
    # March 2018: 400 + 100 (the 500.00 reached); May 2018: 400
    assert amounts(ledger) == [
        ("placement", "C1", "2018-03-01", "400.00"), ("placement", "C2", "2018-05-01", "400.00"),
        ("placement", "C9", "2018-03-01", "100.00")]


def test_a_statement_shows_the_use_of_the_year_it_is_for(tmp_path: Path) -> None:
    caps = ("- {id: budget, per: provider, amount: 1000.00, each: year}\n"
            "- {id: pool, per: contract, amount: 5000.00, each: year}\n")
    scheme = kasvufee.parse_scheme(scheme_yaml(COMPONENTS, caps))
    with PostedLedger.open(tmp_path / "l.sqlite") as store:
        store.post(scheme, events(_rows()), "2018-12", posted_at=dt.datetime(2019, 1, 5, 12))
        store.post(scheme, events(_rows()), "2019-02", posted_at=dt.datetime(2019, 3, 1, 12))
        uses = {p: [(c.cap, c.used_cents, c.remaining_cents)
                    for c in build_statement(store, "P1", p).schemes[0].caps]
                for p in ("2018-12", "2019-02")}
    # 2018: 400 + 400 + 200 + 0 reach the 1 000.00; 2019 starts again: 400 + 400
    assert uses == {"2018-12": [("budget", 1000_00, 0), ("pool", 1000_00, 4000_00)],
                    "2019-02": [("budget", 800_00, 200_00), ("pool", 800_00, 4200_00)]}
