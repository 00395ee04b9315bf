"""The scheme file, as frozen pydantic models.

A scheme (palkkiomalli) is a list of versions; a version holds named prices,
components (the ways money is earned) and caps.  Every field is documented
here and in ``docs/scheme-reference.md``; ``kasvufee schema`` prints the JSON
Schema generated from these models.

Amounts are written as euro decimals (``900.00``); the YAML loader keeps them
exact (never float).  Inside the models they are integer cents.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    PlainSerializer,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from kasvufee.calendar import MAX_DURATION, UNITS, Duration, Unit
from kasvufee.errors import ExpressionError
from kasvufee.events.types import EVENT_TYPE_PATTERN, NUMBER_LIMIT
from kasvufee.money import (
    MAX_CENTS,
    Currency,
    format_cents,
    parse_euros,
    parse_percent,
    percent_text,
)
from kasvufee.scheme import expr as ex

SLUG = r"^[a-z0-9][a-z0-9_\-]*$"
MAX_COMPONENTS = 500
"""At most this many components (and caps) in a version."""
MAX_VERSIONS = 100
"""At most this many versions in a scheme."""
AttributeTypeName = Literal["string", "decimal", "integer", "boolean", "date", "integer_list"]


def _euros(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(f"a euro amount like 900.00, got {value!r}")
    cents = parse_euros(str(value))
    if not 0 <= cents <= MAX_CENTS:
        raise ValueError(f"an amount from 0.00 to {format_cents(MAX_CENTS)}, got {value}")
    return cents


def _percent(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(f"a percentage like 25%, got {value!r}")
    fraction = parse_percent(value)
    if fraction > MAX_PERCENT:
        raise ValueError(f"a percentage of at most {percent_text(MAX_PERCENT)}, got {value}")
    return fraction


MAX_PERCENT = Decimal(10)
"""A percentage is at most 1000%."""


def _expression(text: str) -> str:
    """Parse an expression so that a bad one is a validation error with its place."""
    try:
        ex.parse(text)
    except ExpressionError as exc:
        raise ValueError(f"{exc.expected} (column {exc.position + 1}), got {exc.found}") from None
    return text


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(f"a decimal number like 0.5, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except Exception as exc:
        raise ValueError(f"a decimal number like 0.5, got {value!r}") from exc
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise ValueError(f"a decimal number between -{NUMBER_LIMIT} and {NUMBER_LIMIT}, "
                         f"got {value}")
    return number


Cents = Annotated[
    int,
    BeforeValidator(_euros),
    PlainSerializer(format_cents, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,10}(\.\d{1,2})?$",
                    "description": "euros with at most two decimals, e.g. 900.00, "
                    "from 0.00 to 1000000000.00"}),
]
Percent = Annotated[
    Decimal,
    BeforeValidator(_percent),
    PlainSerializer(percent_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?\s*%$",
                    "description": "a percentage, e.g. 25%"}),
]
Dec = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    PlainSerializer(lambda d: f"{d:f}", return_type=str),
    WithJsonSchema({"type": ["string", "number"], "description": "an exact decimal"}),
]
Scalar = str | int | bool | Decimal


def _pays_form(value: Any) -> str:
    return "percent" if isinstance(value, (str, Decimal)) and str(value).strip().endswith("%") \
        else "euros"


def _pays_text(value: int | Decimal) -> str:
    # ints are cents, Decimals are fractions: written back as the file wrote them
    return percent_text(value) if isinstance(value, Decimal) else format_cents(value)


Pays = Annotated[
    Annotated[Cents, Tag("euros")] | Annotated[Percent, Tag("percent")],
    Discriminator(_pays_form),
    PlainSerializer(_pays_text, return_type=str)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=False)


# --------------------------------------------------------------------------- amounts


def _text_keys(value: Any) -> Any:
    """A table's keys as text: a table by an integer attribute (round: 1, 2) is
    written with number keys."""
    if isinstance(value, dict):
        return {str(k) if isinstance(k, int) and not isinstance(k, bool) else k: x
                for k, x in value.items()}
    return value


class ShareOf(Model):
    """This component's share of a named price (``prices`` of the version)."""

    share_of: str


class Table(Model):
    """An amount looked up by an attribute, e.g. risk tiers by ``client.risk_class``."""

    by: str = Field(description="attribute name; client.X reads the client's enrolled event")
    table: dict[str, Cents]

    _keys = field_validator("table", mode="before")(_text_keys)


