"""Bounded cost: the limits are documented (scheme-reference, "Limits of a
scheme and an events file") and the documented ones are the code's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kasvufee.events._limits import FIRST_DATE, LAST_DATE, MAX_COLUMNS, MAX_LIST_ITEMS
from kasvufee.events._problems import MAX_PROBLEMS as MAX_EVENT_PROBLEMS
from kasvufee.events._rows import MAX_NUMBER_CHARS as MAX_JSON_NUMBER_CHARS
from kasvufee.events.types import NUMBER_DIGITS
from kasvufee.money import MAX_CENTS
from kasvufee.scheme.load import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_NUMBER_CHARS,
    MAX_PROBLEMS,
    MAX_SCHEME_BYTES,
)
from kasvufee.scheme.model import MAX_COMPONENTS, MAX_PERCENT, MAX_VERSIONS
from tests.conftest import ROOT

# the code's limit, its value, and how the documentation says it
LIMITS = [
    (MAX_SCHEME_BYTES, 2_000_000, "under 2 MB"),
    (MAX_NODES, 50_000, "at most 50 000 values"),
    (MAX_DEPTH, 50, "50 levels of nesting"),
    (MAX_NUMBER_CHARS, 40, "numbers of 40 characters"),
    (MAX_COMPONENTS, 500, "at most 500 components and 500 caps per version"),
    (MAX_VERSIONS, 100, "100 versions"),
    (MAX_CENTS, 100_000_000_000, "0.00 to 1 000 000 000.00 €"),
    (MAX_PERCENT, Decimal(10), "at most 1000 %"),
    (NUMBER_DIGITS, 15, "at most 15 digits before the point"),
    (MAX_JSON_NUMBER_CHARS, 40, "(40 characters in JSON Lines)"),
    (MAX_LIST_ITEMS, 100, "at most 100 integers"),
    ((FIRST_DATE, LAST_DATE), (dt.date(1900, 1, 1), dt.date(2199, 12, 31)),
     "1900-01-01 to 2199-12-31"),
    (MAX_COLUMNS, 1000, "| an events file's columns | at most 1000 |"),
    ((MAX_PROBLEMS, MAX_EVENT_PROBLEMS), (100, 1000), "100 for a scheme, 1000 for an events file"),
]


def test_the_documented_limits_are_the_code_s() -> None:
    text = (ROOT / "docs" / "scheme-reference.md").read_text()
    section = text[text.index("### Limits of a scheme and an events file"):
                   text.index("## 3. Prices and shares")]
    assert [(value, said) for value, _, said in LIMITS] == [
        (value, said) for _, value, said in LIMITS]
    assert [said for *_, said in LIMITS if said not in section] == []
