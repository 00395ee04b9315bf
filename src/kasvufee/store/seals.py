"""Seals: the ledger's other records, covered by a hash chain of their own.

The entries are one hash chain (``kasvufee.store.chain``).  What else changes
a payment or a statement lives beside them: the scheme as posted (its caps
and rules), the postings, the star ratings, the closed periods, the assurance
records (samples drawn, validation results, recoveries, disputes).  Each post,
each close and each assurance step appends one **seal**: the hash of every
row it wrote (table, key, hash of all its columns), the entry chain's length
and head after it, and the hash of the previous seal.  ``check_seals``
recomputes every seal and every row: a row changed, deleted or inserted
behind the library's back is named with its table and key, and so is a seal
changed, removed or inserted.

A ledger of schema version 1 had no seals: its rows are sealed as found, in
one ``migration`` seal, when it is first opened by this version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    DateTime,
    String,
    Table,
    func,
    select,
    type_coerce,
)

from kasvufee.store import schema as t
from kasvufee.store.chain import CANONICAL

# the rows sealed, by table, with the columns that name a row
SEALED: dict[str, tuple[Table, tuple[str, ...]]] = {
    t.schemes.name: (t.schemes, ("digest",)),
    t.postings.name: (t.postings, ("posting_id",)),
    t.ratings.name: (t.ratings, ("posting_id", "provider_id")),
    t.closed_periods.name: (t.closed_periods, ("scheme_id", "period")),
    t.assurance.name: (t.assurance, ("record_no",)),
}

SEAL_FIELDS = ("seal_no", "kind", "sealed_at", "chain_length", "chain_head", "records")


class Unreadable(Exception):  # a finding of verify, not an error of the library
    """A stored value that is not of its column's type (a date that is no date)."""


def read_rows(conn: Connection, table: Table, where: ColumnElement[bool] | None = None,
              order: str | None = None) -> Iterator[dict[str, Any]]:
    """The rows as stored, dates read from their text (on PostgreSQL from their
    JSON form, ISO whatever the DateStyle): a value that is not a date (any text
    on SQLite; 'infinity' or year 10000 on PostgreSQL) raises ``Unreadable``
    instead of an error inside the database driver."""
    dated = {c.name: isinstance(c.type, DateTime) for c in table.columns
             if isinstance(c.type, (Date, DateTime))}
    as_text = ((lambda c: func.to_json(c).label(c.name)) if conn.dialect.name == "postgresql"
               else (lambda c: type_coerce(c, String())))
    query = select(*(as_text(c) if c.name in dated else c for c in table.columns))
    if where is not None:
        query = query.where(where)
    if order is not None:
        query = query.order_by(table.c[order])
    for row in conn.execute(query).mappings():
        out = dict(row)
        for name, timed in dated.items():
            value = out[name]
            if not isinstance(value, str):
                continue  # no text (a number SQLite keeps): hashed as found
            try:
                out[name] = (dt.datetime.fromisoformat(value) if timed
                             else dt.date.fromisoformat(value))
            except ValueError:
                key = ", ".join(f"{c.name}={out[c.name]}" for c in table.primary_key.columns)
                raise Unreadable(f"{table.name} row {key}: its {name} {value[:40]!r} is no "
                                 "date") from None
        yield out


def row_key(name: str, row: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in SEALED[name][1])


