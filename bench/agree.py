"""Agreement at every month end: kasvufee against the baselines, more seeds.

    python -m bench.agree [--clients 20000] [--seeds 11,12]

For each seed a population is generated; each W1 scheme is evaluated as
known at every month end of 2018 by kasvufee and by the row-by-row
baseline, and in March and September by the DuckDB peer too.  Month ends
catch what a year-end evaluation hides: durations still pending, events
recorded late, voids not yet known.  Prints each mismatch; exit status 1
if there is one.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import kasvufee
from bench import baseline
from bench.compare import compare, rows_table
from bench.generate import generate, write
from bench.peers import duck

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = ["varsinais-suomi", "yrittajasta-tyonantajaksi", "satakunta-kokosata"]


def main() -> int:
    ap = argparse.ArgumentParser(description="kasvufee vs baselines at every month end")
    ap.add_argument("--clients", type=int, default=20_000)
    ap.add_argument("--seeds", default="11,12")
    args = ap.parse_args()
    t0 = time.perf_counter()
    checks = mismatches = 0
    for seed in (int(s) for s in args.seeds.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            parquet, _ = write(generate(args.clients, seed=seed), Path(tmp))
            events = kasvufee.read_events(parquet)
            for scheme_id in SCHEMES:
                scheme = kasvufee.load_scheme(ROOT / "examples" / scheme_id / "scheme.yaml")
                rows = baseline.read_parquet_rows(parquet, scheme_id)
                for month in range(1, 13):
                    as_of = dt.date(2018, month, calendar.monthrange(2018, month)[1])
                    ours = kasvufee.evaluate(scheme, events, as_of).frame
                    entries = baseline.SCHEMES[scheme_id](
                        baseline.known([dict(r) for r in rows], as_of), as_of)
                    others = {"row-by-row": rows_table(baseline.iter_columns(entries))}
                    if month in (3, 9):
                        others["duckdb"] = duck.evaluate(scheme_id, parquet, as_of)
                    for name, other in others.items():
                        result = compare(ours, other)
                        checks += 1
                        if not (result["equal"] and result.get("event_ids_equal")):
                            mismatches += 1
                            print(f"MISMATCH seed {seed} {scheme_id} {as_of} {name}: {result}")
    print(f"{checks} comparisons, {mismatches} mismatches "
          f"({time.perf_counter() - t0:.0f} s)")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
