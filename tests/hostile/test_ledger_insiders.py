"""Issue 14's *The ledger against insiders*, as hostile cases on SQLite and
PostgreSQL alike: what someone with write access to the database does behind
kasvufee's back, and the whole message ``kasvufee verify`` (and ``verify
--witness``) answers with.

The ledger of every case: Satakunta posted for February (16 entries, seal #1,
receipt 1) and April (23 entries, seal #2, receipt 2), April closed on
2018-05-02 (seal #3).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kasvufee.store import PostedLedger
from kasvufee.store import schema as t
from kasvufee.store.posted import _url
from tests.test_receipts import (
    _rewrite,
    caught_only_by_the_witness,
    invoke,
    post_two,
    sql,
    witness,
)

SATAKUNTA_CAP_30000 = '"amount":"30000.00"}]'


@pytest.fixture
def ledger(ledger_url: str, tmp_path: Path) -> tuple[str, Path]:
    """The case's ledger and its receipts file."""
    receipts = tmp_path / "receipts.jsonl"
    post_two(ledger_url, receipts)
    with PostedLedger.open(ledger_url) as store:
        store.close_period("satakunta-kokosata", "2018-04", closed_at=dt.datetime(2018, 5, 2, 9))
    assert witness(ledger_url, receipts) == (
        0, f"{ledger_url}: 23 entries, the hash chain is intact; it extends all 2 receipts of "
           f"{receipts}\n", "")
    return ledger_url, receipts


def one(ledger: str, query: str) -> str:
    engine = create_engine(_url(ledger))
    with engine.connect() as conn:
        found = str(conn.execute(text(query)).scalar_one())
    engine.dispose()
    return found


def tampered(ledger: str, receipts: Path, problem: str) -> None:
    """``verify`` and ``verify --witness`` both say TAMPERED, naming ``problem``."""
    message = (1, "", f"{ledger}: TAMPERED: {problem}\n")
    assert invoke("verify", "--ledger", ledger) == message
    assert witness(ledger, receipts) == message


# --------------------------------------------------------------------------- truncation


def test_deleting_the_newest_entries_and_copying_the_last_hash_into_meta(
        ledger: tuple[str, Path]) -> None:
    url, receipts = ledger
    head_23 = one(url, "SELECT chain_head FROM kasvufee_seals WHERE seal_no = 2")
    sql(url, "DELETE FROM kasvufee_entries WHERE chain_no > 20",
        "UPDATE kasvufee_meta SET value = (SELECT hash FROM kasvufee_entries "
        "WHERE chain_no = 20) WHERE key = 'chain_head'",
        "UPDATE kasvufee_meta SET value = '20' WHERE key = 'chain_length'")
    tampered(url, receipts, f"seal #2 (posting) seals 23 entries with head {head_23[:12]}…, "
                            "which the entry chain of 20 entries does not hold: entries were "
                            "removed or rewritten")


def test_cutting_back_a_whole_posting_is_caught_only_by_the_witness(
        ledger: tuple[str, Path]) -> None:
    url, receipts = ledger
    # April removed as if never posted: its entries, closed period, seals, posting; the head
    sql(url, "DELETE FROM kasvufee_entries WHERE chain_no > 16",
        "DELETE FROM kasvufee_closed_periods", "DELETE FROM kasvufee_seals WHERE seal_no > 1",
        "DELETE FROM kasvufee_postings WHERE posting_id = 2",
        "UPDATE kasvufee_meta SET value = (SELECT hash FROM kasvufee_entries "
        "WHERE chain_no = 16) WHERE key = 'chain_head'",
        "UPDATE kasvufee_meta SET value = '16' WHERE key = 'chain_length'")
    caught_only_by_the_witness(url, receipts, 16, 2, "it holds 16 entries: entries were removed")


# --------------------------------------------------------------------------- emptying


def test_emptying_the_entries_and_meta(ledger: tuple[str, Path]) -> None:
    url, receipts = ledger
    head_16 = one(url, "SELECT chain_head FROM kasvufee_seals WHERE seal_no = 1")
    sql(url, "DELETE FROM kasvufee_entries", "DELETE FROM kasvufee_meta")
    tampered(url, receipts, f"seal #1 (posting) seals 16 entries with head {head_16[:12]}…, "
                            "which the entry chain of 0 entries does not hold: entries were "
                            "removed or rewritten")


