"""The posted ledger's tables (SQLAlchemy Core) and their migrations.

One database holds one ledger: any number of schemes posted into it, every
entry in one hash chain.  ``meta`` records the schema version and the chain's
head; ``seals`` is a second hash chain, one seal per posting or closing, each
sealing the entry chain's head and the hash of every other row it wrote (see
``kasvufee.store.seals``).  ``migrate`` brings an older database up to
``SCHEMA_VERSION`` inside the same transaction as the caller's work.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
)

SCHEMA_VERSION = 3  # 2: the seals; 3: the assurance records

metadata = MetaData()

meta = Table(
    "kasvufee_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

schemes = Table(
    "kasvufee_schemes", metadata,
    Column("digest", String(64), primary_key=True),  # sha256 of the scheme's JSON
    Column("scheme_id", String(200), nullable=False),
    Column("body", Text, nullable=False),  # the validated scheme as JSON
)

postings = Table(
    "kasvufee_postings", metadata,
    Column("posting_id", BigInteger, primary_key=True, autoincrement=False),
    Column("scheme_id", String(200), nullable=False),
    Column("period", String(7), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("posted_at", DateTime(timezone=False), nullable=False),
    Column("scheme_digest", String(64), ForeignKey("kasvufee_schemes.digest"), nullable=False),
    Column("events_digest", String(64), nullable=False),
    Column("events_source", Text, nullable=False),
    Column("added", Integer, nullable=False),
)

entries = Table(
    "kasvufee_entries", metadata,
    Column("chain_no", BigInteger, primary_key=True, autoincrement=False),
    Column("entry_id", String(255), nullable=False, unique=True),
    Column("basis_id", String(255), nullable=False),
    Column("scheme_id", String(200), nullable=False),
    Column("scheme_version", String(100), nullable=False),
    Column("component", String(200), nullable=False),
    Column("provider_id", String(200), nullable=False),
    Column("client_id", String(200), nullable=True),
    Column("earned_on", Date, nullable=False),
    Column("period", String(7), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("event_ids", Text, nullable=False),  # JSON array
    Column("explanation", Text, nullable=False),
    Column("capped_from_cents", BigInteger, nullable=True),
    Column("cap", String(200), nullable=True),
    Column("reverses", String(255), nullable=True),
    Column("posting_id", BigInteger, ForeignKey("kasvufee_postings.posting_id"), nullable=False),
    Column("posted_at", DateTime(timezone=False), nullable=False),
    Column("derivation", Text, nullable=False),  # JSON: rule, events, facts, caps
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("kasvufee_entries_scheme", entries.c.scheme_id, entries.c.basis_id)
Index("kasvufee_entries_provider", entries.c.provider_id, entries.c.period)

closed_periods = Table(
    "kasvufee_closed_periods", metadata,
    Column("scheme_id", String(200), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("closed_at", DateTime(timezone=False), nullable=False),
)

ratings = Table(
    "kasvufee_ratings", metadata,
    Column("posting_id", BigInteger, ForeignKey("kasvufee_postings.posting_id"),
           primary_key=True),
    Column("provider_id", String(200), primary_key=True),
    Column("mean", String(20), nullable=False),  # a decimal with two places
    Column("answers", Integer, nullable=False),
)

seals = Table(
    "kasvufee_seals", metadata,
    Column("seal_no", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(20), nullable=False),  # posting, close or migration
    Column("sealed_at", DateTime(timezone=False), nullable=False),
    Column("chain_length", BigInteger, nullable=False),  # entries in the chain after it
    Column("chain_head", String(64), nullable=False),  # the hash of entry #chain_length
    Column("records", Text, nullable=False),  # JSON: [table, key, hash] of each row sealed
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

assurance = Table(
    "kasvufee_assurance", metadata,
    Column("record_no", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(20), nullable=False),  # draw, result, recovery, dispute, decision
    Column("record_id", String(255), nullable=False, unique=True),
    Column("scheme_id", String(200), nullable=False),
    Column("provider_id", String(200), nullable=True),
    Column("entry_id", String(255), nullable=True),  # the entry a result or dispute is about
    Column("period", String(7), nullable=True),  # a dispute's period (close waits for it)
    Column("recorded_at", DateTime(timezone=False), nullable=False),
    Column("body", Text, nullable=False),  # JSON: what was drawn, found, claimed or decided
)
Index("kasvufee_assurance_entry", assurance.c.entry_id)

GENESIS = "0" * 64  # the previous hash of the first entry and of the first seal


def stored_count(value: str) -> int | None:
    """A count kept as text in ``meta`` (ASCII digits only: ``str.isdigit`` also
    takes '²', which ``int`` refuses, and '٣'), or None for anything else."""
    return int(value) if value.isascii() and value.isdigit() else None


def migrate(conn: Connection) -> int | None:
    """Create the tables, or bring an older schema up to ``SCHEMA_VERSION``;
    return the version found (None for a new ledger)."""
    metadata.create_all(conn, checkfirst=True)
    version = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    if version is None:
        conn.execute(meta.insert(), [
            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
            {"key": "chain_length", "value": "0"},
            {"key": "chain_head", "value": GENESIS},
        ])
        return None
    # Migrations: version 1 had no seals (the caller seals what it holds);
    # version 2 had no assurance records (create_all made their empty table).
    found = stored_count(version)
    found = SCHEMA_VERSION + 1 if found is None else found
    if found < SCHEMA_VERSION:
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(
            value=str(SCHEMA_VERSION)))
        return found
    if found > SCHEMA_VERSION:
        from kasvufee.errors import LedgerUnavailableError

        raise LedgerUnavailableError(f"this ledger has schema version {version}; this kasvufee "
                                     f"knows up to {SCHEMA_VERSION}: upgrade kasvufee")
    return found
