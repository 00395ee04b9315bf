"""The command line: the stable ``run`` contract, exit codes, clean errors."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kasvufee.cli import main
from tests.conftest import EXAMPLES

SCHEME = str(EXAMPLES / "satakunta-kokosata" / "scheme.yaml")
EVENTS = str(EXAMPLES / "satakunta-kokosata" / "events.csv")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_jsonl_to_stdout_carries_only_entries() -> None:
    code, out, err = invoke("run", SCHEME, EVENTS, "--as-of", "2018-12-31", "--format", "jsonl",
                            "--out", "-")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 23
    assert set(records[0]) == {"entry_id", "scheme_id", "scheme_version", "component",
                               "provider_id", "client_id", "earned_on", "period", "amount",
                               "kind", "event_ids", "explanation", "capped_from", "cap",
                               "currency"}
    r16 = next(r for r in records if r["client_id"] == "R16")
    assert (r16["amount"], r16["capped_from"], r16["cap"]) == ("0.00", "2000.00",
                                                                "result_budget")
    assert "satakunta-kokosata: 23 entries, total 94000.00 EUR as of 2018-12-31" in err


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx", "parquet", "table"])
def test_every_format_writes_a_file(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"ledger.{fmt}"
    code, _, _ = invoke("run", SCHEME, EVENTS, "--as-of", "2018-12-31", "--format", fmt,
                        "--out", str(out))
    assert code == 0 and out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary files left
    if fmt == "csv":
        assert pl.read_csv(out)["amount"].cast(pl.Decimal(12, 2)).sum() == 94000
    if fmt == "parquet":
        df = pl.read_parquet(out)
        assert df.height == 23 and df["event_ids"].dtype == pl.List(pl.String)
    if fmt == "xlsx":
        ws = load_workbook(out).active
        header = [c.value for c in ws[1]]
        amounts = [row[header.index("amount")] for row in ws.iter_rows(min_row=2, values_only=True)]
        assert sum(amounts) == 94000


def test_xlsx_neutralises_formula_like_text(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("event_id,type,provider_id,client_id,occurred_on\n"
                      'e1,employment_started,SATA-1,"=HYPERLINK(""http://x"")",2018-02-01\n')
    out = tmp_path / "l.xlsx"
    assert invoke("run", SCHEME, str(events), "--as-of", "2018-12-31", "--format", "xlsx",
                  "--out", str(out))[0] == 0
    ws = load_workbook(out).active
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("client_id") + 1)
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"


FORMULA_IDS = ('=HYPERLINK("http://x")', "+cmd|x", "@SUM(A1)", "-2+3")


def formula_events(tmp_path: Path) -> Path:
    events = tmp_path / "events.csv"
    rows = "".join(f'e{i},employment_started,SATA-1,"{c.replace(chr(34), 2 * chr(34))}",'
                   f"2018-02-0{i}\n" for i, c in enumerate(FORMULA_IDS, start=1))
    events.write_text("event_id,type,provider_id,client_id,occurred_on\n" + rows)
    return events


def test_csv_neutralises_formula_like_text_but_not_amounts(tmp_path: Path) -> None:
    """run --format csv and entries --format csv: text a spreadsheet would run
    as a formula gets a leading quote; amounts (a reversal's -900.00) do not."""
    events = formula_events(tmp_path)
    out = tmp_path / "l.csv"
    assert invoke("run", SCHEME, str(events), "--as-of", "2018-12-31", "--format", "csv",
                  "--out", str(out))[0] == 0
    run_ids = pl.read_csv(out, infer_schema=False)["client_id"].to_list()
    assert sorted(run_ids) == sorted("'" + c for c in FORMULA_IDS)
    ledger = tmp_path / "l.sqlite"
    assert invoke("post", SCHEME, str(events), "--period", "2018-12", "--ledger",
                  str(ledger))[0] == 0
    code, out_text, _ = invoke("entries", "--ledger", str(ledger), "--format", "csv")
    assert code == 0
    posted = pl.read_csv(out_text.encode(), infer_schema=False)
    assert sorted(posted["client_id"].to_list()) == sorted("'" + c for c in FORMULA_IDS)
    assert not any(a.startswith("'") for a in posted["amount"].to_list())


def test_report_that_cannot_be_written_leaves_no_ledger(tmp_path: Path) -> None:
    out = tmp_path / "l.csv"
    code, _, err = invoke("run", SCHEME, EVENTS, "--as-of", "2018-12-31", "--format", "csv",
                          "--out", str(out), "--report", str(tmp_path / "no" / "r.json"))
    assert code == 2
    assert err.splitlines()[0] == ("<command line>: --report: expected an existing directory, "
                                   f"got {tmp_path / 'no'}")
    assert list(tmp_path.iterdir()) == []


def test_bad_events_exit_2_and_write_nothing(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("event_id,type,provider_id,client_id,occurred_on\n"
                      "e1,employment_started,P,A,2018-02-30\n"
                      "e2,employment_started,P,B,2018-03-01\n"
                      "e2,employment_started,P,C,\n")
    out = tmp_path / "ledger.csv"
    code, _, err = invoke("run", SCHEME, str(events), "--format", "csv", "--out", str(out))
    assert code == 2
    assert f"{events}:2: occurred_on: expected a date YYYY-MM-DD, got '2018-02-30'" in err
    assert f"{events}:4: occurred_on: expected a value, got an empty cell" in err
    assert f"{events}:4: event_id: expected a unique id, got 'e2' (also on line 3)" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [events]


def test_bad_scheme_exits_2(tmp_path: Path) -> None:
    scheme = tmp_path / "s.yaml"
    scheme.write_text("scheme: s\ntitle: t\nversions: []\n")
    code, _, err = invoke("run", str(scheme), EVENTS)
    assert code == 2
    assert f"{scheme}:3: versions: expected" in err


def test_bad_as_of_exits_2() -> None:
    code, _, err = invoke("run", SCHEME, EVENTS, "--as-of", "31.12.2018")
    assert code == 2
    assert "<command line>: --as-of: expected a date YYYY-MM-DD, got '31.12.2018'" in err


def test_output_directory_must_exist(tmp_path: Path) -> None:
    code, _, err = invoke("run", SCHEME, EVENTS, "--out", str(tmp_path / "no" / "x.csv"),
                          "--format", "csv")
    assert code == 2 and "--out: expected an existing directory" in err


def test_validate_and_schema() -> None:
    code, out, _ = invoke("validate", SCHEME)
    assert code == 0 and "valid scheme 'satakunta-kokosata', 1 version, 3 components" in out
    code, out, _ = invoke("schema")
    assert code == 0 and json.loads(out)["title"] == "Scheme"


def test_report_lists_held_items(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    scheme = str(EXAMPLES / "uusimaa-koko-rekry" / "scheme.yaml")
    events = str(EXAMPLES / "uusimaa-koko-rekry" / "events.csv")
    code, _, _ = invoke("run", scheme, events, "--as-of", "2018-06-30", "--format", "csv",
                        "--out", str(tmp_path / "l.csv"), "--report", str(report))
    assert code == 0
    data = json.loads(report.read_text())
    assert data["total"] == "3600.00"
    reasons = {h["client_id"]: h["reason"] for h in data["held"]}
    assert reasons["G5"] == "no proof: the event has no evidence_ref and no evidence_provided " \
                            "names it"
    assert reasons["G2"].startswith("client not eligible:")


def test_real_process_never_shows_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really parquet")
    done = subprocess.run([sys.executable, "-m", "kasvufee.cli", "run", SCHEME, str(broken)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and str(broken) in done.stderr


def test_out_to_a_device_writes_through_it(tmp_path: Path) -> None:
    # /dev/null must stay a device: the atomic replace is only for regular files
    code, _, _ = invoke("run", SCHEME, EVENTS, "--as-of", "2018-12-31", "--format", "csv",
                        "--out", "/dev/null")
    assert code == 0 and Path("/dev/null").is_char_device()
    code, _, err = invoke("run", SCHEME, EVENTS, "--format", "csv", "--out", str(tmp_path))
    assert code == 2 and "--out: expected a file path, got the folder" in err


def test_post_statement_explain_and_verify_from_the_command_line(tmp_path: Path) -> None:
    ledger = str(tmp_path / "l.sqlite")
    for period, day in (("2018-02", "2018-02-28"), ("2018-04", "2018-04-30")):
        code, out, err = invoke("post", SCHEME, EVENTS, "--ledger", ledger, "--period", period,
                                "--posted-on", day)
        assert code == 0, err
    # by April: 3 training referrals (1 200), Q1 and Q2 (4 000), R15 cut to 800, R16 to 0
    assert "posting #2 added 7 entries and 0 reversals, net 6000.00 EUR" in out
    code, out, _ = invoke("post", SCHEME, EVENTS, "--ledger", ledger, "--period", "2018-04")
    assert code == 0 and "nothing to post" in out
    code, out, _ = invoke("entries", "--ledger", ledger, "--format", "jsonl",
                          "--as-posted-on", "2018-03-01")
    assert code == 0 and len(out.splitlines()) == 16  # 2 start fees + R01-R14 in February
    entry = json.loads(out.splitlines()[0])["entry_id"]
    code, out, _ = invoke("explain", entry, "--ledger", ledger)
    assert code == 0 and "Rule: 30000.00 €, once per provider, on milestone_reached" in out
    code, out, _ = invoke("verify", "--ledger", ledger)
    assert code == 0 and "23 entries, the hash chain is intact" in out
    statement = tmp_path / "s.json"
    code, _, err = invoke("statement", "--ledger", ledger, "--provider", "SATA-1", "--period",
                          "2018-04", "--format", "json", "--out", str(statement))
    assert code == 0, err
    assert json.loads(statement.read_text())["total"] == "2000.00"
    code, _, err = invoke("close", "--ledger", ledger, "--scheme", "satakunta-kokosata",
                          "--period", "2018-04")
    assert code == 0
    code, _, err = invoke("post", SCHEME, EVENTS, "--ledger", ledger, "--period", "2018-04")
    assert code == 3 and "period 2018-04 of satakunta-kokosata was closed" in err
    code, _, err = invoke("post", SCHEME, EVENTS, "--ledger", ledger, "--period", "2018-13")
    assert code == 2 and "--period: expected a period YYYY-MM, got '2018-13'" in err


def test_lint_and_test_commands(tmp_path: Path) -> None:
    code, out, _ = invoke("lint", str(EXAMPLES / "satakunta-kokosata" / "scheme.yaml"))
    assert code == 0 and "KF105 warning recruitment" in out
    unbounded = tmp_path / "s.yaml"
    unbounded.write_text("scheme: s\ntitle: t\nversions:\n  - version: '1'\n"
                         "    valid_from: 2016-01-01\n    components:\n"
                         "      - {id: bonus, on: quality_rated,\n"
                         "         amount: {formula: 'score * 100'}}\n")
    code, out, _ = invoke("lint", str(unbounded), "--format", "json")
    assert code == 1 and json.loads(out)["summary"]["error"] == 1
    code, out, _ = invoke("test", str(EXAMPLES))
    assert code == 0 and out.strip().endswith("47 cases passed, 0 failed")


def test_simulate_compare_and_replay(tmp_path: Path) -> None:
    population = str(EXAMPLES / "populations" / "southwest-finland.yaml")
    varsinais = str(EXAMPLES / "varsinais-suomi" / "scheme.yaml")
    code, out, err = invoke("simulate", varsinais, "--population", population, "--runs", "3",
                            "--format", "json")
    assert code == 0, err
    assert json.loads(out)["runs"] == 3
    report = tmp_path / "compare.html"
    code, _, err = invoke("compare", SCHEME, varsinais, "--population", population, "--runs",
                          "3", "--format", "html", "--out", str(report))
    assert code == 0, err
    assert report.read_text().startswith("<!DOCTYPE html>")
    assert report.stat().st_mode & 0o044  # readable by others, like any report
    code, out, err = invoke("replay", varsinais, "--events", EVENTS, "--paid-scheme", SCHEME,
                            "--as-of", "2018-12-31")
    assert code == 0, err
    assert "all       (total)                             94000.00                     400.00" \
        in out


def test_run_checks_the_columns_the_scheme_reads_or_all_on_request(tmp_path: Path) -> None:
    """A bad cell in a column the scheme never reads does not stop a run (the
    ledger cannot depend on it); --check-all-columns reports it; a bad cell in a
    column the scheme reads always does."""
    scheme = str(EXAMPLES / "varsinais-suomi" / "scheme.yaml")
    unread = tmp_path / "unread.csv"
    unread.write_text("event_id,type,provider_id,client_id,occurred_on,risk_class,fte_years\n"
                      "e1,enrolled,P1,A1,2018-01-02,high,\n"
                      "e2,recruitment_made,P1,A1,2018-02-01,,lots\n")
    status, out, _ = invoke("run", scheme, str(unread), "--as-of", "2018-12-31")
    assert status == 0, out
    status, _, err = invoke("run", scheme, str(unread), "--as-of", "2018-12-31",
                            "--check-all-columns")
    assert status == 2 and f"{unread}:3: fte_years: expected" in err
    read = tmp_path / "read.csv"
    read.write_text("event_id,type,provider_id,client_id,occurred_on,employment_id\n"
                    "e1,employment_started,P1,A1,2018-02-30,A1-1\n")
    status, _, err = invoke("run", scheme, str(read), "--as-of", "2018-12-31")
    assert status == 2 and f"{read}:2: occurred_on: expected" in err


def test_starting_the_command_line_leaves_the_ledger_and_simulation_unloaded() -> None:
    """SQLAlchemy and numpy take longer to import than a small run: the commands
    that need them import them (``lint`` and ``test`` need neither);
    ``kasvufee.PostedLedger`` and ``kasvufee.design.sweep`` load on first use."""
    scheme = EXAMPLES / "varsinais-suomi"
    code = f"""if True:
        import sys, kasvufee
        from click.testing import CliRunner
        from kasvufee.cli import main
        for args in (["lint", "{scheme / 'scheme.yaml'}"], ["test", "{scheme}"]):
            assert CliRunner().invoke(main, args).exit_code == 0, args
        print(sorted(m for m in ("sqlalchemy", "numpy") if m in sys.modules))
        from kasvufee.store.posted import PostedLedger
        from kasvufee.design.simulate import sweep
        import kasvufee.design
        print(kasvufee.PostedLedger is PostedLedger, kasvufee.design.sweep is sweep)
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines() == ["[]", "True True"]


@pytest.mark.parametrize("slug", ["keski-suomi", "yrittajasta-tyonantajaksi", "varsinais-suomi"])
def test_run_loads_no_numpy_statement_or_ledger(slug: str, tmp_path: Path) -> None:
    """A run imports only what it uses: numpy (0.2 s, pulled in by a polars Decimal
    literal or Series), Babel and the statement, SQLAlchemy and openpyxl are left
    out (keski-suomi's formula divides and its where matches numbers;
    yrittajasta-tyonantajaksi accumulates up to a threshold)."""
    scheme = EXAMPLES / slug
    code = f"""if True:
        import sys
        from click.testing import CliRunner
        from kasvufee.cli import main
        result = CliRunner().invoke(main, ["run", "{scheme / 'scheme.yaml'}",
                                           "{scheme / 'events.csv'}", "--as-of", "2019-12-31",
                                           "--format", "parquet", "--out", "{tmp_path / 'l.pq'}"])
        assert result.exit_code == 0, result.output
        print(sorted(m for m in ("numpy", "babel", "kasvufee.report.statement", "sqlalchemy",
                                 "openpyxl") if m in sys.modules))
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines() == ["[]"]


def test_the_statement_choices_are_the_statements() -> None:
    from kasvufee.cli import STATEMENT_FORMATS, STATEMENT_LANGS
    from kasvufee.report.statement import FORMATS, LANGS

    assert (STATEMENT_FORMATS, STATEMENT_LANGS) == (FORMATS, LANGS)


def test_post_refuses_a_scheme_no_event_can_reach(tmp_path: Path) -> None:
    """A misspelt on: paid 200.00 of 2 200.00 into the posted ledger, silently."""
    source = EXAMPLES / "varsinais-suomi" / "scheme.yaml"
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(source.read_text().replace("on: employment_started", "on: employment_start"))
    ledger = tmp_path / "l.sqlite"
    code, out, err = invoke("post", str(scheme), str(EXAMPLES / "varsinais-suomi" / "events.csv"),
                            "--period", "2018-12", "--ledger", str(ledger))
    assert (code, out) == (2, "")
    assert err == (f"{scheme}:12: versions.0.components.0.on: expected an event type of the core "
                   "vocabulary or of the scheme's event_types (did you mean employment_started?), "
                   "got 'employment_start'\nkasvufee: 1 problem; nothing was written\n")
    assert list(tmp_path.iterdir()) == [scheme]


def test_close_on_a_given_day_and_never_in_the_future(tmp_path: Path) -> None:
    ledger = str(tmp_path / "l.sqlite")
    missing = tmp_path / "typo.sqlite"
    assert invoke("close", "--ledger", str(missing), "--scheme", "satakunta-kokosata",
                  "--period", "2018-04") == (
        2, "", f"kasvufee: no ledger at {missing}: check the path or address (a ledger is made "
               "by its first post)\n")
    assert not missing.exists()
    assert invoke("post", SCHEME, EVENTS, "--period", "2018-04", "--ledger", ledger,
                  "--posted-on", "2018-04-30")[0] == 0
    code, out, err = invoke("close", "--ledger", ledger, "--scheme", "satakunta-kokosata",
                            "--period", "2018-04", "--closed-on", "2199-01-01")
    assert (code, out) == (2, "")
    days = {dt.date.today(), dt.datetime.now(dt.UTC).date()}  # local or UTC, whichever is later
    assert err in {f"kasvufee: the closing day 2199-01-01 is in the future (today is "
                   f"{day.isoformat()}): give today or an earlier day\n" for day in days}
    assert invoke("close", "--ledger", ledger, "--scheme", "satakunta-kokosata", "--period",
                  "2018-04", "--closed-on", "2018-05-05") == (
        0, "satakunta-kokosata 2018-04: closed\n", "")


def test_post_reports_what_the_events_lack_and_what_no_component_reads(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("event_id,type,provider_id,client_id,occurred_on\n"
                      "e1,enrolled,P1,A1,2018-01-02\n"
                      "e2,employment_started,P1,A1,2018-01-31\n"
                      "e3,survey_answered,P1,A1,2018-02-01\n")
    code, out, err = invoke("post", str(EXAMPLES / "varsinais-suomi" / "scheme.yaml"),
                            str(events), "--period", "2018-12", "--ledger",
                            str(tmp_path / "l.sqlite"), "--receipts", str(tmp_path / "r.jsonl"))
    assert code == 0
    assert out.splitlines()[0] == ("varsinais-suomi 2018-12: nothing to post (the ledger already "
                                   "matches the events known on 2018-12-31)")
    assert err.splitlines() == [
        "warning: no event has employment_id, which placement reads: check the events file's "
        "columns",
        "warning: no event has risk_class, which placement reads: check the events file's columns",
        "1 event type no component reads:",
        "  survey_answered: 1 event",
        "1 component no event reaches:",
        "  training_referral (version 1, on training_referred)"]


CONSOLE = [sys.executable, "-c", "from kasvufee.cli import console; console()"]


def test_the_console_script_is_console() -> None:
    import tomllib

    pyproject = tomllib.loads((EXAMPLES.parent / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"] == {"kasvufee": "kasvufee.cli:console"}


def test_the_console_script_exits_with_the_commands_status_and_its_whole_output() -> None:
    version = subprocess.run([*CONSOLE, "--version"], capture_output=True, text=True)
    assert (version.returncode, version.stdout, version.stderr) == (
        0, "kasvufee, version 0.1.0\n", "")
    bad = subprocess.run([*CONSOLE, "run", SCHEME, EVENTS, "--as-of", "2018-13-31"],
                         capture_output=True, text=True)
    assert (bad.returncode, bad.stdout, bad.stderr) == (
        2, "", "<command line>: --as-of: expected a date YYYY-MM-DD, got '2018-13-31'\n"
               "kasvufee: 1 problem; nothing was written\n")
    done = subprocess.run([*CONSOLE, "run", SCHEME, EVENTS, "--as-of", "2018-12-31",
                           "--format", "jsonl"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout == invoke("run", SCHEME, EVENTS, "--as-of", "2018-12-31",
                                 "--format", "jsonl")[1]
    assert len(done.stdout.splitlines()) == 23
    assert done.stderr.startswith("satakunta-kokosata: 23 entries, total ")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_reader_that_goes_away_ends_the_run_quietly(fmt: str, tmp_path: Path) -> None:
    """``kasvufee run … | head -1``: status 1 and no internal error (polars reports
    a closed pipe as an OSError of its own)."""
    from bench.generate import generate, write

    parquet, _ = write(generate(3_000, seed=3), tmp_path)  # a ledger of about 0.7 MB
    scheme = str(EXAMPLES / "varsinais-suomi" / "scheme.yaml")
    with subprocess.Popen([*CONSOLE, "run", scheme, str(parquet), "--as-of", "2018-12-31",
                           "--format", fmt], stdout=subprocess.PIPE, stderr=subprocess.PIPE
                          ) as reader:
        assert reader.stdout is not None and reader.stderr is not None
        assert reader.stdout.readline()
        reader.stdout.close()  # the reader goes away after one line
        err = reader.stderr.read().decode()
        assert reader.wait() == 1
    assert "internal error" not in err and "Traceback" not in err
