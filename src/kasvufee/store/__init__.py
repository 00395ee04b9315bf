"""The posted ledger: SQLite or PostgreSQL, append-only, hash-chained."""

from kasvufee.store.chain import ChainReport
from kasvufee.store.posted import DEFAULT_LEDGER, PostedLedger, PostResult, period_end

__all__ = ["DEFAULT_LEDGER", "ChainReport", "PostResult", "PostedLedger", "period_end"]