class Scale(Model):
    """The answers a survey can give, ``{min: 1, max: 5}``: an event with an
    answer outside it (99, -4) is held, never averaged or paid."""

    min: int
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(f"a scale whose max is above its min, got min {self.min} and max "
                             f"{self.max}")
        return self

    def __str__(self) -> str:
        return f"{self.min} to {self.max}"


class PerAnswer(Model):
    """Sum of a fee per survey answer: ``{4: 200.00, 3: 100.00}``; other answers pay 0."""

    per_answer: dict[int, Cents]
    answers: str = "answers"
    scale: Scale | None = None


class Band(Model):
    at_least: Dec
    pays: Pays


class MeanBands(Model):
    """Bands of the mean of a list of answers (or of a score).

    ``pays`` is euros, or a percentage of ``base``.  Bands are tried from the
    highest ``at_least`` down; a mean below every band pays ``otherwise``.
    """

    mean_of: str = "answers"
    scale: Scale | None = None
    bands: tuple[Band, ...] = Field(min_length=1)
    otherwise: Pays = 0
    base: Cents | ShareOf | None = None

    @model_validator(mode="after")
    def _percent_needs_base(self) -> MeanBands:
        pays = [b.pays for b in self.bands] + [self.otherwise]
        if self.base is None and any(isinstance(p, Decimal) for p in pays):
            raise ValueError("a base amount (base: ...) for percentage bands, got none")
        return self


class Formula(Model):
    """An amount computed by an expression over event and client attributes.

    The result in euros is rounded to the cent by ``rounding`` (half up by
    default) once, where the entry is produced.
    """

    formula: str
    rounding: Literal["half_up", "down"] = "half_up"

    @field_validator("formula")
    @classmethod
    def _parses(cls, v: str) -> str:
        return _expression(v)


_AMOUNT_KEYS = {"share_of": "share", "table": "table", "per_answer": "per_answer",
                "bands": "bands", "formula": "formula"}


