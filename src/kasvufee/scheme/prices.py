"""What follows from the scheme alone: amounts (fixed euros, shares of a price,
percentages of a component's full amount), caps in force, and the event types
and columns it reads.  Used by the checks at load time, the reader and the
engine."""

from __future__ import annotations

from decimal import Decimal

from kasvufee.events.types import ALWAYS_READ, EVENT_TYPES, nearest_name
from kasvufee.money import allocate_shares, round_cents
from kasvufee.scheme import expr as ex
from kasvufee.scheme.model import (
    SERIES_NAMES,
    Amount,
    Cap,
    CheckpointFee,
    Component,
    EventFee,
    Formula,
    MeanBands,
    OneOf,
    PerAnswer,
    ScheduleFee,
    Scheme,
    ShareOf,
    Table,
    Tier,
    Version,
)


def share_cents(version: Version, component: str, share: ShareOf) -> int:
    price = version.prices[share.share_of]
    return allocate_shares(price.amount, price.shares)[component]


def static_cents(version: Version, component: str, amount: object) -> int | None:
    """The amount in cents when it does not depend on the events, else None."""
    if isinstance(amount, int):
        return amount
    if isinstance(amount, ShareOf):
        return share_cents(version, component, amount)
    return None


def pays_cents(pays: int | Decimal, base: int | None) -> int:
    """A policy or band payment: euros, or a percentage of ``base`` (half up)."""
    if isinstance(pays, Decimal):
        if base is None:
            raise ValueError("a percentage needs a base amount")
        return round_cents(Decimal(base) * pays / 100)
    return pays


def full_amount(version: Version, component: str, amount: Amount) -> int | None:
    """The component's full (100 %) amount, the base of percentage policies."""
    if isinstance(amount, MeanBands):
        return static_cents(version, component, amount.base) if amount.base is not None else None
    return static_cents(version, component, amount)


def effective_caps(scheme: Scheme) -> tuple[Cap, ...]:
    """The scheme's caps by id, in the order first declared; a later version's
    definition of a cap replaces the earlier one for the whole contract."""
    by_id: dict[str, Cap] = {}
    for version in scheme.versions:
        for cap in version.caps:
            by_id[cap.id] = cap
    return tuple(by_id.values())


Loc = tuple[str | int, ...]


def type_references(scheme: Scheme) -> list[tuple[Loc, str]]:
    """Every event type the scheme names, with where (defaults included, at
    the place they would be written)."""
    refs: list[tuple[Loc, str]] = []
    if scheme.rating is not None:
        refs.append((("rating", "on"), scheme.rating.on))
    for vi, version in enumerate(scheme.versions):
        for ci, c in enumerate(version.components):
            loc: Loc = ("versions", vi, "components", ci)
            if isinstance(c, EventFee):
                refs += [((*loc, "on") if isinstance(c.on, str) else (*loc, "on", i), t)
                         for i, t in enumerate(c.types)]
                for key, part in (("requires", c.requires), ("provisional", c.provisional)):
                    if part is not None:
                        refs.append(((*loc, key, "on"), part.on))
                if c.evidence is not None:
                    refs.append(((*loc, "evidence", "provided_by"), c.evidence.provided_by))
                if c.lasts is not None:
                    refs.append(((*loc, "lasts", "ended_by"), c.lasts.ended_by))
                if c.series is not None:
                    refs.append(((*loc, "series", "on"), c.series.on))
                if c.in_work is not None:
                    refs += [((*loc, "in_work", "started_by"), c.in_work.started_by),
                             ((*loc, "in_work", "ended_by"), c.in_work.ended_by)]
                if c.missing is not None and c.missing.declined_by is not None:
                    refs.append(((*loc, "missing", "declined_by"), c.missing.declined_by))
            elif isinstance(c, CheckpointFee):
                refs += [((*loc, "metrics", name, "on"), m.on) for name, m in c.metrics.items()]
            # anchors: event types; client.X and contract.X name dates, not events
            refs += [((*loc, *path), ref) for path, ref in date_refs(c) if "." not in ref]
    return refs


def one_of_groups(scheme: Scheme) -> dict[str, OneOf]:
    """Each component of an at-most-one group -> its group (by id, the last
    version's definition)."""
    groups = {g.id: g for version in scheme.versions for g in version.at_most_one}
    return {c: g for g in groups.values() for c in g.components}


def effective_tiers(scheme: Scheme) -> tuple[Tier, ...]:
    """The scheme's volume tiers by id, a later version's replacing an earlier one's."""
    return tuple({t.id: t for version in scheme.versions for t in version.tiers}.values())


