"""Events: reading CSV, JSON Lines and Parquet files into the canonical events table.

See :mod:`kasvufee.events.read` for the table, the text rules and the options.
"""

from kasvufee.events.read import (
    MAX_PROBLEMS,
    EventsFormat,
    empty_events,
    events_from_records,
    read_events,
)
from kasvufee.events.types import (
    ATTRIBUTE_DTYPES,
    ATTRIBUTE_TYPES,
    CORE_COLUMNS,
    CORE_SCHEMA,
    REQUIRED_COLUMNS,
    AttributeType,
)

__all__ = [
    "ATTRIBUTE_DTYPES",
    "ATTRIBUTE_TYPES",
    "CORE_COLUMNS",
    "CORE_SCHEMA",
    "MAX_PROBLEMS",
    "REQUIRED_COLUMNS",
    "AttributeType",
    "EventsFormat",
    "empty_events",
    "events_from_records",
    "read_events",
]
