"""Baseline (b): the three pilot schemes hand-written as DuckDB SQL.

``known.sql`` loads the events a scheme reads (known on ``as_of``, voids
applied, numbered in event order) and each client's first enrolment; then
``<scheme>.sql`` computes the ledger: component, provider_id, client_id,
earned_on, amount (cents), event_ids and a one-line explanation.  Nothing
here uses kasvufee.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # polars is not imported: the whole-process peer starts without it
    import polars as pl

HERE = Path(__file__).resolve().parent

# the types and columns each scheme reads (besides the core columns)
READS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "varsinais-suomi": (("employment_started", "employment_ended", "training_referred"),
                        ("risk_class", "employment_id")),
    "yrittajasta-tyonantajaksi": (("guidance_completed", "plan_completed", "survey_answered",
                                   "recruitment_made", "milestone_reached"),
                                  ("risk_class", "answers", "fte_years", "milestone")),
    "satakunta-kokosata": (("employment_started", "training_referred", "milestone_reached"),
                           ("risk_class", "training", "milestone")),
}
CORE = ("event_id", "type", "provider_id", "client_id", "occurred_on", "recorded_at")

# the export's columns as DuckDB reads them from CSV
CSV_COLUMNS = {
    "event_id": "VARCHAR", "type": "VARCHAR", "provider_id": "VARCHAR", "client_id": "VARCHAR",
    "occurred_on": "DATE", "recorded_at": "TIMESTAMP", "client_kind": "VARCHAR",
    "risk_class": "VARCHAR", "region": "VARCHAR", "unemployed_months": "BIGINT",
    "education": "VARCHAR", "employment_id": "VARCHAR", "fte": "DECIMAL(38,10)",
    "employer_id": "VARCHAR", "employer_kind": "VARCHAR", "cross_border": "BOOLEAN",
    "evidence_ref": "VARCHAR", "fte_years": "DECIMAL(38,10)", "training": "VARCHAR",
    "answers": "VARCHAR", "metric": "VARCHAR", "value": "DECIMAL(38,10)",
    "milestone": "VARCHAR", "for_event": "VARCHAR", "voids": "VARCHAR", "reason": "VARCHAR",
}


def source(path: Path, scheme: str, text: bool = False) -> str:
    """The input relation: the columns the scheme needs, lists as BIGINT[].
    ``text``: a Parquet file whose attribute columns are all text."""
    columns = [*CORE, *READS[scheme][1], "voids"]
    split = "CAST(string_split(answers, ';') AS BIGINT[]) AS answers"
    if path.suffix == ".parquet":
        if text:
            columns = [split if c == "answers" else
                       f"CAST({c} AS {CSV_COLUMNS[c]}) AS {c}"
                       if c not in CORE and CSV_COLUMNS[c] != "VARCHAR" else c for c in columns]
        return f"(SELECT {', '.join(columns)} FROM read_parquet('{path}'))"
    types = ", ".join(f"'{k}': '{v}'" for k, v in CSV_COLUMNS.items())
    shown = [split if c == "answers" else c for c in columns]
    return (f"(SELECT {', '.join(shown)} FROM read_csv('{path}', header = true, "
            f"columns = {{{types}}}))")


def evaluate(scheme: str, path: Path, as_of: dt.date, threads: int | None = None
             ) -> pl.DataFrame:
    """The ledger of ``scheme`` on the events at ``path`` as known on ``as_of``."""
    con, query = _prepare(scheme, path, as_of, threads)
    ledger = con.sql(query).pl()
    con.close()
    return ledger


def write_parquet(scheme: str, path: Path, as_of: dt.date, out: Path,
                  threads: int | None = None) -> None:
    """The ledger written to ``out`` as Parquet by DuckDB itself (no polars)."""
    con, query = _prepare(scheme, path, as_of, threads)
    con.execute(f"COPY ({query.rstrip().rstrip(';')}) TO '{out}' (FORMAT parquet)")
    con.close()


def _prepare(scheme: str, path: Path, as_of: dt.date, threads: int | None) -> tuple[Any, str]:
    """A connection holding the scheme's events (``known.sql``) and the ledger's query."""
    import duckdb

    con = duckdb.connect()
    if threads is not None:
        con.execute(f"SET threads = {threads}")
    text = path.suffix == ".parquet" and con.execute(
        f"SELECT typeof(answers) FROM read_parquet('{path}') LIMIT 1").fetchone() == ("VARCHAR",)
    types = ", ".join(f"'{t}'" for t in READS[scheme][0])
    fill = {"events": source(path, scheme, text), "as_of": as_of.isoformat(), "types": types}
    con.execute(_sql("known.sql", fill))
    return con, _sql(f"{scheme}.sql", fill)


def _sql(name: str, fill: dict[str, str]) -> str:
    text = (HERE / name).read_text()
    for key, value in fill.items():
        text = text.replace("{" + key + "}", value)
    return text


if __name__ == "__main__":
    # the whole-process peer: python -m bench.peers.duck SCHEME EVENTS AS_OF OUT.parquet
    write_parquet(sys.argv[1], Path(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]),
                  Path(sys.argv[4]))
