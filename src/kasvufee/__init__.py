"""kasvufee: outcome-based fee schemes for employment services, evaluated
exactly and explained line by line.

    >>> import datetime as dt
    >>> import kasvufee
    >>> scheme = kasvufee.load_scheme("examples/varsinais-suomi/scheme.yaml")
    >>> events = kasvufee.read_events("examples/varsinais-suomi/events.csv")
    >>> ledger = kasvufee.evaluate(scheme, events, as_of=dt.date(2018, 12, 31))
    >>> ledger.total()
    Decimal('2200.00')

The flow is read → evaluate → ledger → export: ``load_scheme`` and
``read_events`` read, ``evaluate`` is the pure core, ``Ledger`` (the
evaluation ledger) holds the entries and held items, money as ``Decimal``;
``PostedLedger`` is the posted ledger in a database.  Every exception kasvufee
raises on purpose is a ``KasvufeeError`` and importable from here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from kasvufee.engine.evaluate import evaluate
from kasvufee.errors import (
    EventsError,
    ExpressionError,
    InputError,
    KasvufeeError,
    LedgerBusyError,
    LedgerError,
    LedgerStateError,
    LedgerUnavailableError,
    PeriodClosedError,
    Problem,
    SchemeError,
    UsageError,
    VersionChangedError,
)
from kasvufee.events import events_from_records, read_events
from kasvufee.ledger import Entry, HeldItem, Ledger
from kasvufee.scheme import Scheme, load_scheme, parse_scheme, scheme_json_schema

if TYPE_CHECKING:
    from kasvufee.store import PostedLedger, PostResult

    __version__: str

__all__ = [
    "Entry",
    "EventsError",
    "ExpressionError",
    "HeldItem",
    "InputError",
    "KasvufeeError",
    "Ledger",
    "LedgerBusyError",
    "LedgerError",
    "LedgerStateError",
    "LedgerUnavailableError",
    "PeriodClosedError",
    "PostResult",
    "PostedLedger",
    "Problem",
    "Scheme",
    "SchemeError",
    "UsageError",
    "VersionChangedError",
    "__version__",
    "evaluate",
    "events_from_records",
    "load_scheme",
    "parse_scheme",
    "read_events",
    "scheme_json_schema",
]


def __getattr__(name: str) -> object:
    # the posted ledger loads SQLAlchemy: only when it is used (see kasvufee.store)
    if name in ("PostedLedger", "PostResult"):
        return getattr(importlib.import_module("kasvufee.store"), name)
    if name == "__version__":  # importlib.metadata takes longer to import than a small run
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("kasvufee")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
