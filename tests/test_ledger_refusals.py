"""What the posted ledger refuses, through the command line, on SQLite and on
PostgreSQL: each refusal's exit status, its whole message, and that nothing
was written (every row of every table compared before and after)."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, create_engine, text

from kasvufee.cli import EXIT_STATUS, main
from kasvufee.store.posted import _shown, _url
from tests.conftest import EXAMPLES, ROOT

SCHEME = str(EXAMPLES / "satakunta-kokosata" / "scheme.yaml")
EVENTS = str(EXAMPLES / "satakunta-kokosata" / "events.csv")
TODAY = dt.date.today()


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def rows(ledger: str) -> dict[str, list[tuple[Any, ...]]] | None:
    """Every row of every table of the database (None: no SQLite file)."""
    if not ledger.startswith("postgresql") and not Path(ledger).exists():
        return None
    engine = create_engine(_url(ledger))
    tables = MetaData()
    with engine.connect() as conn:
        tables.reflect(conn)
        out = {name: sorted(tuple(r) for r in conn.execute(table.select()))
               for name, table in tables.tables.items()}
    engine.dispose()
    return out


def where(ledger: str) -> str:
    """How messages name the ledger (a PostgreSQL address without its password)."""
    return _shown(_url(ledger), ledger)


def posted(ledger: str) -> str:
    """A ledger with February and April of Satakunta posted."""
    for period in ("2018-02", "2018-04"):
        code, _, err = invoke("post", SCHEME, EVENTS, "--ledger", ledger, "--period", period,
                              "--posted-on", f"{period}-28")
        assert code == 0, err
    return ledger


def refused(ledger: str, *args: str) -> tuple[int, str]:
    """Run a command that must be refused: its status and standard error, after
    checking that it wrote nothing."""
    before = rows(ledger)
    code, out, err = invoke(*args)
    assert out == ""
    assert rows(ledger) == before
    return code, err


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


# --------------------------------------------------------------------------- reading


READ_ONLY = [("verify",), ("entries",), ("explain", "e1"),
             ("statement", "--provider", "SATA-1", "--period", "2018-04", "--out", "-"),
             ("programme", str(EXAMPLES / "seutukaupungit" / "programme.yaml"))]


@pytest.mark.parametrize("command", READ_ONLY, ids=[c[0] for c in READ_ONLY])
def test_reading_a_mistyped_ledger_creates_nothing(ledger_url: str,
                                                   command: tuple[str, ...]) -> None:
    code, err = refused(ledger_url, *command, "--ledger", ledger_url)
    assert (code, err) == (2, f"kasvufee: no ledger at {where(ledger_url)}: check the path or "
                              "address (a ledger is made by its first post)\n")
    assert rows(ledger_url) in (None, {})


def test_a_file_that_is_no_database_is_exit_4(tmp_path: Path) -> None:
    ledger = tmp_path / "notes.sqlite"
    ledger.write_text("not a database, but someone's notes\n")
    for command in (("verify",), ("post", SCHEME, EVENTS, "--period", "2018-02")):
        code, out, err = invoke(*command, "--ledger", str(ledger))
        assert (code, out, err) == (4, "", f"kasvufee: {ledger} cannot be opened or written: "
                                           "the database refused (file is not a database); "
                                           "nothing was written\n")
    assert ledger.read_text() == "not a database, but someone's notes\n"


def test_an_unreachable_postgresql_server_is_exit_4(tmp_path: Path) -> None:
    ledger = f"postgresql://kasvufee@/kasvufee?host={tmp_path}&port=1"
    for command in (("verify",), ("post", SCHEME, EVENTS, "--period", "2018-02")):
        code, out, err = invoke(*command, "--ledger", ledger)
        assert (code, out) == (4, ""), err
        assert re.fullmatch(
            re.escape(f"kasvufee: {ledger}"
                      " cannot be opened or written: the database refused (") + r".+"
            + re.escape("); nothing was written\n"), err), err


# --------------------------------------------------------------------------- posting


def test_post_refuses_the_future_and_later_earnings(ledger_url: str) -> None:
    posted(ledger_url)
    future = next_month(TODAY)
    cases = [
        (("--period", f"{future:%Y-%m}"),
         f"period {future:%Y-%m} has not begun on {TODAY}: post it once it has"),
        (("--period", "2018-05", "--posted-on", f"{future}"),
         f"the posting day {future} is in the future (today is {TODAY}): give today or an "
         "earlier day"),
        (("--period", "2018-06", "--as-of", "2018-12-31"),
         "as of 2018-12-31 is after the end of period 2018-06 (2018-06-30): it would book "
         "later earnings into 2018-06; post period 2018-12 for them, or evaluate as of "
         "2018-06-30 or earlier"),
        (("--period", "2018-06", "--as-of", "2018-06-20", "--posted-on", "2018-06-15"),
         "as of 2018-06-20 is after the posting day 2018-06-15: evaluate as of that day or "
         "earlier"),
    ]
    for args, message in cases:
        code, err = refused(ledger_url, "post", SCHEME, EVENTS, "--ledger", ledger_url, *args)
        assert (code, err) == (2, f"kasvufee: {message}\n"), args


def test_post_refused_by_the_ledger_is_exit_3(ledger_url: str) -> None:
    posted(ledger_url)
    code, err = refused(ledger_url, "post", SCHEME, EVENTS, "--ledger", ledger_url, "--period",
                        "2018-04", "--posted-on", "2018-04-27")
    assert (code, err) == (3, "kasvufee: the posting time 2018-04-27 12:00:00 is before the last "
                              "posting (2018-04-28 12:00:00): post on or after it\n")
    assert invoke("close", "--ledger", ledger_url, "--scheme", "satakunta-kokosata",
                  "--period", "2018-04")[0] == 0
    cases = [
        (("--period", "2018-04"), "period 2018-04 of satakunta-kokosata was closed on "
                                  f"{TODAY}; post corrections into a later period"),
        (("--period", "2018-03"), "period 2018-03 is before 2018-04, the last period posted "
                                  "for satakunta-kokosata; post corrections into 2018-04 or "
                                  "later"),
    ]
    for args, message in cases:
        code, err = refused(ledger_url, "post", SCHEME, EVENTS, "--ledger", ledger_url, *args)
        assert (code, err) == (3, f"kasvufee: {message}\n"), args


def test_a_posted_version_cannot_change(ledger_url: str, tmp_path: Path) -> None:
    posted(ledger_url)
    text = Path(SCHEME).read_text()
    changed = tmp_path / "scheme.yaml"
    changed.write_text(text.replace("amount: 2000.00", "amount: 2500.00")
                       .replace("once_per: client\n        amount: 400.00",
                                "once_per: provider\n        amount: 400.00"))
    code, err = refused(ledger_url, "post", str(changed), EVENTS, "--ledger", ledger_url,
                        "--period", "2018-05", "--posted-on", "2018-05-31")
    assert (code, err) == (3, "kasvufee: scheme satakunta-kokosata version '1' was posted and "
                              "has other rules: components[recruitment].amount, "
                              "components[training_referral].once_per differ; a posted version "
                              "cannot change (entries were paid under it): keep it as posted "
                              "and add the change as a new version with its own valid_from\n")
    # a new version from June on is the way: it is posted
    changed.write_text(text + text[text.index("  - version"):text.index("    caps:")]
                       .replace('"1"', '"2"').replace("2016-01-01", "2018-06-01")
                       .replace("amount: 2000.00", "amount: 2500.00"))
    code, _, err = invoke("post", str(changed), EVENTS, "--ledger", ledger_url,
                            "--period", "2018-06", "--posted-on", "2018-06-30")
    assert code == 0, err
    # and dropping a posted version is a change too
    changed.write_text(text.replace('version: "1"', 'version: "1b"'))
    code, err = refused(ledger_url, "post", str(changed), EVENTS, "--ledger", ledger_url,
                        "--period", "2018-07", "--posted-on", "2018-07-31")
    assert (code, err) == (3, "kasvufee: scheme satakunta-kokosata version '1' was posted and "
                              "is missing from the file; a posted version cannot change "
                              "(entries were paid under it): keep it as posted and add the "
                              "change as a new version with its own valid_from\n")


# --------------------------------------------------------------------------- closing


def test_close_refusals(ledger_url: str) -> None:
    posted(ledger_url)
    end_of_month = next_month(TODAY) - dt.timedelta(days=1)
    cases = [
        (("--scheme", "satakunta", "--period", "2018-04"), 2,
         f"no posting of scheme 'satakunta' in {where(ledger_url)}: close a scheme posted "
         "into it (satakunta-kokosata)"),
        (("--scheme", "satakunta-kokosata", "--period", f"{TODAY:%Y-%m}"), 2,
         f"period {TODAY:%Y-%m} ends on {end_of_month}: close it once it has ended (today is "
         f"{TODAY})"),
    ]
    for args, status, message in cases:
        code, err = refused(ledger_url, "close", "--ledger", ledger_url, *args)
        assert (code, err) == (status, f"kasvufee: {message}\n"), args
    assert invoke("close", "--ledger", ledger_url, "--scheme", "satakunta-kokosata",
                  "--period", "2018-04")[:2] == (0, "satakunta-kokosata 2018-04: closed\n")
    code, err = refused(ledger_url, "close", "--ledger", ledger_url, "--scheme",
                        "satakunta-kokosata", "--period", "2018-04")
    assert (code, err) == (3, f"kasvufee: period 2018-04 of satakunta-kokosata was already "
                              f"closed on {TODAY}; nothing changed\n")


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(("args", "option", "expected"), [
    (("run", SCHEME, EVENTS, "--as-of", "9999-12-31"), "--as-of",
     "a date from 1900-01-01 to 2199-12-31, got '9999-12-31'"),
    (("post", SCHEME, EVENTS, "--period", "9999-12"), "--period",
     "a period from 1900-01 to 2199-12, got '9999-12'"),
    (("post", SCHEME, EVENTS, "--period", "2018-01", "--posted-on", "9999-01-01"),
     "--posted-on", "a date from 1900-01-01 to 2199-12-31, got '9999-01-01'"),
    (("post", SCHEME, EVENTS, "--period", "2018-01", "--as-of", "0001-01-01"),
     "--as-of", "a date from 1900-01-01 to 2199-12-31, got '0001-01-01'"),
    (("entries", "--as-posted-on", "9999-12-31"), "--as-posted-on",
     "a date from 1900-01-01 to 2199-12-31, got '9999-12-31'"),
    (("statement", "--provider", "P", "--period", "9999-12", "--out", "-"), "--period",
     "a period from 1900-01 to 2199-12, got '9999-12'"),
], ids=["run", "period", "posted-on", "as-of", "as-posted-on", "statement"])
def test_dates_out_of_range_are_invalid_input(tmp_path: Path, args: tuple[str, ...],
                                              option: str, expected: str) -> None:
    ledger = tmp_path / "l.sqlite"
    extra = ("--ledger", str(ledger)) if args[0] != "run" else ()
    code, out, err = invoke(*args, *extra)
    assert (code, out, err) == (2, "", f"<command line>: {option}: expected {expected}\n"
                                       "kasvufee: 1 problem; nothing was written\n")
    assert not ledger.exists()


# --------------------------------------------------------------------------- exit status


def test_each_exit_status(tmp_path: Path) -> None:
    """One command per row of the exit status table."""
    ledger = posted(str(tmp_path / "l.sqlite"))
    assert invoke("verify", "--ledger", ledger)[0] == 0
    unbounded = tmp_path / "s.yaml"
    unbounded.write_text("scheme: s\ntitle: t\nversions:\n  - version: '1'\n"
                         "    valid_from: 2016-01-01\n    components:\n"
                         "      - {id: bonus, on: quality_rated,\n"
                         "         amount: {formula: 'score * 100'}}\n")
    assert invoke("lint", str(unbounded))[0] == 1
    engine = create_engine(_url(ledger))
    with engine.begin() as conn:
        conn.execute(text("UPDATE kasvufee_postings SET added = 0"))
    engine.dispose()
    assert invoke("verify", "--ledger", ledger) == (
        1, "", f"{ledger}: TAMPERED: kasvufee_postings row posting_id=1 was changed after seal "
               "#1 sealed it\n")
    assert invoke("post", SCHEME, EVENTS, "--ledger", ledger, "--period", "2018-13")[0] == 2
    assert invoke("post", SCHEME, EVENTS, "--ledger", ledger, "--period", "2018-03")[0] == 3
    assert invoke("verify", "--ledger", str(tmp_path / "l.sqlite" / "x"))[0] == 2
    (tmp_path / "bad.sqlite").write_bytes(b"\0" * 200)
    assert invoke("verify", "--ledger", str(tmp_path / "bad.sqlite"))[0] == 4


def test_the_exit_status_table_is_in_help_and_readme() -> None:
    code, out, _ = invoke("--help")
    table = EXIT_STATUS.removeprefix("\b\n")
    assert code == 0 and textwrap.indent(table, "  ") in out
    readme = (ROOT / "README.md").read_text()
    rows_ = re.findall(r"^\| (\d+) \| (.+) \|$", readme, re.M)
    listed = re.findall(r"^ +(\d+)  (.+(?:\n {6}.+)*)", table, re.M)
    assert rows_ == [(n, " ".join(text.split())) for n, text in listed]


def test_every_option_has_help_and_v_prints_the_version() -> None:
    import click

    missing = [f"{name} {p.name}" for name, cmd in main.commands.items() for p in cmd.params
               if isinstance(p, click.Option) and not p.help]
    assert missing == []
    from importlib.metadata import version

    assert invoke("-V")[:2] == (0, f"kasvufee, version {version('kasvufee')}\n")
