"""What was known on the evaluation date, in the documented order.

``prepare`` turns the events table into the engine's working table:
- events recorded after ``as_of`` are dropped (they were not known yet);
- voided events are removed as if they never happened (a void that is itself
  voided restores its target);
- every event gets ``ord``, its rank in the one total order of events:
  (``occurred_on``, ``recorded_at``, ``event_id``);
- each (provider, client) gets its first ``enrolled`` event, whose attributes
  are the client's attributes (``client.risk_class`` ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import polars as pl

from kasvufee.events.types import ATTRIBUTE_DTYPES, ATTRIBUTE_TYPES, AttributeType
from kasvufee.money import EUR, Currency
from kasvufee.scheme.model import Trust

CORE = ("event_id", "type", "provider_id", "client_id", "occurred_on", "recorded_at", "line")
EVENT_ORDER = ("occurred_on", "recorded_at", "event_id")
ENROLLED = "enrolled"
ENROLLED_ON = "enrolled_on"  # client.enrolled_on: the enrolment's date
VOIDED = "event_voided"


@dataclass
class Prepared:
    """The engine's view of the events on one evaluation date.

    Attributes:
        events: the known, non-voided events sorted in event order, with ``ord``.
        as_of: the evaluation date.
        attributes: the attribute columns (everything but the core columns).
        voided: the events removed by voids: voided event id -> the void's id.
        trust: whose voids and events count for whom (the scheme's ``trust``).
        contract: the scheme's contract dates by name (``contract.X`` anchors).
        money: the scheme's currency, for the amounts in explanations.
    """

    events: pl.DataFrame
    as_of: dt.date
    attributes: tuple[str, ...]
    voided: Mapping[str, str]
    trust: Trust = field(default_factory=Trust)
    contract: Mapping[str, dt.date] = field(default_factory=dict)
    money: Currency = EUR
    _firsts: dict[str, pl.DataFrame] = field(default_factory=dict)
    _first_enrolments: pl.DataFrame | None = None

    def of_type(self, *types: str) -> pl.DataFrame:
        return self.events.filter(pl.col("type").is_in(list(types)))

    def first(self, event_type: str) -> pl.DataFrame:
        """Per (provider, client): the first event of ``event_type``.

        Columns: provider_id, client_id, ``{t}_date``, ``{t}_id``, ``{t}_ord``
        and, for ``enrolled``, ``client.<attribute>`` for every attribute and
        ``client.enrolled_on``, the enrolment's date.
        """
        if event_type not in self._firsts:
            firsts = self.of_type(event_type).filter(
                pl.col("client_id").is_not_null()
                & pl.struct("provider_id", "client_id").is_first_distinct())
            cols = [
                pl.col("provider_id"),
                pl.col("client_id"),
                pl.col("occurred_on").alias(f"{event_type}_date"),
                pl.col("event_id").alias(f"{event_type}_id"),
                pl.col("ord").alias(f"{event_type}_ord"),
            ]
            if event_type == ENROLLED:
                cols += [pl.col(a).alias(f"client.{a}") for a in self.attributes
                         if a != ENROLLED_ON]
                cols.append(pl.col("occurred_on").alias(f"client.{ENROLLED_ON}"))
            self._firsts[event_type] = firsts.select(cols)
        return self._firsts[event_type]

    def clients(self) -> pl.DataFrame:
        return self.first(ENROLLED)

    def first_enrolments(self) -> pl.DataFrame:
        """Per client: the date of its first enrolment with any provider
        (``client_id``, ``first_enrolled``), worked out once for all components."""
        if self._first_enrolments is None:
            self._first_enrolments = self.clients().group_by("client_id").agg(
                pl.col("enrolled_date").min().alias("first_enrolled"))
        return self._first_enrolments


def prepare(events: pl.DataFrame, as_of: dt.date,
            types: Mapping[str, AttributeType] | None = None,
            relevant: Iterable[str] | None = None,
            columns: Collection[str] | None = None, trust: Trust | None = None,
            contract: Mapping[str, dt.date] | None = None, money: Currency = EUR) -> Prepared:
    """The working table; ``types`` adds typed null columns for absent attributes;
    ``relevant`` (event types) and ``columns`` drop the events and the columns no
    rule reads before anything is copied or sorted; ``trust`` says whose voids count;
    ``contract`` holds the scheme's contract dates and ``money`` its currency."""
    trust = trust or Trust()
    if columns is not None:
        events = events.select(c for c in events.columns if c in columns)
    known_until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    known = pl.col("recorded_at") < known_until
    if relevant is not None:
        known = known & pl.col("type").is_in(list(relevant))
    # one pass over the whole table: the voids and the positions use the same mask
    mask = events.select(known).to_series()
    voided = (_voids(events.filter(mask & (pl.col("type") == VOIDED)), events, trust)
              if "voids" in events.columns else {})
    at_order = events.lazy().with_row_index("_at").filter(pl.lit(mask)).select("_at", *EVENT_ORDER)
    if voided:
        at_order = at_order.filter(~pl.col("event_id").is_in(list(voided)))
    # the positions of the known events in event order, then every column gathered
    # once (the order is total, event ids being unique: maintain_order only picks
    # polars' faster multi-column sort)
    at = at_order.collect().sort(list(EVENT_ORDER), maintain_order=True).get_column("_at")
    ordered = events[at].with_row_index("ord").with_columns(pl.col("ord").cast(pl.Int64))
    all_types = {**ATTRIBUTE_TYPES, **(types or {})}
    absent = [pl.lit(None, dtype=ATTRIBUTE_DTYPES[t]).alias(name)
              for name, t in all_types.items()
              if name not in events.columns and (columns is None or name in columns)]
    if absent:
        ordered = ordered.with_columns(absent)
    attributes = tuple(c for c in ordered.columns if c not in (*CORE, "ord"))
    return Prepared(ordered, as_of, attributes, voided, trust, contract or {}, money)


def _voids(voids: pl.DataFrame, events: pl.DataFrame, trust: Trust) -> dict[str, str]:
    """Voided event id -> the id of the void that removed it; ``voids`` are the
    known voids, ``events`` every event (for the voided event's provider).

    A void counts only if ``trust`` lets its provider void the target (its own
    event, or the buyer's void).  A void is effective unless an effective void
    targets it, resolved in one pass from the voids nobody voids (linear: a
    chain of 6 000 voids of voids took 5.5 s by repeated passes); voids that
    void each other in a cycle settle nothing, so none of them counts.
    """
    voids = voids.filter(pl.col("voids").is_not_null()).with_columns(
        pl.col("voids").cast(pl.String))
    if trust.voids == "own":
        # the voided events' owners only: a join with every event's would hash
        # the whole table (0.3 s at 3 M events) for a few thousand voids
        owners = events.filter(pl.col("event_id").is_in(voids.get_column("voids").implode())
                               ).select(pl.col("event_id").alias("voids"),
                                        pl.col("provider_id").alias("_owner"))
        voids = voids.join(owners, on="voids", how="left").filter(
            pl.col("_owner").is_null() | (pl.col("_owner") == pl.col("provider_id"))
            | (pl.col("provider_id") == pl.lit(trust.buyer_id, dtype=pl.String)))
    if voids.height == 0:
        return {}
    target = dict(zip(voids["event_id"].to_list(), voids["voids"].to_list(), strict=True))
    live: dict[str, int] = dict.fromkeys(target, 0)  # voids of each void not yet cancelled
    for t in target.values():
        if t in live:
            live[t] += 1
    effective: dict[str, bool] = {v: True for v, n in live.items() if n == 0}
    queue = list(effective)
    for v in queue:
        t = target[v]
        if t not in live or t in effective:
            continue
        if effective[v]:
            effective[t] = False  # an effective void cancels its target
            queue.append(t)
        else:
            live[t] -= 1
            if live[t] == 0:  # every void of t is cancelled: t stands
                effective[t] = True
                queue.append(t)
    return {target[v]: v for v in sorted(v for v, on in effective.items() if on)}
