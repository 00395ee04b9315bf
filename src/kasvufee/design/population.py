"""Populations: a client mix in YAML, and a seeded generator of its events.

A population file describes the clients a scheme will meet: how many, when
they enrol, in which groups (with their attributes), and per group the
chances and timing of what happens to them — placements and how long the
jobs last, training referrals, survey answers, recruitments, revenue growth
and any other event of the core vocabulary.  ``generate(pop, seed, runs)``
turns it into the canonical events table (``kasvufee.read_events``' table),
vectorised with numpy: one draw per column, never a Python object per row.

Example (``examples/populations/southwest-finland.yaml`` is a full one)::

    population: southwest-finland
    clients: 600
    start: 2018-01-01          # enrolments spread uniformly over `months`
    months: 12
    follow_up_months: 24       # simulate evaluates as of start + months + this
    providers:
      - {id: VS-1, share: 0.6}
      - {id: VS-2, share: 0.4}
    contract_milestones: [contract_started]   # milestone_reached per provider on start
    groups:
      - id: high
        share: 0.3
        attributes: {risk_class: high, education: {basic: 0.6, vocational: 0.4}}
        placement:
          probability: 0.3
          after: {uniform: [1, 12]}            # months after enrolment
          ends: {before_months: 3, probability: 0.35}
        training: {probability: 0.2, after: {uniform: [0, 3]}}
        survey: {probability: 0.6, declined: 0.5, answers: {1: 0.1, 2: 0.2, 3: 0.4, 4: 0.3}}
        recruitment: {probability: 0.1, fte_years: [0.25, 0.5, 1.0]}
        revenue: {baseline: 400000, growth_mean: 0.05, growth_sd: 0.1}
        events: [{type: guidance_completed, probability: 0.9}]

**Timing.**  ``after`` is a number of months after enrolment: ``{uniform:
[a, b]}`` (continuous between a and b) or ``{geometric: p, max: m}`` (month
k = 1, 2, … with probability p(1-p)^(k-1), at most m, and a uniform point
within the month).  Months are turned into days as 30.4375 days a month: a
simulation needs a spread, not calendar arithmetic.  A job that ends
(``ends``) ends a uniform number of days in [1, 28·N - 1] after its start,
so always before start + N calendar months.

**What a run is.**  Each run is an independent population drawn with the
generator ``numpy.random.default_rng([seed, run])``, so run r is the same
whatever the number of runs (common random numbers across schemes and
sweeps).  Ids carry the run: client ``r3-c000012``, event ``r3-c000012-ps``;
provider ids are the population's (``simulate`` makes them run-specific
itself).  The table has an integer ``run`` column and a ``group`` attribute
on ``enrolled`` events.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Final

import numpy as np
import polars as pl
from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kasvufee.errors import InputError, UsageError
from kasvufee.events.types import ATTRIBUTE_DTYPES, ATTRIBUTE_TYPES, CORE_SCHEMA, AttributeType
from kasvufee.scheme.load import located, parse_yaml_model, read_text_file

__all__ = [
    "DAYS_PER_MONTH",
    "EventProcess",
    "Group",
    "Placement",
    "Population",
    "PopulationError",
    "Provider",
    "generate",
    "load_population",
    "parse_population",
    "population_attribute_types",
]

DAYS_PER_MONTH: Final = 30.4375
SLUG = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"

Probability = Annotated[float, Field(ge=0, le=1)]
Scalar = str | int | bool
AttributeValue = Scalar | dict[Scalar, Probability]


class PopulationError(InputError):
    """A population file is invalid; every problem with its line."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Timing(_Model):
    """Months after enrolment: ``uniform: [a, b]`` or ``geometric: p`` (with ``max``)."""

    uniform: tuple[float, float] | None = None
    geometric: float | None = Field(default=None, gt=0, le=1)
    max: int = Field(default=24, ge=1, le=600)

    @model_validator(mode="after")
    def _one(self) -> Timing:
        if (self.uniform is None) == (self.geometric is None):
            raise ValueError("exactly one of uniform: [a, b] or geometric: p, got "
                             + ("both" if self.uniform is not None else "neither"))
        if self.uniform is not None and not 0 <= self.uniform[0] <= self.uniform[1] <= 600:
            raise ValueError(f"uniform: [a, b] with 0 <= a <= b <= 600, got {list(self.uniform)}")
        return self

    def days(self, rng: np.random.Generator, n: int) -> np.ndarray[Any, np.dtype[np.int64]]:
        """``n`` offsets in days, drawn from this timing."""
        if self.uniform is not None:
            months = rng.uniform(self.uniform[0], self.uniform[1], n)
        else:
            k = np.minimum(rng.geometric(self.geometric or 1.0, n), self.max)
            months = k - rng.uniform(0.0, 1.0, n)
        return np.floor(months * DAYS_PER_MONTH).astype(np.int64)


