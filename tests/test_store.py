"""The posted ledger, on SQLite and on a real PostgreSQL server: a year of
monthly posts, corrections by reversal, idempotent re-posts, reproduction as
posted on a date, tamper detection, killed and concurrent posts."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, create_engine, text

import kasvufee
from kasvufee.errors import LedgerStateError, PeriodClosedError
from kasvufee.money import format_cents
from kasvufee.store import ChainReport, PostedLedger
from kasvufee.store.posted import _url
from tests.conftest import EXAMPLES, ROOT


def scheme(slug: str) -> kasvufee.Scheme:
    return kasvufee.load_scheme(EXAMPLES / slug / "scheme.yaml")


def events(slug: str, *extra: dict[str, object]) -> pl.DataFrame:
    table = kasvufee.read_events(EXAMPLES / slug / "events.csv")
    rows = table.drop("line").to_dicts() + list(extra)
    return kasvufee.events_from_records(rows)


def month_end(period: str) -> dt.datetime:
    year, month = map(int, period.split("-"))
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.datetime.combine(first_next - dt.timedelta(days=1), dt.time(18))


def post_year(store: PostedLedger, slug: str, table: pl.DataFrame, periods: list[str]
              ) -> list[tuple[str, int, int, str]]:
    done = []
    for period in periods:
        r = store.post(scheme(slug), table, period, posted_at=month_end(period))
        done.append((period, r.earned, r.reversals, format_cents(r.net_cents)))
    return done


MONTHS_2018 = [f"2018-{m:02d}" for m in range(1, 13)]


def test_a_year_of_monthly_posts(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        done = post_year(store, "lappi-matkailu", events("lappi-matkailu"), MONTHS_2018)
        assert [d for d in done if d[1] or d[2]] == [
            ("2018-07", 1, 0, "20000.00"), ("2018-09", 3, 0, "1200.00"),
            ("2018-10", 4, 0, "20600.00"), ("2018-11", 1, 0, "150.00")]
        table = store.entries()
        assert table["amount"].cast(pl.Decimal(12, 2)).sum() == 41950
        assert store.verify().ok and store.verify().checked == 9


def test_reposting_the_same_inputs_adds_nothing(ledger_url: str) -> None:
    with PostedLedger.open(ledger_url) as store:
        table = events("satakunta-kokosata")
        first = store.post(scheme("satakunta-kokosata"), table, "2018-12",
                           posted_at=month_end("2018-12"))
        again = store.post(scheme("satakunta-kokosata"), table.sample(fraction=1.0, shuffle=True,
                                                                      seed=7), "2018-12")
        assert (first.earned, again.added, again.posting_id) == (23, 0, None)
        assert len(store.postings()) == 1


def test_late_event_posts_in_the_current_period_and_keeps_earned_on(ledger_url: str) -> None:
    late = {"event_id": "e0099", "type": "training_referred", "provider_id": "P1",
            "client_id": "A3", "occurred_on": "2018-02-15", "recorded_at": "2018-05-10",
            "training": "welding"}
    with PostedLedger.open(ledger_url) as store:
        post_year(store, "varsinais-suomi", events("varsinais-suomi", late), MONTHS_2018[:6])
        table = store.entries()
        row = table.filter(pl.col("event_ids").list.contains("e0099")).row(0, named=True)
        assert (row["earned_on"], row["period"], row["amount"]) == (
            dt.date(2018, 2, 15), "2018-05", Decimal("100.00"))


def test_void_after_payment_is_reversed_in_the_next_period(ledger_url: str) -> None:
    void = {"event_id": "v1", "type": "event_voided", "provider_id": "LAPPI-REKRY",
            "client_id": "T1", "occurred_on": "2018-11-01", "recorded_at": "2019-01-10",
            "voids": "e0004", "reason": "recruitment was registered twice"}
    with PostedLedger.open(ledger_url) as store:
        post_year(store, "lappi-matkailu", events("lappi-matkailu", void), MONTHS_2018)
        result = store.post(scheme("lappi-matkailu"), events("lappi-matkailu", void), "2019-01",
                            posted_at=month_end("2019-01"))
        assert (result.earned, result.reversals, result.net_cents) == (1, 1, 2_000_000 - 15_000)
        rev = store.entries().filter(pl.col("kind") == "reversal").row(0, named=True)
        assert (rev["amount"], rev["period"], rev["client_id"]) == (
            Decimal("-150.00"), "2019-01", "T1")
        assert rev["explanation"].endswith("no longer supported: event e0004 was voided by v1 "
                                           "(recruitment was registered twice).")
        original = store.entry(rev["reverses"])
        assert original["reversed_by"] == {"entry_id": rev["entry_id"], "period": "2019-01"}


def test_a_correction_that_moves_a_cap(ledger_url: str) -> None:
    # R03's recruitment turns out to be a mistake: the result budget frees 2 000 €,
    # so R15 (cut to 800.00) is paid in full and R16 (cut to 0.00) gets 800.00.
    void = {"event_id": "v1", "type": "event_voided", "provider_id": "SATA-1",
            "client_id": "R03", "occurred_on": "2018-05-03", "voids": "e0005"}
    slug = "satakunta-kokosata"
    with PostedLedger.open(ledger_url) as store:
        post_year(store, slug, events(slug), MONTHS_2018[:4])
        result = store.post(scheme(slug), events(slug, void), "2018-05",
                            posted_at=month_end("2018-05"))
        assert (result.earned, result.reversals, result.net_cents) == (2, 3, 0)
        may = store.entries().filter(pl.col("period") == "2018-05").sort("chain_no")
        assert may.select("kind", "client_id", "amount").rows() == [
            ("reversal", "R03", Decimal("-2000.00")), ("reversal", "R15", Decimal("-800.00")),
            ("reversal", "R16", Decimal("0.00")), ("earned", "R15", Decimal("2000.00")),
            ("earned", "R16", Decimal("800.00"))]
        r16 = may.filter((pl.col("client_id") == "R16") & (pl.col("kind") == "earned")).row(
            0, named=True)
        assert (r16["capped_from"], r16["cap"], r16["entry_id"].endswith(".2")) == (
            Decimal("2000.00"), "result_budget", True)
        assert "the amount is now 2000.00 €, not 800.00 €" in may["explanation"][1]


def test_as_posted_on_reproduces_the_ledger_exactly(ledger_url: str) -> None:
    slug = "lappi-matkailu"
    with PostedLedger.open(ledger_url) as store:
        post_year(store, slug, events(slug), MONTHS_2018[:9])
        snapshot = store.entries()
        post_year(store, slug, events(slug), MONTHS_2018[9:])
        assert store.entries(as_posted_on=dt.date(2018, 9, 30)).equals(snapshot)
        assert store.entries(as_posted_on=dt.date(2018, 6, 30)).height == 0
        assert store.entries().height > snapshot.height


def test_closed_period_refuses_posting(ledger_url: str) -> None:
    slug = "varsinais-suomi"
    with PostedLedger.open(ledger_url) as store:
        store.post(scheme(slug), events(slug), "2018-04", posted_at=month_end("2018-04"))
        store.close_period(slug, "2018-04")
        with pytest.raises(PeriodClosedError, match="period 2018-04 of varsinais-suomi was "
                                                    "closed on"):
            store.post(scheme(slug), events(slug), "2018-04")
        with pytest.raises(PeriodClosedError, match="period 2018-03 is before 2018-04"):
            store.post(scheme(slug), events(slug), "2018-03")
        assert store.post(scheme(slug), events(slug), "2018-05").period == "2018-05"


def test_posting_time_never_goes_back(ledger_url: str) -> None:
    slug = "varsinais-suomi"
    with PostedLedger.open(ledger_url) as store:
        store.post(scheme(slug), events(slug), "2018-04", posted_at=month_end("2018-04"))
        with pytest.raises(LedgerStateError, match=r"^the posting time 2018-04-15 18:00:00 is "
                           r"before the last posting \(2018-04-30 18:00:00\): post on or after "
                           "it$"):
            store.post(scheme(slug), events(slug), "2018-04",
                       posted_at=dt.datetime(2018, 4, 15, 18))


# --------------------------------------------------------------------------- tampering


def _tamper(ledger_url: str, sql: str) -> None:
    engine = create_engine(_url(ledger_url))
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


@pytest.mark.parametrize(("sql", "problem"), [
    ("UPDATE kasvufee_entries SET amount_cents = 95000 WHERE chain_no = 3",
     "(#3) was changed: its content no longer matches its hash"),
    ("DELETE FROM kasvufee_entries WHERE chain_no = 2",
     "entry #2 after entry"),
    ("UPDATE kasvufee_entries SET chain_no = chain_no + 100 WHERE chain_no >= 4",
     "entry #4 after entry"),
    ("DELETE FROM kasvufee_entries WHERE chain_no = 5",
     "the ledger records 5 entries but holds 4"),
])
def test_tampering_is_detected(ledger_url: str, sql: str, problem: str) -> None:
    slug = "varsinais-suomi"
    with PostedLedger.open(ledger_url) as store:
        post_year(store, slug, events(slug), MONTHS_2018)
        assert store.verify().ok
    _tamper(ledger_url, sql)
    with PostedLedger.open(ledger_url) as store:
        report = store.verify()
    assert not report.ok
    assert problem in (report.problem or "")


def test_an_inserted_row_is_detected(ledger_url: str) -> None:
    slug = "varsinais-suomi"
    with PostedLedger.open(ledger_url) as store:
        post_year(store, slug, events(slug), MONTHS_2018)
        row = store.entry(store.entries()["entry_id"][1])
    # make room at #2 (in two steps: SQLite checks the key row by row)
    _tamper(ledger_url, "UPDATE kasvufee_entries SET chain_no = chain_no + 1000 "
                        "WHERE chain_no >= 2")
    _tamper(ledger_url, "UPDATE kasvufee_entries SET chain_no = chain_no - 999 "
                        "WHERE chain_no > 1000")
    forged = {k: v for k, v in row.items() if k not in ("posting", "reversed_by", "assurance")}
    forged.update(entry_id="forged", chain_no=2, amount_cents=100_000_00,
                  derivation=json.dumps(forged["derivation"]),
                  event_ids=json.dumps(forged["event_ids"]))
    from kasvufee.store.schema import entries as table

    engine = create_engine(_url(ledger_url))
    with engine.begin() as conn:
        conn.execute(table.insert().values(**forged))
    engine.dispose()
    with PostedLedger.open(ledger_url) as store:
        report = store.verify()
    assert report.problem is not None and "entry forged (#2)" in report.problem


# --------------------------------------------------------------------------- real processes


KILLER = """
import os, signal, sys
import kasvufee
from kasvufee.store import PostedLedger
from kasvufee.store.posted import PostedLedger as P

