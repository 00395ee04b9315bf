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
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
from pydantic import ValidationError
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from kasvufee.assurance.cycle import (
    OUTCOMES,
    StratumRecovery,
    ValidationResult,
    decisions,
    due_corrections,
    failed_by,
    failed_parts,
    failure_reason,
    open_disputes,
    outcomes,
    recoveries,
    recovery_body,
    standing_failures,
)
from kasvufee.assurance.sample import draw_sample, frame_digest
from kasvufee.calendar import period_end
from kasvufee.engine.evaluate import evaluate
from kasvufee.engine.rating import provider_ratings
from kasvufee.errors import (
    InputError,
    KasvufeeError,
    LedgerBusyError,
    LedgerError,
    LedgerStateError,
    LedgerUnavailableError,
    PeriodClosedError,
    Problem,
    UsageError,
    VersionChangedError,
)
from kasvufee.money import cents_to_euros, format_cents
from kasvufee.plural import count
from kasvufee.scheme.model import Scheme
from kasvufee.store import DEFAULT_LEDGER
from kasvufee.store import schema as t
from kasvufee.store.assurance import append_records, read_records, sampling_frame
from kasvufee.store.chain import ChainReport, check_chain, entry_hash
from kasvufee.store.plan import POSTED, plan_corrections, plan_posting
from kasvufee.store.receipts import (
    Receipt,
    append_receipt,
    default_receipts,
    receipt_line,
    witness_problem,
)
from kasvufee.store.seals import (
    Unreadable,
    add_seal,
    check_seals,
    read_rows,
    records,
    seal_all,
    seal_lengths,
    sealed_rows,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

LOCK_TIMEOUT_SECONDS = 30
IDS_PER_QUERY = 10_000  # SQLite and PostgreSQL bound the parameters of one statement


@dataclass(frozen=True, slots=True)
class PostResult:
    """What one post did.

    Attributes:
        posting_id: the posting's number in this ledger (None when nothing was added).
        scheme_id, period, as_of: what was posted.
        earned, reversals: how many entries of each kind were appended;
            corrections: how many recoveries and adjustments (``kasvufee.assurance``).
        net_cents: the sum of the appended amounts, in ``currency`` (the scheme's).
        posted_at: when the posting was recorded (None when nothing was added).
        chain_length, chain_head: the entry chain after the post (its length and
            the hash of its last entry).
        seal_no, seal_hash: the seal the posting appended (see ``kasvufee.store.seals``).
        receipt: the posting's receipt, a line of JSON (see ``kasvufee.store.receipts``).
    """

    posting_id: int | None
    scheme_id: str
    period: str
    as_of: dt.date
    earned: int
    reversals: int
    net_cents: int
    posted_at: dt.datetime | None = None
    chain_length: int = 0
    chain_head: str = t.GENESIS
    seal_no: int = 0
    seal_hash: str = t.GENESIS
    receipt: str | None = None
    currency: str = "EUR"
    corrections: int = 0

    @property
    def added(self) -> int:
        return self.earned + self.reversals + self.corrections

    def summary(self) -> str:
        if not self.added and self.posting_id is not None:
            return (f"{self.scheme_id} {self.period}: posting #{self.posting_id} stored new star "
                    "ratings; no entry changed")
        if not self.added:
            return (f"{self.scheme_id} {self.period}: nothing to post (the ledger already "
                    f"matches the events known on {self.as_of.isoformat()})")
        fixed = f", {count(self.corrections, 'correction')}" if self.corrections else ""
        return (f"{self.scheme_id} {self.period}: posting #{self.posting_id} added "
                f"{count(self.earned, 'entry')}{fixed} and {count(self.reversals, 'reversal')}, "
                f"net "
                f"{format_cents(self.net_cents)} {self.currency} (as of {self.as_of.isoformat()})")


@dataclass(frozen=True, slots=True)
class Assured:
    """What one assurance step recorded: the records' ids (none when it was
    already recorded), and the ledger's head, seal and receipt after it."""

    scheme_id: str
    period: str | None
    records: tuple[str, ...]
    posted_at: dt.datetime
    chain_length: int = 0
    chain_head: str = t.GENESIS
    seal_no: int = 0
    seal_hash: str = t.GENESIS
    receipt: str | None = None
    posting_id: None = None  # a receipt's field: no posting


@dataclass(frozen=True, slots=True)
class Drawn:
    """A recorded draw: its record (``body`` has the seed, rule, periods,
    strata and sample), the digest of its frame as it is now, and what
    recording it did (``written.records`` is empty when it was drawn before)."""

    record: dict[str, Any]
    digest_now: str
    written: Assured

    @property
    def sample(self) -> pl.DataFrame:
        """The sampled entries, by stratum and rank, amounts in cents."""
        return pl.DataFrame(self.record["body"]["sample"], schema={
            "provider_id": pl.String(), "component": pl.String(), "rank": pl.Int64(),
            "entry_id": pl.String(), "basis_id": pl.String(), "client_id": pl.String(),
            "period": pl.String(), "amount_cents": pl.Int64(), "key": pl.String()})

    @property
    def frame_changed(self) -> bool:
        """Whether entries of the frame were reversed or added since the draw."""
        return bool(self.digest_now != self.record["body"]["digest"])


def _record(found: Sequence[dict[str, Any]], record_id: str) -> dict[str, Any] | None:
    return next((r for r in found if r["record_id"] == record_id), None)


def _record_id(value: str, what: str) -> None:
    if not value or value != value.strip() or len(value) > 200 or "/" in value:
        raise UsageError(f"a {what} of 1 to 200 characters without '/' or surrounding spaces, "
                         f"got {value!r}")


def _plain_record(r: Mapping[str, Any]) -> dict[str, Any]:
    """A record for explain: the draw's sample left out (its entries are listed elsewhere)."""
    body = {k: v for k, v in r["body"].items() if k not in ("sample", "strata")}
    return {"kind": r["kind"], "record_id": r["record_id"], "recorded_at": r["recorded_at"],
            "body": body}


def _url(target: str | os.PathLike[str]) -> str:
    text_ = str(target)
    if text_.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text_.split("://", 1)[1]
    if text_.startswith(("postgresql+", "sqlite:")):
        return text_
    return f"sqlite:///{Path(text_).resolve()}"


def _shown(url: str, target: str | os.PathLike[str]) -> str:
    """How to name the ledger in messages: as given, never with its password."""
    if url.startswith("sqlite"):
        return str(target)
    return re.sub(r"^([^:/]+://[^:/@]*):[^/]*@", r"\1:***@", str(target))


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": LOCK_TIMEOUT_SECONDS})

        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we say BEGIN ourselves
            # a rollback journal, synced: a post stopped by a full disk leaves the
            # ledger as it was, whole in its one file (a WAL file beside it would
            # hold committed posts the file alone lacks)
            dbapi_conn.execute("PRAGMA journal_mode = DELETE")
            dbapi_conn.execute("PRAGMA synchronous = FULL")

        @event.listens_for(engine, "begin")
        def _write_lock(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time

        return engine
    return create_engine(url)


class PostedLedger:
    """A posted ledger in a database; open it with ``PostedLedger.open``."""

    def __init__(self, engine: Engine, where: str, receipts: Path | None = None,
                 signing_key: Ed25519PrivateKey | None = None) -> None:
        self._engine = engine
        self.where = where
        self.receipts = receipts
        self.signing_key = signing_key

    @classmethod
    def open(cls, target: str | os.PathLike[str] = DEFAULT_LEDGER, *, create: bool = True,
             receipts: str | os.PathLike[str] | bool = True,
             signing_key: Ed25519PrivateKey | None = None) -> PostedLedger:
        """Open (and migrate) the ledger at a SQLite path or PostgreSQL DSN.

        With ``create`` (the default) an empty database becomes an empty ledger;
        without it (what reading needs) a missing ledger raises ``LedgerError``
        and nothing is created.  A database that cannot be reached raises
        ``LedgerUnavailableError``.  Each post appends its receipt, signed with
        ``signing_key`` when given, to ``receipts``: a path, or True for
        ``<ledger>.receipts.jsonl`` beside a SQLite ledger (a PostgreSQL ledger
        then keeps none: the caller keeps ``PostResult.receipt``), or False.
        """
        url = _url(target)
        where = _shown(url, target)
        missing = LedgerError(f"no ledger at {where}: check the path or address (a ledger "
                              "is made by its first post)")
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if not create and not path.is_file():
                raise missing
            if not path.parent.is_dir():
                raise UsageError(f"an existing folder for the ledger file, got {path.parent}")
        kept = (default_receipts(str(target)) if receipts is True
                 else None if receipts is False else Path(receipts))
        ledger = cls(_engine(url), where, kept, signing_key)
        try:
            with ledger._transaction() as conn:
                if not create and not inspect(conn).has_table(t.meta.name):
                    raise missing
                if (t.migrate(conn) or t.SCHEMA_VERSION) < 2:  # rows from before the seals
                    seal_all(conn, *ledger._lock(conn), _now())
        except KasvufeeError:
            ledger.close()
            raise
        return ledger

    def close(self) -> None:
        """Close the connection (``with PostedLedger.open(...)`` does it)."""
        self._engine.dispose()

    def __enter__(self) -> PostedLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def post(self, scheme: Scheme, events: pl.DataFrame, period: str, *,
             as_of: dt.date | None = None, posted_at: dt.datetime | dt.date | None = None,
             events_source: str = "<events>") -> PostResult:
        """Evaluate ``scheme`` on ``events`` as of the period's last day (or ``as_of``;
        or the posting day, for a period not yet ended) and append the difference
        to what is posted; see the module docstring.

        Refused (``UsageError``) before anything is read: a period that has not
        begun, ``posted_at`` after today, ``as_of`` after the posting day or after
        the period's end (later earnings would be booked into an earlier period).
        Refused by the ledger (``LedgerStateError``): a closed period, a period
        before the last one posted, a posting time before the last posting, a
        posted scheme version whose rules changed.
        """
        stamp = _stamp(posted_at, "posted_at")
        day = _posting_day(period, as_of, stamp.date())
        result = self._append(scheme, events, period, day, stamp, events_source)
        if result.posting_id is None:
            return result
        line = receipt_line(result, self.signing_key)
        if self.receipts is not None:
            append_receipt(self.receipts, line)
        return dataclasses.replace(result, receipt=line)

    def _append(self, scheme: Scheme, events: pl.DataFrame, period: str, day: dt.date,
                stamp: dt.datetime, events_source: str) -> PostResult:
        """The post's one transaction."""
        ledger = evaluate(scheme, events, day)
        with self._transaction() as conn:
            head_len, head_hash = self._lock(conn)
            self._check_period(conn, scheme.scheme, period, stamp)
            body = self._check_versions(conn, scheme)
            posted = self._posted(conn, scheme.scheme)
            assured = read_records(conn, scheme.scheme)
            standing = standing_failures(assured).values()
            failed = {r["body"]["basis_id"]: failure_reason(r) for r in standing}
            cuts = {r["body"]["basis_id"]: failed_by(r) for r in standing
                    if failed_by(r) < r["body"]["amount_cents"]}  # partial failures
            rows = plan_posting(scheme, ledger, events, posted, period,
                                lambda ids: self._stored(conn, ids), failed, cuts)
            rows += plan_corrections(due_corrections(assured, scheme.scheme, period), posted,
                                     period, lambda ids: self._stored(conn, ids))
            stars = provider_ratings(scheme, events, day).to_dicts()
            if not rows and stars == self._last_ratings(conn, scheme.scheme):
                return PostResult(None, scheme.scheme, period, day, 0, 0, 0,
                                  currency=scheme.currency)
            posting_id = int(conn.execute(
                select(func.coalesce(func.max(t.postings.c.posting_id), 0))).scalar_one()) + 1
            digest = self._store_scheme(conn, scheme.scheme, body)
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
            length = head_len + len(rows)
            sealed = (records(conn, t.schemes.name, t.schemes.c.digest == digest)
                      + sealed_rows(conn, (t.postings.name, t.ratings.name), posting_id))
            seal_no, seal_hash = add_seal(conn, "posting", sealed, length, prev, stamp)
            self._set_head(conn, length, prev)
            kinds = [r["kind"] for r in rows]
            earned, reversals = kinds.count("earned"), kinds.count("reversal")
            return PostResult(posting_id, scheme.scheme, period, day, earned, reversals,
                              sum(int(r["amount_cents"]) for r in rows), stamp, length, prev,
                              seal_no, seal_hash, currency=scheme.currency,
                              corrections=len(rows) - earned - reversals)

    def close_period(self, scheme_id: str, period: str, *,
                     closed_at: dt.datetime | dt.date | None = None,
                     despite_disputes: bool = False) -> None:
        """Close a period of a scheme: no later post may add entries to it.

        Refused: a period that has not ended (``UsageError``), a scheme never
        posted into this ledger (``LedgerError``), a period already closed, or
        one with a dispute still open, unless ``despite_disputes``
        (``LedgerStateError``)."""
        end = period_end(period)
        stamp = _stamp(closed_at, "closed_at")
        if stamp.date() > _today():
            raise UsageError(f"the closing day {stamp.date().isoformat()} is in the future "
                             f"(today is {_today().isoformat()}): give today or an earlier day")
        if end >= stamp.date():
            raise UsageError(f"period {period} ends on {end.isoformat()}: close it once it "
                             f"has ended (today is {stamp.date().isoformat()})")
        with self._transaction() as conn:
            head_len, head_hash = self._lock(conn)
            known = list(conn.execute(select(t.postings.c.scheme_id).distinct()
                                      .order_by(t.postings.c.scheme_id)).scalars())
            if scheme_id not in known:
                raise LedgerError(f"no posting of scheme {scheme_id!r} in {self.where}: close "
                                  f"a scheme posted into it ({_listed(known)})")
            already = conn.execute(select(t.closed_periods.c.closed_at).where(
                (t.closed_periods.c.scheme_id == scheme_id)
                & (t.closed_periods.c.period == period))).scalar()
            if already is not None:
                raise LedgerStateError(f"period {period} of {scheme_id} was already closed on "
                                       f"{already:%Y-%m-%d}; nothing changed")
            still = [d for d in open_disputes(read_records(conn, scheme_id))
                     if d["period"] == period]
            if still and not despite_disputes:
                raise LedgerStateError(
                    f"period {period} of {scheme_id} has {count(len(still), 'open dispute')} "
                    f"({_listed([d['record_id'] for d in still])}): decide "
                    f"{'it' if len(still) == 1 else 'them'} first (kasvufee dispute decide), or "
                    "close despite them (--despite-open-disputes); nothing changed")
            conn.execute(t.closed_periods.insert().values(
                scheme_id=scheme_id, period=period, closed_at=stamp))
            closed = records(conn, t.closed_periods.name,
                             (t.closed_periods.c.scheme_id == scheme_id)
                             & (t.closed_periods.c.period == period))
            add_seal(conn, "close", closed, head_len, head_hash, stamp)

    # ------------------------------------------------------------------ assurance

    def draw(self, scheme_id: str, draw_id: str, seed: str, *, first: str, last: str,
             count: int | None = None, share: Decimal | None = None,
             drawn_at: dt.datetime | dt.date | None = None) -> Drawn:
        """Draw and record a validation sample of ``scheme_id``'s live earned
        entries posted in periods ``first`` to ``last`` (``kasvufee.assurance.
        sample``); drawn again under the same ``draw_id`` with the same seed,
        rule and periods, the recorded draw is returned and nothing is written
        (other parameters under a recorded id are refused)."""
        _record_id(draw_id, "draw id")
        if first > last:
            raise UsageError(f"the periods run from {first} to {last}: give the earlier first")
        rule = f"count {count}" if count is not None else f"share {share}"

        def build(conn: Connection) -> list[dict[str, Any]]:
            self._known_scheme(conn, scheme_id)
            frame = sampling_frame(conn, scheme_id, first, last)
            old = _record(read_records(conn, scheme_id), draw_id)
            if old is not None:
                b = old["body"]
                if (b["seed"], b["rule"], b["first"], b["last"]) != (seed, rule, first, last):
                    raise LedgerStateError(
                        f"draw {draw_id} was recorded on {old['recorded_at']:%Y-%m-%d} with seed "
                        f"{b['seed']!r}, {b['rule']} per stratum, periods {b['first']} to "
                        f"{b['last']}: a draw is never redrawn otherwise; give a new draw id")
                return []
            if self._any_record(conn, draw_id):
                raise LedgerStateError(f"{draw_id!r} already names an assurance record: give "
                                       "a new draw id")
            if frame.is_empty():
                raise LedgerStateError(f"no live earned entries of {scheme_id} posted in "
                                       f"periods {first} to {last}: nothing to sample")
            sample = draw_sample(frame, seed, count=count, share=share)
            totals = frame.group_by("provider_id", "component").agg(
                pl.col("amount_cents").sum().alias("total_cents"))
            strata = sample.strata.join(totals, on=["provider_id", "component"]).sort(
                "provider_id", "component")
            body = {"seed": seed, "rule": rule, "first": first, "last": last,
                    "digest": sample.digest, "strata": strata.to_dicts(),
                    "sample": sample.entries.select(
                        "provider_id", "component", "rank", "entry_id", "basis_id",
                        "client_id", "period", "amount_cents", "key").to_dicts()}
            return [{"kind": "draw", "record_id": draw_id, "scheme_id": scheme_id,
                     "provider_id": None, "entry_id": None, "period": last, "body": body}]

        done = self._assure(scheme_id, last, build, _stamp(drawn_at, "drawn_at"))
        with self._reading() as conn:
            rec = _record(read_records(conn, scheme_id), draw_id)
            now = frame_digest(sampling_frame(conn, scheme_id, first, last))
        assert rec is not None
        return Drawn(rec, now, done)

    def record_results(self, draw_id: str, results: Sequence[ValidationResult], *,
                       recorded_at: dt.datetime | dt.date | None = None) -> Assured:
        """Record the validation of sampled entries of draw ``draw_id``, all or
        nothing: every problem (an entry not in the sample, an outcome other
        than passed or failed, no reason or evidence, a result already recorded
        otherwise) is reported at once (``InputError``).  A result recorded
        again as it was is no change.  A failure stands until a dispute over it
        is accepted: the scheme's next post reverses the entry."""

        def build(conn: Connection) -> list[dict[str, Any]]:
            draw = self._draw(conn, draw_id)
            sample = {s["entry_id"]: s for s in draw["body"]["sample"]}
            done = {r["entry_id"]: r for r in read_records(conn, draw["scheme_id"])
                    if r["kind"] == "result" and r["body"]["draw"] == draw_id}
            problems, rows, seen = [], [], set[str]()
            for r in results:
                def bad(field: str, expected: str, found: str, r: ValidationResult = r) -> None:
                    problems.append(Problem(r.source, r.line, field, expected, found))
                if r.entry_id not in sample:
                    bad("entry_id", f"an entry of draw {draw_id}'s sample", repr(r.entry_id))
                    continue
                if r.entry_id in seen:
                    bad("entry_id", "each entry once", f"{r.entry_id} again")
                    continue
                seen.add(r.entry_id)
                if r.outcome not in OUTCOMES:
                    bad("outcome", "passed or failed", repr(r.outcome))
                if not r.reason.strip():
                    bad("reason", "the reason for the finding", "nothing")
                if not r.evidence.strip():
                    bad("evidence", "a reference to the evidence examined", "nothing")
                amount = sample[r.entry_id]["amount_cents"]
                if r.failed_cents is not None and (
                        r.outcome != "failed" or not 0 < r.failed_cents <= amount):
                    bad("failed_amount", f"for a failure, an amount above 0.00 and at most the "
                        f"entry's {format_cents(amount)}", format_cents(r.failed_cents)
                        + ("" if r.outcome == "failed" else f" with outcome {r.outcome}"))
                old = done.get(r.entry_id)
                if old is not None:
                    b = old["body"]
                    if (b["outcome"], b["reason"], b["evidence"], b.get("failed_cents")) != (
                            r.outcome, r.reason, r.evidence, r.failed_cents):
                        bad("outcome", f"the result recorded on {old['recorded_at']:%Y-%m-%d} "
                            f"({b['outcome']}: {b['reason']}); a result is final, a dispute "
                            "overturns a failure", f"{r.outcome}: {r.reason}")
                    continue
                s = sample[r.entry_id]
                rows.append({"kind": "result", "record_id": f"{draw_id}/{r.entry_id}",
                             "scheme_id": draw["scheme_id"], "provider_id": s["provider_id"],
                             "entry_id": r.entry_id, "period": s["period"],
                             "body": {"draw": draw_id, "outcome": r.outcome,
                                      "reason": r.reason.strip(),
                                      "evidence": r.evidence.strip(),
                                      "basis_id": s["basis_id"],
                                      "amount_cents": s["amount_cents"],
                                      "failed_cents": r.failed_cents}})
            if problems:
                raise InputError(problems)
            return rows

        with self._reading() as conn:
            scheme_id = self._draw(conn, draw_id)["scheme_id"]
        return self._assure(scheme_id, None, build, _stamp(recorded_at, "recorded_at"))

    def recoveries(self, draw_id: str, *, basis: Literal["lower", "point"] = "lower"
                   ) -> list[StratumRecovery]:
        """Each stratum's extrapolated recovery from draw ``draw_id``'s results
        (``kasvufee.assurance.recovery``); nothing is recorded."""
        with self._reading() as conn:
            draw = self._draw(conn, draw_id)
            found = read_records(conn)
            return recoveries(draw, outcomes(found, draw_id), basis,
                              failed_parts(found, draw_id))

    def recovery_basis(self, draw_id: str) -> Literal["lower", "point", "none"]:
        """The basis the draw's scheme (as last posted) recovers on: its
        ``assurance.recovery``."""
        with self._reading() as conn:
            scheme_id = self._draw(conn, draw_id)["scheme_id"]
        return self.scheme(scheme_id).assurance.recovery

    def confirm_recovery(self, draw_id: str, *, basis: Literal["lower", "point"] | None = None,
                         confirmed_at: dt.datetime | dt.date | None = None) -> Assured:
        """Record the buyer's confirmation of draw ``draw_id``'s recovery, on
        ``basis`` or the scheme's (``assurance.recovery``; refused for a scheme
        with ``none``): the scheme's next post appends one recovery entry per
        stratum that owes."""
        stated = self.recovery_basis(draw_id)
        if stated == "none":
            with self._reading() as conn:
                scheme_id = self._draw(conn, draw_id)["scheme_id"]
            raise LedgerStateError(f"scheme {scheme_id} recovers no extrapolated amount "
                                   "(assurance.recovery: none): its failed entries are reversed "
                                   "one by one, and nothing else")
        chosen: Literal["lower", "point"] = basis or stated

        def build(conn: Connection) -> list[dict[str, Any]]:
            draw = self._draw(conn, draw_id)
            record_id = f"recovery-{draw_id}"
            old = self._any_record(conn, record_id)
            if old is not None:
                raise LedgerStateError(f"the recovery of draw {draw_id} was confirmed on "
                                       f"{old['recorded_at']:%Y-%m-%d}; nothing changed")
            found = read_records(conn)
            strata = recoveries(draw, outcomes(found, draw_id), chosen,
                                failed_parts(found, draw_id))
            return [{"kind": "recovery", "record_id": record_id,
                     "scheme_id": draw["scheme_id"], "provider_id": None, "entry_id": None,
                     "period": None, "body": recovery_body(draw_id, chosen, strata)}]

        with self._reading() as conn:
            scheme_id = self._draw(conn, draw_id)["scheme_id"]
        return self._assure(scheme_id, None, build, _stamp(confirmed_at, "confirmed_at"))

    def open_dispute(self, reason: str, *, entry_id: str | None = None,
                     scheme_id: str | None = None, provider_id: str | None = None,
                     component: str | None = None, client_id: str | None = None,
                     period: str | None = None,
                     opened_at: dt.datetime | dt.date | None = None) -> Assured:
        """Record a provider's dispute over a posted entry (``entry_id``: an
        earned entry, a reversal, a recovery) or over a payment it believes it
        is owed (``scheme_id``, ``provider_id``, ``component``, ``client_id``,
        and ``period``, by default the scheme's last posted); its period cannot
        be closed while it is open.  The record id is ``dispute-N``."""
        if not reason.strip():
            raise UsageError("a dispute needs the provider's reason")
        if entry_id is None and None in (scheme_id, provider_id, component):
            raise UsageError("a dispute is over an entry (entry_id) or over a payment "
                             "claimed: give scheme_id, provider_id and component (and client_id)")

        def build(conn: Connection) -> list[dict[str, Any]]:
            if entry_id is not None:
                row = self._entry_row(conn, entry_id)
                sid, pid = row["scheme_id"], row["provider_id"]
                assured = read_records(conn, sid)
                failed = standing_failures(assured)
                target = row["reverses"] if row["reverses"] in failed else entry_id
                body = {"subject": "entry", "entry_kind": row["kind"], "reason": reason.strip(),
                        "component": row["component"], "client_id": row["client_id"],
                        "overturns": target if target in failed else None}
                subject: dict[str, str | None] = {"entry_id": entry_id}
                at = row["period"]
            else:
                assert scheme_id is not None and provider_id is not None
                sid, pid = scheme_id, provider_id
                self._known_scheme(conn, sid)
                assured = read_records(conn, sid)
                at = period or self._last_period(conn, sid)
                body = {"subject": "claim", "reason": reason.strip(), "component": component,
                        "client_id": client_id}
                subject = {"component": component, "client_id": client_id}
            what = "entry" if entry_id is not None else "payment"
            for d in open_disputes(assured):
                same = ({"entry_id": d["entry_id"]} if d["body"]["subject"] == "entry" else
                        {"component": d["body"]["component"], "client_id": d["body"]["client_id"]})
                if same == subject and d["provider_id"] == pid:
                    raise LedgerStateError(f"{d['record_id']} over the same {what} is open since "
                                           f"{d['recorded_at']:%Y-%m-%d}: decide it first")
            number = 1 + sum(1 for r in read_records(conn) if r["kind"] == "dispute")
            return [{"kind": "dispute", "record_id": f"dispute-{number}", "scheme_id": sid,
                     "provider_id": pid, "entry_id": entry_id, "period": at, "body": body}]

        with self._reading() as conn:
            sid = self._entry_row(conn, entry_id)["scheme_id"] if entry_id else scheme_id
        assert sid is not None
        return self._assure(sid, None, build, _stamp(opened_at, "opened_at"))

    def decide_dispute(self, dispute_id: str, *, accept: bool, reason: str,
                       amount_cents: int | None = None,
                       decided_at: dt.datetime | dt.date | None = None) -> Assured:
        """Record the buyer's decision on a dispute.  Accepted, the correction is
        posted by the scheme's next post: an overturned validation failure pays
        its entry again; otherwise ``amount_cents`` (negative takes back) is
        posted as an adjustment.  Rejected, nothing is posted."""
        if not reason.strip():
            raise UsageError("a decision needs its reason")
        if not accept and amount_cents is not None:
            raise UsageError("a rejected dispute posts nothing: give no amount")

        def build(conn: Connection) -> list[dict[str, Any]]:
            dispute = self._any_record(conn, dispute_id)
            if dispute is None or dispute["kind"] != "dispute":
                known = [r["record_id"] for r in read_records(conn) if r["kind"] == "dispute"]
                raise LedgerError(f"no dispute {dispute_id!r} in {self.where} "
                                  f"({_listed(known)})")
            done = decisions(read_records(conn, dispute["scheme_id"])).get(dispute_id)
            if done is not None:
                raise LedgerStateError(f"{dispute_id} was {done['body']['decision']} on "
                                       f"{done['recorded_at']:%Y-%m-%d}; nothing changed")
            if accept and amount_cents is None and not dispute["body"].get("overturns"):
                raise UsageError(f"{dispute_id} is over no validation failure: accepting it "
                                 "needs the amount of the correction to post")
            if amount_cents == 0:
                raise UsageError("an adjustment of 0.00 changes nothing: give the amount")
            body = {"dispute": dispute_id, "decision": "accepted" if accept else "rejected",
                    "reason": reason.strip(), "amount_cents": amount_cents}
            return [{"kind": "decision", "record_id": f"{dispute_id}/decision",
                     "scheme_id": dispute["scheme_id"], "provider_id": dispute["provider_id"],
                     "entry_id": dispute["entry_id"], "period": dispute["period"],
                     "body": body}]

        with self._reading() as conn:
            found = self._any_record(conn, dispute_id)
        scheme_id = found["scheme_id"] if found else ""
        return self._assure(scheme_id, None, build, _stamp(decided_at, "decided_at"))

    def assurance(self, scheme_id: str | None = None, *,
                  as_of: dt.date | None = None) -> list[dict[str, Any]]:
        """The assurance records (of one scheme), as they stood at the end of ``as_of``."""
        until = None if as_of is None else dt.datetime.combine(as_of, dt.time.max)
        with self._reading() as conn:
            return read_records(conn, scheme_id, until)

    def _assure(self, scheme_id: str, period: str | None,
                build: Callable[[Connection], list[dict[str, Any]]],
                stamp: dt.datetime) -> Assured:
        """One assurance transaction: the records ``build`` makes, sealed, with a receipt."""
        if stamp.date() > _today():
            raise UsageError(f"the recording day {stamp.date().isoformat()} is in the future "
                             f"(today is {_today().isoformat()}): give today or an earlier day")
        with self._transaction() as conn:
            head_len, head_hash = self._lock(conn)
            latest = conn.execute(select(func.max(t.seals.c.sealed_at))).scalar()
            if latest is not None and stamp < latest:
                raise LedgerStateError(f"the recording time {stamp:%Y-%m-%d %H:%M:%S} is before "
                                       f"the ledger's last record ({latest:%Y-%m-%d %H:%M:%S}): "
                                       "record on or after it")
            rows = build(conn)
            if not rows:
                return Assured(scheme_id, period, (), stamp)
            sealed = append_records(conn, rows, stamp)
            seal_no, seal_hash = add_seal(conn, "assurance", sealed, head_len, head_hash, stamp)
        result = Assured(scheme_id, period or rows[-1]["period"] or "-",
                         tuple(r["record_id"] for r in rows), stamp, head_len, head_hash,
                         seal_no, seal_hash)
        line = receipt_line(result, self.signing_key)
        if self.receipts is not None:
            append_receipt(self.receipts, line)
        return dataclasses.replace(result, receipt=line)

    def _known_scheme(self, conn: Connection, scheme_id: str) -> None:
        known = list(conn.execute(select(t.postings.c.scheme_id).distinct()
                                  .order_by(t.postings.c.scheme_id)).scalars())
        if scheme_id not in known:
            raise LedgerError(f"no posting of scheme {scheme_id!r} in {self.where} "
                              f"({_listed(known)})")

    def _last_period(self, conn: Connection, scheme_id: str) -> str:
        return str(conn.execute(select(func.max(t.postings.c.period)).where(
            t.postings.c.scheme_id == scheme_id)).scalar_one())

    def _any_record(self, conn: Connection, record_id: str) -> dict[str, Any] | None:
        return _record(read_records(conn), record_id)

    def _draw(self, conn: Connection, draw_id: str) -> dict[str, Any]:
        found = read_records(conn)
        draw = _record(found, draw_id)
        if draw is None or draw["kind"] != "draw":
            known = [r["record_id"] for r in found if r["kind"] == "draw"]
            raise LedgerError(f"no draw {draw_id!r} in {self.where} ({_listed(known)})")
        return draw

    def _entry_row(self, conn: Connection, entry_id: str) -> dict[str, Any]:
        row = conn.execute(select(t.entries).where(t.entries.c.entry_id == entry_id)
                           ).mappings().first()
        if row is None:
            raise LedgerError(f"no entry {entry_id!r} in {self.where}")
        return dict(row)

    # ------------------------------------------------------------------ reading

    def verify(self, receipts: Sequence[Receipt] = (),
               public_key: Ed25519PublicKey | None = None) -> ChainReport:
        """Recompute the hash chains; the report names the first entry, seal or
        sealed row (scheme, posting, rating, closed period) changed, removed or
        inserted behind the library's back, and then the first of ``receipts``
        (see ``kasvufee.store.receipts``) the ledger no longer extends, or that
        ``public_key`` did not sign."""
        with self._reading() as conn:
            try:
                return self._verify(conn, receipts, public_key)
            except Unreadable as exc:
                return ChainReport(0, str(exc))

    def _verify(self, conn: Connection, receipts: Sequence[Receipt],
                public_key: Ed25519PublicKey | None) -> ChainReport:
        if conn.dialect.name == "sqlite":
            found = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check")]
            if found != ["ok"]:
                return ChainReport(0, "the database file is damaged (PRAGMA integrity_check: "
                                      f"{'; '.join(found[:3])}): restore it from a backup",
                                   damaged=True)
        head = dict(conn.execute(select(t.meta.c.key, t.meta.c.value)).all())
        length = head.get("chain_length", "0")
        recorded = t.stored_count(length)
        if recorded is None:
            return ChainReport(0, f"kasvufee_meta row chain_length: {length[:40]!r} is no "
                                  "number")
        marks = seal_lengths(conn) | {r.chain_length for r in receipts}
        hashes, seals = dict[int, str](), dict[int, str]()
        rows = read_rows(conn, t.entries, order="chain_no")
        report = check_chain(_tap(rows, marks, hashes), recorded,
                             head.get("chain_head", t.GENESIS), t.GENESIS)
        if not report.ok:
            return report
        problem = (check_seals(conn, report.checked, hashes, seals)
                   or witness_problem(receipts, report.checked, hashes, seals, public_key))
        return ChainReport(report.checked, problem, 0 if problem else len(receipts))

    def entries(self, *, as_posted_on: dt.date | None = None, scheme_id: str | None = None,
                provider_id: str | None = None) -> pl.DataFrame:
        """The entries as they stood at the end of ``as_posted_on`` (all when None),
        of one scheme and/or one provider when given, in posting order, with euro
        amounts as decimal(18,2)."""
        c = t.entries.c
        # the columns shown, not the derivation (the largest) or the chain's hashes
        query = select(*(c[k] for k in _STORED)).order_by(c.chain_no)
        if as_posted_on is not None:
            query = query.where(c.posted_at <= dt.datetime.combine(as_posted_on, dt.time.max))
        if scheme_id is not None:
            query = query.where(c.scheme_id == scheme_id)
        if provider_id is not None:
            query = query.where(c.provider_id == provider_id)
        with self._reading() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        return entries_frame(rows)

    def head(self) -> tuple[int, str]:
        """The entry chain's head: how many entries, and the last one's hash."""
        with self._reading() as conn:
            return self._lock(conn)

    def providers(self) -> list[str]:
        """The providers that have entries, sorted."""
        with self._reading() as conn:
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
        with self._reading() as conn:
            return int(conn.execute(query).scalar_one())

    def entry(self, entry_id: str, *, assurance: bool = True) -> dict[str, Any]:
        """One stored entry with its derivation decoded, and (with ``assurance``)
        the assurance records about it; raises LedgerError if unknown."""
        with self._reading() as conn:
            row = conn.execute(select(t.entries).where(t.entries.c.entry_id == entry_id)
                               ).mappings().first()
            if row is None:
                raise LedgerError(f"no entry {entry_id!r} in {self.where}")
            posting = conn.execute(select(t.postings).where(
                t.postings.c.posting_id == row["posting_id"])).mappings().one()
            reversed_by = conn.execute(select(t.entries.c.entry_id, t.entries.c.period).where(
                t.entries.c.reverses == entry_id)).first()
            # the draws' samples are read whole: a statement asking for many reasons skips them
            assured = read_records(conn, row["scheme_id"]) if assurance else []
        out = dict(row)
        out["derivation"] = json.loads(row["derivation"])
        out["event_ids"] = json.loads(row["event_ids"])
        out["posting"] = dict(posting)
        out["reversed_by"] = None if reversed_by is None else {
            "entry_id": reversed_by[0], "period": reversed_by[1]}
        about = {entry_id, f"{entry_id}-rev", row["reverses"]}  # a reversal: its entry's too
        out["assurance"] = [_plain_record(r) for r in assured
                            if r["entry_id"] in about
                            or (r["kind"] == "draw" and any(
                                s["entry_id"] == entry_id for s in r["body"]["sample"]))]
        return out

    def rating(self, scheme_id: str, provider_id: str, period: str) -> tuple[str, int] | None:
        """The provider's star rating (mean, answers) as last posted up to ``period``."""
        query = (select(t.ratings.c.mean, t.ratings.c.answers)
                 .join(t.postings, t.postings.c.posting_id == t.ratings.c.posting_id)
                 .where((t.postings.c.scheme_id == scheme_id)
                        & (t.ratings.c.provider_id == provider_id)
                        & (t.postings.c.period <= period))
                 .order_by(t.postings.c.posting_id.desc()).limit(1))
        with self._reading() as conn:
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
        with self._reading() as conn:
            body = conn.execute(query).scalar()
        if body is None:
            raise LedgerError(f"no posting of scheme {scheme_id!r} in {self.where}")
        return Scheme.model_validate_json(body)

    def postings(self) -> list[dict[str, Any]]:
        with self._reading() as conn:
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
            raise self._refused(exc) from None

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except DBAPIError as exc:
            raise self._refused(exc) from None
        except ValueError as exc:  # a stored date that is no date: only tampering makes one
            raise LedgerUnavailableError(f"{self.where} holds a value that cannot be read "
                                         f"({exc}): run kasvufee verify") from None

    def _refused(self, exc: DBAPIError) -> LedgerUnavailableError:
        lines = str(exc.orig).strip().splitlines() or ["no reason given"]
        return LedgerUnavailableError(f"{self.where} cannot be opened or written: the database "
                                      f"refused ({lines[0]}); nothing was written")

    def _lock(self, conn: Connection) -> tuple[int, str]:
        """Take the ledger's write lock; return the chain head (length, hash)."""
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'"))
            conn.execute(select(t.meta.c.value).where(t.meta.c.key == "chain_head")
                         .with_for_update())
        head = dict(conn.execute(select(t.meta.c.key, t.meta.c.value)).all())
        length = t.stored_count(head.get("chain_length", ""))
        if length is None:
            raise LedgerUnavailableError(f"{self.where}: the chain head cannot be read; nothing "
                                         "was written: run kasvufee verify")
        return length, head["chain_head"]

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
            raise LedgerStateError(f"the posting time {stamp:%Y-%m-%d %H:%M:%S} is before the "
                                   f"last posting ({latest:%Y-%m-%d %H:%M:%S}): post on or "
                                   "after it")

    def _check_versions(self, conn: Connection, scheme: Scheme) -> str:
        """The scheme's body to store, once no version posted before changed."""
        body = scheme.model_dump_json(exclude_defaults=True)
        now = {v["version"]: v for v in json.loads(body)["versions"]}
        for stored in conn.execute(select(t.schemes.c.body).where(
                t.schemes.c.scheme_id == scheme.scheme)).scalars():
            for old in _as_read_now(stored)["versions"]:
                new = now.get(old["version"])
                if new == old:
                    continue
                what = ("is missing from the file" if new is None else
                        f"has other rules: {_listed(_differences(old, new))} differ")
                raise VersionChangedError(
                    f"scheme {scheme.scheme} version {old['version']!r} was posted and {what}; "
                    "a posted version cannot change (entries were paid under it): keep it as "
                    "posted and add the change as a new version with its own valid_from")
        return body

    def _posted(self, conn: Connection, scheme_id: str) -> pl.DataFrame:
        """The scheme's entries in chain order, only the columns the plan diffs on
        (every column of every row would be most of the post's time)."""
        c = t.entries.c
        result = conn.execute(select(*(c[k] for k in POSTED)).where(c.scheme_id == scheme_id)
                              .order_by(c.chain_no))
        # the driver's tuples as they are (text and integers need no processing):
        # a Row object each would take as long again as the query (W3: 0.2 s)
        return pl.DataFrame(result.cursor.fetchall(), schema=POSTED, orient="row")

    def _stored(self, conn: Connection, entry_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Stored rows by entry id."""
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(entry_ids), IDS_PER_QUERY):
            rows = conn.execute(select(t.entries).where(
                t.entries.c.entry_id.in_(entry_ids[i:i + IDS_PER_QUERY]))).mappings()
            out.update((r["entry_id"], dict(r)) for r in rows)
        return out

    def _store_scheme(self, conn: Connection, scheme_id: str, body: str) -> str:
        digest = hashlib.sha256(body.encode()).hexdigest()
        known = conn.execute(select(t.schemes.c.digest).where(t.schemes.c.digest == digest)
                             ).scalar()
        if known is None:
            conn.execute(t.schemes.insert().values(digest=digest, scheme_id=scheme_id,
                                                   body=body))
        return digest


def _as_read_now(body: str) -> dict[str, Any]:
    """A stored scheme as this kasvufee reads it, defaults left out: a field a
    later release adds with its default (or a default written out by an earlier
    one) is no change to a posted version, so an upgrade never locks a ledger."""
    with contextlib.suppress(ValidationError):  # one this release cannot read: as stored
        body = Scheme.model_validate_json(body).model_dump_json(exclude_defaults=True)
    read: dict[str, Any] = json.loads(body)
    return read


def _stamp(value: object, name: str) -> dt.datetime:
    """When a post or close is recorded: now, a datetime, or a date (at noon,
    as the command line's --posted-on); anything else is refused."""
    if value is None:
        return _now()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(12))
    raise UsageError(f"{name} must be a date or a datetime, got {value!r}")


def _today() -> dt.date:
    """The later of the local and the UTC day: a default post or close is stamped
    in UTC, which west of Greenwich in the evening is already tomorrow."""
    return max(dt.date.today(), _now().date())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _tap(rows: Iterator[dict[str, Any]], marks: set[int], hashes: dict[int, str]
         ) -> Iterator[dict[str, Any]]:
    """The rows, noting the hashes of those whose chain number is in ``marks``."""
    for row in rows:
        if row["chain_no"] in marks:
            hashes[row["chain_no"]] = row["hash"]
        yield row


def _posting_day(period: str, as_of: dt.date | None, posted_on: dt.date) -> dt.date:
    """The day a post evaluates as of (default: the period's end, or the posting
    day when the period has not ended); refuses what would post the future."""
    end = period_end(period)
    today = _today()
    if posted_on > today:
        raise UsageError(f"the posting day {posted_on.isoformat()} is in the future (today is "
                         f"{today.isoformat()}): give today or an earlier day")
    if end.replace(day=1) > posted_on:
        raise UsageError(f"period {period} has not begun on {posted_on.isoformat()}: post it "
                         "once it has")
    if as_of is None:
        return min(end, posted_on)
    if as_of > end:
        raise UsageError(f"as of {as_of.isoformat()} is after the end of period {period} "
                         f"({end.isoformat()}): it would book later earnings into {period}; "
                         f"post period {as_of:%Y-%m} for them, or evaluate as of "
                         f"{end.isoformat()} or earlier")
    if as_of > posted_on:
        raise UsageError(f"as of {as_of.isoformat()} is after the posting day "
                         f"{posted_on.isoformat()}: evaluate as of that day or earlier")
    return as_of


def _listed(names: Sequence[str], most: int = 10) -> str:
    if not names:
        return "none yet"
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def _differences(old: Any, new: Any, path: str = "") -> list[str]:
    """The paths (``components[recruitment].amount``) where two JSON values differ;
    list items with an ``id`` are matched by it."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        return [d for k in keys
                for d in _differences(old.get(k), new.get(k), f"{path}.{k}" if path else k)]
    if isinstance(old, list) and isinstance(new, list):
        if all(isinstance(x, dict) and "id" in x for x in old + new):
            olds, news = {x["id"]: x for x in old}, {x["id"]: x for x in new}
            ids = list(olds) + [i for i in news if i not in olds]
            return [d for i in ids
                    for d in _differences(olds.get(i), news.get(i), f"{path}[{i}]")]
        if len(old) == len(new):
            return [d for n, (a, b) in enumerate(zip(old, new, strict=True))
                    for d in _differences(a, b, f"{path}[{n}]")]
    return [] if old == new else [path or "the version"]


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