def _soon() -> Timing:
    return Timing(uniform=(0.0, 1.0))


class Ends(_Model):
    """The job ends before ``before_months`` months with ``probability``."""

    before_months: int = Field(ge=1, le=120)
    probability: Probability


class Placement(_Model):
    """``employment_started`` (and sometimes ``employment_ended``) for a share of clients."""

    probability: Probability
    after: Timing = Field(default_factory=lambda: Timing(uniform=(1.0, 12.0)))
    ends: Ends | None = None
    fte: Decimal = Decimal("1")
    employer_kind: str | None = None
    evidence: Probability = 1.0


class Training(_Model):
    """``training_referred`` with a ``training`` attribute."""

    probability: Probability
    after: Timing = Field(default_factory=_soon)
    training: str = "recruitment_training"


class Survey(_Model):
    """``survey_answered`` (``items`` answers drawn from ``answers``) or, for a share
    ``declined`` of those who do not answer, ``survey_declined``."""

    probability: Probability
    declined: Probability = 0.0
    after: Timing = Field(default_factory=lambda: Timing(uniform=(0.5, 2.0)))
    items: int = Field(default=5, ge=1, le=50)
    answers: dict[int, Probability] = Field(min_length=1)

    @model_validator(mode="after")
    def _sums(self) -> Survey:
        _check_sum(self.answers.values(), "answers")
        return self


class Recruitment(_Model):
    """``recruitment_made`` with ``fte_years`` drawn uniformly from the choices."""

    probability: Probability
    after: Timing = Field(default_factory=lambda: Timing(uniform=(0.0, 3.0)))
    fte_years: tuple[Decimal, ...] = Field(default=(Decimal("1"),), min_length=1)


class Revenue(_Model):
    """``metric_observed`` ``revenue``: ``baseline`` euros on the enrolment day and
    ``baseline * (1 + g)``, g ~ Normal(growth_mean, growth_sd), 28 days times
    ``after_months`` later (so on or before a checkpoint ``after_months`` after enrolment)."""

    baseline: int = Field(ge=0)
    growth_mean: float = 0.0
    growth_sd: float = Field(default=0.0, ge=0)
    after_months: int = Field(default=12, ge=1, le=120)


class EventProcess(_Model):
    """Any other event of a client: ``type`` with ``probability``, ``after``, ``attributes``."""

    type: str = Field(min_length=1)
    probability: Probability
    after: Timing = Field(default_factory=_soon)
    attributes: dict[str, str] = Field(default_factory=dict)


class Group(_Model):
    """A group of clients: its share, the attributes of its ``enrolled`` events and
    what happens to its clients."""

    id: str = Field(pattern=SLUG)
    share: Probability
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    placement: Placement | None = None
    training: Training | None = None
    survey: Survey | None = None
    recruitment: Recruitment | None = None
    revenue: Revenue | None = None
    events: tuple[EventProcess, ...] = ()


class Provider(_Model):
    id: str = Field(pattern=SLUG)
    share: Probability