def die(self, conn, length, head):   # after the entries are written, before the commit
    os.kill(os.getpid(), signal.SIGKILL)

P._set_head = die
store = PostedLedger.open(sys.argv[1])
scheme = kasvufee.load_scheme(sys.argv[2])
store.post(scheme, kasvufee.read_events(sys.argv[3]), "2018-12")
"""

SLOW = """
import sys, time
import kasvufee
from kasvufee.store.posted import PostedLedger as P

take = P._lock
def slow(self, conn):
    head = take(self, conn)
    print("locked", flush=True)
    time.sleep(float(sys.argv[4]))
    return head

P._lock = slow
store = P.open(sys.argv[1])
result = store.post(kasvufee.load_scheme(sys.argv[2]), kasvufee.read_events(sys.argv[3]),
                    "2018-12")
print(result.added, flush=True)
"""


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_a_post_killed_midway_leaves_nothing(ledger_url: str, tmp_path: Path) -> None:
    slug = "satakunta-kokosata"
    PostedLedger.open(ledger_url).close()  # create the tables first
    done = subprocess.run([sys.executable, str(_script(tmp_path, "kill.py", KILLER)), ledger_url,
                           str(EXAMPLES / slug / "scheme.yaml"),
                           str(EXAMPLES / slug / "events.csv")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == -9, done.stderr
    with PostedLedger.open(ledger_url) as store:
        assert store.entries().height == 0 and store.postings() == []
        assert store.verify().ok
        assert store.post(scheme(slug), events(slug), "2018-12").earned == 23


def test_concurrent_posts_never_duplicate(ledger_url: str, tmp_path: Path) -> None:
    slug = "satakunta-kokosata"
    PostedLedger.open(ledger_url).close()
    script = str(_script(tmp_path, "slow.py", SLOW))
    args = [ledger_url, str(EXAMPLES / slug / "scheme.yaml"), str(EXAMPLES / slug / "events.csv")]
    first = subprocess.Popen([sys.executable, script, *args, "2"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert first.stdout is not None and first.stdout.readline().strip() == "locked"
    second = subprocess.run([sys.executable, script, *args, "0"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    out_first, err_first = first.communicate(timeout=120)
    assert first.returncode == 0, err_first
    assert second.returncode == 0, second.stderr
    # the second waited for the first, then found nothing left to post
    assert (out_first.strip(), second.stdout.split()) == ("23", ["locked", "0"])
    with PostedLedger.open(ledger_url) as store:
        assert store.entries().height == 23
        assert store.verify().ok


def test_ledger_busy_is_a_clear_error(tmp_path: Path) -> None:
    from kasvufee.errors import LedgerBusyError
    from kasvufee.store import posted

    url = str(tmp_path / "busy.sqlite")
    PostedLedger.open(url).close()
    holder = subprocess.Popen([sys.executable, str(_script(tmp_path, "slow.py", SLOW)), url,
                               str(EXAMPLES / "satakunta-kokosata" / "scheme.yaml"),
                               str(EXAMPLES / "satakunta-kokosata" / "events.csv"), "5"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    old = posted.LOCK_TIMEOUT_SECONDS
    posted.LOCK_TIMEOUT_SECONDS = 1
    try:
        with pytest.raises(LedgerBusyError, match="is busy: another post held it"):
            PostedLedger.open(url).post(scheme("satakunta-kokosata"),
                                        events("satakunta-kokosata"), "2018-12")
    finally:
        posted.LOCK_TIMEOUT_SECONDS = old
        holder.communicate(timeout=60)


def test_a_new_rating_is_stored_even_when_no_fee_changes(ledger_url: str) -> None:
    slug = "pirkanmaa-kasvubuusti"
    # V2 declined the survey in March (the policy paid 250 €), then answers in September:
    # the fee stays, but P1's star rating now counts V2 too
    late = {"event_id": "e0099", "type": "survey_answered", "provider_id": "P1",
            "client_id": "V2", "occurred_on": "2018-09-10", "answers": "3;3;3;3"}
    with PostedLedger.open(ledger_url) as store:
        store.post(scheme(slug), events(slug), "2018-09", posted_at=month_end("2018-09"))
        assert store.rating(slug, "P1", "2018-09") == ("4.88", 2)
        result = store.post(scheme(slug), events(slug, late), "2018-09",
                            posted_at=month_end("2018-09"))
        assert (result.added, result.posting_id) == (0, 2)
        # (4.75 + 5.00 + 3.00) / 3 = 4.25
        assert store.rating(slug, "P1", "2018-09") == ("4.25", 3)
        assert store.post(scheme(slug), events(slug, late), "2018-09").posting_id is None


# --------------------------------------------------------------------------- sealed rows


def _sealed_ledger(ledger_url: str) -> None:
    """Satakunta posted in February and April, April closed; Pirkanmaa's
    September posted with its star ratings."""
    with PostedLedger.open(ledger_url) as store:
        post_year(store, "satakunta-kokosata", events("satakunta-kokosata"),
                  ["2018-02", "2018-04"])
        store.close_period("satakunta-kokosata", "2018-04", closed_at=dt.datetime(2018, 5, 2, 9))
        store.post(scheme("pirkanmaa-kasvubuusti"), events("pirkanmaa-kasvubuusti"),
                   "2018-09", posted_at=month_end("2018-09"))
        assert store.verify() == ChainReport(store.entries().height, None)


def _verified(ledger_url: str) -> str | None:
    with PostedLedger.open(ledger_url) as store:
        return store.verify().problem


def _digest(ledger_url: str, scheme_id: str) -> str:
    engine = create_engine(_url(ledger_url))
    with engine.connect() as conn:
        digest = conn.execute(text("SELECT digest FROM kasvufee_schemes WHERE scheme_id = "
                                   f"'{scheme_id}'")).scalar_one()
    engine.dispose()
    return str(digest)


SIDE_TAMPERING = [
    # raising a stored cap tenfold would raise what the statement says is left
    ("""UPDATE kasvufee_schemes SET body = replace(body, '"amount":"30000.00"}]',
        '"amount":"300000.00"}]') WHERE scheme_id = 'satakunta-kokosata'""",
     "kasvufee_schemes row digest={satakunta} was changed after seal #1 sealed it"),
    # deleting a closed period would reopen it
    ("DELETE FROM kasvufee_closed_periods",
     "kasvufee_closed_periods row scheme_id=satakunta-kokosata, period=2018-04, sealed by "
     "seal #3, was deleted"),
    ("INSERT INTO kasvufee_closed_periods VALUES ('pirkanmaa-kasvubuusti', '2018-09', "
     "'2018-10-01 00:00:00')",
     "kasvufee_closed_periods row scheme_id=pirkanmaa-kasvubuusti, period=2018-09 was "
     "inserted behind the library's back (no seal covers it)"),
    ("UPDATE kasvufee_ratings SET mean = '5.00'",
     "kasvufee_ratings row posting_id=3, provider_id=P1 was changed after seal #4 sealed it"),
    ("UPDATE kasvufee_postings SET events_source = 'elsewhere.csv' WHERE posting_id = 2",
     "kasvufee_postings row posting_id=2 was changed after seal #2 sealed it"),
    ("DELETE FROM kasvufee_ratings",
     "kasvufee_ratings row posting_id=3, provider_id=P1, sealed by seal #4, was deleted"),
    # removing the last seal leaves its rows unsealed
    ("DELETE FROM kasvufee_seals WHERE seal_no = 4",
     "entries #24 to #33 are not sealed: added behind the library's back, or their seal was "
     "removed"),
    ("UPDATE kasvufee_seals SET records = '[]' WHERE seal_no = 3",
     "seal #3 (close) was changed, or a seal before it removed or inserted"),
    ("UPDATE kasvufee_meta SET value = 'many' WHERE key = 'chain_length'",
     "kasvufee_meta row chain_length: 'many' is no number"),
]


@pytest.mark.parametrize(("sql", "problem"), SIDE_TAMPERING,
                         ids=["cap", "reopen", "close", "rating", "posting", "no-rating",
                              "last-seal", "seal", "meta"])
def test_tampering_with_sealed_rows_is_detected(ledger_url: str, sql: str,
                                                problem: str) -> None:
    _sealed_ledger(ledger_url)
    _tamper(ledger_url, sql)
    assert _verified(ledger_url) == problem.format(
        satakunta=_digest(ledger_url, "satakunta-kokosata"))


def test_truncating_and_moving_the_head_is_caught_by_the_seals(ledger_url: str) -> None:
    """The issue's attack: delete the newest entries and copy the last remaining
    hash into kasvufee_meta; the chain alone is then intact, the seals are not."""
    _sealed_ledger(ledger_url)
    _tamper(ledger_url, "DELETE FROM kasvufee_entries WHERE chain_no > 20")
    _tamper(ledger_url, "UPDATE kasvufee_meta SET value = (SELECT hash FROM kasvufee_entries "
                        "WHERE chain_no = 20) WHERE key = 'chain_head'")
    _tamper(ledger_url, "UPDATE kasvufee_meta SET value = '20' WHERE key = 'chain_length'")
    problem = _verified(ledger_url)
    assert problem is not None and re.fullmatch(
        r"seal #2 \(posting\) seals 23 entries with head [0-9a-f]{12}…, which the entry chain "
        r"of 20 entries does not hold: entries were removed or rewritten", problem), problem


@pytest.mark.parametrize(("sql", "problem"), [
    ("UPDATE kasvufee_postings SET as_of = 'last spring' WHERE posting_id = 1",
     "kasvufee_postings row posting_id=1: its as_of 'last spring' is no date"),
    ("UPDATE kasvufee_entries SET posted_at = '2018-02-31 12:00:00' WHERE chain_no = 3",
     "kasvufee_entries row chain_no=3: its posted_at '2018-02-31 12:00:00' is no date"),
    ("UPDATE kasvufee_entries SET chain_no = 'x33' WHERE chain_no = 33",
     "entry {last} after entry {before} (#32): its chain number 'x33' is no number"),
], ids=["as_of", "posted_at", "chain_no"])
def test_unreadable_values_are_tampering_not_errors(tmp_path: Path, sql: str,
                                                    problem: str) -> None:
    """SQLite keeps any text in any column; PostgreSQL refuses these updates."""
    ledger = str(tmp_path / "l.sqlite")
    _sealed_ledger(ledger)
    with PostedLedger.open(ledger) as store:
        last, before = store.entries()["entry_id"][-2:][::-1]
    _tamper(ledger, sql)
    assert _verified(ledger) == problem.format(last=last, before=before)
    # the reading commands say the ledger cannot be read, without a traceback
    from kasvufee.errors import LedgerUnavailableError

    if "posted_at" in sql:
        with PostedLedger.open(ledger) as store, pytest.raises(
                LedgerUnavailableError, match="holds a value that cannot be read"):
            store.entries()


def test_a_ledger_from_before_the_seals_is_sealed_as_found(ledger_url: str) -> None:
    _sealed_ledger(ledger_url)
    _tamper(ledger_url, "DROP TABLE kasvufee_seals")
    _tamper(ledger_url, "DROP TABLE kasvufee_assurance")
    _tamper(ledger_url, "UPDATE kasvufee_meta SET value = '1' WHERE key = 'schema_version'")
    assert _verified(ledger_url) is None
    engine = create_engine(_url(ledger_url))
    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind, chain_length FROM kasvufee_seals")).all()
        version = conn.execute(text("SELECT value FROM kasvufee_meta WHERE key = "
                                    "'schema_version'")).scalar_one()
    engine.dispose()
    assert (kinds, version) == ([("migration", 33)], "3")
    _tamper(ledger_url, "DELETE FROM kasvufee_closed_periods")
    assert _verified(ledger_url) == ("kasvufee_closed_periods row scheme_id=satakunta-kokosata, "
                                     "period=2018-04, sealed by seal #1, was deleted")


def test_a_ledger_from_before_the_assurance_records_gets_their_table(ledger_url: str) -> None:
    _sealed_ledger(ledger_url)
    _tamper(ledger_url, "DROP TABLE kasvufee_assurance")
    _tamper(ledger_url, "UPDATE kasvufee_meta SET value = '2' WHERE key = 'schema_version'")
    with PostedLedger.open(ledger_url) as store:
        assert store.assurance() == []
        assert store.verify().ok
    engine = create_engine(_url(ledger_url))
    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind FROM kasvufee_seals ORDER BY seal_no")).all()
        version = conn.execute(text("SELECT value FROM kasvufee_meta WHERE key = "
                                    "'schema_version'")).scalar_one()
    engine.dispose()
    assert ("migration",) not in kinds and version == "3"  # nothing to seal: no rows yet


# --------------------------------------------------------------------------- SQLite durability


def _all_rows(ledger: str) -> dict[str, list[tuple[object, ...]]]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(ledger)) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                            "'table' ORDER BY name")]
        return {n: sorted(conn.execute(f"SELECT * FROM {n}").fetchall()) for n in names}


def test_a_post_stopped_by_a_full_disk_leaves_the_ledger_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's page limit stands in for the disk: the post fails as on a full
    disk (SQLITE_FULL), with exit 4, and the ledger file alone is as before."""
    import sqlite3

    from click.testing import CliRunner
    from sqlalchemy import event

    from kasvufee.cli import main
    from kasvufee.store import posted

    ledger = str(tmp_path / "l.sqlite")
    slug = "satakunta-kokosata"
    with PostedLedger.open(ledger) as store:
        store.post(scheme(slug), events(slug), "2018-02", posted_at=month_end("2018-02"))
    with contextlib.closing(sqlite3.connect(ledger)) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    before = _all_rows(ledger)
    real = posted._engine

    def full_disk(url: str) -> Engine:
        engine = real(url)
        event.listen(engine, "connect",
                     lambda dbapi, _record: dbapi.execute(f"PRAGMA max_page_count = {pages}"))
        return engine

    monkeypatch.setattr(posted, "_engine", full_disk)
    done = CliRunner().invoke(main, ["post", str(EXAMPLES / slug / "scheme.yaml"),
                                     str(EXAMPLES / slug / "events-2018-05.csv"), "--ledger",
                                     ledger, "--period", "2018-05", "--posted-on", "2018-05-31"])
    assert (done.exit_code, done.stdout, done.stderr) == (
        4, "", f"kasvufee: {ledger} cannot be opened or written: the database refused "
               "(database or disk is full); nothing was written\n")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.sqlite", "l.sqlite.receipts.jsonl"]
    assert _all_rows(ledger) == before
    with PostedLedger.open(ledger) as store:
        assert store.verify() == ChainReport(16, None)