def _amount_form(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, tag in _AMOUNT_KEYS.items():
            if key in value:
                return tag
        return None
    if isinstance(value, BaseModel):
        return {ShareOf: "share", Table: "table", PerAnswer: "per_answer",
                MeanBands: "bands", Formula: "formula"}.get(type(value))
    return "euros"




Amount = Annotated[
    Annotated[Cents, Tag("euros")] | Annotated[ShareOf, Tag("share")]
    | Annotated[Table, Tag("table")] | Annotated[PerAnswer, Tag("per_answer")]
    | Annotated[MeanBands, Tag("bands")] | Annotated[Formula, Tag("formula")],
    Discriminator(_amount_form, custom_error_type="amount",
                  custom_error_message="an amount: euros like 900.00, or a mapping with one of "
                  "share_of, table, per_answer, bands, formula")]


# --------------------------------------------------------------------------- conditions

Where = dict[str, Scalar | tuple[Scalar, ...]]


class CountTable(Model):
    """A whole number chosen by a client attribute: the weeks of a ``lasts``
    (``weeks: {by: client.payment_group, table: {jsa_18_24: 26, esa_new: 13}}``),
    the times of a ``repeat``."""

    by: str = Field(pattern=r"^client\.", description="client.ATTRIBUTE")
    table: dict[str, int] = Field(min_length=1)

    _keys = field_validator("table", mode="before")(_text_keys)


def _unit_value(value: Any, info: ValidationInfo) -> int | CountTable | None:
    unit = info.field_name or ""
    top = MAX_DURATION[unit]  # type: ignore[index]
    if value is None:
        return None
    if isinstance(value, (dict, CountTable)):
        table = CountTable.model_validate(value)
        bad = {k: n for k, n in table.table.items() if not 1 <= n <= top}
        if bad:
            raise ValueError(f"whole numbers of {unit} from 1 to {top} in the table, got "
                             + ", ".join(f"{k}: {n}" for k, n in bad.items()))
        return table
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise ValueError(f"a whole number of {unit} from 1 to {top}, got {value!r}")
    return value


ANCHOR_DESCRIPTION = ("the date counted from: an event type (the client's first such event "
                      "with the provider), client.ATTRIBUTE (a date attribute of the client's "
                      "enrolment) or contract.NAME (a date under contract:)")
UNTIL_DESCRIPTION = ("a last date, inclusive: contract.NAME, client.ATTRIBUTE or an event type, "
                     "as for anchor")


_EACH_UNIT: list[JsonValue] = [{"required": [str(u)]} for u in UNITS]


class Timed(Model):
    """A length of time in exactly one unit: ``{days: 91}``, ``{weeks: 13}``,
    ``{months: 3}`` or ``{years: 1}``, written inline in the mapping that uses it
    (``lasts: {weeks: 13}``).  A week is 7 days; months and years are calendar
    months and years, the day clamped to the end of a shorter month."""

    model_config = ConfigDict(json_schema_extra={"oneOf": _EACH_UNIT})

    days: int | CountTable | None = Field(default=None, description="a duration in days")
    weeks: int | CountTable | None = Field(
        default=None, description="a duration in weeks of 7 days")
    months: int | CountTable | None = Field(
        default=None, description="a duration in calendar months")
    years: int | CountTable | None = Field(
        default=None, description="a duration in calendar years")

    _check_units = field_validator(*UNITS, mode="before")(_unit_value)

    @model_validator(mode="before")
    @classmethod
    def _known_units(cls, value: Any) -> Any:
        # an unknown key holding a number is most likely a unit (fortnights: 2)
        if isinstance(value, dict):
            for key, v in value.items():
                if key not in cls.model_fields and isinstance(v, int) and not isinstance(v, bool):
                    raise ValueError(f"a duration in one of {', '.join(UNITS)}, got {key!r}")
        return value

    @model_validator(mode="after")
    def _one_unit(self) -> Timed:
        given = [u for u in UNITS if getattr(self, u) is not None]
        if not given and self._bounded():
            return self
        if len(given) != 1:
            raise ValueError(f"a duration in exactly one of {', '.join(UNITS)}, got "
                             + (" and ".join(given) if given else "none"))
        if self.table is not None and not isinstance(self, Lasts):
            raise ValueError(f"a whole number of {given[0]} (a table by client attribute is "
                             "for lasts only), got a table")
        return self

    @property
    def table(self) -> tuple[Unit, CountTable] | None:
        """The unit and table of a duration chosen by a client attribute."""
        return next(((u, t) for u in UNITS if isinstance(t := getattr(self, u), CountTable)),
                    None)

    def _bounded(self) -> bool:
        """Whether the duration may be left out (a window with ``until``)."""
        return False

    @property
    def duration(self) -> Duration | None:
        """The fixed duration; None where ``_bounded`` lets it be left out, or for a table."""
        return next((Duration(n, u) for u in UNITS if isinstance(n := getattr(self, u), int)),
                    None)

    @property
    def length(self) -> Duration:
        """The duration of a mapping that must have one."""
        d = self.duration
        if d is None:  # excluded by _one_unit
            raise ValueError("a duration")
        return d


class Every(Timed):
    """The step of a recurrence: ``every: {weeks: 4}``."""


class Window(Timed):
    """The trigger must fall on or after the ``anchor`` date and within a
    duration of it, and on or before the ``until`` date when one is given (the
    duration may then be left out: "on or after enrolment and on or before the
    end of delivery").

    The ends are inclusive; the start is inclusive unless ``start: exclusive``
    ("after enrolment").
    """

    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"oneOf": _EACH_UNIT}, {"required": ["until"], "not": {"anyOf": _EACH_UNIT}}]})

    anchor: str = Field(default="enrolled", description=ANCHOR_DESCRIPTION)
    start: Literal["inclusive", "exclusive"] = "inclusive"
    until: str | None = Field(default=None, description=UNTIL_DESCRIPTION)

    def _bounded(self) -> bool:
        return self.until is not None


class Lasts(Timed):
    """The employment must last a duration: no end event before start + duration.

    An end is matched by ``match_on`` (``employment_id``); when the start has
    no such id, by the same client and provider.  Earned on start + duration;
    an end on that day does not break it.
    """

    ended_by: str = "employment_ended"
    match_on: str = "employment_id"
    until: str | None = Field(default=None, description="the mark must fall on or before this "
                              "date (" + UNTIL_DESCRIPTION + "); a later mark earns nothing")


SERIES_NAMES = ("series.min", "series.max", "series.count")
"""What a formula reads of a component's ``series`` (not event attributes)."""


