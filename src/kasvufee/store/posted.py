"""``PostedLedger``: the persistent, append-only, hash-chained payment ledger.

A finance officer posts each month's evaluation into it; nothing posted is
ever edited: a later post that finds an entry no longer supported appends a
reversal and, where due, a corrected entry.  SQLite (a file, the default) and
PostgreSQL (a ``postgresql://`` address) are reached through SQLAlchemy Core.

Every post is one transaction under an exclusive lock on the ledger
(``BEGIN IMMEDIATE`` on SQLite, ``SELECT … FOR UPDATE`` of the chain head on
PostgreSQL): a killed process leaves nothing half-written, and two posts at
once run one after the other (or the second fails with ``LedgerBusyError``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, create_engine, event, func, make_url, select, text
from sqlalchemy.exc import DBAPIError

from kasvufee.calendar import period_end
from kasvufee.engine.evaluate import evaluate
from kasvufee.engine.rating import provider_ratings
from kasvufee.errors import LedgerBusyError, LedgerError, PeriodClosedError, UsageError
from kasvufee.money import cents_to_euros, format_cents
from kasvufee.plural import count
from kasvufee.scheme.model import Scheme
from kasvufee.store import DEFAULT_LEDGER
from kasvufee.store import schema as t
from kasvufee.store.chain import ChainReport, check_chain, entry_hash
from kasvufee.store.plan import POSTED, plan_posting

LOCK_TIMEOUT_SECONDS = 30
IDS_PER_QUERY = 10_000  # SQLite and PostgreSQL bound the parameters of one statement


@dataclass(frozen=True, slots=True)
class PostResult:
    """What one post did.

    Attributes:
        posting_id: the posting's number in this ledger (None when nothing was added).
        scheme_id, period, as_of: what was posted.
        earned, reversals: how many entries of each kind were appended.
        net_cents: the sum of the appended amounts.
    """

    posting_id: int | None
    scheme_id: str
    period: str
    as_of: dt.date
    earned: int
    reversals: int
    net_cents: int

    @property
    def added(self) -> int:
        return self.earned + self.reversals

    def summary(self) -> str:
        if not self.added and self.posting_id is not None:
            return (f"{self.scheme_id} {self.period}: posting #{self.posting_id} stored new star "
                    "ratings; no entry changed")
        if not self.added:
            return (f"{self.scheme_id} {self.period}: nothing to post (the ledger already "
                    f"matches the events known on {self.as_of.isoformat()})")
        return (f"{self.scheme_id} {self.period}: posting #{self.posting_id} added "
                f"{count(self.earned, 'entry')} and {count(self.reversals, 'reversal')}, net "
                f"{format_cents(self.net_cents)} EUR (as of {self.as_of.isoformat()})")


def _url(target: str | os.PathLike[str]) -> str:
    text_ = str(target)
    if text_.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text_.split("://", 1)[1]
    if text_.startswith(("postgresql+", "sqlite:")):
        return text_
    return f"sqlite:///{Path(text_).resolve()}"


def _shown(url: str, target: str | os.PathLike[str]) -> str:
    """How to name the ledger in messages: never with its password."""
    if url.startswith("sqlite"):
        return str(target)
    return make_url(url).render_as_string(hide_password=True)


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": LOCK_TIMEOUT_SECONDS})

        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we say BEGIN ourselves

        @event.listens_for(engine, "begin")
        def _write_lock(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time

        return engine
    return create_engine(url)


class PostedLedger:
    """A posted ledger in a database; open it with ``PostedLedger.open``."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self.where = where

    @classmethod
    def open(cls, target: str | os.PathLike[str] = DEFAULT_LEDGER) -> PostedLedger:
        """Open (and create or migrate) the ledger at a SQLite path or PostgreSQL DSN."""
        url = _url(target)
        if url.startswith("sqlite:///"):
            folder = Path(url.removeprefix("sqlite:///")).parent
            if not folder.is_dir():
                raise UsageError(f"an existing folder for the ledger file, got {folder}")
        ledger = cls(_engine(url), _shown(url, target))
        with ledger._transaction() as conn:
            t.migrate(conn)
        return ledger

    def close_connection(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> PostedLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_connection()

    # ------------------------------------------------------------------ writing

    def post(self, scheme: Scheme, events: pl.DataFrame, period: str, *,
             as_of: dt.date | None = None, posted_at: dt.datetime | None = None,
             events_source: str = "<events>") -> PostResult:
        """Evaluate ``scheme`` on ``events`` as of the period's last day (or ``as_of``)
        and append the difference to what is posted; see the module docstring."""
        day = as_of or period_end(period)
        period_end(period)  # validates the period text
        ledger = evaluate(scheme, events, day)
        stamp = (posted_at or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0)
        with self._transaction() as conn:
            head_len, head_hash = self._lock(conn)
            self._check_period(conn, scheme.scheme, period, stamp)
            rows = plan_posting(scheme, ledger, events, self._posted(conn, scheme.scheme),
                                period, lambda ids: self._stored(conn, ids))
            stars = provider_ratings(scheme, events, day).to_dicts()
            if not rows and stars == self._last_ratings(conn, scheme.scheme):
                return PostResult(None, scheme.scheme, period, day, 0, 0, 0)
            posting_id = int(conn.execute(
                select(func.coalesce(func.max(t.postings.c.posting_id), 0))).scalar_one()) + 1
            digest = self._store_scheme(conn, scheme)
            conn.execute(t.postings.insert().values(
                posting_id=posting_id, scheme_id=scheme.scheme, period=period, as_of=day,
                posted_at=stamp, scheme_digest=digest, events_digest=_events_digest(events),
                events_source=events_source, added=len(rows)))
            prev = head_hash
            for n, row in enumerate(rows, start=head_len + 1):
                row.update(chain_no=n, posting_id=posting_id, posted_at=stamp, prev_hash=prev)
                row["hash"] = prev = entry_hash(prev, row)
            if rows:
                conn.execute(t.entries.insert(), rows)
            if stars:  # a new answer may change a rating without changing a fee
                conn.execute(t.ratings.insert(), [{**r, "posting_id": posting_id}
                                                  for r in stars])
            self._set_head(conn, head_len + len(rows), prev)
            earned = sum(1 for r in rows if r["kind"] == "earned")
            return PostResult(posting_id, scheme.scheme, period, day, earned, len(rows) - earned,
                              sum(int(r["amount_cents"]) for r in rows))

    def close(self, scheme_id: str, period: str, *, closed_at: dt.datetime | None = None) -> None:
        """Close a period of a scheme: no later post may add entries to it."""
        period_end(period)
        stamp = (closed_at or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0)
        with self._transaction() as conn:
            self._lock(conn)
            already = conn.execute(select(t.closed_periods.c.closed_at).where(
                (t.closed_periods.c.scheme_id == scheme_id)
                & (t.closed_periods.c.period == period))).scalar()
            if already is None:
                conn.execute(t.closed_periods.insert().values(
                    scheme_id=scheme_id, period=period, closed_at=stamp))

    # ------------------------------------------------------------------ reading

    def verify(self) -> ChainReport:
        """Recompute the hash chain; the report names the first entry changed,
        removed or inserted behind the library's back."""
        with self._engine.connect() as conn:
            head = dict(conn.execute(select(t.meta.c.key, t.meta.c.value)).all())
            rows = (dict(r) for r in conn.execute(
                select(t.entries).order_by(t.entries.c.chain_no)).mappings())
            return check_chain(rows, int(head.get("chain_length", "0")),
                               head.get("chain_head", t.GENESIS), t.GENESIS)

    def entries(self, *, as_posted_on: dt.date | None = None, scheme_id: str | None = None,
                provider_id: str | None = None) -> pl.DataFrame:
        """The entries as they stood at the end of ``as_posted_on`` (all when None),
        of one scheme and/or one provider when given, in posting order, with euro
        amounts as decimal(18,2)."""
        c = t.entries.c
        # the columns shown, not the derivation (the largest) or the chain's hashes
        query = select(*(c[k] for k in _STORED)).order_by(c.chain_no)
        if as_posted_on is not None:
            end = dt.datetime.combine(as_posted_on + dt.timedelta(days=1), dt.time())
            query = query.where(c.posted_at < end)
        if scheme_id is not None:
            query = query.where(c.scheme_id == scheme_id)
        if provider_id is not None:
            query = query.where(c.provider_id == provider_id)
        with self._engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        return entries_frame(rows)

    def providers(self) -> list[str]:
        """The providers that have entries, sorted."""
        with self._engine.connect() as conn:
            return sorted(conn.execute(select(t.entries.c.provider_id).distinct()).scalars())

    def total_cents(self, scheme_id: str, until_period: str,
                    components: Sequence[str] | None = None) -> int:
        """The sum of a scheme's entries (all providers) posted in periods up to and
        including ``until_period``, of ``components`` when given (a contract cap's use)."""
        c = t.entries.c
        query = (select(func.coalesce(func.sum(c.amount_cents), 0))
                 .where((c.scheme_id == scheme_id) & (c.period <= until_period)))
        if components is not None:
            query = query.where(c.component.in_(list(components)))
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def entry(self, entry_id: str) -> dict[str, Any]:
        """One stored entry with its derivation decoded; raises LedgerError if unknown."""
        with self._engine.connect() as conn:
            row = conn.execute(select(t.entries).where(t.entries.c.entry_id == entry_id)
                               ).mappings().first()
            if row is None:
                raise LedgerError(f"no entry {entry_id!r} in {self.where}")
            posting = conn.execute(select(t.postings).where(
                t.postings.c.posting_id == row["posting_id"])).mappings().one()
            reversed_by = conn.execute(select(t.entries.c.entry_id, t.entries.c.period).where(
                t.entries.c.reverses == entry_id)).first()
        out = dict(row)
        out["derivation"] = json.loads(row["derivation"])
        out["event_ids"] = json.loads(row["event_ids"])
        out["posting"] = dict(posting)
        out["reversed_by"] = None if reversed_by is None else {
            "entry_id": reversed_by[0], "period": reversed_by[1]}
        return out

    def rating(self, scheme_id: str, provider_id: str, period: str) -> tuple[str, int] | None:
        """The provider's star rating (mean, answers) as last posted up to ``period``."""
        query = (select(t.ratings.c.mean, t.ratings.c.answers)
                 .join(t.postings, t.postings.c.posting_id == t.ratings.c.posting_id)
                 .where((t.postings.c.scheme_id == scheme_id)
                        & (t.ratings.c.provider_id == provider_id)
                        & (t.postings.c.period <= period))
                 .order_by(t.postings.c.posting_id.desc()).limit(1))
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else (str(row[0]), int(row[1]))

    def scheme(self, scheme_id: str, period: str | None = None) -> Scheme:
        """The scheme as last posted (up to ``period``), from the ledger's own copy."""
        query = (select(t.schemes.c.body)
                 .join(t.postings, t.postings.c.scheme_digest == t.schemes.c.digest)
                 .where(t.postings.c.scheme_id == scheme_id)
                 .order_by(t.postings.c.posting_id.desc()).limit(1))
        if period is not None:
            query = query.where(t.postings.c.period <= period)
        with self._engine.connect() as conn:
            body = conn.execute(query).scalar()
        if body is None:
            raise LedgerError(f"no posting of scheme {scheme_id!r} in {self.where}")
        return Scheme.model_validate_json(body)

    def postings(self) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(
                select(t.postings).order_by(t.postings.c.posting_id)).mappings()]

    # ------------------------------------------------------------------ internals

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except DBAPIError as exc:
            if _is_lock_timeout(exc):
                raise LedgerBusyError(
                    f"{self.where} is busy: another post held it for more than "
                    f"{LOCK_TIMEOUT_SECONDS} s; nothing was written, try again") from None
            raise LedgerError(f"{self.where}: the database refused: {exc.orig}") from None

    def _lock(self, conn: Connection) -> tuple[int, str]:
        """Take the ledger's write lock; return the chain head (length, hash)."""
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'"))
            conn.execute(select(t.meta.c.value).where(t.meta.c.key == "chain_head")
                         .with_for_update())
        head = dict(conn.execute(select(t.meta.c.key, t.meta.c.value)).all())
        return int(head["chain_length"]), head["chain_head"]

    def _last_ratings(self, conn: Connection, scheme_id: str) -> list[dict[str, Any]]:
        """The ratings stored with the scheme's latest posting that has any."""
        latest = conn.execute(
            select(func.max(t.ratings.c.posting_id))
            .join(t.postings, t.postings.c.posting_id == t.ratings.c.posting_id)
            .where(t.postings.c.scheme_id == scheme_id)).scalar()
        if latest is None:
            return []
        rows = conn.execute(select(t.ratings.c.provider_id, t.ratings.c.mean,
                                   t.ratings.c.answers)
                            .where(t.ratings.c.posting_id == latest)
                            .order_by(t.ratings.c.provider_id)).mappings()
        return [dict(r) for r in rows]

    def _set_head(self, conn: Connection, length: int, head: str) -> None:
        conn.execute(t.meta.update().where(t.meta.c.key == "chain_length").values(
            value=str(length)))
        conn.execute(t.meta.update().where(t.meta.c.key == "chain_head").values(value=head))

    def _check_period(self, conn: Connection, scheme_id: str, period: str,
                      stamp: dt.datetime) -> None:
        closed = conn.execute(select(t.closed_periods.c.closed_at).where(
            (t.closed_periods.c.scheme_id == scheme_id)
            & (t.closed_periods.c.period == period))).scalar()
        if closed is not None:
            raise PeriodClosedError(f"period {period} of {scheme_id} was closed on "
                                    f"{closed:%Y-%m-%d}; post corrections into a later period")
        last = conn.execute(select(t.postings.c.period, t.postings.c.posted_at).where(
            t.postings.c.scheme_id == scheme_id).order_by(
            t.postings.c.posting_id.desc()).limit(1)).first()
        if last is not None and period < last[0]:
            raise PeriodClosedError(f"period {period} is before {last[0]}, the last period "
                                    f"posted for {scheme_id}; post corrections into {last[0]} "
                                    "or later")
        latest = conn.execute(select(func.max(t.postings.c.posted_at))).scalar()
        if latest is not None and stamp < latest:
            raise UsageError(f"a posting time on or after the last posting "
                             f"({latest:%Y-%m-%d %H:%M:%S}), got {stamp:%Y-%m-%d %H:%M:%S}")

    def _posted(self, conn: Connection, scheme_id: str) -> pl.DataFrame:
        """The scheme's entries in chain order, only the columns the plan diffs on
        (every column of every row would be most of the post's time)."""
        c = t.entries.c
        rows = conn.execute(select(*(c[k] for k in POSTED)).where(c.scheme_id == scheme_id)
                            .order_by(c.chain_no)).all()
        return pl.DataFrame(rows, schema=POSTED, orient="row")

    def _stored(self, conn: Connection, entry_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Stored rows by entry id."""
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(entry_ids), IDS_PER_QUERY):
            rows = conn.execute(select(t.entries).where(
                t.entries.c.entry_id.in_(entry_ids[i:i + IDS_PER_QUERY]))).mappings()
            out.update((r["entry_id"], dict(r)) for r in rows)
        return out

    def _store_scheme(self, conn: Connection, scheme: Scheme) -> str:
        body = scheme.model_dump_json()
        digest = hashlib.sha256(body.encode()).hexdigest()
        known = conn.execute(select(t.schemes.c.digest).where(t.schemes.c.digest == digest)
                             ).scalar()
        if known is None:
            conn.execute(t.schemes.insert().values(digest=digest, scheme_id=scheme.scheme,
                                                   body=body))
        return digest


def _is_lock_timeout(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return "database is locked" in message or "lock timeout" in message \
        or "canceling statement due to lock timeout" in message


def _events_digest(events: pl.DataFrame) -> str:
    """A fingerprint of the events as read (order-independent)."""
    ids = events.lazy().select(pl.col("event_id").sort().str.join("\x1e")).collect().item()
    return hashlib.sha256(ids.encode()).hexdigest()


_STORED: dict[str, pl.DataType] = {
    "chain_no": pl.Int64(), "entry_id": pl.String(), "scheme_id": pl.String(),
    "scheme_version": pl.String(), "component": pl.String(), "provider_id": pl.String(),
    "client_id": pl.String(), "earned_on": pl.Date(), "period": pl.String(),
    "amount_cents": pl.Int64(), "kind": pl.String(), "event_ids": pl.String(),
    "explanation": pl.String(), "capped_from_cents": pl.Int64(), "cap": pl.String(),
    "reverses": pl.String(), "posting_id": pl.Int64(), "posted_at": pl.Datetime("us"),
    "hash": pl.String(),
}


def entries_frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Stored rows as a table with the ledger's field names and euros as decimal(18,2)."""
    df = pl.DataFrame([{k: r[k] for k in _STORED} for r in rows], schema=_STORED, orient="row")
    return df.with_columns(
        cents_to_euros(pl.col("amount_cents")).alias("amount_cents"),
        cents_to_euros(pl.col("capped_from_cents")).alias("capped_from_cents"),
        pl.col("event_ids").str.json_decode(pl.List(pl.String())),
    ).rename({"amount_cents": "amount", "capped_from_cents": "capped_from"})