def test_the_ledger_keeps_a_synced_rollback_journal(tmp_path: Path) -> None:
    """A ledger a tool switched to WAL is switched back: no -wal file beside it
    holds posts the file itself lacks."""
    import sqlite3

    ledger = tmp_path / "l.sqlite"
    PostedLedger.open(ledger).close()
    with contextlib.closing(sqlite3.connect(ledger)) as conn:
        assert conn.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
    with PostedLedger.open(ledger) as store:
        store.post(scheme("satakunta-kokosata"), events("satakunta-kokosata"), "2018-02",
                   posted_at=month_end("2018-02"))
        with store._engine.connect() as conn:
            modes = (conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
                     conn.exec_driver_sql("PRAGMA synchronous").scalar())
    assert modes == ("delete", 2)  # 2: FULL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.sqlite", "l.sqlite.receipts.jsonl"]


def test_verify_says_intact_only_when_sqlite_agrees(tmp_path: Path) -> None:
    ledger = str(tmp_path / "l.sqlite")
    with PostedLedger.open(ledger) as store:
        post_year(store, "satakunta-kokosata", events("satakunta-kokosata"), ["2018-02"])
    # an index that no longer matches its table: the rows and hashes are all there
    import sqlite3

    with contextlib.closing(sqlite3.connect(ledger)) as conn:
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("UPDATE sqlite_master SET sql = replace(sql, 'provider_id, period', "
                     "'period, provider_id') WHERE name = 'kasvufee_entries_provider'")
        conn.commit()
    with PostedLedger.open(ledger) as store:
        report = store.verify()
    assert report == ChainReport(0, "the database file is damaged (PRAGMA integrity_check: row "
                                    "1 missing from index kasvufee_entries_provider; row 2 "
                                    "missing from index kasvufee_entries_provider; row 3 "
                                    "missing from index kasvufee_entries_provider): restore it "
                                    "from a backup", damaged=True)