class Series(Model):
    """Periodic events inside the outcome period of ``lasts``: from the start
    (the trigger's date) to the mark, the mark itself excluded (a fortnight
    starting on the mark belongs to the next period).  Each event of type
    ``on`` of the same client (from its provider, or from the buyer) is dated
    by ``date`` and gives the number ``value``.  The entry is held when one of
    them is below ``at_least``; formulas read ``series.min``, ``series.max`` and
    ``series.count``; a period without such events has min and max
    ``when_none`` (missing when not given)."""

    on: str = Field(pattern=EVENT_TYPE_PATTERN)
    value: str = Field(description="the numeric attribute each event gives")
    date: str = Field(default="occurred_on", description="the date attribute that places "
                      "each event in the period (occurred_on by default)")
    at_least: Dec | None = Field(default=None, description="held when a value is below it")
    when_none: Dec | None = Field(default=None, description="min and max of a period "
                                  "without such events")


class InWork(Model):
    """Cumulative employment: ``days`` days in work within ``within`` of the
    trigger's date, across spells and gaps.  A spell runs from a ``started_by``
    event to the first ``ended_by`` event of the same ``match_on`` (by the same
    client when the start has none), the end day not in work; a spell with no
    end yet runs on.  Days in two spells at once count once.  Earned the day
    after the ``days``-th day in work; pending while the spells that run on
    would reach it later; held when the period cannot reach it."""

    days: int = Field(ge=1, le=18_262, description="the days in work needed")
    within: Timed = Field(description="the period, from the trigger's date, in which they "
                          "count: {days: 456}, {weeks: 65}, {months: 15}")
    started_by: str = Field(default="employment_started", pattern=EVENT_TYPE_PATTERN)
    ended_by: str = Field(default="employment_ended", pattern=EVENT_TYPE_PATTERN)
    match_on: str = "employment_id"


class Repeat(Model):
    """After the mark of ``lasts``, one more payment every ``every``, up to ``times``
    (a number, or a table by a client attribute), while the employment lasts: the
    k-th is due on mark + k·every and earned then unless the employment ended
    before that day.  Each is its own entry (``seq`` k, once-per key ``KEY|k``)."""

    every: Every
    times: int | CountTable = Field(description="at most this many payments")

    @field_validator("times")
    @classmethod
    def _times(cls, v: int | CountTable) -> int | CountTable:
        counts = v.table.values() if isinstance(v, CountTable) else (v,)
        if not all(1 <= n <= 1000 for n in counts):
            raise ValueError("whole numbers of times from 1 to 1000, got "
                             + ", ".join(str(n) for n in counts))
        return v


class Evidence(Model):
    """Proof is required: ``attribute`` on the event, or a later ``provided_by``
    event whose ``for_event`` names it (then earned on the proof's date)."""

    attribute: str = "evidence_ref"
    provided_by: str = "evidence_provided"


class Requires(Model):
    """A prerequisite event of the same provider (and client) on or before the trigger."""

    on: str
    where: Where = Field(default_factory=dict)


class Accumulate(Model):
    """Earn when the running sum of ``sum`` over qualifying events reaches ``at_least``."""

    sum: str
    at_least: Dec


class Provisional(Model):
    """A probable outcome pays ``amount`` now; the realised one later pays the rest."""

    on: str
    where: Where = Field(default_factory=dict)
    amount: Cents


class Deadline(Timed):
    """A duration after the client's ``anchor`` date."""

    anchor: str = Field(default="enrolled", description=ANCHOR_DESCRIPTION)


class Missing(Model):
    """Policy when the data the fee needs never arrives (e.g. no survey answer).

    Until the deadline the fee is pending.  A ``declined_by`` event on or before
    the deadline, or the deadline passing with nothing, pays ``pays``: euros,
    or a percentage of the component's base amount.
    """

    deadline: Deadline
    declined_by: str | None = None
    pays: Pays


class Schedule(Model):
    """Instalment dates: explicit ``dates``, or a dateutil rrule recurrence from
    ``start`` by ``freq`` and ``interval`` or, the same thing as a duration, by
    ``every`` (``every: {weeks: 4}`` is ``freq: weekly, interval: 4``)."""

    dates: tuple[dt.date, ...] | None = None
    freq: Literal["yearly", "monthly", "weekly", "daily"] | None = None
    every: Every | None = None
    start: dt.date | None = None
    interval: int = Field(default=1, ge=1, le=120)
    count: int | None = Field(default=None, ge=1, le=1000)
    until: dt.date | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Schedule:
        forms = [f for f, v in (("dates", self.dates), ("freq", self.freq),
                                ("every", self.every)) if v is not None]
        if len(forms) != 1:
            raise ValueError("one of dates: [...], freq or every (with start and count or "
                             "until), got " + (" and ".join(forms) if forms else "none"))
        # interval 1 is what every: implies (and what a stored scheme says back)
        if self.every is not None and self.interval != 1:
            raise ValueError("every without interval (every: {weeks: 4} says both), got "
                             f"interval {self.interval}")
        bounded = self.count is not None or self.until is not None
        if self.dates is None and (self.start is None or not bounded):
            raise ValueError("start and count or until for a recurrence, got "
                             f"start={self.start}, count={self.count}, until={self.until}")
        return self


