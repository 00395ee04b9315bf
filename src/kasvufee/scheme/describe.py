"""A component's rule in words, for explanations, statements and reviews.

``describe(version, component)`` gives one plain sentence such as
"900.00/650.00/450.00 € by client.risk_class (high/medium/low), once per
client, on employment_started lasting 3 months (no employment_ended of the
same employment_id before then)".
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from kasvufee.money import format_cents, percent_text
from kasvufee.scheme.model import (
    Cap,
    CheckpointFee,
    EventFee,
    Formula,
    MeanBands,
    Metric,
    PerAnswer,
    ScheduleFee,
    ShareOf,
    Table,
    Version,
)
from kasvufee.scheme.prices import share_cents


def _euros(cents: int) -> str:
    return f"{format_cents(cents)} €"


def _pays(pays: int | Decimal) -> str:
    return _euros(pays) if isinstance(pays, int) else percent_text(pays)


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return "in " + "/".join(_value(x) for x in v)
    return str(v)


def _where(where: Mapping[str, object]) -> str:
    return "" if not where else " with " + ", ".join(
        f"{k} {_value(v)}" for k, v in where.items())


def _metric(name: str, m: Metric) -> str:
    what = (f"latest {m.latest}" if m.latest else "count" if m.count else f"sum of {m.sum}")
    bounds = "".join([f" after the {m.since}" if m.since else "",
                      f" up to the {m.until}" if m.until else ""])
    return f"{name} = {what} of {m.on}{_where(m.where)}{bounds}"


def amount_text(version: Version, component: str, amount: object) -> str:
    if isinstance(amount, int):
        return _euros(amount)
    if isinstance(amount, ShareOf):
        price = version.prices[amount.share_of]
        return (f"{_euros(share_cents(version, component, amount))} "
                f"({percent_text(price.shares[component])} of the {amount.share_of} price "
                f"{_euros(price.amount)})")
    if isinstance(amount, Table):
        return (f"{'/'.join(_euros(v).removesuffix(' €') for v in amount.table.values())} € "
                f"by {amount.by} ({'/'.join(amount.table)})")
    if isinstance(amount, PerAnswer):
        rates = ", ".join(f"{_euros(v)} for each answer {k}" for k, v in amount.per_answer.items())
        return f"{rates} in {amount.answers}"
    if isinstance(amount, MeanBands):
        bands = ", ".join(f"{_pays(b.pays)} when the mean of {amount.mean_of} is at least "
                          f"{b.at_least}" for b in sorted(amount.bands, key=lambda b: -b.at_least))
        text = f"{bands}, otherwise {_pays(amount.otherwise)}"
        if amount.base is not None:
            return f"of {amount_text(version, component, amount.base)}: {text}"
        return text
    if isinstance(amount, Formula):
        return f"{amount.formula} € rounded {amount.rounding.replace('_', ' ')} to the cent"
    return str(amount)


def describe(version: Version, c: EventFee | ScheduleFee | CheckpointFee) -> str:
    """The component's rule as one sentence."""
    parts = [amount_text(version, c.id, c.amount)]
    if isinstance(c, ScheduleFee):
        s = c.schedule
        when = (", ".join(d.isoformat() for d in s.dates) if s.dates is not None
                else f"every {s.every.length} from {s.start}" if s.every is not None
                else f"{s.freq} every {s.interval} from {s.start}"
                + (f", {s.count} times" if s.count else f" until {s.until}"))
        parts.append(f"to {', '.join(c.providers)} on {when}"
                     + (f", pro rata for the service {c.pro_rata.start} to {c.pro_rata.end}"
                        if c.pro_rata is not None else ""))
    elif isinstance(c, CheckpointFee):
        metrics = "; ".join(_metric(name, m) for name, m in c.metrics.items())
        parts.append(f"per client when {c.condition} at {c.length} after {c.anchor}"
                     + (f" ({metrics})" if metrics else ""))
    else:
        if c.once_per != "event":
            keys = c.once_per if isinstance(c.once_per, str) else " and ".join(c.once_per)
            parts.append(f"once per {keys}")
        else:
            parts.append("per event")
        parts.append(f"on {' or '.join(c.types)}{_where(c.where)}")
        if c.eligible:
            parts.append(f"for clients with {c.eligible}")
        if c.requires:
            parts.append(f"after {c.requires.on}{_where(c.requires.where)}")
        if c.window:
            w = c.window
            parts.append(" and ".join(
                ([f"within {w.duration} of {w.anchor}"] if w.duration is not None else [])
                + ([f"on or before {w.until}"] if w.until is not None else [])))
        if c.accumulate:
            parts.append(f"when {c.accumulate.sum} adds up to {c.accumulate.at_least}")
        if c.evidence:
            parts.append(f"with proof ({c.evidence.attribute} or {c.evidence.provided_by})")
        if c.lasts:
            t = c.lasts.table
            length = (f"{t[0]} by {t[1].by} ("
                      + ", ".join(f"{k} {n}" for k, n in t[1].table.items()) + ")"
                      if t is not None else str(c.lasts.length))
            parts.append(f"lasting {length} (no {c.lasts.ended_by} of the same "
                         f"{c.lasts.match_on} before then)"
                         + (f" to a mark on or before {c.lasts.until}" if c.lasts.until else ""))
        if c.in_work:
            iw = c.in_work
            parts.append(f"when {iw.days} days in work ({iw.started_by} to {iw.ended_by}, "
                         f"across spells) fall within {iw.within.length} of it")
        if c.series:
            sr = c.series
            parts.append(f"with every {sr.on} dated ({sr.date}) from the start to the mark "
                         + (f"giving {sr.value} at least {format(sr.at_least, 'f')}"
                            if sr.at_least is not None else f"read for {sr.value}")
                         + (f" (none: {format(sr.when_none, 'f')})"
                            if sr.when_none is not None else ""))
        if c.repeat:
            times = c.repeat.times
            shown = (str(times) if isinstance(times, int) else f"by {times.by} ("
                     + ", ".join(f"{k} {n}" for k, n in times.table.items()) + ")")
            parts.append(f"then every {c.repeat.every.length} while it lasts, {shown} times")
        if c.provisional:
            parts.append(f"{_euros(c.provisional.amount)} already on {c.provisional.on}, "
                         "the rest when realised")
        if c.missing:
            m = c.missing
            parts.append(f"missing data ({m.declined_by or 'nothing'} or nothing by "
                         f"{m.deadline.length} after {m.deadline.anchor}) pays "
                         f"{_pays(m.pays)}")
    if c.requires_earned:
        parts.append(f"after {' and '.join(c.requires_earned)} earned for the same client")
    if c.max_amount is not None:
        parts.append(f"at most {_euros(c.max_amount)} an entry")
    return ", ".join(parts)


def describe_cap(cap: Cap) -> str:
    over = ", ".join(cap.components) if cap.components else "all components"
    amount = cap.amount
    limit = (_euros(amount) if isinstance(amount, int) else
             "/".join(_euros(v).removesuffix(" €") for v in amount.table.values())
             + f" € by {amount.by} ({'/'.join(amount.table)})")
    each = f" each {cap.each}" if cap.each else ""
    return f"at most {limit} per {cap.per}{each} over {over}"
