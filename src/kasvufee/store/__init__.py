"""The posted ledger: SQLite or PostgreSQL, append-only, hash-chained.

The ledger's modules need SQLAlchemy, which takes longer to import than the
rest of kasvufee's command line: they load when one of their names is first
used, so that ``kasvufee run`` and ``import kasvufee`` do not wait for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from kasvufee.calendar import period_end

DEFAULT_LEDGER = "kasvufee-ledger.sqlite"
"""The posted ledger used when none is named: a SQLite file in the current folder."""

if TYPE_CHECKING:
    from kasvufee.store.chain import ChainReport
    from kasvufee.store.posted import PostedLedger, PostResult

_MODULES = {"ChainReport": "kasvufee.store.chain", "PostResult": "kasvufee.store.posted",
            "PostedLedger": "kasvufee.store.posted"}

__all__ = ["DEFAULT_LEDGER", "ChainReport", "PostResult", "PostedLedger", "period_end"]


def __getattr__(name: str) -> object:
    if name in _MODULES:
        return getattr(importlib.import_module(_MODULES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