class Population(_Model):
    """A population file: the client mix and its outcome processes."""

    population: str = Field(pattern=SLUG)
    title: str | None = None
    clients: int = Field(ge=1, le=10_000_000)
    start: dt.date
    months: int = Field(default=12, ge=1, le=120)
    follow_up_months: int = Field(default=24, ge=0, le=240)
    region: str | None = None
    providers: tuple[Provider, ...] = Field(min_length=1)
    contract_milestones: tuple[str, ...] = ()
    groups: tuple[Group, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _shares(self) -> Population:
        _check_sum((g.share for g in self.groups), "group shares")
        _check_sum((p.share for p in self.providers), "provider shares")
        for what, ids in (("group", [g.id for g in self.groups]),
                          ("provider", [p.id for p in self.providers])):
            if len(set(ids)) != len(ids):
                raise ValueError(f"unique {what} ids, got {', '.join(ids)}")
        return self

    @property
    def as_of(self) -> dt.date:
        """The end of the follow-up: the default evaluation date of a simulation."""
        return self.start + relativedelta(months=self.months + self.follow_up_months)


def _check_sum(values: Any, what: str) -> None:
    total = sum(values)
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} summing to 1, got {total:g}")


def load_population(path: str | os.PathLike[str]) -> Population:
    """Read and validate a population file; ``PopulationError`` lists every problem."""
    return parse_population(read_text_file(path, "population", PopulationError),
                            source=str(path))


def parse_population(text: str, *, source: str = "<population>") -> Population:
    """Validate population YAML given as text."""
    pop, node = parse_yaml_model(text, Population, source=source, error=PopulationError,
                                 top="population, clients, start, providers and groups")
    findings: list[tuple[tuple[str | int, ...], str, str]] = []
    for i, g in enumerate(pop.groups):
        for name, value in g.attributes.items():
            if name in CORE_SCHEMA or name in ("group", "run"):
                findings.append((("groups", i, "attributes", name),
                                 "an attribute name other than a core column, group or run",
                                 repr(name)))
            elif isinstance(value, dict):
                total = sum(value.values())
                if abs(total - 1.0) > 1e-6:
                    findings.append((("groups", i, "attributes", name),
                                     "value probabilities summing to 1", f"{total:g}"))
    if findings:
        raise PopulationError(located(findings, node, source))
    return pop


# ---------------------------------------------------------------------------
# the generator

_FIXED_ATTRIBUTES: Final[tuple[str, ...]] = (
    "group", "client_kind", "region", "employment_id", "fte", "employer_kind", "evidence_ref",
    "training", "answers", "fte_years", "metric", "value", "milestone")


def population_attribute_types(pop: Population) -> dict[str, AttributeType]:
    """The attribute columns ``generate`` writes, in order, with their types
    (the built-in types of ``kasvufee.events.ATTRIBUTE_TYPES``; others are strings)."""
    names: list[str] = []
    for g in pop.groups:
        names += [n for n in g.attributes if n not in names]
        for e in g.events:
            names += [n for n in e.attributes if n not in names]
    names += [n for n in _FIXED_ATTRIBUTES if n not in names]
    types: dict[str, AttributeType] = {n: ATTRIBUTE_TYPES.get(n, "string") for n in names}
    types["run"] = "integer"
    return types


def generate(pop: Population, seed: int, runs: int = 1, first: int = 1) -> pl.DataFrame:
    """The events of ``runs`` independent draws of ``pop`` (runs ``first`` to
    ``first + runs - 1``), as one canonical table.

    The same ``pop``, ``seed`` and ``runs`` always give an identical table; run r
    is the same whatever ``runs`` and ``first`` are, so a sweep can be cut into
    batches of runs.  Rows are sorted by run, ``occurred_on`` and ``event_id``;
    ``line`` numbers them from 1.
    """
    if runs < 1 or first < 1:
        raise UsageError(f"runs: expected at least 1 from run 1 on, got {runs} from {first}")
    types = population_attribute_types(pop)
    parts = [_one_run(pop, seed, r, types) for r in range(first, first + runs)]
    frame = pl.concat(parts, how="diagonal_relaxed")
    frame = frame.sort(["run", "occurred_on", "event_id"])
    schema = {**CORE_SCHEMA, **{n: ATTRIBUTE_DTYPES[t] for n, t in types.items()}}
    cols = []
    for name, dtype in schema.items():
        if name == "line":
            cols.append(pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias("line"))
        elif name == "recorded_at":
            cols.append(pl.col("occurred_on").cast(pl.Datetime("us")).alias("recorded_at"))
        elif name in frame.columns:
            cols.append(pl.col(name).cast(dtype))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(cols)


