"""No crash, no lie: exports are formula-safe everywhere.  Ids a spreadsheet
would run (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM(…)``, ``-…``) are written as
text in every csv and xlsx output: the run's ledger, the posted entries and the
programme roll-up; amounts stay numbers, a negative one too."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from click.testing import CliRunner
from openpyxl import load_workbook

from kasvufee.cli import main
from tests.hostile.generate import PLACEMENT

# client id (and provider id) in the events -> the cell of a csv export
IDS = {
    '=HYPERLINK("http://x")': '\'=HYPERLINK("http://x")',
    "@SUM(A1)": "'@SUM(A1)",
    "+cmd|calc": "'+cmd|calc",
    "-2+3": "'-2+3",
}


def _kasvufee(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _inputs(tmp_path: Path) -> tuple[str, str]:
    scheme, events = tmp_path / "scheme.yaml", tmp_path / "events.csv"
    scheme.write_text(PLACEMENT)
    rows = [f'e{i},employment_started,"{cid.replace(chr(34), chr(34) * 2)}",'
            f'"{cid.replace(chr(34), chr(34) * 2)}",2018-01-0{i}'
            for i, cid in enumerate(IDS, 1)]
    events.write_text("event_id,type,provider_id,client_id,occurred_on\n" + "\n".join(rows) + "\n")
    return str(scheme), str(events)


def _csv(path: Path, *columns: str) -> list[tuple[str, ...]]:
    return pl.read_csv(path, infer_schema=False).select(columns).rows()


def test_run_csv_writes_formulas_as_text(tmp_path: Path) -> None:
    scheme, events = _inputs(tmp_path)
    _kasvufee("run", scheme, events, "--as-of", "2018-12-31", "--format", "csv",
              "--out", str(tmp_path / "out.csv"))
    assert _csv(tmp_path / "out.csv", "provider_id", "client_id", "amount") == [
        (cell, cell, "1000.00") for cell in IDS.values()]


def test_run_xlsx_writes_formulas_as_text(tmp_path: Path) -> None:
    scheme, events = _inputs(tmp_path)
    _kasvufee("run", scheme, events, "--as-of", "2018-12-31", "--format", "xlsx",
              "--out", str(tmp_path / "out.xlsx"))
    sheet = load_workbook(tmp_path / "out.xlsx").active
    header = [c.value for c in sheet[1]]
    cells = [(row[header.index("client_id")].value, row[header.index("client_id")].data_type,
              row[header.index("amount")].value) for row in sheet.iter_rows(min_row=2)]
    assert cells == [(cid, "s", 1000) for cid in IDS]


def test_posted_entries_and_programme_csv_write_formulas_as_text(tmp_path: Path,
                                                                 ledger_url: str) -> None:
    scheme, events = _inputs(tmp_path)
    _kasvufee("post", scheme, events, "--ledger", ledger_url, "--period", "2018-01",
              "--as-of", "2018-01-31", "--posted-on", "2018-02-01")
    _kasvufee("entries", "--ledger", ledger_url, "--format", "csv",
              "--out", str(tmp_path / "entries.csv"))
    assert _csv(tmp_path / "entries.csv", "provider_id", "client_id", "amount") == [
        (cell, cell, "1000.00") for cell in IDS.values()]
    programme = tmp_path / "programme.yaml"
    programme.write_text("programme: p\ntitle: P\nfunder: F\nappropriation: 100.00\n"
                         "contracts:\n  - scheme: t\n")
    _kasvufee("programme", str(programme), "--ledger", ledger_url, "--format", "csv",
              "--out", str(tmp_path / "programme.csv"))
    # nothing committed (no schedule), 1 000.00 paid: outstanding -1000.00 stays a number
    assert _csv(tmp_path / "programme.csv", "project", "name", "paid", "outstanding") == sorted(
        (cell, cell, "1000.00", "-1000.00") for cell in IDS.values())
