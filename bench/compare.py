"""Ledgers compared line by line: (component, provider, client, earned_on, amount),
and the events each line names.

Every ledger is first brought to the same shape (``normal``): amounts in
integer cents, ``event_ids`` a list of strings.  Two ledgers agree when they
hold the same lines the same number of times (row order is not part of the
contract); the events named by each line are compared too.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

KEY = ["component", "provider_id", "client_id", "earned_on", "amount"]
SCHEMA: dict[str, pl.DataType] = {
    "component": pl.String(), "provider_id": pl.String(), "client_id": pl.String(),
    "earned_on": pl.Date(), "amount": pl.Int64(), "event_ids": pl.List(pl.String()),
}


def normal(df: pl.DataFrame) -> pl.DataFrame:
    """The comparable columns, typed, sorted."""
    return (df.select([pl.col(c).cast(t) for c, t in SCHEMA.items()])
            .with_columns(pl.col("event_ids").list.join(" ").alias("_ids"))
            .sort([*KEY, "_ids"], nulls_last=True))


def write(df: pl.DataFrame, path: Path) -> None:
    normal(df).drop("_ids").write_parquet(path)


def rows_table(columns: Iterable[tuple[str, list[Any]]]) -> pl.DataFrame:
    """The row-by-row baseline's entries (``baseline.iter_columns``) as a table."""
    return pl.DataFrame(dict(columns), schema_overrides={
        "client_id": pl.String, "event_ids": pl.List(pl.String)})


def paid(stored: pl.DataFrame) -> pl.DataFrame:
    """What a posted ledger now pays (earned entries not reversed), in cents."""
    # imported here: the baselines' workers write with this module, kasvufee unloaded
    from kasvufee.money import euros_to_cents
    from kasvufee.store.plan import live_entries

    return live_entries(stored).with_columns(euros_to_cents(pl.col("amount")))


def in_cents(ledger: pl.DataFrame) -> pl.DataFrame:
    """A ledger file as ``kasvufee run`` writes it (amounts in euros), in cents."""
    from kasvufee.money import euros_to_cents

    return ledger.with_columns(euros_to_cents(pl.col("amount")))


def compare(a: pl.DataFrame, b: pl.DataFrame, samples: int = 5) -> dict[str, Any]:
    """``equal``: same lines; ``event_ids_equal``: and the same events named;
    otherwise counts and a few example lines found only on one side."""
    a, b = normal(a), normal(b)
    lines_a, lines_b = a.select(KEY), b.select(KEY)
    equal = lines_a.equals(lines_b)
    out: dict[str, Any] = {"equal": equal, "lines": [a.height, b.height],
                           "cents": [int(a["amount"].sum() or 0), int(b["amount"].sum() or 0)]}
    if equal:
        out["event_ids_equal"] = a["_ids"].equals(b["_ids"])
        if not out["event_ids_equal"]:
            diff = a.with_columns(b["_ids"].alias("_other")).filter(
                pl.col("_ids") != pl.col("_other"))
            out["event_ids_differ"] = diff.height
            out["samples"] = [_shown(r) for r in diff.head(samples).iter_rows(named=True)]
        return out
    counted_a = lines_a.group_by(KEY).len()
    counted_b = lines_b.group_by(KEY).len()
    only_a = counted_a.join(counted_b, on=KEY, how="anti", nulls_equal=True)
    only_b = counted_b.join(counted_a, on=KEY, how="anti", nulls_equal=True)
    out.update(only_first=only_a.height, only_second=only_b.height,
               samples_first=[_shown(r) for r in only_a.sort(KEY).head(samples)
                              .iter_rows(named=True)],
               samples_second=[_shown(r) for r in only_b.sort(KEY).head(samples)
                               .iter_rows(named=True)])
    return out


def _shown(row: dict[str, Any]) -> str:
    return " ".join(str(row[k]) for k in row if not k.startswith("_") or k == "_ids")
