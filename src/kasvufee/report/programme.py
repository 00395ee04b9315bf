"""Programme roll-up: one funder, one appropriation, many contracts.

A programme file names its funder, its appropriation and its contracts (each
a scheme posted into the ledger, optionally with the projects — providers —
it covers and their names).  The roll-up shows, by year and by project:

- **committed**: what the contracts' schedules promise (instalments and yearly
  grants), read from the ledger's own copy of each scheme;
- **paid**: what has been posted (earned entries and reversals), by the year of
  the posting period;
- **outstanding** (committed - paid), and for the programme the appropriation
  and what is **remaining** uncommitted (appropriation - committed).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from kasvufee.engine.schedule import schedule_dates
from kasvufee.errors import InputError
from kasvufee.money import cents_to_text, euros_to_cents, format_cents
from kasvufee.scheme.load import parse_yaml_model, read_text_file
from kasvufee.scheme.model import SLUG, Cents, ScheduleFee, Scheme
from kasvufee.scheme.prices import static_cents

if TYPE_CHECKING:
    from kasvufee.store import PostedLedger


class ProgrammeError(InputError):
    """A programme file is invalid."""


class Contract(BaseModel):
    """A scheme in the programme, and the projects (provider ids → names) it funds;
    no projects means every provider of the scheme."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    scheme: str = Field(pattern=SLUG)
    projects: dict[str, str] = Field(default_factory=dict)