def _one_run(pop: Population, seed: int, run: int,
             types: Mapping[str, AttributeType]) -> pl.DataFrame:
    rng = np.random.default_rng([seed, run])
    n = pop.clients
    prefix = f"r{run}-"
    group_no = rng.choice(len(pop.groups), size=n, p=_probs([g.share for g in pop.groups]))
    provider_no = rng.choice(len(pop.providers), size=n,
                             p=_probs([p.share for p in pop.providers]))
    span = max(1, (pop.start + relativedelta(months=pop.months) - pop.start).days)
    enrol_day = rng.integers(0, span, size=n)  # days after start

    client = pl.Series("client_id", np.arange(1, n + 1)).cast(pl.String).str.zfill(6)
    client_ids = (prefix + "c" + client).to_numpy()
    providers = np.array([p.id for p in pop.providers], dtype=object)
    start = np.datetime64(pop.start, "D")
    base = {"client_id": client_ids, "provider_id": providers[provider_no]}

    frames: list[pl.DataFrame] = []

    def emit(kind: str, code: str, mask: np.ndarray[Any, Any],
             days: np.ndarray[Any, Any], **attrs: Any) -> None:
        if not mask.any():
            return
        cid = base["client_id"][mask]
        data: dict[str, Any] = {
            "event_id": pl.Series(cid, dtype=pl.String) + f"-{code}",
            "type": pl.repeat(kind, int(mask.sum()), eager=True, dtype=pl.String),
            "provider_id": pl.Series(base["provider_id"][mask], dtype=pl.String),
            "client_id": pl.Series(cid, dtype=pl.String),
            "occurred_on": pl.Series(start + days[mask].astype("timedelta64[D]")),
        }
        for name, value in attrs.items():
            if isinstance(value, pl.Series):
                data[name] = value.filter(pl.Series(mask))
            elif isinstance(value, np.ndarray):
                data[name] = value[mask]
            else:
                data[name] = value
        frames.append(pl.DataFrame(data))

    everyone = np.ones(n, dtype=bool)
    # enrolments, with the group's attributes
    enrol_attrs: dict[str, Any] = {
        "group": pl.Series(np.array([g.id for g in pop.groups], dtype=object)[group_no],
                           dtype=pl.String)}
    if pop.region is not None:
        enrol_attrs["region"] = pop.region
    for name in _enrolment_attributes(pop):
        enrol_attrs[name] = _attribute_column(pop, name, group_no, rng, types)
    if "client_kind" not in enrol_attrs:
        enrol_attrs["client_kind"] = "person"
    emit("enrolled", "en", everyone, enrol_day, **enrol_attrs)

    for gi, g in enumerate(pop.groups):
        in_group = group_no == gi
        m = int(in_group.sum())
        if m == 0:
            continue

        def draw(p: float, g_mask: np.ndarray[Any, Any] = in_group, size: int = m
                 ) -> np.ndarray[Any, Any]:
            out = np.zeros(n, dtype=bool)
            out[g_mask] = rng.random(size) < p
            return out

        def later(t: Timing, origin: np.ndarray[Any, Any] = enrol_day,
                  in_group: np.ndarray[Any, Any] = in_group, m: int = m) -> np.ndarray[Any, Any]:
            out = origin.copy()
            out[in_group] = origin[in_group] + t.days(rng, m)
            return out

        if g.placement is not None:
            pl_ = g.placement
            placed = draw(pl_.probability)
            started = later(pl_.after)
            emp_id = pl.Series(base["client_id"], dtype=pl.String) + "-1"
            evid = draw(pl_.evidence)
            evidence = pl.DataFrame({"m": evid, "id": "TS-" + emp_id}).select(
                pl.when("m").then("id")).to_series()
            emit("employment_started", "ps", placed, started, employment_id=emp_id,
                 fte=str(pl_.fte), employer_kind=pl_.employer_kind, evidence_ref=evidence)
            if pl_.ends is not None:
                ends = placed & draw(pl_.ends.probability)
                ended = started.copy()
                ended[in_group] += rng.integers(1, 28 * pl_.ends.before_months, size=m)
                emit("employment_ended", "pe", ends, ended, employment_id=emp_id)
        if g.training is not None:
            emit("training_referred", "tr", draw(g.training.probability), later(g.training.after),
                 training=g.training.training)
        if g.survey is not None:
            sv = g.survey
            answered = draw(sv.probability)
            when = later(sv.after)
            scale = np.array(list(sv.answers), dtype=np.int64)
            picks = rng.choice(len(scale), size=(n, sv.items), p=_probs(list(sv.answers.values())))
            answers = pl.Series("answers", scale[picks]).cast(pl.List(pl.Int64))
            emit("survey_answered", "sa", answered, when, answers=answers)
            declined = ~answered & draw(sv.declined)
            emit("survey_declined", "sd", declined & in_group, when)
        if g.recruitment is not None:
            rc = g.recruitment
            choices = pl.Series([str(x) for x in rc.fte_years]).cast(ATTRIBUTE_DTYPES["decimal"])
            pick = rng.integers(0, len(choices), size=n)
            emit("recruitment_made", "rm", draw(rc.probability), later(rc.after),
                 fte_years=choices.gather(pick))
        if g.revenue is not None:
            rv = g.revenue
            growth = rng.normal(rv.growth_mean, rv.growth_sd, size=n)
            after = np.rint(np.maximum(rv.baseline * (1.0 + growth), 0.0)).astype(np.int64)
            emit("metric_observed", "mb", in_group, enrol_day, metric="revenue",
                 value=np.full(n, rv.baseline, dtype=np.int64))
            checkpoint = enrol_day + int(28 * rv.after_months)  # before enrolment + N months
            emit("metric_observed", "mc", in_group, checkpoint, metric="revenue", value=after)
        for k, ev in enumerate(g.events):
            emit(ev.type, f"x{k}", draw(ev.probability), later(ev.after), **ev.attributes)

    for p in pop.providers:
        for k, milestone in enumerate(pop.contract_milestones):
            frames.append(pl.DataFrame({
                "event_id": [f"{prefix}{p.id}-m{k}"], "type": ["milestone_reached"],
                "provider_id": [p.id], "client_id": pl.Series([None], dtype=pl.String),
                "occurred_on": [pop.start], "milestone": [milestone]}))
    frame = pl.concat(frames, how="diagonal_relaxed")
    return frame.with_columns(pl.lit(run, dtype=pl.Int64).alias("run"))