class Metric(Model):
    """A named aggregate of a client's events for a checkpoint condition.

    Exactly one of ``latest`` (the attribute of the last event), ``count``
    or ``sum`` (of an attribute).  Events are those of type ``on`` with
    ``where``; ``since`` is exclusive ("after"), ``until`` inclusive ("on or
    before"); each is ``anchor`` or ``checkpoint``.
    """

    on: str
    where: Where = Field(default_factory=dict)
    latest: str | None = None
    count: bool = False
    sum: str | None = None
    since: Literal["anchor", "checkpoint"] | None = None
    until: Literal["anchor", "checkpoint"] | None = None

    @model_validator(mode="after")
    def _one_aggregate(self) -> Metric:
        if sum(x for x in (self.latest is not None, self.count, self.sum is not None)) != 1:
            raise ValueError("exactly one of latest: ATTRIBUTE, count: true or sum: ATTRIBUTE, "
                             "got " + ("none" if not any((self.latest, self.count, self.sum))
                                       else "several"))
        return self


# --------------------------------------------------------------------------- components


class ComponentBase(Model):
    id: str = Field(pattern=SLUG, description="the component id, shown in the ledger")
    title: str | None = None
    defined_by: Literal["buyer", "provider"] = "buyer"
    influence: Literal["high", "medium", "low"] | None = Field(
        default=None, description="how much the provider can influence the criterion")
    max_amount: Cents | None = Field(
        default=None, description="no single entry may exceed this; a static amount above it "
        "makes the scheme invalid")
    requires_earned: tuple[str, ...] = Field(
        default=(), description="components of the same version that must have been earned "
        "for the same client (for a contract-level entry: the same provider) first; the entry "
        "is earned when the last of them is, and held while one is not")


class EventFee(ComponentBase):
    """A fee earned on events of a type (the most common component)."""

    kind: Literal["event"] = "event"
    on: str | tuple[str, ...]
    where: Where = Field(default_factory=dict)
    once_per: Literal["event", "client", "provider"] | tuple[str, ...] = "event"
    amount: Amount
    eligible: str | None = Field(default=None, description="expression over client.* attributes")
    requires: Requires | None = None
    window: Window | None = None
    accumulate: Accumulate | None = None
    evidence: Evidence | None = None
    lasts: Lasts | None = None
    series: Series | None = Field(default=None, description="periodic events inside the "
                                  "outcome period of lasts (income support assessments)")
    in_work: InWork | None = Field(default=None, description="cumulative days in work "
                                   "within a period of the trigger, across spells and gaps")
    repeat: Repeat | None = None
    provisional: Provisional | None = None
    missing: Missing | None = None

    @property
    def types(self) -> tuple[str, ...]:
        return (self.on,) if isinstance(self.on, str) else self.on

    @property
    def once_keys(self) -> tuple[str, ...]:
        if self.once_per == "event":
            return ()
        return (self.once_per,) if isinstance(self.once_per, str) else self.once_per

    @field_validator("eligible")
    @classmethod
    def _parses(cls, v: str | None) -> str | None:
        return None if v is None else _expression(v)

    @model_validator(mode="after")
    def _combinations(self) -> EventFee:
        if self.provisional is not None and not self.once_keys:
            raise ValueError("once_per with provisional (the top-up is per client or key), "
                             "got once_per: event")
        if self.missing is not None and "client" not in self.once_keys:
            raise ValueError(f"once_per: client with a missing-data policy, got once_per: "
                             f"{self.once_per}")
        if self.repeat is not None and (self.lasts is None or self.once_keys != ("client",)):
            raise ValueError("lasts and once_per: client with repeat (it repeats while the "
                             "employment lasts), got " + ("no lasts" if self.lasts is None
                                                          else f"once_per: {self.once_per}"))
        if self.repeat is not None and self.provisional is not None:
            # the probable payment would stand beside every repeated one, topped up by none
            raise ValueError("no provisional with repeat (which of the repeated payments would "
                             "the probable one be part of?), got both")
        if self.series is not None and (self.lasts is None or self.repeat is not None):
            raise ValueError("lasts without repeat with series (the period runs from the start "
                             "to the mark), got " + ("no lasts" if self.lasts is None
                                                     else "repeat"))
        if self.in_work is not None and (self.lasts is not None or not self.once_keys):
            raise ValueError("once_per and no lasts with in_work (the days in work are the "
                             "duration), got " + ("lasts" if self.lasts is not None
                                                  else "once_per: event"))
        if self.accumulate is not None and not self.once_keys:
            raise ValueError("once_per with accumulate (whose running sum?), got once_per: event")
        return self


