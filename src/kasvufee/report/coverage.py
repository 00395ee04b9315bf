"""What a run did not read: event types no component reads, components no event
reaches, and attributes the scheme reads that no event has.

Nothing disappears silently: an event of a type the scheme does not know (a
misspelt ``employment_startd``) earns nothing and is not held either, since
no component looked at it; these lists say so, with the nearest name the
scheme does know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from kasvufee.events.types import CORE_COLUMNS, EVENT_TYPES, nearest_name
from kasvufee.plural import count
from kasvufee.scheme.check import ENROLLED_ON
from kasvufee.scheme.model import EventFee, Scheme
from kasvufee.scheme.prices import attribute_names, event_types

__all__ = ["Coverage", "MissingAttribute", "UnreachedComponent", "UnreadType", "coverage"]


@dataclass(frozen=True, slots=True)
class UnreadType:
    """Events of a type no component reads; ``nearest``: the closest type the
    scheme reads (of a known type: that no event has), a likely typo."""

    type: str
    events: int
    nearest: str | None


@dataclass(frozen=True, slots=True)
class UnreachedComponent:
    """A component whose ``on:`` types no event has; ``nearest``: the closest
    type the events do have."""

    component: str
    version: str
    on: tuple[str, ...]
    nearest: str | None


@dataclass(frozen=True, slots=True)
class MissingAttribute:
    """An attribute the scheme's rules read that no event of a type it reads has
    (absent or empty)."""

    attribute: str
    components: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Coverage:
    unread: tuple[UnreadType, ...]
    unreached: tuple[UnreachedComponent, ...]
    missing: tuple[MissingAttribute, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"unread_types": [asdict(u) for u in self.unread],
                "unreached_components": [{**asdict(u), "on": list(u.on)} for u in self.unreached],
                "missing_attributes": [{**asdict(m), "components": list(m.components)}
                                       for m in self.missing]}

    def missing_lines(self) -> list[str]:
        """The attributes lacking, for before anything is paid."""
        return [f"warning: no event has {m.attribute}, which {', '.join(m.components)} "
                f"read{'s' if len(m.components) == 1 else ''}: check the events file's columns"
                for m in self.missing]

    def lines(self) -> list[str]:
        """Unread types and unreached components, for the run summary."""
        out = []
        if self.unread:
            out.append(f"{count(len(self.unread), 'event type')} no component reads:")
            out += [f"  {u.type}: {count(u.events, 'event')}"
                    + (f" (did you mean {u.nearest}?)" if u.nearest else "")
                    for u in self.unread]
        if self.unreached:
            out.append(f"{count(len(self.unreached), 'component')} no event reaches:")
            out += [f"  {u.component} (version {u.version}, on {' or '.join(u.on)})"
                    + (f": did you mean {u.nearest}?" if u.nearest else "")
                    for u in self.unreached]
        return out


def coverage(scheme: Scheme, events: pl.DataFrame,
             left_out: Mapping[str, int] | None = None) -> Coverage:
    """What of ``events`` the scheme does not read, and what of the scheme no event reaches;
    ``left_out``: the events per type the reader left out (``read_events(left_out=...)``)."""
    found = events.group_by("type").len().iter_rows()
    counts = dict(sorted({**dict(found), **(left_out or {})}.items()))
    read = event_types(scheme)
    known = EVENT_TYPES | set(scheme.event_types)
    # a known type's nearest: a type the scheme reads and no event has (its typo)
    unread = tuple(UnreadType(t, n, nearest_name(t, read - set(counts) if t in known else read))
                   for t, n in counts.items() if t not in read)
    unreached = tuple(
        UnreachedComponent(c.id, v.version, c.types,
                           next(filter(None, (nearest_name(t, counts) for t in c.types)), None))
        for v in scheme.versions for c in v.components
        if isinstance(c, EventFee) and not any(t in counts for t in c.types))
    # an attribute counts where an event the scheme reads has it: one on other
    # events only (a risk class on a guidance session) is missing all the same,
    # whether the reader left those events out or not
    is_read = pl.col("type").is_in(list(read))
    flags = events.select((pl.col(c).is_not_null() & is_read).any() for c in events.columns)
    present = {name for name, has in zip(events.columns, flags.row(0), strict=True) if has}
    readers: dict[str, list[str]] = {}
    for v in scheme.versions:
        for c in v.components:
            for name in attribute_names(c):
                readers.setdefault(name.removeprefix("client."), []).append(c.id)
    # client.enrolled_on is the enrolment's own date, not a column of the events
    missing = tuple(MissingAttribute(name, tuple(dict.fromkeys(ids)))
                    for name, ids in sorted(readers.items())
                    if name not in CORE_COLUMNS and name != ENROLLED_ON and name not in present)
    return Coverage(unread, unreached, missing)