def test_an_upgrade_never_reads_as_a_changed_posted_version() -> None:
    """A scheme stored by an earlier release lacks the fields added since (with
    their defaults) or spells out defaults; read now, it is the same version."""
    import json

    from kasvufee.store.posted import _as_read_now
    scheme = kasvufee.load_scheme(EXAMPLES / "satakunta-kokosata" / "scheme.yaml")
    full = json.loads(scheme.model_dump_json())
    older = {k: v for k, v in full.items() if k not in ("currency", "event_types", "contract")}
    for version in older["versions"]:
        version.pop("tiers", None)
        version.pop("at_most_one", None)
    now = json.loads(scheme.model_dump_json(exclude_defaults=True))
    assert _as_read_now(json.dumps(full)) == _as_read_now(json.dumps(older)) == now
    assert "currency" not in now  # EUR, the default, is not written
    # a body this release cannot read is compared as it was stored
    assert _as_read_now('{"scheme": "x", "unknown": 1}') == {"scheme": "x", "unknown": 1}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("**/scheme.yaml")),
                         ids=lambda p: str(p.parent.relative_to(EXAMPLES)))
def test_every_example_reads_back_from_its_stored_form(path: Path) -> None:
    """Statements and explain read the stored scheme back: it must parse to the same."""
    scheme = kasvufee.load_scheme(path)
    for body in (scheme.model_dump_json(), scheme.model_dump_json(exclude_defaults=True)):
        assert kasvufee.Scheme.model_validate_json(body) == scheme
