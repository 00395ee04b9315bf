"""``simulate(scheme, population, runs, seed)``: cost, risk and incentives of a scheme
on simulated client populations, before a tender.

Each run is one population drawn by :func:`kasvufee.design.population.generate`.
A sweep is cut into batches of runs (:func:`sweep`), each generated, priced and
reduced to measures that add up (:func:`measure`), then merged
(:func:`combine`): in this process or on Dask (:mod:`kasvufee.design.batches`),
with the same result either way.  Within a batch, all runs are evaluated in
**one** ``evaluate`` call when the scheme allows it:
the provider ids are made run-specific (``r3|SW-1``; client and event ids
already are), so that per-client and per-provider rules and caps never mix
runs, and the run is read back from the provider id afterwards.  A scheme
with a cap ``per: contract`` or a ``schedule`` component (paid to named
providers on fixed dates, whatever the events) is evaluated run by run.
Both ways give the same entries (``tests/test_simulate.py`` checks it).

What is measured, in integer cents:

* per run: total cost, the fixed and the result-based part (a component is
  fixed when :func:`kasvufee.design.lint.is_fixed` says so), the number of
  **outcomes** (clients with an ``employment_started``, ``recruitment_made``
  or ``company_founded`` on or before ``as_of``: the same count under every
  scheme, so cost per outcome compares schemes), cost per outcome, each
  provider's revenue and the caps that cut an entry (a cap *exhausted*);
* across runs: P5, P50 and P95 by the nearest-rank method (always an amount
  some run really had, so exact to the cent), the share of pay at risk (the
  result-based share of all pay), the probability of exhausting each cap;
* per group of clients, pooled over runs: the mean payout per client, per
  client with an outcome and per client without one, and the **marginal
  fee** — the difference of the last two, what placing a client of that
  group is worth to the provider.  When harder groups have a lower marginal
  fee, the scheme pays for "creaming" the easy clients.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import polars as pl

from kasvufee.design.batches import Dask, Progress, plan_batches, run_batches
from kasvufee.design.lint import is_fixed
from kasvufee.design.population import Population, generate
from kasvufee.engine.evaluate import evaluate
from kasvufee.errors import UsageError
from kasvufee.money import format_cents
from kasvufee.plural import count
from kasvufee.scheme.model import EventFee, ScheduleFee, Scheme
from kasvufee.scheme.prices import effective_caps

__all__ = [
    "OUTCOME_TYPES",
    "PERCENTILES",
    "Partial",
    "SimulationResult",
    "combine",
    "evaluate_runs",
    "format_simulation",
    "measure",
    "nearest_rank",
    "outcome_clients",
    "population_digest",
    "price_batch",
    "run_digests",
    "simulate",
    "sweep",
]

PERCENTILES: tuple[int, ...] = (5, 50, 95)
OUTCOME_TYPES = ("employment_started", "recruitment_made", "company_founded")
"""Events that make a client count as an outcome (scheme-independent)."""

_SEP = "|"


def nearest_rank(values: Sequence[int], q: int) -> int:
    """The q-th percentile (0 < q <= 100) of ``values`` by nearest rank: a value of the
    sample, so cents stay exact."""
    if not values:
        raise UsageError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered) / 100))
    return ordered[rank - 1]


def _mean_cents(total: int, count: int) -> int | None:
    if count == 0:
        return None
    return int((Decimal(total) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _euros(cents: int | None) -> str | None:
    return None if cents is None else format_cents(cents)


def run_digests(events: pl.DataFrame) -> pl.DataFrame:
    """``run, digest``: a SHA-256 of each run's events (content only, not line numbers),
    so that a population's digest does not depend on how a sweep was cut in batches."""
    flat = events.drop("line").with_columns(
        pl.col(c).cast(pl.List(pl.String)).list.join(";")
        for c, t in events.schema.items() if isinstance(t, pl.List))
    rows = [(int(run), hashlib.sha256(part.drop("run").write_csv().encode()).hexdigest())
            for (run,), part in flat.partition_by("run", as_dict=True,
                                                  maintain_order=True).items()]
    return pl.DataFrame(rows, schema={"run": pl.Int64, "digest": pl.String}, orient="row")


