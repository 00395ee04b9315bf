"""Comparing schemes on identical populations, and replaying history under another scheme.

* ``compare(schemes, population, runs, seed)``: every scheme is simulated on
  the **same** generated events (common random numbers): differences between
  schemes are the schemes', not the dice's.  ``table()`` gives one row per
  scheme; ``to_dict()`` JSON; ``format_comparison(..., "html")`` a
  self-contained HTML report with inline SVG charts when matplotlib is
  installed (``pip install matplotlib``), tables only otherwise.
* ``replay(scheme_b, events, paid, as_of)``: what scheme B would have paid on
  real events, next to what was paid (scheme A's ledger, or the entries of a
  posted ledger), by provider and component.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from kasvufee.design.batches import Dask, Progress
from kasvufee.design.population import Population
from kasvufee.design.simulate import (
    PERCENTILES,
    SimulationResult,
    _table,
    format_simulation,
    sweep,
)
from kasvufee.engine.evaluate import evaluate
from kasvufee.errors import UsageError
from kasvufee.ledger import Ledger
from kasvufee.money import euros_to_cents, format_cents
from kasvufee.plural import count
from kasvufee.scheme.model import Scheme

__all__ = [
    "ComparisonResult",
    "ReplayResult",
    "compare",
    "comparison_html",
    "comparison_png",
    "format_comparison",
    "format_replay",
    "replay",
]


@dataclass(frozen=True)
class ComparisonResult:
    """Simulations of several schemes on one set of generated populations."""

    population_id: str
    seed: int
    runs: int
    digest: str
    results: Mapping[str, SimulationResult]

    def table(self) -> pl.DataFrame:
        """One row per scheme: cost percentiles, cost per outcome (P50), pay at risk,
        caps exhausted and the marginal fee of each group (cents; shares as text)."""
        rows = []
        for name, r in self.results.items():
            total = r.percentiles("total")
            row: dict[str, Any] = {"scheme": name}
            row.update({f"total_p{q}": total[f"p{q}"] for q in PERCENTILES})
            row["cost_per_outcome_p50"] = r.percentiles("cost_per_outcome")["p50"]
            share = r.share_at_risk
            row["share_at_risk"] = None if share is None else str(share)
            row["caps_exhausted"] = ", ".join(
                f"{c} {p}" for c, p in r.cap_probability().items()) or None
            for g in r.groups.iter_rows(named=True):
                row[f"marginal_{g['group']}"] = g["marginal"]
            rows.append(row)
        return pl.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {"population": self.population_id, "seed": self.seed, "runs": self.runs,
                "population_digest": self.digest,
                "schemes": {k: v.to_dict() for k, v in self.results.items()}}


def compare(schemes: Mapping[str, Scheme], population: Population, runs: int, seed: int,
            as_of: dt.date | None = None, *, batch_runs: int | None = None,
            dask: Dask = None, workers: int | None = None, progress: Progress | None = None,
            keep_entries: bool = True) -> ComparisonResult:
    """Simulate every scheme on the same ``runs`` populations (common random numbers).

    The options are those of :func:`kasvufee.design.simulate.sweep` (batches,
    Dask, progress); they never change the result.
    """
    if not schemes:
        raise UsageError("compare: expected at least one scheme, got none")
    digest, results = sweep(schemes, population, runs, seed, as_of, batch_runs=batch_runs,
                            dask=dask, workers=workers, progress=progress,
                            keep_entries=keep_entries)
    return ComparisonResult(population.population, seed, runs, digest, results)


def format_comparison(result: ComparisonResult,
                      fmt: Literal["table", "json", "html"] = "table") -> str:
    """The comparison as a text table, JSON or a self-contained HTML report
    (:func:`comparison_png` for an image)."""
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    if fmt == "html":
        return comparison_html(result)
    if fmt != "table":
        raise UsageError(f"format: expected table, json or html, got {fmt!r}")
    frame = result.table()
    money = [c for c in frame.columns if c.startswith(("total_", "cost_", "marginal_"))]
    rows: list[tuple[str, ...]] = [tuple(frame.columns)]
    for r in frame.iter_rows(named=True):
        rows.append(tuple("-" if r[c] is None else format_cents(r[c]) if c in money
                          else str(r[c]) for c in frame.columns))
    head = (f"{count(len(result.results), 'scheme')} on population {result.population_id}: "
            f"{count(result.runs, 'run')}, seed {result.seed}, identical populations "
            f"(sha256 {result.digest[:12]})")
    right = [i for i, c in enumerate(frame.columns) if c in money]
    return "\n".join([head, "", *_table(rows, right=right)])


def comparison_html(result: ComparisonResult) -> str:
    """A self-contained HTML report: tables, and SVG charts when matplotlib is installed."""
    esc = html.escape
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             f"<title>kasvufee comparison: {esc(result.population_id)}</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
             "padding:.3em .6em}td.n{text-align:right}</style></head><body>",
             f"<h1>Scheme comparison on population {esc(result.population_id)}</h1>",
             f"<p>{count(result.runs, 'simulated run')}, seed {result.seed}; every scheme priced "
             f"the same populations (common random numbers, sha256 "
             f"<code>{esc(result.digest[:12])}</code>).</p>",
             "<h2>Cost, risk and incentives</h2>", _html_table(result.table())]
    charts = _charts(result)
    if charts:
        parts += ["<h2>Charts</h2>", *charts]
    else:
        parts.append("<p><em>Charts need matplotlib (pip install matplotlib).</em></p>")
    for name, r in result.results.items():
        parts += [f"<h2>{esc(name)}</h2>",
                  f"<pre>{esc(format_simulation(r))}</pre>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(frame: pl.DataFrame) -> str:
    money = [c for c in frame.columns if c.startswith(("total_", "cost_", "marginal_"))]
    out = ["<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
           + "</tr>"]
    for r in frame.iter_rows(named=True):
        cells = []
        for c in frame.columns:
            v = r[c]
            text = "-" if v is None else format_cents(v) if c in money else str(v)
            cls = " class='n'" if c in money else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend, or None when not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    matplotlib.rcParams["svg.hashsalt"] = "kasvufee"
    return plt


def _draw_cost(ax: Any, result: ComparisonResult) -> None:
    data = [[v / 100 for v in r.per_run["total"].to_list()] for r in result.results.values()]
    ax.boxplot(data, tick_labels=list(result.results), whis=(5, 95))
    ax.set_ylabel("total cost per run (EUR)")
    ax.set_title("Distribution of total cost (whiskers P5-P95)")


def _draw_marginal(ax: Any, result: ComparisonResult) -> None:
    groups = next(iter(result.results.values())).groups["group"].to_list()
    width = 0.8 / max(1, len(result.results))
    for i, (name, r) in enumerate(result.results.items()):
        by = {g["group"]: g["marginal"] for g in r.groups.iter_rows(named=True)}
        xs = [k + i * width for k in range(len(groups))]
        ax.bar(xs, [(by.get(g) or 0) / 100 for g in groups], width, label=name)
    ax.set_xticks([k + width * (len(result.results) - 1) / 2 for k in range(len(groups))],
                  groups)
    ax.set_ylabel("EUR per client with an outcome")
    ax.set_title("Marginal fee by group (harder groups should not earn less)")
    ax.legend()


_DRAWINGS = (_draw_cost, _draw_marginal)


def _charts(result: ComparisonResult) -> list[str]:
    """Each chart as inline SVG (none without matplotlib)."""
    plt = _pyplot()
    if plt is None:
        return []
    svgs = []
    for draw in _DRAWINGS:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        draw(ax, result)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
        plt.close(fig)
        svgs.append(buf.getvalue()[buf.getvalue().index("<svg"):])
    return svgs


def comparison_png(result: ComparisonResult) -> bytes:
    """The charts of the comparison stacked in one PNG image (needs matplotlib)."""
    plt = _pyplot()
    if plt is None:
        raise UsageError("--format png needs matplotlib: pip install 'kasvufee[plots]'")
    fig, axes = plt.subplots(len(_DRAWINGS), 1, figsize=(7.5, 3.6 * len(_DRAWINGS)))
    for draw, ax in zip(_DRAWINGS, axes, strict=True):
        draw(ax, result)
    fig.suptitle(f"{count(len(result.results), 'scheme')} on population "
                 f"{result.population_id}: {count(result.runs, 'run')}, seed {result.seed}")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


# ---------------------------------------------------------------------------
# replay

@dataclass(frozen=True)
class ReplayResult:
    """Scheme B on real events next to what was paid.

    Attributes:
        scheme_id: scheme B's id.
        as_of: the evaluation date.
        paid_source: what ``paid`` is (a scheme id, ``posted ledger`` or None).
        by_component: ``provider_id, component, paid, replayed`` in cents, the
            union of both schemes' components (0 where a scheme has none).
        ledger: scheme B's ledger.
    """

    scheme_id: str
    as_of: dt.date
    paid_source: str | None
    by_component: pl.DataFrame
    ledger: Ledger

    def by_provider(self) -> pl.DataFrame:
        """``provider_id, paid, replayed, difference`` (cents)."""
        return (self.by_component.group_by("provider_id")
                .agg(pl.col("paid").sum(), pl.col("replayed").sum())
                .with_columns((pl.col("replayed") - pl.col("paid")).alias("difference"))
                .sort("provider_id"))

    def totals(self) -> tuple[int, int]:
        """(paid, replayed) in cents."""
        return int(self.by_component["paid"].sum()), int(self.by_component["replayed"].sum())

    def to_dict(self) -> dict[str, Any]:
        paid, replayed = self.totals()
        return {
            "scheme": self.scheme_id, "as_of": self.as_of.isoformat(),
            "paid_source": self.paid_source, "paid": format_cents(paid),
            "replayed": format_cents(replayed), "difference": format_cents(replayed - paid),
            "providers": [{"provider_id": r["provider_id"], "paid": format_cents(r["paid"]),
                           "replayed": format_cents(r["replayed"]),
                           "difference": format_cents(r["difference"])}
                          for r in self.by_provider().iter_rows(named=True)],
            "components": [{"provider_id": r["provider_id"], "component": r["component"],
                            "paid": format_cents(r["paid"]),
                            "replayed": format_cents(r["replayed"])}
                           for r in self.by_component.iter_rows(named=True)],
            "held": len(self.ledger.held_frame),
        }


def replay(scheme_b: Scheme, events: pl.DataFrame, paid: Ledger | pl.DataFrame | None,
           as_of: dt.date) -> ReplayResult:
    """What ``scheme_b`` would have paid on ``events`` as of ``as_of``, next to ``paid``:
    a ``Ledger`` (scheme A evaluated on the same events), a frame of posted entries
    (``PostedLedger.entries()``: amounts as decimal euros, or Int64 cents) or None."""
    ledger = evaluate(scheme_b, events, as_of)
    replayed = ledger.frame.group_by("provider_id", "component").agg(
        pl.col("amount").sum().alias("replayed"))
    source: str | None = None
    if paid is None:
        before = pl.DataFrame(schema={"provider_id": pl.String, "component": pl.String,
                                      "paid": pl.Int64})
    else:
        frame = paid.frame if isinstance(paid, Ledger) else paid
        source = paid.scheme_id if isinstance(paid, Ledger) else "posted ledger"
        if isinstance(frame.schema["amount"], pl.Decimal):
            frame = frame.with_columns(euros_to_cents(pl.col("amount")))
        before = frame.group_by("provider_id", "component").agg(
            pl.col("amount").sum().alias("paid"))
    table = (before.join(replayed, on=["provider_id", "component"], how="full", coalesce=True)
             .with_columns(pl.col("paid", "replayed").fill_null(0).cast(pl.Int64))
             .sort("provider_id", "component"))
    return ReplayResult(scheme_b.scheme, as_of, source, table, ledger)


def format_replay(result: ReplayResult, fmt: Literal["table", "json"] = "table") -> str:
    """The replay as a side-by-side text table or JSON."""
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    if fmt != "table":
        raise UsageError(f"format: expected table or json, got {fmt!r}")
    paid_label = f"paid ({result.paid_source})" if result.paid_source else "paid"
    rows: list[tuple[str, ...]] = [("provider", "component", paid_label,
                                    f"{result.scheme_id} would pay")]
    for r in result.by_component.iter_rows(named=True):
        rows.append((r["provider_id"], r["component"], format_cents(r["paid"]),
                     format_cents(r["replayed"])))
    for r in result.by_provider().iter_rows(named=True):
        rows.append((r["provider_id"], "(total)", format_cents(r["paid"]),
                     format_cents(r["replayed"])))
    paid, replayed = result.totals()
    rows.append(("all", "(total)", format_cents(paid), format_cents(replayed)))
    lines = [f"replay of {result.scheme_id} as of {result.as_of.isoformat()}", "",
             *_table(rows, right=(2, 3))]
    if len(result.ledger.held_frame):
        lines += ["", f"{count(len(result.ledger.held_frame), 'candidate')} held by "
                  f"{result.scheme_id} (see `kasvufee run` for the reasons)"]
    return "\n".join(lines)
