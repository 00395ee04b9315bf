"""Shared test helpers: where the examples and golden scenarios are, and a
short way to write events as Python rows."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

import polars as pl
import pytest

import kasvufee

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared" / "scenarios"
GOLDEN = SHARED if SHARED.is_dir() else ROOT / "tests" / "golden"
PILOTS = sorted(p.name for p in EXAMPLES.iterdir() if (p / "scheme.yaml").exists())


def scheme_yaml(components: str, caps: str = "") -> str:
    """A one-version scheme file around component (and cap) YAML list items."""
    text = ("scheme: t\ntitle: test\nversions:\n  - version: '1'\n    valid_from: 2016-01-01\n"
            "    components:\n" + textwrap.indent(components, " " * 6))
    if caps:
        text += "    caps:\n" + textwrap.indent(caps, " " * 6)
    return text


def events(rows: Iterable[Mapping[str, object]]) -> pl.DataFrame:
    """Events from rows; ``occurred_on`` may be a string."""
    return kasvufee.events_from_records(list(rows))


def run(scheme_yaml: str, rows: Iterable[Mapping[str, object]], as_of: str) -> kasvufee.Ledger:
    scheme = kasvufee.parse_scheme(scheme_yaml)
    return kasvufee.evaluate(scheme, events(rows), dt.date.fromisoformat(as_of))


def amounts(ledger: kasvufee.Ledger) -> list[tuple[str, str, str, str]]:
    """(component, client or provider, earned_on, amount) of every entry, sorted."""
    return sorted((e.component, e.client_id or e.provider_id, e.earned_on.isoformat(), e.amount)
                  for e in ledger.entries)


@pytest.fixture
def example() -> Path:
    return EXAMPLES
