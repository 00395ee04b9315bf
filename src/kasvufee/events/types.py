"""The vocabulary of the canonical events table: core columns and attribute types.

The canonical table has the core columns below, in this order, then one column
per attribute in file order.  An attribute's type is looked up by its name in
:data:`ATTRIBUTE_TYPES` (the core vocabulary of ``DESIGN.md``), overridden or
extended by the ``attribute_types`` a caller passes (a scheme file declares the
types of the attributes it reads); any other attribute is a string.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final, Literal, get_args

import polars as pl

from kasvufee.errors import UsageError

AttributeType = Literal["string", "decimal", "integer", "boolean", "date", "integer_list"]
"""The type of an attribute column."""

ATTRIBUTE_TYPE_NAMES: Final[frozenset[str]] = frozenset(get_args(AttributeType))

DECIMAL_PRECISION: Final = 38
DECIMAL_SCALE: Final = 10
DECIMAL_DTYPE: Final = pl.Decimal(DECIMAL_PRECISION, DECIMAL_SCALE)
"""Decimals are exact: 38 digits, 10 of them after the point."""

NUMBER_DIGITS: Final = 15
"""The one range of numbers in events and schemes: at most 15 digits before the
point (and at most 10 after), integers too.  Formulas hold 18 digits before the
point, so an input, a sum of a thousand inputs or an input times a price all fit."""
NUMBER_LIMIT: Final = 10**NUMBER_DIGITS
"""Every number is strictly between ``-NUMBER_LIMIT`` and ``NUMBER_LIMIT``."""

ATTRIBUTE_DTYPES: Final[Mapping[AttributeType, pl.DataType]] = MappingProxyType(
    {
        "string": pl.String(),
        "decimal": DECIMAL_DTYPE,
        "integer": pl.Int64(),
        "boolean": pl.Boolean(),
        "date": pl.Date(),
        "integer_list": pl.List(pl.Int64()),
    }
)

ATTRIBUTE_TYPES: Final[Mapping[str, AttributeType]] = MappingProxyType(
    {
        "answers": "integer_list",
        "fte": "decimal",
        "fte_years": "decimal",
        "value": "decimal",
        "score": "decimal",
        "unemployed_months": "integer",
        "period_no": "integer",
        "cross_border": "boolean",
    }
)
"""Built-in attribute types (the core vocabulary); every other attribute is a string."""

EVENT_TYPES: Final[frozenset[str]] = frozenset({
    "enrolled", "guidance_completed", "plan_completed", "interview_completed",
    "survey_answered", "survey_declined", "employment_started", "employment_ended",
    "recruitment_made", "recruitment_probable", "company_founded", "training_referred",
    "metric_observed", "quality_rated", "milestone_reached", "network_formed",
    "student_directed", "vacancy_reported", "evidence_provided", "event_voided",
})
"""The core vocabulary of event types (``DESIGN.md``); a scheme declares its own
others under ``event_types``."""

EVENT_TYPE_PATTERN: Final = r"^[a-z][a-z0-9_]*$"
"""How an event type is spelt: a lowercase letter, then lowercase letters, digits
and ``_`` (``employment_started``).  Spaces and tabs around it are stripped, like
around every cell; any other spelling is refused where it is read."""

_EVENT_TYPE_RE: Final = re.compile(EVENT_TYPE_PATTERN)


def type_spelling(text: str) -> str | None:
    """The event type ``text`` was probably meant to be: lowercase, with spaces
    and hyphens as ``_`` (``Employment Started`` → ``employment_started``);
    None when that is no event type either."""
    guess = re.sub(r"[\s\-]+", "_", text.strip().lower())
    return guess if _EVENT_TYPE_RE.match(guess) else None


def nearest_name(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name`` (a typo's correction), or None."""
    found = difflib.get_close_matches(name, sorted(set(known) - {name}), n=1, cutoff=0.75)
    return found[0] if found else None


CORE_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {
        "event_id": pl.String(),
        "type": pl.String(),
        "provider_id": pl.String(),
        "client_id": pl.String(),
        "occurred_on": pl.Date(),
        "recorded_at": pl.Datetime("us"),
        "line": pl.UInt32(),
    }
)
"""The core columns of the canonical table and their dtypes, in table order."""

CORE_COLUMNS: Final[tuple[str, ...]] = tuple(CORE_SCHEMA)
"""Names of the core columns, in table order (``line`` included)."""

REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("event_id", "type", "provider_id", "occurred_on")
"""Columns an events file must have."""

INPUT_CORE_COLUMNS: Final[tuple[str, ...]] = (
    "event_id",
    "type",
    "provider_id",
    "client_id",
    "occurred_on",
    "recorded_at",
)
"""Core columns that come from the input (``line`` is computed by the reader)."""

ALWAYS_READ: Final[tuple[str, ...]] = (*INPUT_CORE_COLUMNS, "voids")
"""Read whatever columns are asked for: without ``voids`` voided events would pay."""


def resolve_attribute_types(
    overrides: Mapping[str, AttributeType] | None,
) -> dict[str, AttributeType]:
    """The built-in registry updated with ``overrides``, checked.

    Raises:
        UsageError: an override names a core column or an unknown type.
    """
    types: dict[str, AttributeType] = dict(ATTRIBUTE_TYPES)
    if overrides is None:
        return types
    for name, kind in overrides.items():
        if not isinstance(name, str) or not name:
            raise UsageError(f"attribute_types: expected attribute names, got {name!r}")
        if name in CORE_SCHEMA:
            raise UsageError(
                f"attribute_types: {name!r} is a core column; its type cannot be changed"
            )
        if kind not in ATTRIBUTE_TYPE_NAMES:
            allowed = ", ".join(sorted(ATTRIBUTE_TYPE_NAMES))
            raise UsageError(f"attribute_types: {name!r}: expected one of {allowed}, got {kind!r}")
        types[name] = kind
    return types


def attribute_type(name: str, types: Mapping[str, AttributeType]) -> AttributeType:
    """The type of attribute ``name``: from ``types``, else ``"string"``."""
    return types.get(name, "string")
