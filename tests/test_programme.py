"""Pilot 12: the regional-town programme rolled up from the posted ledger."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import kasvufee
from kasvufee.cli import main
from kasvufee.report.programme import ProgrammeError, load_programme, rollup, rollup_json
from kasvufee.store import PostedLedger
from tests.conftest import EXAMPLES

SEUTU = EXAMPLES / "seutukaupungit"


def post_years(store: PostedLedger, years: range) -> None:
    scheme = kasvufee.load_scheme(SEUTU / "scheme.yaml")
    events = kasvufee.read_events(SEUTU / "events.csv")
    for year in years:
        store.post(scheme, events, f"{year}-01", posted_at=dt.datetime(year, 1, 20))


def test_rollup_reproduces_the_pilot_numbers(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        post_years(store, range(2019, 2022))
        data = rollup_json(rollup(load_programme(SEUTU / "programme.yaml"), store))
    assert (data["appropriation"], data["committed"], data["paid"], data["outstanding"],
            data["remaining"]) == ("4600000.00", "4500000.00", "2700000.00", "1800000.00",
                                   "100000.00")
    assert [(y["year"], y["committed"], y["paid"]) for y in data["by_year"]] == [
        (2019, "900000.00", "900000.00"), (2020, "900000.00", "900000.00"),
        (2021, "900000.00", "900000.00"), (2022, "900000.00", "0.00"),
        (2023, "900000.00", "0.00")]
    projects = {p["project"]: (p["committed"], p["paid"]) for p in data["by_project"]}
    assert len(projects) == 10
    assert projects["SEUTU-SALO"] == ("500000.00", "300000.00")
    assert projects["TEEMA-KIERTOTALOUS"] == ("250000.00", "150000.00")


def test_the_whole_programme_paid(tmp_path: Path) -> None:
    ledger = str(tmp_path / "l.sqlite")
    with PostedLedger.open(ledger) as store:
        post_years(store, range(2019, 2024))
    result = CliRunner().invoke(main, ["programme", str(SEUTU / "programme.yaml"), "--ledger",
                                       ledger, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["paid"], data["outstanding"], data["remaining"]) == (
        "4500000.00", "0.00", "100000.00")
    text = CliRunner().invoke(main, ["programme", str(SEUTU / "programme.yaml"), "--ledger",
                                     ledger]).stdout
    assert "Remaining appropriation (uncommitted):       100,000.00 EUR" in text or \
        "Remaining appropriation (uncommitted): 100,000.00 EUR" in text


def test_a_bad_programme_file_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("programme: p\ntitle: t\nfunder: f\nappropriation: 10.001\ncontracts: []\n")
    with pytest.raises(ProgrammeError) as info:
        load_programme(bad)
    assert [str(p) for p in info.value.problems] == [
        f"{bad}:4: appropriation: expected a euro amount like 900.00, got '10.001'",
        f"{bad}:5: contracts: expected at least 1 item, got 0"]