def event_types(scheme: Scheme) -> frozenset[str]:
    """Every event type the scheme can look at; the engine ignores the rest."""
    return frozenset({"enrolled", "event_voided", *(t for _, t in type_references(scheme))})


def unknown_types(scheme: Scheme) -> list[tuple[Loc, str, str | None]]:
    """The event types the scheme names that are neither in the core vocabulary
    nor in its ``event_types``: where, the type, and the nearest known name."""
    known = EVENT_TYPES | set(scheme.event_types)
    return [(loc, t, nearest_name(t, known))
            for loc, t in type_references(scheme) if t not in known]


def date_refs(c: Component) -> list[tuple[tuple[str, ...], str]]:
    """The dates a component counts from or stops at (anchors and ``until``), each
    with its place in the component: event types, ``client.X`` date attributes
    and ``contract.X`` dates."""
    if isinstance(c, CheckpointFee):
        return [(("anchor",), c.anchor)]
    if isinstance(c, ScheduleFee):
        return ([] if c.pro_rata is None else
                [(("pro_rata", "start"), c.pro_rata.start), (("pro_rata", "end"), c.pro_rata.end)])
    if not isinstance(c, EventFee):
        return []
    places: list[tuple[tuple[str, ...], str | None]] = []
    if c.window is not None:
        places += [(("window", "anchor"), c.window.anchor),
                   (("window", "until"), c.window.until)]
    if c.lasts is not None:
        places.append((("lasts", "until"), c.lasts.until))
    if c.missing is not None:
        places.append((("missing", "deadline", "anchor"), c.missing.deadline.anchor))
    return [(path, ref) for path, ref in places if ref is not None]


def event_columns(scheme: Scheme) -> frozenset[str]:
    """Every event column the scheme can read: the core columns, ``voids``, the
    attributes it declares and those its rules name (``client.X`` reads ``X`` of
    the enrolment); the engine ignores the rest (``read_events(columns=...)``)."""
    names = {*ALWAYS_READ, *scheme.attributes}
    if scheme.rating is not None:
        names.add(scheme.rating.answers)
    for version in scheme.versions:
        for c in version.components:
            names |= attribute_names(c)
        names.update(cap.amount.by for cap in version.caps if isinstance(cap.amount, Table))
    return frozenset(n.removeprefix("client.") for n in names)


def attribute_names(c: Component) -> frozenset[str]:
    """The attributes a component's rules name: of its events, or ``client.X``."""
    names: set[str] = set()
    amount = c.amount
    if isinstance(amount, Table):
        names.add(amount.by)
    elif isinstance(amount, PerAnswer):
        names.add(amount.answers)
    elif isinstance(amount, MeanBands):
        names.add(amount.mean_of)
    elif isinstance(amount, Formula):
        names |= ex.names(ex.parse(amount.formula)) - set(SERIES_NAMES)
    if isinstance(c, EventFee):
        names.update(c.where)
        names.update(k for k in c.once_keys if k not in ("client", "provider"))
        if c.eligible is not None:
            names |= ex.names(ex.parse(c.eligible))
        for part in (c.requires, c.provisional):
            if part is not None:
                names.update(part.where)
        if c.accumulate is not None:
            names.add(c.accumulate.sum)
        if c.evidence is not None:
            names.update((c.evidence.attribute, "for_event"))
        if c.lasts is not None:
            names.add(c.lasts.match_on)
            if c.lasts.table is not None:
                names.add(c.lasts.table[1].by)
        if c.repeat is not None and not isinstance(c.repeat.times, int):
            names.add(c.repeat.times.by)
        if c.series is not None:
            names.update((c.series.value, c.series.date))
        if c.in_work is not None:
            names.add(c.in_work.match_on)
    elif isinstance(c, CheckpointFee):
        for m in c.metrics.values():
            names.update(m.where)
            names.update(n for n in (m.latest, m.sum) if n is not None)
    names.update(r for _, r in date_refs(c) if r.startswith("client."))
    return frozenset(names)


def highest_amount(version: Version, component: str, amount: object) -> int | None:
    """The most one entry of this amount form can pay, in cents, before
    ``max_amount``; None when it depends on the events (per_answer, a formula
    whose text does not bound it: ``kasvufee.scheme.expr.bounds``)."""
    if isinstance(amount, Formula):
        high = ex.bounds(ex.parse(amount.formula))[1]
        return max(0, round_cents(high)) if high.is_finite() else None
    if isinstance(amount, (int, ShareOf)):
        return static_cents(version, component, amount)
    if isinstance(amount, MeanBands):
        base = full_amount(version, component, amount)
        return max(pays_cents(p, base) for p in [*(b.pays for b in amount.bands),
                                                 amount.otherwise])
    if isinstance(amount, Table):
        return max(amount.table.values(), default=0)
    return None