class ProRata(Model):
    """Instalments paid in arrears for the service between two contract dates: each
    pays for the step before its date (date - every to the day before), the amount
    times the days of that step inside the service over the days of the step."""

    start: str = Field(pattern=r"^contract\.", description="contract.NAME: the first day")
    end: str = Field(pattern=r"^contract\.", description="contract.NAME: the last day")


class ScheduleFee(ComponentBase):
    """A fixed amount on each date of a schedule, paid to each listed provider
    (contract level): instalments of a fixed fee, or yearly grants; ``pro_rata``
    pays part steps in part."""

    kind: Literal["schedule"]
    provider: str | tuple[str, ...] = Field(description="the provider paid, or a list of them")
    amount: Cents | ShareOf
    schedule: Schedule
    pro_rata: ProRata | None = None

    @model_validator(mode="after")
    def _pro_rata_steps(self) -> ScheduleFee:
        if self.pro_rata is not None and self.schedule.every is None:
            raise ValueError("a schedule with every: (the step each instalment pays for) "
                             "with pro_rata, got " + ("dates" if self.schedule.dates else "freq"))
        return self

    @property
    def providers(self) -> tuple[str, ...]:
        return (self.provider,) if isinstance(self.provider, str) else self.provider


class CheckpointFee(ComponentBase, Timed):
    """A per-client fee decided at a checkpoint (anchor + a duration) by a condition
    over named metrics — the form for provider-defined "black box" criteria."""

    kind: Literal["checkpoint"]
    anchor: str = Field(default="enrolled", description=ANCHOR_DESCRIPTION)
    metrics: dict[str, Metric] = Field(default_factory=dict)
    condition: str
    amount: Cents | ShareOf | Table

    @field_validator("condition")
    @classmethod
    def _parses(cls, v: str) -> str:
        return _expression(v)

    @field_validator("metrics")
    @classmethod
    def _names(cls, v: dict[str, Metric]) -> dict[str, Metric]:
        for name in v:
            if not re.match(r"^[a-z_][a-z0-9_]*$", name):
                raise ValueError(f"a metric name like baseline_revenue, got {name!r}")
        return v


Component = Annotated[EventFee | ScheduleFee | CheckpointFee, Field(discriminator="kind")]


def _default_kind(value: Any) -> Any:
    if isinstance(value, dict) and "kind" not in value:
        return {**value, "kind": "event"}
    return value


# --------------------------------------------------------------------------- caps & versions


class Cap(Model):
    """At most ``amount`` per ``per`` over ``components`` (all when omitted).

    Entries consume a cap in earning order; the entry that crosses it is cut to
    what is left and later ones to 0.00, each keeping ``capped_from``.  Caps
    apply in the order declared, each to the amounts left by the ones before.
    A cap per client may take its amount from a table by a client attribute
    (``amount: {by: client.round, table: {"1": 8200.00, "2": 11700.00}}``).
    With ``each: year`` (or ``month``) the limit holds anew in each calendar
    year (month) of the entries' ``earned_on``.
    """

    id: str = Field(pattern=SLUG)
    per: Literal["client", "provider", "contract"]
    components: tuple[str, ...] | None = None
    amount: Cents | Table
    each: Literal["year", "month"] | None = Field(
        default=None, description="the limit anew each calendar year or month of earned_on "
        "(a yearly budget); without it, once over the whole scheme")

    @model_validator(mode="after")
    def _table_per_client(self) -> Cap:
        if isinstance(self.amount, Table) and (
                self.per != "client" or not self.amount.by.startswith("client.")):
            raise ValueError("a table by client.ATTRIBUTE only in a cap per client, got per: "
                             f"{self.per}, by: {self.amount.by}")
        return self

    @property
    def highest(self) -> int:
        """The largest limit the cap can have, in cents."""
        amount = self.amount
        return amount if isinstance(amount, int) else max(amount.table.values(), default=0)