def test_emptying_the_entries_with_the_head_set_back(ledger: tuple[str, Path]) -> None:
    url, receipts = ledger
    head_16 = one(url, "SELECT chain_head FROM kasvufee_seals WHERE seal_no = 1")
    sql(url, "DELETE FROM kasvufee_entries",
        "UPDATE kasvufee_meta SET value = '0' WHERE key = 'chain_length'",
        f"UPDATE kasvufee_meta SET value = '{t.GENESIS}' WHERE key = 'chain_head'")
    tampered(url, receipts, f"seal #1 (posting) seals 16 entries with head {head_16[:12]}…, "
                            "which the entry chain of 0 entries does not hold: entries were "
                            "removed or rewritten")


def test_emptying_every_table_is_caught_only_by_the_witness(ledger: tuple[str, Path]) -> None:
    url, receipts = ledger
    sql(url, *(f"DELETE FROM {name}" for name in (
        "kasvufee_entries", "kasvufee_ratings", "kasvufee_seals", "kasvufee_closed_periods",
        "kasvufee_postings", "kasvufee_schemes", "kasvufee_meta")))
    caught_only_by_the_witness(url, receipts, 0, 1, "it holds 0 entries: entries were removed")


# --------------------------------------------------------------------------- rewriting


def test_an_edit_with_every_later_entry_hash_recomputed(ledger: tuple[str, Path]) -> None:
    url, receipts = ledger
    head_16 = one(url, "SELECT chain_head FROM kasvufee_seals WHERE seal_no = 1")
    engine = create_engine(_url(url))
    with engine.begin() as conn:  # the entries and the head rewritten, the seals kept
        seals = [dict(r) for r in conn.execute(t.seals.select()).mappings()]
        _rewrite(conn)
        conn.execute(t.seals.delete())
        conn.execute(t.seals.insert(), seals)
    engine.dispose()
    tampered(url, receipts, f"seal #1 (posting) seals 16 entries with head {head_16[:12]}…, "
                            "which the entry chain of 23 entries does not hold: entries were "
                            "removed or rewritten")


def test_an_edit_with_every_later_hash_and_seal_recomputed(ledger: tuple[str, Path]) -> None:
    url, receipts = ledger
    engine = create_engine(_url(url))
    with engine.begin() as conn:
        _rewrite(conn)
    engine.dispose()
    caught_only_by_the_witness(url, receipts, 23, 1,
                          "entry #16 has another hash: entries up to it were rewritten")


# --------------------------------------------------------------------------- the side tables


def test_raising_a_stored_cap_from_30000_to_300000(ledger: tuple[str, Path]) -> None:
    url, receipts = ledger
    digest = one(url, "SELECT digest FROM kasvufee_schemes")
    assert SATAKUNTA_CAP_30000 in one(url, "SELECT body FROM kasvufee_schemes")
    sql(url, "UPDATE kasvufee_schemes SET body = replace(body, "
             f"'{SATAKUNTA_CAP_30000}', '\"amount\":\"300000.00\"}}]')")
    tampered(url, receipts,
             f"kasvufee_schemes row digest={digest} was changed after seal #1 sealed it")


def test_deleting_a_closed_period_row(ledger: tuple[str, Path]) -> None:
    url, receipts = ledger
    sql(url, "DELETE FROM kasvufee_closed_periods")
    tampered(url, receipts, "kasvufee_closed_periods row scheme_id=satakunta-kokosata, "
                            "period=2018-04, sealed by seal #3, was deleted")


def test_editing_a_postings_row(ledger: tuple[str, Path]) -> None:
    url, receipts = ledger
    sql(url, "UPDATE kasvufee_postings SET period = '2018-03' WHERE posting_id = 2")
    tampered(url, receipts, "kasvufee_postings row posting_id=2 was changed after seal #2 "
                            "sealed it")


# --------------------------------------------------------------------------- unreadable values


@pytest.mark.parametrize(("value", "shown"), [("many", "'many'"), ("²", "'²'"), ("٣", "'٣'")],
                         ids=["word", "superscript-two", "arabic-indic-three"])
def test_a_chain_length_that_cannot_be_parsed(ledger: tuple[str, Path], value: str,
                                              shown: str) -> None:
    """'²' is a digit to ``str.isdigit`` but not to ``int``: it stopped verify
    with exit 4 ('cannot be read'); '٣' was read as 3 entries."""
    url, receipts = ledger
    sql(url, f"UPDATE kasvufee_meta SET value = '{value}' WHERE key = 'chain_length'")
    tampered(url, receipts, f"kasvufee_meta row chain_length: {shown} is no number")


