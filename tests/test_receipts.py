"""Receipts: each post's head of the ledger, kept outside the database, and
``verify --witness`` proving that the ledger still extends them: truncation,
emptying and a rewrite with every hash recomputed (all of which ``verify``
alone cannot see) are caught, on SQLite and PostgreSQL; signed receipts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, create_engine, text

from kasvufee.cli import main
from kasvufee.store import schema as t
from kasvufee.store.chain import entry_hash
from kasvufee.store.posted import _url
from kasvufee.store.seals import read_rows, seal_hash
from tests.conftest import EXAMPLES

SCHEME = str(EXAMPLES / "satakunta-kokosata" / "scheme.yaml")
EVENTS = str(EXAMPLES / "satakunta-kokosata" / "events.csv")
FIELDS = ["chain_head", "chain_length", "period", "posted_on", "posting_id", "receipt",
          "scheme", "seal_hash", "seal_no"]


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner(env=env).invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def keys(tmp_path: Path) -> tuple[str, str]:
    """A signing key and its public half, as PEM files."""
    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / "key.pem", tmp_path / "key.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return str(private), str(public)


def post_two(ledger: str, receipts: Path, *extra: str) -> list[dict[str, object]]:
    """February (16 entries) and April (7 more); the receipts printed."""
    printed = []
    for period in ("2018-02", "2018-04"):
        code, out, err = invoke("post", SCHEME, EVENTS, "--ledger", ledger, "--period", period,
                                "--posted-on", f"{period}-28", "--receipts", str(receipts),
                                *extra)
        assert code == 0, err
        summary, line = out.splitlines()
        assert summary.startswith(f"satakunta-kokosata {period}: posting #")
        printed.append(json.loads(line))
    assert [json.loads(x) for x in receipts.read_text().splitlines()] == printed
    return printed


def sql(ledger: str, *statements: str) -> None:
    engine = create_engine(_url(ledger))
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def witness(ledger: str, receipts: Path, *extra: str) -> tuple[int, str, str]:
    return invoke("verify", "--ledger", ledger, "--witness", str(receipts), *extra)


def caught_only_by_the_witness(ledger: str, receipts: Path, entries: int, line: int,
                               problem: str) -> None:
    """``verify`` finds the ledger intact; with the receipts, the receipt on
    ``line`` is no longer extended, for ``problem``."""
    assert invoke("verify", "--ledger", ledger)[:2] == (
        0, f"{ledger}: {entries} entries, the hash chain is intact\n")
    period, length = {1: ("2018-02", 16), 2: ("2018-04", 23)}[line]
    assert witness(ledger, receipts) == (
        1, "", f"{ledger}: TAMPERED: the ledger no longer extends receipt {receipts}:{line} "
               f"(posting #{line} of satakunta-kokosata {period}, {length} entries): "
               f"{problem}\n")


def test_a_receipt_per_post_and_the_intact_ledger_extends_them(ledger_url: str,
                                                                tmp_path: Path) -> None:
    receipts = tmp_path / "receipts.jsonl"
    first, second = post_two(ledger_url, receipts)
    assert sorted(first) == FIELDS
    assert [(r["posting_id"], r["chain_length"], r["seal_no"], r["posted_on"]) for r in
            (first, second)] == [(1, 16, 1, "2018-02-28T12:00:00"),
                                 (2, 23, 2, "2018-04-28T12:00:00")]
    assert witness(ledger_url, receipts) == (
        0, f"{ledger_url}: 23 entries, the hash chain is intact; it extends all 2 receipts of "
           f"{receipts}\n", "")
    # a statement names the head it was made from: the last receipt's
    code, out, _ = invoke("statement", "--ledger", ledger_url, "--provider", "SATA-1",
                          "--period", "2018-04", "--format", "json", "--out", "-")
    assert code == 0 and json.loads(out)["ledger"] == {"entries": 23,
                                                       "head": second["chain_head"]}


def test_truncation_with_the_head_moved_is_caught_only_by_the_witness(
        ledger_url: str, tmp_path: Path) -> None:
    receipts = tmp_path / "receipts.jsonl"
    post_two(ledger_url, receipts)
    # April removed whole, as if it had never been posted: entries, seal, posting, head
    sql(ledger_url, "DELETE FROM kasvufee_entries WHERE chain_no > 16",
        "DELETE FROM kasvufee_seals WHERE seal_no = 2",
        "DELETE FROM kasvufee_postings WHERE posting_id = 2",
        "UPDATE kasvufee_meta SET value = (SELECT hash FROM kasvufee_entries "
        "WHERE chain_no = 16) WHERE key = 'chain_head'",
        "UPDATE kasvufee_meta SET value = '16' WHERE key = 'chain_length'")
    caught_only_by_the_witness(ledger_url, receipts, 16, 2,
                               "it holds 16 entries: entries were removed")


def test_emptying_the_ledger_is_caught(ledger_url: str, tmp_path: Path) -> None:
    receipts = tmp_path / "receipts.jsonl"
    post_two(ledger_url, receipts)
    sql(ledger_url, *(f"DELETE FROM {name}" for name in (
        "kasvufee_entries", "kasvufee_ratings", "kasvufee_seals", "kasvufee_closed_periods",
        "kasvufee_postings", "kasvufee_schemes")),
        "UPDATE kasvufee_meta SET value = '0' WHERE key = 'chain_length'",
        f"UPDATE kasvufee_meta SET value = '{t.GENESIS}' WHERE key = 'chain_head'")
    caught_only_by_the_witness(ledger_url, receipts, 0, 1,
                               "it holds 0 entries: entries were removed")


def _rewrite(conn: Connection) -> None:
    """Pay entry #3 ten euros more and recompute every hash after it, of the
    entries, the chain head and the seals: a forgery ``verify`` alone passes."""
    rows = list(read_rows(conn, t.entries, order="chain_no"))
    prev = t.GENESIS
    for row in rows:
        if row["chain_no"] == 3:
            row["amount_cents"] += 1000
        row["prev_hash"], row["hash"] = prev, entry_hash(prev, row)
        prev = row["hash"]
        conn.execute(t.entries.update().where(t.entries.c.chain_no == row["chain_no"])
                     .values(amount_cents=row["amount_cents"], prev_hash=row["prev_hash"],
                             hash=row["hash"]))
    conn.execute(t.meta.update().where(t.meta.c.key == "chain_head").values(value=prev))
    by_no = {r["chain_no"]: r["hash"] for r in rows}
    prev = t.GENESIS
    for seal in read_rows(conn, t.seals, order="seal_no"):
        seal["chain_head"] = by_no[seal["chain_length"]]
        seal["prev_hash"], seal["hash"] = prev, seal_hash(prev, seal)
        prev = seal["hash"]
        conn.execute(t.seals.update().where(t.seals.c.seal_no == seal["seal_no"])
                     .values(chain_head=seal["chain_head"], prev_hash=seal["prev_hash"],
                             hash=seal["hash"]))


def test_a_rewrite_with_recomputed_hashes_is_caught(ledger_url: str, tmp_path: Path) -> None:
    receipts = tmp_path / "receipts.jsonl"
    post_two(ledger_url, receipts)
    engine = create_engine(_url(ledger_url))
    with engine.begin() as conn:
        _rewrite(conn)
    engine.dispose()
    caught_only_by_the_witness(ledger_url, receipts, 23, 1,
                               "entry #16 has another hash: entries up to it were rewritten")


def test_signed_receipts_cannot_be_forged_to_match(tmp_path: Path) -> None:
    """Whoever rewrites the ledger and the receipts alike still lacks the key."""
    private, public = keys(tmp_path)
    ledger, receipts = str(tmp_path / "l.sqlite"), tmp_path / "receipts.jsonl"
    first, _ = post_two(ledger, receipts, "--signing-key", private)
    code, out, err = witness(ledger, receipts, "--public-key", public)
    assert (code, err) == (0, "") and out.endswith(
        f"it extends all 2 receipts of {receipts}, each signed by key {first['signed_by']}\n")
    engine = create_engine(_url(ledger))
    with engine.begin() as conn:
        _rewrite(conn)
        heads = dict(conn.execute(text("SELECT chain_length, chain_head FROM kasvufee_seals")
                                  ).all())
        seals = dict(conn.execute(text("SELECT seal_no, hash FROM kasvufee_seals")).all())
    engine.dispose()
    forged = [{**r, "chain_head": heads[r["chain_length"]], "seal_hash": seals[r["seal_no"]]}
              for r in map(json.loads, receipts.read_text().splitlines())]
    receipts.write_text("".join(json.dumps(r) + "\n" for r in forged))
    assert witness(ledger, receipts)[0] == 0  # without the key the forgery passes
    assert witness(ledger, receipts, "--public-key", public) == (
        1, "", f"{ledger}: TAMPERED: receipt {receipts}:1 does not carry a valid signature of "
               f"key {first['signed_by']}\n")
    unsigned = tmp_path / "unsigned.jsonl"
    unsigned.write_text("".join(json.dumps({k: v for k, v in r.items()
                                            if k not in ("signature", "signed_by")}) + "\n"
                                for r in forged))
    assert witness(ledger, unsigned, "--public-key", public) == (
        1, "", f"{ledger}: TAMPERED: receipt {unsigned}:1 is not signed\n")


def test_the_signing_key_from_the_environment_and_the_default_receipts_file(
        tmp_path: Path) -> None:
    private, public = keys(tmp_path)
    ledger = str(tmp_path / "l.sqlite")
    code, out, err = invoke("post", SCHEME, EVENTS, "--ledger", ledger, "--period", "2018-02",
                            "--posted-on", "2018-02-28", env={"KASVUFEE_SIGNING_KEY": private})
    assert code == 0, err
    default = tmp_path / "l.sqlite.receipts.jsonl"
    assert default.read_text() == out.splitlines()[1] + "\n"
    assert "signature" in json.loads(default.read_text())
    assert witness(ledger, default, "--public-key", public)[0] == 0


def test_a_postgresql_ledger_without_receipts_file_says_to_keep_the_line(
        ledger_url: str, tmp_path: Path) -> None:
    if not ledger_url.startswith("postgresql"):
        pytest.skip("a SQLite ledger keeps its receipts beside it")
    code, out, err = invoke("post", SCHEME, EVENTS, "--ledger", ledger_url, "--period",
                            "2018-02", "--posted-on", "2018-02-28")
    assert code == 0 and len(out.splitlines()) == 2
    assert err == ("kasvufee: no receipts file for a PostgreSQL ledger: keep the receipt line "
                   "above, or give --receipts PATH\n")
    assert list(tmp_path.iterdir()) == []


def test_bad_receipts_and_keys_are_invalid_input(tmp_path: Path) -> None:
    ledger, receipts = str(tmp_path / "l.sqlite"), tmp_path / "receipts.jsonl"
    post_two(ledger, receipts)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(receipts.read_text().splitlines()[0] + "\n{\"receipt\": 1}\nnot json\n")
    missing = tmp_path / "typo.jsonl"
    assert witness(ledger, missing) == (
        2, "", f"{missing}: expected an existing receipts file, got no such file\n"
               "kasvufee: 1 problem; nothing was written\n")
    expected = ("a receipt of kasvufee post (a JSON object with receipt, scheme, period, "
                "posting_id, posted_on, chain_length, chain_head, seal_no, seal_hash)")
    assert witness(ledger, bad) == (
        2, "", f"{bad}:2: expected {expected}, got '{{\"receipt\": 1}}'\n"
               f"{bad}:3: expected {expected}, got 'not json'\n"
               "kasvufee: 2 problems; nothing was written\n")
    not_a_key = tmp_path / "nokey.pem"
    not_a_key.write_text("hello\n")
    assert witness(ledger, receipts, "--public-key", str(not_a_key)) == (
        2, "", f"kasvufee: {not_a_key}: an Ed25519 public key in PEM form (openssl pkey -in "
               "KEY.pem -pubout -out PUBLIC.pem)\n")
    assert invoke("post", SCHEME, EVENTS, "--ledger", ledger, "--period", "2018-05",
                  "--signing-key", str(not_a_key)) == (
        2, "", f"kasvufee: {not_a_key}: an Ed25519 private key in PEM form without a password "
               "(openssl genpkey -algorithm ed25519 -out KEY.pem)\n")
    assert invoke("verify", "--ledger", ledger, "--public-key", str(not_a_key)) == (
        2, "", "<command line>: --public-key: expected --witness RECEIPTS with it, got no "
               "--witness\nkasvufee: 1 problem; nothing was written\n")