class Tier(Model):
    """Volume pricing: the entries of ``components`` are numbered per provider (and
    per cohort: the whole years from a contract date to the client's enrolment) in
    earning order, counting only entries earned by the evaluation date; from the
    ``from_number``-th on each pays ``amount`` instead.  An outcome's number never
    changes with outcomes later in earning order."""

    id: str = Field(pattern=SLUG)
    components: tuple[str, ...] = Field(min_length=1)
    per: Literal["provider"] = "provider"
    cohort_years_from: str | None = Field(
        default=None, pattern=r"^contract\.", description="contract.NAME: the cohort of a "
        "client is the whole years from this date to its enrolment (year 1 is 0)")
    from_number: int = Field(ge=1, le=1_000_000)
    amount: Cents


class OneOf(Model):
    """At most one of ``components`` per client: the one whose condition becomes
    true first (earliest ``earned_on``, then the triggering event's order) pays; the
    others are held.  Each must be ``once_per: client``."""

    id: str = Field(pattern=SLUG)
    components: tuple[str, ...] = Field(min_length=2)


class Price(Model):
    """A price split into percentage shares by component id (e.g. 50/25/25).

    The shares are allocated so that they always sum exactly to the price.
    """

    amount: Cents
    shares: dict[str, Percent]

    @model_validator(mode="after")
    def _hundred(self) -> Price:
        total = sum(self.shares.values(), Decimal(0))
        if total != 1:
            raise ValueError(f"shares summing to 100%, got {percent_text(total)}")
        return self


class Version(Model):
    version: str = Field(min_length=1)
    valid_from: dt.date
    amends: str | None = Field(
        default=None, description="an earlier version this one states only the changes to: "
        "fields not given are that version's, items with an id are merged by id")
    remove: tuple[str, ...] = Field(
        default=(), description="with amends: ids of inherited components, caps, tiers or "
        "groups that this version drops")
    amended_from: str | None = Field(
        default=None, description="the version this one was written out from (its amends), "
        "kept for the record")
    prices: dict[str, Price] = Field(default_factory=dict)
    components: tuple[Annotated[Component, BeforeValidator(_default_kind)], ...] = Field(
        min_length=1, max_length=MAX_COMPONENTS)
    caps: tuple[Cap, ...] = Field(default=(), max_length=MAX_COMPONENTS)
    tiers: tuple[Tier, ...] = Field(default=(), max_length=MAX_COMPONENTS,
                                    description="volume prices by an outcome's number")
    at_most_one: tuple[OneOf, ...] = Field(
        default=(), max_length=MAX_COMPONENTS,
        description="groups of components of which at most one pays per client")

    @model_validator(mode="after")
    def _remove_amends(self) -> Version:
        # an amending version is written out before this (kasvufee.scheme.amend)
        if self.remove:
            raise ValueError("remove only in a version that amends another (amends: VERSION), "
                             f"got remove: {list(self.remove)} without amends")
        return self


class Rating(Model):
    """A provider's star rating (reporting, not money): the mean of its clients'
    scores, each client's score the mean of the answers of its first ``on``
    event, shown with the number of clients who answered."""

    on: str = "survey_answered"
    answers: str = "answers"
    scale: Scale | None = Field(default=None, description="answers outside it are not "
                                "counted in the rating")


class Assurance(Model):
    """How a draw's failures are recovered (``kasvufee.assurance``): the failed
    entries themselves are always reversed; ``recovery`` says whether the
    failures are also extrapolated to the unsampled entries, and on which basis."""

    recovery: Literal["lower", "point", "none"] = Field(
        default="lower", description="lower: recover the 95 % interval's lower bound of what "
        "the unsampled entries owe (the default, the benefit of the doubt to the provider); "
        "point: the point estimate; none: no extrapolated recovery")