def _probs(values: list[float]) -> np.ndarray[Any, np.dtype[np.float64]]:
    p: np.ndarray[Any, np.dtype[np.float64]] = np.asarray(values, dtype=np.float64)
    out: np.ndarray[Any, np.dtype[np.float64]] = p / p.sum()
    return out


def _enrolment_attributes(pop: Population) -> list[str]:
    names: list[str] = []
    for g in pop.groups:
        names += [n for n in g.attributes if n not in names]
    return names


def _attribute_column(pop: Population, name: str, group_no: np.ndarray[Any, Any],
                      rng: np.random.Generator, types: Mapping[str, AttributeType]
                      ) -> pl.Series:
    """One enrolment attribute for every client: its group's value or a draw from
    its group's distribution; null in groups that do not set it."""
    values = np.full(group_no.shape[0], None, dtype=object)
    for gi, g in enumerate(pop.groups):
        mask = group_no == gi
        spec = g.attributes.get(name)
        if spec is None or not mask.any():
            continue
        if isinstance(spec, dict):
            keys = np.array([_text(k) for k in spec], dtype=object)
            values[mask] = keys[rng.choice(len(keys), size=int(mask.sum()),
                                           p=_probs(list(spec.values())))]
        else:
            values[mask] = _text(spec)
    text = pl.Series(name, values, dtype=pl.String)
    kind = types.get(name, "string")
    if kind == "string":
        return text
    if kind == "boolean":
        return text == "true"
    if kind == "decimal":
        return text.cast(ATTRIBUTE_DTYPES["decimal"])
    return text.cast(ATTRIBUTE_DTYPES[kind])


def _text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
