"""The hash chain over posted entries.

Every stored entry carries ``hash = sha256(prev_hash + canonical content)``
where the content is every field of the row except the hashes themselves, as
JSON with sorted keys.  Changing a field changes the entry's hash; removing or
inserting a row breaks the ``prev_hash`` link of the row after it; removing
the last rows disagrees with the chain head kept in ``kasvufee_meta`` and with
the last seal (``kasvufee.store.seals``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kasvufee.plural import count

HASHED_FIELDS = ("chain_no", "entry_id", "basis_id", "scheme_id", "scheme_version", "component",
                 "provider_id", "client_id", "earned_on", "period", "amount_cents", "kind",
                 "event_ids", "explanation", "capped_from_cents", "cap", "reverses",
                 "posting_id", "posted_at", "derivation")


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):  # dates and date-times
        return value.isoformat()
    raise TypeError(f"no JSON form for {type(value).__name__} in a ledger entry")


# one encoder for every entry; it asks ``_iso`` only for the dates, so the other
# fields need no conversion of their own
CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                              default=_iso)


def entry_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    content = CANONICAL.encode({k: row[k] for k in HASHED_FIELDS})
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of checking the chain: ``ok``, the entries checked, and the
    first problem found (None when the chain is intact); ``receipts``: how many
    receipts the ledger was shown to extend; ``damaged``: the problem is the
    database file itself (SQLite's integrity check), not its content."""

    checked: int
    problem: str | None
    receipts: int = 0
    damaged: bool = False

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_chain(rows: Iterable[Mapping[str, Any]], head_length: int, head_hash: str,
                genesis: str) -> ChainReport:
    """Walk the rows in ``chain_no`` order and name the first break."""
    prev_hash, expected_no, checked = genesis, 1, 0
    previous_id = "the start of the ledger"
    for row in rows:
        entry = row["entry_id"]
        if not isinstance(row["chain_no"], int):
            return ChainReport(checked, f"entry {entry} after {previous_id}: its chain number "
                                        f"{str(row['chain_no'])[:40]!r} is no number")
        if row["chain_no"] != expected_no:
            what = ("removed" if row["chain_no"] > expected_no else "inserted")
            return ChainReport(checked, f"entry #{expected_no} after {previous_id} was {what}: "
                                        f"the next stored entry is #{row['chain_no']} ({entry})")
        if row["prev_hash"] != prev_hash:
            return ChainReport(checked, f"entry {entry} (#{expected_no}) does not follow "
                                        f"{previous_id}: an entry was removed or inserted "
                                        "before it")
        if entry_hash(prev_hash, row) != row["hash"]:
            return ChainReport(checked, f"entry {entry} (#{expected_no}) was changed: its "
                                        "content no longer matches its hash")
        prev_hash, previous_id = row["hash"], f"entry {entry} (#{expected_no})"
        expected_no += 1
        checked += 1
    if checked < head_length:
        return ChainReport(checked, f"the ledger records {count(head_length, 'entry')} but "
                                    f"holds {checked}: entries after {previous_id} were removed")
    if checked > head_length:
        return ChainReport(checked, f"the ledger records {count(head_length, 'entry')} but "
                                    f"holds {checked}: entries after #{head_length} were added "
                                    "behind the library's back")
    if prev_hash != head_hash:
        return ChainReport(checked, f"the last entry {previous_id} does not match the recorded "
                                    "chain head: it was replaced")
    return ChainReport(checked, None)