class Suppression(Model):
    """A lint finding the buyer has weighed and accepts, with the written reason:
    still shown by ``kasvufee lint`` (marked suppressed, with the reason), never
    silent, and no longer an error."""

    code: str = Field(description="the check's code, e.g. KF104",
                      json_schema_extra={"pattern": "^KF[0-9]{3}$"})
    component: str | None = Field(default=None, description="the component it concerns; "
                                  "none: the whole scheme or every component")
    reason: str = Field(min_length=1, description="why the finding is accepted")

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not re.fullmatch(r"KF[0-9]{3}", v):
            raise ValueError(f"a lint code like KF104, got {v!r}")
        return v

    @field_validator("reason")
    @classmethod
    def _written(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a written reason, got only spaces")
        return v.strip()


class LintSettings(Model):
    """What ``kasvufee lint`` is told about this scheme."""

    suppress: tuple[Suppression, ...] = Field(
        default=(), description="findings accepted with a written reason")


class Trust(Model):
    """Whose events count for whom.  The defaults keep one provider from
    changing another's fees; a scheme relaxes them only by saying so."""

    voids: Literal["own", "any"] = Field(
        default="own", description="own: a void counts only from the voided event's own "
        "provider or from the buyer (buyer_id); any: from every provider")
    clients: Literal["own", "enrolled", "any"] = Field(
        default="own", description="own: an event for a client enrolled with another "
        "provider, and not with the event's own, earns nothing (held); enrolled: an event "
        "earns only for a client enrolled with its provider; any: no check")
    buyer_id: str | None = Field(
        default=None, description="the provider_id the buyer's own events (its corrections) "
        "carry; none: only a provider voids its own events")


class Scheme(Model):
    """A payment scheme: an id, descriptive fields and dated versions."""

    scheme: str = Field(pattern=SLUG, description="the scheme id, shown in the ledger")
    title: str
    buyer: str | None = None
    source: str | None = Field(default=None, description="where the rules come from")
    attributes: dict[str, AttributeTypeName] = Field(
        default_factory=dict, description="types of event attributes beyond the core vocabulary")
    event_types: tuple[Annotated[str, Field(pattern=EVENT_TYPE_PATTERN)], ...] = Field(
        default=(), description="event types beyond the core vocabulary that the scheme's "
        "events carry (the buyer's own); validate and lint warn on any other type")
    versions: tuple[Version, ...] = Field(min_length=1, max_length=MAX_VERSIONS)
    rating: Rating | None = Field(
        default=None, description="a provider star rating shown on statements (voucher schemes)")
    trust: Trust = Field(default_factory=Trust,
                         description="whose voids and events count for whom")
    currency: str = Field(
        default="EUR", description="the ISO 4217 code of every amount in the scheme, the ledger "
        "and the statements: EUR (the default), GBP, AUD, ...",
        json_schema_extra={"pattern": "^[A-Z]{3}$"})
    contract: dict[str, dt.date] = Field(
        default_factory=dict, description="dates of the contract by name (start, end, "
        "delivery_end, ...), read as contract.NAME by anchors and until")
    assurance: Assurance = Field(default_factory=Assurance,
                                 description="how a validation sample's failures are recovered")
    lint: LintSettings = Field(default_factory=LintSettings,
                               description="lint findings accepted with a written reason")

    @field_validator("versions", mode="before")
    @classmethod
    def _amendments(cls, value: Any) -> Any:
        from kasvufee.scheme.amend import resolve_amendments

        return resolve_amendments(value)

    @field_validator("currency")
    @classmethod
    def _iso_code(cls, v: str) -> str:
        from babel.numbers import is_currency

        if not re.fullmatch(r"[A-Z]{3}", v) or not is_currency(v):
            raise ValueError(f"an ISO 4217 currency code like EUR, GBP or AUD, got {v!r}")
        return v

    @property
    def money(self) -> Currency:
        """The scheme's currency, for writing amounts."""
        return Currency(self.currency)

    @field_validator("contract")
    @classmethod
    def _date_names(cls, v: dict[str, dt.date]) -> dict[str, dt.date]:
        for name in v:
            if not re.match(r"^[a-z_][a-z0-9_]*$", name):
                raise ValueError(f"a date name like delivery_end, got {name!r}")
        return v

    @model_validator(mode="after")
    def _ordered(self) -> Scheme:
        dates = [v.valid_from for v in self.versions]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("versions in increasing order of valid_from, each date once, got "
                             + ", ".join(str(d) for d in dates))
        names = [v.version for v in self.versions]
        if len(set(names)) != len(names):
            raise ValueError("unique version names, got " + ", ".join(names))
        return self

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Scheme:
        """References and expressions; the file loader runs these itself to
        report each with its line, so it passes ``context={"located": True}``."""
        if (info.context or {}).get("located"):
            return self
        from kasvufee.scheme.check import check_scheme

        findings = check_scheme(self)
        if findings:
            raise ValueError("; ".join(f"{'.'.join(map(str, loc))}: {expected}, got {found}"
                                       for loc, expected, found in findings))
        return self