class Programme(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    programme: str = Field(pattern=SLUG)
    title: str
    funder: str
    appropriation: Cents
    contracts: tuple[Contract, ...] = Field(min_length=1)


def load_programme(path: str | os.PathLike[str]) -> Programme:
    text = read_text_file(path, "programme", ProgrammeError)
    programme, _ = parse_yaml_model(text, Programme, source=str(path), error=ProgrammeError,
                                    top="programme, title, funder, appropriation and contracts")
    return programme


@dataclass(frozen=True, slots=True)
class Rollup:
    """Committed, paid and outstanding cents by (year, project), and the totals."""

    programme: Programme
    table: pl.DataFrame  # year, scheme_id, project, name, committed, paid, outstanding (cents)

    @property
    def committed(self) -> int:
        return int(self.table["committed"].sum())

    @property
    def paid(self) -> int:
        return int(self.table["paid"].sum())

    @property
    def remaining(self) -> int:
        """The appropriation not yet committed (negative: over-committed)."""
        return self.programme.appropriation - self.committed

    def by_year(self) -> pl.DataFrame:
        return self.table.group_by("year").agg(
            pl.col("committed", "paid", "outstanding").sum()).sort("year")

    def by_project(self) -> pl.DataFrame:
        return self.table.group_by("project", "name").agg(
            pl.col("committed", "paid", "outstanding").sum()).sort("project")


_SCHEMA = {"year": pl.Int32(), "scheme_id": pl.String(), "project": pl.String(),
           "committed": pl.Int64(), "paid": pl.Int64()}


def rollup(programme: Programme, store: PostedLedger) -> Rollup:
    frames = [_committed(c, store.scheme(c.scheme)) for c in programme.contracts]
    frames += [_paid(c, store) for c in programme.contracts]
    names = pl.DataFrame(
        [(c.scheme, p, n) for c in programme.contracts for p, n in c.projects.items()],
        schema={"scheme_id": pl.String(), "project": pl.String(), "name": pl.String()},
        orient="row")
    table = (pl.concat(frames, how="diagonal_relaxed")
             .group_by("year", "scheme_id", "project")
             .agg(pl.col("committed").sum(), pl.col("paid").sum())
             .join(names, on=["scheme_id", "project"], how="left")
             .with_columns((pl.col("committed") - pl.col("paid")).alias("outstanding"),
                           pl.coalesce("name", "project").alias("name"))
             .select("year", "scheme_id", "project", "name", "committed", "paid", "outstanding")
             .sort("year", "scheme_id", "project"))
    return Rollup(programme, table)


def _frame(rows: Iterable[tuple[int, str, str, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=_SCHEMA, orient="row")


def _committed(contract: Contract, scheme: Scheme) -> pl.DataFrame:
    rows = []
    for version in scheme.versions:
        for comp in version.components:
            if not isinstance(comp, ScheduleFee):
                continue  # only schedules promise amounts in advance
            cents = static_cents(version, comp.id, comp.amount) or 0
            for provider in comp.providers:
                if contract.projects and provider not in contract.projects:
                    continue
                rows += [(day.year, scheme.scheme, provider, cents, 0)
                         for day in schedule_dates(comp) if day >= version.valid_from]
    return _frame(rows)


def _paid(contract: Contract, store: PostedLedger) -> pl.DataFrame:
    posted = store.entries(scheme_id=contract.scheme)
    if contract.projects:
        posted = posted.filter(pl.col("provider_id").is_in(list(contract.projects)))
    return posted.select(
        pl.col("period").str.slice(0, 4).cast(pl.Int32).alias("year"),
        pl.col("scheme_id"), pl.col("provider_id").alias("project"),
        pl.lit(0, dtype=pl.Int64).alias("committed"),
        euros_to_cents(pl.col("amount")).alias("paid"))


def rollup_text(r: Rollup) -> str:
    """A plain-text report: by year, by project, and the programme totals."""
    p = r.programme

    def eur(cents: int) -> str:
        return f"{Decimal(format_cents(cents)):>16,.2f}"

    lines = [f"{p.title} ({p.programme})", f"Funder: {p.funder}",
             f"Appropriation: {eur(p.appropriation).strip()} EUR", "",
             f"{'year':<6}{'committed':>16}{'paid':>16}{'outstanding':>16}"]
    for year, committed, paid, outstanding in r.by_year().iter_rows():
        lines.append(f"{year:<6}{eur(committed)}{eur(paid)}{eur(outstanding)}")
    lines += ["", f"{'project':<44}{'committed':>16}{'paid':>16}{'outstanding':>16}"]
    for project, name, committed, paid, outstanding in r.by_project().iter_rows():
        label = f"{project} {name}" if name != project else project
        lines.append(f"{label[:43]:<44}{eur(committed)}{eur(paid)}{eur(outstanding)}")
    lines += ["", f"Committed: {eur(r.committed).strip()} EUR", f"Paid: {eur(r.paid).strip()} EUR",
              f"Outstanding: {eur(r.committed - r.paid).strip()} EUR",
              f"Remaining appropriation (uncommitted): {eur(r.remaining).strip()} EUR"]
    if r.remaining < 0:
        lines.append("WARNING: the contracts commit more than the appropriation")
    return "\n".join(lines)


PROGRAMME_AMOUNTS = ("committed", "paid", "outstanding")
"""The euro columns (an outstanding -1000.00 is a number, not a formula)."""


def _euro_columns(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(cents_to_text(pl.col(c)).alias(c) for c in PROGRAMME_AMOUNTS)


def rollup_json(r: Rollup) -> dict[str, Any]:
    """The roll-up as JSON-ready data, amounts as two-decimal strings."""
    p = r.programme
    return {
        "programme": p.programme, "title": p.title, "funder": p.funder,
        "appropriation": format_cents(p.appropriation), "committed": format_cents(r.committed),
        "paid": format_cents(r.paid), "outstanding": format_cents(r.committed - r.paid),
        "remaining": format_cents(r.remaining),
        "by_year": _euro_columns(r.by_year()).to_dicts(),
        "by_project": _euro_columns(r.by_project()).to_dicts(),
        "rows": _euro_columns(r.table).to_dicts(),
    }


def rollup_rows(r: Rollup) -> pl.DataFrame:
    """The (year, project) rows with euro text, for csv and xlsx."""
    return _euro_columns(r.table)