@pytest.mark.parametrize(("statement", "problem"), [
    ("UPDATE kasvufee_postings SET as_of = 'last spring' WHERE posting_id = 1",
     "kasvufee_postings row posting_id=1: its as_of 'last spring' is no date"),
    ("UPDATE kasvufee_closed_periods SET closed_at = '2018-05-32 09:00:00'",
     "kasvufee_closed_periods row scheme_id=satakunta-kokosata, period=2018-04: its closed_at "
     "'2018-05-32 09:00:00' is no date"),
    ("UPDATE kasvufee_entries SET earned_on = '2018-02-30' WHERE chain_no = 2",
     "kasvufee_entries row chain_no=2: its earned_on '2018-02-30' is no date"),
], ids=["posting-as-of", "closed-at", "earned-on"])
def test_a_date_that_cannot_be_parsed_on_sqlite(tmp_path: Path, statement: str,
                                                problem: str) -> None:
    """SQLite keeps any text in a date column (PostgreSQL refuses these)."""
    url, receipts = str(tmp_path / "l.sqlite"), tmp_path / "receipts.jsonl"
    post_two(url, receipts)
    with PostedLedger.open(url) as store:
        store.close_period("satakunta-kokosata", "2018-04", closed_at=dt.datetime(2018, 5, 2, 9))
    sql(url, statement)
    tampered(url, receipts, problem)


@pytest.mark.parametrize(("table", "column", "value"), [
    ("kasvufee_postings", "as_of", "infinity"), ("kasvufee_postings", "as_of", "10000-01-01"),
    ("kasvufee_seals", "sealed_at", "10000-01-01T00:00:00")])
def test_a_date_python_cannot_hold_on_postgresql(ledger: tuple[str, Path], table: str,
                                                 column: str, value: str) -> None:
    """PostgreSQL keeps 'infinity' and year 10000 in a date column, which no
    Python date holds: verify stopped with exit 4 ('the database refused (date
    too large (after year 10K) ...)')."""
    url, receipts = ledger
    if not url.startswith("postgresql"):
        pytest.skip("SQLite: test_a_date_that_cannot_be_parsed_on_sqlite")
    key = {"kasvufee_postings": "posting_id", "kasvufee_seals": "seal_no"}[table]
    sql(url, f"UPDATE {table} SET {column} = '{value}' WHERE {key} = 1")
    tampered(url, receipts, f"{table} row {key}=1: its {column} '{value}' is no date")


# --------------------------------------------------------------------------- the file itself


def test_a_failing_integrity_check_is_damaged_on_sqlite(tmp_path: Path) -> None:
    url, receipts = str(tmp_path / "l.sqlite"), tmp_path / "receipts.jsonl"
    post_two(url, receipts)
    # an index that no longer matches its table: every row and hash is still there
    with contextlib.closing(sqlite3.connect(url)) as conn:
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("UPDATE sqlite_master SET sql = replace(sql, 'provider_id, period', "
                     "'period, provider_id') WHERE name = 'kasvufee_entries_provider'")
        conn.commit()
    message = (1, "", f"{url}: DAMAGED: the database file is damaged (PRAGMA integrity_check: "
                      "row 1 missing from index kasvufee_entries_provider; row 2 missing from "
                      "index kasvufee_entries_provider; row 3 missing from index "
                      "kasvufee_entries_provider): restore it from a backup\n")
    assert invoke("verify", "--ledger", url) == message
    assert witness(url, receipts) == message


def test_a_cap_raised_and_the_ledger_passed_off_as_from_before_the_seals(
        ledger: tuple[str, Path]) -> None:
    """Dropping the seals and setting the schema version back to 1 makes the
    next open seal every row as found, the raised cap too: a state consistent
    with itself, which only the receipts (their seals) can tell."""
    url, receipts = ledger
    sql(url, "UPDATE kasvufee_schemes SET body = replace(body, "
             f"'{SATAKUNTA_CAP_30000}', '\"amount\":\"300000.00\"}}]')",
        "DROP TABLE kasvufee_seals",
        "UPDATE kasvufee_meta SET value = '1' WHERE key = 'schema_version'")
    caught_only_by_the_witness(url, receipts, 23, 1, "seal #1 has another hash: postings or "
                                                "closings up to it were removed or rewritten")