def row_hash(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(CANONICAL.encode(dict(row)).encode()).hexdigest()


def records(conn: Connection, name: str, where: ColumnElement[bool] | None = None
            ) -> list[list[str]]:
    """[table, key, hash] of the rows of one table (that ``where`` selects)."""
    return [[name, row_key(name, r), row_hash(r)]
            for r in read_rows(conn, SEALED[name][0], where)]


def seal_hash(prev_hash: str, seal: Mapping[str, Any]) -> str:
    content = CANONICAL.encode({k: seal[k] for k in SEAL_FIELDS})
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def add_seal(conn: Connection, kind: str, sealed: list[list[str]], chain_length: int,
             chain_head: str, sealed_at: dt.datetime) -> tuple[int, str]:
    """Append a seal over ``sealed`` rows; return its number and hash."""
    last = conn.execute(select(t.seals.c.seal_no, t.seals.c.hash)
                        .order_by(t.seals.c.seal_no.desc()).limit(1)).first()
    number, prev = (1, t.GENESIS) if last is None else (int(last[0]) + 1, str(last[1]))
    seal: dict[str, Any] = {"seal_no": number, "kind": kind, "sealed_at": sealed_at,
                            "chain_length": chain_length, "chain_head": chain_head,
                            "records": json.dumps(sealed, ensure_ascii=False)}
    seal.update(prev_hash=prev, hash=seal_hash(prev, seal))
    conn.execute(t.seals.insert().values(**seal))
    return number, seal["hash"]


def seal_all(conn: Connection, chain_length: int, chain_head: str,
             sealed_at: dt.datetime) -> None:
    """Seal every row as found (a ledger migrated from before seals)."""
    found = [rec for name in SEALED for rec in records(conn, name)]
    add_seal(conn, "migration", found, chain_length, chain_head, sealed_at)


def seal_lengths(conn: Connection) -> set[int]:
    """The entry chain lengths the seals record (whose entries' hashes they need)."""
    return {int(n) for n in conn.execute(select(t.seals.c.chain_length)).scalars()
            if isinstance(n, int)}


def check_seals(conn: Connection, entries: int, hashes: Mapping[int, str],
                seals: dict[int, str]) -> str | None:
    """The first seal or sealed row changed, removed or inserted, or None.

    ``entries`` is the number of entries in the (intact) chain and ``hashes``
    their hashes at the lengths the seals record; ``seals`` receives each
    intact seal's hash by number."""
    expected: dict[tuple[str, str], tuple[str, int]] = {}
    prev, number, length, previous = t.GENESIS, 1, 0, "the start of the seals"
    for seal in read_rows(conn, t.seals, order="seal_no"):
        at = f"seal #{number} ({seal['kind']})"
        if seal["seal_no"] != number:
            return (f"seal #{number} after {previous} was "
                    f"{'removed' if _int(seal['seal_no']) > number else 'inserted'}: the next "
                    f"stored seal is #{seal['seal_no']}")
        if seal["prev_hash"] != prev or seal_hash(prev, seal) != seal["hash"]:
            return f"{at} was changed, or a seal before it removed or inserted"
        length = _int(seal["chain_length"])
        if not 0 <= length <= entries or seal["chain_head"] != (
                hashes.get(length) if length else t.GENESIS):
            return (f"{at} seals {length} entries with head {str(seal['chain_head'])[:12]}…, "
                    f"which the entry chain of {entries} entries does not hold: entries were "
                    "removed or rewritten")
        try:
            rows = json.loads(seal["records"])
            for name, key, digest in rows:  # a scheme is sealed by each posting of it
                expected.setdefault((name, key), (digest, number))
        except (ValueError, TypeError):
            return f"{at}: its records cannot be read"
        seals[number] = seal["hash"]
        prev, previous, number = seal["hash"], at, number + 1
    if length != entries:
        return (f"entries #{length + 1} to #{entries} are not sealed: added behind the "
                "library's back, or their seal was removed")
    return _check_rows(conn, expected)


def _check_rows(conn: Connection, expected: dict[tuple[str, str], tuple[str, int]]
                ) -> str | None:
    left = dict(expected)
    for name, (table, _) in SEALED.items():
        for row in read_rows(conn, table):
            key = row_key(name, row)
            digest, number = left.pop((name, key), (None, 0))
            if digest is None:
                return (f"{name} row {key} was inserted behind the library's back "
                        "(no seal covers it)")
            if row_hash(row) != digest:
                return f"{name} row {key} was changed after seal #{number} sealed it"
    for (name, key), (_, number) in left.items():
        return f"{name} row {key}, sealed by seal #{number}, was deleted"
    return None


def _int(value: object) -> int:
    return value if isinstance(value, int) else -1


def sealed_rows(conn: Connection, names: Iterable[str], posting_id: int) -> list[list[str]]:
    """The records of one posting's rows in the named tables."""
    return [rec for name in names
            for rec in records(conn, name, SEALED[name][0].c.posting_id == posting_id)]