def population_digest(digests: pl.DataFrame) -> str:
    """One SHA-256 for a sweep's populations, from the :func:`run_digests` of all runs
    (equal digests: the schemes priced identical populations)."""
    text = "\n".join(digests.sort("run")["digest"].to_list())
    return hashlib.sha256(text.encode()).hexdigest()


def outcome_clients(events: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """``run, client_id, group, outcome``: every enrolled client, its group and whether
    it has an outcome event on or before ``as_of``."""
    enrolled = (events.filter(pl.col("type") == "enrolled")
                .select("run", "client_id", "group").unique(["run", "client_id"]))
    done = (events.filter(pl.col("type").is_in(OUTCOME_TYPES)
                          & (pl.col("occurred_on") <= as_of) & pl.col("client_id").is_not_null())
            .select("run", "client_id").unique().with_columns(pl.lit(True).alias("outcome")))
    return (enrolled.join(done, on=["run", "client_id"], how="left")
            .with_columns(pl.col("outcome").fill_null(False)).sort("run", "client_id"))


def can_combine(scheme: Scheme) -> bool:
    """Whether all runs can be priced in one evaluation (see the module doc)."""
    if any(cap.per == "contract" for cap in effective_caps(scheme)):
        return False
    return not any(isinstance(c, ScheduleFee) for v in scheme.versions for c in v.components)


def _ids_shared_by_runs(scheme: Scheme, events: pl.DataFrame) -> str | None:
    """What some runs share that one evaluation would count once across them, or
    None: a client id, a value of an attribute the scheme keys ``once_per`` on
    or takes as ``evidence`` (an employment, a payslip), or an event id."""
    fees = [c for v in scheme.versions for c in v.components if isinstance(c, EventFee)]
    keyed = {k.removeprefix("client.").removeprefix("event.") for c in fees
             for k in c.once_keys if k not in ("client", "provider")}
    keyed |= {c.evidence.attribute for c in fees if c.evidence is not None}
    for name in ["client_id", *sorted(keyed - {"client_id"})]:
        if name not in events.columns:
            continue
        value = pl.col(name)
        values, in_runs = events.lazy().filter(value.is_not_null()).select(
            value.n_unique(), pl.struct("run", name).n_unique().alias("in_runs")
        ).collect().row(0)
        if in_runs > values:
            return f"{name} values"
    if events.get_column("event_id").n_unique() < events.height:
        return "event ids"
    return None


def evaluate_runs(scheme: Scheme, events: pl.DataFrame, as_of: dt.date, *,
                  combined: bool | None = None) -> pl.DataFrame:
    """The ledger entries of every run, with a ``run`` column: ``run, component,
    provider_id, client_id, earned_on, amount, cap`` (amount in Int64 cents), sorted
    by all columns.

    ``combined`` forces one evaluation for all runs (True) or one per run (False);
    by default one when :func:`can_combine` and the runs share no client id,
    event id, nor a value the scheme keys ``once_per`` on or takes as evidence
    (the generator's ids name their run; other tables may repeat them, and one
    evaluation would then pay a client, or accept a payslip, once across runs).
    Raises ``UsageError`` for ``combined=True`` on such a table.
    """
    keep = ["run", "component", "provider_id", "client_id", "earned_on", "amount", "cap"]
    shared = _ids_shared_by_runs(scheme, events)
    if combined and shared:
        raise UsageError(f"combined: the runs share {shared}, so one evaluation would mix "
                         "them; make the ids name their run, or evaluate run by run")
    if combined is None:
        combined = can_combine(scheme) and not shared
    if combined:
        tagged = events.with_columns(
            pl.format("r{}" + _SEP + "{}", pl.col("run"), pl.col("provider_id"))
            .alias("provider_id"))
        frame = evaluate(scheme, tagged, as_of).frame
        parts = pl.col("provider_id").str.split_exact(_SEP, 1)
        frame = frame.with_columns(
            parts.struct.field("field_0").str.slice(1).cast(pl.Int64).alias("run"),
            pl.col("provider_id").str.splitn(_SEP, 2).struct.field("field_1").alias("provider_id"),
        ).select(keep)
    else:
        frames = [evaluate(scheme, part, as_of).frame
                  .with_columns(pl.lit(run, dtype=pl.Int64).alias("run")).select(keep)
                  for (run,), part in events.partition_by("run", as_dict=True,
                                                          maintain_order=True).items()]
        frame = pl.concat(frames) if frames else pl.DataFrame(schema={
            "run": pl.Int64, "component": pl.String, "provider_id": pl.String,
            "client_id": pl.String, "earned_on": pl.Date, "amount": pl.Int64,
            "cap": pl.String})
    # one canonical order, whichever way (and in whichever batches) the runs were priced
    return frame.sort(keep, nulls_last=True)


@dataclass(frozen=True)
class SimulationResult:
    """What a scheme cost on simulated populations.

    Attributes:
        scheme_id, population_id, seed, runs, as_of: what was simulated.
        clients: clients per run.
        digest: SHA-256 of the generated events (equal digests: equal populations).
        per_run: ``run, total, fixed, result, outcomes, cost_per_outcome`` (cents;
            cost per outcome null when a run has no outcome).
        provider_runs: ``run, provider_id, revenue`` (cents), every provider every run.
        groups: ``group, clients, with_outcome, per_client, per_outcome, per_no_outcome,
            marginal`` (means in cents, pooled over runs).
        cap_runs: for each cap of the scheme, the number of runs in which it cut an entry.
        component_fixed: each component id and whether it is a fixed fee.
        entries: the entries of all runs (see :func:`evaluate_runs`), or None when
            the sweep did not keep them.
    """

    scheme_id: str
    population_id: str
    seed: int
    runs: int
    as_of: dt.date
    clients: int
    digest: str
    per_run: pl.DataFrame
    provider_runs: pl.DataFrame
    groups: pl.DataFrame
    cap_runs: Mapping[str, int]
    component_fixed: Mapping[str, bool]
    entries: pl.DataFrame | None

    def percentiles(self, column: str = "total") -> dict[str, int | None]:
        """P5/P50/P95 of a per-run column in cents (``total``, ``cost_per_outcome`` …)."""
        values = [v for v in self.per_run[column].to_list() if v is not None]
        return {f"p{q}": nearest_rank(values, q) if values else None for q in PERCENTILES}

    def provider_percentiles(self) -> dict[str, dict[str, int]]:
        """Each provider's P5/P50/P95 revenue in cents."""
        out: dict[str, dict[str, int]] = {}
        for (provider,), part in self.provider_runs.partition_by(
                "provider_id", as_dict=True, maintain_order=True).items():
            values = part["revenue"].to_list()
            out[str(provider)] = {f"p{q}": nearest_rank(values, q) for q in PERCENTILES}
        return out

    @property
    def share_at_risk(self) -> Decimal | None:
        """The result-based share of all pay over all runs (0 to 1, four decimals)."""
        total = int(self.per_run["total"].sum())
        if total == 0:
            return None
        return (Decimal(int(self.per_run["result"].sum())) / total).quantize(Decimal("0.0001"))

    def cap_probability(self) -> dict[str, Decimal]:
        """For each cap, the share of runs in which it was exhausted."""
        return {cap: (Decimal(n) / self.runs).quantize(Decimal("0.0001"))
                for cap, n in self.cap_runs.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary, money as euro strings with two decimals."""
        def pct(d: Mapping[str, int | None]) -> dict[str, str | None]:
            return {k: _euros(v) for k, v in d.items()}

        share = self.share_at_risk
        return {
            "scheme": self.scheme_id, "population": self.population_id, "seed": self.seed,
            "runs": self.runs, "clients": self.clients, "as_of": self.as_of.isoformat(),
            "population_digest": self.digest,
            "total_cost": pct(self.percentiles("total")),
            "cost_per_outcome": pct(self.percentiles("cost_per_outcome")),
            "outcomes": {f"p{q}": nearest_rank(self.per_run["outcomes"].to_list(), q)
                         for q in PERCENTILES},
            "provider_revenue": {p: pct(v) for p, v in self.provider_percentiles().items()},
            "share_at_risk": None if share is None else str(share),
            "cap_exhausted": {k: str(v) for k, v in self.cap_probability().items()},
            "components": {k: "fixed" if v else "result"
                           for k, v in self.component_fixed.items()},
            "groups": [
                {"group": r["group"], "clients": r["clients"],
                 "with_outcome": r["with_outcome"],
                 **{k: _euros(r[k]) for k in ("per_client", "per_outcome", "per_no_outcome",
                                              "marginal")}}
                for r in self.groups.iter_rows(named=True)],
            "per_run": [
                {"run": r["run"], "outcomes": r["outcomes"],
                 **{k: _euros(r[k]) for k in ("total", "fixed", "result", "cost_per_outcome")}}
                for r in self.per_run.iter_rows(named=True)],
        }


def simulate(scheme: Scheme, population: Population, runs: int, seed: int,
             as_of: dt.date | None = None, *, combined: bool | None = None,
             batch_runs: int | None = None, dask: Dask = None, workers: int | None = None,
             progress: Progress | None = None, keep_entries: bool = True
             ) -> SimulationResult:
    """Evaluate ``scheme`` on ``runs`` populations drawn from ``population`` with ``seed``.

    ``as_of`` defaults to the end of the population's follow-up
    (``population.as_of``).  The other options are those of :func:`sweep`.  The
    same arguments always give the same result.
    """
    _, results = sweep({scheme.scheme: scheme}, population, runs, seed, as_of,
                       combined=combined, batch_runs=batch_runs, dask=dask, workers=workers,
                       progress=progress, keep_entries=keep_entries)
    return results[scheme.scheme]


def sweep(schemes: Mapping[str, Scheme], population: Population, runs: int, seed: int,
          as_of: dt.date | None = None, *, combined: bool | None = None,
          batch_runs: int | None = None, dask: Dask = None, workers: int | None = None,
          progress: Progress | None = None, keep_entries: bool = True
          ) -> tuple[str, dict[str, SimulationResult]]:
    """Price every scheme on the same ``runs`` populations: the populations' digest
    and each scheme's result, by the name it has in ``schemes``.

    The runs are generated and priced in batches of ``batch_runs`` (by default
    :func:`kasvufee.design.batches.plan_batches` chooses), in this process or on
    Dask (``dask=True`` for a local cluster of ``workers`` processes, or a
    scheduler address); ``progress(done, runs)`` is called as batches finish.
    Every batch draws its own runs and the results only add up and concatenate,
    so neither the batch size nor where the batches ran changes a cent.
    ``keep_entries=False`` keeps the measures but drops the entries, which a
    large sweep has millions of.
    """
    when = as_of or population.as_of
    batches = plan_batches(runs, population.clients, batch_runs)
    done = run_batches(price_batch, batches,
                       shared=(dict(schemes), population, seed, when, combined, keep_entries),
                       dask=dask, workers=workers, progress=progress)
    digest = population_digest(pl.concat([digests for digests, _ in done]))
    return digest, {
        name: combine(s, population, [partials[name] for _, partials in done], seed=seed,
                      runs=runs, as_of=when, digest=digest)
        for name, s in schemes.items()}


def price_batch(schemes: Mapping[str, Scheme], population: Population, seed: int,
                as_of: dt.date, combined: bool | None, keep_entries: bool, first: int,
                count: int) -> tuple[pl.DataFrame, dict[str, Partial]]:
    """One batch of a sweep: runs ``first`` to ``first + count - 1`` generated once
    and priced under every scheme (common random numbers)."""
    events = generate(population, seed, count, first)
    clients = outcome_clients(events, as_of)  # the same under every scheme
    return run_digests(events), {
        name: measure(s, events, as_of, clients, combined=combined, keep_entries=keep_entries)
        for name, s in schemes.items()}


@dataclass(frozen=True)
class Partial:
    """A batch of runs reduced to measures that add up (see :func:`measure`).

    Attributes:
        per_run: ``run, total, fixed, result, outcomes`` (cents, counts).
        revenue: ``run, provider_id, revenue``: providers with entries only.
        groups: ``group, clients, with_outcome, paid, paid_outcome`` (sums).
        cap_hits: ``run, cap``: the caps that cut an entry in a run.
        entries: the batch's entries (:func:`evaluate_runs`), or None.
    """

    per_run: pl.DataFrame
    revenue: pl.DataFrame
    groups: pl.DataFrame
    cap_hits: pl.DataFrame
    entries: pl.DataFrame | None


def measure(scheme: Scheme, events: pl.DataFrame, as_of: dt.date, clients: pl.DataFrame, *,
            combined: bool | None = None, keep_entries: bool = True) -> Partial:
    """Price the runs in ``events`` and reduce them to a :class:`Partial`;
    ``clients`` is :func:`outcome_clients` of the events."""
    entries = evaluate_runs(scheme, events, as_of, combined=combined)
    fixed_ids = [cid for cid, fixed in component_fixed(scheme).items() if fixed]
    runs = events.select(pl.col("run").unique().sort().cast(pl.Int64))

    is_fixed_row = pl.col("component").is_in(fixed_ids)
    money = entries.group_by("run").agg(
        pl.col("amount").sum().alias("total"),
        pl.col("amount").filter(is_fixed_row).sum().alias("fixed"),
        pl.col("amount").filter(~is_fixed_row).sum().alias("result"))
    outcomes = clients.group_by("run").agg(pl.col("outcome").sum().alias("outcomes"))
    per_run = (runs.join(money, on="run", how="left").join(outcomes, on="run", how="left")
               .with_columns(pl.col("total", "fixed", "result", "outcomes").fill_null(0)
                             .cast(pl.Int64)))
    revenue = entries.group_by("run", "provider_id").agg(pl.col("amount").sum().alias("revenue"))

    paid = (entries.filter(pl.col("client_id").is_not_null())
            .group_by("run", "client_id").agg(pl.col("amount").sum().alias("paid")))
    per_client = (clients.join(paid, on=["run", "client_id"], how="left")
                  .with_columns(pl.col("paid").fill_null(0)))
    groups = per_client.group_by("group").agg(
        pl.len().cast(pl.Int64).alias("clients"),
        pl.col("outcome").sum().cast(pl.Int64).alias("with_outcome"),
        pl.col("paid").sum().cast(pl.Int64).alias("paid"),
        pl.col("paid").filter(pl.col("outcome")).sum().cast(pl.Int64).alias("paid_outcome"))
    cap_hits = entries.filter(pl.col("cap").is_not_null()).select("run", "cap").unique()
    return Partial(per_run, revenue, groups, cap_hits, entries if keep_entries else None)


def combine(scheme: Scheme, population: Population, partials: Sequence[Partial], *,
            seed: int, runs: int, as_of: dt.date, digest: str) -> SimulationResult:
    """Merge the partials of all batches into the sweep's :class:`SimulationResult`.

    Only sums, counts and concatenations in run order: the result does not depend
    on how the runs were cut into batches.
    """
    per_run = pl.concat([p.per_run for p in partials]).sort("run")
    per_run = per_run.with_columns(
        pl.when(pl.col("outcomes") > 0)
        .then(_half_up_div(pl.col("total"), pl.col("outcomes")))
        .otherwise(None).alias("cost_per_outcome"))

    revenue = pl.concat([p.revenue for p in partials])
    named = [p.id for p in population.providers]
    others = sorted(set(revenue["provider_id"].to_list()) - set(named))
    providers = pl.DataFrame({"provider_id": named + others}, schema={"provider_id": pl.String})
    provider_runs = (per_run.select("run").join(providers, how="cross")
                     .join(revenue, on=["run", "provider_id"], how="left")
                     .with_columns(pl.col("revenue").fill_null(0).cast(pl.Int64))
                     .sort("run", "provider_id"))

    sums = pl.concat([p.groups for p in partials]).group_by("group").sum()
    order = {g.id: i for i, g in enumerate(population.groups)}
    rows = []
    for r in sums.iter_rows(named=True):
        n, k = r["clients"], r["with_outcome"]
        per_outcome = _mean_cents(r["paid_outcome"], k)
        per_none = _mean_cents(r["paid"] - r["paid_outcome"], n - k)
        rows.append({
            "group": r["group"], "clients": n, "with_outcome": k,
            "per_client": _mean_cents(r["paid"], n), "per_outcome": per_outcome,
            "per_no_outcome": per_none,
            "marginal": None if per_outcome is None or per_none is None
            else per_outcome - per_none})
    rows.sort(key=lambda r: order.get(r["group"], len(order)))
    groups = pl.DataFrame(rows, schema={
        "group": pl.String, "clients": pl.Int64, "with_outcome": pl.Int64,
        "per_client": pl.Int64, "per_outcome": pl.Int64, "per_no_outcome": pl.Int64,
        "marginal": pl.Int64})

    hit = pl.concat([p.cap_hits for p in partials])["cap"].to_list()
    cap_runs = {cap.id: hit.count(cap.id) for cap in effective_caps(scheme)}
    kept = [p.entries for p in partials if p.entries is not None]
    return SimulationResult(
        scheme_id=scheme.scheme, population_id=population.population, seed=seed, runs=runs,
        as_of=as_of, clients=population.clients, digest=digest, per_run=per_run,
        provider_runs=provider_runs, groups=groups, cap_runs=cap_runs,
        component_fixed=component_fixed(scheme),
        entries=pl.concat(kept) if kept else None)  # batches come in run order


def component_fixed(scheme: Scheme) -> dict[str, bool]:
    """Component id -> whether it pays a fixed fee (not for a result)."""
    return {c.id: is_fixed(c) for v in scheme.versions for c in v.components}


def _half_up_div(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den rounded half up, for non-negative integers (exact integer arithmetic)."""
    return (num * 2 + den) // (den * 2)


# ---------------------------------------------------------------------------
# formatting

def format_simulation(result: SimulationResult, fmt: Literal["table", "json"] = "table") -> str:
    """The result as a readable table (``table``) or JSON (``json``)."""
    data = result.to_dict()
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False)
    if fmt != "table":
        raise UsageError(f"format: expected table or json, got {fmt!r}")
    lines = [f"scheme {result.scheme_id} on population {result.population_id}: "
             f"{count(result.runs, 'run')} of {count(result.clients, 'client')}, "
             f"seed {result.seed}, "
             f"as of {result.as_of.isoformat()}", ""]
    rows: list[tuple[str, ...]] = [("measure", "P5", "P50", "P95")]
    for label, key in (("total cost", "total_cost"), ("cost per outcome", "cost_per_outcome")):
        rows.append((label, *(data[key][f"p{q}"] or "-" for q in PERCENTILES)))
    rows.append(("outcomes", *(str(data["outcomes"][f"p{q}"]) for q in PERCENTILES)))
    for provider, pct in data["provider_revenue"].items():
        rows.append((f"revenue {provider}", *(pct[f"p{q}"] or "-" for q in PERCENTILES)))
    lines += _table(rows, right=(1, 2, 3))
    share = result.share_at_risk
    lines += ["", "pay at risk (result-based share): "
              + ("-" if share is None else f"{share * 100:.1f} %")]
    if result.cap_runs:
        lines.append("caps exhausted: " + ", ".join(
            f"{cap} in {n}/{result.runs} runs" for cap, n in result.cap_runs.items()))
    else:
        lines.append("caps exhausted: the scheme has no caps")
    lines += ["", "marginal fee by group (mean payout per client, pooled over runs):"]
    grows: list[tuple[str, ...]] = [("group", "clients", "outcomes", "per client",
                                     "per outcome", "no outcome", "marginal")]
    for g in data["groups"]:
        grows.append((g["group"], str(g["clients"]), str(g["with_outcome"]),
                      *(g[k] or "-" for k in ("per_client", "per_outcome", "per_no_outcome",
                                              "marginal"))))
    lines += _table(grows, right=(1, 2, 3, 4, 5, 6))
    return "\n".join(lines)


def _table(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, r in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out
