"""One money type, one set of names: Decimal euros everywhere in the Python API,
decimal(18,2) in Parquet, numbers and dates in xlsx, every exception and the
version importable from ``kasvufee``."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import kasvufee
import kasvufee.errors
from kasvufee.cli import main
from tests.conftest import EXAMPLES, ROOT

VS = EXAMPLES / "varsinais-suomi"
SATA = EXAMPLES / "satakunta-kokosata"


def _vs(as_of: object = "2018-12-31") -> kasvufee.Ledger:
    return kasvufee.evaluate(kasvufee.load_scheme(VS / "scheme.yaml"),
                             kasvufee.read_events(VS / "events.csv"), as_of)  # type: ignore[arg-type]


def test_entries_and_held_items_are_decimal_euros() -> None:
    ledger = _vs()
    first = ledger.entries[0]
    assert (first.amount, first.amount_cents, first.capped_from, first.capped_from_cents) == (
        Decimal("100.00"), 10000, None, None)
    assert first.to_dict()["amount"] == "100.00"
    assert ledger.total() == Decimal("2200.00")
    assert ledger.by("component") == {"placement": Decimal("2000.00"),
                                      "training_referral": Decimal("200.00")}
    assert [(h.component, h.client_id, h.amount) for h in ledger.held] == [
        ("placement", "A5", None), ("placement", "A2", Decimal("650.00")),
        ("training_referral", "A2", Decimal("100.00")),
        ("placement", "A4", Decimal("900.00"))]
    assert ledger.held[3].to_dict()["amount"] == "900.00"


def test_capped_entries_keep_both_amounts() -> None:
    ledger = kasvufee.evaluate(kasvufee.load_scheme(SATA / "scheme.yaml"),
                               kasvufee.read_events(SATA / "events.csv"), dt.date(2018, 12, 31))
    r16 = next(e for e in ledger.entries if e.client_id == "R16")
    assert (r16.amount, r16.capped_from, r16.capped_from_cents, r16.cap) == (
        Decimal("0.00"), Decimal("2000.00"), 200000, "result_budget")
    assert (r16.to_dict()["amount"], r16.to_dict()["capped_from"]) == ("0.00", "2000.00")


def test_the_posted_ledger_gives_decimal_euros(tmp_path: Path) -> None:
    with kasvufee.PostedLedger.open(tmp_path / "l.sqlite") as store:
        store.post(kasvufee.load_scheme(SATA / "scheme.yaml"),
                   kasvufee.read_events(SATA / "events.csv"), "2018-01")
        table = store.entries()
    assert (table.schema["amount"], table.schema["capped_from"]) == (pl.Decimal(18, 2),
                                                                     pl.Decimal(18, 2))
    assert table["amount"].to_list() == [Decimal("30000.00"), Decimal("30000.00")]


def test_post_takes_a_date_or_a_datetime(tmp_path: Path) -> None:
    scheme = kasvufee.load_scheme(SATA / "scheme.yaml")
    events = kasvufee.read_events(SATA / "events.csv")
    with kasvufee.PostedLedger.open(tmp_path / "l.sqlite") as store:
        first = store.post(scheme, events, "2018-01", posted_at=dt.date(2018, 1, 31))
        second = store.post(scheme, events, "2018-02", posted_at=dt.datetime(2018, 2, 28, 9))
        with pytest.raises(kasvufee.UsageError) as info:
            store.post(scheme, events, "2018-03", posted_at="2018-03-31")  # type: ignore[arg-type]
        store.close_period("satakunta-kokosata", "2018-01", closed_at=dt.date(2018, 2, 5))
    assert (first.posted_at, second.posted_at) == (dt.datetime(2018, 1, 31, 12),
                                                   dt.datetime(2018, 2, 28, 9))
    assert str(info.value) == "posted_at must be a date or a datetime, got '2018-03-31'"


@pytest.mark.parametrize("as_of", ["2018-12-31", dt.date(2018, 12, 31)])
def test_evaluate_takes_a_date_or_an_iso_date(as_of: object) -> None:
    assert _vs(as_of).as_of == dt.date(2018, 12, 31)


@pytest.mark.parametrize(("as_of", "message"), [
    ("31.12.2018", "as_of: expected a date or an ISO date like 2018-12-31, got '31.12.2018'"),
    ("2018-02-30", "as_of: expected a date or an ISO date like 2018-12-31, got '2018-02-30'"),
    (20181231, "as_of: expected a date or an ISO date like 2018-12-31, got 20181231"),
    (None, "as_of: expected a date or an ISO date like 2018-12-31, got None"),
    (dt.datetime(2018, 12, 31, 12), "as_of: expected a date, got the date-time "
     "2018-12-31T12:00:00 (pass its date)"),
])
def test_evaluate_refuses_anything_else(as_of: object, message: str) -> None:
    with pytest.raises(kasvufee.UsageError) as info:
        _vs(as_of)
    assert str(info.value) == message


def test_every_exception_and_the_version_are_importable() -> None:
    errors = {name for name, obj in vars(kasvufee.errors).items()
              if inspect.isclass(obj) and issubclass(obj, Exception)}
    assert errors == {"KasvufeeError", "InputError", "SchemeError", "EventsError",
                      "ExpressionError", "LedgerError", "LedgerStateError",
                      "PeriodClosedError", "VersionChangedError", "LedgerUnavailableError",
                      "LedgerBusyError", "UsageError"}
    assert errors <= set(kasvufee.__all__)
    for name in kasvufee.__all__:
        assert getattr(kasvufee, name) is not None
    assert kasvufee.__version__ == version("kasvufee")


def test_the_evaluation_ledger_does_not_import_the_store() -> None:
    tree = ast.parse((ROOT / "src" / "kasvufee" / "ledger.py").read_text())
    top = [n.module for n in tree.body if isinstance(n, ast.ImportFrom)]
    assert "kasvufee.store" not in top and all(not m or not m.startswith("kasvufee.store")
                                               for m in top)


def test_a_ledger_shows_itself_in_jupyter() -> None:
    assert _vs()._repr_html_(first=1) == (
        "<div><p><b>varsinais-suomi</b>: 5 entries, total 2200.00 € as of 2018-12-31; "
        "4 items held</p><table><tr><th>entry</th><th>component</th><th>provider</th>"
        "<th>client</th><th>earned on</th><th>amount €</th><th>cap</th></tr>"
        "<tr><td>varsinais-suomi:1:training_referral:e0003:20180110</td>"
        "<td>training_referral</td><td>P1</td><td>A1</td><td>2018-01-10</td>"
        "<td style='text-align:right'>100.00</td><td></td></tr></table>"
        "<p>… and 4 more entries</p><table><tr><th>component</th><th>total €</th></tr>"
        "<tr><td>placement</td><td style='text-align:right'>2000.00</td></tr>"
        "<tr><td>training_referral</td><td style='text-align:right'>200.00</td></tr>"
        "<tr><td><b>total</b></td><td style='text-align:right'><b>2200.00</b></td></tr>"
        "</table></div>")


def _run(tmp_path: Path, fmt: str) -> Path:
    out = tmp_path / f"ledger.{fmt}"
    result = CliRunner().invoke(main, ["run", str(SATA / "scheme.yaml"), str(SATA / "events.csv"),
                                       "--as-of", "2018-12-31", "--format", fmt, "--out",
                                       str(out)])
    assert result.exit_code == 0, result.stderr
    return out


def test_parquet_amounts_are_decimal_18_2(tmp_path: Path) -> None:
    table = pl.read_parquet(_run(tmp_path, "parquet"))
    assert (table.schema["amount"], table.schema["capped_from"]) == (pl.Decimal(18, 2),
                                                                     pl.Decimal(18, 2))
    assert table["amount"].sum() == Decimal("94000.00")


def test_xlsx_has_numbers_dates_a_frozen_header_and_a_filter(tmp_path: Path) -> None:
    ws = load_workbook(_run(tmp_path, "xlsx")).active
    header = [c.value for c in ws[1]]
    row = [c.value for c in ws[2]]
    assert row[header.index("earned_on")] == dt.datetime(2018, 1, 1)
    assert ws.cell(row=2, column=header.index("earned_on") + 1).number_format == "yyyy-mm-dd"
    assert row[header.index("amount")] == 30000
    assert (ws.freeze_panes, ws.auto_filter.ref) == ("A2", f"A1:O{ws.max_row}")  # O: currency


def test_statement_xlsx_freezes_and_filters_the_lines(tmp_path: Path) -> None:
    ledger, out = tmp_path / "l.sqlite", tmp_path / "s.xlsx"
    runner = CliRunner()
    for period in ("2018-01", "2018-02"):
        assert runner.invoke(main, ["post", str(SATA / "scheme.yaml"), str(SATA / "events.csv"),
                                    "--ledger", str(ledger), "--period", period]).exit_code == 0
    result = runner.invoke(main, ["statement", "--ledger", str(ledger), "--provider", "SATA-1",
                                  "--period", "2018-02", "--format", "xlsx", "--lang", "en",
                                  "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    ws = load_workbook(out).active
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value ==
                  "Component")
    last = next(r for r in range(header, ws.max_row + 1)
                if str(ws.cell(row=r, column=1).value).startswith("Subtotal: ")
                and ws.cell(row=r + 1, column=1).value == "Total")
    assert (ws.freeze_panes, ws.auto_filter.ref) == (f"A{header + 1}", f"A{header}:I{last}")
